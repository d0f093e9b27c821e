package dev.zephyr.eval.alpacaeval;

/**
 * Weighted L1-penalised logistic regression without intercept, the model liblinear's {@code L1R_LR} solver fits for
 * scikit-learn's {@code LogisticRegression(penalty="l1", solver="liblinear", fit_intercept=False)}: minimise
 * {@code sum_j |w_j| + C sum_i s_i [y_i log(1 + e^-z_i) + (1 - y_i) log(1 + e^z_i)]} with {@code z_i = w . x_i}.
 * Soft labels {@code y_i} in [0, 1] stand for alpaca_eval's duplicated rows (label 1 with weight {@code y s}, label 0
 * with weight {@code (1 - y) s}): the objective is the same.
 *
 * <p>Solved by coordinate descent with a one-dimensional Newton step and the L1 soft threshold per coordinate plus a
 * backtracking line search (the scheme of liblinear's CDN solver), run to a much tighter tolerance than liblinear's
 * default, so the result is the optimum itself rather than liblinear's early-stopped approximation of it.
 */
final class L1LogisticRegression {
  private static final int MAX_SWEEPS = 100_000;
  private static final double TOLERANCE = 1e-12;

  private L1LogisticRegression() {}

  /** Coefficients for features {@code x[i][j]}, soft labels {@code y}, sample weights {@code s} and strength C. */
  static double[] fit(double[][] x, double[] y, double[] s, double c) {
    int n = x.length;
    int d = n == 0 ? 0 : x[0].length;
    double[] w = new double[d];
    double[] z = new double[n];
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      double maxStep = 0;
      double maxW = 0;
      for (int j = 0; j < d; j++) {
        double g = 0;
        double h = 0;
        for (int i = 0; i < n; i++) {
          double xij = x[i][j];
          if (xij == 0 || s[i] == 0) {
            continue;
          }
          double p = sigmoid(z[i]);
          g += s[i] * (p - y[i]) * xij;
          h += s[i] * p * (1 - p) * xij * xij;
        }
        g *= c;
        h = Math.max(h * c, 1e-12);
        double step;
        if (g + 1 <= h * w[j]) {
          step = -(g + 1) / h;
        } else if (g - 1 >= h * w[j]) {
          step = -(g - 1) / h;
        } else {
          step = -w[j];
        }
        if (step == 0) {
          continue;
        }
        double base = loss(x, y, s, z, j, 0) * c + Math.abs(w[j]);
        double decrease = g * step + Math.abs(w[j] + step) - Math.abs(w[j]);
        double lambda = 1;
        for (int tries = 0; tries < 60; tries++) {
          double trial = loss(x, y, s, z, j, lambda * step) * c + Math.abs(w[j] + lambda * step);
          if (trial - base <= 0.01 * lambda * decrease || tries == 59) {
            break;
          }
          lambda *= 0.5;
        }
        double delta = lambda * step;
        w[j] += delta;
        for (int i = 0; i < n; i++) {
          z[i] += delta * x[i][j];
        }
        maxStep = Math.max(maxStep, Math.abs(delta));
      }
      for (double wj : w) {
        maxW = Math.max(maxW, Math.abs(wj));
      }
      if (maxStep <= TOLERANCE * (1 + maxW)) {
        break;
      }
    }
    return w;
  }

  /** Weighted soft-label log loss after moving coordinate j by {@code delta}. */
  private static double loss(double[][] x, double[] y, double[] s, double[] z, int j, double delta) {
    double total = 0;
    for (int i = 0; i < x.length; i++) {
      if (s[i] == 0) {
        continue;
      }
      double zi = z[i] + delta * x[i][j];
      total += s[i] * (y[i] * softplus(-zi) + (1 - y[i]) * softplus(zi));
    }
    return total;
  }

  static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  private static double softplus(double v) {
    return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}
