package dev.zephyr.eval.alpacaeval;

import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.TokenLogprob;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * alpaca_eval's {@code logprob_parser} for the weighted GPT-4 Turbo judge: from the top log-probabilities of the first
 * generated token take those of exactly {@code "m"} (first output as shown) and {@code "M"} (second output as shown),
 * a missing one counting as -inf, and return the preference in prompt order, {@code 2 - p(m)} with
 * {@code p(m) = exp(lp_m - logsumexp(lp_m, lp_M))}: 1 means the first shown output wins, 2 the second. NaN when
 * neither token is among the alternatives. Binarized (the {@code alpaca_eval_clf_gpt4_turbo} annotator): 1 when
 * {@code m} is strictly more likely than {@code M}, else 2.
 */
public final class LogprobParser {
  public static final String NUMERATOR = "m";
  public static final List<String> DENOMINATOR = List.of("m", "M");

  private LogprobParser() {}

  /** Preference in prompt order from (token, logprob) alternatives of the first token. */
  public static double preference(List<TokenLogprob.TopLogprob> topLogprobs, boolean binarize) {
    Map<String, Double> lp = new HashMap<>();
    for (TokenLogprob.TopLogprob t : topLogprobs) {
      if (DENOMINATOR.contains(t.token())) {
        lp.put(t.token(), t.logprob()); // a later duplicate wins, as in the dict comprehension
      }
    }
    if (lp.isEmpty()) {
      return Double.NaN;
    }
    double num = lp.getOrDefault(NUMERATOR, Double.NEGATIVE_INFINITY);
    double[] den = DENOMINATOR.stream().mapToDouble(t -> lp.getOrDefault(t, Double.NEGATIVE_INFINITY)).toArray();
    if (binarize) {
      // 1 when "m" beats every other denominator token strictly, else 2
      for (String t : DENOMINATOR) {
        if (!t.equals(NUMERATOR) && !(num > lp.getOrDefault(t, Double.NEGATIVE_INFINITY))) {
          return 2;
        }
      }
      return 1;
    }
    return 2 - Math.exp(num - logSumExp(den));
  }

  /** Preference in prompt order from a completion that carries log-probabilities. */
  public static double preference(Completion completion, boolean binarize) {
    if (completion.logprobs().isEmpty()) {
      return Double.NaN;
    }
    return preference(completion.logprobs().get(0).topLogprobs(), binarize);
  }

  static double logSumExp(double[] xs) {
    double max = Double.NEGATIVE_INFINITY;
    for (double x : xs) {
      max = Math.max(max, x);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      return max;
    }
    double sum = 0;
    for (double x : xs) {
      sum += Math.exp(x - max);
    }
    return max + Math.log(sum);
  }
}
