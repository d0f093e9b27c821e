package dev.zephyr.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.testing.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandsTest {
  static final Path MT_RES = Paths.get("../zephyr-eval/src/test/resources/mtbench").toAbsolutePath().normalize();

  static CliRun zephyr(String... args) {
    return CliRun.of(args);
  }

  @Test
  void mtBenchDryRunWritesTheRequestsFastChatWouldSend(@TempDir Path tmp) throws Exception {
    Path out = tmp.resolve("requests.jsonl");
    CliRun r = zephyr("mt-bench", "judge", "--bench-dir", TestData.path("mt_bench").toString(), "--answers",
        MT_RES.resolve("tiny-zephyr.jsonl").toString(), "--judge-model", "gpt-4", "--dry-run", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> got = Files.readAllLines(out);
    List<String> golden = Files.readAllLines(MT_RES.resolve("dry_run_golden.jsonl"));
    assertThat(got).hasSize(golden.size());
    for (int i = 0; i < got.size(); i++) {
      JsonNode g = Json.mapper().readTree(got.get(i));
      assertThat(g).isEqualTo(Json.mapper().readTree(golden.get(i)));
      assertThat(g.fieldNames()).toIterable().containsExactly("question_id", "turn", "judge_prompt", "messages");
    }
  }

  /** Single judgments of model "tiny" for 8 questions, both turns; {@code score} gives each score. */
  private static Path judgments(Path file, int[] ids, java.util.function.BiFunction<Integer, Integer, Integer> score)
      throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ids.length; i++) {
      for (int turn = 1; turn <= 2; turn++) {
        sb.append("{\"question_id\": ").append(ids[i]).append(", \"model\": \"tiny\", \"judge\": [\"gpt-4\", \"x\"],"
            + " \"user_prompt\": \"\", \"judgment\": \"\", \"score\": ").append(score.apply(i, turn))
            .append(", \"turn\": ").append(turn).append(", \"tstamp\": 0}\n");
      }
    }
    Files.writeString(file, sb.toString());
    return file;
  }

  /** A FastChat answer file of model "tiny" (its stem) answering {@code ids}. */
  private static Path answers(Path dir, int[] ids) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int id : ids) {
      sb.append("{\"question_id\": ").append(id).append(", \"model_id\": \"tiny\", \"choices\": [{\"index\": 0,"
          + " \"turns\": [\"a\", \"b\"]}]}\n");
    }
    Path file = dir.resolve("tiny.jsonl");
    Files.writeString(file, sb.toString());
    return file;
  }

  @Test
  void mtBenchShowPrintsTheTableAndWritesTheChart(@TempDir Path tmp) throws Exception {
    int[] ids = {81, 91, 101, 111, 121, 131, 141, 151};
    Path judgments = judgments(tmp.resolve("gpt-4_single.jsonl"), ids,
        (i, turn) -> turn == 1 ? i + 2 : (i == 0 ? 8 : i + 1));
    CliRun r = zephyr("mt-bench", "show", "--bench-dir", TestData.path("mt_bench").toString(), "--judgments",
        judgments.toString(), "--answers", answers(tmp, ids).toString());
    assertThat(r.code()).as(r.err()).isZero();
    // turn 1: 2..9 -> 5.5; turn 2: 8, 2..8 -> 5.375; pooled: (44 + 43) / 16;
    // writing = (2 + 8) / 2, roleplay = (3 + 2) / 2, ...
    assertThat(r.out()).contains(String.format(java.util.Locale.ROOT,
        "| tiny | %.2f | 5.50 | 5.38 | 5.00 | 2.50 | 3.50 | 4.50 | 5.50 | 6.50 | 7.50 | 8.50 |", 87.0 / 16));
    assertThat(Files.readString(tmp.resolve("mt_bench.md"))).isEqualTo(r.out());
    assertThat(javax.imageio.ImageIO.read(tmp.resolve("mt_bench_radar.png").toFile()).getWidth()).isEqualTo(800);
  }

  @Test
  void mtBenchShowExitsOneWhenJudgmentsAreMissingOrUnratedOrOfUnknownQuestions(@TempDir Path tmp)
      throws Exception {
    int[] ids = {81, 91, 101, 111, 121, 131, 141, 151};
    // writing's second turn has no rating (-1); FastChat's show_result drops it silently
    Path judgments = judgments(tmp.resolve("gpt-4_single.jsonl"), ids,
        (i, turn) -> turn == 1 ? i + 2 : (i == 0 ? -1 : i + 1));
    Path answers = answers(tmp, ids);
    CliRun r = zephyr("mt-bench", "show", "--bench-dir", TestData.path("mt_bench").toString(), "--judgments",
        judgments.toString(), "--answers", answers.toString());
    assertThat(r.code()).isEqualTo(1);
    // the table is shown for inspection (the -1 dropped, as FastChat does), but no report file is written
    assertThat(r.out()).contains(String.format(java.util.Locale.ROOT,
        "| tiny | %.2f | 5.50 | 5.00 | 2.00 | 2.50 |", 79.0 / 15));
    assertThat(r.err()).contains("tiny: 15 of 16 judgments rated, 1 without a rating");
    assertThat(tmp.resolve("mt_bench.md")).doesNotExist();
    assertThat(tmp.resolve("mt_bench_radar.png")).doesNotExist();

    // answers to 8 questions, judgments for 7 of them: the eighth is missing
    Path fewer = judgments(tmp.resolve("fewer.jsonl"), java.util.Arrays.copyOf(ids, 7), (i, turn) -> 5);
    CliRun missing = zephyr("mt-bench", "show", "--bench-dir", TestData.path("mt_bench").toString(), "--judgments",
        fewer.toString(), "--answers", answers.toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("tiny: 14 of 16 judgments rated, 2 missing");

    // a judgment of a question the bench does not have
    Path strange = judgments(tmp.resolve("strange.jsonl"), new int[] {81, 9001}, (i, turn) -> 5);
    CliRun unknown = zephyr("mt-bench", "show", "--bench-dir", TestData.path("mt_bench").toString(), "--judgments",
        strange.toString(), "--answers", answers(tmp, new int[] {81}).toString());
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("unknown question ids [9001]");

    // a rating outside FastChat's 1-10 scale: no score, the file and record named
    Path eleven = judgments(tmp.resolve("eleven.jsonl"), ids, (i, turn) -> i == 2 && turn == 2 ? 11 : 5);
    CliRun outOfRange = zephyr("mt-bench", "show", "--bench-dir", TestData.path("mt_bench").toString(),
        "--judgments", eleven.toString());
    assertThat(outOfRange.code()).isEqualTo(1);
    assertThat(outOfRange.out()).doesNotContain("| tiny |");
    assertThat(outOfRange.err()).contains(eleven.toString()).contains("[record 6].score")
        .contains("must be in [1, 10]").contains("got 11.0");

    // every judgment without a rating: no score at all
    Path none = judgments(tmp.resolve("none.jsonl"), ids, (i, turn) -> -1);
    CliRun noScore = zephyr("mt-bench", "show", "--bench-dir", TestData.path("mt_bench").toString(), "--judgments",
        none.toString());
    assertThat(noScore.code()).isEqualTo(1);
    assertThat(noScore.out()).doesNotContain("| tiny |");
    assertThat(noScore.err()).contains("no judgment with a rating");
  }

  @Test
  void alpacaEvalScorePrintsTheLeaderboardRow(@TempDir Path tmp) throws Exception {
    CliRun r = zephyr("alpaca-eval", "score", "--annotations",
        TestData.path("alpaca_eval", "check", "OpenHermes-2.5-Mistral-7B.annotations.json").toString(),
        "--instruction-difficulty", TestData.path("alpaca_eval", "instruction_difficulty_reconstructed.csv").toString(),
        "--report-dir", tmp.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode row = Json.mapper().readTree(r.out());
    assertThat(row.get("win_rate").asDouble()).isCloseTo(10.340415705751552, within(1e-9));
    assertThat(row.get("standard_error").asDouble()).isCloseTo(0.935655389929366, within(1e-9));
    assertThat(row.get("n_wins").asInt()).isEqualTo(75);
    assertThat(row.get("n_wins_base").asInt()).isEqualTo(727);
    assertThat(row.get("n_draws").asInt()).isEqualTo(3);
    assertThat(row.get("n_total").asInt()).isEqualTo(805);
    assertThat(row.get("discrete_win_rate").asDouble()).isCloseTo(9.503105590062113, within(1e-9));
    assertThat(row.get("avg_length").asInt()).isEqualTo(1107);
    assertThat(row.get("length_controlled_winrate").asDouble()).isCloseTo(13.414, within(0.001));
    assertThat(row.get("lc_variant").asText()).isEqualTo("length_controlled_noreg");
    assertThat(Files.exists(tmp.resolve("win_rate.png"))).isTrue();
    List<String> csv = Files.readAllLines(tmp.resolve("leaderboard.csv"));
    assertThat(csv.get(0)).isEqualTo(",win_rate,standard_error,n_wins,n_wins_base,n_draws,n_total,discrete_win_rate,"
        + "mode,avg_length,length_controlled_winrate,lc_standard_error");
    assertThat(csv.get(1)).startsWith("OpenHermes-2.5-Mistral-7B,10.34041570575154").contains(",75,727,3,805,")
        .contains(",community,1107,13.41427");
    assertThat(Files.readString(tmp.resolve("alpaca_eval.md"))).contains("| OpenHermes-2.5-Mistral-7B | 13.41 | 10.34 |");
  }

  @Test
  void alpacaEvalScorePrintsNoWinRateFromInvalidOrMissingPreferences(@TempDir Path tmp) throws Exception {
    String row = "{\"instruction\": \"i%d\", \"output_1\": \"a\", \"output_2\": \"b\", \"generator_1\": \"ref\","
        + " \"generator_2\": \"m\", \"preference\": %s}";
    for (String[] c : new String[][] {{"3.0", "[1].preference", "must be in [1, 2]"},
        {"null", "[1].preference", "missing judgment"}, {"NaN", "[1].preference", "missing judgment"}}) {
      Path file = tmp.resolve("annotations-" + c[0] + ".json");
      Files.writeString(file, "[" + String.format(java.util.Locale.ROOT, row, 0, "2.0") + ", "
          + String.format(java.util.Locale.ROOT, row, 1, c[0]) + "]");
      CliRun r = zephyr("alpaca-eval", "score", "--annotations", file.toString());
      assertThat(r.code()).as(c[0]).isEqualTo(1);
      assertThat(r.err()).contains(file.toString()).contains(c[1]).contains(c[2]);
      assertThat(r.out()).as("no leaderboard row is printed").doesNotContain("win_rate");
    }
    Path empty = tmp.resolve("empty.json");
    Files.writeString(empty, "[]");
    CliRun r = zephyr("alpaca-eval", "score", "--annotations", empty.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("no annotations");
  }

  @Test
  void badInputGivesAClearErrorAndExitCode(@TempDir Path tmp) throws Exception {
    CliRun r = zephyr("alpaca-eval", "score", "--annotations", tmp.resolve("missing.json").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("zephyr alpaca-eval score: ").contains("missing.json");
    Path bad = tmp.resolve("answers.jsonl");
    Files.writeString(bad, "{\"question_id\": 81, \"choices\": []}\n");
    CliRun r2 = zephyr("mt-bench", "judge", "--bench-dir", TestData.path("mt_bench").toString(), "--answers",
        bad.toString(), "--dry-run", "--out", tmp.resolve("x.jsonl").toString());
    assertThat(r2.code()).isEqualTo(1);
    assertThat(r2.err()).contains("answers.jsonl:1").contains("choices");
    CliRun r3 = zephyr("mt-bench", "judge", "--bench-dir", TestData.path("mt_bench").toString(), "--answers",
        bad.toString(), "--mode", "pairwise");
    assertThat(r3.code()).isEqualTo(2);
    assertThat(r3.err()).contains("--baseline");
  }

  @Test
  void scoreWithReferenceRestoresEvalOrderForTheGlm(@TempDir Path tmp) throws Exception {
    com.fasterxml.jackson.databind.node.ArrayNode rows = (com.fasterxml.jackson.databind.node.ArrayNode) Json.mapper()
        .readTree(TestData.path("alpaca_eval", "check", "OpenHermes-2.5-Mistral-7B.annotations.json").toFile());
    java.util.List<JsonNode> list = new java.util.ArrayList<>();
    rows.forEach(list::add);
    java.util.Collections.reverse(list);
    Path reversed = tmp.resolve("annotations.json");
    Json.mapper().writeValue(reversed.toFile(), list);
    String diff = TestData.path("alpaca_eval", "instruction_difficulty_reconstructed.csv").toString();
    CliRun inOrder = zephyr("alpaca-eval", "score", "--annotations", reversed.toString(), "--instruction-difficulty", diff,
        "--reference", TestData.path("alpaca_eval", "reference_outputs_gpt4_1106_preview.json").toString());
    assertThat(inOrder.code()).as(inOrder.err()).isZero();
    assertThat(Json.mapper().readTree(inOrder.out()).get("length_controlled_winrate").asDouble())
        .isCloseTo(13.414276, within(1e-5));
    CliRun shuffled = zephyr("alpaca-eval", "score", "--annotations", reversed.toString(), "--instruction-difficulty",
        diff);
    // same counts, but difficulty now pairs with the wrong instructions
    assertThat(Json.mapper().readTree(shuffled.out()).get("length_controlled_winrate").asDouble())
        .isNotCloseTo(13.414276, within(1e-3));
  }

  @Test
  void reportCommandWritesTrainingCurvesNextToTheMetrics(@TempDir Path tmp) throws Exception {
    Path metrics = tmp.resolve("metrics.jsonl");
    Files.writeString(metrics, "{\"step\": 1, \"loss\": 2.0, \"learning_rate\": 1e-5}\n"
        + "{\"step\": 2, \"loss\": 1.5, \"learning_rate\": 2e-5}\n");
    CliRun r = zephyr("report", "--metrics", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(javax.imageio.ImageIO.read(tmp.resolve("loss.png").toFile()).getHeight()).isEqualTo(600);
    assertThat(Files.exists(tmp.resolve("learning_rate.png"))).isTrue();
  }

  @Test
  void pairwiseDryRunWritesBothOrders(@TempDir Path tmp) throws Exception {
    Path base = tmp.resolve("base.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int q : new int[] {81, 101}) {
      sb.append("{\"question_id\": ").append(q).append(", \"answer_id\": \"x\", \"model_id\": \"base\","
          + " \"choices\": [{\"index\": 0, \"turns\": [\"B first ").append(q).append("\", \"B second ").append(q)
          .append("\"]}], \"tstamp\": 0}\n");
    }
    Files.writeString(base, sb.toString());
    Path out = tmp.resolve("pair_requests.jsonl");
    CliRun r = zephyr("mt-bench", "judge", "--bench-dir", TestData.path("mt_bench").toString(), "--answers",
        MT_RES.resolve("tiny-zephyr.jsonl").toString(), "--mode", "pairwise", "--baseline", base.toString(),
        "--dry-run", "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(out);
    // questions 81 and 101, two turns, both orders
    assertThat(lines).hasSize(8);
    List<String> golden = Files.readAllLines(MT_RES.resolve("pair_golden.jsonl"));
    // game 1 of question 81 turn 1 shows tiny-zephyr as Assistant A: identical to FastChat's request
    assertThat(Json.mapper().readTree(lines.get(0))).isEqualTo(Json.mapper().readTree(golden.get(0)));
    assertThat(Json.mapper().readTree(lines.get(1)).get("messages").get(1).get("content").asText())
        .contains("[The Start of Assistant A's Answer]\nB first 81");
  }
}
