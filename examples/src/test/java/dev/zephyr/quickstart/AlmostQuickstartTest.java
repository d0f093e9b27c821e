package dev.zephyr.quickstart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.cli.QuickstartCommand;
import dev.zephyr.cli.ZephyrCli;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.Role;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.almost.SyntheticComparison;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.StageManifest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code zephyr quickstart --recipe almost --small} with real training, run once for the class (through the command
 * line, as a user runs it); each test checks one part of what it wrote against a recount from the files, and the last
 * ones rerun it: in the same directory (everything skipped) and from a copy of the shared base and dSFT stages (the
 * ALMoST stages again, which must give the same results).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(1200)
class AlmostQuickstartTest {
  @TempDir static Path tmp;
  private Path work;
  private AlmostResults results;
  private String printed;

  @BeforeAll
  void runTheRecipe() throws Exception {
    work = tmp.resolve("qs");
    printed = cli(work);
    results = AlmostResults.read(work.resolve(AlmostResults.FILE));
  }

  @Test
  void theTableHasTheAlmostRowsWithTheJudgeScoreAndWinRateOfTheirEvaluations() {
    assertThat(results.rows()).extracting(QuickstartResults.Row::model)
        .containsExactly("base", "dsft", "almost-sft", "almost-rlsf");
    Path dsftAnswers = answers("dsft");
    for (QuickstartResults.Row row : results.rows()) {
      List<HeldOutEvaluation.Answer> answers = Jsonl.readAll(answers(row.model()), HeldOutEvaluation.Answer.class);
      assertThat(answers).as(row.model()).hasSize(QuickstartWorld.small(42).heldOut());
      double mean = answers.stream().mapToDouble(HeldOutEvaluation.Answer::rating).average().orElseThrow();
      assertThat(row.judgeScore()).as(row.model()).isCloseTo(mean, within(1e-12)).isBetween(1.0, 10.0);
      assertThat(row.winRateVsDsft()).as(row.model())
          .isEqualTo(HeldOutEvaluation.winRate(answers(row.model()), dsftAnswers)).isBetween(0.0, 1.0);
    }
    assertThat(results.row("dsft").winRateVsDsft()).isEqualTo(0.5);
    assertThat(printed).contains("almost-sft").contains("almost-rlsf").contains("accuracy vs judge")
        .contains("heuristic filter kept " + results.comparisons().heuristic().pairs() + " pairs")
        .contains("[almost/04-ppo] running");
  }

  @Test
  void rewardModelAccuracyAgainstTheJudgeIsARecountOfTheGradedHeldOutPairs() throws IOException {
    Path rm = work.resolve("almost/01-rm");
    List<SyntheticComparison> heldOut = Jsonl.readAll(rm.resolve(WorldComparisons.HELD_OUT), SyntheticComparison.class);
    List<RewardModelCheck.Pair> pairs = Jsonl.readAll(work.resolve("almost").resolve(RewardModelCheck.FILE),
        RewardModelCheck.Pair.class);
    assertThat(pairs).hasSize(heldOut.size()).hasSize(results.comparisons().heldOutPairs()).isNotEmpty();
    int decided = 0;
    int agree = 0;
    for (int i = 0; i < pairs.size(); i++) {
      RewardModelCheck.Pair p = pairs.get(i);
      assertThat(p.chosen()).isEqualTo(heldOut.get(i).chosenText());
      assertThat(p.rejected()).isEqualTo(heldOut.get(i).rejectedText());
      // the grades are the judge's rubric applied to the two texts
      Task task = InstructionWorld.parse(p.prompt()).orElseThrow();
      assertThat(p.judgeChosen()).isEqualTo(RuleBasedJudge.grade(task, p.chosen()).rating());
      assertThat(p.judgeRejected()).isEqualTo(RuleBasedJudge.grade(task, p.rejected()).rating());
      if (p.judgeChosen() != p.judgeRejected()) {
        decided++;
        boolean judgePrefersChosen = p.judgeChosen() > p.judgeRejected();
        boolean rmPrefersChosen = p.rewardChosen() > p.rewardRejected();
        agree += judgePrefersChosen == rmPrefersChosen ? 1 : 0;
      }
    }
    RewardModelCheck.Summary s = results.rewardModel();
    assertThat(s.judgeTies()).isEqualTo(pairs.size() - decided);
    assertThat(decided).isPositive();
    assertThat(s.accuracyVsJudge()).isEqualTo((double) agree / decided).isBetween(0.0, 1.0);
    // the rewards in the file are the reward model's scores of those conversations
    try (LocalRewardModel model = LocalRewardModel.open(rm.resolve("model"), TrainedStages.MAX_LENGTH)) {
      double[] r = model.score(List.of(heldOut.get(0).chosen(), heldOut.get(0).rejected()));
      assertThat(r[0]).isCloseTo(pairs.get(0).rewardChosen(), within(1e-5));
      assertThat(r[1]).isCloseTo(pairs.get(0).rewardRejected(), within(1e-5));
    }
  }

