package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.train.loop.ChildJvm;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DPO run with cached reference log-probs, killed with SIGKILL after a checkpoint and run again, ends with the same
 * model, bit for bit, and the same metrics as an unbroken run.
 */
class DpoResumeAfterKillTest {

  private static Process start(Path model, Path data, Path out, long sleepMs, Path log, boolean lora)
      throws Exception {
    return ChildJvm.start(log, DpoKillRun.class, model.toString(), data.toString(), out.resolve("model").toString(),
        out.resolve("run").toString(), String.valueOf(sleepMs), lora ? "lora" : "full");
  }

  /** A two-layer random Llama with the Zephyr tokenizer. */
  static Path tinyModel(Path dir) throws Exception {
    ModelConfig config = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(32000).hiddenSize(16)
        .intermediateSize(32).numHiddenLayers(2).numAttentionHeads(2).numKeyValueHeads(1).rmsNormEps(1e-5)
        .ropeTheta(10000.0).maxPositionEmbeddings(128).bosTokenId(1).eosTokenIds(List.of(2)).build();
    Path model = dir.resolve("init");
    try (NDManager m = NDManager.newBaseManager(); LlamaModel lm = LlamaModel.random(config, 7, 0.2, m)) {
      lm.save(model);
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(TestData.path("tokenizers", "zephyr", f), model.resolve(f));
    }
    return model;
  }

  static Path preferences(Path dir) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      sb.append("{\"prompt\": \"What is %d plus %d?\", \"chosen\": \" %d.\", \"rejected\": \" %d, I think.\"}\n"
          .formatted(i, i + 1, 2 * i + 1, 2 * i + 3));
      sb.append(("{\"prompt\": [{\"role\": \"user\", \"content\": \"Spell %d.\"}], \"chosen\": [{\"role\": "
          + "\"assistant\", \"content\": \"%s\"}], \"rejected\": [{\"role\": \"assistant\", \"content\": \"No.\"}]}\n")
          .formatted(i, Integer.toString(i).chars().mapToObj(c -> String.valueOf((char) c)).toList()));
    }
    return Files.writeString(dir.resolve("prefs.jsonl"), sb);
  }

  @Test
  void killedDpoRunResumesToTheSameModel(@TempDir Path tmp) throws Exception {
    killAndResume(tmp, false);
  }

  /**
   * The same with LoRA adapters (and adapter dropout), resuming from a checkpoint in PEFT's layout: the adapter files
   * come out bit-identical.
   */
  @Test
  void killedLoraDpoRunResumesToTheSameAdapter(@TempDir Path tmp) throws Exception {
    killAndResume(tmp, true);
  }

  private static void killAndResume(Path tmp, boolean lora) throws Exception {
    String weights = lora ? "model/adapter_model.safetensors" : "model/model.safetensors";
    Path model = tinyModel(tmp);
    Path data = preferences(tmp);

    Path straight = tmp.resolve("straight");
    Process a = start(model, data, straight, 0, tmp.resolve("a.log"), lora);
    assertThat(a.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(a.exitValue()).as(Files.readString(tmp.resolve("a.log"))).isZero();

    Path broken = tmp.resolve("broken");
    Process b = start(model, data, broken, 200, tmp.resolve("b.log"), lora);
    long deadline = System.currentTimeMillis() + 180_000;
    while (!Files.exists(broken.resolve("run/checkpoint-4")) && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(broken.resolve("run/checkpoint-4")).exists();
    b.destroyForcibly(); // SIGKILL on Linux
    assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(broken.resolve("model")).as("killed before the end: no model yet").doesNotExist();
    assertThat(broken.resolve("run/checkpoint-" + DpoKillRun.STEPS)).doesNotExist();
    try (var s = Files.list(broken.resolve("run/ref_cache"))) {
      assertThat(s.count()).as("reference log-probs of the training and the held-out pairs, cached before training")
          .isEqualTo(2);
    }

    Process c = start(model, data, broken, 0, tmp.resolve("c.log"), lora);
    assertThat(c.waitFor(180, TimeUnit.SECONDS)).isTrue();
    String resumedLog = Files.readString(tmp.resolve("c.log"));
    assertThat(c.exitValue()).as(resumedLog).isZero();

    List<JsonNode> all1 = Jsonl.readAll(straight.resolve("run/metrics.jsonl"));
    List<JsonNode> all2 = Jsonl.readAll(broken.resolve("run/metrics.jsonl"));
    List<JsonNode> m1 = all1.stream().filter(n -> n.has("loss")).toList();
    List<JsonNode> m2 = all2.stream().filter(n -> n.has("loss")).toList();
    assertThat(m2).hasSize(DpoKillRun.STEPS);
    List<JsonNode> e1 = all1.stream().filter(n -> n.has("eval_loss")).toList();
    List<JsonNode> e2 = all2.stream().filter(n -> n.has("eval_loss")).toList();
    assertThat(e2.stream().map(n -> n.get("step").asLong())).containsExactly(3L, 6L, 9L, 12L);
    for (int i = 0; i < e1.size(); i++) {
      for (String k : List.of("eval_loss", "eval_rewards/accuracies", "eval_rewards/margins")) {
        assertThat(e2.get(i).get(k).asDouble()).as("eval %d %s", i, k).isEqualTo(e1.get(i).get(k).asDouble());
      }
    }
    for (int i = 0; i < DpoKillRun.STEPS; i++) {
      assertThat(m2.get(i).get("step").asLong()).isEqualTo(i + 1);
      for (String k : List.of("loss", "rewards/margins", "rewards/accuracies", "grad_norm")) {
        assertThat(m2.get(i).get(k).asDouble()).as("step %d %s", i + 1, k).isEqualTo(m1.get(i).get(k).asDouble());
      }
    }
    assertThat(Files.readAllBytes(broken.resolve(weights)))
        .isEqualTo(Files.readAllBytes(straight.resolve(weights)));
    if (lora) {
      // the output is the adapter as PEFT saves it, and it learned something: B is no longer zero
      assertThat(straight.resolve("model/adapter_config.json")).exists();
      assertThat(straight.resolve("model/model.safetensors")).doesNotExist();
      // checkpoints hold the adapter as TRL's do, in PEFT's files: the last one is the finished adapter
      Path last = straight.resolve("run/checkpoint-" + DpoKillRun.STEPS);
      assertThat(last.resolve("model.safetensors")).doesNotExist();
      for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
        assertThat(Files.readAllBytes(last.resolve(f))).as(f)
            .isEqualTo(Files.readAllBytes(straight.resolve("model/" + f)));
      }
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray loraB = Safetensors.load(straight.resolve(weights), m)
            .get("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
        assertThat(loraB.abs().max().getFloat()).isGreaterThan(0f);
      }
    } else {
      // the model learned something from the pairs: not the initial weights
      assertThat(Files.readAllBytes(straight.resolve("model/model.safetensors")))
          .isNotEqualTo(Files.readAllBytes(model.resolve("model.safetensors")));
    }
  }
}
