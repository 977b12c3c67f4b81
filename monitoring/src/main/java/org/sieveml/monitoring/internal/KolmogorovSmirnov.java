package org.sieveml.monitoring.internal;

import java.util.Arrays;

/**
 * Two-sample Kolmogorov-Smirnov statistic and two-sided p-value {@code P(D >= d)}.
 *
 * <p>The p-value is exact (Viehmann's stabilised inner recursion; Hodges' closed form when the
 * samples have the same size) when {@code max(n, m) < 10,000} and the least common multiple of the
 * sizes is at most 2^31; otherwise it uses the one-sample Kolmogorov-Smirnov distribution with
 * {@code N = round(nm / (n + m))}: Pelz-Good's expansion when {@code N d^2 < 2.2}, and twice the
 * one-sided Smirnov sum (evaluated term by term in log space) above. This mirrors the method choice
 * of Apache Commons Statistics. Ties are allowed: the statistic is computed over tied blocks, and
 * the p-value is that of the observed statistic. Stateless and thread-safe.
 */
public final class KolmogorovSmirnov {

  private static final int LARGE_SAMPLE = 10000;
  private static final long MAX_LCM = 1L << 31;
  private static final double PI2 = 9.8696044010893586188344909;
  private static final double PI4 = 97.409091034002437236440332;
  private static final double PI6 = 961.38919357530443703021944;
  private static final double ROOT_TWO_PI = 2.5066282746310005024157652;
  private static final double ROOT_HALF_PI = 1.2533141373155002512078826;
  private static final double LOG_PG_MIN = -55.451774444795625;
  private static final double FOUR_A = -288.3492271129372;

  private KolmogorovSmirnov() {}

  /**
   * The integral statistic {@code n * m * D} of two sorted samples without NaN.
   *
   * @param x sorted first sample
   * @param y sorted second sample
   * @return {@code n * m * D}
   */
  public static long integralD(double[] x, double[] y) {
    int n = x.length;
    int m = y.length;
    int i = 0;
    int j = 0;
    long d = 0;
    long plus = 0;
    long minus = 0;
    while (i < n && j < m) {
      double xi = x[i];
      double yj = y[j];
      if (xi < yj) {
        do {
          i++;
          d += m;
        } while (i < n && x[i] == xi);
        if (d > plus) {
          plus = d;
        }
      } else if (xi > yj) {
        do {
          j++;
          d -= n;
        } while (j < m && y[j] == yj);
        if (d < minus) {
          minus = d;
        }
      } else {
        do {
          i++;
          d += m;
        } while (i < n && x[i] == xi);
        do {
          j++;
          d -= n;
        } while (j < m && y[j] == xi);
        if (d > plus) {
          plus = d;
        } else if (d < minus) {
          minus = d;
        }
      }
    }
    return Math.max(plus, -minus);
  }

  /**
   * Greatest common divisor.
   *
   * @param a a positive int
   * @param b a positive int
   * @return gcd(a, b)
   */
  public static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  /**
   * The statistic D from its integral form.
   *
   * @param dnm integral statistic
   * @param n first size
   * @param m second size
   * @return D in [0, 1]
   */
  public static double d(long dnm, int n, int m) {
    int g = gcd(n, m);
    long a = dnm / g;
    int b = m / g;
    return a / ((double) n * b);
  }

  /**
   * The two-sided p-value {@code P(D >= d)} of the integral statistic.
   *
   * @param dnm integral statistic
   * @param n first size, positive
   * @param m second size, positive
   * @return the p-value in [0, 1]
   */
  public static double pValue(long dnm, int n, int m) {
    int g = gcd(n, m);
    double p = -1;
    if (Math.max(n, m) < LARGE_SAMPLE) {
      p = exactP(dnm, n, m, g);
    }
    if (p < 0) {
      p = twoSided(d(dnm, n, m), (int) Math.round((double) Math.max(n, m) * Math.min(n, m) / ((double) n + m)));
    }
    return p;
  }

