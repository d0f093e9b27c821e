package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.testing.FakeOpenAiServer;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.eval.alpacaeval.AlpacaEvalFiles;
import dev.zephyr.eval.alpacaeval.ModelOutput;
import dev.zephyr.eval.alpacaeval.PositionSwitch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The judge commands end to end against a loopback OpenAI-compatible server. */
class JudgeOverHttpTest {

  @Test
  void mtBenchJudgeThenShow(@TempDir Path tmp) throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      // the judge gives 8 to first turns and 5 to second turns
      server.responder((model, req) -> req.messages().get(1).content().contains("<|The Start of Assistant A's")
          ? "Rating: [[5]]" : "Rating: [[8]]");
      Path judgments = tmp.resolve("gpt-4_single.jsonl");
      Path cache = tmp.resolve("judge_cache.jsonl");
      String[] judge = {"mt-bench", "judge", "--bench-dir", TestData.path("mt_bench").toString(), "--answers",
          EvalCommandsTest.MT_RES.resolve("tiny-zephyr.jsonl").toString(), "--judge-model", "gpt-4", "--judge-url",
          server.baseUrl(), "--api-key-env", "ZEPHYR_TEST_UNSET_KEY", "--out", judgments.toString(), "--cache",
          cache.toString()};
      CliRun r = EvalCommandsTest.zephyr(judge);
      assertThat(r.code()).as(r.err()).isZero();
      List<JsonNode> lines = Jsonl.readAll(judgments);
      assertThat(lines).hasSize(12);
      assertThat(lines.get(0).get("model").asText()).isEqualTo("tiny-zephyr");
      assertThat(server.requestCount()).isEqualTo(12);
      CliRun show = EvalCommandsTest.zephyr("mt-bench", "show", "--bench-dir",
          TestData.path("mt_bench").toString(), "--judgments", judgments.toString(), "--answers",
          EvalCommandsTest.MT_RES.resolve("tiny-zephyr.jsonl").toString());
      assertThat(show.code()).as(show.err()).isZero();
      assertThat(show.out()).contains("| tiny-zephyr | 6.50 | 8.00 | 5.00 |");
      // without the answer file, the 6 answered questions are not the 80 of the bench: no MT-Bench score
      CliRun partial = EvalCommandsTest.zephyr("mt-bench", "show", "--bench-dir",
          TestData.path("mt_bench").toString(), "--judgments", judgments.toString(), "--report-dir",
          tmp.resolve("partial").toString());
      assertThat(partial.code()).isEqualTo(1);
      assertThat(partial.err()).contains("tiny-zephyr: 12 of 160 judgments rated, 148 missing");
      assertThat(tmp.resolve("partial")).doesNotExist();
      // a fresh judgment file with the same cache: no new HTTP calls
      Path again = tmp.resolve("again.jsonl");
      judge[judge.length - 3] = again.toString();
      assertThat(EvalCommandsTest.zephyr(judge).code()).isZero();
      assertThat(server.requestCount()).isEqualTo(12);
      assertThat(Jsonl.readAll(again)).hasSize(12);
    }
  }

  @Test
  void mtBenchJudgeWithARejectedKeyExitsOneWritesNoScoreAndTheRerunJudges(@TempDir Path tmp) throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder((model, req) -> "Rating: [[7]]").faults((key, attempt) -> FakeOpenAiServer.Fault.BAD_KEY);
      Path judgments = tmp.resolve("gpt-4_single.jsonl");
      String[] judge = {"mt-bench", "judge", "--bench-dir", TestData.path("mt_bench").toString(), "--answers",
          EvalCommandsTest.MT_RES.resolve("tiny-zephyr.jsonl").toString(), "--judge-model", "gpt-4", "--judge-url",
          server.baseUrl(), "--api-key-env", "ZEPHYR_TEST_UNSET_KEY", "--out", judgments.toString(), "--cache",
          tmp.resolve("judge_cache.jsonl").toString(), "--batch-size", "1"};
      CliRun r = EvalCommandsTest.zephyr(judge);
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.out()).contains("judgments: 0 done, 3 failed, 9 pending");
      assertThat(r.err()).contains("stopped:").contains("HTTP 401").contains("gpt-4_single.jsonl.failures");
      // three calls, then the judge stops: not one request per answer
      assertThat(server.requestCount()).isEqualTo(3);
      assertThat(Jsonl.readAll(judgments)).as("no $ERROR$ line with score -1").isEmpty();
      assertThat(Jsonl.readAll(tmp.resolve("gpt-4_single.jsonl.failures"))).hasSize(3);

      CliRun show = EvalCommandsTest.zephyr("mt-bench", "show", "--bench-dir", TestData.path("mt_bench").toString(),
          "--judgments", judgments.toString());
      assertThat(show.code()).isEqualTo(1);
      assertThat(show.out()).doesNotContain("| tiny-zephyr |");

      server.faults((key, attempt) -> FakeOpenAiServer.Fault.NONE);
      CliRun fixed = EvalCommandsTest.zephyr(judge);
      assertThat(fixed.code()).as(fixed.err()).isZero();
      assertThat(fixed.out()).contains("judgments: 12 done, 0 failed, 0 pending");
      assertThat(Jsonl.readAll(judgments)).hasSize(12)
          .allSatisfy(j -> assertThat(j.get("score").asInt()).isEqualTo(7));
      assertThat(tmp.resolve("gpt-4_single.jsonl.failures")).doesNotExist();
    }
  }

  @Test
  void mtBenchAnswerWithARefusedCallWritesNoErrorAnswerAndTheRerunAnswers(@TempDir Path tmp) throws Exception {
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      // the server refuses the third question's first turn (400); one request at a time (--batch-size 1), so the
      // body the server received last is the one it decides about
      Path file = tmp.resolve("served.jsonl");
      String third = Json.mapper().writeValueAsString(
          Jsonl.readAll(TestData.path("mt_bench", "question.jsonl")).get(2).get("turns").get(0).asText());
      server.responder((model, req) -> "an answer").faults((key, attempt) -> server.bodies()
          .get(server.bodies().size() - 1).contains(third) ? FakeOpenAiServer.Fault.BAD_REQUEST
          : FakeOpenAiServer.Fault.NONE);
      String[] answer = {"mt-bench", "answer", "--bench-dir", TestData.path("mt_bench").toString(), "--model-url",
          server.baseUrl(), "--model-name", "served", "--api-key-env", "ZEPHYR_TEST_UNSET_KEY", "--first-n", "3",
          "--max-new-tokens", "8", "--batch-size", "1", "--out", file.toString()};
      CliRun r = EvalCommandsTest.zephyr(answer);
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.out()).contains("questions: 2 done, 1 failed, 0 pending");
      assertThat(Files.readString(file)).doesNotContain("ERROR");
      assertThat(Jsonl.readAll(file)).hasSize(2);
      assertThat(Files.readString(tmp.resolve("served.jsonl.failures"))).contains("HTTP 400");

      server.faults((key, attempt) -> FakeOpenAiServer.Fault.NONE);
      CliRun fixed = EvalCommandsTest.zephyr(answer);
      assertThat(fixed.code()).as(fixed.err()).isZero();
      assertThat(fixed.out()).contains("questions: 3 done, 0 failed, 0 pending");
      assertThat(Jsonl.readAll(file)).hasSize(3);
    }
  }

  @Test
  void mtBenchJudgeRefusesAnswersToQuestionsTheBenchDoesNotHave(@TempDir Path tmp) throws Exception {
    Path answers = tmp.resolve("stranger.jsonl");
    Files.writeString(answers, "{\"question_id\": 81, \"model_id\": \"s\", \"choices\": [{\"index\": 0,"
        + " \"turns\": [\"a\", \"b\"]}]}\n{\"question_id\": 9001, \"model_id\": \"s\", \"choices\":"
        + " [{\"index\": 0, \"turns\": [\"a\", \"b\"]}]}\n");
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      CliRun r = EvalCommandsTest.zephyr("mt-bench", "judge", "--bench-dir", TestData.path("mt_bench").toString(),
          "--answers", answers.toString(), "--judge-url", server.baseUrl(), "--api-key-env", "ZEPHYR_TEST_UNSET_KEY",
          "--out", tmp.resolve("j.jsonl").toString());
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.err()).contains("stranger.jsonl").contains("1 of 2 answers").contains("[9001]");
      assertThat(server.requestCount()).isZero();
    }
  }

  @Test
  void alpacaEvalAnnotateWithTheRankingJudge(@TempDir Path tmp) throws Exception {
    List<ModelOutput> ref = AlpacaEvalFiles.readModelOutputs(
        TestData.path("alpaca_eval", "reference_outputs_text_davinci_003_ae1.json")).subList(0, 4);
    List<ModelOutput> mine = new ArrayList<>();
    for (ModelOutput o : ref) {
      mine.add(new ModelOutput(o.dataset(), o.instruction(), "my answer to: " + o.instruction(), "tiny"));
    }
    Path refFile = tmp.resolve("reference.json");
    Path outputs = tmp.resolve("tiny/model_outputs.json");
    AlpacaEvalFiles.writeJson(refFile, ref);
    AlpacaEvalFiles.writeJson(outputs, mine);
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      // the judge always ranks the output shown first as better
      server.responder((model, req) -> "[{'model': 'model_1', 'rank': 1}, {'model': 'model_2', 'rank': 2}]");
      CliRun r = EvalCommandsTest.zephyr("alpaca-eval", "annotate", "--model-outputs",
          outputs.toString(), "--reference", refFile.toString(), "--prompt-template",
          TestData.path("alpaca_eval", "prompts", "alpaca_eval_gpt4.txt").toString(), "--annotator",
          "alpaca_eval_gpt4", "--judge-model", "gpt-4", "--judge-url", server.baseUrl(), "--api-key-env",
          "ZEPHYR_TEST_UNSET_KEY");
      assertThat(r.code()).as(r.err()).isZero();
      Path ann = tmp.resolve("tiny/alpaca_eval_gpt4/annotations.json");
      JsonNode rows = Json.mapper().readTree(ann.toFile());
      assertThat(rows).hasSize(4);
      for (JsonNode row : rows) {
        // shown first = model when switched -> model wins (2), else reference wins (1)
        double expected = PositionSwitch.isSwitched(row.get("instruction").asText()) ? 2.0 : 1.0;
        assertThat(row.get("preference").asDouble()).isEqualTo(expected);
        assertThat(row.get("annotator").asText()).isEqualTo("alpaca_eval_gpt4");
      }
      assertThat(Files.exists(ann)).isTrue();
    }
  }

  @Test
  void alpacaEvalAnnotateWithARejectedKeyWritesNoRowAndScoreRefusesThePartialFile(@TempDir Path tmp)
      throws Exception {
    List<ModelOutput> ref = AlpacaEvalFiles.readModelOutputs(
        TestData.path("alpaca_eval", "reference_outputs_text_davinci_003_ae1.json")).subList(0, 6);
    List<ModelOutput> mine = new ArrayList<>();
    for (ModelOutput o : ref) {
      mine.add(new ModelOutput(o.dataset(), o.instruction(), "my answer to: " + o.instruction(), "tiny"));
    }
    Path refFile = tmp.resolve("reference.json");
    Path outputs = tmp.resolve("tiny/model_outputs.json");
    AlpacaEvalFiles.writeJson(refFile, ref);
    AlpacaEvalFiles.writeJson(outputs, mine);
    Path ann = tmp.resolve("tiny/alpaca_eval_gpt4/annotations.json");
    try (FakeOpenAiServer server = FakeOpenAiServer.start()) {
      server.responder((model, req) -> "[{'model': 'model_1', 'rank': 1}, {'model': 'model_2', 'rank': 2}]")
          .faults((key, attempt) -> FakeOpenAiServer.Fault.BAD_KEY);
      String[] annotate = {"alpaca-eval", "annotate", "--model-outputs", outputs.toString(), "--reference",
          refFile.toString(), "--prompt-template",
          TestData.path("alpaca_eval", "prompts", "alpaca_eval_gpt4.txt").toString(), "--annotator",
          "alpaca_eval_gpt4", "--judge-model", "gpt-4", "--judge-url", server.baseUrl(), "--api-key-env",
          "ZEPHYR_TEST_UNSET_KEY", "--batch-size", "2"};
      CliRun r = EvalCommandsTest.zephyr(annotate);
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.out()).contains("annotations: 0 done, ");
      assertThat(r.err()).contains("stopped:").contains("HTTP 401");
      assertThat(Json.mapper().readTree(ann.toFile())).as("no row with a null preference").isEmpty();
      CliRun score = EvalCommandsTest.zephyr("alpaca-eval", "score", "--annotations", ann.toString(), "--reference",
          refFile.toString());
      assertThat(score.code()).isEqualTo(1);
      assertThat(score.out()).doesNotContain("win_rate");

      server.faults((key, attempt) -> FakeOpenAiServer.Fault.NONE);
      CliRun fixed = EvalCommandsTest.zephyr(annotate);
      assertThat(fixed.code()).as(fixed.err()).isZero();
      assertThat(fixed.out()).contains("annotations: 6 done, 0 failed, 0 pending");
      assertThat(Json.mapper().readTree(ann.toFile())).hasSize(6);
      CliRun scored = EvalCommandsTest.zephyr("alpaca-eval", "score", "--annotations", ann.toString(), "--reference",
          refFile.toString());
      assertThat(scored.code()).as(scored.err()).isZero();
      assertThat(Json.mapper().readTree(scored.out()).get("n_total").asInt()).isEqualTo(6);
    }
  }
}
