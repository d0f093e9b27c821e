package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.core.model.lora.LoraMerge;
import dev.zephyr.core.model.lora.PeftFiles;
import dev.zephyr.core.testing.TestAdapters;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.WarnLines;
import dev.zephyr.train.dpo.DpoData;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.ReferenceLogps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The handbook's QLoRA DPO step: {@code model_name_or_path} is an SFT adapter directory. The run starts from the base
 * with that adapter merged, trains a new adapter over it with the merged model as reference, and the new adapter
 * names the SFT adapter directory as its base.
 */
class DpoFromAdapterRunTest {
  private static final int PAIRS = 20;
  private static final int MAX_LENGTH = 64;

  /** A LoRA SFT adapter over {@code base} that changes the model (B is not zero), without tokenizer files. */
  private static Path sftAdapter(Path base, Path dir) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = LlamaModel.load(base, m);
        LoraAdapter lora = LoraAdapter.create(model, LoraConfig.of(4, 8).withBaseModel(base.toString()), 3, m)) {
      TestAdapters.randomizeB(lora, 11, 0.5, m);
      PeftFiles.save(lora, dir);
    }
    return dir;
  }

  private static DpoConfig dpo(Path model, Path out) {
    DpoConfig.Builder b = DpoConfig.builder(out).modelNameOrPath(model).datasets(List.of(out.resolveSibling(
        "prefs.jsonl"))).maxLength(MAX_LENGTH).lora(LoraConfig.of(2, 4));
    // one batch holds every pair, so the logged means cover the same pairs whatever the shuffle
    b.training().learningRate(1e-2).maxSteps(1).perDeviceTrainBatchSize(PAIRS).loggingSteps(1).seed(5)
        .saveSteps(0).disableTqdm(true);
    return b.build();
  }

  @Test
  void dpoFromAnSftAdapterStartsAtTheMergedModelAndWritesAnAdapterOverIt(@TempDir Path tmp) throws Exception {
    Path base = DpoResumeAfterKillTest.tinyModel(tmp);
    DpoResumeAfterKillTest.preferences(tmp);
    Path sft = sftAdapter(base, tmp.resolve("sft-adapter"));
    Path out = tmp.resolve("dpo-adapter");

    List<String> warnings = WarnLines.during(Adapted.class, () -> TrainingRuns.dpo(dpo(sft, out)));

    JsonNode first = Jsonl.readAll(RunDirs.besides(out).resolve("metrics.jsonl")).get(0);
    assertThat(first.get("loss").asDouble()).as("reference = policy at step 1").isCloseTo(Math.log(2), within(1e-6));
    double[] expected = mergedMeanLogps(base, sft, tmp.resolve("prefs.jsonl"));
    double[] unmerged = unmergedMeanLogps(base, sft, tmp.resolve("prefs.jsonl"));
    assertThat(first.get("logps/chosen").asDouble()).isCloseTo(expected[0], within(1e-5));
    assertThat(first.get("logps/rejected").asDouble()).isCloseTo(expected[1], within(1e-5));
    assertThat(expected[0]).as("the merge is the base with the adapter applied").isCloseTo(unmerged[0], within(1e-3));
    assertThat(expected[0]).as("the SFT adapter matters").isNotCloseTo(unmerged[2], within(1e-2));

    JsonNode config = Json.mapper().readTree(out.resolve("adapter_config.json").toFile());
    assertThat(config.get("base_model_name_or_path").asText()).isEqualTo(sft.toString());
    assertThat(out.resolve("tokenizer.json")).as("the base's tokenizer, the SFT adapter has none")
        .hasSameBinaryContentAs(base.resolve("tokenizer.json"));
    assertThat(warnings).singleElement().asString().contains(out.toString()).contains("--model " + sft)
        .contains("merge_and_unload");

    // the new adapter over the merged SFT model, whether named alone or with the SFT adapter as --model
    try (NDManager m = NDManager.newBaseManager();
        AdaptedModel alone = AdaptedModel.load(AdaptedModel.Source.of(out, null), m);
        AdaptedModel explicit = AdaptedModel.load(AdaptedModel.Source.of(sft, out), m);
        LlamaModel mergedSft = AdaptedModel.loadMerged(sft, m);
        LoraAdapter dpoAdapter = PeftFiles.load(out, mergedSft.config(), m);
        NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      NDArray ids = m.create(new long[] {1, 733, 28705, 28770, 304, 28705}, new Shape(1, 6));
      float[] want = LogProbs.tokenLogProbs(mergedSft.withAdapter(dpoAdapter), ids, null).toFloatArray();
      assertThat(LogProbs.tokenLogProbs(alone.model(), ids, null).toFloatArray()).containsExactly(want);
      assertThat(LogProbs.tokenLogProbs(explicit.model(), ids, null).toFloatArray()).containsExactly(want);
      float[] sftOnly = LogProbs.tokenLogProbs(mergedSft, ids, null).toFloatArray();
      assertThat(maxDiff(want, sftOnly)).as("one DPO step moved the adapter").isGreaterThan(1e-4);
    }
  }

  @Test
  void anAdapterWhoseBaseIsMissingNamesBaseModelNameOrPath(@TempDir Path tmp) throws Exception {
    Path base = DpoResumeAfterKillTest.tinyModel(tmp);
    DpoResumeAfterKillTest.preferences(tmp);
    Path sft = sftAdapter(base, tmp.resolve("sft-adapter"));
    Path config = sft.resolve(PeftFiles.CONFIG);
    Files.writeString(config, Files.readString(config).replace(base.toString(), tmp.resolve("gone").toString()));
    Path out = tmp.resolve("dpo-adapter");
    assertThatThrownBy(() -> TrainingRuns.dpo(dpo(sft, out))).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(config.toString()).hasMessageContaining("base_model_name_or_path")
        .hasMessageContaining(tmp.resolve("gone").toString());
    assertThat(out).doesNotExist();
  }

  @Test
  void aRewardModelFromAnSftAdapterStartsFromTheMergedDecoder(@TempDir Path tmp) throws Exception {
    Path base = RewardRunTest.tinyModel(tmp);
    Path sft = sftAdapter(base, tmp.resolve("sft-adapter"));
    Path out = tmp.resolve("rm");
    RewardConfig.Builder b = RewardConfig.builder(out).modelNameOrPath(sft)
        .datasets(List.of(RewardRunTest.comparisons(tmp))).maxLength(MAX_LENGTH);
    // a step too small to move a weight by 1e-6: what is written is the starting decoder
    b.training().learningRate(1e-9).maxSteps(1).perDeviceTrainBatchSize(4).saveSteps(0).disableTqdm(true);
    TrainingRuns.reward(b.build());

    String q = "model.layers.1.self_attn.q_proj.weight";
    try (NDManager m = NDManager.newBaseManager(); LlamaModel merged = AdaptedModel.loadMerged(sft, m);
        LlamaModel plain = LlamaModel.load(base, m)) {
      float[] written = dev.zephyr.core.model.safetensors.Safetensors.load(out, m).get(q).toFloatArray();
      float[] want = merged.parameters().get(q).toFloatArray();
      for (int i = 0; i < want.length; i++) {
        assertThat(written[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6f));
      }
      assertThat(maxDiff(want, plain.parameters().get(q).toFloatArray())).as("the SFT adapter matters")
          .isGreaterThan(1e-3);
    }
    assertThat(out.resolve("tokenizer.json")).hasSameBinaryContentAs(base.resolve("tokenizer.json"));
  }

  /** Mean chosen and rejected log-probs over every pair under base + SFT adapter merged by {@link LoraMerge}. */
  private static double[] mergedMeanLogps(Path base, Path sft, Path prefs) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel plain = LlamaModel.load(base, m);
        LoraAdapter adapter = PeftFiles.load(sft, plain.config(), m); NDManager merged = m.newSubManager();
        LlamaModel model = new LlamaModel(LoraMerge.mergedConfig(plain.config(), adapter.config()),
            LoraMerge.mergedParameters(plain, adapter, merged), null)) {
      double[] r = means(model, pairs(base, prefs));
      return new double[] {r[0], r[1]};
    }
  }

  /** Chosen and rejected means with the adapter applied unmerged, then the chosen mean of the bare base. */
  private static double[] unmergedMeanLogps(Path base, Path sft, Path prefs) {
    try (NDManager m = NDManager.newBaseManager(); LlamaModel plain = LlamaModel.load(base, m);
        LoraAdapter adapter = PeftFiles.load(sft, plain.config(), m)) {
      List<DpoExample> pairs = pairs(base, prefs);
      double[] adapted = means(plain.withAdapter(adapter), pairs);
      return new double[] {adapted[0], adapted[1], means(plain, pairs)[0]};
    }
  }

  private static List<DpoExample> pairs(Path base, Path prefs) {
    try (Tokenizer t = Tokenizer.load(base)) {
      List<DpoExample> pairs = DpoData.prepare(prefs, ChatTokenizer.of(t), MAX_LENGTH);
      assertThat(pairs).hasSize(PAIRS);
      return pairs;
    }
  }

  private static double[] means(LlamaModel model, List<DpoExample> pairs) {
    List<DpoExample> scored = ReferenceLogps.compute(model, pairs, PAIRS);
    return new double[] {scored.stream().mapToDouble(DpoExample::refChosenLogp).average().orElseThrow(),
        scored.stream().mapToDouble(DpoExample::refRejectedLogp).average().orElseThrow()};
  }

  private static double maxDiff(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }
}
