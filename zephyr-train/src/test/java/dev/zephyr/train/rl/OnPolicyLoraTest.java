package dev.zephyr.train.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.lora.LoraTraining;
import dev.zephyr.train.reward.RewardModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PPO and RLOO with LoRA: the reference is the base with the adapters off, only the adapters (and the critic's
 * adapters and head) train, and checkpoints hold the policy's adapter as PEFT files.
 */
class OnPolicyLoraTest {

  /** Adapters whose B is not zero, so that the policy differs from its base. */
  private static void randomiseB(LoraAdapter lora) {
    SplittableRandom rng = new SplittableRandom(4);
    lora.parameters().forEach((name, a) -> {
      if (name.endsWith(LoraAdapter.B)) {
        float[] v = new float[Math.toIntExact(a.size())];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (rng.nextDouble() - 0.5);
        }
        a.set(v);
      }
    });
  }

  private static TrainableWeights adapterWeights(LoraAdapter lora) {
    return new TrainableWeights(lora.parameters(), LoraTraining.checkpointWeights(lora.config()));
  }

  private static LlamaModel copyOf(LlamaModel model, NDManager m) {
    Map<String, NDArray> copied = new LinkedHashMap<>();
    model.parameters().forEach((k, v) -> {
      NDArray c = v.duplicate();
      c.attach(m);
      copied.put(k, c);
    });
    return new LlamaModel(model.config(), copied, null);
  }

  private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toFloatArray()));
    return out;
  }

  @Test
  void theReferenceLogProbsAreThePlainBaseModelsWhileThePolicysDiffer(@TempDir Path tmp) {
    RlooConfig c = OnPolicyToyTest.rloo(tmp);
    List<int[]> queries = List.of(new int[] {1, 4, 9}, new int[] {1, 7, 3});
    List<int[]> responses = List.of(new int[] {5, 8, 2}, new int[] {6, 5});
    try (NDManager m = NDManager.newBaseManager(); LlamaModel base = ToyWorld.policy(m);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(4, 8), 1, m); NDManager copies = m.newSubManager()) {
      randomiseB(lora);
      LlamaModel plain = copyOf(base, copies);
      try (RlooTrainer t = new RlooTrainer(c, base.withAdapter(lora), adapterWeights(lora), base,
          ToyWorld.TARGET_FRACTION, ToyWorld.prompts(8))) {
        double[][] ref = t.logprobs(t.reference, queries, responses, 3);
        double[][] pol = t.logprobs(t.policy, queries, responses, 3);
        double moved = 0;
        for (int b = 0; b < queries.size(); b++) {
          int[] q = queries.get(b);
          int[] r = responses.get(b);
          int[] ids = ResponseBatch.concat(q, r);
          // a plain forward of the untouched copy: row q.length - 1 + t predicts response token t
          float[][] rows = LogProbs.rows(plain, ids, copies);
          for (int i = 0; i < r.length; i++) {
            // the trainer divides the logits by temperature + 1e-7 (TRL's scoring); the toy's temperature is 1
            assertThat(ref[b][i]).as("row %d token %d", b, i).isCloseTo(rows[q.length - 1 + i][r[i]], within(2e-5));
            moved = Math.max(moved, Math.abs(pol[b][i] - ref[b][i]));
          }
        }
        assertThat(moved).as("the adapters change the policy").isGreaterThan(1e-2);
      }
    }
  }

  @Test
  void onlyTheAdaptersAndTheCriticsAdaptersAndHeadTrain(@TempDir Path tmp) {
    PpoConfig.Builder b = PpoConfig.builder(tmp.resolve("model")).onPolicy(OnPolicyToyTest.toyRollouts());
    b.training().learningRate(1e-2).perDeviceTrainBatchSize(4).maxSteps(2).saveSteps(1).seed(3);
    PpoConfig c = b.build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel base = ToyWorld.policy(m);
        RewardModel value = ToyWorld.valueModel(m);
        LoraAdapter lora = LoraAdapter.create(base, LoraConfig.of(4, 8), 1, m);
        LoraAdapter valueLora = LoraAdapter.create(value.decoder(), LoraConfig.of(4, 8), 2, m)) {
      Map<String, float[]> baseBefore = snapshot(base.parameters());
      Map<String, float[]> valueBefore = snapshot(value.decoder().parameters());
      NDArray head = value.parameters().get(RewardModel.SCORE);
      head.set(new float[ToyWorld.CONFIG.hiddenSize()]); // zero, so that any change is training
      RewardModel critic = new RewardModel(value.decoder().withAdapter(valueLora), head);
      Map<String, NDArray> criticTrainable = new LinkedHashMap<>(valueLora.parameters());
      criticTrainable.put(RewardModel.SCORE, head);
      try (PpoTrainer t = new PpoTrainer(c, base.withAdapter(lora), adapterWeights(lora), base, critic,
          criticTrainable, ToyWorld.TARGET_FRACTION, ToyWorld.prompts(16))) {
        assertThat(t.params.keySet()).as("what the optimizer holds").allMatch(
            n -> n.endsWith(".lora_A.weight") || n.endsWith(".lora_B.weight") || n.equals("value_model.score.weight"))
            .contains("value_model.score.weight", "value_model.model.layers.0.self_attn.q_proj.lora_B.weight",
                "model.layers.1.mlp.down_proj.lora_A.weight")
            .hasSize(lora.parameters().size() + valueLora.parameters().size() + 1);
        t.train();
      }
      base.parameters().forEach((k, v) -> {
        assertThat(v.toFloatArray()).as(k).containsExactly(baseBefore.get(k));
        assertThat(v.hasGradient()).as(k + " has no gradient array").isFalse();
      });
      value.decoder().parameters().forEach((k, v) -> assertThat(v.toFloatArray()).as("value " + k)
          .containsExactly(valueBefore.get(k)));
      assertThat(lora.parameters().get("model.layers.0.self_attn.q_proj.lora_B.weight").toFloatArray())
          .as("the policy's B learned").isNotEqualTo(new float[16 * 4]);
      assertThat(valueLora.parameters().get("model.layers.0.mlp.up_proj.lora_B.weight").toFloatArray())
          .as("the critic's B learned").isNotEqualTo(new float[32 * 4]);
      assertThat(head.toFloatArray()).as("the value head learned").isNotEqualTo(new float[16]);
    }
    Path checkpoint = c.training().outputDir().resolve("checkpoint-2");
    assertThat(checkpoint.resolve("adapter_config.json")).exists();
    assertThat(checkpoint.resolve("adapter_model.safetensors")).exists();
    assertThat(checkpoint.resolve(PpoTrainer.VALUE_FILE)).exists();
    assertThat(checkpoint.resolve("model.safetensors")).as("no full model in a LoRA checkpoint").doesNotExist();
  }

  @Test
  void sampleGenerationsAreSpacedAsTrlSpacesThem() {
    // TRL: every max(1, updates // num_sample_generations) updates, starting after the first
    SampleGenerations three = new SampleGenerations(3, 10);
    assertThat(java.util.stream.LongStream.rangeClosed(1, 10).filter(three::dueAfter).toArray())
        .containsExactly(1, 4, 7, 10);
    SampleGenerations many = new SampleGenerations(10, 4);
    assertThat(java.util.stream.LongStream.rangeClosed(1, 4).filter(many::dueAfter).toArray())
        .containsExactly(1, 2, 3, 4);
    SampleGenerations off = new SampleGenerations(0, 4);
    assertThat(java.util.stream.LongStream.rangeClosed(1, 4).filter(off::dueAfter).toArray()).isEmpty();
  }

  @Test
  void sampleGenerationsWriteGreedyScoredAnswersToTheFirstPrompts(@TempDir Path tmp) throws Exception {
    RlooConfig.Builder b = RlooConfig.builder(tmp.resolve("model"))
        .onPolicy(OnPolicyToyTest.toyRollouts().withNumSampleGenerations(2)).rlooK(2);
    b.training().learningRate(3e-3).perDeviceTrainBatchSize(4).maxSteps(4).perDeviceEvalBatchSize(3).seed(3);
    RlooConfig c = b.build();
    List<int[]> prompts = ToyWorld.prompts(16);
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = ToyWorld.policy(m);
        LlamaModel reference = ToyWorld.policy(m);
        RlooTrainer t = new RlooTrainer(c, policy, reference, ToyWorld.TARGET_FRACTION, prompts)) {
      t.train();
    }
    List<JsonNode> lines = Jsonl.readAll(c.training().outputDir().resolve("samples.jsonl"));
    // 4 updates, 2 samplings: after updates 1 and 3; 3 prompts each
    assertThat(lines).extracting(n -> n.get("step").asLong()).containsExactly(1L, 1L, 1L, 3L, 3L, 3L);
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line = lines.get(i);
      int[] query = ids(line.get("query"));
      int[] response = ids(line.get("model response"));
      assertThat(query).isEqualTo(prompts.get(i % 3));
      assertThat(response.length).isBetween(1, 6);
      assertThat(line.get("score").asDouble()).as("the reward of that response")
          .isEqualTo(ToyWorld.TARGET_FRACTION.score(List.of(query), List.of(response))[0]);
    }
    c = b.onPolicy(OnPolicyToyTest.toyRollouts().withNumSampleGenerations(0)).runDir(tmp.resolve("off")).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel policy = ToyWorld.policy(m);
        LlamaModel reference = ToyWorld.policy(m);
        RlooTrainer t = new RlooTrainer(c, policy, reference, ToyWorld.TARGET_FRACTION, prompts)) {
      t.train();
    }
    assertThat(tmp.resolve("off/samples.jsonl")).as("num_sample_generations: 0").doesNotExist();
  }

  private static int[] ids(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
