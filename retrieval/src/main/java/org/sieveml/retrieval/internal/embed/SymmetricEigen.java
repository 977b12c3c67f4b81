package org.sieveml.retrieval.internal.embed;

/**
 * Eigen-decomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then the
 * implicit QL algorithm with Wilkinson-like shifts (EISPACK's {@code tred2} and {@code tql2}, in the form
 * of the public-domain JAMA package). Deterministic: the same matrix gives the same bits. Each eigenvector
 * is returned with its largest-magnitude component positive (the first such on ties), so the sign is a
 * function of the matrix only.
 *
 * <p>Cost {@code O(n^3)} time (about {@code 4n^3/3} for the reduction and {@code 3n^3} for QL at most) and
 * {@code 2n^2} doubles of memory; 784 x 784 (MNIST pixels) takes about a second.
 *
 * <p>Thread-safety: stateless.
 */
public final class SymmetricEigen {
  private SymmetricEigen() {}

  /**
   * The eigenvalues, largest first, and their eigenvectors.
   *
   * @param values eigenvalues in decreasing order
   * @param vectors {@code vectors[i]} is the unit eigenvector of {@code values[i]}
   */
  public record Result(double[] values, double[][] vectors) {}

  /**
   * Decomposes a symmetric matrix (only its lower triangle, {@code a[i][j]} with {@code j <= i}, is read).
   *
   * @param a an {@code n x n} matrix, not modified
   * @return eigenvalues largest first and the matching unit eigenvectors
   * @throws IllegalArgumentException if {@code a} is not square, is empty or holds a non-finite value
   * @throws ArithmeticException if QL does not converge (not observed on finite input)
   */
  public static Result decompose(double[][] a) {
    int n = a == null ? 0 : a.length;
    if (n == 0) {
      throw new IllegalArgumentException("matrix is empty");
    }
    double[][] v = new double[n][n];
    for (int i = 0; i < n; i++) {
      if (a[i] == null || a[i].length != n) {
        throw new IllegalArgumentException("row " + i + " has " + (a[i] == null ? 0 : a[i].length)
            + " columns; expected " + n + " (a square matrix)");
      }
      for (int j = 0; j <= i; j++) {
        if (!Double.isFinite(a[i][j])) {
          throw new IllegalArgumentException("a[" + i + "][" + j + "] is " + a[i][j] + "; expected finite");
        }
        v[i][j] = a[i][j];
        v[j][i] = a[i][j];
      }
    }
    double[] d = new double[n];
    double[] e = new double[n];
    tred2(v, d, e, n);
    // QL rotates pairs of eigenvector columns: work on the transpose so that those are contiguous rows
    double[][] z = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        z[j][i] = v[i][j];
      }
    }
    tql2(z, d, e, n);
    // order largest first (stable on ties: lower index first), fix the signs
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(d[y], d[x]));
    double[] values = new double[n];
    double[][] vectors = new double[n][];
    for (int k = 0; k < n; k++) {
      int i = order[k];
      values[k] = d[i];
      double[] vec = z[i];
      int arg = 0;
      for (int j = 1; j < n; j++) {
        if (Math.abs(vec[j]) > Math.abs(vec[arg])) {
          arg = j;
        }
      }
      if (vec[arg] < 0) {
        for (int j = 0; j < n; j++) {
          vec[j] = -vec[j];
        }
      }
      vectors[k] = vec;
    }
    return new Result(values, vectors);
  }

  /** Householder tridiagonalization; on return {@code v} holds the orthogonal transform (columns). */
  private static void tred2(double[][] v, double[] d, double[] e, int n) {
    for (int j = 0; j < n; j++) {
      d[j] = v[n - 1][j];
    }
    for (int i = n - 1; i > 0; i--) {
      double scale = 0.0;
      double h = 0.0;
      for (int k = 0; k < i; k++) {
        scale += Math.abs(d[k]);
      }
      if (scale == 0.0) {
        e[i] = d[i - 1];
        for (int j = 0; j < i; j++) {
          d[j] = v[i - 1][j];
          v[i][j] = 0.0;
          v[j][i] = 0.0;
        }
      } else {
        for (int k = 0; k < i; k++) {
          d[k] /= scale;
          h += d[k] * d[k];
        }
        double f = d[i - 1];
        double g = Math.sqrt(h);
        if (f > 0) {
          g = -g;
        }
        e[i] = scale * g;
        h = h - f * g;
        d[i - 1] = f - g;
        for (int j = 0; j < i; j++) {
          e[j] = 0.0;
        }
        for (int j = 0; j < i; j++) {
          f = d[j];
          v[j][i] = f;
          g = e[j] + v[j][j] * f;
          for (int k = j + 1; k <= i - 1; k++) {
            g += v[k][j] * d[k];
            e[k] += v[k][j] * f;
          }
          e[j] = g;
        }
        f = 0.0;
        for (int j = 0; j < i; j++) {
          e[j] /= h;
          f += e[j] * d[j];
        }
        double hh = f / (h + h);
        for (int j = 0; j < i; j++) {
          e[j] -= hh * d[j];
        }
        for (int j = 0; j < i; j++) {
          f = d[j];
          g = e[j];
          for (int k = j; k <= i - 1; k++) {
            v[k][j] -= (f * e[k] + g * d[k]);
          }
          d[j] = v[i - 1][j];
          v[i][j] = 0.0;
        }
      }
      d[i] = h;
    }
    for (int i = 0; i < n - 1; i++) {
      v[n - 1][i] = v[i][i];
      v[i][i] = 1.0;
      double h = d[i + 1];
      if (h != 0.0) {
        for (int k = 0; k <= i; k++) {
          d[k] = v[k][i + 1] / h;
        }
        for (int j = 0; j <= i; j++) {
          double g = 0.0;
          for (int k = 0; k <= i; k++) {
            g += v[k][i + 1] * v[k][j];
          }
          for (int k = 0; k <= i; k++) {
            v[k][j] -= g * d[k];
          }
        }
      }
      for (int k = 0; k <= i; k++) {
        v[k][i + 1] = 0.0;
      }
    }
    for (int j = 0; j < n; j++) {
      d[j] = v[n - 1][j];
      v[n - 1][j] = 0.0;
    }
    v[n - 1][n - 1] = 1.0;
    e[0] = 0.0;
  }

  /** Implicit QL on the tridiagonal (d, e); {@code z[i]} is eigenvector i on return. */
  private static void tql2(double[][] z, double[] d, double[] e, int n) {
    for (int i = 1; i < n; i++) {
      e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
    double f = 0.0;
    double tst1 = 0.0;
    double eps = Math.ulp(1.0);
    for (int l = 0; l < n; l++) {
      tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
      int m = l;
      while (m < n - 1 && Math.abs(e[m]) > eps * tst1) {
        m++;
      }
      if (m > l) {
        int iter = 0;
        do {
          if (++iter > 100) {
            throw new ArithmeticException("QL did not converge at eigenvalue " + l);
          }
          double g = d[l];
          double p = (d[l + 1] - g) / (2.0 * e[l]);
          double r = Math.hypot(p, 1.0);
          if (p < 0) {
            r = -r;
          }
          d[l] = e[l] / (p + r);
          d[l + 1] = e[l] * (p + r);
          double dl1 = d[l + 1];
          double h = g - d[l];
          for (int i = l + 2; i < n; i++) {
            d[i] -= h;
          }
          f = f + h;
          p = d[m];
          double c = 1.0;
          double c2 = c;
          double c3 = c;
          double el1 = e[l + 1];
          double s = 0.0;
          double s2 = 0.0;
          for (int i = m - 1; i >= l; i--) {
            c3 = c2;
            c2 = c;
            s2 = s;
            g = c * e[i];
            h = c * p;
            r = Math.hypot(p, e[i]);
            e[i + 1] = s * r;
            s = e[i] / r;
            c = p / r;
            p = c * d[i] - s * g;
            d[i + 1] = h + s * (c * g + s * d[i]);
            double[] zi = z[i];
            double[] zi1 = z[i + 1];
            for (int k = 0; k < n; k++) {
              h = zi1[k];
              zi1[k] = s * zi[k] + c * h;
              zi[k] = c * zi[k] - s * h;
            }
          }
          p = -s * s2 * c3 * el1 * e[l] / dl1;
          e[l] = s * p;
          d[l] = c * p;
        } while (Math.abs(e[l]) > eps * tst1);
      }
      d[l] = d[l] + f;
      e[l] = 0.0;
    }
  }
}