  static double exactP(long dnm, int n, int m, int gcd) {
    long d = dnm / gcd;
    long lcm = (long) n * (m / gcd);
    if (d > lcm) {
      return 0;
    }
    int a = Math.min(n, m);
    int b = Math.max(n, m);
    if (d * gcd <= a) {
      return 1;
    }
    if (n == m) {
      return squareP(d, n);
    }
    return stabilizedInner(d, b, a, gcd);
  }

  private static double oneSidedSquareP(long d, int n) {
    double p = 1;
    for (int i = 0; i < d && p != 0; i++) {
      p *= (n - i) / (1.0 + n + i);
    }
    return p;
  }

  private static double squareP(long d, int n) {
    double p0a = oneSidedSquareP(d, n);
    if (p0a == 0) {
      return 0;
    }
    int a = (int) d;
    double p = 0;
    for (int j = n / a; j > 0; j--) {
      double pja = 1;
      int jaa = j * a + a;
      for (int i = j * a; i < jaa; i++) {
        pja *= (n - i) / (1.0 + n + i);
      }
      p = pja * (1 - p);
    }
    p = p0a * (1 - p);
    return Math.min(1, 2 * p);
  }

  private static double stabilizedInner(long d, int n, int m, int gcd) {
    if ((long) n * (m / gcd) > MAX_LCM) {
      return -1;
    }
    long dnm = d * gcd;
    int endJ = Math.min(m + 1, (int) ((dnm + n - 1) / n));
    double[] cij = new double[Math.min(m + 1, 2 * endJ + 2)];
    for (int j = endJ; j < cij.length; j++) {
      cij[j] = 1;
    }
    int startJ = 0;
    int length = endJ;
    double val = -1;
    long im = 0;
    for (int i = 1; i <= n; i++) {
      im += m;
      int lastStartJ = startJ;
      startJ = im < dnm ? 0 : Math.min(m, (int) ((im - dnm) / n) + 1);
      endJ = Math.min(m + 1, (int) ((dnm + im + n - 1) / n));
      if (startJ >= endJ) {
        return 1;
      }
      val = startJ == 0 ? 0 : 1;
      for (int j = startJ; j < endJ; j++) {
        val = (cij[j - lastStartJ] * i + val * j) / ((double) i + j);
        cij[j - startJ] = val;
      }
      int lastLength = length;
      length = endJ - startJ;
      for (int j = lastLength - length - 1; j >= 0; j--) {
        cij[length + j] = 1;
      }
    }
    return val;
  }

  /**
   * {@code P(D_n >= x)} for the two-sided one-sample statistic (large-sample approximation).
   *
   * @param x the statistic
   * @param n the effective sample size
   * @return the survival probability
   */
  static double twoSided(double x, int n) {
    if (n * x * x >= 370 || x >= 1) {
      return 0;
    }
    double nx = x * n;
    if (nx <= 0.5) {
      return 1;
    }
    double nxx = n * x * x;
    if (nxx >= 2.2) {
      return Math.min(1, 2 * oneSided(x, n));
    }
    return pelzGood(x, n);
  }

