package org.sieveml.ranking;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.Scorer;
import org.sieveml.ranking.internal.TreeEnsemble;

/**
 * A gradient-boosted tree model (XGBoost) served by a pure-Java evaluator.
 *
 * <p>Training runs XGBoost4J directly with {@code tree_method=hist}, a {@code binary:logistic} (one tree
 * per round) or {@code reg:squarederror} objective, an explicit seed and {@code nthread} equal to the
 * available processors. The trained booster is saved as XGBoost model JSON and compiled into a
 * {@link TreeEnsemble}: serving never crosses JNI or allocates a native {@code DMatrix}, and its scores
 * equal the booster's own predictions to within float rounding (tested to 1e-6). The JSON is kept so the
 * model can be stored and reloaded without Java serialization.
 *
 * <p>Why not Tribuo's {@code XGBoostClassificationTrainer}: it trains binary problems as
 * {@code multi:softprob} (two trees per round, twice the work), defaults to the exact tree method, and its
 * {@code XGBoostModel.predict} creates a native DMatrix per call that it never disposes, so single-row
 * latency degrades over time. The features are encoded by the same {@link FeatureEncoder} for training
 * and serving.
 *
 * <p>Scores: for {@link Objective#BINARY_LOGISTIC}, the calibrated probability if a {@link Calibrator} is
 * attached, else the raw probability; for {@link Objective#SQUARED_ERROR}, the regression value.
 *
 * <p>Thread-safety: immutable; {@link #score} and {@link #predict} are safe for concurrent use.
 */
public final class GbdtRanker implements Scorer {

  /** The learning objective. */
  public enum Objective {
    /** Binary classification with log loss; predictions are probabilities. */
    BINARY_LOGISTIC("binary:logistic"),
    /** Regression with squared error. */
    SQUARED_ERROR("reg:squarederror"),
    /**
     * Learning to rank, LambdaMART optimising NDCG within each query group (XGBoost's {@code rank:ndcg});
     * train with {@link Trainer#trainRanking}; predictions are scores, comparable within a request.
     */
    RANK_NDCG("rank:ndcg");

    private final String xgb;

    Objective(String xgb) {
      this.xgb = xgb;
    }
  }

  private final String name;
  private final FeatureEncoder encoder;
  private final TreeEnsemble trees;
  private final String modelJson;
  private final Calibrator calibrator;

  private GbdtRanker(String name, FeatureEncoder encoder, TreeEnsemble trees, String modelJson, Calibrator cal) {
    this.name = name;
    this.encoder = encoder;
    this.trees = trees;
    this.modelJson = modelJson;
    this.calibrator = cal;
  }

  /**
   * Starts a trainer.
   *
   * @param encoder the feature encoder used for training and serving
   * @return a trainer with defaults (100 rounds, depth 6, eta 0.1, seed 42)
   */
  public static Trainer trainer(FeatureEncoder encoder) {
    return new Trainer(encoder);
  }

  /**
   * Rebuilds a ranker from stored XGBoost model JSON.
   *
   * @param name the ranker's name
   * @param encoder the encoder the model was trained with
   * @param modelJson the XGBoost model JSON
   * @return the ranker
   * @throws IllegalArgumentException if the model's feature count differs from the encoder's width
   */
  public static GbdtRanker fromModelJson(String name, FeatureEncoder encoder, String modelJson) {
    TreeEnsemble t = TreeEnsemble.fromModelJson(modelJson);
    if (t.numFeatures() != encoder.width()) {
      throw new IllegalArgumentException(
          "model has " + t.numFeatures() + " features but the encoder produces " + encoder.width());
    }
    return new GbdtRanker(name, encoder, t, modelJson, null);
  }

  /**
   * A copy of this ranker whose scores pass through a calibrator.
   *
   * @param c the calibrator, or null for none
   * @return the calibrated ranker
   */
  public GbdtRanker withCalibrator(Calibrator c) {
    return new GbdtRanker(name, encoder, trees, modelJson, c);
  }

