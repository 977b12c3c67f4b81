package org.sieveml.monitoring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.monitoring.internal.Checks;

/**
 * A dataset-level drift check between a reference {@link FeatureFrame} and a current one: every
 * feature is tested (with {@link DriftTests}), an optional multiple-testing {@link Correction} is
 * applied to the p-value tests, and the dataset counts as drifted when the share of drifted features
 * reaches {@code driftShare} (0.5 by default, as in Evidently).
 *
 * <p>Per feature the method defaults to {@link DriftTests#auto}'s choice by type and reference size
 * and the threshold to the method's default (see {@link DriftTests} for the measured false-alarm
 * rates behind them); both can be set per feature. Thresholds can also be
 * learned from the reference, as NannyML does, with {@link Builder#learnThresholds} or
 * {@link #withLearnedThresholds(FeatureFrame, int)}:
 * the reference is cut into chunks, each chunk is compared with the whole reference, and each
 * distance test's threshold becomes the mean plus three standard deviations of those chunk
 * distances.
 *
 * <p>Numeric (DOUBLE, LONG, BOOLEAN) and STRING columns are checked; EMBEDDING columns are skipped.
 * A feature missing from the current frame, or typed differently there (numeric versus string), is an
 * {@link IllegalArgumentException} naming the feature and both types.
 *
 * <p>Instances are immutable and thread-safe; builders are not.
 */
public final class DriftCheck {

  private final List<String> features;
  private final Map<String, DriftMethod> methods;
  private final Map<String, Double> thresholds;
  private final Correction correction;
  private final double driftShare;

  private DriftCheck(Builder b) {
    this.features = b.features == null ? null : List.copyOf(b.features);
    this.methods = Collections.unmodifiableMap(new HashMap<>(b.methods));
    this.thresholds = Collections.unmodifiableMap(new HashMap<>(b.thresholds));
    this.correction = b.correction;
    this.driftShare = b.driftShare;
  }

  /**
   * A builder with the defaults (all features, automatic methods, no correction, share 0.5).
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding this check's settings.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.features = features;
    b.methods.putAll(methods);
    b.thresholds.putAll(thresholds);
    b.correction = correction;
    b.driftShare = driftShare;
    return b;
  }

  /**
   * Runs the check.
   *
   * @param label the report's label
   * @param reference the reference frame
   * @param current the current frame
   * @return the report
   */
  public DriftReport run(String label, FeatureFrame reference, FeatureFrame current) {
    return run(label, 0, reference, current);
  }

  /**
   * Runs the check as one step of a series.
   *
   * @param label the report's label
   * @param sequence the step's number
   * @param reference the reference frame
   * @param current the current frame
   * @return the report
   */
  public DriftReport run(String label, long sequence, FeatureFrame reference, FeatureFrame current) {
    Checks.notNull("label", label);
    Checks.notNull("reference", reference);
    Checks.notNull("current", current);
    List<FeatureDrift> results = new ArrayList<>();
    for (String name : checkedFeatures(reference)) {
      results.add(testFeature(name, reference, current));
    }
    return DriftReport.of(label, sequence, correct(results, correction), driftShare, correction);
  }

