package org.sieveml.monitoring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.monitoring.internal.EdgeGrid;
import org.sieveml.monitoring.internal.SimdBuckets;
import org.sieveml.monitoring.internal.Checks;
import org.sieveml.core.telemetry.Telemetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Monitors features (and predictions) on the serving path: a bounded-memory reference profile
 * against a sliding window of the most recent observations.
 *
 * <p>The reference profile is built once from a reference {@link FeatureFrame} (or a prediction
 * sample): per numeric feature, bucket edges at the reference's quantiles ({@code bins}, default 10)
 * with the reference's share in each bucket; per STRING feature, the {@code maxCategories} (default
 * 32) most frequent categories, one bucket for every other or unseen category and one for missing
 * values. The reference frame is not kept. The current window is a ring of the last
 * {@code windowSize} observations' bucket indices (one byte per feature), counted only when
 * {@link #check()} runs (a check copies the ring under the lock and counts outside it), so
 * memory is O(features x (windowSize + buckets)) whatever the traffic, and an observation costs, per
 * numeric feature, one lookup in a uniform grid over its edges plus a fixed step or two of branch-free
 * comparison (per STRING feature, one hash lookup); {@link #observe(double[])} allocates nothing.
 *
 * <p>{@link #check()} compares the window's bucket counts with the profile using the monitor's method
 * (PSI by default; Jensen-Shannon or chi-square on the counts; chi-square's p-value is asymptotic only
 * under Cochran's rule and a seeded Monte-Carlo permutation p-value otherwise, as in {@link DriftTests}), builds a {@link DriftReport}, delivers
 * it to listeners when a feature drifted, logs through slf4j and counts through {@link Telemetry}
 * ({@code drift.<name>.observations}, {@code .checks}, {@code .alarms}, {@code .drifted_features}).
 * Listeners get every report ({@link DriftListener#onCheck}) and, when a feature drifted,
 * {@link DriftListener#onDrift}.
 * NaN and null values count as missing (their own bucket), never as errors.
 *
 * <p>Thread-safe: observations and checks from any number of threads are serialised by a lock held
 * only for the few array writes per observation; listeners run outside it.
 */
public final class StreamingDriftMonitor {

  private static final Logger LOG = LoggerFactory.getLogger(StreamingDriftMonitor.class);
  private static final int GRID = EdgeGrid.CELLS;

  private final String name;
  private final String[] features;
  private final boolean[] categorical;
  private final double[][] edges;
  private final Map<String, Integer>[] categories;
  private final long[][] referenceCounts;
  private final int windowSize;
  private final DriftMethod method;
  private final double threshold;
  private final double driftShare;
  private final byte[] ring;
  /** Where feature f's buckets start in a flat array of every feature's counts. */
  private final int[] offset;
  private final int totalBuckets;
  /**
   * A uniform grid of {@link EdgeGrid#CELLS} cells per numeric feature between its lowest and highest edge:
   * {@code grid[f * GRID + c]} is a lower bound of the bucket of any value in cell c (the number of
   * edges at or below the start of cell c - 1), so the bucket is found in O(1) with at most a step
   * or two of correction, instead of a search over the edges.
   */
  private final byte[] grid;
  /** Per feature: the grid's origin and cells per unit, at {@code 2f} and {@code 2f + 1}. */
  private final double[] lowScale;
  /**
   * Every numeric feature's inner edges followed by one NaN (which no comparison passes), so that the
   * fixed number of branch-free correction steps after the grid lookup never reads past its feature.
   */
  private final double[] paddedEdges;
  /**
   * Per feature, {@link #STRIDE} ints: grid start, padded-edge start, missing bucket and correction
   * steps ({@link EdgeGrid#steps}), so an observation reads one small block per feature.
   */
  private final int[] layout;
  private static final int STRIDE = 4;
  private final boolean allNumeric;
  private final List<DriftListener> listeners;
  private final Telemetry.Counter observed;
  private final Telemetry.Counter checks;
  private final Telemetry.Counter alarms;
  private final Telemetry.Counter driftedFeatures;
  private FeatureSchema lastSchema;
  private int[] lastIndex;
  private long observations;
  /** Where the next observation's row starts in {@link #ring}: {@code (observations % windowSize) * features}. */
  private int cursor;
  private long sequence;
  /** The Vector API layout of the numeric features, or null (see {@link SimdBuckets}). */
  private final SimdBuckets.Layout simd;

  @SuppressWarnings("unchecked")
  private StreamingDriftMonitor(Builder b, String[] names, boolean[] cat, Object[] columns) {
    this.name = b.name;
    this.features = names;
    this.categorical = cat;
    int nf = names.length;
    this.edges = new double[nf][];
    this.categories = new Map[nf];
    this.referenceCounts = new long[nf][];
    for (int f = 0; f < nf; f++) {
      if (cat[f]) {
        String[] col = (String[]) columns[f];
        Map<String, Long> freq = new HashMap<>();
        long missing = 0;
        for (String s : col) {
          if (s == null) {
            missing++;
          } else {
            freq.merge(s, 1L, Long::sum);
          }
        }
        List<Map.Entry<String, Long>> top = new ArrayList<>(freq.entrySet());
        top.sort((x, y) -> y.getValue().equals(x.getValue()) ? x.getKey().compareTo(y.getKey())
            : Long.compare(y.getValue(), x.getValue()));
        Map<String, Integer> idx = new HashMap<>();
        long[] rc = new long[Math.min(top.size(), b.maxCategories) + 2];
        for (Map.Entry<String, Long> e : top) {
          if (idx.size() < b.maxCategories) {
            rc[idx.size()] = e.getValue();
            idx.put(e.getKey(), idx.size());
          } else {
            rc[rc.length - 2] += e.getValue();
          }
        }
        rc[rc.length - 1] = missing;
        categories[f] = idx;
        referenceCounts[f] = rc;
      } else {
        double[] col = (double[]) columns[f];
        double[] clean = DriftTests.dropNaN(col);
        Arrays.sort(clean);
        edges[f] = clean.length == 0 ? new double[0] : DriftTests.quantileEdges(clean, b.bins);
        referenceCounts[f] = DriftTests.histogram(clean, edges[f], col.length - clean.length);
      }
    }
    this.windowSize = b.windowSize;
    this.method = b.method;
    this.threshold = b.threshold > 0 ? b.threshold : b.method.defaultThreshold();
    this.driftShare = b.driftShare;
    this.ring = new byte[windowSize * nf];
    this.offset = new int[nf];
    int[] missingBucket = new int[nf];
    int total = 0;
    int totalEdges = 0;
    boolean numeric = true;
    for (int f = 0; f < nf; f++) {
      offset[f] = total;
      total += referenceCounts[f].length;
      missingBucket[f] = referenceCounts[f].length - 1;
      numeric &= !cat[f];
      if (!cat[f]) {
        totalEdges += edges[f].length;
      }
    }
    this.allNumeric = numeric;
    this.totalBuckets = total;
    this.grid = new byte[nf * GRID];
    this.lowScale = new double[2 * nf];
    this.paddedEdges = new double[totalEdges + nf];
    this.layout = new int[STRIDE * nf];
    double[] lowAndScale = new double[2];
    int padded = 0;
    for (int f = 0; f < nf; f++) {
      int q = STRIDE * f;
      layout[q + 2] = missingBucket[f];
      if (cat[f]) {
        continue;
      }
      double[] e = edges[f];
      EdgeGrid.fill(e, grid, f * GRID, lowAndScale);
      lowScale[2 * f] = lowAndScale[0];
      lowScale[2 * f + 1] = lowAndScale[1];
      System.arraycopy(e, 0, paddedEdges, padded, e.length);
      paddedEdges[padded + e.length] = Double.NaN;
      layout[q] = f * GRID;
      layout[q + 1] = padded;
      layout[q + 3] = EdgeGrid.steps(e, grid, f * GRID, lowAndScale[0], lowAndScale[1]);
      padded += e.length + 1;
    }
    this.simd = numeric ? SimdBuckets.Layout.of(edges, missingBucket) : null;
    this.listeners = new CopyOnWriteArrayList<>(b.listeners);
    this.observed = b.telemetry.counter("drift." + name + ".observations");
    this.checks = b.telemetry.counter("drift." + name + ".checks");
    this.alarms = b.telemetry.counter("drift." + name + ".alarms");
    this.driftedFeatures = b.telemetry.counter("drift." + name + ".drifted_features");
  }

  /**
   * A builder profiling the numeric and STRING columns of {@code reference}.
   *
   * @param reference the reference frame
   * @return a new builder
   */
  public static Builder builder(FeatureFrame reference) {
    return new Builder(Checks.notNull("reference", reference), null);
  }

  /**
   * A builder for a single numeric stream, e.g. a model's predictions.
   *
   * @param name the stream's feature name, e.g. {@code prediction}
   * @param reference the reference sample (NaN = missing)
   * @return a new builder
   */
  public static Builder builder(String name, double[] reference) {
    Checks.notBlank("name", name);
    Checks.notNull("reference", reference);
    FeatureFrame f = FeatureFrame.builder(reference.length)
        .addDouble(name, reference)
        .build();
    return new Builder(f, null);
  }

  /**
   * The monitored features, in order.
   *
   * @return feature names
   */
  public List<String> features() {
    return List.of(features);
  }

  /**
   * Adds a listener.
   *
   * @param listener the listener
   * @return this monitor
   */
  public StreamingDriftMonitor addListener(DriftListener listener) {
    listeners.add(Checks.notNull("listener", listener));
    return this;
  }

  /**
   * Records one observation of all-numeric features, given in {@link #features()} order (NaN =
   * missing). The fastest path: no allocation.
   *
   * @param values one value per feature
   * @throws IllegalArgumentException if the length differs or a feature is categorical
   */
  public void observe(double[] values) {
    if (values.length != features.length) {
      throw new IllegalArgumentException("values has " + values.length + " entries, expected "
          + features.length + " (one per monitored feature)");
    }
    if (!allNumeric) {
      for (int f = 0; f < values.length; f++) {
        if (categorical[f]) {
          throw new IllegalArgumentException("feature '" + features[f] + "' is STRING; use observe(FeatureVector)");
        }
      }
    }
    int nf = values.length;
    double[] e = paddedEdges;
    double[] ls = lowScale;
    int[] lay = layout;
    byte[] g = grid;
    byte[] r = ring;
    SimdBuckets.Layout vec = simd;
    synchronized (this) {
      int base = cursor;
      int from = 0;
      if (vec != null) {
        // the leading features eight at a time (one per lane); the scalar loop below does the rest
        SimdBuckets.buckets(vec, values, r, base);
        from = vec.lanes();
      }
      for (int f = from, q = from * STRIDE; f < nf; f++, q += STRIDE) {
        double v = values[f];
        int b;
        if (v != v) {
          b = lay[q + 2];
        } else {
          // O(1): a lower bound from the grid, then branch-free steps over the few edges left: one
          // always (a step too many never overshoots, and the NaN after the feature's last edge stops
          // the count), more only where EdgeGrid.steps says a cell can need them
          int cell = (int) ((v - ls[2 * f]) * ls[2 * f + 1]);
          b = g[lay[q] + Math.max(0, Math.min(GRID - 1, cell))];
          int eb = lay[q + 1];
          b += e[eb + b] <= v ? 1 : 0;
          for (int s = lay[q + 3]; s > 1; s--) {
            b += e[eb + b] <= v ? 1 : 0;
          }
        }
        r[base + f] = (byte) b;
      }
      advance();
    }
    observed.increment();
  }

  /**
   * Records a single-feature observation (e.g. one prediction).
   *
   * @param value the value (NaN = missing)
   * @throws IllegalStateException if the monitor has more than one feature or a categorical one
   */
  public void observe(double value) {
    if (features.length != 1 || categorical[0]) {
      throw new IllegalStateException("observe(double) needs a monitor of one numeric feature; this one has "
          + Arrays.toString(features));
    }
    synchronized (this) {
      put(cursor, 0, DriftTests.bucket(edges[0], value));
      advance();
    }
    observed.increment();
  }

  /**
   * Records one observation from a feature vector; features are looked up by name (absent or missing
   * values count as missing).
   *
   * @param vector the served features
   * @throws IllegalArgumentException if a monitored feature's type differs in the vector's schema
   */
  public void observe(FeatureVector vector) {
    Checks.notNull("vector", vector);
    int[] idx = indexFor(vector.schema());
    int nf = features.length;
    int[] buckets = new int[nf];
    for (int f = 0; f < nf; f++) {
      int i = idx[f];
      if (i < 0 || !vector.isPresent(i)) {
        buckets[f] = referenceCounts[f].length - 1;
      } else if (categorical[f]) {
        Integer c = categories[f].get(vector.getString(i));
        buckets[f] = c == null ? referenceCounts[f].length - 2 : c;
      } else {
        buckets[f] = DriftTests.bucket(edges[f], vector.asDouble(i));
      }
    }
    synchronized (this) {
      int base = cursor;
      for (int f = 0; f < nf; f++) {
        put(base, f, buckets[f]);
      }
      advance();
    }
    observed.increment();
  }

  private int[] indexFor(FeatureSchema schema) {
    synchronized (this) {
      if (schema == lastSchema) {
        return lastIndex;
      }
    }
    int[] idx = new int[features.length];
    for (int f = 0; f < features.length; f++) {
      idx[f] = schema.indexOf(features[f]);
      if (idx[f] >= 0) {
        FeatureType t = schema.get(idx[f]).type();
        boolean str = t == FeatureType.STRING;
        if (str != categorical[f] || t == FeatureType.EMBEDDING) {
          throw new IllegalArgumentException("feature '" + features[f] + "' is " + t + " in the vector but "
              + (categorical[f] ? "STRING" : "numeric") + " in the reference profile");
        }
      }
    }
    synchronized (this) {
      lastSchema = schema;
      lastIndex = idx;
    }
    return idx;
  }

  // caller holds the lock: counts the observation and moves the ring cursor (no division per observation)
  private void advance() {
    observations++;
    int next = cursor + features.length;
    cursor = next == ring.length ? 0 : next;
  }

  // caller holds the lock
  private void put(int base, int f, int bucket) {
    ring[base + f] = (byte) bucket;
  }

  /**
   * Observations recorded so far.
   *
   * @return the count
   */
  public synchronized long observations() {
    return observations;
  }

  /**
   * Compares the current window with the reference profile.
   *
   * @return the report (features whose window is empty get an undefined result)
   */
  public DriftReport check() {
    byte[] window;
    long seq;
    long obs;
    synchronized (this) {
      window = ring.clone();
      seq = sequence++;
      obs = observations;
    }
    // the ring's first min(obs, windowSize) rows hold the window (rows fill from 0, then wrap)
    int nf = features.length;
    int[] flat = new int[totalBuckets];
    int used = (int) Math.min(obs, windowSize) * nf;
    for (int p = 0; p < used; p += nf) {
      for (int f = 0; f < nf; f++) {
        flat[offset[f] + window[p + f]]++;
      }
    }
    long[][] cur = new long[nf][];
    for (int f = 0; f < nf; f++) {
      cur[f] = new long[referenceCounts[f].length];
      for (int b = 0; b < cur[f].length; b++) {
        cur[f][b] = flat[offset[f] + b];
      }
    }
    List<FeatureDrift> results = new ArrayList<>(features.length);
    for (int f = 0; f < features.length; f++) {
      long[] r = referenceCounts[f];
      long[] c = cur[f];
      long rm = r[r.length - 1];
      long cm = c[c.length - 1];
      long rn = Arrays.stream(r).sum() - rm;
      long cn = Arrays.stream(c).sum() - cm;
      if (rn + rm == 0 || cn + cm == 0) {
        results.add(new FeatureDrift(features[f], method, Double.NaN, Double.NaN, threshold, false, rn, cn, rm, cm,
            cn + cm == 0 ? "empty current window" : "empty reference"));
        continue;
      }
      if (method == DriftMethod.CHI_SQUARE) {
        double[] chi = DriftTests.chiSquareOfCounts(r, c);
        double v = Math.sqrt(chi[0] / (rn + rm + cn + cm));
        String note = chi[3] > 0 ? DriftTests.monteCarloNote(new double[] {chi[1], chi[3]}) : "";
        results.add(new FeatureDrift(features[f], method, v, chi[1], threshold, chi[1] < threshold, rn, cn, rm, cm,
            note));
      } else {
        double v = DriftTests.distance(method, r, c);
        results.add(new FeatureDrift(features[f], method, v, Double.NaN, threshold, v >= threshold, rn, cn, rm, cm, ""));
      }
    }
    long from = Math.max(0, obs - windowSize);
    DriftReport report = DriftReport.of(name + " [" + from + ", " + obs + ")", seq, results, driftShare, Correction.NONE);
    checks.increment();
    for (DriftListener l : listeners) {
      try {
        l.onCheck(name, report);
      } catch (RuntimeException e) {
        LOG.error("drift listener failed on report {}", report.label(), e);
      }
    }
    List<FeatureDrift> drifted = report.drifted();
    if (!drifted.isEmpty()) {
      alarms.increment();
      driftedFeatures.add(drifted.size());
      if (report.datasetDrift()) {
        LOG.warn("dataset drift on '{}': {} of {} features drifted: {}", name, drifted.size(), features.length,
            drifted.stream().map(FeatureDrift::feature).toList());
      } else {
        LOG.info("drift on '{}' in {} of {} features: {}", name, drifted.size(), features.length,
            drifted.stream().map(FeatureDrift::feature).toList());
      }
      for (DriftListener l : listeners) {
        try {
          l.onDrift(report);
        } catch (RuntimeException e) {
          LOG.error("drift listener failed on report {}", report.label(), e);
        }
      }
    } else {
      LOG.debug("no drift on '{}' ({} observations)", name, obs);
    }
    return report;
  }

  /**
   * Builds a {@link StreamingDriftMonitor}. Not thread-safe.
   */
  public static final class Builder {
    private final FeatureFrame reference;
    private List<String> names;
    private String name = "monitor";
    private int windowSize = 1000;
    private int bins = DriftTests.DEFAULT_BINS;
    private int maxCategories = 32;
    private DriftMethod method = DriftMethod.PSI;
    private double threshold = -1;
    private double driftShare = 0.5;
    private Telemetry telemetry = Telemetry.noop();
    private final List<DriftListener> listeners = new ArrayList<>();

    private Builder(FeatureFrame reference, List<String> names) {
      this.reference = reference;
      this.names = names;
    }

    /**
     * Restricts monitoring to these columns (default: every numeric and STRING column).
     *
     * @param features column names of the reference
     * @return this builder
     */
    public Builder features(List<String> features) {
      this.names = List.copyOf(Checks.notNull("features", features));
      return this;
    }

    /**
     * The monitor's name, used in telemetry names, logs and report labels.
     *
     * @param name a name such as {@code ranker.features}
     * @return this builder
     */
    public Builder name(String name) {
      this.name = Checks.notBlank("name", name);
      return this;
    }

    /**
     * The sliding window's length in observations (default 1000).
     *
     * @param windowSize positive
     * @return this builder
     */
    public Builder windowSize(int windowSize) {
      this.windowSize = Checks.positive("windowSize", windowSize);
      return this;
    }

    /**
     * Quantile bins per numeric feature (default 10).
     *
     * @param bins in [2, 100]
     * @return this builder
     */
    public Builder bins(int bins) {
      if (bins < 2 || bins > 100) {
        throw new IllegalArgumentException("bins must be in [2, 100], was " + bins);
      }
      this.bins = bins;
      return this;
    }

    /**
     * Categories kept per STRING feature (default 32); the rest share the "other/unseen" bucket.
     *
     * @param maxCategories in [1, 100]
     * @return this builder
     */
    public Builder maxCategories(int maxCategories) {
      if (maxCategories < 1 || maxCategories > 100) {
        throw new IllegalArgumentException("maxCategories must be in [1, 100], was " + maxCategories);
      }
      this.maxCategories = maxCategories;
      return this;
    }

    /**
     * The comparison: PSI (default), JENSEN_SHANNON or CHI_SQUARE on the bucket counts.
     *
     * @param method the method
     * @param threshold the threshold (distance, or significance level for chi-square), {@code > 0}
     * @return this builder
     */
    public Builder method(DriftMethod method, double threshold) {
      Checks.notNull("method", method);
      if (method == DriftMethod.KOLMOGOROV_SMIRNOV || method == DriftMethod.WASSERSTEIN) {
        throw new IllegalArgumentException("method " + method
            + " needs raw samples; a streaming monitor supports PSI, JENSEN_SHANNON or CHI_SQUARE");
      }
      DriftTests.checkThreshold(threshold);
      this.method = method;
      this.threshold = threshold;
      return this;
    }

    /**
     * The share of drifted features that makes a dataset-level drift (default 0.5).
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
     * Where counters go (default: nowhere).
     *
     * @param telemetry the telemetry
     * @return this builder
     */
    public Builder telemetry(Telemetry telemetry) {
      this.telemetry = Checks.notNull("telemetry", telemetry);
      return this;
    }

    /**
     * Adds a listener.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(DriftListener listener) {
      listeners.add(Checks.notNull("listener", listener));
      return this;
    }

    /**
     * Profiles the reference and builds the monitor.
     *
     * @return the monitor
     */
    public StreamingDriftMonitor build() {
      FeatureSchema schema = reference.schema();
      List<String> chosen = new ArrayList<>();
      if (names != null) {
        chosen.addAll(names);
      } else {
        for (FeatureSpec s : schema.specs()) {
          if (s.type() != FeatureType.EMBEDDING) {
            chosen.add(s.name());
          }
        }
      }
      if (chosen.isEmpty()) {
        throw new IllegalArgumentException("no numeric or STRING feature to monitor in " + schema);
      }
      String[] n = chosen.toArray(new String[0]);
      boolean[] cat = new boolean[n.length];
      Object[] cols = new Object[n.length];
      for (int f = 0; f < n.length; f++) {
        FeatureType t = schema.get(schema.require(n[f])).type();
        if (t == FeatureType.EMBEDDING) {
          throw new IllegalArgumentException("feature '" + n[f] + "' is EMBEDDING; expected numeric or STRING");
        }
        cat[f] = t == FeatureType.STRING;
        cols[f] = cat[f] ? DriftCheck.strings(reference, n[f]) : reference.doubleColumn(n[f]);
      }
      return new StreamingDriftMonitor(this, n, cat, cols);
    }
  }
}
