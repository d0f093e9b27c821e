package dev.zephyr.eval.mc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LogProbs;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.testing.TestData;
import dev.zephyr.core.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A tiny random decoder with the real Zephyr (Mistral) tokenizer. */
class LocalLoglikelihoodModelTest {
  static NDManager manager;
  static LlamaModel model;
  static Tokenizer tokenizer;
  static LocalLoglikelihoodModel scorer;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
    tokenizer = Tokenizer.load(TestData.path("tokenizers", "zephyr"));
    ModelConfig c = ModelConfig.builder().vocabSize(32000).hiddenSize(16).numAttentionHeads(2).numKeyValueHeads(1)
        .intermediateSize(24).numHiddenLayers(1).build();
    model = LlamaModel.random(c, 5, 0.5, manager);
    scorer = new LocalLoglikelihoodModel(model, tokenizer, manager, 2048);
  }

  @AfterAll
  static void close() {
    model.close();
    tokenizer.close();
    manager.close();
  }

  @Test
  void splitsAtTheContextBoundaryOfTheJointTokenization() {
    LoglikelihoodRequest r = new LoglikelihoodRequest("Question: Is the sky blue?\nAnswer:", " yes");
    LocalLoglikelihoodModel.EncodedPair p = scorer.encode(r);
    int[] whole = tokenizer.encode(r.context() + r.continuation(), false);
    assertThat(p.context()).isEqualTo(tokenizer.encode(r.context(), false));
    assertThat(p.continuation()).isEqualTo(Arrays.copyOfRange(whole, p.context().length, whole.length));
    assertThat(p.continuation()).isNotEmpty();
    // trailing whitespace of the context moves to the continuation
    LocalLoglikelihoodModel.EncodedPair q = scorer.encode(new LoglikelihoodRequest("Answer: ", "yes"));
    assertThat(q.context()).isEqualTo(tokenizer.encode("Answer:", false));
    int[] joint = tokenizer.encode("Answer: yes", false);
    assertThat(q.continuation()).isEqualTo(Arrays.copyOfRange(joint, q.context().length, joint.length));
    // empty context: BOS then the continuation alone
    LocalLoglikelihoodModel.EncodedPair e = scorer.encode(new LoglikelihoodRequest("", "Hello"));
    assertThat(e.context()).containsExactly(1);
    assertThat(e.continuation()).isEqualTo(tokenizer.encode("Hello", false));
  }

  @Test
  void sumsContinuationLogprobsAndMatchesAFullForwardInAnyBatch() {
    List<LoglikelihoodRequest> reqs = List.of(
        new LoglikelihoodRequest("The capital of France is", " Paris"),
        new LoglikelihoodRequest("A much longer context, which pads the other rows of the batch: the answer is",
            " certainly not what you expected at all"),
        new LoglikelihoodRequest("", "Hello"));
    List<Loglikelihood> batched = scorer.loglikelihood(reqs);
    for (int i = 0; i < reqs.size(); i++) {
      LocalLoglikelihoodModel.EncodedPair p = scorer.encode(reqs.get(i));
      int[] full = new int[p.context().length + p.continuation().length];
      System.arraycopy(p.context(), 0, full, 0, p.context().length);
      System.arraycopy(p.continuation(), 0, full, p.context().length, p.continuation().length);
      float[][] rows = LogProbs.rows(model, Arrays.copyOf(full, full.length - 1), manager);
      double expected = 0;
      boolean greedy = true;
      for (int k = p.context().length; k < full.length; k++) {
        float[] row = rows[k - 1];
        expected += row[full[k]];
        int best = 0;
        for (int v = 1; v < row.length; v++) {
          if (row[v] > row[best]) {
            best = v;
          }
        }
        greedy &= best == full[k];
      }
      assertThat(batched.get(i).logprob()).as("request %d", i).isCloseTo(expected, within(1e-4));
      assertThat(batched.get(i).isGreedy()).isEqualTo(greedy);
      // alone in its batch: same number
      assertThat(scorer.loglikelihood(List.of(reqs.get(i))).get(0).logprob())
          .isCloseTo(batched.get(i).logprob(), within(1e-4));
    }
    assertThat(batched.get(1).logprob()).isLessThan(batched.get(0).logprob());
  }

  @Test
  void drivesTheMultipleChoiceEvaluator() {
    List<McExample> examples = List.of(
        new McExample("Q: 2+2=\nA:", List.of("4", "five", "twenty two"), 0),
        new McExample("The colour of grass is", List.of("green", "blue"), 0));
    McEvaluator.Result r = new McEvaluator(scorer, 3).evaluate(examples);
    assertThat(r.n()).isEqualTo(2);
    int correct = 0;
    for (int i = 0; i < examples.size(); i++) {
      McExample ex = examples.get(i);
      McEvaluator.Item it = r.perItem().get(i);
      double[] ll = it.loglikelihoods();
      // each choice scored on its own as the continuation " " + choice of the context, whatever its batch
      for (int j = 0; j < ex.choices().size(); j++) {
        double alone = scorer.loglikelihood(List.of(new LoglikelihoodRequest(ex.context(), " " + ex.choices().get(j))))
            .get(0).logprob();
        assertThat(ll[j]).as("item %d choice %d", i, j).isCloseTo(alone, within(1e-4));
      }
      int best = 0;
      for (int j = 1; j < ll.length; j++) {
        if (ll[j] > ll[best]) {
          best = j;
        }
      }
      assertThat(it.predicted()).isEqualTo(best);
      correct += best == ex.gold() ? 1 : 0;
    }
    assertThat(r.acc()).isEqualTo(correct / 2.0);
  }
}