  /**
   * Runs the check over time buckets of the current rows: a drift timeline. Row {@code i} of
   * {@code current} falls in bucket {@code floorDiv(times[i] - origin, bucketMillis)}, which spans
   * {@code [origin + b * bucketMillis, origin + (b + 1) * bucketMillis)}. Buckets are compared in time
   * order, each against the whole reference, and a bucket too small to be compared fairly with the others
   * is merged into its neighbour rather than reported alone: a bucket is too small when it holds fewer than
   * {@code minRows} rows, or fewer than {@code minShareOfMedian} times the median row count of the non-empty
   * buckets (so a 4,000-row tail week is not set against 165,000-row weeks). A small bucket joins the kept
   * bucket before it; small buckets before the first kept one join the first kept one. Empty buckets are
   * skipped. Each report's label is {@code label} followed by its time span
   * ({@code [start, end)} as ISO-8601 instants of the epoch milliseconds), its sequence the span's start.
   *
   * @param label the reports' label prefix
   * @param reference the reference frame
   * @param current the current rows
   * @param times one time (epoch milliseconds) per current row
   * @param origin where bucket 0 starts (epoch milliseconds; e.g. a Monday's midnight for calendar weeks)
   * @param bucketMillis bucket length, positive (e.g. {@code Duration.ofDays(7).toMillis()})
   * @param minRows the least rows a reported bucket holds, at least 1
   * @param minShareOfMedian the least share of the median bucket a reported bucket holds, in [0, 1]
   * @return one report per kept bucket (with the small ones merged into it), in time order; empty when no
   *     bucket reaches the minimum
   * @throws IllegalArgumentException if an argument is null or out of range, or {@code times} does not hold
   *     one time per current row
   */
  public java.util.List<DriftReport> timeline(String label, FeatureFrame reference, FeatureFrame current,
      long[] times, long origin, long bucketMillis, int minRows, double minShareOfMedian) {
    Checks.notNull("label", label);
    Checks.notNull("reference", reference);
    Checks.notNull("current", current);
    Checks.notNull("times", times);
    if (times.length != current.rowCount()) {
      throw new IllegalArgumentException("times has " + times.length + " entries; expected one per current row ("
          + current.rowCount() + ")");
    }
    if (bucketMillis <= 0) {
      throw new IllegalArgumentException("bucketMillis is " + bucketMillis + "; expected a positive length");
    }
    if (minRows < 1) {
      throw new IllegalArgumentException("minRows is " + minRows + "; expected at least 1");
    }
    if (!(minShareOfMedian >= 0 && minShareOfMedian <= 1)) {
      throw new IllegalArgumentException("minShareOfMedian is " + minShareOfMedian + "; expected a share in [0, 1]");
    }
    // rows by bucket, buckets in time order
    java.util.TreeMap<Long, int[]> counts = new java.util.TreeMap<>();
    for (long t : times) {
      counts.computeIfAbsent(Math.floorDiv(t - origin, bucketMillis), b -> new int[1])[0]++;
    }
    java.util.List<DriftReport> out = new ArrayList<>();
    if (counts.isEmpty()) {
      return out;
    }
    int[] sizes = counts.values().stream().mapToInt(c -> c[0]).sorted().toArray();
    int n = sizes.length;
    double median = n % 2 == 1 ? sizes[n / 2] : (sizes[n / 2 - 1] + (double) sizes[n / 2]) / 2;
    double least = Math.max(minRows, minShareOfMedian * median);
    // spans: kept buckets, each absorbing the small ones after it (and the first, those before it)
    java.util.List<long[]> spans = new ArrayList<>(); // {first bucket, last bucket, rows}
    long pendingFrom = Long.MIN_VALUE;
    int pendingRows = 0;
    for (java.util.Map.Entry<Long, int[]> e : counts.entrySet()) {
      long b = e.getKey();
      int rows = e.getValue()[0];
      if (rows >= least) {
        spans.add(new long[] {pendingRows > 0 ? pendingFrom : b, b, rows + pendingRows});
        pendingRows = 0;
      } else if (!spans.isEmpty()) {
        long[] last = spans.get(spans.size() - 1);
        last[1] = b;
        last[2] += rows;
      } else {
        if (pendingRows == 0) {
          pendingFrom = b;
        }
        pendingRows += rows;
      }
    }
    // every row into its span (spans are disjoint runs of buckets in time order)
    long[] firstBucket = new long[spans.size()];
    int[][] rows = new int[spans.size()][];
    for (int j = 0; j < firstBucket.length; j++) {
      firstBucket[j] = spans.get(j)[0];
      rows[j] = new int[(int) spans.get(j)[2]];
    }
    int[] filled = new int[rows.length];
    for (int i = 0; i < times.length; i++) {
      int j = java.util.Arrays.binarySearch(firstBucket, Math.floorDiv(times[i] - origin, bucketMillis));
      j = j >= 0 ? j : -j - 2;
      if (j >= 0 && filled[j] < rows[j].length) {
        rows[j][filled[j]++] = i;
      }
    }
    for (int j = 0; j < rows.length; j++) {
      long[] span = spans.get(j);
      long start;
      long end;
      try {
        start = Math.addExact(origin, Math.multiplyExact(span[0], bucketMillis));
        end = Math.addExact(origin, Math.multiplyExact(span[1] + 1, bucketMillis));
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("times reach " + span[1] + " buckets of " + bucketMillis
            + " ms; expected times whose buckets fit in epoch milliseconds");
      }
      String name = label + " [" + java.time.Instant.ofEpochMilli(start) + ", " + java.time.Instant.ofEpochMilli(end)
          + ")";
      out.add(run(name, start, reference, current.rows(rows[j])));
    }
    return out;
  }

