package dev.zephyr.train.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;
import static org.mockito.Answers.CALLS_REAL_METHODS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mockito.InOrder;

/** Pipeline wiring tested the way applications test theirs: Mockito mocks for every stage, real files on disk. */
class PipelineTest {
  @TempDir Path tmp;
  Path student;
  Path work;
  SftStage sft;
  FeedbackStage feedback;
  DpoStage dpo;
  Evaluation evaluation;
  ChatModel evaluatedModel;
  List<PipelineEvent> events;

  @BeforeEach
  void setUp() throws Exception {
    student = Files.createDirectories(tmp.resolve("base"));
    Files.writeString(student.resolve("config.json"), "{\"model_type\":\"llama\"}");
    work = tmp.resolve("work");
    events = new ArrayList<>();

    sft = mock(SftStage.class);
    when(sft.config()).thenReturn(Map.of("learning_rate", 2e-5, "num_train_epochs", 1));
    when(sft.demonstrations(any())).thenAnswer(inv -> write(inv.getArgument(0), "demos.jsonl", "{\"messages\":[]}"));
    when(sft.train(any(), any(), any())).thenAnswer(inv -> {
      StageContext ctx = inv.getArgument(2);
      ctx.metric("train_loss", 1.25);
      return writeModel(ctx, "dsft-of-" + inv.getArgument(0, Path.class).getFileName());
    });

    feedback = mock(FeedbackStage.class);
    when(feedback.completions(any())).thenAnswer(inv -> write(inv.getArgument(0), "completions.jsonl", "c"));
    when(feedback.ratings(any(), any())).thenAnswer(inv -> write(inv.getArgument(1), "ratings.jsonl", "r"));
    when(feedback.binarize(any(), any())).thenAnswer(inv -> write(inv.getArgument(1), "preferences.jsonl", "p"));

    dpo = mock(DpoStage.class);
    when(dpo.config()).thenReturn(Map.of("beta", 0.1));
    when(dpo.train(any(), any(), any())).thenAnswer(inv -> {
      StageContext ctx = inv.getArgument(2);
      ctx.metric("rewards/accuracies", 0.9);
      ctx.metric("rewards/margins", 2.0);
      return writeModel(ctx, "dpo-of-" + inv.getArgument(0, Path.class).getParent().getFileName());
    });

    evaluatedModel = mock(ChatModel.class);
    // the real evaluateModel: it opens the model through the loader and calls evaluate(chat, dir, progress)
    evaluation = mock(Evaluation.class, withSettings().defaultAnswer(CALLS_REAL_METHODS));
    when(evaluation.name()).thenReturn("held_out");
    // stubbed without calling it (the real default would run while stubbing)
    doAnswer(inv -> {
      Path dir = inv.getArgument(1);
      Path answers = Files.writeString(Files.createDirectories(dir).resolve("answers.jsonl"), "a");
      return new EvalReport("held_out", "m", Map.of("judge_score", 7.5), Map.of("answers", answers));
    }).when(evaluation).evaluate(any(), any(), any());
  }

  private Pipeline zephyr() {
    return Pipeline.dsft(sft).aif(feedback).ddpo(dpo).evaluate(evaluation)
        .modelLoader(dir -> evaluatedModel)
        .listener(events::add);
  }

