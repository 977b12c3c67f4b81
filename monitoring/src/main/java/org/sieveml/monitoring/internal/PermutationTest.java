package org.sieveml.monitoring.internal;

import java.util.SplittableRandom;

/**
 * Seeded Monte-Carlo permutation p-values of two-sample statistics computed from a 2 x k table of
 * bucket counts (categories, or the ordered distinct values of a numeric sample).
 *
 * <p>The pooled sample is held as one {@code int} bucket id per observation (or, from counts alone,
 * see {@link #ofCounts}). One permutation draws
 * {@code s = min(n, m)} observations without replacement (a partial Fisher-Yates shuffle of the pool,
 * seeded {@link SplittableRandom}) as the smaller sample, counts them into an {@code int} array and
 * recomputes the statistic against the fixed column totals: {@code O(s + k)} time, no boxing, no
 * allocation in the loop. Under the null hypothesis (both samples from one distribution, so the
 * observations are exchangeable) the permuted tables have exactly the null distribution of the
 * observed one, whatever the cardinality or the expected counts.
 *
 * <p>Stopping follows Besag and Clifford (1991, "Sequential Monte Carlo p-values", Biometrika 78):
 * permutations run until {@code h} of them reach the observed statistic or {@code b} have run; the
 * p-value is {@code h / l} when stopped after {@code l} permutations, else {@code (1 + g) / (1 + b)}
 * with {@code g} exceedances. Both are valid p-values; a sample without drift typically stops after
 * a few dozen permutations, a drifted one runs all {@code b}.
 *
 * <p>Instances hold scratch arrays: not thread-safe, use one per call.
 */
public final class PermutationTest {

  /** The statistic recomputed on each permuted table. */
  public enum Statistic {
    /** Pearson's chi-square of homogeneity. */
    CHI_SQUARE,
    /** Kolmogorov-Smirnov D over ordered buckets (ties are whole buckets). */
    KOLMOGOROV_SMIRNOV
  }

  private final int[] pool;
  private final long[] columns;
  private final int n;
  private final int m;
  private final int[] drawn;
  private final double[] expectedRef;
  private final double[] weight;

  /**
   * A test over a pooled sample.
   *
   * @param pool bucket id of every observation, reference first then current (shuffled in place)
   * @param buckets number of buckets (ids are in [0, buckets))
   * @param n reference size ({@code >= 1})
   * @param m current size ({@code >= 1}), {@code n + m == pool.length}
   */
  public PermutationTest(int[] pool, int buckets, int n, int m) {
    this(pool, columnTotals(pool, buckets), n, m);
  }

  private static long[] columnTotals(int[] pool, int buckets) {
    long[] columns = new long[buckets];
    for (int id : pool) {
      columns[id]++;
    }
    return columns;
  }

  /**
   * A test over a table of counts, without the observations (the streaming monitor's profile): each
   * permutation draws the smaller row one observation at a time from the remaining column totals by a
   * Fenwick-tree search, {@code O(min(n, m) log k)} time and {@code O(k)} memory whatever the counts.
   *
   * @param reference reference counts per bucket
   * @param current current counts per bucket, same length, both rows with a positive total
   * @return the test
   */
  public static PermutationTest ofCounts(long[] reference, long[] current) {
    long n = 0;
    long m = 0;
    for (int k = 0; k < reference.length; k++) {
      n += reference[k];
      m += current[k];
    }
    if (n > Integer.MAX_VALUE || m > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("row totals " + n + " and " + m + " must fit in an int");
    }
    long[] columns = new long[reference.length];
    for (int k = 0; k < columns.length; k++) {
      columns[k] = reference[k] + current[k];
    }
    return new PermutationTest(null, columns, (int) n, (int) m);
  }

  private PermutationTest(int[] pool, long[] columns, int n, int m) {
    this.pool = pool;
    this.n = n;
    this.m = m;
    this.columns = columns;
    int buckets = columns.length;
    this.drawn = new int[buckets];
    this.expectedRef = new double[buckets];
    this.weight = new double[buckets];
    double total = (double) n + m;
    for (int k = 0; k < buckets; k++) {
      double er = n * (double) columns[k] / total;
      double ec = m * (double) columns[k] / total;
      expectedRef[k] = er;
      weight[k] = columns[k] == 0 ? 0 : 1 / er + 1 / ec;
    }
  }

  /**
   * The statistic of a table given its reference row (the current row is the column total minus it).
   *
   * @param statistic which statistic
   * @param ref reference counts per bucket
   * @return the statistic
   */
  public double statistic(Statistic statistic, long[] ref) {
    int k = columns.length;
    switch (statistic) {
      case CHI_SQUARE: {
        double s = 0;
        for (int i = 0; i < k; i++) {
          double d = ref[i] - expectedRef[i];
          s += d * d * weight[i];
        }
        return s;
      }
      default: {
        long a = 0;
        long b = 0;
        long best = 0;
        for (int i = 0; i < k; i++) {
          a += ref[i];
          b += columns[i] - ref[i];
          long d = Math.abs(a * m - b * n);
          if (d > best) {
            best = d;
          }
        }
        return best / ((double) n * m);
      }
    }
  }

  /**
   * The Monte-Carlo p-value of an observed statistic (see the class comment).
   *
   * @param statistic which statistic
   * @param observed the observed value
   * @param seed the random seed
   * @param maxPermutations {@code b}, at least 1
   * @param stopAfter {@code h}, at least 1
   * @return {p-value, permutations run}
   */
  public double[] pValue(Statistic statistic, double observed, long seed, int maxPermutations, int stopAfter) {
    SplittableRandom random = new SplittableRandom(seed);
    boolean drawRef = n <= m;
    int s = drawRef ? n : m;
    int total = n + m;
    long[] ref = new long[columns.length];
    double bar = observed - 1e-12 * Math.abs(observed);
    int exceed = 0;
    int k = columns.length;
    long[] tree = pool == null ? new long[k + 1] : null;
    int top = Integer.highestOneBit(Math.max(1, k));
    for (int l = 1; l <= maxPermutations; l++) {
      java.util.Arrays.fill(drawn, 0);
      if (pool != null) {
        for (int i = 0; i < s; i++) {
          int j = i + random.nextInt(total - i);
          int t = pool[j];
          pool[j] = pool[i];
          pool[i] = t;
          drawn[t]++;
        }
      } else {
        // Fenwick tree over the remaining column totals, built in O(k)
        for (int i = 1; i <= k; i++) {
          tree[i] = columns[i - 1];
        }
        for (int i = 1; i <= k; i++) {
          int parent = i + (i & -i);
          if (parent <= k) {
            tree[parent] += tree[i];
          }
        }
        for (int i = 0; i < s; i++) {
          long u = random.nextLong(total - i);
          // the bucket holding the u-th remaining observation
          int pos = 0;
          for (int step = top; step > 0; step >>= 1) {
            int next = pos + step;
            if (next <= k && tree[next] <= u) {
              pos = next;
              u -= tree[next];
            }
          }
          drawn[pos]++;
          for (int x = pos + 1; x <= k; x += x & -x) {
            tree[x]--;
          }
        }
      }
      for (int b = 0; b < ref.length; b++) {
        ref[b] = drawRef ? drawn[b] : columns[b] - drawn[b];
      }
      if (statistic(statistic, ref) >= bar) {
        exceed++;
        if (exceed == stopAfter) {
          return new double[] {(double) stopAfter / l, l};
        }
      }
    }
    return new double[] {(1.0 + exceed) / (1.0 + maxPermutations), maxPermutations};
  }
}
