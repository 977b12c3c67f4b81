package org.sieveml.monitoring;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sieveml.monitoring.internal.DoubleSort;
import org.sieveml.monitoring.internal.EdgeGrid;
import org.sieveml.monitoring.internal.KolmogorovSmirnov;
import org.sieveml.monitoring.internal.Special;
import org.sieveml.monitoring.internal.Checks;

/**
 * Per-feature batch drift tests between a reference sample and a current window.
 *
 * <p>Numeric samples come as {@code double[]}: NaN counts as missing and is dropped before testing
 * (the counts are reported). Categorical samples come as {@code String[]}: null counts as missing
 * and, for chi-square, PSI and Jensen-Shannon, gets its own bucket; categories present in the
 * current window but never seen in the reference share one explicit "unseen" bucket. An empty
 * window (no non-missing value) yields an undefined result (NaN statistic, not drifted, with a
 * note); single-value and constant samples are valid (a constant reference makes the normalised
 * Wasserstein distance 0 if the current sample equals the constant and infinite otherwise).
 *
 * <p>Numeric PSI and Jensen-Shannon use {@value #DEFAULT_BINS} bins with edges at the reference's
 * quantiles (inverse empirical CDF at 0.1, 0.2, ..., 0.9; duplicates merged, outer bins
 * open-ended; bucket i holds values in [edge i-1, edge i)), plus a bucket for missing values.
 *
 * <p>{@link #auto} picks the method the way Evidently does: on reference samples of at most
 * {@value #SMALL_SAMPLE} values, Kolmogorov-Smirnov for numeric features with more than 5 distinct
 * values and chi-square otherwise; on larger samples, normalised Wasserstein for numeric features
 * and Jensen-Shannon for categorical ones, because p-values flag trivial shifts on large samples.
 *
 * <p>All methods are stateless and thread-safe; inputs are never modified.
 */
public final class DriftTests {

  /** Bins for numeric PSI and Jensen-Shannon. */
  public static final int DEFAULT_BINS = 10;
  /** Reference sizes up to this use p-value tests in {@link #auto}. */
  public static final int SMALL_SAMPLE = 1000;
  /** The floor applied to bucket proportions in PSI. */
  public static final double PSI_EPSILON = 1e-4;

  static final String UNSEEN = "<unseen>";
  static final String MISSING = "<missing>";

  private DriftTests() {}

  /**
   * The method {@link #auto} would choose for a numeric feature.
   *
   * @param reference the reference sample
   * @return the method
   */
  public static DriftMethod defaultNumericMethod(double[] reference) {
    Checks.notNull("reference", reference);
    if (reference.length <= SMALL_SAMPLE) {
      return distinctAtMost(reference, 5) ? DriftMethod.CHI_SQUARE : DriftMethod.KOLMOGOROV_SMIRNOV;
    }
    return DriftMethod.WASSERSTEIN;
  }

  /**
   * The method {@link #auto} would choose for a categorical feature.
   *
   * @param reference the reference sample
   * @return the method
   */
  public static DriftMethod defaultCategoricalMethod(String[] reference) {
    Checks.notNull("reference", reference);
    return reference.length <= SMALL_SAMPLE ? DriftMethod.CHI_SQUARE : DriftMethod.JENSEN_SHANNON;
  }

  /**
   * Tests a numeric feature with the default method and threshold.
   *
   * @param feature the feature's name
   * @param reference the reference sample (NaN = missing)
   * @param current the current window (NaN = missing)
   * @return the result
   */
  public static FeatureDrift auto(String feature, double[] reference, double[] current) {
    DriftMethod m = defaultNumericMethod(reference);
    return test(m, feature, reference, current, m.defaultThreshold());
  }

  /**
   * Tests a categorical feature with the default method and threshold.
   *
   * @param feature the feature's name
   * @param reference the reference sample (null = missing)
   * @param current the current window (null = missing)
   * @return the result
   */
  public static FeatureDrift auto(String feature, String[] reference, String[] current) {
    DriftMethod m = defaultCategoricalMethod(reference);
    return test(m, feature, reference, current, m.defaultThreshold());
  }