  @Test
  void runsTheStagesInOrderHandingEachItsInputs() throws Exception {
    PipelineResult result = zephyr().run(student, work);

    Path dsftDir = work.resolve("01-dsft").toAbsolutePath();
    Path aifDir = work.resolve("02-aif").toAbsolutePath();
    Path dsftModel = dsftDir.resolve("model");
    InOrder order = inOrder(sft, feedback, dpo, evaluation);
    order.verify(sft).demonstrations(any());
    order.verify(sft).train(eq(student), eq(dsftDir.resolve("demos.jsonl")), any());
    order.verify(feedback).completions(any());
    order.verify(feedback).ratings(eq(aifDir.resolve("completions.jsonl")), any());
    order.verify(feedback).binarize(eq(aifDir.resolve("ratings.jsonl")), any());
    order.verify(dpo).train(eq(dsftModel), eq(aifDir.resolve("preferences.jsonl")), any());
    order.verify(evaluation).evaluate(eq(evaluatedModel), eq(work.resolve("04-eval/results").toAbsolutePath()), any());
    verify(evaluatedModel).close();

    assertThat(result.stages()).extracting(StageResult::id).containsExactly("01-dsft", "02-aif", "03-ddpo", "04-eval");
    assertThat(result.stages()).extracting(StageResult::status).containsOnly(StageResult.Status.RAN);
    assertThat(result.finalModel()).isEqualTo(work.resolve("03-ddpo/model").toAbsolutePath());
    assertThat(Files.readString(result.finalModel().resolve("weights"))).isEqualTo("dpo-of-01-dsft");
    assertThat(result.metrics("ddpo")).containsEntry("rewards/accuracies", 0.9).containsEntry("rewards/margins", 2.0);
    assertThat(result.metrics("eval")).containsEntry("judge_score", 7.5);
    assertThat(result.artifact(Artifacts.PREFERENCES)).contains(aifDir.resolve("preferences.jsonl"));

    JsonNode manifest = Json.mapper().readTree(dsftDir.resolve("manifest.json").toFile());
    assertThat(manifest.get("status").asText()).isEqualTo("completed");
    assertThat(manifest.get("config").get("stage").get("learning_rate").asDouble()).isEqualTo(2e-5);
    assertThat(manifest.get("config").get("source").asText()).isEqualTo("generate");
    assertThat(manifest.get("inputs").get("model").get("sha256").asText())
        .isEqualTo(Digests.sha256(student)).startsWith("sha256:");
    assertThat(manifest.get("artifacts").get("model").asText()).isEqualTo("model");
    assertThat(manifest.get("metrics").get("train_loss").asDouble()).isEqualTo(1.25);
    assertThat(manifest.get("seconds").asDouble()).isGreaterThanOrEqualTo(0);
    assertThat(manifest.get("attempts").asInt()).isEqualTo(1);
    assertThat(manifest.get("inputs").get("model").get("stat").asText()).startsWith("stat:");

    assertThat(events.get(0)).isEqualTo(
        new PipelineEvent.PipelineStarted(work, List.of("01-dsft", "02-aif", "03-ddpo", "04-eval")));
    assertThat(events).filteredOn(e -> e instanceof PipelineEvent.StageStarted).hasSize(4);
    assertThat(events.get(events.size() - 1)).isInstanceOf(PipelineEvent.PipelineFinished.class);
  }

  @Test
  void rerunSkipsEveryStageWhoseInputsAndConfigAreUnchanged() throws Exception {
    PipelineResult first = zephyr().run(student, work);
    events.clear();
    PipelineResult second = zephyr().run(student, work);

    verify(sft, times(1)).train(any(), any(), any());
    verify(feedback, times(1)).completions(any());
    verify(dpo, times(1)).train(any(), any(), any());
    verify(evaluation, times(1)).evaluate(any(), any(), any());
    assertThat(second.stages()).extracting(StageResult::status).containsOnly(StageResult.Status.SKIPPED);
    assertThat(second.finalModel()).isEqualTo(first.finalModel());
    assertThat(second.metrics("ddpo")).isEqualTo(first.metrics("ddpo"));
    assertThat(events).filteredOn(e -> e instanceof PipelineEvent.StageSkipped).hasSize(4);
  }