  boolean isCalibrated() {
    return calibrator != null;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public FeatureSchema inputSchema() {
    return encoder.inputSchema();
  }

  /**
   * The encoder.
   *
   * @return the encoder
   */
  public FeatureEncoder encoder() {
    return encoder;
  }

  /**
   * The XGBoost model JSON this ranker was compiled from.
   *
   * @return the JSON text
   */
  public String modelJson() {
    return modelJson;
  }

  /**
   * The number of trees.
   *
   * @return the tree count
   */
  public int treeCount() {
    return trees.treeCount();
  }

  @Override
  public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
    int n = features.size();
    int w = encoder.width();
    float[] x = new float[n * w];
    encoder.encodeAll(features, x);
    double[] out = new double[n];
    trees.predictBatch(x, n, w, out);
    if (calibrator != null) {
      for (int i = 0; i < n; i++) {
        out[i] = calibrator.calibrate(out[i]);
      }
    }
    return out;
  }

  /**
   * Scores one feature vector.
   *
   * @param features the features
   * @return the (calibrated) prediction
   */
  public double predict(FeatureVector features) {
    return finish(trees.predict(encoder.encode(features), 0));
  }

  /**
   * Scores every row of a frame, through the same encoder.
   *
   * @param frame the frame
   * @return one prediction per row
   */
  public double[] predict(FeatureFrame frame) {
    return predictEncoded(encoder.encode(frame));
  }

