package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.LoraMerge;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.core.testing.TestAdapters;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter trained over an SFT adapter (its {@code base_model_name_or_path} names the SFT adapter directory, as
 * {@code zephyr dpo} writes it when started from one) loads as the README says: {@code --model SFT_ADAPTER_DIR
 * --adapter OUT}, or {@code --model OUT} alone, giving the base with both adapters merged in turn.
 */
class StackedAdapterCommandsTest {
  @TempDir Path dir;

  @Test
  void logprobsOverAnSftAdapterEqualsTheTwiceMergedModel() throws Exception {
    Path base = dir.resolve("base");
    Path sft = dir.resolve("sft-adapter");
    Path dpo = dir.resolve("dpo-adapter");
    ModelConfig c = ModelConfig.builder().vocabSize(64).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(1).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(c, 3, 0.5, m);
        LoraAdapter first = LoraAdapter.create(model, LoraConfig.of(2, 4).withBaseModel(base.toString()), 1, m);
        LoraAdapter second = LoraAdapter.create(model, LoraConfig.of(2, 4).withBaseModel(sft.toString()), 2, m)) {
      model.save(base);
      TestAdapters.randomizeB(first, 5, 1.0, m);
      TestAdapters.randomizeB(second, 6, 1.0, m);
      PeftFiles.save(first, sft);
      PeftFiles.save(second, dpo);
    }
    // the expectation through plain model directories only: base + sft merged, then + dpo merged
    Path sftMerged = dir.resolve("sft-merged");
    LoraMerge.mergeToDirectory(base, sft, sftMerged);
    Path bothMerged = dir.resolve("both-merged");
    LoraMerge.mergeToDirectory(sftMerged, dpo, bothMerged);

    JsonNode want = logprobs("--model", bothMerged.toString());
    assertMatches(logprobs("--model", sft.toString(), "--adapter", dpo.toString()), want);
    assertMatches(logprobs("--model", dpo.toString()), want);
    JsonNode sftOnly = logprobs("--model", sftMerged.toString());
    assertThat(Math.abs(sftOnly.get(0).get(2).get(7).asDouble() - want.get(0).get(2).get(7).asDouble()))
        .as("the second adapter matters").isGreaterThan(1e-3);
    assertThat(AdaptedModel.Source.of(dpo, null)).isEqualTo(new AdaptedModel.Source(sft, dpo));
  }

  private static JsonNode logprobs(String... modelArgs) throws Exception {
    String[] args = new String[modelArgs.length + 3];
    args[0] = "logprobs";
    System.arraycopy(modelArgs, 0, args, 1, modelArgs.length);
    args[modelArgs.length + 1] = "--ids";
    args[modelArgs.length + 2] = "1,17,30,42,9";
    CliRun r = CliRun.of(args);
    assertThat(r.code()).as(r.err()).isZero();
    return Json.mapper().readTree(r.out());
  }

  private static void assertMatches(JsonNode got, JsonNode want) {
    assertThat(got.get(0).size()).isEqualTo(want.get(0).size());
    for (int p = 0; p < want.get(0).size(); p++) {
      for (int v = 0; v < want.get(0).get(p).size(); v++) {
        assertThat(got.get(0).get(p).get(v).asDouble())
            .isCloseTo(want.get(0).get(p).get(v).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
      }
    }
  }
}
