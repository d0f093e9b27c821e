package dev.zephyr.train.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.SchedulerType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardTrainingTest {
  static final int VOCAB = 16;

  /** Responses made of even tokens are preferred over responses of odd tokens; different lengths. */
  static List<RewardTask.Pair> pairs(int n, long seed) {
    Random r = new Random(seed);
    List<RewardTask.Pair> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] prompt = {r.nextInt(VOCAB), r.nextInt(VOCAB)};
      int[] c = new int[prompt.length + 2 + r.nextInt(4)];
      int[] d = new int[prompt.length + 2 + r.nextInt(4)];
      System.arraycopy(prompt, 0, c, 0, 2);
      System.arraycopy(prompt, 0, d, 0, 2);
      for (int k = 2; k < c.length; k++) {
        c[k] = 2 * r.nextInt(VOCAB / 2);
      }
      for (int k = 2; k < d.length; k++) {
        d[k] = 2 * r.nextInt(VOCAB / 2) + 1;
      }
      out.add(new RewardTask.Pair(c, d, 0.0));
    }
    return out;
  }

  static double accuracy(RewardTask task, List<RewardTask.Pair> pairs) {
    try (NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      float[] r = task.rewards(task.collate(pairs)).toFloatArray();
      int right = 0;
      for (int i = 0; i < pairs.size(); i++) {
        right += r[i] > r[pairs.size() + i] ? 1 : 0;
      }
      return (double) right / pairs.size();
    }
  }

  @Test
  void trainsToHighHeldOutAccuracyAndSavesTheHfSequenceClassificationLayout(@TempDir Path dir) throws Exception {
    List<RewardTask.Pair> heldOut = pairs(32, 77);
    try (NDManager m = NDManager.newBaseManager()) {
      LlamaModel decoder = TinyModels.random(m, VOCAB, 5);
      RewardModel rm = RewardModel.withNewHead(decoder, 0.02, 1);
      RewardTask task = new RewardTask(rm, new BradleyTerryLoss(0.01));
      TrainingArguments args = TrainingArguments.builder(dir.resolve("run")).learningRate(3e-3)
          .lrSchedulerType(SchedulerType.CONSTANT).numTrainEpochs(3).perDeviceTrainBatchSize(8).saveSteps(0)
          .loggingSteps(8).disableTqdm(true).build();
      try (Trainer<RewardTask.Pair, RewardTask.Batch> t = new Trainer<>(args, task, pairs(64, 3), rm.parameters())) {
        t.train();
      }
      assertThat(accuracy(task, heldOut)).as("held-out accuracy").isGreaterThan(0.9);

      Path out = dir.resolve("rm");
      rm.save(out);
      JsonNode cfg = Json.mapper().readTree(out.resolve("config.json").toFile());
      assertThat(cfg.get("architectures").get(0).asText()).isEqualTo("LlamaForSequenceClassification");
      assertThat(cfg.get("num_labels").asInt()).isEqualTo(1);
      assertThat(Safetensors.readHeader(out.resolve("model.safetensors")).tensor("score.weight")).isPresent();
      assertThat(Safetensors.readHeader(out.resolve("model.safetensors")).tensor("lm_head.weight")).isEmpty();
      try (RewardModel loaded = RewardModel.load(out, m); NDScope s = new NDScope()) {
        s.suppressNotUsedWarning();
        RewardTask again = new RewardTask(loaded, new BradleyTerryLoss(0));
        float[] a = task.rewards(task.collate(heldOut)).toFloatArray();
        float[] b = again.rewards(again.collate(heldOut)).toFloatArray();
        for (int i = 0; i < a.length; i++) {
          assertThat(b[i]).isCloseTo(a[i], within(1e-5f));
        }
      }
    }
  }
}
