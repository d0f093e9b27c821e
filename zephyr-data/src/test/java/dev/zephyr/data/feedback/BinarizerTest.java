package dev.zephyr.data.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import dev.zephyr.core.chat.Message;
import dev.zephyr.data.feedback.Binarizer.ChosenBy;
import dev.zephyr.data.feedback.Binarizer.RejectedBy;
import dev.zephyr.data.feedback.Binarizer.TiePolicy;
import dev.zephyr.data.rows.PreferenceRecord;
import dev.zephyr.data.rows.RatingRecord.RatedCompletion;
import dev.zephyr.data.rows.PromptRecord;
import dev.zephyr.data.rows.RatingRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BinarizerTest {

  private static RatingRecord record(String id, Double... scores) {
    List<RatedCompletion> cs = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      cs.add(new RatedCompletion("m" + i, null, null, "answer " + i, null, null, scores[i], null));
    }
    return new RatingRecord(id, "prompt " + id, "overall", cs, List.of());
  }

  @Test
  void zephyrRecipePicksTheBestAndAUniformOther() {
    Binarizer b = Binarizer.zephyr(42);
    Map<String, Integer> rejectedCounts = new HashMap<>();
    for (int p = 0; p < 3000; p++) {
      List<PreferenceRecord> out = b.binarize(record("p" + p, 3.0, 9.0, 5.0, 9.0));
      assertThat(out).hasSize(1);
      PreferenceRecord r = out.get(0);
      // first of the tied maxima wins, as max() in the H4 script
      assertThat(r.chosen().get(1).content()).isEqualTo("answer 1");
      assertThat(r.scoreChosen()).isEqualTo(9.0);
      rejectedCounts.merge(r.rejected().get(1).content(), 1, Integer::sum);
    }
    // uniform over the three others, the tied 9.0 included (ties: keep)
    assertThat(rejectedCounts.keySet()).containsExactlyInAnyOrder("answer 0", "answer 2", "answer 3");
    rejectedCounts.values().forEach(v -> assertThat(v).isBetween(900, 1100));
    // same seed, same choice, whichever instance draws it
    assertThat(Binarizer.zephyr(42).binarize(record("p7", 3.0, 9.0, 5.0, 9.0)).get(0).rejected().get(1).content())
        .isEqualTo("answer 2");
  }

  @Test
  void layoutMatchesUltrafeedbackBinarized() {
    PreferenceRecord r = new Binarizer(ChosenBy.OVERALL, RejectedBy.LOWEST, TiePolicy.KEEP, 1)
        .binarize(record("x", 2.0, 8.0, 1.0)).get(0);
    assertThat(r.prompt()).isEqualTo("prompt x");
    assertThat(r.chosen()).containsExactly(Message.user("prompt x"), Message.assistant("answer 1"));
    assertThat(r.rejected()).containsExactly(Message.user("prompt x"), Message.assistant("answer 2"));
    assertThat(r.messages()).isEqualTo(r.chosen());
    assertThat(r.scoreChosen()).isEqualTo(8.0);
    assertThat(r.scoreRejected()).isEqualTo(1.0);
    assertThat(dev.zephyr.core.io.Jsonl.toLine(r)).startsWith(
        "{\"prompt\":\"prompt x\",\"prompt_id\":\"x\",\"chosen\":[{\"role\":\"user\",\"content\":\"prompt x\"},"
        + "{\"role\":\"assistant\",\"content\":\"answer 1\"}]").contains("\"score_chosen\":8.0,\"score_rejected\":1.0");
  }

  @Test
  void tiePoliciesAndUnscoredCompletions() {
    RatingRecord allTied = record("t", 5.0, 5.0, 5.0);
    assertThat(new Binarizer(ChosenBy.OVERALL, RejectedBy.RANDOM, TiePolicy.KEEP, 1).binarize(allTied)).hasSize(1);
    assertThat(new Binarizer(ChosenBy.OVERALL, RejectedBy.RANDOM, TiePolicy.DROP, 1).binarize(allTied)).isEmpty();
    assertThat(new Binarizer(ChosenBy.OVERALL, RejectedBy.RANDOM, TiePolicy.REDRAW, 1).binarize(allTied)).isEmpty();
    // redraw always lands on a strictly lower score
    Binarizer redraw = new Binarizer(ChosenBy.OVERALL, RejectedBy.RANDOM, TiePolicy.REDRAW, 3);
    for (int p = 0; p < 200; p++) {
      assertThat(redraw.binarize(record("r" + p, 7.0, 7.0, 2.0)).get(0).scoreRejected()).isEqualTo(2.0);
    }
    // a completion without a score never takes part
    assertThat(Binarizer.zephyr(1).binarize(record("n", 4.0, null))).isEmpty();
    assertThat(Binarizer.zephyr(1).binarize(record("n", null, 4.0, 6.0)).get(0).rejected().get(1).content())
        .isEqualTo("answer 1");
  }

  @Test
  void allPairsAndMeanScores() {
    List<PreferenceRecord> pairs = new Binarizer(ChosenBy.OVERALL, RejectedBy.ALL, TiePolicy.DROP, 1)
        .binarize(record("a", 1.0, 3.0, 2.0, 3.0));
    // 6 pairs minus the 3.0/3.0 tie
    assertThat(pairs).hasSize(5);
    assertThat(pairs).allSatisfy(p -> assertThat(p.scoreChosen()).isGreaterThan(p.scoreRejected()));

    List<RatedCompletion> cs = List.of(
        new RatedCompletion("a", null, null, "low", Map.of(), null, null, 2.5),
        new RatedCompletion("b", null, null, "high", Map.of(), null, null, 4.75));
    PreferenceRecord m = new Binarizer(ChosenBy.MEAN, RejectedBy.RANDOM, TiePolicy.KEEP, 1)
        .binarize(new RatingRecord("id", "p", "ultrafeedback", cs, List.of())).get(0);
    assertThat(m.chosen().get(1).content()).isEqualTo("high");
    assertThat(m.scoreChosen()).isEqualTo(4.75);
    assertThat(m.scoreRejected()).isEqualTo(2.5);
  }

  @Test
  void promptIdIsTheSha256OfThePrompt() {
    // hashlib.sha256("Hello".encode("utf-8")).hexdigest()
    assertThat(PromptRecord.deriveId("Hello"))
        .isEqualTo("185f8db32271fe25f561a6fc938b2e264306ec304eda518007d1764826381969");
  }
}
