package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.train.dpo.ReferenceLogps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs over a BF16 checkpoint keep its frozen weights at 2 bytes (the LoRA base, a DPO reference) and train exactly as
 * over the same checkpoint widened to float32: widening is exact, so every logged loss is the same.
 */
class FrozenWeightsRunTest {
  @TempDir static Path tmp;
  static Path bf16;
  static Path f32;

  @BeforeAll
  static void checkpoints() throws Exception {
    ModelConfig config = ModelConfig.builder().modelType(ModelType.QWEN2).vocabSize(32000).hiddenSize(16)
        .intermediateSize(32).numHiddenLayers(2).numAttentionHeads(2).numKeyValueHeads(1).rmsNormEps(1e-6)
        .ropeTheta(10000.0).maxPositionEmbeddings(128).tieWordEmbeddings(true).bosTokenId(1)
        .eosTokenIds(List.of(2)).build();
    bf16 = tmp.resolve("bf16");
    f32 = tmp.resolve("f32");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel random = LlamaModel.random(config, 7, 0.2, m)) {
      random.save(bf16, Dtype.BF16, null);
    }
    try (NDManager m = NDManager.newBaseManager(); LlamaModel widened = LlamaModel.load(bf16, m)) {
      widened.save(f32, Dtype.F32, null);
    }
    for (Path dir : List.of(bf16, f32)) {
      for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
        Files.copy(TestData.path("tokenizers", "zephyr", f), dir.resolve(f));
      }
    }
  }

  @Test
  void aLoraBaseKeepsItsMatricesAt2BytesAndFullFineTuningWidens() {
    LoraConfig lora = LoraConfig.of(4, 8);
    try (NDManager m = NDManager.newBaseManager();
        LlamaModel base = FrozenWeights.loadBase(bf16, lora, true, m);
        LlamaModel full = FrozenWeights.loadBase(bf16, null, true, m);
        LlamaModel fromF32 = FrozenWeights.loadBase(f32, lora, true, m);
        LlamaModel withCopies = FrozenWeights.loadBase(bf16, lora.withModulesToSave(List.of("lm_head")), true,
            m)) {
      // 2 layers x 7 projections + the tied embedding kept; the 5 norm weights are float32 parameters
      assertThat(base.halfPrecisionWeights().names()).hasSize(15).contains("model.embed_tokens.weight",
          "model.layers.1.mlp.down_proj.weight");
      assertThat(base.halfPrecisionWeights().storedAs("model.layers.0.self_attn.q_proj.weight"))
          .isEqualTo(Dtype.BF16);
      assertThat(base.parameters().keySet()).allMatch(n -> n.endsWith("norm.weight") || n.endsWith(".bias"));
      assertThat(full.halfPrecisionWeights()).as("full fine-tuning trains float32 master weights").isNull();
      assertThat(fromF32.halfPrecisionWeights()).as("an F32 checkpoint has nothing to keep").isNull();
      assertThat(withCopies.halfPrecisionWeights().names()).hasSize(14)
          .doesNotContain("model.embed_tokens.weight");
      assertThat(ReferenceLogps.modelDigest(base)).as("a kept model digests as its float32 widening")
          .isEqualTo(ReferenceLogps.modelDigest(fromF32));
    }
  }

  @Test
  void loraSftOverABf16BaseLogsTheLossesOfItsFloat32Copy() throws Exception {
    Path data = sftData();
    List<Double> overBf16 = sftLosses(bf16, data, tmp.resolve("sft-bf16"));
    List<Double> overF32 = sftLosses(f32, data, tmp.resolve("sft-f32"));
    assertThat(overBf16).hasSize(4).isEqualTo(overF32);
    assertThat(overBf16.get(3)).as("training moved the loss").isNotEqualTo(overBf16.get(0));
  }

  @Test
  void dpoWithABf16ReferenceModelLogsTheLossesOfItsFloat32Copy() throws Exception {
    Path data = DpoResumeAfterKillTest.preferences(tmp);
    assertThat(dpoLosses(bf16, null, data, tmp.resolve("dpo-lora-bf16")))
        .isEqualTo(dpoLosses(f32, null, data, tmp.resolve("dpo-lora-f32")));
    List<Double> refBf16 = dpoLosses(f32, bf16, data, tmp.resolve("dpo-ref-bf16"), null);
    assertThat(refBf16).hasSize(3).isEqualTo(dpoLosses(f32, f32, data, tmp.resolve("dpo-ref-f32"), null));
  }

  private static Path sftData() throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      rows.append(("{\"messages\": [{\"role\": \"user\", \"content\": \"Add %d and %d.\"}, {\"role\": \"assistant\","
          + " \"content\": \"%d\"}]}\n").formatted(i, i + 2, 2 * i + 2));
    }
    return Files.writeString(tmp.resolve("sft.jsonl"), rows);
  }

  private static List<Double> sftLosses(Path model, Path data, Path out) {
    SftConfig.Builder b = SftConfig.builder(out.resolve("model")).modelNameOrPath(model).datasets(List.of(data))
        .maxLength(48).lora(LoraConfig.of(4, 8));
    // with checkpointing, the recommended setting over a 16-bit base (the DPO runs below go without)
    b.training().outputDir(out.resolve("run")).learningRate(1e-2).maxSteps(4).perDeviceTrainBatchSize(2)
        .loggingSteps(1).seed(1).disableTqdm(true).gradientCheckpointing(true);
    TrainingRuns.sft(b.build());
    return losses(out.resolve("run"));
  }

  private static List<Double> dpoLosses(Path model, Path ref, Path data, Path out) {
    return dpoLosses(model, ref, data, out, LoraConfig.of(4, 8));
  }

  private static List<Double> dpoLosses(Path model, Path ref, Path data, Path out, LoraConfig lora) {
    DpoConfig.Builder b = DpoConfig.builder(out.resolve("model")).modelNameOrPath(model).refModelNameOrPath(ref)
        .datasets(List.of(data)).maxLength(64).lora(lora);
    b.training().outputDir(out.resolve("run")).learningRate(1e-2).maxSteps(3).perDeviceTrainBatchSize(2)
        .loggingSteps(1).seed(1).disableTqdm(true);
    TrainingRuns.dpo(b.build());
    return losses(out.resolve("run"));
  }

  private static List<Double> losses(Path runDir) {
    List<Double> out = new ArrayList<>();
    for (JsonNode n : Jsonl.readAll(runDir.resolve("metrics.jsonl"))) {
      if (n.has("loss")) {
        out.add(n.get("loss").asDouble());
      }
    }
    return out;
  }
}
