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
  @Test
  void sampleMatchesCPythonInBothBranches() {
    // r = random.Random(1234); r.sample(range(1119), 25) twice: the large-population branch (1119 > 21 + 4 ** 5),
    // as lm-eval draws 25 ARC-Challenge shots from its 1119 training questions
    CPythonRandom r = new CPythonRandom(java.math.BigInteger.valueOf(1234));
    List<Integer> arcTrain = java.util.stream.IntStream.range(0, 1119).boxed().toList();
    assertThat(r.sample(arcTrain, 25)).containsExactly(902, 239, 15, 185, 71, 171, 201, 726, 484, 35, 63, 32, 708,
        991, 949, 304, 186, 374, 234, 29, 1030, 996, 511, 132, 1108);
    assertThat(r.sample(arcTrain, 25)).containsExactly(954, 140, 182, 1054, 94, 552, 129, 619, 985, 727, 545, 510,
        409, 928, 1085, 39, 1040, 144, 11, 683, 294, 968, 772, 342, 110);
    // r = random.Random(1234); [r.getrandbits(5) for _ in range(4)], r.sample(range(30), 7), r.sample(range(3), 3):
    // the pool branch (30 <= 21 + 4 ** 3)
    CPythonRandom s = new CPythonRandom(java.math.BigInteger.valueOf(1234));
    assertThat(List.of(s.getrandbits(5), s.getrandbits(5), s.getrandbits(5), s.getrandbits(5)))
        .containsExactly(30L, 24L, 14L, 3L);
    assertThat(s.sample(java.util.stream.IntStream.range(0, 30).boxed().toList(), 7))
        .containsExactly(0, 2, 25, 18, 1, 21, 22);
    assertThat(s.sample(List.of(0, 1, 2), 3)).containsExactly(0, 2, 1);
  }

  @Test
  void sampleLargerThanThePopulationFailsAsCPythonDoes() {
    CPythonRandom r = new CPythonRandom(java.math.BigInteger.valueOf(1234));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.sample(List.of(1, 2), 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k=3, n=2");
  }
}
