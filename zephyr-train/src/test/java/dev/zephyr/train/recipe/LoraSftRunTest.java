package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.LoraMerge;
import dev.zephyr.core.model.lora.PeftFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An SFT recipe with use_peft: PEFT files out, the base untouched, and the merge equal to base + adapter. */
class LoraSftRunTest {

  @Test
  void sftWithLoraWritesAPeftAdapterThatMergesToTheSameModel(@TempDir Path tmp) throws Exception {
    java.lang.reflect.Method tiny = DpoResumeAfterKillTest.class.getDeclaredMethod("tinyModel", Path.class);
    tiny.setAccessible(true);
    Path base = (Path) tiny.invoke(null, tmp);
    byte[] baseBytes = Files.readAllBytes(base.resolve("model.safetensors"));
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      rows.append(("{\"messages\": [{\"role\": \"user\", \"content\": \"Add %d and %d.\"}, {\"role\": \"assistant\","
          + " \"content\": \"%d\"}]}\n").formatted(i, i + 2, 2 * i + 2));
    }
    Path data = Files.writeString(tmp.resolve("sft.jsonl"), rows);
    Path out = tmp.resolve("adapter");
    SftConfig.Builder b = SftConfig.builder(out).modelNameOrPath(base).datasets(List.of(data)).maxLength(48)
        .lora(LoraConfig.of(4, 8).withDropout(0.05).withModulesToSave(List.of("lm_head")));
    b.training().learningRate(1e-2).maxSteps(4).perDeviceTrainBatchSize(2).loggingSteps(1).seed(1)
        .disableTqdm(true);
    TrainingRuns.sft(b.build());

    try (var files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
          "adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "tokenizer_config.json");
    }
    assertThat(Files.readAllBytes(base.resolve("model.safetensors"))).as("base untouched").isEqualTo(baseBytes);
    assertThat(Files.readString(out.resolve("adapter_config.json")))
        .contains("\"base_model_name_or_path\" : \"" + base + "\"");

    Path merged = tmp.resolve("merged");
    LoraMerge.mergeToDirectory(base, out, merged);
    try (NDManager m = NDManager.newBaseManager(); LlamaModel baseModel = LlamaModel.load(base, m);
        LoraAdapter adapter = PeftFiles.load(out, baseModel.config(), m);
        LlamaModel mergedModel = LlamaModel.load(merged, m); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      assertThat(mergedModel.config().tieWordEmbeddings()).isFalse();
      assertThat(mergedModel.parameters()).containsKey("lm_head.weight");
      NDArray ids = m.create(new long[] {1, 733, 28705, 28770, 304, 28705}, new Shape(1, 6));
      float[] viaAdapter = LogProbs.tokenLogProbs(baseModel.withAdapter(adapter), ids, null).toFloatArray();
      float[] viaMerge = LogProbs.tokenLogProbs(mergedModel, ids, null).toFloatArray();
      float[] plain = LogProbs.tokenLogProbs(baseModel, ids, null).toFloatArray();
      double diff = 0;
      double moved = 0;
      for (int i = 0; i < plain.length; i++) {
        diff = Math.max(diff, Math.abs(viaAdapter[i] - viaMerge[i]));
        moved = Math.max(moved, Math.abs(viaAdapter[i] - plain[i]));
      }
      assertThat(diff).isLessThan(1e-4);
      assertThat(moved).as("training changed the model").isGreaterThan(1e-3);
    }
  }
}
