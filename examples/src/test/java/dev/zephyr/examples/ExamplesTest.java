package dev.zephyr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.cli.TinyModels;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example programs: usage errors on missing arguments, clear errors on missing files, and one real DPO run. */
class ExamplesTest {

  /** Exit code and what the program printed on stderr. */
  record Outcome(int code, String err) {}

  private static Outcome capture(Function<String[], Integer> program, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true));
    try {
      return new Outcome(program.apply(args), err.toString());
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void everyProgramPrintsItsUsageAndExitsNonZeroWithoutArguments() {
    assertThat(capture(RecipeFromJava::run)).isEqualTo(new Outcome(2, RecipeFromJava.USAGE + System.lineSeparator()));
    assertThat(capture(CollectFeedback::run))
        .isEqualTo(new Outcome(2, CollectFeedback.USAGE + System.lineSeparator()));
    assertThat(capture(DpoOnUltrafeedbackFile::run))
        .isEqualTo(new Outcome(2, DpoOnUltrafeedbackFile.USAGE + System.lineSeparator()));
    assertThat(capture(MtBenchLocal::run)).isEqualTo(new Outcome(2, MtBenchLocal.USAGE + System.lineSeparator()));
    assertThat(RecipeFromJava.USAGE).contains("WORK_DIR");
    assertThat(CollectFeedback.USAGE).contains("BASE_URL MODEL JUDGE_URL PROMPTS.jsonl OUTPUT_DIR");
    assertThat(DpoOnUltrafeedbackFile.USAGE).contains("MODEL_DIR PREFERENCES.jsonl OUTPUT_DIR");
    assertThat(MtBenchLocal.USAGE).contains("BENCH_DIR MODEL_DIR JUDGE_URL");
  }

  @Test
  void wrongArgumentCountsAreUsageErrorsToo() {
    assertThat(capture(RecipeFromJava::run, "a", "b").code()).isEqualTo(2);
    assertThat(capture(CollectFeedback::run, "http://localhost:1/v1", "m").code()).isEqualTo(2);
    assertThat(capture(DpoOnUltrafeedbackFile::run, "model").code()).isEqualTo(2);
    assertThat(capture(MtBenchLocal::run, "bench", "model").code()).isEqualTo(2);
  }

  @Test
  void missingFilesAreNamedInTheError(@TempDir Path dir) {
    Outcome feedback = capture(CollectFeedback::run, "http://127.0.0.1:1/v1", "m", "http://127.0.0.1:1/v1",
        dir.resolve("nope.jsonl").toString(), dir.resolve("out").toString());
    assertThat(feedback.code()).isEqualTo(1);
    assertThat(feedback.err()).contains("prompts file not found").contains("nope.jsonl");

    Outcome dpo = capture(DpoOnUltrafeedbackFile::run, dir.resolve("no-model").toString(), "p.jsonl", "out");
    assertThat(dpo.code()).isEqualTo(1);
    assertThat(dpo.err()).contains("no config.json").contains("no-model");

    Outcome mt = capture(MtBenchLocal::run, TestData.path("mt_bench").toString(),
        dir.resolve("no-model").toString(), "http://127.0.0.1:1/v1");
    assertThat(mt.code()).isEqualTo(1);
    assertThat(mt.err()).contains("no config.json").contains("no-model");

    Outcome recipe = capture(RecipeFromJava::run, dir.resolve("work").toString(), dir.resolve("no-model").toString(),
        dir.resolve("demos.jsonl").toString(), dir.resolve("prefs.jsonl").toString());
    assertThat(recipe.code()).isEqualTo(1);
    assertThat(recipe.err()).startsWith("RecipeFromJava: ");
  }

  @Test
  void dpoOnAFourRowPreferenceFileWritesTheTrainedModel(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path prefs = TinyPreferences.write(dir);
    Path out = dir.resolve("dpo");

    Outcome run = capture(DpoOnUltrafeedbackFile::run, model.toString(), prefs.toString(), out.toString(), "2");

    assertThat(run.code()).as(run.err()).isZero();
    assertThat(out.resolve("model.safetensors")).isRegularFile();
    assertThat(out.resolve("config.json")).isRegularFile();
    assertThat(out.resolve("tokenizer.json")).isRegularFile();
    List<JsonNode> metrics = Jsonl.readAll(dir.resolve("dpo-run/metrics.jsonl"));
    // MAX_STEPS 2, logged every step
    assertThat(metrics).extracting(m -> m.get("step").asInt()).containsExactly(1, 2);
    assertThat(metrics.get(0).has("rewards/accuracies")).isTrue();
    // at step 1 the policy still equals its frozen reference copy: zero rewards
    assertThat(metrics.get(0).get("rewards/chosen").asDouble())
        .isEqualTo(0.0, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void collectFeedbackWritesOnePreferencePairPerPromptFromAFakeEndpoint(@TempDir Path dir) throws Exception {
    AtomicInteger answers = new AtomicInteger();
    AtomicInteger ratings = new AtomicInteger();
    Path prompts = dir.resolve("prompts.jsonl");
    Files.writeString(prompts, """
        {"prompt": "Name a colour."}
        {"prompt": "Say hi.", "prompt_id": "hi"}
        """);
    Path out = dir.resolve("aif");
    Outcome run;
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      // eight judge calls in all: ratings 1..8, so the four completions of each prompt never tie
      server.responder((model, request) -> model.equals("judge")
          ? "Fine. [[" + (ratings.incrementAndGet()) + "]]" : "answer " + answers.incrementAndGet());
      run = capture(CollectFeedback::run, server.baseUrl(), "student", server.baseUrl(), prompts.toString(),
          out.toString(), "judge");
    }
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(answers.get()).isEqualTo(8);
    assertThat(ratings.get()).isEqualTo(8);
    List<JsonNode> prefs = Jsonl.readAll(out.resolve("preferences.jsonl"));
    assertThat(prefs).hasSize(2);
    assertThat(prefs).extracting(p -> p.get("prompt").asText()).containsExactlyInAnyOrder("Name a colour.", "Say hi.");
    for (JsonNode p : prefs) {
      assertThat(p.get("score_chosen").asDouble()).isGreaterThan(p.get("score_rejected").asDouble());
    }
  }

  @Test
  void mtBenchLocalAnswersWithATinyLocalModelAndGradesWithAFakeJudge(@TempDir Path dir) throws Exception {
    Path model = TinyModels.withZephyrTokenizer(dir);
    Path bench = Files.createDirectories(dir.resolve("mt_bench"));
    for (String f : List.of("question.jsonl", "judge_prompts.jsonl")) {
      Files.copy(TestData.path("mt_bench", f), bench.resolve(f));
    }
    Outcome run;
    try (FakeOpenAiServer judge = FakeOpenAiServer.start()) {
      judge.responder((name, request) -> "Short but on topic. Rating: [[4]]");
      run = capture(MtBenchLocal::run, bench.toString(), model.toString(), judge.baseUrl(), "gpt-4", "1");
    }
    assertThat(run.code()).as(run.err()).isZero();
    List<JsonNode> answers = Jsonl.readAll(bench.resolve("model_answer/model.jsonl"));
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).get("question_id").asInt()).isEqualTo(81);
    assertThat(answers.get(0).get("choices").get(0).get("turns")).hasSize(2);
    List<JsonNode> judgments = Jsonl.readAll(bench.resolve("model_judgment/gpt-4_single.jsonl"));
    assertThat(judgments).hasSize(2); // both turns of the one question
    assertThat(judgments).allSatisfy(j -> assertThat(j.get("score").asDouble()).isEqualTo(4.0));
  }
}
