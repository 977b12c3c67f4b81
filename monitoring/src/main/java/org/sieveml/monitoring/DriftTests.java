package org.sieveml.monitoring;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sieveml.monitoring.internal.DoubleSort;
import org.sieveml.monitoring.internal.EdgeGrid;
import org.sieveml.monitoring.internal.KolmogorovSmirnov;
import org.sieveml.monitoring.internal.PermutationTest;
import org.sieveml.monitoring.internal.Special;
import org.sieveml.monitoring.internal.Checks;

/**
 * Per-feature batch drift tests between a reference sample and a current window.
 *
 * <p>Numeric samples come as {@code double[]}: NaN counts as missing and is dropped before testing
 * (the counts are reported). Categorical samples come as {@code String[]}: null counts as missing. An
 * empty window (no non-missing value) yields an undefined result (NaN statistic, not drifted, with a
 * note); single-value and constant samples are valid (a constant reference makes the normalised
 * Wasserstein distance 0 if the current sample equals the constant and infinite otherwise).
 *
 * <p><b>Categorical buckets</b> (chi-square, PSI and Jensen-Shannon on {@code String[]}) are built
 * from the pooled sample, the same way for both sides: one bucket per category (missing values are a
 * category), a category seen only in the current window being a bucket whose reference count is 0.
 * Categories whose pooled count is below {@value #RARE_CATEGORY_COUNT} share one bucket, unless no
 * other category reaches that count (then none is merged). The rule reads only pooled counts, so it
 * is symmetric in the two samples and unchanged by permuting them, which keeps the permutation
 * p-value below exact.
 *
 * <p><b>Chi-square p-values</b> are asymptotic when the table passes Cochran's rule (no expected count
 * below 1 and at most 20 % below 5), and otherwise a seeded Monte-Carlo permutation p-value of the
 * same statistic (pool both samples, redraw the reference at random, recompute), which is valid at
 * any cardinality: at most {@value #MONTE_CARLO_PERMUTATIONS} permutations, stopping once {@value
 * #MONTE_CARLO_STOP} reach the observed statistic (Besag-Clifford; p-value {@code h / l}, else
 * {@code (1 + g) / (1 + b)}), seed {@value #MONTE_CARLO_SEED}, so the p-value is a deterministic
 * function of the samples. Its smallest value is 1 / 1000: under Bonferroni at level alpha it cannot
 * flag more than {@code alpha * 1000} features' worth of tests (50 at 0.05). Its relative error is
 * about 22 % near the stop (the decision at 0.05 is valid: the p-value is exact in distribution).
 * Cost {@code O(l * (min(n, m) + k))} for {@code l} permutations over {@code k} buckets; a window
 * without drift typically stops after a few dozen. The result's note says which p-value was used.
 * Asymptotic chi-square on such tables is badly anti-conservative: on iid halves of a real CTR sample
 * it gave p = 6.9e-7 where the permutation p-value was 0.53.
 *
 * <p><b>Kolmogorov-Smirnov with ties</b>: the continuous p-value is conservative when values repeat.
 * When the pooled sample has a tie the result's note starts with {@code "ties"} and, up to {@value
 * #KS_PERMUTATION_MAX} pooled values, the p-value is the Monte-Carlo permutation p-value of D (as
 * above, ties kept as blocks), except when the continuous p-value is already below the Monte-Carlo
 * resolution 1 / 1000 (it is kept: being conservative, a small value is trustworthy); above that size
 * the continuous p-value is kept with the note.
 *
 * <p>Numeric PSI and Jensen-Shannon use {@value #DEFAULT_BINS} bins with edges at the reference's
 * quantiles (inverse empirical CDF at 0.1, 0.2, ..., 0.9; duplicates merged, outer bins
 * open-ended; bucket i holds values in [edge i-1, edge i)), plus a bucket for missing values.
 *
 * <p><b>Defaults</b> ({@link #auto}, and {@link DriftCheck} without per-feature settings), chosen from
 * measurements on real data (README, "Monitoring"; {@code DriftDefaultsEvidenceTest}):
 * <ul>
 *   <li>categorical: chi-square at level 0.05 at every sample size. On iid splits of the TalkingData
 *       sample's hashed-id columns (5,000 vs 5,000 rows, 200 splits) it flagged ip 5.0 %, app 2.5 %,
 *       device 6.0 %, os 5.5 %, channel 4.0 % of the splits, and detected a surge of one id in 5 % of
 *       the current rows in 100 % of 50 splits on each column. Jensen-Shannon at the fixed 0.1 (the
 *       former large-sample default) flagged ip in 40 % of iid splits: a fixed distance threshold does
 *       not hold its level on high-cardinality columns; use it with learned thresholds.
 *   <li>numeric: on references of at most {@value #SMALL_SAMPLE} values, Kolmogorov-Smirnov (features
 *       with more than 5 distinct values) or chi-square, at level 0.05; on larger ones Wasserstein
 *       distance over the reference's standard deviation at 0.1, because on large samples p-values
 *       flag shifts too small to matter. Measured on iid splits (100 per size): with 500 vs 500 rows
 *       (KS, permutation p-value with ties) 1-6 % per column of ELEC2's eight numeric columns and of
 *       four synthetic streams (Gaussian, log-normal, rounded, five levels); with 5,000 vs 5,000 rows
 *       (Wasserstein at 0.1) 0 % on seven ELEC2 columns, 0-2 % on the synthetic streams, but 12 % on
 *       ELEC2's vicprice (a long constant stretch, then price spikes: the distance is dominated by a
 *       few extreme values). The 0.1 is an effect size, not a calibrated level: real streams move
 *       between periods by more than that (issue 20 reports alarms in 40 of 45 yearly windows of a
 *       50-year weather record); for such data, and for heavy-tailed features, learn thresholds
 *       from reference windows ({@link DriftCheck.Builder#learnThresholds}).
 * </ul>
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

  /**
   * Categories whose pooled count (reference plus current) is below this share one bucket in
   * categorical chi-square, PSI and Jensen-Shannon (see the class comment).
   */
  public static final int RARE_CATEGORY_COUNT = 5;
  /** The most permutations of a Monte-Carlo p-value ({@code b}); its smallest p-value is 1 / (1 + b). */
  public static final int MONTE_CARLO_PERMUTATIONS = 999;
  /** A Monte-Carlo p-value stops after this many permutations reach the observed statistic ({@code h}). */
  public static final int MONTE_CARLO_STOP = 20;
  /** The seed of the permutations: a Monte-Carlo p-value is a deterministic function of the samples. */
  public static final long MONTE_CARLO_SEED = 20;
  /** Above this pooled size a KS test with ties keeps the continuous p-value (see the class comment). */
  public static final int KS_PERMUTATION_MAX = 200_000;

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
    return DriftMethod.CHI_SQUARE;
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
        String note = "";
        int[] pool = new int[r.length + c.length];
        int distinct = rankBuckets(r, c, pool);
        if (distinct < pool.length) {
          if (p < 1.0 / (1 + MONTE_CARLO_PERMUTATIONS)) {
            // beyond the Monte-Carlo resolution; the continuous p-value is conservative with ties
            note = "ties: continuous p-value (conservative)";
          } else if (pool.length <= KS_PERMUTATION_MAX) {
            PermutationTest t = new PermutationTest(pool, distinct, r.length, c.length);
            double[] mc = t.pValue(PermutationTest.Statistic.KOLMOGOROV_SMIRNOV, d, MONTE_CARLO_SEED,
                MONTE_CARLO_PERMUTATIONS, MONTE_CARLO_STOP);
            p = mc[0];
            note = "ties: Monte-Carlo p-value (" + (long) mc[1] + " permutations)";
          } else {
            note = "ties: continuous p-value (conservative)";
          }
        }
        return new FeatureDrift(feature, method, d, p, threshold, p < threshold, r.length, c.length, rm, cm, note);
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
    int[] pool = new int[reference.length + current.length];
    int buckets = pooledBuckets(reference, current, pool);
    long[] rc = new long[buckets];
    long[] cc = new long[buckets];
    for (int i = 0; i < pool.length; i++) {
      (i < reference.length ? rc : cc)[pool[i]]++;
    }
    if (method == DriftMethod.CHI_SQUARE) {
      double[] chi = chiSquare(rc, cc);
      double v = Math.sqrt(chi[0] / pool.length);
      if (chi[2] == 0) {
        return new FeatureDrift(feature, method, v, 1, threshold, false, rn, cn, rm, cm, "single category");
      }
      double p = chi[1];
      String note = "";
      if (!cochran(rc, cc)) {
        double[] mc = monteCarloChiSquare(new PermutationTest(pool, buckets, reference.length, current.length), chi[0]);
        p = mc[0];
        note = monteCarloNote(mc);
      }
      return new FeatureDrift(feature, method, v, p, threshold, p < threshold, rn, cn, rm, cm, note);
    }
    double v = distance(method, rc, cc);
    return new FeatureDrift(feature, method, v, Double.NaN, threshold, v >= threshold, rn, cn, rm, cm, "");
  }

  static double[] monteCarloChiSquare(PermutationTest test, double observed) {
    return test.pValue(PermutationTest.Statistic.CHI_SQUARE, observed, MONTE_CARLO_SEED, MONTE_CARLO_PERMUTATIONS,
        MONTE_CARLO_STOP);
  }

  static String monteCarloNote(double[] mc) {
    return "Monte-Carlo p-value (" + (long) mc[1] + " permutations)";
  }

  /**
   * The chi-square decision on bucket counts alone (the streaming monitor's path): Cochran's rule, else
   * the Monte-Carlo p-value, as for samples.
   *
   * @return {statistic, p-value, degrees of freedom, permutations run (0 if asymptotic)}
   */
  static double[] chiSquareOfCounts(long[] reference, long[] current) {
    double[] chi = chiSquare(reference, current);
    if (chi[2] == 0 || cochran(reference, current)) {
      return new double[] {chi[0], chi[1], chi[2], 0};
    }
    double[] mc = monteCarloChiSquare(PermutationTest.ofCounts(reference, current), chi[0]);
    return new double[] {chi[0], mc[0], chi[2], mc[1]};
  }

  /**
   * Assigns every observation of both samples (reference first) its bucket: one per category of the
   * pooled sample (missing values are a category), categories with a pooled count below {@value
   * #RARE_CATEGORY_COUNT} merged into one bucket unless that would leave a single bucket.
   *
   * @return the number of buckets
   */
  static int pooledBuckets(String[] reference, String[] current, int[] pool) {
    Map<String, Integer> index = new HashMap<>();
    // id 0 is the missing value
    for (int i = 0; i < pool.length; i++) {
      String s = i < reference.length ? reference[i] : current[i - reference.length];
      if (s == null) {
        pool[i] = 0;
      } else {
        Integer id = index.get(s);
        if (id == null) {
          id = index.size() + 1;
          index.put(s, id);
        }
        pool[i] = id;
      }
    }
    int[] count = new int[index.size() + 1];
    for (int id : pool) {
      count[id]++;
    }
    int[] bucketOf = new int[count.length];
    int frequent = 0;
    int rare = 0;
    for (int id = 0; id < count.length; id++) {
      if (count[id] >= RARE_CATEGORY_COUNT) {
        bucketOf[id] = frequent++;
      } else if (count[id] > 0) {
        rare++;
      }
    }
    // merging into one bucket needs a frequent category beside it; otherwise every category stays
    boolean merge = frequent >= 1;
    int buckets = frequent;
    for (int id = 0; id < count.length; id++) {
      if (count[id] > 0 && count[id] < RARE_CATEGORY_COUNT) {
        bucketOf[id] = merge ? frequent : buckets++;
      }
    }
    if (merge && rare > 0) {
      buckets = frequent + 1;
    }
    for (int i = 0; i < pool.length; i++) {
      pool[i] = bucketOf[pool[i]];
    }
    return buckets;
  }

  /**
   * Cochran's rule for the asymptotic chi-square: no expected count below 1 and at most 20 % of the
   * expected counts below 5.
   */
  static boolean cochran(long[] reference, long[] current) {
    double rt = 0;
    double ct = 0;
    for (int i = 0; i < reference.length; i++) {
      rt += reference[i];
      ct += current[i];
    }
    double total = rt + ct;
    int cells = 0;
    int small = 0;
    for (int i = 0; i < reference.length; i++) {
      double col = reference[i] + current[i];
      if (col == 0) {
        continue;
      }
      for (double e : new double[] {rt * col / total, ct * col / total}) {
        cells++;
        if (e < 1) {
          return false;
        }
        if (e < 5) {
          small++;
        }
      }
    }
    return small <= 0.2 * cells;
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

  /**
   * The rank of each value among the distinct values of both sorted samples (reference first).
   *
   * @return the number of distinct values
   */
  static int rankBuckets(double[] r, double[] c, int[] pool) {
    int i = 0;
    int j = 0;
    int id = -1;
    double last = Double.NaN;
    while (i < r.length || j < c.length) {
      boolean fromR = j >= c.length || (i < r.length && r[i] <= c[j]);
      double x = fromR ? r[i] : c[j];
      if (id < 0 || x != last) {
        id++;
        last = x;
      }
      if (fromR) {
        pool[i++] = id;
      } else {
        pool[r.length + j++] = id;
      }
    }
    return id + 1;
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
