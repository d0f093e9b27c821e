package dev.zephyr.eval.alpacaeval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.zephyr.core.testing.TestData;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The published AlpacaEval 2.0 row of OpenHermes-2.5-Mistral-7B (alpaca_eval leaderboard CSV) recomputed from its
 * stored annotations, and the stored judge answers re-parsed through our position switch.
 */
class AlpacaEvalCheckTest {
  static List<Annotation> annotations;
  static List<ModelOutput> reference;

  @BeforeAll
  static void load() {
    annotations = AlpacaEvalFiles.readAnnotations(
        TestData.path("alpaca_eval", "check", "OpenHermes-2.5-Mistral-7B.annotations.json"));
    reference = AlpacaEvalFiles.readModelOutputs(
        TestData.path("alpaca_eval", "reference_outputs_gpt4_1106_preview.json"));
  }

  @Test
  void leaderboardRowIsReproducedTo1e9() {
    LeaderboardRow row = WinRate.compute("OpenHermes-2.5-Mistral-7B",
        annotations.stream().map(Annotation::preference).toList(),
        annotations.stream().map(Annotation::output2).toList());
    assertThat(row.winRate()).isCloseTo(10.340415705751552, within(1e-9));
    assertThat(row.standardError()).isCloseTo(0.935655389929366, within(1e-9));
    assertThat(row.nWins()).isEqualTo(75);
    assertThat(row.nWinsBase()).isEqualTo(727);
    assertThat(row.nDraws()).isEqualTo(3);
    assertThat(row.nTotal()).isEqualTo(805);
    assertThat(row.discreteWinRate()).isCloseTo(9.503105590062113, within(1e-9));
    assertThat(row.avgLength()).isEqualTo(1107);
  }

  @Test
  void avgLengthOfTheModelOutputsFileMatches() {
    List<ModelOutput> outputs = AlpacaEvalFiles.readModelOutputs(
        TestData.path("alpaca_eval", "check", "OpenHermes-2.5-Mistral-7B.model_outputs.json"));
    assertThat(WinRate.averageLength(outputs.stream().map(ModelOutput::output).toList())).isEqualTo(1107);
  }

  @Test
  void positionSwitchAndLogprobParserReproduceEveryStoredPreference() {
    assertThat(annotations).hasSize(reference.size());
    int judged = 0;
    int switchedRows = 0;
    for (int i = 0; i < annotations.size(); i++) {
      Annotation a = annotations.get(i);
      assertThat(a.instruction()).isEqualTo(reference.get(i).instruction());
      if (a.rawCompletion() == null || a.rawCompletion().isNull()) {
        // identical outputs: a draw without a judge call
        assertThat(a.output1()).isEqualTo(a.output2());
        assertThat(a.preference()).isEqualTo(1.5);
        continue;
      }
      boolean switched = PositionSwitch.isSwitched(a.instruction());
      double shown = LogprobParser.preference(PairwiseAnnotator.topLogprobs(a.rawCompletion()), false);
      double pref = switched ? 3 - shown : shown;
      assertThat(pref).as("row %d", i).isCloseTo(a.preference(), within(1e-9));
      judged++;
      switchedRows += switched ? 1 : 0;
    }
    assertThat(judged).isEqualTo(802);
    assertThat(switchedRows).isGreaterThan(350);
  }

  @Test
  void lengthControlledWithoutTheRegularisationSetIsTheNoregVariant() {
    double[] difficulty = AlpacaEvalFiles.readInstructionDifficulty(
        TestData.path("alpaca_eval", "instruction_difficulty_reconstructed.csv"));
    LengthControlledWinRate.Result lc = LengthControlledWinRate.compute(
        annotations.stream().map(Annotation::output1).toList(),
        annotations.stream().map(Annotation::output2).toList(),
        annotations.stream().map(Annotation::preference).toList(),
        difficulty, null, LengthControlledWinRate.Variant.LENGTH_CONTROLLED_NOREG);
    System.out.println("LC noreg: " + lc);
    assertThat(lc.variant().glmName()).isEqualTo("length_controlled_noreg");
    assertThat(lc.winRate()).isCloseTo(13.42, within(0.01));
  }

  @Test
  void regularisationSetPinsTheLengthSlopeInV1() {
    double[] difficulty = AlpacaEvalFiles.readInstructionDifficulty(
        TestData.path("alpaca_eval", "instruction_difficulty_reconstructed.csv"));
    // a stand-in for df_gamed: two "gamed baselines" whose preference follows sigmoid(-3 tanh(sdl) + d)
    java.util.List<LengthControlledWinRate.RegularizationRow> gamed = new java.util.ArrayList<>();
    for (int copy = 0; copy < 2; copy++) {
      for (int i = 0; i < difficulty.length; i++) {
        double sdl = (copy == 0 ? 1 : -1) * ((i % 7) - 3) / 2.0;
        gamed.add(new LengthControlledWinRate.RegularizationRow(
            L1LogisticRegression.sigmoid(-3 * Math.tanh(sdl) + difficulty[i]), i, sdl, difficulty[i]));
      }
    }
    List<String> o1 = annotations.stream().map(Annotation::output1).toList();
    List<String> o2 = annotations.stream().map(Annotation::output2).toList();
    List<Double> prefs = annotations.stream().map(Annotation::preference).toList();
    LengthControlledWinRate.Result v1 = LengthControlledWinRate.compute(o1, o2, prefs, difficulty, gamed,
        LengthControlledWinRate.Variant.LENGTH_CONTROLLED_V1);
    LengthControlledWinRate.Result noreg = LengthControlledWinRate.compute(o1, o2, prefs, difficulty, null,
        LengthControlledWinRate.Variant.LENGTH_CONTROLLED_NOREG);
    assertThat(v1.variant().glmName()).isEqualTo("length_controlled_v1");
    double slopeV1 = v1.coefficients().get("np.tanh(std_delta_len)");
    double slopeNoreg = noreg.coefficients().get("np.tanh(std_delta_len)");
    // 1610 gamed rows at weight 0.1 (161 effective) against 805 model rows pull the slope toward -3
    assertThat(slopeV1).isLessThan(slopeNoreg - 0.2);
    assertThat(v1.winRate()).isNotCloseTo(noreg.winRate(), within(0.1));
    assertThat(v1.glmPreference()).hasSize(805);
  }
}
