package dev.zephyr.data.instruct;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ROUGE-L F-measure over word tokens, tokenised the way Google's {@code rouge_score} package does by default
 * (no stemming): lower-case, replace every run of characters outside {@code [a-z0-9]} with a space, split on
 * whitespace. Non-ASCII letters therefore vanish, as they do there.
 */
public final class RougeL {
  private RougeL() {}

  /** {@code rouge_score}'s default tokenisation without stemming. */
  public static List<String> tokenize(String text) {
    String lowered = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", " ");
    List<String> tokens = new ArrayList<>();
    for (String t : lowered.trim().split(" +")) {
      if (!t.isEmpty()) {
        tokens.add(t);
      }
    }
    return tokens;
  }

  /** ROUGE-L F1 of {@code prediction} against {@code target}; 0 when either side has no tokens. */
  public static double fmeasure(String target, String prediction) {
    return fmeasure(tokenize(target), tokenize(prediction));
  }

  /** ROUGE-L F1 over already tokenised sequences. */
  public static double fmeasure(List<String> target, List<String> prediction) {
    if (target.isEmpty() || prediction.isEmpty()) {
      return 0.0;
    }
    int lcs = lcsLength(target, prediction);
    double precision = (double) lcs / prediction.size();
    double recall = (double) lcs / target.size();
    return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
  }

  /** Length of the longest common subsequence (two-row dynamic programme). */
  public static int lcsLength(List<String> a, List<String> b) {
    int[] prev = new int[b.size() + 1];
    int[] cur = new int[b.size() + 1];
    for (int i = 1; i <= a.size(); i++) {
      String ai = a.get(i - 1);
      for (int j = 1; j <= b.size(); j++) {
        cur[j] = ai.equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.size()];
  }
}
