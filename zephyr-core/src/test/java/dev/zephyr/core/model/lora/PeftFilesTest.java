package dev.zephyr.core.model.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.testing.TorchThreads;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapter directories as PEFT writes them: hand-assembled ones load, ours round-trip, wrong ones are refused. */
class PeftFilesTest {
  static NDManager manager;
  static int threads;
  @TempDir Path tmp;

  @BeforeAll
  static void open() {
    threads = TorchThreads.useOne();
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
    TorchThreads.restore(threads);
  }

  static ModelConfig tiny() {
    return ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(53).hiddenSize(16).numAttentionHeads(4)
        .numKeyValueHeads(2).intermediateSize(24).numHiddenLayers(2).build();
  }

  /** adapter_config.json as PEFT 0.13 writes it for r 4, alpha 16, q_proj and v_proj. */
  static final String PEFT_CONFIG = """
      {
        "alpha_pattern": {},
        "auto_mapping": null,
        "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M",
        "bias": "none",
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "layer_replication": null,
        "layers_pattern": null,
        "layers_to_transform": null,
        "loftq_config": {},
        "lora_alpha": 16,
        "lora_dropout": 0.05,
        "megatron_config": null,
        "megatron_core": "megatron.core",
        "modules_to_save": null,
        "peft_type": "LORA",
        "r": 4,
        "rank_pattern": {},
        "revision": null,
        "target_modules": [
          "v_proj",
          "q_proj"
        ],
        "task_type": "CAUSAL_LM",
        "use_dora": false,
        "use_rslora": false
      }
      """;