  @Test
  void theFilterCountsAddUpToTheWrittenComparisons() throws IOException {
    Path rm = work.resolve("almost/01-rm");
    WorldComparisons.Report report = results.comparisons();
    assertThat(WorldComparisons.Report.read(rm)).isEqualTo(report);
    AlmostStages.Settings small = AlmostStages.Settings.small();
    assertThat(report.ranking()).containsExactlyElementsOf(
        small.generators().stream().map(WorldComparisons.Generator::name).toList());
    assertThat(report.prompts()).isEqualTo(small.comparisonPrompts()).isEqualTo(report.heuristic().prompts());

    List<SyntheticComparison> all = Jsonl.readAll(rm.resolve(WorldComparisons.ALL), SyntheticComparison.class);
    List<SyntheticComparison> train = Jsonl.readAll(rm.resolve(WorldComparisons.TRAIN), SyntheticComparison.class);
    List<SyntheticComparison> held = Jsonl.readAll(rm.resolve(WorldComparisons.HELD_OUT), SyntheticComparison.class);
    assertThat(all).hasSize(report.heuristic().pairs());
    assertThat(train).hasSize(report.trainPairs());
    assertThat(held).hasSize(report.heldOutPairs());
    assertThat(report.trainPairs() + report.heldOutPairs()).isEqualTo(report.heuristic().pairs());
    // held out by prompt: no prompt has pairs on both sides
    Set<String> trainPrompts = new HashSet<>();
    train.forEach(c -> trainPrompts.add(c.prompt()));
    assertThat(held).noneMatch(c -> trainPrompts.contains(c.prompt()));
    // every pair's chosen configuration ranks above its rejected one, and the texts are those it answered
    List<JsonNode> responses = Jsonl.readAll(rm.resolve(WorldComparisons.RESPONSES));
    assertThat(responses).hasSize(report.prompts());
    int missing = 0;
    for (JsonNode r : responses) {
      for (String name : report.ranking()) {
        missing += r.path("responses").path(name).asText().isBlank() ? 1 : 0;
      }
    }
    assertThat(report.heuristic().missingResponses()).isEqualTo(missing);
    for (SyntheticComparison c : all) {
      String[] meta = c.meta().split("-vs-");
      assertThat(report.ranking().indexOf(meta[0])).as(c.meta()).isLessThan(report.ranking().indexOf(meta[1]));
      assertThat(c.chosenText()).isNotEqualTo(c.rejectedText());
    }
    assertThat(StageManifest.read(rm).orElseThrow().metrics()).containsEntry("comparisons", (double) all.size())
        .containsEntry("dropped_by_length", (double) report.heuristic().droppedByLength())
        .containsKey("accuracy");
  }

