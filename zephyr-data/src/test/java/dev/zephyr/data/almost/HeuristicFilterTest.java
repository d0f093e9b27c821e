package dev.zephyr.data.almost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HeuristicFilterTest {
  static final GeneratorConfig A = new GeneratorConfig("13b-Faithful-3shot", 13, 3, GeneratorConfig.FAITHFUL);
  static final GeneratorConfig B = new GeneratorConfig("7b-Faithful-3shot", 7, 3, GeneratorConfig.FAITHFUL);
  static final GeneratorConfig C = new GeneratorConfig("7b-HHH-3shot", 7, 3, GeneratorConfig.HHH);
  static final GeneratorConfig D = new GeneratorConfig("7b-HHH-1shot", 7, 1, GeneratorConfig.HHH);
  static final GeneratorConfig E = new GeneratorConfig("13b-HHH-1shot", 13, 1, GeneratorConfig.HHH);

  /** A good response of exactly n characters. */
  static String resp(int n, char c) {
    return String.valueOf(c).repeat(n - 1) + ".";
  }

  @Test
  void ruleOfThumbIsAPartialOrder() {
    assertThat(A.dominates(B)).isTrue();
    assertThat(B.dominates(C)).isTrue();
    assertThat(C.dominates(D)).isTrue();
    assertThat(E.dominates(D)).isTrue();
    assertThat(E.dominates(B)).isFalse();
    assertThat(B.dominates(E)).isFalse();
    assertThat(A.dominates(A)).isFalse();
    ConfigRanking r = ConfigRanking.ruleOfThumb(List.of(D, C, B, A, E));
    assertThat(r.rank(A.name())).isZero();
    assertThat(r.rank(B.name())).isEqualTo(1);
    assertThat(r.rank(E.name())).isEqualTo(1);
    assertThat(r.rank(C.name())).isEqualTo(2);
    assertThat(r.rank(D.name())).isEqualTo(3);
    assertThat(r.ordered()).containsExactly(A.name(), B.name(), E.name(), C.name(), D.name());
    assertThat(r.prefers(E.name(), C.name())).isFalse(); // same-ish, incomparable
    assertThat(r.prefers(E.name(), D.name())).isTrue();
  }

  @Test
  void handComputedLengthRule() {
    // lengths 60, 200, 100, 80 (+ one BAD): M = 110, S = sqrt(2900) = 53.85, M - S/2 = 83.07
    Map<String, String> rs = new LinkedHashMap<>();
    rs.put(A.name(), resp(60, 'a'));
    rs.put(B.name(), resp(200, 'b'));
    rs.put(C.name(), resp(100, 'c'));
    rs.put(D.name(), resp(80, 'd'));
    rs.put(E.name(), ResponseRules.BAD);
    assertThat(HeuristicFilter.lengthThreshold(rs.values())).isCloseTo(110 - Math.sqrt(2900) / 2, within(1e-9));
    HeuristicFilter f = new HeuristicFilter(ConfigRanking.ruleOfThumb(List.of(A, B, C, D, E)));
    List<SyntheticComparison> pairs = f.compare("Q?", rs);
    // A (60) is shorter than every lower config and below 83.07: never chosen; B > C; B used; C > D
    assertThat(pairs).extracting(SyntheticComparison::meta)
        .containsExactly("7b-Faithful-3shot-vs-7b-HHH-3shot", "7b-HHH-3shot-vs-7b-HHH-1shot");
    assertThat(f.stats().droppedByLength()).isEqualTo(3);
    SyntheticComparison p = pairs.get(0);
    assertThat(p.prompt()).isEqualTo("Q?");
    assertThat(p.chosen()).hasSize(2);
    assertThat(p.chosen().get(0).content()).isEqualTo("Q?");
    assertThat(p.chosenText()).isEqualTo(resp(200, 'b'));
    assertThat(p.rejectedText()).isEqualTo(resp(100, 'c'));
    assertThat(p.messages()).isEqualTo(p.chosen());
  }

  @Test
  void shorterChosenIsKeptWhenLongEnough() {
    // lengths 150, 200, 120: M = 156.67, S = 33.0, M - S/2 = 140.17; A (150 < 200) passes by the second clause
    Map<String, String> rs = Map.of(A.name(), resp(150, 'a'), B.name(), resp(200, 'b'), C.name(), resp(120, 'c'));
    List<SyntheticComparison> pairs = new HeuristicFilter(ConfigRanking.ruleOfThumb(List.of(A, B, C)))
        .compare("Q", rs);
    assertThat(pairs).extracting(SyntheticComparison::meta)
        .containsExactly("13b-Faithful-3shot-vs-7b-Faithful-3shot", "7b-Faithful-3shot-vs-7b-HHH-3shot");
  }

  @Test
  void tiesIncomparablesIdenticalTextsAndTooFewCandidates() {
    ConfigRanking tiers = ConfigRanking.tiers(List.of(List.of("x", "y"), List.of("z")));
    HeuristicFilter f = new HeuristicFilter(tiers);
    // x and y tie: no x-vs-y pair; x > z; y shares x's rank, which is already used as chosen: no y-vs-z
    Map<String, String> rs = new LinkedHashMap<>();
    rs.put("x", resp(100, 'x'));
    rs.put("y", resp(100, 'y'));
    rs.put("z", resp(90, 'z'));
    assertThat(f.compare("Q", rs)).extracting(SyntheticComparison::meta).containsExactly("x-vs-z");
    // when x loses on length (shorter than z and below M - S/2), y of the same rank may still be chosen
    Map<String, String> rs2 = new LinkedHashMap<>();
    rs2.put("x", resp(60, 'x'));
    rs2.put("y", resp(300, 'y'));
    rs2.put("z", resp(200, 'z'));
    assertThat(f.compare("Q", rs2)).extracting(SyntheticComparison::meta).containsExactly("y-vs-z");
    // identical chosen and rejected are dropped
    assertThat(f.compare("Q", Map.of("x", resp(100, 'q'), "z", resp(100, 'q')))).isEmpty();
    assertThat(f.stats().droppedIdentical()).isEqualTo(1);
    // one usable candidate: no pairs
    assertThat(f.compare("Q", Map.of("x", resp(100, 'q'), "z", ResponseRules.BAD, "y", "  "))).isEmpty();
    assertThat(f.stats().promptsWithoutPairs()).isEqualTo(2);
    assertThat(f.stats().missingResponses()).as("y absent in the third prompt; z BAD and y blank in the fourth")
        .isEqualTo(3);
    // rule of thumb: E and B are incomparable, so no pair even though E is longer
    assertThat(new HeuristicFilter(ConfigRanking.ruleOfThumb(List.of(B, E)))
        .compare("Q", Map.of(B.name(), resp(100, 'b'), E.name(), resp(300, 'e')))).isEmpty();
  }

  @Test
  void comparisonsUseTheUltrafeedbackBinarizedColumns() throws Exception {
    String line = dev.zephyr.core.io.Jsonl.toLine(SyntheticComparison.of("Q", "good answer.", "bad answer.", "a", "b"));
    var node = dev.zephyr.core.io.Json.mapper().readTree(line);
    assertThat(node.fieldNames()).toIterable()
        .containsExactly("prompt", "prompt_id", "chosen", "rejected", "messages", "meta");
    assertThat(node.get("chosen").toString()).isEqualTo(
        "[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"good answer.\"}]");
    assertThat(node.get("meta").asText()).isEqualTo("a-vs-b");
    assertThat(dev.zephyr.core.io.Json.mapper().readValue(line, SyntheticComparison.class))
        .isEqualTo(SyntheticComparison.of("Q", "good answer.", "bad answer.", "a", "b"));
  }
}