  /** A safetensors file assembled byte by byte: u64 header length, JSON header, little-endian F32 data. */
  static void writeSafetensors(Path file, Map<String, float[]> data, Map<String, long[]> shapes) throws Exception {
    StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Map.Entry<String, float[]> e : data.entrySet()) {
      long begin = body.size();
      ByteBuffer buf = ByteBuffer.allocate(e.getValue().length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float f : e.getValue()) {
        buf.putFloat(f);
      }
      body.write(buf.array());
      long[] shape = shapes.get(e.getKey());
      header.append(",\"").append(e.getKey()).append("\":{\"dtype\":\"F32\",\"shape\":[").append(shape[0]).append(',')
          .append(shape[1]).append("],\"data_offsets\":[").append(begin).append(',').append(body.size()).append("]}");
    }
    header.append('}');
    while ((header.length() + 8) % 8 != 0) {
      header.append(' ');
    }
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(len.array());
    out.write(h);
    out.write(body.toByteArray());
    Files.write(file, out.toByteArray());
  }

  static float[] random(SplittableRandom rng, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((rng.nextDouble() - 0.5) * scale);
    }
    return v;
  }

  /** The hand-written adapter: A and B for q_proj [16 x 16] and v_proj [8 x 16] in both layers. */
  static Map<String, float[]> handAdapter(Map<String, long[]> shapes, int r) {
    SplittableRandom rng = new SplittableRandom(77);
    Map<String, float[]> data = new LinkedHashMap<>();
    for (int layer = 0; layer < 2; layer++) {
      for (String[] proj : new String[][] {{"q_proj", "16"}, {"v_proj", "8"}}) {
        int out = Integer.parseInt(proj[1]);
        String p = "base_model.model.model.layers." + layer + ".self_attn." + proj[0];
        data.put(p + ".lora_A.weight", random(rng, r * 16, 0.5));
        shapes.put(p + ".lora_A.weight", new long[] {r, 16});
        data.put(p + ".lora_B.weight", random(rng, out * r, 0.5));
        shapes.put(p + ".lora_B.weight", new long[] {out, r});
      }
    }
    return data;
  }

  @Test
  void anAdapterLaidOutAsPeftLaysItOutGivesTheLogProbsOfItsMergedWeights() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("peft"));
    Files.writeString(dir.resolve("adapter_config.json"), PEFT_CONFIG);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    Map<String, float[]> data = handAdapter(shapes, 4);
    writeSafetensors(dir.resolve("adapter_model.safetensors"), data, shapes);

    try (LlamaModel base = LlamaModel.random(tiny(), 3, 0.3, manager);
        LoraAdapter lora = PeftFiles.load(dir, base.config(), manager);
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      assertThat(lora.config().targetModules()).containsExactly("q_proj", "v_proj");
      assertThat(lora.config().scaling()).isEqualTo(4.0);
      assertThat(lora.config().loraDropout()).isEqualTo(0.05);
      // merged by hand from the bytes we wrote, not through the adapter
      Map<String, NDArray> merged = new LinkedHashMap<>(base.parameters());
      for (int layer = 0; layer < 2; layer++) {
        for (String[] proj : new String[][] {{"q_proj", "16"}, {"v_proj", "8"}}) {
          int out = Integer.parseInt(proj[1]);
          String p = "model.layers." + layer + ".self_attn." + proj[0];
          float[] w = base.parameters().get(p + ".weight").toFloatArray();
          float[] m = LoraAdapterTest.handMerge(w, data.get("base_model.model." + p + ".lora_B.weight"),
              data.get("base_model.model." + p + ".lora_A.weight"), out, 16, 4, 4.0);
          merged.put(p + ".weight", manager.create(m, new Shape(out, 16)));
        }
      }
      LlamaModel mergedModel = new LlamaModel(base.config(), merged, null);
      NDArray ids = manager.create(new long[] {1, 4, 9, 16, 25, 36, 49, 2, 3, 5}, new Shape(1, 10));
      float[] expected = LogProbs.tokenLogProbs(mergedModel, ids, null).toFloatArray();
      float[] got = LogProbs.tokenLogProbs(base.withAdapter(lora), ids, null).toFloatArray();
      float[] plain = LogProbs.tokenLogProbs(base, ids, null).toFloatArray();
      assertThat(LoraAdapterTest.maxAbsDiff(got, expected)).isLessThan(1e-4f);
      assertThat(LoraAdapterTest.maxAbsDiff(got, plain)).isGreaterThan(1e-2f);
    }
  }

  @Test
  void oursRoundTripsAndWritesPeftNamesAndConfig() throws Exception {
    Path dir = tmp.resolve("ours");
    LoraConfig config = LoraConfig.of(8, 16).withDropout(0.05).withModulesToSave(List.of("embed_tokens"))
        .withBaseModel("base-dir");
    try (LlamaModel base = LlamaModel.random(tiny(), 3, 0.3, manager);
        LoraAdapter lora = LoraAdapter.create(base, config, 1, manager)) {
      PeftFiles.save(lora, dir);
      JsonNode j = Json.mapper().readTree(Files.readString(dir.resolve("adapter_config.json")));
      assertThat(j.get("peft_type").asText()).isEqualTo("LORA");
      assertThat(j.get("task_type").asText()).isEqualTo("CAUSAL_LM");
      assertThat(j.get("r").asInt()).isEqualTo(8);
      assertThat(j.get("lora_alpha").isIntegralNumber()).isTrue();
      assertThat(j.get("lora_alpha").asInt()).isEqualTo(16);
      assertThat(j.get("bias").asText()).isEqualTo("none");
      assertThat(j.get("use_rslora").asBoolean()).isFalse();
      assertThat(j.get("base_model_name_or_path").asText()).isEqualTo("base-dir");
      assertThat(j.get("target_modules").toString())
          .isEqualTo("[\"q_proj\",\"k_proj\",\"v_proj\",\"o_proj\",\"gate_proj\",\"up_proj\",\"down_proj\"]");
      assertThat(j.get("modules_to_save").toString()).isEqualTo("[\"embed_tokens\"]");
      var names = Safetensors.readHeader(dir.resolve("adapter_model.safetensors")).tensors().stream()
          .map(t -> t.name()).toList();
      assertThat(names).contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
          "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", "base_model.model.model.embed_tokens.weight")
          .hasSize(2 * 7 * 2 + 1);
      try (LoraAdapter back = PeftFiles.load(dir, base.config(), manager)) {
        assertThat(back.config()).isEqualTo(config);
        lora.parameters().forEach((k, v) ->
            assertThat(back.parameters().get(k).toFloatArray()).as(k).containsExactly(v.toFloatArray()));
      }
    }
  }

  @Test
  void aRegexTargetSelectingWholeProjectionsIsAccepted() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("regex"));
    Files.writeString(dir.resolve("adapter_config.json"),
        PEFT_CONFIG.replace("[\n    \"v_proj\",\n    \"q_proj\"\n  ]", "\".*\\\\.(q|v)_proj\""));
    assertThat(PeftFiles.readConfig(dir, tiny()).targetModules()).containsExactly("q_proj", "v_proj");
    Files.writeString(dir.resolve("adapter_config.json"),
        PEFT_CONFIG.replace("[\n    \"v_proj\",\n    \"q_proj\"\n  ]", "\".*layers\\\\.0\\\\..*q_proj\""));
    assertThatThrownBy(() -> PeftFiles.readConfig(dir, tiny())).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("target_modules").hasMessageContaining("1 of 2 layers");
  }

  @Test
  void aDirectoryWithoutAdapterConfigSaysWhatIsMissing() {
    assertThatThrownBy(() -> PeftFiles.load(tmp, tiny(), manager)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("adapter_config.json").hasMessageContaining("is missing")
        .hasMessageContaining("adapter_model.safetensors");
  }

  @Test
  void aRankThatDisagreesWithTheConfigIsRefusedNamingTheTensor() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("rank"));
    Files.writeString(dir.resolve("adapter_config.json"), PEFT_CONFIG.replace("\"r\": 4", "\"r\": 8"));
    Map<String, long[]> shapes = new LinkedHashMap<>();
    writeSafetensors(dir.resolve("adapter_model.safetensors"), handAdapter(shapes, 4), shapes);
    assertThatThrownBy(() -> PeftFiles.load(dir, tiny(), manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape (4, 16)")
        .hasMessageContaining("r = 8");
  }

  @Test
  void anAdapterForAnotherArchitectureIsRefusedNamingTheTensor() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("gpt2"));
    Files.writeString(dir.resolve("adapter_config.json"), PEFT_CONFIG);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    Map<String, float[]> data = handAdapter(shapes, 4);
    data.put("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", new float[4 * 16]);
    shapes.put("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", new long[] {4, 16});
    writeSafetensors(dir.resolve("adapter_model.safetensors"), data, shapes);
    assertThatThrownBy(() -> PeftFiles.load(dir, tiny(), manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight' does not belong");
  }

  @Test
  void anAdapterMissingATargetedTensorIsRefusedNamingIt() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("short"));
    Files.writeString(dir.resolve("adapter_config.json"), PEFT_CONFIG);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    Map<String, float[]> data = handAdapter(shapes, 4);
    data.remove("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
    writeSafetensors(dir.resolve("adapter_model.safetensors"), data, shapes);
    assertThatThrownBy(() -> PeftFiles.load(dir, tiny(), manager)).isInstanceOf(CheckpointException.class)
        .hasMessageContaining("missing tensor 'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'");
  }

  @Test
  void peftOptionsThatAreNotImplementedAreRefusedByName() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("dora"));
    Files.writeString(dir.resolve("adapter_config.json"), PEFT_CONFIG.replace("\"use_dora\": false",
        "\"use_dora\": true"));
    assertThatThrownBy(() -> PeftFiles.readConfig(dir, tiny())).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("use_dora").hasMessageContaining("DoRA");
    Files.writeString(dir.resolve("adapter_config.json"), PEFT_CONFIG.replace("\"rank_pattern\": {}",
        "\"rank_pattern\": {\"q_proj\": 8}"));
    assertThatThrownBy(() -> PeftFiles.readConfig(dir, tiny())).hasMessageContaining("rank_pattern");
    Files.writeString(dir.resolve("adapter_config.json"), PEFT_CONFIG.replace("\"peft_type\": \"LORA\"",
        "\"peft_type\": \"IA3\""));
    assertThatThrownBy(() -> PeftFiles.readConfig(dir, tiny())).hasMessageContaining("peft_type")
        .hasMessageContaining("IA3");
  }

  @Test
  void mergeWritesAFullModelInTheBasesDtype() throws Exception {
    Path baseDir = tmp.resolve("base");
    Path adapterDir = tmp.resolve("adapter");
    Path out = tmp.resolve("merged");
    try (LlamaModel base = LlamaModel.random(tiny(), 3, 0.3, manager)) {
      base.save(baseDir, Dtype.BF16, null);
    }
    try (LlamaModel base = LlamaModel.load(baseDir, manager);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(2, 4), 1, manager)) {
      LoraAdapterTest.randomiseB(lora, 5);
      PeftFiles.save(lora, adapterDir);
      LoraMerge.mergeToDirectory(baseDir, adapterDir, out);
      assertThat(Safetensors.readHeader(out.resolve("model.safetensors")).tensors())
          .allMatch(t -> t.dtype() == Dtype.BF16);
      try (LlamaModel merged = LlamaModel.load(out, manager); NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        NDArray ids = manager.create(new long[] {1, 4, 9, 16, 25}, new Shape(1, 5));
        float[] viaAdapter = LogProbs.tokenLogProbs(base.withAdapter(lora), ids, null).toFloatArray();
        float[] viaMerged = LogProbs.tokenLogProbs(merged, ids, null).toFloatArray();
        float[] plain = LogProbs.tokenLogProbs(base, ids, null).toFloatArray();
        // BF16 rounding of the merged weights is the only difference
        float rounding = LoraAdapterTest.maxAbsDiff(viaAdapter, viaMerged);
        assertThat(rounding).isLessThan(0.05f);
        assertThat(LoraAdapterTest.maxAbsDiff(viaAdapter, plain)).isGreaterThan(4 * rounding);
      }
    }
  }
}