  @Test
  void selfPlayWritesMessagesAndPpoTrainsTheSftModelOnItsFirstQueries() throws IOException {
    Path almost = work.resolve("almost");
    Path demos = almost.resolve("02-rmsp/demonstrations.jsonl");
    List<JsonNode> rows = Jsonl.readAll(demos);
    List<JsonNode> seeds = Jsonl.readAll(almost.resolve("seeds.jsonl"));
    assertThat(rows).hasSize(AlmostStages.Settings.small().rmspPrompts()).hasSameSizeAs(seeds);
    for (int i = 0; i < rows.size(); i++) {
      List<Message> messages = Json.mapper().convertValue(rows.get(i).get("messages"),
          Json.mapper().getTypeFactory().constructCollectionType(List.class, Message.class));
      assertThat(messages).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT);
      assertThat(messages.get(0).content()).isEqualTo(seeds.get(i).get("prompt").asText());
    }
    StageManifest sft = StageManifest.read(almost.resolve("03-sft")).orElseThrow();
    assertThat(Path.of(sft.inputs().get(Artifacts.SFT_DATASET).path())).isEqualTo(demos.toAbsolutePath());
    assertThat(Path.of(sft.inputs().get(Artifacts.MODEL).path()))
        .isEqualTo(work.resolve("zephyr/01-dsft/model").toAbsolutePath());
    StageManifest ppo = StageManifest.read(almost.resolve("04-ppo")).orElseThrow();
    assertThat(Path.of(ppo.inputs().get(Artifacts.MODEL).path())).isEqualTo(almost.resolve("03-sft/model")
        .toAbsolutePath());
    assertThat(Path.of(ppo.inputs().get(Artifacts.REWARD_MODEL).path())).isEqualTo(almost.resolve("01-rm/model")
        .toAbsolutePath());
    assertThat(Path.of(ppo.inputs().get(Artifacts.SFT_DATASET).path())).isEqualTo(demos.toAbsolutePath());
    assertThat(ppo.metrics()).containsKeys("objective/scores", "objective/kl", "loss/value_avg")
        .containsEntry("global_step", (double) AlmostStages.Settings.small().ppo().training().maxSteps());
  }

  @Test
  void theRlsfCurveRunsFromTheSftModelThroughEveryCheckpointToTheFinalModel() throws IOException {
    AlmostResults.Rlsf rlsf = results.rlsf();
    long updates = AlmostStages.Settings.small().ppo().training().maxSteps();
    long every = AlmostStages.Settings.small().ppo().training().saveSteps();
    assertThat(rlsf.trainer()).isEqualTo("ppo");
    assertThat(rlsf.steps()).extracting(AlmostResults.Step::step)
        .containsExactly(0L, every, 2 * every, 3 * every, updates);
    assertThat(rlsf.steps().get(0).judgeScore()).isEqualTo(results.row("almost-sft").judgeScore());
    assertThat(rlsf.steps().get(4).judgeScore()).isEqualTo(results.row("almost-rlsf").judgeScore());
    List<HeldOutEvaluation.Answer> mid = Jsonl.readAll(
        work.resolve("eval/almost-ppo-step-" + every + "/01-eval/results/answers.jsonl"), HeldOutEvaluation.Answer.class);
    assertThat(rlsf.steps().get(1).judgeScore()).isCloseTo(
        mid.stream().mapToDouble(HeldOutEvaluation.Answer::rating).average().orElseThrow(), within(1e-12));
    assertThat(rlsf.steps()).allSatisfy(s -> assertThat(s.rewardScore()).isFinite());
    assertThat(work.resolve("almost/ppo-steps/step-" + every + "/model.safetensors")).exists();
    java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(work.resolve(QuickstartCharts.RLSF).toFile());
    assertThat(png.getWidth()).isEqualTo(2 * QuickstartCharts.PANEL_WIDTH);
  }

  @Test
  void rerunSkipsEveryStageAndSameSeedFromScratchGivesIdenticalResults() throws Exception {
    JsonNode first = withoutSeconds(work);
    String again = cli(work);
    assertThat(again).doesNotContain("running").contains("[almost/04-ppo] unchanged, skipped");
    assertThat(withoutSeconds(work)).isEqualTo(first);

    // the ALMoST stages once more in a fresh directory holding only the shared stages (world, base, dSFT)
    Path fresh = tmp.resolve("fresh");
    for (String shared : List.of("world", "init", "base", "zephyr")) {
      copyTree(work.resolve(shared), fresh.resolve(shared));
    }
    String second = cli(fresh);
    assertThat(second).contains("[zephyr/01-dsft] unchanged, skipped").contains("[almost/01-rm] running");
    assertThat(withoutSeconds(fresh)).isEqualTo(first);
    assertThat(Files.readString(fresh.resolve("almost/01-rm/comparisons.jsonl")))
        .isEqualTo(Files.readString(work.resolve("almost/01-rm/comparisons.jsonl")));
  }

  private Path answers(String model) {
    return work.resolve("eval").resolve(model).resolve("01-eval/results/answers.jsonl");
  }

  private static JsonNode withoutSeconds(Path dir) throws IOException {
    ObjectNode n = (ObjectNode) Json.mapper().readTree(dir.resolve(AlmostResults.FILE).toFile());
    n.remove("seconds");
    return n;
  }

  /** Runs {@code zephyr quickstart --recipe almost --small --seed 42 --work DIR} and returns what it printed. */
  private static String cli(Path dir) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = ZephyrCli.commandLine(new QuickstartCommand()).execute("--recipe", "almost", "--small", "--seed", "42",
          "--work", dir.toString());
    } finally {
      System.setOut(old);
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(code).as(out).isZero();
    return out;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
