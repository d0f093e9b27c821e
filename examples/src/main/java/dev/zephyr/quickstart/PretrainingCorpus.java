package dev.zephyr.quickstart;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Plain text about the quickstart world, for the short pretraining that turns a random student into a "base model":
 * it learns the world's words, numbers and facts ("What is 3 plus 4? 7.") but never sees the chat template or the
 * house answer style, which dSFT then teaches.
 */
public final class PretrainingCorpus {
  private PretrainingCorpus() {}

  /** {@code count} documents of {@code linesPerDocument} question-and-fact lines each, deterministic for a seed. */
  public static List<String> documents(long seed, int count, int linesPerDocument) {
    Random r = new Random(seed);
    List<Task> tasks = InstructionWorld.tasks(seed + 1, count * linesPerDocument);
    List<String> docs = new ArrayList<>(count);
    for (int d = 0; d < count; d++) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < linesPerDocument; i++) {
        Task t = tasks.get(d * linesPerDocument + i);
        if (i > 0) {
          sb.append('\n');
        }
        sb.append(line(t, r));
      }
      docs.add(sb.toString());
    }
    return docs;
  }

  /** A fact line in one of a few neutral wordings (never the house style "The answer is X."). */
  static String line(Task t, Random r) {
    return switch (r.nextInt(3)) {
      case 0 -> t.prompt() + " " + t.answer() + ".";
      case 1 -> t.prompt() + " It is " + t.answer() + ".";
      default -> "Question: " + t.prompt() + " Result: " + t.answer();
    };
  }
}