  /**
   * Tests a numeric feature.
   *
   * @param method any method (chi-square treats each distinct value as a category)
   * @param feature the feature's name
   * @param reference the reference sample (NaN = missing)
   * @param current the current window (NaN = missing)
   * @param threshold significance level for p-value tests, distance otherwise; finite and {@code > 0}
   * @return the result
   * @throws IllegalArgumentException on a null argument or a bad threshold
   */
  public static FeatureDrift test(
      DriftMethod method, String feature, double[] reference, double[] current, double threshold) {
    Checks.notNull("method", method);
    Checks.notNull("feature", feature);
    Checks.notNull("reference", reference);
    Checks.notNull("current", current);
    checkThreshold(threshold);
    if (method == DriftMethod.CHI_SQUARE) {
      return test(method, feature, toStrings(reference), toStrings(current), threshold);
    }
    // PSI and Jensen-Shannon only read the samples: no copy unless NaNs must be dropped
    boolean copies = method == DriftMethod.KOLMOGOROV_SMIRNOV || method == DriftMethod.WASSERSTEIN;
    double[] r = copies || hasNaN(reference) ? dropNaN(reference) : reference;
    double[] c = copies || hasNaN(current) ? dropNaN(current) : current;
    long rm = reference.length - r.length;
    long cm = current.length - c.length;
    if (r.length == 0 || c.length == 0) {
      return undefined(method, feature, threshold, r.length, c.length, rm, cm);
    }
    if (method == DriftMethod.KOLMOGOROV_SMIRNOV || method == DriftMethod.WASSERSTEIN) {
      DoubleSort.sort(r);
      DoubleSort.sort(c);
    }
    switch (method) {
      case KOLMOGOROV_SMIRNOV: {
        long dnm = KolmogorovSmirnov.integralD(r, c);
        double d = KolmogorovSmirnov.d(dnm, r.length, c.length);
        double p = KolmogorovSmirnov.pValue(dnm, r.length, c.length);
        return new FeatureDrift(feature, method, d, p, threshold, p < threshold, r.length, c.length, rm, cm, "");
      }
      case WASSERSTEIN: {
        double w = wasserstein1(r, c);
        double sd = std(r);
        double v = sd > 0 ? w / sd : (w == 0 ? 0 : Double.POSITIVE_INFINITY);
        return new FeatureDrift(feature, method, v, Double.NaN, threshold, v >= threshold, r.length, c.length, rm, cm,
            sd > 0 ? "" : "constant reference");
      }
      default: {
        double[] edges = quantileEdgesUnsorted(r, DEFAULT_BINS);
        long[] rc = histogram(r, edges, rm);
        long[] cc = histogram(c, edges, cm);
        double v = distance(method, rc, cc);
        return new FeatureDrift(feature, method, v, Double.NaN, threshold, v >= threshold, r.length, c.length, rm, cm, "");
      }
    }
  }

  /**
   * Tests a categorical feature.
   *
   * @param method chi-square, PSI or Jensen-Shannon
   * @param feature the feature's name
   * @param reference the reference sample (null = missing)
   * @param current the current window (null = missing)
   * @param threshold significance level for p-value tests, distance otherwise; finite and {@code > 0}
   * @return the result
   * @throws IllegalArgumentException on a null argument, a bad threshold, or a numeric-only method
   */
  public static FeatureDrift test(
      DriftMethod method, String feature, String[] reference, String[] current, double threshold) {
    Checks.notNull("method", method);
    Checks.notNull("feature", feature);
    Checks.notNull("reference", reference);
    Checks.notNull("current", current);
    checkThreshold(threshold);
    if (!method.supportsCategorical()) {
      throw new IllegalArgumentException(
          "method " + method + " needs numeric samples; feature '" + feature + "' is categorical");
    }
    long rm = countNull(reference);
    long cm = countNull(current);
    long rn = reference.length - rm;
    long cn = current.length - cm;
    if (reference.length == 0 || current.length == 0) {
      return undefined(method, feature, threshold, rn, cn, rm, cm);
    }
    Map<String, Integer> index = new LinkedHashMap<>();
    for (String s : reference) {
      if (s != null) {
        index.putIfAbsent(s, index.size());
      }
    }
    int unseen = index.size();
    int missing = unseen + 1;
    long[] rc = new long[missing + 1];
    long[] cc = new long[missing + 1];
    for (String s : reference) {
      rc[s == null ? missing : index.get(s)]++;
    }
    for (String s : current) {
      if (s == null) {
        cc[missing]++;
      } else {
        Integer i = index.get(s);
        cc[i == null ? unseen : i]++;
      }
    }
    if (method == DriftMethod.CHI_SQUARE) {
      double[] chi = chiSquare(rc, cc);
      double p = chi[1];
      double v = Math.sqrt(chi[0] / (reference.length + current.length));
      String note = chi[2] == 0 ? "single category" : "";
      return new FeatureDrift(feature, method, v, p, threshold, p < threshold, rn, cn, rm, cm, note);
    }
    double v = distance(method, rc, cc);
    return new FeatureDrift(feature, method, v, Double.NaN, threshold, v >= threshold, rn, cn, rm, cm, "");
  }