  /**
   * This check with each distance test's threshold learned from the reference (mean + 3 standard
   * deviations of the distance between each chunk of {@code chunkSize} rows and the whole reference);
   * p-value tests keep their significance level. Needs at least two full chunks.
   *
   * @param reference the reference frame
   * @param chunkSize rows per chunk, positive
   * @return a new check
   */
  public DriftCheck withLearnedThresholds(FeatureFrame reference, int chunkSize) {
    Checks.notNull("reference", reference);
    Checks.positive("chunkSize", chunkSize);
    int chunks = reference.rowCount() / chunkSize;
    if (chunks < 2) {
      throw new IllegalArgumentException("chunkSize " + chunkSize + " leaves " + chunks
          + " full chunks of a " + reference.rowCount() + "-row reference; expected at least 2");
    }
    Builder b = toBuilder();
    for (String name : checkedFeatures(reference)) {
      DriftMethod m = method(name, reference);
      if (m.isPValueTest()) {
        continue;
      }
      double[] stats = new double[chunks];
      for (int c = 0; c < chunks; c++) {
        int[] rows = new int[chunkSize];
        for (int i = 0; i < chunkSize; i++) {
          rows[i] = c * chunkSize + i;
        }
        FeatureFrame chunk = reference.select(List.of(name)).rows(rows);
        FeatureDrift r = test(m, name, reference, chunk, m.defaultThreshold());
        stats[c] = r.statistic();
      }
      double mean = Arrays.stream(stats).filter(Double::isFinite).average().orElse(0);
      double var = Arrays.stream(stats).filter(Double::isFinite).map(s -> (s - mean) * (s - mean)).sum()
          / Math.max(1, chunks - 1);
      double t = mean + 3 * Math.sqrt(var);
      b.method(name, m).threshold(name, t > 0 ? t : Double.MIN_NORMAL);
    }
    return b.build();
  }

  /**
   * The per-feature thresholds set explicitly or learned.
   *
   * @return feature name to threshold
   */
  public Map<String, Double> thresholds() {
    return thresholds;
  }

  private List<String> checkedFeatures(FeatureFrame reference) {
    if (features != null) {
      for (String f : features) {
        reference.schema().require(f);
      }
      return features;
    }
    List<String> out = new ArrayList<>();
    for (FeatureSpec s : reference.schema().specs()) {
      if (s.type() != FeatureType.EMBEDDING) {
        out.add(s.name());
      }
    }
    return out;
  }

  private DriftMethod method(String name, FeatureFrame reference) {
    DriftMethod m = methods.get(name);
    if (m != null) {
      return m;
    }
    FeatureType t = reference.schema().get(reference.schema().require(name)).type();
    if (t == FeatureType.STRING) {
      return DriftTests.defaultCategoricalMethod(new String[reference.rowCount()]);
    }
    return DriftTests.defaultNumericMethod(reference.doubleColumn(name));
  }

  private FeatureDrift testFeature(String name, FeatureFrame reference, FeatureFrame current) {
    DriftMethod m = method(name, reference);
    Double t = thresholds.get(name);
    return test(m, name, reference, current, t == null ? m.defaultThreshold() : t);
  }

  static FeatureDrift test(DriftMethod m, String name, FeatureFrame reference, FeatureFrame current, double threshold) {
    FeatureType rt = reference.schema().get(reference.schema().require(name)).type();
    int ci = current.schema().indexOf(name);
    if (ci < 0) {
      throw new IllegalArgumentException("feature '" + name + "' is in the reference but not in the current frame");
    }
    FeatureType ct = current.schema().get(ci).type();
    boolean rs = rt == FeatureType.STRING;
    boolean cs = ct == FeatureType.STRING;
    if (rs != cs || rt == FeatureType.EMBEDDING || ct == FeatureType.EMBEDDING) {
      throw new IllegalArgumentException("feature '" + name + "' is " + rt + " in the reference but " + ct
          + " in the current frame; expected matching numeric or STRING types");
    }
    if (rs) {
      return DriftTests.test(m, name, strings(reference, name), strings(current, name), threshold);
    }
    return DriftTests.test(m, name, reference.doubleColumn(name), current.doubleColumn(name), threshold);
  }

