package dev.zephyr.train.recipe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.data.HoldOut;
import dev.zephyr.train.reward.RewardData;
import dev.zephyr.train.reward.RewardModel;
import dev.zephyr.train.reward.RewardTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code test_split_size} for a reward model: held-out pairs, TRL RewardTrainer's eval metrics in metrics.jsonl. */
class RewardEvalSplitTest {

  private static Path recipe(Path dir, String name, Path model, Path data, String evalKeys) throws Exception {
    return Files.writeString(dir.resolve(name + ".yaml"), """
        model_name_or_path: %s
        dataset_path: %s
        output_dir: %s
        max_length: 64
        learning_rate: 3.0e-2
        lr_scheduler_type: constant
        per_device_train_batch_size: 4
        num_train_epochs: 1
        logging_steps: 1
        save_steps: 0
        gradient_checkpointing: false
        disable_tqdm: true
        %s""".formatted(model, data, dir.resolve(name), evalKeys));
  }

  @Test
  void aRecipesRmStageTakesTheEvaluationKeysWithPathsRelativeToTheRecipe() {
    ReadyStages stages = new ReadyStages(Path.of("/recipes/almost"), (name, options, base) -> null, d -> null);
    RewardRun split = (RewardRun) stages.rewardModel(java.util.Map.of("test_split_size", 0.25, "eval_strategy",
        "epoch"));
    assertThat(split.settings().evalData().holdOut()).isEqualTo(new HoldOut(0.25, 0));
    assertThat(split.config()).containsEntry("test_split_size", 0.25).containsEntry("eval_strategy", "epoch");
    RewardRun files = (RewardRun) stages.rewardModel(java.util.Map.of("eval_dataset_path", "data/held.jsonl",
        "eval_strategy", "steps", "eval_steps", 5));
    assertThat(files.settings().evalData().files()).containsExactly(Path.of("/recipes/almost/data/held.jsonl"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> stages.rewardModel(java.util.Map.of("eval_strategy",
        "epoch"))).hasMessageContaining("eval_strategy").hasMessageContaining("test_split_size");
  }

  @Test
  void heldOutPairsAreEvaluatedWithTrlNamesAndNeverTrainedOn(@TempDir Path dir) throws Exception {
    Path model = RewardRunTest.tinyModel(dir);
    Path data = RewardRunTest.comparisons(dir);
    List<JsonNode> rows = Jsonl.readAll(data);
    assertThat(rows).hasSize(16);
    RewardConfig withEval = Recipes.loadReward(recipe(dir, "split", model, data, """
        test_split_size: 0.25
        eval_strategy: steps
        eval_steps: 2
        per_device_eval_batch_size: 3
        """));
    assertThat(withEval.evalData().holdOut()).isEqualTo(new HoldOut(0.25, 0));
    TrainingRuns.reward(withEval, Progress.NONE);

    List<JsonNode> lines = Jsonl.readAll(withEval.runDir().resolve("metrics.jsonl"));
    // 16 pairs, ceil(0.25 * 16) = 4 held out: 12 train in 3 steps of 4; evaluations after step 2 and at the end
    assertThat(lines.stream().filter(n -> n.has("loss"))).hasSize(3);
    List<JsonNode> evals = lines.stream().filter(n -> n.has("eval_loss")).toList();
    assertThat(evals.stream().map(n -> n.get("step").asLong())).containsExactly(2L, 3L);
    JsonNode last = evals.get(1);
    assertThat(last.has("eval_margin")).isTrue();
    assertThat(last.get("eval_accuracy").asDouble() * 4).isEqualTo(Math.rint(last.get("eval_accuracy").asDouble() * 4));

    // by hand: the final model's rewards on the held-out pairs (numpy's permutation of 16 rows, seed 0, first 4)
    BitSet heldOut = new HoldOut(0.25, 0).heldOut(16);
    assertThat(heldOut.cardinality()).isEqualTo(4);
    try (NDManager m = NDManager.newBaseManager(); Tokenizer tok = Tokenizer.load(withEval.outputDir());
        RewardModel rm = RewardModel.load(withEval.outputDir(), m); NDScope s = new NDScope()) {
      s.suppressNotUsedWarning();
      List<RewardTask.Pair> pairs = RewardData.prepare(rows, heldOut::get, "held out", "t", ChatTokenizer.of(tok), 64,
          Progress.NONE).pairs();
      assertThat(pairs).hasSize(4);
      boolean grad = JniUtils.isGradMode();
      JniUtils.setGradMode(false);
      float[] r = rm.rewards(new RewardTask(rm, null).collate(pairs).rows()).toFloatArray();
      JniUtils.setGradMode(grad);
      double loss = 0;
      double accuracy = 0;
      double margin = 0;
      for (int i = 0; i < 4; i++) {
        double diff = r[i] - r[4 + i];
        loss += Math.log1p(Math.exp(-(diff - pairs.get(i).margin())));
        accuracy += diff > 0 ? 1 : 0;
        margin += diff;
      }
      assertThat(last.get("eval_loss").asDouble()).isCloseTo(loss / 4, within(1e-4));
      assertThat(last.get("eval_accuracy").asDouble()).isEqualTo(accuracy / 4);
      assertThat(last.get("eval_margin").asDouble()).isCloseTo(margin / 4, within(1e-4));
    }

    // the same run on the 12 training pairs alone, without evaluation, writes the same weights
    Path trainOnly = Files.writeString(dir.resolve("train-only.jsonl"), IntStream.range(0, 16)
        .filter(i -> !heldOut.get(i)).mapToObj(i -> rows.get(i).toString() + "\n").collect(Collectors.joining()));
    RewardConfig plain = Recipes.loadReward(recipe(dir, "plain", model, trainOnly, ""));
    TrainingRuns.reward(plain, Progress.NONE);
    assertThat(Files.readAllBytes(plain.outputDir().resolve("model.safetensors")))
        .isEqualTo(Files.readAllBytes(withEval.outputDir().resolve("model.safetensors")));
  }
}
