package dev.zephyr.eval.mc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.LoraMerge;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.core.testing.TestAdapters;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Multiple-choice log-likelihoods of a base plus an unmerged LoRA adapter equal those of the merged model. */
class AdaptedLoglikelihoodTest {
  @TempDir Path tmp;

  static final List<LoglikelihoodRequest> REQUESTS = List.of(
      new LoglikelihoodRequest("Question: Is the sky blue?\nAnswer:", " yes"),
      new LoglikelihoodRequest("Question: Is the sky blue?\nAnswer:", " no, it is green"),
      new LoglikelihoodRequest("The capital of France is", " Paris"));

  @Test
  void adapterLoglikelihoodsEqualTheMergedModelsAndDifferFromTheBase() throws Exception {
    Path base = tmp.resolve("base");
    ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(1).build();
    Path adapter = tmp.resolve("adapter");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 5, 0.5, m)) {
      model.save(base);
      try (LoraAdapter lora = LoraAdapter.create(model, LoraConfig.of(2, 4).withBaseModel(base.toString()), 1, m)) {
        TestAdapters.randomizeB(lora, 7, 1.0, m);
        PeftFiles.save(lora, adapter);
      }
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(TestData.path("tokenizers", "zephyr", f), base.resolve(f));
    }
    Path merged = tmp.resolve("merged");
    LoraMerge.mergeToDirectory(base, adapter, merged);

    List<Loglikelihood> adapted = score(new AdaptedModel.Source(base, adapter));
    List<Loglikelihood> fromMerged = score(new AdaptedModel.Source(merged, null));
    List<Loglikelihood> plain = score(new AdaptedModel.Source(base, null));
    assertThat(score(AdaptedModel.Source.of(adapter, null))).as("the adapter directory alone").isEqualTo(adapted);
    for (int i = 0; i < REQUESTS.size(); i++) {
      assertThat(adapted.get(i).logprob()).isCloseTo(fromMerged.get(i).logprob(), within(1e-4));
      assertThat(adapted.get(i).isGreedy()).isEqualTo(fromMerged.get(i).isGreedy());
      assertThat(Math.abs(adapted.get(i).logprob() - plain.get(i).logprob())).as("the adapter changes request " + i)
          .isGreaterThan(1e-2);
    }

    assertThatThrownBy(() -> LocalLoglikelihoodModel.open(new AdaptedModel.Source(base, tmp), null, 64))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("adapter_config.json")
        .hasMessageContaining("is missing");
  }

  private static List<Loglikelihood> score(AdaptedModel.Source source) {
    try (LocalLoglikelihoodModel scorer = LocalLoglikelihoodModel.open(source, null, 2048)) {
      return scorer.loglikelihood(REQUESTS);
    }
  }
}
