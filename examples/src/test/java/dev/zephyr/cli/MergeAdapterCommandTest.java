package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code zephyr logprobs --adapter}; {@code zephyr merge-adapter}: a merged BF16 model from a BF16 base, and a clear error without adapter_config.json. */
class MergeAdapterCommandTest {

  @Test
  void mergesIntoTheBasesDtypeAndExplainsAMissingAdapterConfig(@TempDir Path tmp) throws Exception {
    Path base = TestData.path("fixtures", "qwen2-tied-bf16");
    Path adapter = tmp.resolve("adapter");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(base, m);
        LoraAdapter lora = LoraAdapter.create(model, LoraConfig.of(2, 4), 1, m)) {
      lora.parameters().get("model.layers.0.self_attn.q_proj.lora_B.weight").addi(0.5f);
      PeftFiles.save(lora, adapter);
    }
    // logprobs --adapter applies it: the values of base + adapter computed here, and not the base's own
    float[][] withAdapter;
    float[][] plain;
    int[] ids = {1, 5, 9, 3};
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(base, m);
        LoraAdapter lora = PeftFiles.load(adapter, model.config(), m)) {
      withAdapter = LogProbs.rows(model.withAdapter(lora), ids, m);
      plain = LogProbs.rows(model, ids, m);
    }
    CliRun lp = CliRun.of("logprobs", "--model", base.toString(), "--adapter", adapter.toString(), "--ids", "1,5,9,3");
    assertThat(lp.code()).as(lp.err()).isZero();
    float[][] printed = Json.mapper().readValue(lp.out().trim(), float[][][].class)[0];
    assertThat(printed).isDeepEqualTo(withAdapter);
    assertThat(java.util.Arrays.deepEquals(printed, plain)).as("the adapter changes the log-probs").isFalse();

    Path out = tmp.resolve("merged");
    CliRun r = CliRun.of("merge-adapter", "--model", base.toString(), "--adapter", adapter.toString(), "--out",
        out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Safetensors.readHeader(out.resolve("model.safetensors")).tensors()).allMatch(t -> t.dtype() == Dtype.BF16);
    assertThat(out.resolve("config.json")).exists();
    assertThat(Files.readAllBytes(out.resolve("model.safetensors")))
        .isNotEqualTo(Files.readAllBytes(base.resolve("model.safetensors")));

    CliRun missing = CliRun.of("merge-adapter", "--model", base.toString(), "--adapter", tmp.toString(), "--out",
        tmp.resolve("x").toString());
    assertThat(missing.code()).isNotZero();
    assertThat(missing.err()).contains("adapter_config.json").contains("is missing");
  }
}
