package org.sieveml.monitoring.internal;

/**
 * Special functions for the drift tests: log-gamma, the regularised upper incomplete gamma function
 * and the chi-square survival function, plus an error-compensated sum. Stateless and thread-safe.
 */
public final class Special {

  private static final double LANCZOS_G = 607.0 / 128.0;
  private static final double[] LANCZOS = {
    0.99999999999999709182,
    57.156235665862923517,
    -59.597960355475491248,
    14.136097974741747174,
    -0.49191381609762019978,
    .33994649984811888699e-4,
    .46523628927048575665e-4,
    -.98374475304879564677e-4,
    .15808870322491248884e-3,
    -.21026444172410488319e-3,
    .21743961811521264320e-3,
    -.16431810653676389022e-3,
    .84418223983852743293e-4,
    -.26190838401581408670e-4,
    .36899182659531622704e-5,
  };
  private static final double HALF_LOG_2_PI = 0.9189385332046727418;
  private static final double EPS = 1e-16;

  private Special() {}

  /**
   * The natural logarithm of the gamma function for {@code x > 0} (Lanczos' approximation, g =
   * 607/128, about 1e-15 relative).
   *
   * @param x a positive argument
   * @return log Gamma(x)
   */
  public static double logGamma(double x) {
    if (x <= 0 || Double.isNaN(x)) {
      return Double.NaN;
    }
    if (x == 1 || x == 2) {
      return 0;
    }
    if (x < 0.5) {
      return logGamma(x + 1) - Math.log(x);
    }
    double sum = LANCZOS[0];
    for (int i = LANCZOS.length - 1; i > 0; i--) {
      sum += LANCZOS[i] / (x + i - 1);
    }
    double tmp = x + LANCZOS_G - 0.5;
    return ((x - 0.5) * Math.log(tmp)) - tmp + HALF_LOG_2_PI + Math.log(sum);
  }

  /**
   * The regularised upper incomplete gamma function Q(a, x).
   *
   * @param a shape, positive
   * @param x argument, non-negative
   * @return Q(a, x)
   */
  public static double gammaQ(double a, double x) {
    if (Double.isNaN(a) || Double.isNaN(x) || a <= 0 || x < 0) {
      return Double.NaN;
    }
    if (x == 0) {
      return 1;
    }
    if (Double.isInfinite(x)) {
      return 0;
    }
    double logPrefix = -x + a * Math.log(x) - logGamma(a);
    if (x < a + 1) {
      // series for P
      double del = 1 / a;
      double sum = del;
      double ap = a;
      for (int n = 0; n < 100000; n++) {
        ap += 1;
        del *= x / ap;
        sum += del;
        if (Math.abs(del) < Math.abs(sum) * EPS) {
          break;
        }
      }
      return 1 - Math.exp(logPrefix) * sum;
    }
    // Lentz continued fraction for Q
    double tiny = 1e-300;
    double b = x + 1 - a;
    double c = 1 / tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < 100000; i++) {
      double an = -i * (i - a);
      b += 2;
      d = an * d + b;
      if (Math.abs(d) < tiny) {
        d = tiny;
      }
      c = b + an / c;
      if (Math.abs(c) < tiny) {
        c = tiny;
      }
      d = 1 / d;
      double del = d * c;
      h *= del;
      if (Math.abs(del - 1) < EPS) {
        break;
      }
    }
    return Math.exp(logPrefix) * h;
  }

  /**
   * The survival function of the chi-square distribution.
   *
   * @param x the statistic
   * @param df degrees of freedom, positive
   * @return P(X >= x)
   */
  public static double chiSquareSurvival(double x, double df) {
    if (x <= 0) {
      return 1;
    }
    return gammaQ(df / 2, x / 2);
  }

  /**
   * A compensated (Neumaier) sum of the arguments.
   *
   * @param values terms
   * @return their sum
   */
  public static double sum(double... values) {
    double s = 0;
    double c = 0;
    for (double v : values) {
      double t = s + v;
      if (Math.abs(s) >= Math.abs(v)) {
        c += (s - t) + v;
      } else {
        c += (v - t) + s;
      }
      s = t;
    }
    return s + c;
  }
}