  @Test
  void changedConfigRerunsThatStageAndOnlyWhatItsOutputsFeed() throws Exception {
    zephyr().run(student, work);
    when(dpo.config()).thenReturn(Map.of("beta", 0.01));
    PipelineResult second = zephyr().run(student, work);

    assertThat(second.stages()).extracting(StageResult::status).containsExactly(
        StageResult.Status.SKIPPED, StageResult.Status.SKIPPED, StageResult.Status.RAN, StageResult.Status.SKIPPED);
    verify(dpo, times(2)).train(any(), any(), any());
    // The DPO model bytes did not change here, so the evaluation's input digest matched and it was skipped.
    verify(evaluation, times(1)).evaluate(any(), any(), any());

    // A new dSFT learning rate gives a new dSFT model, whose digest changes every input downstream of it.
    when(sft.config()).thenReturn(Map.of("learning_rate", 1e-5, "num_train_epochs", 1));
    doAnswer(inv -> writeModel(inv.getArgument(2), "other weights")).when(sft).train(any(), any(), any());
    PipelineResult third = zephyr().run(student, work);
    assertThat(third.stages()).extracting(StageResult::status).containsExactly(
        StageResult.Status.RAN, StageResult.Status.SKIPPED, StageResult.Status.RAN, StageResult.Status.SKIPPED);
    verify(feedback, times(1)).completions(any());
  }

  @Test
  void changedInputFileRerunsAndClearsTheStaleDirectory() throws Exception {
    Path dataset = Files.writeString(tmp.resolve("ultrachat.jsonl"), "{\"messages\":[1]}\n");
    Pipeline p = Pipeline.dsft(Dsft.of(sft).fromDataset(dataset));
    p.run(student, work);
    Files.writeString(work.resolve("01-dsft/stale.txt"), "from the first run");
    p.run(student, work);
    verify(sft, times(1)).train(any(), any(), any());

    Files.writeString(dataset, "{\"messages\":[2]}\n");
    PipelineResult r = p.run(student, work);
    verify(sft, times(2)).train(eq(student), eq(dataset), any());
    verify(sft, never()).demonstrations(any());
    assertThat(r.stages().get(0).status()).isEqualTo(StageResult.Status.RAN);
    assertThat(work.resolve("01-dsft/stale.txt")).doesNotExist();
  }

  @Test
  void unchangedSizesAndTimesReuseTheEarlierDigestWithoutReadingTheFiles() throws Exception {
    Path dataset = Files.writeString(tmp.resolve("sft.jsonl"), "aaaa");
    Pipeline p = Pipeline.dsft(Dsft.of(sft).fromDataset(dataset));
    p.run(student, work);
    java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(dataset);
    // Rewritten in place with the same size and its old time: the digest is reused, so the stage is skipped.
    Files.writeString(dataset, "bbbb");
    Files.setLastModifiedTime(dataset, t);
    assertThat(p.run(student, work).stages().get(0).status()).isEqualTo(StageResult.Status.SKIPPED);
    // A new modification time makes the pipeline read the content again, which did change.
    Files.setLastModifiedTime(dataset, java.nio.file.attribute.FileTime.fromMillis(t.toMillis() + 5000));
    assertThat(p.run(student, work).stages().get(0).status()).isEqualTo(StageResult.Status.RAN);
  }

  @Test
  void aFailedStageResumesInItsOwnDirectoryOnTheNextRun() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Boolean> resumingFlags = new ArrayList<>();
    doAnswer(inv -> {
      StageContext ctx = inv.getArgument(2);
      resumingFlags.add(ctx.resuming());
      Path checkpoint = ctx.dir().resolve("checkpoint-10");
      if (calls.incrementAndGet() == 1) {
        write(ctx, "checkpoint-10", "step 10");
        throw new IllegalStateException("killed at step 12");
      }
      assertThat(Files.readString(checkpoint)).isEqualTo("step 10");
      return writeModel(ctx, "resumed from step 10");
    }).when(dpo).train(any(), any(), any());

    assertThatThrownBy(() -> zephyr().run(student, work))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("03-ddpo")
        .hasMessageContaining("killed at step 12");
    JsonNode failed = Json.mapper().readTree(work.resolve("03-ddpo/manifest.json").toFile());
    assertThat(failed.get("status").asText()).isEqualTo("failed");
    assertThat(failed.get("error").asText()).contains("killed at step 12");
    assertThat(work.resolve("04-eval")).doesNotExist();
    assertThat(events).filteredOn(e -> e instanceof PipelineEvent.StageFailed).hasSize(1);