  /**
   * Scores already-encoded rows.
   *
   * @param rows rows of {@code encoder().width()} values
   * @return one prediction per row
   */
  public double[] predictEncoded(double[][] rows) {
    int n = rows.length;
    int w = encoder.width();
    float[] x = new float[n * w];
    for (int i = 0; i < n; i++) {
      if (rows[i].length != w) {
        throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " values; expected " + w);
      }
      for (int j = 0; j < w; j++) {
        x[i * w + j] = (float) rows[i][j];
      }
    }
    double[] out = new double[n];
    trees.predictBatch(x, n, w, out);
    for (int i = 0; i < n; i++) {
      out[i] = finish(out[i]);
    }
    return out;
  }

  private double finish(double p) {
    return calibrator == null ? p : calibrator.calibrate(p);
  }

  @Override
  public String toString() {
    return "GbdtRanker{" + name + ", trees=" + trees.treeCount() + ", " + trees.objective() + "}";
  }

  /**
   * Trains {@link GbdtRanker}s with XGBoost4J.
   *
   * <p>Thread-safety: not thread-safe; configure on one thread. Training itself uses {@code threads}
   * native threads; run the JVM with {@code OMP_WAIT_POLICY=PASSIVE} so idle OpenMP workers do not spin.
   */
  public static final class Trainer {
    private final FeatureEncoder encoder;
    private String name = "gbdt";
    private Objective objective = Objective.BINARY_LOGISTIC;
    private int rounds = 100;
    private int maxDepth = 6;
    private double eta = 0.1;
    private double minChildWeight = 1.0;
    private double subsample = 1.0;
    private double colsample = 1.0;
    private double lambda = 1.0;
    private long seed = 42;
    private int threads = Runtime.getRuntime().availableProcessors();

    private Trainer(FeatureEncoder encoder) {
      if (encoder == null) {
        throw new IllegalArgumentException("encoder is null");
      }
      this.encoder = encoder;
    }

    /**
     * Sets the model's name.
     *
     * @param v the name
     * @return this trainer
     */
    public Trainer name(String v) {
      this.name = v;
      return this;
    }

    /**
     * Sets the objective.
     *
     * @param v the objective
     * @return this trainer
     */
    public Trainer objective(Objective v) {
      this.objective = v;
      return this;
    }

    /**
     * Sets the number of boosting rounds (trees).
     *
     * @param v at least 1
     * @return this trainer
     */
    public Trainer rounds(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("rounds is " + v + "; expected >= 1");
      }
      this.rounds = v;
      return this;
    }

    /**
     * Sets the maximum tree depth.
     *
     * @param v in [1, 16]
     * @return this trainer
     */
    public Trainer maxDepth(int v) {
      if (v < 1 || v > 16) {
        throw new IllegalArgumentException("maxDepth is " + v + "; expected 1..16");
      }
      this.maxDepth = v;
      return this;
    }

    /**
     * Sets the learning rate.
     *
     * @param v in (0, 1]
     * @return this trainer
     */
    public Trainer eta(double v) {
      if (!(v > 0 && v <= 1)) {
        throw new IllegalArgumentException("eta is " + v + "; expected in (0, 1]");
      }
      this.eta = v;
      return this;
    }

    /**
     * Sets the minimum hessian weight in a child.
     *
     * @param v non-negative
     * @return this trainer
     */
    public Trainer minChildWeight(double v) {
      if (!(v >= 0)) {
        throw new IllegalArgumentException("minChildWeight is " + v + "; expected >= 0");
      }
      this.minChildWeight = v;
      return this;
    }

    /**
     * Sets row and column subsampling ratios.
     *
     * @param rows row ratio in (0, 1]
     * @param columns column ratio in (0, 1]
     * @return this trainer
     */
    public Trainer subsample(double rows, double columns) {
      if (!(rows > 0 && rows <= 1) || !(columns > 0 && columns <= 1)) {
        throw new IllegalArgumentException("subsample is " + rows + "/" + columns + "; expected in (0, 1]");
      }
      this.subsample = rows;
      this.colsample = columns;
      return this;
    }

    /**
     * Sets the L2 regularisation on leaf weights.
     *
     * @param v non-negative
     * @return this trainer
     */
    public Trainer lambda(double v) {
      if (!(v >= 0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("lambda is " + v + "; expected finite and >= 0");
      }
      this.lambda = v;
      return this;
    }

    /**
     * Sets the random seed.
     *
     * @param v the seed
     * @return this trainer
     */
    public Trainer seed(long v) {
      this.seed = v;
      return this;
    }

    /**
     * Sets the number of native training threads.
     *
     * @param v at least 1
     * @return this trainer
     */
    public Trainer threads(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("threads is " + v + "; expected >= 1");
      }
      this.threads = v;
      return this;
    }

    /**
     * Trains on a feature frame.
     *
     * @param frame the training features
     * @param labels one label per row (0/1 for classification)
     * @param weights one positive weight per row, or null for 1
     * @return the trained ranker
     */
    public GbdtRanker train(FeatureFrame frame, double[] labels, double[] weights) {
      return trainEncoded(encoder.encode(frame), labels, weights);
    }

    /**
     * Trains on rows already encoded by this trainer's encoder.
     *
     * @param rows rows of {@code encoder.width()} values
     * @param labels one label per row
     * @param weights one positive weight per row, or null
     * @return the trained ranker
     */
    public GbdtRanker trainEncoded(double[][] rows, double[] labels, double[] weights) {
      if (objective == Objective.RANK_NDCG) {
        throw new IllegalStateException("objective RANK_NDCG needs query groups: use trainRanking");
      }
      Booster b = trainBooster(rows, labels, weights);
      try {
        String json = new String(b.toByteArray("json"), StandardCharsets.UTF_8);
        return fromModelJson(name, encoder, json);
      } catch (XGBoostError e) {
        throw new IllegalStateException("XGBoost failed to export the model: " + e.getMessage(), e);
      } finally {
        b.dispose();
      }
    }

    /**
     * Trains and returns the raw XGBoost booster (the reference the evaluator is tested against). The
     * caller must {@code dispose()} it.
     *
     * @param rows encoded rows
     * @param labels labels
     * @param weights weights or null
     * @return the booster
     */
    public Booster trainBooster(double[][] rows, double[] labels, double[] weights) {
      // (with RANK_NDCG and no groups, XGBoost treats all rows as one query)
      return trainBooster(rows, labels, weights, null);
    }

    /**
     * Trains a learning-to-rank model (objective {@link Objective#RANK_NDCG}, LambdaMART): rows come in
     * query groups, consecutive, and the model learns to order each group by its relevance grades.
     *
     * @param frame training features, group after group
     * @param relevance graded relevance per row, finite and {@code >= 0} (e.g. 0..3)
     * @param groupSizes rows per group, in order; positive and summing to the row count
     * @return the ranker
     * @throws IllegalStateException when the objective is not {@link Objective#RANK_NDCG}
     * @throws IllegalArgumentException on bad labels or groups (naming the value)
     */
    public GbdtRanker trainRanking(FeatureFrame frame, double[] relevance, int[] groupSizes) {
      if (objective != Objective.RANK_NDCG) {
        throw new IllegalStateException("trainRanking needs objective RANK_NDCG, was " + objective);
      }
      if (groupSizes == null || groupSizes.length == 0) {
        throw new IllegalArgumentException("groupSizes is empty; expected one positive size per query group");
      }
      long total = 0;
      for (int g = 0; g < groupSizes.length; g++) {
        if (groupSizes[g] <= 0) {
          throw new IllegalArgumentException("groupSizes[" + g + "] is " + groupSizes[g] + "; expected > 0");
        }
        total += groupSizes[g];
      }
      if (total != frame.rowCount()) {
        throw new IllegalArgumentException("groupSizes sum to " + total + " but the frame has " + frame.rowCount()
            + " rows");
      }
      for (int i = 0; i < relevance.length; i++) {
        if (!(relevance[i] >= 0) || Double.isInfinite(relevance[i])) {
          throw new IllegalArgumentException("relevance[" + i + "] is " + relevance[i] + "; expected a finite grade >= 0");
        }
      }
      Booster b = trainBooster(encoder.encode(frame), relevance, null, groupSizes);
      try {
        return fromModelJson(name, encoder, new String(b.toByteArray("json"), StandardCharsets.UTF_8));
      } catch (XGBoostError e) {
        throw new IllegalStateException("XGBoost failed to export the model: " + e.getMessage(), e);
      } finally {
        b.dispose();
      }
    }

    private Booster trainBooster(double[][] rows, double[] labels, double[] weights, int[] groups) {
      Checks.trainingData(rows, labels, weights, encoder.width(), objective == Objective.BINARY_LOGISTIC);
      DMatrix d = null;
      try {
        d = toDMatrix(rows);
        if (groups != null) {
          d.setGroup(groups);
        }
        float[] lf = new float[labels.length];
        for (int i = 0; i < lf.length; i++) {
          lf[i] = (float) labels[i];
        }
        d.setLabel(lf);
        if (weights != null) {
          float[] wf = new float[weights.length];
          for (int i = 0; i < wf.length; i++) {
            wf[i] = (float) weights[i];
          }
          d.setWeight(wf);
        }
        Map<String, Object> p = new HashMap<>();
        p.put("objective", objective.xgb);
        p.put("tree_method", "hist");
        p.put("max_depth", maxDepth);
        p.put("eta", eta);
        p.put("min_child_weight", minChildWeight);
        p.put("subsample", subsample);
        p.put("colsample_bytree", colsample);
        p.put("lambda", lambda);
        p.put("seed", seed);
        p.put("nthread", threads);
        p.put("verbosity", 0);
        if (objective == Objective.BINARY_LOGISTIC) {
          p.put("base_score", 0.5);
        }
        return XGBoost.train(d, p, rounds, new HashMap<>(), null, null);
      } catch (XGBoostError e) {
        throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
      } finally {
        if (d != null) {
          d.dispose();
        }
      }
    }
  }

  /**
   * Builds a native DMatrix from encoded rows (NaN = missing).
   *
   * @param rows the rows
   * @return the matrix; the caller disposes it
   * @throws XGBoostError on native failure
   */
  static DMatrix toDMatrix(double[][] rows) throws XGBoostError {
    int n = rows.length;
    int w = rows[0].length;
    float[] flat = new float[n * w];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < w; j++) {
        flat[i * w + j] = (float) rows[i][j];
      }
    }
    return new DMatrix(flat, n, w, Float.NaN);
  }
}
