package dev.zephyr.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.cli.TinyModels;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.model.safetensors.TensorInfo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LoRA DPO example on a tiny checkpoint: PEFT files with the handbook's r and alpha, and TRL's metrics per step. */
class LoraDpoOnCheckpointTest {

  private static int run(ByteArrayOutputStream err, String... args) {
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true));
    try {
      return LoraDpoOnCheckpoint.run(args);
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void usageAndMissingFiles(@TempDir Path dir) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(err)).isEqualTo(2);
    assertThat(err.toString()).isEqualTo(LoraDpoOnCheckpoint.USAGE + System.lineSeparator());
    assertThat(LoraDpoOnCheckpoint.USAGE).contains("MODEL_DIR PREFERENCES.jsonl OUTPUT_DIR [MAX_STEPS]");
    assertThat(run(new ByteArrayOutputStream(), "m", "p", "o", "two")).isEqualTo(2);
    ByteArrayOutputStream missing = new ByteArrayOutputStream();
    assertThat(run(missing, dir.resolve("no-model").toString(), "p.jsonl", "out")).isEqualTo(1);
    assertThat(missing.toString()).contains("no config.json").contains("no-model");
  }

  @Test
  void twoStepsOnATinyCheckpointWritePeftFilesAndMetrics(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path prefs = TinyPreferences.write(dir);
    Path out = dir.resolve("dpo-lora");

    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(run(err, model.toString(), prefs.toString(), out.toString(), "2")).as(err.toString()).isZero();

    JsonNode config = Json.mapper().readTree(out.resolve("adapter_config.json").toFile());
    assertThat(config.get("peft_type").asText()).isEqualTo("LORA");
    assertThat(config.get("task_type").asText()).isEqualTo("CAUSAL_LM");
    assertThat(config.get("r").asInt()).isEqualTo(128);
    assertThat(config.get("lora_alpha").asInt()).isEqualTo(128);
    assertThat(config.get("lora_dropout").asDouble()).isEqualTo(0.05);
    assertThat(config.get("base_model_name_or_path").asText()).isEqualTo(model.toString());
    List<String> targets = new ArrayList<>();
    config.get("target_modules").forEach(t -> targets.add(t.asText()));
    assertThat(targets).containsExactlyInAnyOrder("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
        "down_proj");
    // one layer, seven projections, A and B each, under PEFT's names; A is [r, in]
    List<TensorInfo> tensors = Safetensors.readHeader(out.resolve("adapter_model.safetensors")).tensors();
    assertThat(tensors).hasSize(14);
    assertThat(tensors).extracting(TensorInfo::name).contains(
        "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
        "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
    TensorInfo qA = tensors.stream().filter(t -> t.name().endsWith("q_proj.lora_A.weight")).findFirst().orElseThrow();
    assertThat(qA.shape().getShape()).containsExactly(128L, 16L);
    assertThat(out.resolve("tokenizer.json")).isRegularFile();
    assertThat(out.resolve("model.safetensors")).doesNotExist();

    List<JsonNode> metrics = Jsonl.readAll(dir.resolve("dpo-lora-run/metrics.jsonl"));
    assertThat(metrics).extracting(m -> m.get("step").asInt()).containsExactly(1, 2);
    // B starts at zero, so at step 1 the policy is its reference: loss ln 2, zero rewards
    assertThat(metrics.get(0).get("loss").asDouble()).isCloseTo(Math.log(2), within(1e-4));
    assertThat(metrics.get(0).get("rewards/chosen").asDouble()).isCloseTo(0.0, within(1e-6));
    assertThat(metrics.get(1).has("rewards/accuracies")).isTrue();

    // the adapter loads onto its base by itself, and training moved B off zero
    try (NDManager m = NDManager.newBaseManager(); AdaptedModel loaded = AdaptedModel.open(out, m)) {
      float largest = 0;
      for (Map.Entry<String, NDArray> e : loaded.adapter().parameters().entrySet()) {
        if (e.getKey().endsWith(LoraAdapter.B)) {
          largest = Math.max(largest, e.getValue().abs().max().getFloat());
        }
      }
      assertThat(largest).isGreaterThan(0f);
    }
  }
}
