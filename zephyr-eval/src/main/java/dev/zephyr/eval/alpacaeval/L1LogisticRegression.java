package dev.zephyr.eval.alpacaeval;

/**
 * Weighted L1-penalised logistic regression without intercept, the model liblinear's {@code L1R_LR} solver fits for
 * scikit-learn's {@code LogisticRegression(penalty="l1", solver="liblinear", fit_intercept=False)}: minimise
 * {@code sum_j |w_j| + C sum_i s_i [y_i log(1 + e^-z_i) + (1 - y_i) log(1 + e^z_i)]} with {@code z_i = w . x_i}.
 * Soft labels {@code y_i} in [0, 1] stand for alpaca_eval's duplicated rows (label 1 with weight {@code y s}, label 0
 * with weight {@code (1 - y) s}): the objective is the same.
 *
 * <p>Solved by proximal Newton (the outer loop of liblinear's newGLMNET): each step minimises the quadratic model of the
 * loss plus the L1 term by coordinate descent over the few coordinates, then a backtracking line search on the true
 * objective. Run to a much tighter tolerance than liblinear's default, so the result is the optimum itself rather
 * than liblinear's early-stopped approximation of it.
 */
final class L1LogisticRegression {
  private static final int MAX_NEWTON = 500;
  private static final double TOLERANCE = 1e-12;

  private L1LogisticRegression() {}

  /** Coefficients for features {@code x[i][j]}, soft labels {@code y}, sample weights {@code s} and strength C. */
  static double[] fit(double[][] x, double[] y, double[] s, double c) {
    int n = x.length;
    int d = n == 0 ? 0 : x[0].length;
    double[] w = new double[d];
    double f = objective(x, y, s, c, w);
    for (int iter = 0; iter < MAX_NEWTON; iter++) {
      double[] g = new double[d];
      double[][] h = new double[d][d];
      for (int i = 0; i < n; i++) {
        if (s[i] == 0) {
          continue;
        }
        double p = sigmoid(dot(w, x[i]));
        double gi = s[i] * (p - y[i]);
        double hi = s[i] * p * (1 - p);
        for (int j = 0; j < d; j++) {
          g[j] += c * gi * x[i][j];
          for (int k = 0; k < d; k++) {
            h[j][k] += c * hi * x[i][j] * x[i][k];
          }
        }
      }
      double[] step = quadraticL1Step(w, g, h);
      double l1 = 0;
      double l1New = 0;
      double gd = 0;
      double maxStep = 0;
      for (int j = 0; j < d; j++) {
        l1 += Math.abs(w[j]);
        l1New += Math.abs(w[j] + step[j]);
        gd += g[j] * step[j];
        maxStep = Math.max(maxStep, Math.abs(step[j]));
      }
      if (maxStep == 0) {
        break;
      }
      double decrease = gd + l1New - l1;
      double lambda = 1;
      double[] trial = new double[d];
      double fTrial = f;
      for (int tries = 0; tries < 60; tries++) {
        for (int j = 0; j < d; j++) {
          trial[j] = w[j] + lambda * step[j];
        }
        fTrial = objective(x, y, s, c, trial);
        if (fTrial - f <= 0.01 * lambda * decrease) {
          break;
        }
        lambda *= 0.5;
      }
      if (fTrial > f) {
        break; // no further progress possible in floating point
      }
      double maxW = 0;
      for (int j = 0; j < d; j++) {
        w[j] = trial[j];
        maxW = Math.max(maxW, Math.abs(w[j]));
      }
      f = fTrial;
      if (lambda * maxStep <= TOLERANCE * (1 + maxW)) {
        break;
      }
    }
    return w;
  }

  /** argmin over step of {@code g.step + step'H step / 2 + |w + step|_1}, by coordinate descent. */
  private static double[] quadraticL1Step(double[] w, double[] g, double[][] h) {
    int d = w.length;
    double[] step = new double[d];
    for (int sweep = 0; sweep < 10_000; sweep++) {
      double maxChange = 0;
      for (int j = 0; j < d; j++) {
        double hjj = Math.max(h[j][j], 1e-12);
        // gradient of the quadratic model in coordinate j at the current step
        double gj = g[j];
        for (int k = 0; k < d; k++) {
          gj += h[j][k] * step[k];
        }
        double z = w[j] + step[j];
        double newZ;
        double u = z - gj / hjj;
        if (u > 1 / hjj) {
          newZ = u - 1 / hjj;
        } else if (u < -1 / hjj) {
          newZ = u + 1 / hjj;
        } else {
          newZ = 0;
        }
        double change = newZ - z;
        step[j] += change;
        maxChange = Math.max(maxChange, Math.abs(change));
      }
      if (maxChange <= 1e-15) {
        break;
      }
    }
    return step;
  }

  private static double objective(double[][] x, double[] y, double[] s, double c, double[] w) {
    double total = 0;
    for (int i = 0; i < x.length; i++) {
      if (s[i] == 0) {
        continue;
      }
      double zi = dot(w, x[i]);
      total += s[i] * (y[i] * softplus(-zi) + (1 - y[i]) * softplus(zi));
    }
    double l1 = 0;
    for (double v : w) {
      l1 += Math.abs(v);
    }
    return c * total + l1;
  }

  private static double dot(double[] a, double[] b) {
    double t = 0;
    for (int i = 0; i < a.length; i++) {
      t += a[i] * b[i];
    }
    return t;
  }

  static double sigmoid(double z) {
    return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  }

  private static double softplus(double v) {
    return Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}
