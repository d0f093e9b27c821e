package dev.zephyr.eval.harness;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.eval.alpacaeval.CPythonRandom;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The contexts lm-evaluation-harness builds for a task's documents ({@code ConfigurableTask.fewshot_context} and
 * {@code ContextSampler.get_context}, without a chat template): the description, then for each few-shot example its
 * text, the target delimiter, its target choice and the few-shot delimiter, then the document's own text.
 *
 * <p>Examples are drawn per document in evaluation order from one {@code random.Random(1234)} per task (lm-eval's
 * default {@code fewshot_random_seed}), so a document's examples depend on the documents before it, exactly as in
 * lm-eval; {@code --limit} only cuts the list, never changes the draws of the documents kept. The sampler draws
 * {@code k + 1} when the task says so ({@link HarnessTask#drawsExtra()}), drops the document itself if drawn, and keeps
 * the first {@code k}.
 */
public final class FewshotContexts {
  /** lm-eval's default {@code fewshot_random_seed}. */
  public static final int SEED = 1234;

  private FewshotContexts() {}

  /**
   * One context per document.
   *
   * @param fewshotDocs the task's few-shot split (unused when {@code numFewshot} is 0)
   * @param fewshotSource the few-shot split's file, named in errors
   * @throws InvalidInputException when the few-shot split has fewer documents than a draw needs
   */
  public static List<String> build(HarnessTask task, List<HarnessDoc> docs, List<HarnessDoc> fewshotDocs,
      String fewshotSource, int numFewshot) {
    if (numFewshot < 0) {
      throw InvalidInputException.field("--num-fewshot", "num_fewshot", "must be 0 or more, got " + numFewshot);
    }
    int draw = task.drawsExtra() ? numFewshot + 1 : numFewshot;
    if (numFewshot > 0 && fewshotDocs.size() < draw) {
      throw new InvalidInputException(fewshotSource, 0, null, "the " + task.fewshotSplit() + " split of "
          + task.name() + " has " + fewshotDocs.size() + " documents, fewer than the " + draw + " that "
          + numFewshot + "-shot prompts draw" + (draw > numFewshot ? " (k + 1, the document itself is left out)" : ""));
    }
    CPythonRandom rnd = new CPythonRandom(BigInteger.valueOf(SEED));
    List<String> out = new ArrayList<>(docs.size());
    for (HarnessDoc doc : docs) {
      StringBuilder context = new StringBuilder(task.description());
      if (numFewshot > 0) {
        List<HarnessDoc> drawn = task.sampler() == Sampler.FIRST_N
            ? fewshotDocs.subList(0, draw)
            : rnd.sample(fewshotDocs, draw);
        int kept = 0;
        for (HarnessDoc example : drawn) {
          if (kept == numFewshot || example.row().equals(doc.row())) {
            continue;
          }
          context.append(example.text()).append(HarnessTask.TARGET_DELIMITER).append(example.target())
              .append(HarnessTask.FEWSHOT_DELIMITER);
          kept++;
        }
      }
      out.add(context.append(doc.text()).toString());
    }
    return out;
  }
}
