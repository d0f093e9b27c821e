package dev.zephyr.eval.alpacaeval;

import java.util.List;
import java.util.Map;

/**
 * alpaca_eval's {@code ranking_parser} for the AlpacaEval 1 judge ({@code alpaca_eval_gpt4}): the answer is a Python
 * list such as {@code [{'model': 'model_1', 'rank': 1}, {'model': 'model_2', 'rank': 2}]}; the preference is the rank
 * of {@code model_1} (1 = first shown output better, 2 = second), NaN when the answer does not parse or the rank is not
 * 1 or 2.
 */
public final class RankingParser {
  private RankingParser() {}

  /** Preference in prompt order, or NaN. */
  public static double preference(String completion) {
    try {
      Object parsed = PythonLiteral.parse(completion);
      if (!(parsed instanceof List<?> list)) {
        return Double.NaN;
      }
      for (Object o : list) {
        if (o instanceof Map<?, ?> m && "model_1".equals(m.get("model"))) {
          Object rank = m.get("rank");
          // Python: rank in [1, 2] is also true for 1.0, 2.0 and True
          double r;
          if (rank instanceof Number n) {
            r = n.doubleValue();
          } else if (rank instanceof Boolean b) {
            r = b ? 1 : 0;
          } else {
            return Double.NaN;
          }
          return (r == 1 || r == 2) ? r : Double.NaN;
        }
      }
      return Double.NaN;
    } catch (IllegalArgumentException e) {
      return Double.NaN;
    }
  }
}