    PipelineResult r = zephyr().run(student, work);
    assertThat(resumingFlags).containsExactly(false, true);
    assertThat(r.stages()).extracting(StageResult::status).containsExactly(
        StageResult.Status.SKIPPED, StageResult.Status.SKIPPED, StageResult.Status.RESUMED, StageResult.Status.RAN);
    JsonNode done = Json.mapper().readTree(work.resolve("03-ddpo/manifest.json").toFile());
    assertThat(done.get("status").asText()).isEqualTo("completed");
    assertThat(done.get("attempts").asInt()).isEqualTo(2);
    assertThat(Files.readString(r.finalModel().resolve("weights"))).isEqualTo("resumed from step 10");
  }

  @Test
  void aStageKilledWhileRunningIsResumedNotSkipped() throws Exception {
    zephyr().run(student, work);
    // A SIGKILL leaves the manifest as the pipeline wrote it before starting the stage: status "running".
    Path manifest = work.resolve("03-ddpo/manifest.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"completed\"", "\"running\""));
    PipelineResult r = zephyr().run(student, work);
    assertThat(r.stages()).extracting(StageResult::status).containsExactly(
        StageResult.Status.SKIPPED, StageResult.Status.SKIPPED, StageResult.Status.RESUMED, StageResult.Status.SKIPPED);
    verify(dpo, times(2)).train(any(), any(), any());
    assertThat(Json.mapper().readTree(manifest.toFile()).get("attempts").asInt()).isEqualTo(2);
  }

  @Test
  void dpoFromTheBaseModelSkippingDsft() throws Exception {
    PipelineResult r = Pipeline.empty().aif(feedback).ddpo(dpo).run(student, work);
    verify(dpo).train(eq(student), eq(work.resolve("01-aif/preferences.jsonl").toAbsolutePath()), any());
    verify(sft, never()).train(any(), any(), any());
    assertThat(r.stages()).extracting(StageResult::id).containsExactly("01-aif", "02-ddpo");
    assertThat(r.finalModel()).isEqualTo(work.resolve("02-ddpo/model").toAbsolutePath());
  }

  @Test
  void aifOnlyFromRatingsAlreadyCollected() throws Exception {
    Path ratings = Files.writeString(tmp.resolve("ratings.jsonl"), "{\"rating\":7}\n");
    PipelineResult r = Pipeline.empty().aif(Aif.of(feedback).fromRatings(ratings)).run(student, work);
    verify(feedback, never()).completions(any());
    verify(feedback, never()).ratings(any(), any());
    verify(feedback).binarize(eq(ratings), any());
    assertThat(r.finalModel()).isEqualTo(student);
    assertThat(r.stages().get(0).artifacts()).containsOnlyKeys(Artifacts.RATINGS, Artifacts.PREFERENCES);
  }

  @Test
  void existingArtifactsReplaceStages() throws Exception {
    Path dsftModel = Files.createDirectories(tmp.resolve("zephyr-7b-sft-full"));
    Files.writeString(dsftModel.resolve("weights"), "sft");
    Path prefs = Files.writeString(tmp.resolve("ultrafeedback_binarized.jsonl"), "{}\n");
    PipelineResult r = Pipeline.dsft(Dsft.trainedModel(dsftModel)).aif(Aif.preferences(prefs)).ddpo(dpo)
        .run(student, work);
    verify(dpo).train(eq(dsftModel), eq(prefs), any());
    verify(sft, never()).train(any(), any(), any());
    assertThat(r.stages()).extracting(StageResult::id).containsExactly("01-dsft", "02-aif", "03-ddpo");
  }

  @Test
  void almostOrderTrainsRewardModelThenBestOfNThenSft() throws Exception {
    RewardModelStage rm = mock(RewardModelStage.class);
    when(rm.comparisons(any())).thenAnswer(inv -> write(inv.getArgument(0), "comparisons.jsonl", "x"));
    when(rm.train(any(), any(), any())).thenAnswer(inv -> writeModel(inv.getArgument(2), "rm"));
    BestOfNStage bon = mock(BestOfNStage.class);
    when(bon.demonstrations(any(), any(), any())).thenAnswer(inv -> write(inv.getArgument(2), "bon.jsonl", "d"));

    PipelineResult r = Pipeline.almost(rm).bestOfN(bon).sft(sft).run(student, work);

    Path rmDir = work.resolve("01-rm").toAbsolutePath();
    InOrder order = inOrder(rm, bon, sft);
    order.verify(rm).train(eq(student), eq(rmDir.resolve("comparisons.jsonl")), any());
    order.verify(bon).demonstrations(eq(student), eq(rmDir.resolve("model")), any());
    order.verify(sft).train(eq(student), eq(work.resolve("02-bon/bon.jsonl").toAbsolutePath()), any());
    verify(sft, never()).demonstrations(any());
    assertThat(r.stages()).extracting(StageResult::id).containsExactly("01-rm", "02-bon", "03-sft");
    assertThat(r.finalModel()).isEqualTo(work.resolve("03-sft/model").toAbsolutePath());
  }

  @Test
  void stagesReportToThePipelinesProgressUnderTheirStageId() throws Exception {
    doAnswer(inv -> {
      StageContext ctx = inv.getArgument(2);
      try (Progress.Task t = ctx.progress().start("train", "steps", 2, 0)) {
        t.advance(2);
      }
      return writeModel(ctx, "dpo");
    }).when(dpo).train(any(), any(), any());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    long[] clock = {0};
    Progress lines = ConsoleProgress.plain(new PrintStream(bytes, true, StandardCharsets.UTF_8), () -> clock[0]++);
    zephyr().progress(lines.scoped("zephyr")).run(student, work);
    assertThat(bytes.toString(StandardCharsets.UTF_8).split("\n")).hasSize(2).allSatisfy(
        line -> assertThat(line).startsWith("[zephyr/03-ddpo] train "));
    verify(evaluation).evaluate(any(), any(), any());
  }

  @Test
  void aPlanWithAMissingInputFailsBeforeAnythingRuns() throws Exception {
    assertThatThrownBy(() -> Pipeline.dsft(sft).ddpo(dpo).run(student, work))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("02-ddpo")
        .hasMessageContaining("'preferences'");
    verify(sft, never()).train(any(), any(), any());
    assertThatThrownBy(() -> Pipeline.dsft(sft).evaluate(evaluation).run(student, work))
        .isInstanceOf(PipelineException.class)
        .hasMessageContaining("02-eval")
        .hasMessageContaining("model loader");
  }

  @Test
  void aSecondRunOnTheSameWorkDirectoryIsRefusedWhileTheFirstHoldsIt() throws Exception {
    List<Throwable> nested = new ArrayList<>();
    doAnswer(inv -> {
      try {
        Pipeline.dsft(sft).run(student, work);
      } catch (PipelineException e) {
        nested.add(e);
      }
      return write(inv.getArgument(1), "preferences.jsonl", "p");
    }).when(feedback).binarize(any(), any());
    zephyr().run(student, work);
    assertThat(nested).singleElement().extracting(Throwable::getMessage).asString()
        .contains("another pipeline").contains(work.toString());
    // Once the first run is over the lock is free again.
    assertThat(zephyr().run(student, work).stages()).hasSize(4);
  }

  @Test
  void pipelinesAreImmutableValues() {
    Pipeline base = Pipeline.dsft(sft);
    Pipeline longer = base.aif(feedback);
    assertThat(base.plan()).containsExactly("01-dsft");
    assertThat(longer.plan()).containsExactly("01-dsft", "02-aif");
  }

  private static Path write(StageContext ctx, String name, String content) throws IOException {
    Files.createDirectories(ctx.dir());
    return Files.writeString(ctx.dir().resolve(name), content);
  }

  private static Path writeModel(StageContext ctx, String weights) throws IOException {
    Path model = Files.createDirectories(ctx.dir().resolve("model"));
    Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
    Files.writeString(model.resolve("weights"), weights);
    return model;
  }
}
