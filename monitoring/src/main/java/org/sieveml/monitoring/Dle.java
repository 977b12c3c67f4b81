package org.sieveml.monitoring;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sieveml.monitoring.internal.BoostedTrees;
import org.sieveml.monitoring.internal.Checks;

/**
 * Direct loss estimation (DLE, as in NannyML): estimates a regression model's MAE and RMSE on chunks of
 * rows whose targets have not arrived.
 *
 * <h2>Method</h2>
 * On a labelled reference set, two loss models learn the model's absolute error |y - ŷ| and its squared
 * error (y - ŷ)² from the features plus the model's prediction ŷ. For an unlabelled chunk the estimated
 * MAE is the mean predicted absolute error and the estimated RMSE the square root of the mean predicted
 * squared error (negative predictions count as 0). Bands and alert thresholds are as in {@link Cbpe}:
 * the sampling error for a chunk of n rows is the standard deviation of the realized MAE (RMSE) over
 * {@code draws} seeded samples of n reference rows drawn with replacement; band = estimate ±
 * {@code bandSigmas} (3) sampling errors, alerts outside the reference mean ± {@code alertSigmas} (3).
 *
 * <p>The loss models are our own gradient-boosted regression trees (squared loss; by default 100
 * trees of depth 3, learning rate 0.1, at least 20 rows per leaf, 80 % row subsampling, features cut
 * into at most 32 quantile bins, NaN in its own bin), not LightGBM as in NannyML: smaller, without
 * hyperparameter tuning, and deterministic for a seed. Like NannyML, they are trained on the whole
 * reference, so the reference should be data the monitored model was not trained on.
 *
 * <p>The estimate holds under covariate shift (inputs move, the error's distribution given the inputs
 * does not) as far as the loss models extrapolate; it cannot see concept shift.
 *
 * <p>Costs: fitting O(2 x trees x depth x n x d) for n reference rows of d features; a chunk of m rows
 * O(2 x trees x depth x m) plus {@code draws} reference samples of m values per distinct chunk size.
 *
 * <p>Instances are immutable and thread-safe and describe their configuration and reference in
 * {@link #toString()}. Builders are not thread-safe.
 */
public final class Dle {

  private static final Set<PerformanceMetric> REGRESSION = EnumSet.of(PerformanceMetric.MAE, PerformanceMetric.RMSE);

  private final int features;
  private final int trees;
  private final int depth;
  private final double bandSigmas;
  private final double alertSigmas;
  private final int draws;
  private final long seed;
  private final BoostedTrees absModel;
  private final BoostedTrees sqModel;
  private final double[] refAbs;

  private Dle(Builder b, int features, BoostedTrees absModel, BoostedTrees sqModel, double[] refAbs) {
    this.features = features;
    this.trees = b.trees;
    this.depth = b.depth;
    this.bandSigmas = b.bandSigmas;
    this.alertSigmas = b.alertSigmas;
    this.draws = b.draws;
    this.seed = b.seed;
    this.absModel = absModel;
    this.sqModel = sqModel;
    this.refAbs = refAbs;
  }

  /**
   * A builder with the defaults: 100 trees of depth 3, bands and alerts at 3 sampling errors, 500
   * reference draws, seed 42.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Estimates MAE and RMSE for every chunk of rows without targets.
   *
   * @param features one row of features per prediction (n x d, the same d as the reference; NaN allowed)
   * @param predictions the model's predictions, finite
   * @param chunking how rows form chunks
   * @return one estimate per chunk, realized values NaN
   */
  public List<ChunkEstimate> estimate(double[][] features, double[] predictions, Chunking chunking) {
    checkInputs(features, predictions, this.features);
    Checks.notNull("chunking", chunking);
    return run(features, predictions, null, chunking);
  }

  /**
   * Estimates every chunk and records the realized MAE and RMSE from targets that have since arrived.
   *
   * @param features one row of features per prediction
   * @param predictions the model's predictions, finite
   * @param targets the true values, finite
   * @param chunking how rows form chunks
   * @return one estimate per chunk with realized values
   */
  public List<ChunkEstimate> evaluate(double[][] features, double[] predictions, double[] targets,
      Chunking chunking) {
    checkInputs(features, predictions, this.features);
    checkFinite("targets", targets, predictions.length);
    Checks.notNull("chunking", chunking);
    return run(features, predictions, targets, chunking);
  }

  /**
   * The configuration and reference summary.
   *
   * @return a one-line description
   */
  @Override
  public String toString() {
    double mae = 0;
    double mse = 0;
    for (double a : refAbs) {
      mae += a;
      mse += a * a;
    }
    return String.format(Locale.ROOT,
        "Dle[lossModel=boosted trees (%d trees, depth %d), features=%d, bandSigmas=%s, alertSigmas=%s, draws=%d,"
            + " seed=%d, referenceRows=%d, referenceMae=%.4f, referenceRmse=%.4f]",
        trees, depth, features, bandSigmas, alertSigmas, draws, seed, refAbs.length, mae / refAbs.length,
        Math.sqrt(mse / refAbs.length));
  }

