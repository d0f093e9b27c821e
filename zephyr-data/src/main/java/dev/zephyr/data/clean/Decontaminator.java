package dev.zephyr.data.clean;

import dev.zephyr.data.instruct.RougeL;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Flags training prompts that overlap evaluation prompts by word n-grams. Text is tokenised like ROUGE (lower-case,
 * alphanumeric words). A prompt is contaminated when it contains any n-gram of an evaluation prompt; evaluation
 * prompts shorter than n words are matched as a whole word sequence instead, so short MT-Bench turns are covered
 * too (but prompts with fewer than {@code minWords} words are ignored, since "Why?"-style turns say nothing).
 */
public final class Decontaminator {
  private final int n;
  /** n-gram (or whole short prompt) joined with spaces -> the evaluation prompt it came from. */
  private final Map<String, String> grams = new HashMap<>();
  private final java.util.TreeSet<Integer> shortLengths = new java.util.TreeSet<>();

  /**
   * @param n n-gram length in words (8 by default in the CLI; GPT-3 used 13 on whole documents)
   * @param minWords evaluation prompts with fewer words are not used
   */
  public Decontaminator(List<EvalPrompts.EvalPrompt> evalPrompts, int n, int minWords) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1");
    }
    this.n = n;
    for (EvalPrompts.EvalPrompt p : evalPrompts) {
      List<String> toks = RougeL.tokenize(p.text());
      if (toks.size() < minWords) {
        continue;
      }
      if (toks.size() < n) {
        grams.putIfAbsent(String.join(" ", toks), p.source());
        shortLengths.add(toks.size());
      } else {
        for (int i = 0; i + n <= toks.size(); i++) {
          grams.putIfAbsent(String.join(" ", toks.subList(i, i + n)), p.source());
        }
      }
    }
  }

  /** The source of the evaluation prompt the text overlaps, if any. */
  public Optional<String> match(String text) {
    List<String> toks = RougeL.tokenize(text);
    for (int len : shortLengths) {
      Optional<String> hit = scan(toks, len);
      if (hit.isPresent()) {
        return hit;
      }
    }
    return scan(toks, n);
  }

  private Optional<String> scan(List<String> toks, int len) {
    for (int i = 0; i + len <= toks.size(); i++) {
      String src = grams.get(String.join(" ", toks.subList(i, i + len)));
      if (src != null) {
        return Optional.of(src);
      }
    }
    return Optional.empty();
  }
}
