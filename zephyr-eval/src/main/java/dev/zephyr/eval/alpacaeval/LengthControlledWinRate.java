package dev.zephyr.eval.alpacaeval;

import dev.zephyr.core.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AlpacaEval 2.0's length-controlled win rate ({@code metrics/glm_winrate.py}): a logistic GLM of the judge's
 * preference on {@code tanh(std_delta_len)}, the instruction's difficulty and a model-quality term, fitted with L1
 * penalty (no intercept) and C chosen by 5-fold grouped cross-validation over {@code logspace(-4, 4, 10)} under the
 * weighted continuous log loss; the LC win rate is {@code 100 mean_i sigmoid(w . x_i)} with the length feature set to 0.
 *
 * <p>{@code delta_len = len(output_1) - len(output_2)} (reference minus model, code points) divided by its sample
 * standard deviation over all rows; {@code y = preference - 1}; rows without a preference are left out of the fit but
 * not out of the average. Rows are matched to instruction difficulty by position (eval-set order).
 *
 * <p>Which variant is computed matters and is reported: {@link Variant#LENGTH_CONTROLLED_V1} (the published
 * leaderboard's) needs alpaca_eval's regularisation set ({@code df_gamed.csv}: the verbose and concise GPT-4 Turbo
 * baselines, weight lambda/2 = 0.1 per row, quality column 0); without it {@link Variant#LENGTH_CONTROLLED_NOREG} fits
 * the same formula on the model's rows alone.
 */
public final class LengthControlledWinRate {
  /** The C grid scikit-learn's {@code LogisticRegressionCV(Cs=10)} uses. */
  static final double[] CS = logspace(-4, 4, 10);
  static final int N_SPLITS = 5;

  /** The GLM variants alpaca_eval names. */
  public enum Variant {
    /** tanh(length) + difficulty + quality, regularised to the gamed baselines with lambda 0.2 (published). */
    LENGTH_CONTROLLED_V1("length_controlled_v1", true, 0.2),
    /** Same formula, no regularisation set. */
    LENGTH_CONTROLLED_NOREG("length_controlled_noreg", true, 0),
    /** tanh(length) + quality only, no regularisation set. */
    LENGTH_CONTROLLED_MINIMAL("length_controlled_minimal", false, 0);

    private final String glmName;
    private final boolean usesDifficulty;
    private final double lambda;

    Variant(String glmName, boolean usesDifficulty, double lambda) {
      this.glmName = glmName;
      this.usesDifficulty = usesDifficulty;
      this.lambda = lambda;
    }

    /** alpaca_eval's name for the GLM ({@code glm_name}). */
    public String glmName() {
      return glmName;
    }
  }

  /**
   * One row of the regularisation set ({@code df_gamed.csv}): preference already in [0, 1], the instruction's index,
   * the standardised length difference and the instruction difficulty.
   */
  public record RegularizationRow(double preference, int index, double stdDeltaLen, double instructionDifficulty) {}

  /**
   * The fit and its prediction.
   *
   * @param variant which GLM was fitted
   * @param winRate {@code length_controlled_winrate} in percent
   * @param standardError {@code lc_standard_error} in percent (sem of the per-instruction predictions)
   * @param bestC the C chosen by cross-validation
   * @param coefficients weights named as alpaca_eval's weights CSV names its columns
   * @param glmPreference per-row predicted preference with the length feature at 0
   */
  public record Result(Variant variant, double winRate, double standardError, double bestC,
      Map<String, Double> coefficients, double[] glmPreference) {}

  private LengthControlledWinRate() {}

  /**
   * Fits and predicts.
   *
   * @param outputs1 reference outputs, eval order
   * @param outputs2 model outputs, eval order
   * @param preferences judge preferences (1..2; null/NaN = none; 0 = draw)
   * @param difficulty instruction difficulty by row index (may be null for the minimal variant)
   * @param regularization the gamed-baseline set; required for v1, ignored otherwise
   */
  public static Result compute(List<String> outputs1, List<String> outputs2, List<Double> preferences,
      double[] difficulty, List<RegularizationRow> regularization, Variant variant) {
    int n = preferences.size();
    if (outputs1.size() != n || outputs2.size() != n) {
      throw new IllegalArgumentException("outputs and preferences differ in length");
    }
    if (variant.usesDifficulty && (difficulty == null || difficulty.length < n)) {
      throw InvalidInputException.field("instruction difficulty", "instruction_difficulty",
          "need a difficulty for each of the " + n + " rows, got " + (difficulty == null ? 0 : difficulty.length));
    }
    if (variant.lambda > 0 && (regularization == null || regularization.isEmpty())) {
      throw new IllegalArgumentException(variant.glmName + " needs the regularisation set (alpaca_eval df_gamed.csv)");
    }
    double[] deltaLen = new double[n];
    for (int i = 0; i < n; i++) {
      deltaLen[i] = codePoints(outputs1.get(i)) - codePoints(outputs2.get(i));
    }
    double std = WinRate.sampleStd(deltaLen);

    List<double[]> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    List<Double> ws = new ArrayList<>();
    if (variant.lambda > 0) {
      for (RegularizationRow r : regularization) {
        if (Double.isNaN(r.preference())) {
          continue;
        }
        xs.add(features(variant, Math.tanh(r.stdDeltaLen()), r.instructionDifficulty(), 0));
        ys.add(r.preference());
        ws.add(variant.lambda / 2);
      }
    }
    double[][] test = new double[n][];
    for (int i = 0; i < n; i++) {
      double d = variant.usesDifficulty ? difficulty[i] : 0;
      test[i] = features(variant, 0, d, 1);
      double pref = WinRate.scoredPreference(preferences.get(i));
      if (Double.isNaN(pref)) {
        continue;
      }
      double sdl = std == 0 || Double.isNaN(std) ? 0 : deltaLen[i] / std;
      xs.add(features(variant, Math.tanh(sdl), d, 1));
      ys.add(pref - 1);
      ws.add(1.0);
    }
    double[][] x = xs.toArray(new double[0][]);
    double[] y = ys.stream().mapToDouble(Double::doubleValue).toArray();
    double[] w = ws.stream().mapToDouble(Double::doubleValue).toArray();

    double bestC = crossValidatedC(x, y, w);
    double[] coef = L1LogisticRegression.fit(x, y, w, bestC);

    double[] predicted = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      predicted[i] = L1LogisticRegression.sigmoid(dot(coef, test[i]));
      sum += predicted[i];
    }
    double mean = sum / n;
    double sem = WinRate.standardError(predicted);

    Map<String, Double> named = new LinkedHashMap<>();
    named.put("np.tanh(std_delta_len)", coef[0]);
    if (variant.usesDifficulty) {
      named.put("instruction_difficulty", coef[1]);
    }
    named.put("not_gamed_baseline.astype(float)", coef[coef.length - 1]);
    return new Result(variant, 100 * mean, 100 * sem, bestC, named, predicted);
  }

  /**
   * alpaca_eval's {@code predict_winrate} with stored GLM weights: {@code 100 mean_i sigmoid(w_quality + w_difficulty
   * d_i)} where the weights are the model's minus the baseline's (pass the model's own weights for the default
   * baseline, whose weights are all 0).
   */
  public static double predictWinRate(double qualityWeight, double difficultyWeight, double[] difficulty) {
    double sum = 0;
    for (double d : difficulty) {
      sum += L1LogisticRegression.sigmoid(qualityWeight + difficultyWeight * d);
    }
    return 100 * sum / difficulty.length;
  }

  private static double[] features(Variant v, double tanhLen, double difficulty, double notGamed) {
    return v.usesDifficulty ? new double[] {tanhLen, difficulty, notGamed} : new double[] {tanhLen, notGamed};
  }

  /**
   * Picks C as {@code LogisticRegressionCV} does with {@code GroupKFold(5)}: every training row is its own group;
   * with equal group sizes GroupKFold deals the groups, last first, to folds 0, 1, 2, 3, 4, 0, ... Each fold's score is
   * minus the weighted mean log loss on its held-out rows; the C with the highest total wins (first on ties).
   */
  static double crossValidatedC(double[][] x, double[] y, double[] w) {
    int g = x.length;
    if (g < N_SPLITS) {
      throw new IllegalArgumentException("need at least " + N_SPLITS + " rows with a preference, got " + g);
    }
    int[] fold = new int[g];
    for (int i = 0; i < g; i++) {
      fold[i] = (g - 1 - i) % N_SPLITS;
    }
    double[] total = new double[CS.length];
    for (int f = 0; f < N_SPLITS; f++) {
      List<Integer> train = new ArrayList<>();
      List<Integer> held = new ArrayList<>();
      for (int i = 0; i < g; i++) {
        (fold[i] == f ? held : train).add(i);
      }
      double[][] xt = new double[train.size()][];
      double[] yt = new double[train.size()];
      double[] wt = new double[train.size()];
      for (int k = 0; k < train.size(); k++) {
        int i = train.get(k);
        xt[k] = x[i];
        yt[k] = y[i];
        wt[k] = w[i];
      }
      for (int c = 0; c < CS.length; c++) {
        double[] coef = L1LogisticRegression.fit(xt, yt, wt, CS[c]);
        double loss = 0;
        for (int i : held) {
          double p = Math.min(Math.max(L1LogisticRegression.sigmoid(dot(coef, x[i])), 1e-15), 1 - 1e-15);
          loss += w[i] * (y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p));
        }
        total[c] += loss / held.size();
      }
    }
    int best = 0;
    for (int c = 1; c < CS.length; c++) {
      if (total[c] > total[best]) {
        best = c;
      }
    }
    return CS[best];
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static double[] logspace(double start, double stop, int num) {
    double[] out = new double[num];
    double step = (stop - start) / (num - 1);
    for (int i = 0; i < num; i++) {
      // numpy: 10 ** linspace(start, stop, num), linspace = arange(num) * step + start with the last set to stop
      double exponent = i == num - 1 ? stop : i * step + start;
      out[i] = Math.pow(10, exponent);
    }
    return out;
  }

  private static int codePoints(String s) {
    return s.codePointCount(0, s.length());
  }
}
