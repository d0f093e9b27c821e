package dev.zephyr.eval.alpacaeval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.TokenLogprob;
import dev.zephyr.core.chat.TokenLogprob.TopLogprob;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.eval.testing.ScriptedChatModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlpacaEvalTest {
  static final JudgePromptTemplate AE2 =
      JudgePromptTemplate.read(TestData.path("alpaca_eval", "prompts", "alpaca_eval_clf_gpt4_turbo.txt"));

  @Test
  void judgeMessagesMatchAlpacaEvalForSwitchedAndUnswitchedRows() throws Exception {
    List<Annotation> ann = AlpacaEvalFiles.readAnnotations(
        TestData.path("alpaca_eval", "check", "OpenHermes-2.5-Mistral-7B.annotations.json"));
    PairwiseAnnotator annotator = PairwiseAnnotator.builder().judge(ScriptedChatModel.text("j", r -> "m"))
        .template(AE2).build();
    for (String line : Files.readAllLines(Paths.get("src/test/resources/alpacaeval/ae2_prompt_golden.jsonl"))) {
      JsonNode g = Json.mapper().readTree(line);
      Annotation a = ann.get(g.get("row").asInt());
      PairwiseAnnotator.JudgeCall call = annotator.prepare(a.instruction(), a.output1(), a.output2());
      assertThat(call.switched()).isEqualTo(g.get("switched").asBoolean());
      assertThat(call.messages()).hasSize(2);
      for (int i = 0; i < 2; i++) {
        assertThat(call.messages().get(i).role().wireName()).isEqualTo(g.get("messages").get(i).get("role").asText());
        assertThat(call.messages().get(i).content()).isEqualTo(g.get("messages").get(i).get("content").asText());
      }
    }
  }

  @Test
  void fillIsSequentialFirstOccurrenceReplace() {
    JudgePromptTemplate t = new JudgePromptTemplate("t", "<|im_start|>user\n{instruction} | {output_1} | {output_2}"
        + " | {output_1}<|im_end|>");
    assertThat(t.placeholders()).containsExactly("instruction", "output_1", "output_2", "output_1");
    // the instruction's own "{output_1}" text is what the next replace hits, as in alpaca_eval
    String p = t.fill(Map.of("instruction", "say {output_1}", "output_1", "A", "output_2", "B"));
    assertThat(p).isEqualTo("<|im_start|>user\nsay A | A | B | {output_1}<|im_end|>");
    assertThat(JudgePromptTemplate.toChatMessages(p)).containsExactly(Message.user("say A | A | B | {output_1}"));
    assertThatThrownBy(() -> t.fill(Map.of("instruction", "x"))).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("output_1");
  }

  @Test
  void logprobParserWeightsAndBinarizes() {
    List<TopLogprob> both = List.of(new TopLogprob("M", Math.log(0.6)), new TopLogprob("The", -3),
        new TopLogprob("m", Math.log(0.2)));
    // p(m) = 0.2 / 0.8 = 0.25 -> preference 1.75
    assertThat(LogprobParser.preference(both, false)).isCloseTo(1.75, within(1e-12));
    assertThat(LogprobParser.preference(both, true)).isEqualTo(2.0);
    assertThat(LogprobParser.preference(List.of(new TopLogprob("m", -5)), false)).isEqualTo(1.0);
    assertThat(LogprobParser.preference(List.of(new TopLogprob("M", -5)), false)).isEqualTo(2.0);
    assertThat(LogprobParser.preference(List.of(new TopLogprob("mm", -1), new TopLogprob(" m", -1)), false)).isNaN();
  }

  @Test
  void rankingParserReadsPythonLiterals() {
    assertThat(RankingParser.preference("[{'model': 'model_1', 'rank': 1}, {'model': 'model_2', 'rank': 2}]"))
        .isEqualTo(1.0);
    assertThat(RankingParser.preference("[{\"model\": \"model_2\", \"rank\": 1},\n {'model': 'model_1', 'rank': 2}]"))
        .isEqualTo(2.0);
    assertThat(RankingParser.preference("[{'model': 'model_1', 'rank': 3}, {'model': 'model_2', 'rank': 1}]")).isNaN();
    assertThat(RankingParser.preference("Model 1 is better")).isNaN();
    assertThat(RankingParser.preference("[{'model': 'model_1', 'rank': 1}] trailing")).isNaN();
  }

  @Test
  void annotatorSwitchesParsesUnswitchesSkipsIdenticalAndResumes(@TempDir Path tmp) {
    List<ModelOutput> ref = AlpacaEvalFiles.readModelOutputs(
        TestData.path("alpaca_eval", "reference_outputs_gpt4_1106_preview.json")).subList(0, 6);
    List<ModelOutput> model = new ArrayList<>();
    for (int i = 0; i < ref.size(); i++) {
      // row 2 repeats the reference: a draw without a judge call
      String out = i == 2 ? ref.get(i).output() : "short answer " + i;
      model.add(new ModelOutput(null, ref.get(i).instruction(), out, "tiny"));
    }
    // the judge always puts 80% on whichever output is shown first ("m")
    ScriptedChatModel judge = new ScriptedChatModel("judge", r -> new Completion("m", FinishReason.LENGTH, 1,
        List.of(new TokenLogprob("m", Math.log(0.8),
            List.of(new TopLogprob("m", Math.log(0.8)), new TopLogprob("M", Math.log(0.2)))))));
    Path file = tmp.resolve("tiny/weighted_alpaca_eval_gpt4_turbo/annotations.json");
    PairwiseAnnotator annotator = PairwiseAnnotator.builder().judge(judge).template(AE2).batchSize(2).build();
    PairwiseAnnotator.Result result = annotator.annotate(ref, model, file);
    assertThat(result.counts()).isEqualTo(new WorkCounts("annotations", 6, 0, 0));
    List<Annotation> ann = result.annotations();
    assertThat(judge.seen).hasSize(5);
    assertThat(judge.seen).allSatisfy(r -> {
      assertThat(r.params().maxTokens()).isEqualTo(1);
      assertThat(r.params().logprobs()).isTrue();
      assertThat(r.params().topLogprobs()).isEqualTo(5);
      assertThat(r.params().temperature()).isEqualTo(1.0);
    });
    // switched rows 0, 1 (model shown first -> model favoured: 3 - 1.2 = 1.8); row 3 unswitched (1.2)
    assertThat(ann.get(0).preference()).isCloseTo(1.8, within(1e-12));
    assertThat(ann.get(1).preference()).isCloseTo(1.8, within(1e-12));
    assertThat(ann.get(2).preference()).isEqualTo(1.5);
    assertThat(ann.get(2).rawCompletion()).isNull();
    assertThat(ann.get(3).preference()).isCloseTo(1.2, within(1e-12));
    assertThat(ann.get(0).generator2()).isEqualTo("tiny");
    assertThat(ann.get(0).annotator()).isEqualTo("weighted_alpaca_eval_gpt4_turbo");
    // stored raw completions re-parse to the stored preferences
    for (Annotation a : ann) {
      if (a.rawCompletion() != null && !a.rawCompletion().isNull()) {
        double shown = LogprobParser.preference(PairwiseAnnotator.topLogprobs(a.rawCompletion()), false);
        boolean sw = PositionSwitch.isSwitched(a.instruction());
        assertThat(sw ? 3 - shown : shown).isCloseTo(a.preference(), within(1e-12));
      }
    }
    // resume: a fresh annotator calls nothing
    ScriptedChatModel judge2 = ScriptedChatModel.text("judge", r -> "m");
    List<Annotation> again = PairwiseAnnotator.builder().judge(judge2).template(AE2).build().annotate(ref, model, file)
        .annotations();
    assertThat(judge2.seen).isEmpty();
    assertThat(again).extracting(Annotation::preference)
        .containsExactlyElementsOf(ann.stream().map(Annotation::preference).toList());
    assertThat(AlpacaEvalFiles.readAnnotations(file)).hasSize(6);
  }

  @Test
  void outputGenerationSavesInEvalOrderAndResumes(@TempDir Path tmp) {
    List<ModelOutput> evalSet = List.of(new ModelOutput("helpful_base", "one", "ref 1", "gpt4"),
        new ModelOutput("helpful_base", "two", "ref 2", "gpt4"), new ModelOutput("koala", "three", "ref 3", "gpt4"));
    Path file = tmp.resolve("model_outputs.json");
    // an earlier run answered "two" only
    AlpacaEvalFiles.writeJson(file, List.of(new ModelOutput("helpful_base", "two", "kept", "tiny")));
    ScriptedChatModel model =
        ScriptedChatModel.text("tiny", r -> "  answer to " + r.messages().get(0).content() + "\n");
    SamplingParams params = SamplingParams.builder().temperature(0).maxTokens(16).build();
    List<ModelOutput> expected = List.of(new ModelOutput("helpful_base", "one", "answer to one", "tiny"),
        new ModelOutput("helpful_base", "two", "kept", "tiny"), new ModelOutput("koala", "three", "answer to three",
            "tiny"));
    OutputGenerator.Result result = OutputGenerator.generate(model, "tiny", evalSet, params, 1, file);
    assertThat(result.outputs()).isEqualTo(expected);
    assertThat(result.counts()).isEqualTo(new WorkCounts("instructions", 3, 0, 0));
    assertThat(model.seen).extracting(r -> r.messages()).containsExactly(List.of(Message.user("one")),
        List.of(Message.user("three")));
    assertThat(AlpacaEvalFiles.readModelOutputs(file)).isEqualTo(expected);
    // a rerun has nothing left to generate and leaves the same file
    ScriptedChatModel again = ScriptedChatModel.text("tiny", r -> "new");
    assertThat(OutputGenerator.generate(again, "tiny", evalSet, params, 2, file).outputs()).isEqualTo(expected);
    assertThat(again.seen).isEmpty();
    assertThat(AlpacaEvalFiles.readModelOutputs(file)).isEqualTo(expected);
  }

  @Test
  void failedCallsLeaveRowsOutOfTheFilesAndTheNextRunDoesThem(@TempDir Path tmp) throws Exception {
    List<ModelOutput> evalSet = List.of(new ModelOutput("helpful_base", "one", "ref 1", "gpt4"),
        new ModelOutput("helpful_base", "two", "ref 2", "gpt4"), new ModelOutput("koala", "three", "ref 3", "gpt4"));
    Path outputs = tmp.resolve("model_outputs.json");
    SamplingParams params = SamplingParams.builder().temperature(0).maxTokens(16).build();
    ScriptedChatModel flaky = ScriptedChatModel.text("tiny", r -> {
      if (r.messages().get(0).content().equals("two")) {
        throw new ProviderException("tiny", 502, true, "bad gateway");
      }
      return "answer to " + r.messages().get(0).content();
    });
    OutputGenerator.Result generated = OutputGenerator.generate(flaky, "tiny", evalSet, params, 3, outputs);
    assertThat(generated.counts()).isEqualTo(new WorkCounts("instructions", 2, 1, 0));
    assertThat(AlpacaEvalFiles.readModelOutputs(outputs)).extracting(ModelOutput::instruction)
        .containsExactly("one", "three");
    assertThat(Files.readString(tmp.resolve("model_outputs.json.failures"))).contains("instruction 1: two")
        .contains("bad gateway");

    // the judge fails on the row of "three"; its row is left out of annotations.json, not written with a null
    List<ModelOutput> reference = evalSet;
    ScriptedChatModel judge = new ScriptedChatModel("judge", r -> {
      if (r.messages().stream().anyMatch(m -> m.content().contains("answer to three"))) {
        throw new ProviderException("judge", 500, true, "internal error");
      }
      return new Completion("m", FinishReason.LENGTH, 1, List.of(new TokenLogprob("m", Math.log(0.8),
          List.of(new TopLogprob("m", Math.log(0.8)), new TopLogprob("M", Math.log(0.2))))));
    });
    Path annotations = tmp.resolve("ann/annotations.json");
    PairwiseAnnotator.Result annotated = PairwiseAnnotator.builder().judge(judge).template(AE2).build()
        .annotate(reference, generated.outputs(), annotations);
    assertThat(annotated.counts()).isEqualTo(new WorkCounts("annotations", 1, 1, 0));
    assertThat(AlpacaEvalFiles.readAnnotations(annotations)).extracting(Annotation::instruction)
        .containsExactly("one");
    assertThat(tmp.resolve("ann/annotations.json.failures")).exists();

    ScriptedChatModel fixedModel = ScriptedChatModel.text("tiny", r -> "answer to " + r.messages().get(0).content());
    OutputGenerator.Result all = OutputGenerator.generate(fixedModel, "tiny", evalSet, params, 3, outputs);
    assertThat(fixedModel.seen).hasSize(1);
    assertThat(all.counts().complete()).isTrue();
    assertThat(tmp.resolve("model_outputs.json.failures")).doesNotExist();
  }

  @Test
  void rankingAnnotatorUndoesTheSwitch() {
    JudgePromptTemplate ae1 = JudgePromptTemplate.read(TestData.path("alpaca_eval", "prompts", "alpaca_eval_gpt4.txt"));
    ScriptedChatModel judge = ScriptedChatModel.text("gpt-4",
        r -> "[{'model': 'model_1', 'rank': 1}, {'model': 'model_2', 'rank': 2}]");
    PairwiseAnnotator a = PairwiseAnnotator.builder().judge(judge).template(ae1).annotatorName("alpaca_eval_gpt4")
        .parser(PairwiseAnnotator.Parser.RANKING).build();
    ModelOutput r0 = new ModelOutput(null, "What are the names of some famous actors that started their careers on "
        + "Broadway?", "ref", "text_davinci_003");
    List<Annotation> ann = a.annotate(List.of(r0), List.of(new ModelOutput(null, r0.instruction(), "mine", "m")), null)
        .annotations();
    // that instruction is switched: "model_1" shown first is our model -> preference 2
    assertThat(ann.get(0).preference()).isEqualTo(2.0);
    assertThat(judge.seen.get(0).params().temperature()).isEqualTo(0);
    assertThat(judge.seen.get(0).params().maxTokens()).isEqualTo(100);
  }

  @Test
  void winRateArithmeticOnHandComputedPreferences() {
    // y = 0, 1, 0.5 (draw), 0.7, 0.3; NaN and out-of-range dropped; 0 is a legacy draw
    List<Double> prefs = Arrays.asList(1.0, 2.0, 0.0, 1.7, 1.3, null, Double.NaN, 2.5);
    LeaderboardRow row = WinRate.compute("m", prefs, List.of("ab", "\uD83D\uDE00x", "abc"));
    assertThat(row.nTotal()).isEqualTo(5);
    assertThat(row.winRate()).isCloseTo(50.0, within(1e-12));
    // sample sd of (0, 1, .5, .7, .3) = sqrt(0.58 / 4); sem = sd / sqrt 5
    assertThat(row.standardError()).isCloseTo(100 * Math.sqrt(0.145) / Math.sqrt(5), within(1e-12));
    assertThat(row.nWins()).isEqualTo(2);
    assertThat(row.nWinsBase()).isEqualTo(2);
    assertThat(row.nDraws()).isEqualTo(1);
    // discrete: 0, 1, 0.5, round(1.7)=2 -> 1, round(1.3)=1 -> 0
    assertThat(row.discreteWinRate()).isCloseTo(50.0, within(1e-12));
    // code points: 2, 2 (emoji counts once), 3 -> int(7/3) = 2
    assertThat(row.avgLength()).isEqualTo(2);
    // only exactly 1.5 is a draw; preferences next to it are rounded to the nearer side
    LeaderboardRow near = WinRate.compute("m", List.of(1.5, 1.5000001, 1.4999999), List.of("a"));
    assertThat(near.nDraws()).isEqualTo(1);
    assertThat(near.nWins()).isEqualTo(1);
    assertThat(near.nWinsBase()).isEqualTo(1);
    assertThat(near.discreteWinRate()).isCloseTo(100 * (0.5 + 1 + 0) / 3, within(1e-12));
  }

  @Test
  void publishedWeightsWithReconstructedDifficultyGiveThePublishedLc() {
    double[] d = AlpacaEvalFiles.readInstructionDifficulty(
        TestData.path("alpaca_eval", "instruction_difficulty_reconstructed.csv"));
    assertThat(d).hasSize(805);
    // OpenHermes-2.5-Mistral-7B's row of alpaca_eval's
    // metrics/weights/weighted_alpaca_eval_gpt4_turbo/length_controlled_v1/baseline_gpt4_1106_preview.csv
    double lc = LengthControlledWinRate.predictWinRate(-2.2260793286135967, 1.0358782051369773, d);
    assertThat(lc).isCloseTo(16.248577696674843, within(1e-6));
  }

  @Test
  void glmRecoversAKnownQualityTermOnSyntheticData() {
    // preferences generated from the model itself: y = sigmoid(-0.8 tanh(sdl) + 0.5 d - 1)
    int n = 400;
    List<String> o1 = new ArrayList<>();
    List<String> o2 = new ArrayList<>();
    List<Double> prefs = new ArrayList<>();
    double[] d = new double[n];
    java.util.Random r = new java.util.Random(7);
    for (int i = 0; i < n; i++) {
      d[i] = r.nextGaussian();
      o1.add("x".repeat(50 + r.nextInt(100)));
      o2.add("y".repeat(50 + r.nextInt(100)));
    }
    double[] delta = new double[n];
    double mean = 0;
    for (int i = 0; i < n; i++) {
      delta[i] = o1.get(i).length() - o2.get(i).length();
      mean += delta[i] / n;
    }
    double ss = 0;
    for (double v : delta) {
      ss += (v - mean) * (v - mean);
    }
    double sd = Math.sqrt(ss / (n - 1));
    double expected = 0;
    for (int i = 0; i < n; i++) {
      prefs.add(1 + L1LogisticRegression.sigmoid(-0.8 * Math.tanh(delta[i] / sd) + 0.5 * d[i] - 1));
      expected += L1LogisticRegression.sigmoid(0.5 * d[i] - 1) / n;
    }
    LengthControlledWinRate.Result res = LengthControlledWinRate.compute(o1, o2, prefs, d, null,
        LengthControlledWinRate.Variant.LENGTH_CONTROLLED_NOREG);
    assertThat(res.bestC()).isGreaterThan(1);
    assertThat(res.coefficients().get("np.tanh(std_delta_len)")).isCloseTo(-0.8, within(0.02));
    assertThat(res.coefficients().get("not_gamed_baseline.astype(float)")).isCloseTo(-1, within(0.02));
    assertThat(res.winRate()).isCloseTo(100 * expected, within(0.3));
    assertThatThrownBy(() -> LengthControlledWinRate.compute(o1, o2, prefs, d, null,
        LengthControlledWinRate.Variant.LENGTH_CONTROLLED_V1)).hasMessageContaining("df_gamed");
  }

  @Test
  void logspaceMatchesNumpy() {
    // numpy.logspace(-4, 4, 10)
    double[] numpy = {0.0001, 0.000774263682681127, 0.005994842503189409, 0.046415888336127774, 0.3593813663804626,
        2.782559402207126, 21.54434690031882, 166.81005372000558, 1291.5496650148827, 10000.0};
    for (int i = 0; i < numpy.length; i++) {
      assertThat(LengthControlledWinRate.CS[i]).isCloseTo(numpy[i], within(numpy[i] * 1e-15));
    }
  }
}