  private List<ChunkEstimate> run(double[][] x, double[] pred, double[] targets, Chunking chunking) {
    Map<Integer, double[][]> bands = new HashMap<>();
    List<ChunkEstimate> out = new ArrayList<>();
    double[] row = new double[features + 1];
    for (Chunking.Chunk c : chunking.split(pred.length)) {
      double sumAbs = 0;
      double sumSq = 0;
      double realAbs = 0;
      double realSq = 0;
      for (int i : c.rows()) {
        System.arraycopy(x[i], 0, row, 0, features);
        row[features] = pred[i];
        sumAbs += Math.max(0, absModel.predict(row));
        sumSq += Math.max(0, sqModel.predict(row));
        if (targets != null) {
          double e = targets[i] - pred[i];
          realAbs += Math.abs(e);
          realSq += e * e;
        }
      }
      int m = c.rows().length;
      double[][] ref = bands.computeIfAbsent(m, this::referenceBands);
      Map<PerformanceMetric, MetricEstimate> byMetric = new EnumMap<>(PerformanceMetric.class);
      byMetric.put(PerformanceMetric.MAE, Bands.estimate(PerformanceMetric.MAE, sumAbs / m, ref[0][0], ref[1][0],
          bandSigmas, alertSigmas, targets == null ? Double.NaN : realAbs / m));
      byMetric.put(PerformanceMetric.RMSE, Bands.estimate(PerformanceMetric.RMSE, Math.sqrt(sumSq / m), ref[0][1],
          ref[1][1], bandSigmas, alertSigmas, targets == null ? Double.NaN : Math.sqrt(realSq / m)));
      out.add(new ChunkEstimate(c.key(), m, byMetric));
    }
    return out;
  }

  private double[][] referenceBands(int n) {
    return Bands.reference(refAbs.length, n, draws, seed, 2, sample -> {
      double a = 0;
      double s = 0;
      for (int i : sample) {
        a += refAbs[i];
        s += refAbs[i] * refAbs[i];
      }
      return new double[] {a / n, Math.sqrt(s / n)};
    });
  }

  private static void checkInputs(double[][] x, double[] pred, int width) {
    Checks.notNull("features", x);
    Checks.notNull("predictions", pred);
    if (x.length == 0) {
      throw new IllegalArgumentException("features must not be empty");
    }
    if (pred.length != x.length) {
      throw new IllegalArgumentException("predictions has " + pred.length + " entries, expected one per row ("
          + x.length + ")");
    }
    for (int i = 0; i < x.length; i++) {
      if (x[i] == null) {
        throw new IllegalArgumentException("features[" + i + "] must not be null");
      }
      int w = width < 0 ? x[0].length : width;
      if (x[i].length != w) {
        throw new IllegalArgumentException("features[" + i + "] has " + x[i].length + " values, expected " + w);
      }
    }
    checkFinite("predictions", pred, x.length);
  }

  private static void checkFinite(String field, double[] v, int n) {
    Checks.notNull(field, v);
    if (v.length != n) {
      throw new IllegalArgumentException(field + " has " + v.length + " entries, expected one per row (" + n + ")");
    }
    for (int i = 0; i < n; i++) {
      if (!Double.isFinite(v[i])) {
        throw new IllegalArgumentException(field + "[" + i + "] must be finite, was " + v[i]);
      }
    }
  }

  /**
   * Builds a {@link Dle}. Every setter validates at once; {@link #fit} may be called more than once.
   * Not thread-safe.
   */
  public static final class Builder extends EstimatorBuilder<Builder> {
    private int trees = 100;
    private int depth = 3;

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /**
     * Trees per loss model.
     *
     * @param trees 1 to 10,000; 100 by default
     * @return this builder
     */
    public Builder trees(int trees) {
      if (trees < 1 || trees > 10_000) {
        throw new IllegalArgumentException("trees must be in [1, 10000], was " + trees);
      }
      this.trees = trees;
      return this;
    }

    /**
     * Depth of each tree.
     *
     * @param depth 1 to 8; 3 by default
     * @return this builder
     */
    public Builder depth(int depth) {
      if (depth < 1 || depth > 8) {
        throw new IllegalArgumentException("depth must be in [1, 8], was " + depth);
      }
      this.depth = depth;
      return this;
    }

    /**
     * Trains the loss models on the labelled reference.
     *
     * @param features reference rows (n x d, n at least 40 so a leaf can hold 20 rows; NaN allowed)
     * @param predictions the model's predictions on them, finite
     * @param targets the true values, finite
     * @return the fitted estimator
     */
    public Dle fit(double[][] features, double[] predictions, double[] targets) {
      checkInputs(features, predictions, -1);
      checkFinite("targets", targets, predictions.length);
      int n = features.length;
      if (n < 40) {
        throw new IllegalArgumentException("features has " + n + " reference rows, expected at least 40");
      }
      int d = features[0].length;
      double[][] x = new double[n][d + 1];
      double[] abs = new double[n];
      double[] sq = new double[n];
      for (int i = 0; i < n; i++) {
        System.arraycopy(features[i], 0, x[i], 0, d);
        x[i][d] = predictions[i];
        double e = targets[i] - predictions[i];
        abs[i] = Math.abs(e);
        sq[i] = e * e;
      }
      BoostedTrees absModel = BoostedTrees.train(x, abs, trees, depth, 0.1, 20, 0.8, 32, seed);
      BoostedTrees sqModel = BoostedTrees.train(x, sq, trees, depth, 0.1, 20, 0.8, 32, seed + 1);
      return new Dle(this, d, absModel, sqModel, abs);
    }
  }
}
