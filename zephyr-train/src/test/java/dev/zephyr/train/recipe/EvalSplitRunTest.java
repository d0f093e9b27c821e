package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.sft.SftData;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code test_split_size: 0.1} in a recipe: rows held out, evaluated, and eval metrics in metrics.jsonl. */
class EvalSplitRunTest {
  private static final int ROWS = 20;

  private static Path conversations(Path dir) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ROWS; i++) {
      sb.append(("{\"messages\": [{\"role\": \"user\", \"content\": \"What is %d plus %d?\"}, {\"role\": "
          + "\"assistant\", \"content\": \"It is %d.\"}]}\n").formatted(i, i + 2, 2 * i + 2));
    }
    return Files.writeString(dir.resolve("chats.jsonl"), sb);
  }

  @Test
  void sftEvalLossIsTheMeanLossOfTheFinalModelOnTheHeldOutRows(@TempDir Path tmp) throws Exception {
    Path model = DpoResumeAfterKillTest.tinyModel(tmp);
    Path data = conversations(tmp);
    Path yaml = Files.writeString(tmp.resolve("sft.yaml"), """
        model_name_or_path: %s
        dataset_path: %s
        output_dir: %s
        test_split_size: 0.1
        eval_strategy: steps
        eval_steps: 2
        per_device_eval_batch_size: 3
        max_steps: 3
        per_device_train_batch_size: 4
        learning_rate: 1.0e-3
        logging_steps: 1
        save_steps: 0
        max_length: 64
        disable_tqdm: true
        """.formatted(model, data, tmp.resolve("out")));
    StageContext ctx = StageContext.standalone("dsft", tmp.resolve("stage"), Map.of(), 42);
    Path trained = new SftRun(Recipes.loadSft(yaml)).train(model, data, ctx);

    List<JsonNode> lines = Jsonl.readAll(ctx.runDir().resolve("metrics.jsonl"));
    List<JsonNode> evals = lines.stream().filter(n -> n.has("eval_loss")).toList();
    assertThat(evals.stream().map(n -> n.get("step").asLong())).containsExactly(2L, 3L);
    assertThat(lines.get(0).get("mean_token_accuracy").asDouble()).isBetween(0.0, 1.0);
    assertThat(lines.get(0).get("entropy").asDouble()).isBetween(0.0, Math.log(32000));
    JsonNode last = evals.get(1);
    assertThat(last.get("eval_mean_token_accuracy").asDouble()).isBetween(0.0, 1.0);
    assertThat(last.get("eval_entropy").asDouble()).isPositive();

    // by hand: the held-out rows (numpy's permutation of 20 rows, seed 0, first ceil(2.0) = 2), tokenized alike,
    // and the exported final model's summed loss over their label tokens
    BitSet heldOut = new HoldOut(0.1, 0).heldOut(ROWS);
    assertThat(heldOut.cardinality()).isEqualTo(2);
    try (NDManager m = NDManager.newBaseManager(); Tokenizer tok = Tokenizer.load(trained);
        LlamaModel lm = LlamaModel.load(trained, m); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      List<SftSequence> rows = SftData.prepare(Jsonl.readAll(data), heldOut::get, "held out", "t",
          ChatTokenizer.of(tok), new SftData.Options(64, LossMode.ALL, false), Progress.NONE).rows();
      assertThat(rows).hasSize(2);
      SftTask task = new SftTask(lm);
      SftTask.Batch b = task.collate(rows);
      boolean grad = JniUtils.isGradMode();
      JniUtils.setGradMode(false);
      double mean = task.loss(lm.parameters(), b, dev.zephyr.train.loop.StepContext.of(0, 0, 0)).lossSum()
          .getFloat() / b.lossTokens();
      JniUtils.setGradMode(grad);
      assertThat(last.get("eval_loss").asDouble()).isCloseTo(mean, within(1e-4));
    }
  }

  @Test
  void dpoRecipeWithTestSplitSizeLogsTrlsEvalMetrics(@TempDir Path tmp) throws Exception {
    Path model = DpoResumeAfterKillTest.tinyModel(tmp);
    Path data = DpoResumeAfterKillTest.preferences(tmp);
    Path yaml = Files.writeString(tmp.resolve("dpo.yaml"), """
        model_name_or_path: %s
        dataset_path: %s
        output_dir: %s
        test_split_size: 0.1
        eval_strategy: epoch
        per_device_train_batch_size: 6
        num_train_epochs: 1
        precompute_ref_log_probs: true
        learning_rate: 1.0e-3
        logging_steps: 1
        save_steps: 0
        max_length: 48
        disable_tqdm: true
        """.formatted(model, data, tmp.resolve("out")));
    StageContext ctx = StageContext.standalone("ddpo", tmp.resolve("stage"), Map.of(), 42);
    new DpoRun(Recipes.loadDpo(yaml)).train(model, data, ctx);

    List<JsonNode> lines = Jsonl.readAll(ctx.runDir().resolve("metrics.jsonl"));
    // 20 pairs, 2 held out: 18 train in 3 steps of 6, one evaluation at the epoch's end
    assertThat(lines.stream().filter(n -> n.has("loss"))).hasSize(3);
    List<JsonNode> evals = lines.stream().filter(n -> n.has("eval_loss")).toList();
    assertThat(evals).hasSize(1);
    JsonNode e = evals.get(0);
    assertThat(e.get("step").asLong()).isEqualTo(3);
    assertThat(e.get("epoch").asDouble()).isEqualTo(1.0);
    assertThat(e.get("eval_rewards/accuracies").asDouble()).isIn(0.0, 0.5, 1.0);
    assertThat(e.get("eval_rewards/margins").asDouble()).isCloseTo(
        e.get("eval_rewards/chosen").asDouble() - e.get("eval_rewards/rejected").asDouble(), within(1e-6));
    for (String k : List.of("eval_loss", "eval_logps/chosen", "eval_logps/rejected", "eval_runtime")) {
      assertThat(Double.isFinite(e.get(k).asDouble())).as(k).isTrue();
    }
    assertThat(e.get("eval_logps/chosen").asDouble()).isNegative();
  }
}