  /**
   * The chi-square test of homogeneity of a 2 x k table of counts (columns empty in both rows are
   * dropped).
   *
   * @param reference reference counts per bucket
   * @param current current counts per bucket, same length
   * @return {statistic, p-value, degrees of freedom}
   */
  public static double[] chiSquare(long[] reference, long[] current) {
    Checks.notNull("reference", reference);
    Checks.notNull("current", current);
    if (reference.length != current.length) {
      throw new IllegalArgumentException("current has " + current.length + " buckets, expected "
          + reference.length + " as in reference");
    }
    double rt = 0;
    double ct = 0;
    int cols = 0;
    for (int i = 0; i < reference.length; i++) {
      rt += reference[i];
      ct += current[i];
      if (reference[i] + current[i] > 0) {
        cols++;
      }
    }
    double total = rt + ct;
    if (cols < 2 || rt == 0 || ct == 0) {
      return new double[] {0, 1, 0};
    }
    double stat = 0;
    for (int i = 0; i < reference.length; i++) {
      double col = reference[i] + current[i];
      if (col == 0) {
        continue;
      }
      double er = rt * col / total;
      double ec = ct * col / total;
      double dr = reference[i] - er;
      double dc = current[i] - ec;
      stat += dr * dr / er + dc * dc / ec;
    }
    int df = cols - 1;
    return new double[] {stat, Special.chiSquareSurvival(stat, df), df};
  }

  /**
   * PSI or Jensen-Shannon distance between two bucket-count vectors.
   *
   * @param method PSI or JENSEN_SHANNON
   * @param reference reference counts
   * @param current current counts, same length
   * @return the distance
   */
  public static double distance(DriftMethod method, long[] reference, long[] current) {
    double rt = 0;
    double ct = 0;
    for (int i = 0; i < reference.length; i++) {
      rt += reference[i];
      ct += current[i];
    }
    if (rt == 0 || ct == 0) {
      return Double.NaN;
    }
    double s = 0;
    if (method == DriftMethod.PSI) {
      for (int i = 0; i < reference.length; i++) {
        double r = Math.max(reference[i] / rt, PSI_EPSILON);
        double c = Math.max(current[i] / ct, PSI_EPSILON);
        s += (c - r) * Math.log(c / r);
      }
      return s;
    }
    if (method == DriftMethod.JENSEN_SHANNON) {
      for (int i = 0; i < reference.length; i++) {
        double r = reference[i] / rt;
        double c = current[i] / ct;
        double m = 0.5 * (r + c);
        if (r > 0) {
          s += 0.5 * r * Math.log(r / m);
        }
        if (c > 0) {
          s += 0.5 * c * Math.log(c / m);
        }
      }
      return Math.sqrt(Math.max(0, s / Math.log(2)));
    }
    throw new IllegalArgumentException("method must be PSI or JENSEN_SHANNON, was " + method);
  }

  /**
   * Wasserstein-1 distance between two sorted samples (the area between their empirical CDFs).
   *
   * @param r sorted reference
   * @param c sorted current
   * @return the distance
   */
  static double wasserstein1(double[] r, double[] c) {
    int n = r.length;
    int m = c.length;
    int i = 0;
    int j = 0;
    double area = 0;
    double prev = Math.min(r[0], c[0]);
    while (i < n || j < m) {
      double x;
      if (j >= m || (i < n && r[i] <= c[j])) {
        x = r[i];
      } else {
        x = c[j];
      }
      area += Math.abs((double) i / n - (double) j / m) * (x - prev);
      prev = x;
      while (i < n && r[i] == x) {
        i++;
      }
      while (j < m && c[j] == x) {
        j++;
      }
    }
    return area;
  }

  static double std(double[] x) {
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= x.length;
    double ss = 0;
    for (double v : x) {
      ss += (v - mean) * (v - mean);
    }
    return x.length > 1 ? Math.sqrt(ss / (x.length - 1)) : 0;
  }

  /**
   * Bin edges at the quantiles of a sorted sample (inverse empirical CDF, Hyndman-Fan type 1): at
   * most {@code bins - 1} distinct inner edges.
   *
   * @param sorted a sorted sample without NaN
   * @param bins the number of bins wanted
   * @return strictly increasing inner edges
   */
  static double[] quantileEdges(double[] sorted, int bins) {
    double[] edges = new double[bins - 1];
    int k = 0;
    for (int b = 1; b < bins; b++) {
      // inverse of the empirical CDF (Hyndman-Fan type 1): the ceil(n p)-th smallest value
      int idx = (int) Math.ceil((double) b * sorted.length / bins) - 1;
      double q = sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
      if (k == 0 || q > edges[k - 1]) {
        edges[k++] = q;
      }
    }
    return Arrays.copyOf(edges, k);
  }

