package dev.zephyr.eval.alpacaeval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.testing.TestData;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Values computed with CPython 3.11 ({@code random.Random(seed)}) and baked in. */
class CPythonRandomTest {

  @Test
  void stringSeedMatchesCPythonBitForBit() {
    CPythonRandom r = new CPythonRandom("abc");
    // random.Random("abc").getrandbits(32) three times
    assertThat(r.nextUint32()).isEqualTo(3315820543L);
    assertThat(r.nextUint32()).isEqualTo(4246262336L);
    assertThat(r.nextUint32()).isEqualTo(2397318194L);
    assertThat(new CPythonRandom("").random()).isEqualTo(0.9602256525641875);
    CPythonRandom u = new CPythonRandom("h\u00e9llo \u2603 \uD83D\uDE00");
    assertThat(u.random()).isEqualTo(0.11177702772278397);
    assertThat(u.random()).isEqualTo(0.5791180261159873);
  }

  @Test
  void switchSeedsOfTheEvalSetMatchCPython() {
    List<ModelOutput> ref = AlpacaEvalFiles.readModelOutputs(
        TestData.path("alpaca_eval", "reference_outputs_gpt4_1106_preview.json"));
    // random.Random("is_switched_outputs" + instruction + "0").random() for the first three instructions
    assertThat(new CPythonRandom("is_switched_outputs" + ref.get(0).instruction() + "0").random())
        .isEqualTo(0.7568804589113483);
    assertThat(new CPythonRandom("is_switched_outputs" + ref.get(1).instruction() + "0").random())
        .isEqualTo(0.8938551417424159);
    assertThat(new CPythonRandom("is_switched_outputs" + ref.get(2).instruction() + "0").random())
        .isEqualTo(0.9679984089150757);
    List<Boolean> firstTen = ref.subList(0, 10).stream().map(o -> PositionSwitch.isSwitched(o.instruction())).toList();
    assertThat(firstTen).containsExactly(true, true, true, false, false, false, true, false, false, true);
    long switched = ref.stream().filter(o -> PositionSwitch.isSwitched(o.instruction())).count();
    assertThat(switched).isEqualTo(406);
  }
}
