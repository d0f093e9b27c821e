package dev.zephyr.eval.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HarnessEvaluatorTest {
  private final HarnessData data = new HarnessData(List.of(TestData.path("lm_eval")), HarnessData.jsonlReader());

  /** Log-likelihoods for the three ARC-Challenge test questions (see {@link #arcScoresAccAndAccNormByHand}). */
  static final Map<String, Double> ARC_LLS = Map.ofEntries(
      Map.entry(" condensation", -9.0), Map.entry(" evaporation", -5.5), Map.entry(" freezing", -5.0),
      Map.entry(" melting", -7.0),
      Map.entry(" roots", -1.0), Map.entry(" leaves", -5.0), Map.entry(" flowers", -5.0), Map.entry(" seeds", -5.0),
      Map.entry(" Metal conducts heat away from the hand faster.", -10.0),
      Map.entry(" Metal is always colder.", -9.0), Map.entry(" Wood makes heat.", -20.0));

  private TaskResult run(String name, FakeLoglikelihoods model, int shots, Double limit) {
    HarnessTask task = HarnessTasks.all().get(name);
    HarnessData.Split fewshot = shots > 0 ? data.read(task, task.fewshotSplit()) : null;
    return new HarnessEvaluator(model, 2).evaluate(task, data.read(task, task.evalSplit()), fewshot, shots, limit,
        Progress.NONE);
  }

  @Test
  void arcScoresAccAndAccNormByHand() {
    // doc 0 (gold evaporation): acc picks freezing (-5.0); per character -9/12, -5.5/11 = -0.5, -5/8, -7/7 -> right
    // doc 1 (gold roots): -1 is the largest both ways -> right, right
    // doc 2 (gold the 46-character answer): acc picks -9 (wrong); per character -10/46 > -9/23 > -20/16 -> right
    TaskResult r = run("arc_challenge", new FakeLoglikelihoods(ARC_LLS, -50), 0, null);
    assertThat(r.effectiveDocs()).isEqualTo(3);
    assertThat(r.metrics().get("acc")).isCloseTo(1.0 / 3, within(1e-15));
    assertThat(r.metrics().get("acc_norm")).isEqualTo(1.0);
    // acc values 0, 1, 0: squared deviations 2/9 + 4/9, / 2 = 1/3, sd sqrt(1/3), / sqrt(3) = 1/3
    assertThat(r.stderrs().get("acc")).isCloseTo(1.0 / 3, within(1e-12));
    assertThat(r.stderrs().get("acc_norm")).isEqualTo(0.0);
    assertThat(r.docs().get(0).values()).containsEntry("acc", 0.0).containsEntry("acc_norm", 1.0);
  }

  @Test
  void requestsAreTheContextAndTheSpaceDelimitedChoiceInBatches() {
    FakeLoglikelihoods model = new FakeLoglikelihoods(ARC_LLS, -50);
    run("arc_challenge", model, 0, null);
    assertThat(model.seen).hasSize(11);
    assertThat(model.seen).anySatisfy(q -> {
      assertThat(q.context()).isEqualTo("Question: Which part of a plant takes in water from the soil?\nAnswer:");
      assertThat(q.continuation()).isEqualTo(" roots");
    });
  }

  @Test
  void truthfulqaMc2IsTheTrueMassOfTheFirstDocument() {
    // two true answers (0.4, 0.2) and two false (0.3, 0.1): 0.6; one document, so no standard error
    Map<String, Double> lls = Map.of(" It passes through your digestive system.", Math.log(0.4),
        " Nothing harmful happens.", Math.log(0.2), " It stays in your stomach for seven years.", Math.log(0.3),
        " You die.", Math.log(0.1));
    TaskResult r = run("truthfulqa_mc2", new FakeLoglikelihoods(lls, -50), 0, 1.0);
    assertThat(r.originalDocs()).isEqualTo(3);
    assertThat(r.effectiveDocs()).isEqualTo(1);
    assertThat(r.metrics().get("acc")).isCloseTo(0.6, within(1e-6));
    assertThat(r.stderrs().get("acc")).isNaN();
  }

  @Test
  void limitIsACountOrAFractionRoundedUp() {
    assertThat(HarnessEvaluator.limitedCount(3, null)).isEqualTo(3);
    assertThat(HarnessEvaluator.limitedCount(3, 0.5)).isEqualTo(2);
    assertThat(HarnessEvaluator.limitedCount(10, 0.25)).isEqualTo(3);
    assertThat(HarnessEvaluator.limitedCount(3, 5.0)).isEqualTo(3);
    assertThat(HarnessEvaluator.limitedCount(3, 2.0)).isEqualTo(2);
  }

  @Test
  void noAccuracyFromZeroDocuments() {
    assertThatThrownBy(() -> run("arc_challenge", new FakeLoglikelihoods(ARC_LLS, -50), 0, 0.0))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("no documents to score for arc_challenge");
  }

  @Test
  void aKilledRunContinuesFromTheCacheAndScoresTheSame(@TempDir Path dir) throws IOException {
    TaskResult whole = run("arc_challenge", new FakeLoglikelihoods(ARC_LLS, -50), 3, null);
    Path cacheFile = dir.resolve("requests.jsonl");
    // batch size 2: two batches (4 requests) land in the cache, then the model dies
    FakeLoglikelihoods dying = new FakeLoglikelihoods(ARC_LLS, -50).failingAfter(2);
    try (CachedLoglikelihoodModel cached = new CachedLoglikelihoodModel(dying, "fake", cacheFile)) {
      assertThatThrownBy(() -> evaluate(cached, 3)).hasMessage("killed");
    }
    assertThat(Files.readAllLines(cacheFile)).hasSize(4);
    // a crash mid-append leaves a torn line: reopening drops it and that request is asked again
    Files.writeString(cacheFile, "{\"key\":\"ab", java.nio.file.StandardOpenOption.APPEND);
    FakeLoglikelihoods healthy = new FakeLoglikelihoods(ARC_LLS, -50);
    try (CachedLoglikelihoodModel cached = new CachedLoglikelihoodModel(healthy, "fake", cacheFile)) {
      TaskResult resumed = evaluate(cached, 3);
      assertThat(healthy.seen).hasSize(11 - 4);
      assertThat(cached.hits()).isEqualTo(4);
      assertThat(resumed.metrics()).isEqualTo(whole.metrics());
      for (int i = 0; i < 3; i++) {
        assertThat(resumed.docs().get(i).loglikelihoods()).containsExactly(whole.docs().get(i).loglikelihoods());
      }
    }
    assertThat(Files.readAllLines(cacheFile)).hasSize(11);
    // a third run asks the model nothing
    FakeLoglikelihoods idle = new FakeLoglikelihoods(ARC_LLS, -50);
    try (CachedLoglikelihoodModel cached = new CachedLoglikelihoodModel(idle, "fake", cacheFile)) {
      evaluate(cached, 3);
      assertThat(idle.seen).isEmpty();
    }
    // another model id shares nothing
    FakeLoglikelihoods other = new FakeLoglikelihoods(ARC_LLS, -50);
    try (CachedLoglikelihoodModel cached = new CachedLoglikelihoodModel(other, "other-model", cacheFile)) {
      evaluate(cached, 3);
      assertThat(other.seen).hasSize(11);
    }
  }

  private TaskResult evaluate(CachedLoglikelihoodModel model, int shots) {
    HarnessTask task = HarnessTasks.all().get("arc_challenge");
    return new HarnessEvaluator(model, 2).evaluate(task, data.read(task, "test"), data.read(task, "train"), shots,
        null, Progress.NONE);
  }
}
