package dev.zephyr.eval.mc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.generate.GenerationRequest;
import dev.zephyr.core.generate.Generator;
import dev.zephyr.core.generate.LocalModel;
import dev.zephyr.core.model.HalfPrecisionWeights;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.testing.TestAdapters;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BF16 model under test opened with {@code keep16Bit} holds its matrices at 2 bytes and computes what the widened
 * model computes: the same greedy tokens and the same multiple-choice log-likelihoods, with and without an adapter.
 */
class KeptWeightsLocalModelTest {
  @TempDir Path tmp;

  private static final LocalModel.Options WIDENED = new LocalModel.Options(null, false);
  private static final LocalModel.Options KEPT = new LocalModel.Options(null, true);

  @Test
  void keptFixtureHoldsItsMatricesAt16BitsAndGeneratesTheSameGreedyTokens() {
    Path fixture = TestData.path("fixtures", "qwen2-tied-bf16");
    int[] kept;
    try (LocalModel local = LocalModel.open(fixture, null, TestData.path("tokenizers", "zephyr"), KEPT)) {
      HalfPrecisionWeights half = local.model().halfPrecisionWeights();
      assertThat(half).isNotNull();
      // 2 layers x 7 projections + the tied embedding; norms stay float32
      assertThat(half.names()).hasSize(15).contains("model.embed_tokens.weight",
          "model.layers.1.mlp.down_proj.weight").noneMatch(n -> n.contains("norm"));
      assertThat(half.nativeBytes()).isEqualTo(2 * half.elementCount());
      assertThat(local.model().parameters()).doesNotContainKey("model.layers.0.self_attn.q_proj.weight");
      kept = greedy(local);
    }
    try (LocalModel local = LocalModel.open(fixture, null, TestData.path("tokenizers", "zephyr"), WIDENED)) {
      assertThat(local.model().halfPrecisionWeights()).isNull();
      assertThat(greedy(local)).hasSize(16).containsExactly(kept);
    }
  }

  @Test
  void keptBf16ModelAndAdapterScoreLikeTheWidenedOnes() {
    Path base = tmp.resolve("base");
    Path adapter = tmp.resolve("adapter");
    ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(2).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 11, 0.5, m)) {
      model.save(base, Dtype.BF16, TestData.path("tokenizers", "zephyr"));
    }
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(base, m);
        LoraAdapter lora = LoraAdapter.create(model, LoraConfig.of(2, 4).withBaseModel(base.toString()), 1, m)) {
      TestAdapters.randomizeB(lora, 7, 1.0, m);
      PeftFiles.save(lora, adapter);
    }
    List<Loglikelihood> plainKept = score(base, null, KEPT);
    List<Loglikelihood> plainWidened = score(base, null, WIDENED);
    List<Loglikelihood> adaptedKept = score(base, adapter, KEPT);
    List<Loglikelihood> adaptedWidened = score(base, adapter, WIDENED);
    for (int i = 0; i < AdaptedLoglikelihoodTest.REQUESTS.size(); i++) {
      assertThat(plainKept.get(i).logprob()).isCloseTo(plainWidened.get(i).logprob(), within(1e-6));
      assertThat(plainKept.get(i).isGreedy()).isEqualTo(plainWidened.get(i).isGreedy());
      assertThat(adaptedKept.get(i).logprob()).isCloseTo(adaptedWidened.get(i).logprob(), within(1e-6));
      assertThat(adaptedKept.get(i).isGreedy()).isEqualTo(adaptedWidened.get(i).isGreedy());
      assertThat(Math.abs(adaptedKept.get(i).logprob() - plainKept.get(i).logprob()))
          .as("the adapter applies over the kept base, request " + i).isGreaterThan(1e-2);
    }
  }

  private static int[] greedy(LocalModel local) {
    int[] prompt = {1, 17, 300, 42, 9, 512};
    return new Generator(local.model(), null, local.manager())
        .generate(List.of(new GenerationRequest(prompt, SamplingParams.greedy(16)))).get(0).choices().get(0)
        .tokenIds();
  }

  private static List<Loglikelihood> score(Path base, Path adapter, LocalModel.Options options) {
    try (LocalModel local = LocalModel.open(base, adapter, null, options)) {
      if (options.keep16Bit()) {
        assertThat(local.model().halfPrecisionWeights().names()).contains("model.embed_tokens.weight");
      }
      return new LocalLoglikelihoodModel(local.model(), local.tokenizer(), local.manager(), 2048)
          .loglikelihood(AdaptedLoglikelihoodTest.REQUESTS);
    }
  }
}
