package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.cli.QuickstartCommand;
import dev.zephyr.cli.ZephyrCli;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FileModes;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.ModelLoader;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.pipeline.StageContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the quickstart end to end with simulated training: a "model" is a directory whose {@code error_rate} says how
 * often it errs, and the loader opens it as a {@link NoisyTeacher}. World, teacher, judge, pipelines, manifests,
 * held-out evaluation, win rates, results file and table are the real ones; integration swaps in real stages.
 */
class QuickstartFlowTest {
  @TempDir Path work;

  @Test
  void runsTheAblationWritesResultsAndSkipsEverythingOnRerun() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    QuickstartResults r = new Quickstart(QuickstartWorld.small(7), new SimulatedStages(), out).run(work);

    assertThat(r.rows()).extracting(QuickstartResults.Row::model).containsExactly("base", "dsft", "ddpo", "dsft+ddpo");
    double base = r.row("base").judgeScore();
    double dsft = r.row("dsft").judgeScore();
    double both = r.row("dsft+ddpo").judgeScore();
    assertThat(both).isGreaterThan(dsft);
    assertThat(dsft).isGreaterThan(base);
    assertThat(r.row("dsft").winRateVsDsft()).isEqualTo(0.5);
    assertThat(r.row("dsft+ddpo").winRateVsDsft()).isGreaterThan(0.5);
    assertThat(r.row("base").winRateVsDsft()).isLessThan(0.5);
    assertThat(r.dpo().rewardsAccuracies()).isEqualTo(0.9);
    assertThat(r.dpo().rewardsMargins()).isEqualTo(2.0);

    JsonNode json = Json.mapper().readTree(work.resolve("quickstart-results.json").toFile());
    assertThat(json.get("rows").get(3).get("model").asText()).isEqualTo("dsft+ddpo");
    assertThat(json.get("rows").get(0).has("judge_score")).isTrue();
    assertThat(json.get("rows").get(0).has("win_rate_vs_dsft")).isTrue();
    assertThat(json.get("dpo").get("rewards/accuracies").asDouble()).isEqualTo(0.9);
    assertThat(json.get("dpo").get("rewards/margins").asDouble()).isEqualTo(2.0);
    assertThat(json.get("seconds").isIntegralNumber()).isTrue();
    assertThat(QuickstartResults.read(work.resolve("quickstart-results.json")).rows()).isEqualTo(r.rows());
    java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(work.resolve("quickstart-scores.png").toFile());
    assertThat(png.getWidth()).isEqualTo(2 * QuickstartCharts.PANEL_WIDTH);
    assertThat(png.getHeight()).isEqualTo(QuickstartCharts.PANEL_HEIGHT);

    String printed = buf.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("RULE-BASED").contains("dSFT+dDPO").contains("rewards/accuracies 0.900")
        .contains("[base/01-pretrain] running").contains("[zephyr/03-ddpo] running")
        .contains("[ablation/02-ddpo] running").contains("[eval/dsft+ddpo/01-eval] running");
    assertThat(work.resolve("zephyr/02-aif/manifest.json")).exists();
    assertThat(Jsonl.readAll(work.resolve("eval/dsft_ddpo/01-eval/results/answers.jsonl"))).hasSize(60);
    // results JSON, charts, world files and manifests: the ordinary mode (0644/0755 under umask 022), not 0600
    if (FileModes.posix(work)) {
      FileModes.assertOrdinaryBelow(work);
    }

    // Same seed again: every stage is unchanged, nothing reruns, the numbers are identical.
    buf.reset();
    QuickstartResults again = new Quickstart(QuickstartWorld.small(7), new SimulatedStages(), out).run(work);
    assertThat(again.rows()).isEqualTo(r.rows());
    String second = buf.toString(StandardCharsets.UTF_8);
    assertThat(second).doesNotContain("running").contains("[zephyr/03-ddpo] unchanged, skipped");
  }

  @Test
  void commandWithoutTrainingStagesFailsClearly() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = ZephyrCli.commandLine(new QuickstartCommand(new UnavailableStages())).execute("--small", "--work",
          work.toString());
    } finally {
      System.setErr(old);
    }
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("not wired").contains("rerun the same command");
    assertThat(work.resolve("world/held_out.jsonl")).exists();
  }

  /** Stages that fail with a clear message as soon as they are used, as a build without training would. */
  static final class UnavailableStages implements QuickstartStages {
    private static UnsupportedOperationException missing() {
      return new UnsupportedOperationException(
          "the quickstart's training stages (decoder, SFT/DPO trainers, feedback collection) are not wired into "
              + "this build yet");
    }

    @Override
    public Path initStudent(Path tokenizerDir, Path outDir, long seed) {
      throw missing();
    }

    @Override
    public SftStage pretraining() {
      throw missing();
    }

    @Override
    public SftStage sft() {
      throw missing();
    }

    @Override
    public FeedbackStage feedback(FeedbackSetup setup) {
      throw missing();
    }

    @Override
    public DpoStage dpo() {
      throw missing();
    }

    @Override
    public ModelLoader loader() {
      throw missing();
    }
  }

  /** Training simulated by error rates: pretraining 0.8, dSFT 0.4, DPO halves the error of its input. */
  static final class SimulatedStages implements QuickstartStages {
    @Override
    public Path initStudent(Path tokenizerDir, Path outDir, long seed) throws IOException {
      return model(outDir, 1.0);
    }

    @Override
    public SftStage pretraining() {
      return sftTo(0.8);
    }

    @Override
    public SftStage sft() {
      return sftTo(0.4);
    }

    private static SftStage sftTo(double error) {
      return new SftStage() {
        @Override public Map<String, Object> config() {
          return Map.of("target_error", error);
        }

        @Override public Path train(Path model, Path dataset, StageContext ctx) throws IOException {
          assertThat(dataset).exists();
          ctx.metric("train_loss", error);
          return model(ctx.dir().resolve("model"), error);
        }
      };
    }

    @Override
    public FeedbackStage feedback(FeedbackSetup setup) {
      return new FeedbackStage() {
        @Override public Path completions(StageContext ctx) throws IOException {
          assertThat(ctx.input("model")).exists();
          assertThat(setup.baseModel()).exists();
          return Files.writeString(ctx.dir().resolve("completions.jsonl"), "{}\n");
        }

        @Override public Path ratings(Path completions, StageContext ctx) throws IOException {
          return Files.writeString(ctx.dir().resolve("ratings.jsonl"), "{}\n");
        }

        @Override public Path binarize(Path ratings, StageContext ctx) throws IOException {
          return Files.writeString(ctx.dir().resolve("preferences.jsonl"), "{}\n");
        }
      };
    }

    @Override
    public DpoStage dpo() {
      return (model, preferences, ctx) -> {
        ctx.metric("rewards/accuracies", 0.9);
        ctx.metric("rewards/margins", 2.0);
        return model(ctx.dir().resolve("model"), errorOf(model) / 2);
      };
    }

    @Override
    public ModelLoader loader() {
      return dir -> {
        try {
          return new NoisyTeacher(7, errorOf(dir));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      };
    }

    static Path model(Path dir, double error) throws IOException {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"llama\"}");
      Files.writeString(dir.resolve("error_rate"), Double.toString(error));
      return dir;
    }

    static double errorOf(Path dir) throws IOException {
      return Double.parseDouble(Files.readString(dir.resolve("error_rate")));
    }
  }
}
