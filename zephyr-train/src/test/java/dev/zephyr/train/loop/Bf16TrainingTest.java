package dev.zephyr.train.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.train.TinyModels;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoLoss;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bf16: true} trains like float32 within bfloat16's precision: 50 steps of SFT and of DPO, the same model, data
 * and seed, logged every step, with and without bfloat16 matrix multiplies (docs/bf16-compute.md states the
 * tolerance these assert).
 */
class Bf16TrainingTest {
  static final int VOCAB = 96;
  static final int STEPS = 50;
  /** Largest |bf16 loss - f32 loss| at any of the 50 steps, relative to max(1, |f32 loss|). */
  static final double TOLERANCE = 0.02;

  @Test
  void sftLossesStayWithinTheToleranceOfFloat32(@TempDir Path dir) throws IOException {
    Random r = new Random(11);
    List<SftSequence> rows = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      int[] ids = new int[24];
      int start = r.nextInt(VOCAB);
      for (int k = 0; k < ids.length; k++) {
        ids[k] = (start + 3 * k) % VOCAB; // a learnable pattern, so that the loss falls
      }
      int[] mask = new int[ids.length];
      java.util.Arrays.fill(mask, 4, ids.length, 1);
      rows.add(SftSequence.of(ids, mask));
    }
    double[] f32 = run(dir.resolve("f32"), false, (model, m) -> new Run<>(new SftTask(model, 64), rows));
    double[] bf16 = run(dir.resolve("bf16"), true, (model, m) -> new Run<>(new SftTask(model, 64), rows));
    assertClose(f32, bf16);
    assertThat(f32[STEPS - 1]).as("the float32 run learns").isLessThan(0.5 * f32[0]);
  }

  @Test
  void dpoLossesStayWithinTheToleranceOfFloat32(@TempDir Path dir) throws IOException {
    Random r = new Random(12);
    List<DpoExample> pairs = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      int[] prompt = {r.nextInt(VOCAB), r.nextInt(VOCAB)};
      int[] chosen = new int[10];
      int[] rejected = new int[10];
      for (int k = 0; k < 10; k++) {
        chosen[k] = (prompt[0] + k) % VOCAB;
        rejected[k] = r.nextInt(VOCAB);
      }
      pairs.add(DpoExample.of(prompt, chosen, rejected));
    }
    double[] f32 = run(dir.resolve("f32"), false, (model, m) -> new Run<>(
        new DpoTask(model, reference(model, m), DpoLoss.sigmoid(0.1)), pairs));
    double[] bf16 = run(dir.resolve("bf16"), true, (model, m) -> new Run<>(
        new DpoTask(model, reference(model, m), DpoLoss.sigmoid(0.1)), pairs));
    assertClose(f32, bf16);
    assertThat(f32[STEPS - 1]).as("the float32 run learns").isLessThan(f32[0] - 0.1);
  }

  private record Run<E, B>(TrainingTask<E, B> task, List<E> data) {}

  /** A frozen copy of the policy's initial weights, computing as the policy does. */
  private static LlamaModel reference(LlamaModel policy, NDManager m) {
    LlamaModel ref = TinyModels.random(m, VOCAB, 7);
    return policy.computesInBf16() ? ref.withMatmul(dev.zephyr.core.model.MatmulBackend.BF16) : ref;
  }

  /** Trains a fresh model (seed 7) for 50 steps; returns the loss logged at each step. */
  private static <E, B> double[] run(Path out, boolean bf16, BiFunction<LlamaModel, NDManager, Run<E, B>> setup)
      throws IOException {
    TrainingArguments args = TrainingArguments.builder(out).maxSteps(STEPS).perDeviceTrainBatchSize(4)
        .learningRate(2e-3).loggingSteps(1).saveSteps(0).disableTqdm(true).seed(3).bf16(bf16).build();
    try (NDManager m = NDManager.newBaseManager(); LlamaModel model = TinyModels.random(m, VOCAB, 7)) {
      Run<E, B> run = setup.apply(args.compute(model), m);
      assertThat(args.compute(model).computesInBf16()).isEqualTo(bf16);
      try (Trainer<E, B> t = new Trainer<>(args, run.task(), run.data(), new LinkedHashMap<>(model.parameters()))) {
        t.train();
      }
    }
    List<Double> losses = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      JsonNode n = json.readTree(line);
      if (n.has("loss")) {
        losses.add(n.get("loss").asDouble());
      }
    }
    assertThat(losses).hasSize(STEPS);
    return losses.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static void assertClose(double[] f32, double[] bf16) {
    double worst = 0;
    double any = 0;
    for (int i = 0; i < STEPS; i++) {
      double d = Math.abs(bf16[i] - f32[i]);
      any = Math.max(any, d);
      worst = Math.max(worst, d / Math.max(1, Math.abs(f32[i])));
    }
    System.out.printf("bf16 vs f32 over %d steps: largest relative loss difference %.5f (first %.4f/%.4f, last"
        + " %.4f/%.4f)%n", STEPS, worst, f32[0], bf16[0], f32[STEPS - 1], bf16[STEPS - 1]);
    assertThat(any).as("bf16 multiplies something (the runs differ)").isGreaterThan(1e-6);
    assertThat(worst).as("largest |bf16 - f32| loss difference, relative").isLessThanOrEqualTo(TOLERANCE);
  }
}