  /** Smirnov's formula for {@code P(D_n^+ >= x)}, summed in log space (all terms are positive). */
  static double oneSided(double x, int n) {
    if (n * x * x >= 372.5 || x >= 1) {
      return 0;
    }
    if (x <= 0) {
      return 1;
    }
    if (n * x <= 1) {
      return 1 - x * Math.exp((n - 1) * Math.log1p(x));
    }
    if (n - 1 <= n * x) {
      return Math.pow(1 - x, n);
    }
    int jmax = (int) Math.floor(n * (1 - x));
    double lgn = Special.logGamma(n + 1.0);
    double logx = Math.log(x);
    // find the largest term to scale
    double[] logs = new double[jmax + 1];
    double maxLog = Double.NEGATIVE_INFINITY;
    for (int j = 0; j <= jmax; j++) {
      double a = 1 - x - (double) j / n;
      if (a <= 0) {
        logs[j] = Double.NEGATIVE_INFINITY;
        continue;
      }
      double l = lgn - Special.logGamma(j + 1.0) - Special.logGamma(n - j + 1.0)
          + (j - 1) * Math.log((double) j / n + x) + (n - j) * Math.log(a);
      logs[j] = l;
      if (l > maxLog) {
        maxLog = l;
      }
    }
    double[] terms = new double[jmax + 1];
    for (int j = 0; j <= jmax; j++) {
      terms[j] = Math.exp(logs[j] - maxLog);
    }
    Arrays.sort(terms);
    double s = 0;
    double c = 0;
    for (double t : terms) {
      double y = t - c;
      double u = s + y;
      c = (u - s) - y;
      s = u;
    }
    return Math.min(1, Math.exp(logx + maxLog + Math.log(s)));
  }

  static double pelzGood(double x, int n) {
    double z2 = x * x * n;
    double lne = -PI2 / (8 * z2);
    if (lne < LOG_PG_MIN) {
      return 1;
    }
    double k0 = 0;
    double k1 = 0;
    double k2 = 0;
    double k3 = 0;
    double rootN = Math.sqrt(n);
    double z = x * rootN;
    double z3 = z * z2;
    double z4 = z2 * z2;
    double z6 = Math.pow(z2, 3);
    double z7 = Math.pow(z2, 3.5);
    double z8 = Math.pow(z2, 4);
    double z10 = Math.pow(z2, 5);
    double a1 = PI2 / 4;
    double a2 = 6 * z6 + 2 * z4;
    double b2 = (PI2 * (2 * z4 - 5 * z2)) / 4;
    double c2 = (PI4 * (1 - 2 * z2)) / 16;
    double a3 = (PI6 * (5 - 30 * z2)) / 64;
    double b3 = (PI4 * (-60 * z2 + 212 * z4)) / 16;
    double c3 = (PI2 * (135 * z4 - 96 * z6)) / 4;
    double d3 = -(30 * z6 + 90 * z8);
    int max = (int) Math.ceil((1 + Math.sqrt(1 - FOUR_A * z2 / PI2)) / 2);
    for (int k = max; k > 0; k--) {
      int j = 2 * k - 1;
      double j2 = (double) j * j;
      double j4 = Math.pow(j, 4);
      double j6 = Math.pow(j, 6);
      double e = Math.exp(lne * j2);
      k0 += e;
      k1 += (a1 * j2 - z2) * e;
      k2 += (a2 + b2 * j2 + c2 * j4) * e;
      k3 += (a3 * j6 + b3 * j4 + c3 * j2 + d3) * e;
    }
    k0 *= ROOT_TWO_PI / z;
    k1 *= ROOT_HALF_PI / (3 * z4);
    k2 *= ROOT_HALF_PI / (36 * z7);
    k3 *= ROOT_HALF_PI / (3240 * z10);
    double k2b = 0;
    double k3b = 0;
    lne *= 4;
    double a3b = 3 * PI2 * z2;
    for (int j = max; j > 0; j--) {
      double j2 = (double) j * j;
      double j4 = Math.pow(j, 4);
      double e = Math.exp(lne * j2);
      k2b += PI2 * j2 * e;
      k3b += (-PI4 * j4 + a3b * j2) * e;
    }
    k2b *= ROOT_HALF_PI / (18 * z3);
    k3b *= ROOT_HALF_PI / (108 * z6);
    k1 /= rootN;
    k2 /= n;
    k3 /= n * rootN;
    k2b /= n;
    k3b /= n * rootN;
    double p = Special.sum(1, -k0, -k1, -k2, -k3, k2b, -k3b);
    return Math.min(1, Math.max(0, p));
  }
}