  /**
   * The same edges as {@link #quantileEdges} from an unsorted sample, by selection (the sample is
   * not changed).
   *
   * @param values a sample without NaN, not empty
   * @param bins the number of bins wanted
   * @return strictly increasing inner edges
   */
  static double[] quantileEdgesUnsorted(double[] values, int bins) {
    int[] ranks = new int[bins - 1];
    int distinct = 0;
    for (int b = 1; b < bins; b++) {
      int idx = (int) Math.ceil((double) b * values.length / bins) - 1;
      int rank = Math.max(0, Math.min(values.length - 1, idx));
      if (distinct == 0 || rank > ranks[distinct - 1]) {
        ranks[distinct++] = rank;
      }
    }
    double[] q = DoubleSort.valuesAtRanks(values, Arrays.copyOf(ranks, distinct));
    double[] edges = new double[q.length];
    int k = 0;
    for (double v : q) {
      if (k == 0 || v > edges[k - 1]) {
        edges[k++] = v;
      }
    }
    return Arrays.copyOf(edges, k);
  }

  /**
   * The bucket of a value: {@code edges.length + 1} value buckets (bucket i holds values in
   * [edges[i-1], edges[i])), then the missing bucket.
   *
   * @param edges inner edges
   * @param v the value
   * @return the bucket index
   */
  static int bucket(double[] edges, double v) {
    if (v != v) {
      return edges.length + 1;
    }
    if (edges.length <= 16) {
      // branch-free count of edges <= v (the serving path: no mispredictions on random input);
      // v + 0.0 turns -0.0 into +0.0 so that the sign of (w - e) is clear exactly when w < e
      double w = v + 0.0;
      int b = 0;
      for (double e : edges) {
        b += 1 - (int) (Double.doubleToRawLongBits(w - e) >>> 63);
      }
      return b;
    }
    int lo = 0;
    int hi = edges.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (v < edges[mid]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  static long[] histogram(double[] values, double[] edges, long missing) {
    long[] h = new long[edges.length + 2];
    EdgeGrid grid = edges.length <= Byte.MAX_VALUE ? new EdgeGrid(edges) : null;
    for (double v : values) {
      h[v != v ? edges.length + 1 : grid != null ? grid.bucket(v) : bucket(edges, v)]++;
    }
    h[edges.length + 1] += missing;
    return h;
  }

  private static boolean hasNaN(double[] x) {
    for (double v : x) {
      if (v != v) {
        return true;
      }
    }
    return false;
  }

  static double[] dropNaN(double[] x) {
    int k = 0;
    double[] out = new double[x.length];
    for (double v : x) {
      if (v == v) {
        out[k++] = v;
      }
    }
    return k == x.length ? out : Arrays.copyOf(out, k);
  }

  private static String[] toStrings(double[] x) {
    String[] s = new String[x.length];
    Map<Double, String> cache = new HashMap<>();
    for (int i = 0; i < x.length; i++) {
      s[i] = x[i] != x[i] ? null : cache.computeIfAbsent(x[i], String::valueOf);
    }
    return s;
  }

  private static boolean distinctAtMost(double[] x, int k) {
    double[] seen = new double[k];
    int n = 0;
    outer:
    for (double v : x) {
      if (v != v) {
        continue;
      }
      for (int i = 0; i < n; i++) {
        if (seen[i] == v) {
          continue outer;
        }
      }
      if (n == k) {
        return false;
      }
      seen[n++] = v;
    }
    return true;
  }

  private static long countNull(String[] x) {
    long n = 0;
    for (String s : x) {
      if (s == null) {
        n++;
      }
    }
    return n;
  }

  static void checkThreshold(double threshold) {
    if (!(threshold > 0) || Double.isInfinite(threshold)) {
      throw new IllegalArgumentException("threshold must be finite and > 0, was " + threshold);
    }
  }

  private static FeatureDrift undefined(
      DriftMethod method, String feature, double threshold, long rn, long cn, long rm, long cm) {
    String note = rn == 0 ? "empty reference window" : "empty current window";
    return new FeatureDrift(feature, method, Double.NaN, Double.NaN, threshold, false, rn, cn, rm, cm, note);
  }
}