  static String[] strings(FeatureFrame f, String name) {
    int c = f.schema().require(name);
    String[] out = new String[f.rowCount()];
    for (int r = 0; r < out.length; r++) {
      out[r] = f.getString(r, c);
    }
    return out;
  }

  static List<FeatureDrift> correct(List<FeatureDrift> results, Correction correction) {
    if (correction == Correction.NONE) {
      return results;
    }
    List<Integer> pIdx = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      FeatureDrift f = results.get(i);
      if (f.method().isPValueTest() && !Double.isNaN(f.pValue())) {
        pIdx.add(i);
      }
    }
    int k = pIdx.size();
    List<FeatureDrift> out = new ArrayList<>(results);
    if (k == 0) {
      return out;
    }
    if (correction == Correction.BONFERRONI) {
      for (int i : pIdx) {
        FeatureDrift f = results.get(i);
        double t = f.threshold() / k;
        out.set(i, f.withDecision(t, f.pValue() < t));
      }
      return out;
    }
    // Benjamini-Hochberg step-up (each feature's own alpha; usually all equal)
    pIdx.sort((a, b) -> Double.compare(results.get(a).pValue(), results.get(b).pValue()));
    int cut = -1;
    for (int r = 0; r < k; r++) {
      FeatureDrift f = results.get(pIdx.get(r));
      if (f.pValue() <= (r + 1) * f.threshold() / k) {
        cut = r;
      }
    }
    for (int r = 0; r < k; r++) {
      FeatureDrift f = results.get(pIdx.get(r));
      out.set(pIdx.get(r), f.withDecision((r + 1) * f.threshold() / k, r <= cut));
    }
    return out;
  }

  /**
   * Builds a {@link DriftCheck}. Not thread-safe.
   */
  public static final class Builder {
    private List<String> features;
    private final Map<String, DriftMethod> methods = new LinkedHashMap<>();
    private final Map<String, Double> thresholds = new LinkedHashMap<>();
    private Correction correction = Correction.NONE;
    private double driftShare = 0.5;

    private Builder() {}

    /**
     * Restricts the check to these features (default: every numeric and STRING column).
     *
     * @param names feature names
     * @return this builder
     */
    public Builder features(List<String> names) {
      Checks.notNull("names", names);
      this.features = List.copyOf(names);
      return this;
    }

    /**
     * Sets a feature's method.
     *
     * @param feature the feature
     * @param method the method
     * @return this builder
     */
    public Builder method(String feature, DriftMethod method) {
      methods.put(Checks.notNull("feature", feature), Checks.notNull("method", method));
      return this;
    }

    /**
     * Sets a feature's threshold (significance level or distance).
     *
     * @param feature the feature
     * @param threshold finite and {@code > 0}
     * @return this builder
     */
    public Builder threshold(String feature, double threshold) {
      DriftTests.checkThreshold(threshold);
      thresholds.put(Checks.notNull("feature", feature), threshold);
      return this;
    }

    /**
     * Learns each distance test's threshold from reference windows, as {@link
     * DriftCheck#withLearnedThresholds} does, with the settings made so far (features, methods); p-value
     * tests keep their significance level. Use it where the default distance thresholds alarm on
     * ordinary variation between periods:
     * {@code DriftCheck.builder().learnThresholds(reference, 1000).build()}.
     *
     * @param reference the reference frame
     * @param chunkSize rows per reference window, positive, at least two full windows
     * @return this builder
     * @throws IllegalArgumentException on fewer than two full windows
     */
    public Builder learnThresholds(FeatureFrame reference, int chunkSize) {
      DriftCheck learned = build().withLearnedThresholds(reference, chunkSize);
      methods.putAll(learned.methods);
      thresholds.putAll(learned.thresholds);
      return this;
    }

    /**
     * Sets the multiple-testing correction.
     *
     * @param correction the correction
     * @return this builder
     */
    public Builder correction(Correction correction) {
      this.correction = Checks.notNull("correction", correction);
      return this;
    }

    /**
     * Sets the share of drifted features at which the dataset counts as drifted.
     *
     * @param share in (0, 1]
     * @return this builder
     */
    public Builder driftShare(double share) {
      if (!(share > 0 && share <= 1)) {
        throw new IllegalArgumentException("driftShare must be in (0, 1], was " + share);
      }
      this.driftShare = share;
      return this;
    }

    /**
     * Builds the check.
     *
     * @return the check
     */
    public DriftCheck build() {
      return new DriftCheck(this);
    }
  }
}
