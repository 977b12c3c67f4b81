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
