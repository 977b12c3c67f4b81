package org.sieveml.ranking;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureVector;
import org.sieveml.ranking.internal.TreeEnsemble;

/**
 * A gradient-boosted tree model (XGBoost) served by a pure-Java evaluator.
 *
 * <p>Training runs XGBoost4J directly with {@code tree_method=hist}, a {@code binary:logistic} (one tree
 * per round), {@code reg:squarederror} or {@code rank:ndcg} (LambdaMART) objective, an explicit seed and
 * {@code nthread} equal to the available processors. Dense encoders train on a dense matrix (NaN = missing);
 * {@linkplain FeatureEncoder#sparse() sparse} encoders on a CSR matrix, where an absent column is missing. The
 * trained booster is saved as XGBoost model JSON and compiled into a {@link TreeEnsemble}: serving never
 * crosses JNI or allocates a native {@code DMatrix}, and its scores equal the booster's own predictions to
 * within float rounding (tested to 1e-6). The JSON is kept so the model can be stored and reloaded without
 * Java serialization.
 *
 * <p>Why not Tribuo's {@code XGBoostClassificationTrainer}: it trains binary problems as
 * {@code multi:softprob} (two trees per round, twice the work), defaults to the exact tree method, and its
 * {@code XGBoostModel.predict} creates a native DMatrix per call that it never disposes.
 *
 * <p>Predictions: the probability for {@link Objective#BINARY_LOGISTIC}, the regression value for
 * {@link Objective#SQUARED_ERROR}, a ranking score for {@link Objective#RANK_NDCG}. Pair a probability model
 * with its calibration with {@link CalibratedRanker}.
 *
 * <pre>{@code
 * GbdtRanker m = GbdtRanker.trainer(encoder).rounds(200).maxDepth(6).seed(7).train(frame, labels);
 * }</pre>
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class GbdtRanker implements Ranker {

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

    /**
     * XGBoost's name of the objective.
     *
     * @return e.g. {@code binary:logistic}
     */
    public String xgboostName() {
      return xgb;
    }

    static Objective ofXgboost(String name) {
      for (Objective o : values()) {
        if (o.xgb.equals(name)) {
          return o;
        }
      }
      return null;
    }
  }

  private final String name;
  private final FeatureEncoder encoder;
  private final TreeEnsemble trees;
  private final String modelJson;
  private final ModelProvenance provenance;
  private final Objective objective;

  private GbdtRanker(String name, FeatureEncoder encoder, TreeEnsemble trees, String modelJson,
      ModelProvenance provenance) {
    this.name = name;
    this.encoder = encoder;
    this.trees = trees;
    this.modelJson = modelJson;
    this.provenance = provenance;
    Objective o = Objective.ofXgboost(trees.objective());
    if (o == null) {
      throw new IllegalArgumentException("model objective '" + trees.objective() + "' is not one of "
          + java.util.Arrays.toString(Objective.values()));
    }
    this.objective = o;
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
    return fromModelJson(name, encoder, modelJson, null);
  }

  static GbdtRanker fromModelJson(String name, FeatureEncoder encoder, String modelJson, ModelProvenance p) {
    TreeEnsemble t = TreeEnsemble.fromModelJson(modelJson);
    if (t.numFeatures() != encoder.width()) {
      throw new IllegalArgumentException(
          "model has " + t.numFeatures() + " features but the encoder produces " + encoder.width());
    }
    if (p == null) {
      p = ModelProvenance.of("xgboost4j gbtree (imported model JSON)", java.util.Map.of("objective", t.objective()),
          0, ModelRegistry.sha256(modelJson.getBytes(StandardCharsets.UTF_8)), 0);
    }
    return new GbdtRanker(name, encoder, t, modelJson, p);
  }

  @Override
  public OutputKind outputKind() {
    switch (objective) {
      case BINARY_LOGISTIC:
        return OutputKind.PROBABILITY;
      case SQUARED_ERROR:
        return OutputKind.REGRESSION;
      default:
        return OutputKind.RANKING_SCORE;
    }
  }

  /**
   * The objective the model was trained with.
   *
   * @return the objective
   */
  public Objective objective() {
    return objective;
  }

  @Override
  public ModelProvenance provenance() {
    return provenance;
  }

  @Override
  public GbdtRanker withName(String newName) {
    return new GbdtRanker(newName, encoder, trees, modelJson, provenance);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
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
  public double[] predict(List<FeatureVector> features) {
    if (encoder.sparse()) {
      return predict(encoder.encodeSparse(features));
    }
    int n = features.size();
    double[] out = new double[n];
    int w = encoder.width();
    float[] x = new float[n * w];
    encoder.encodeAll(features, x);
    trees.predictBatch(x, n, w, out);
    return out;
  }

  @Override
  public double predict(FeatureVector features) {
    if (encoder.sparse()) {
      return predict(List.of(features))[0];
    }
    return trees.predict(encoder.encode(features), 0);
  }

  @Override
  public double[] predict(FeatureFrame frame) {
    if (encoder.sparse()) {
      return predict(encoder.encodeSparse(frame));
    }
    return predictEncoded(encoder.encode(frame));
  }

  /**
   * Predicts rows already encoded by a sparse {@link #encoder()}: an absent column is missing.
   *
   * @param rows sparse rows of the encoder's width
   * @return one prediction per row
   */
  public double[] predict(SparseRows rows) {
    if (rows.width() != encoder.width()) {
      throw new IllegalArgumentException("rows are " + rows.width() + " wide; expected " + encoder.width());
    }
    double[] out = new double[rows.rowCount()];
    trees.predictSparse(rows.rowStartArray(), rows.columnArray(), rows.floatValues(), rows.rowCount(), out);
    return out;
  }

  /**
   * Predicts dense rows already encoded by a dense {@link #encoder()} (NaN = missing).
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
    return out;
  }

  /**
   * The model as an ONNX graph (ONNX Runtime, Triton, KServe): one float input {@code "features"}
   * {@code [batch, encoder().width()]} whose columns are the encoder's columns ({@link FeatureEncoder#encode}),
   * NaN for a missing value (with a {@linkplain FeatureEncoder#sparse() sparse} encoder, NaN also for every column absent from the sparse row, since XGBoost trained on CSR rows where absent means missing); and one output {@code "score"} {@code [batch, 1]}, equal to {@link #predict} within float
   * precision. The metadata carries the model's name, encoder signature and provenance.
   *
   * @return the serialized {@code ModelProto}
   * @throws IllegalArgumentException if the encoder is wider than 2^20 columns
   */
  public byte[] toOnnx() {
    int w = Onnx.width(this);
    return org.sieveml.ranking.internal.OnnxExport.trees(modelJson, w, Onnx.metadata(this, encoder.sparse()
        ? "encoder columns; NaN = missing, including columns absent from the sparse row" : "encoder columns; NaN = missing"));
  }

  /**
   * Writes {@link #toOnnx()} to a file (atomically: a temporary file renamed into place).
   *
   * @param file where to write the {@code .onnx} file
   * @throws java.io.UncheckedIOException when the file cannot be written
   */
  public void exportOnnx(java.nio.file.Path file) {
    Onnx.write(toOnnx(), file);
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
  public static final class Trainer implements RankerTrainer<GbdtRanker> {
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
    @Override
    public Trainer name(String v) {
      this.name = Trainers.name(v);
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
    @Override
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

    @Override
    public GbdtRanker train(FeatureFrame frame, double[] labels, double[] weights) {
      if (objective == Objective.RANK_NDCG) {
        throw new IllegalStateException("objective RANK_NDCG needs query groups: use trainRanking");
      }
      return trainFrame(frame, labels, weights, null);
    }

    private GbdtRanker trainFrame(FeatureFrame frame, double[] labels, double[] weights, int[] groups) {
      FeatureEncoder enc = Trainers.fitted(encoder, frame);
      Matrix m = Matrix.of(enc, frame);
      Checks.labels(m.rows, labels, weights, objective == Objective.BINARY_LOGISTIC);
      return finish(enc, m, labels, weights, groups);
    }

    /**
     * Trains on rows already encoded by this trainer's (dense, fitted) encoder.
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
      Checks.trainingData(rows, labels, weights, encoder.width(), objective == Objective.BINARY_LOGISTIC);
      return finish(encoder, Matrix.dense(rows), labels, weights, null);
    }

    private GbdtRanker finish(FeatureEncoder enc, Matrix m, double[] labels, double[] weights, int[] groups) {
      // Wide sparse rows (hashed columns) are trained over the columns present in training only: XGBoost
      // sizes per-column structures by the matrix's width (27M columns for Criteo-style hashing exhausted
      // native memory). The model's split indexes are mapped back to encoder columns afterwards, so the
      // model is the one training on the full width gives (the mapping keeps the columns' order).
      int[] used = m.sparse != null && m.sparse.width() > COMPACT_ABOVE ? m.sparse.usedColumns() : null;
      Booster b = trainBooster(used == null ? m : Matrix.sparse(m.sparse.compacted(used)), labels, weights, groups);
      try {
        String json = new String(b.toByteArray("json"), StandardCharsets.UTF_8);
        if (used != null) {
          json = TreeEnsemble.remapColumns(json, used, m.sparse.width());
        }
        ModelProvenance.Fingerprint fp = new ModelProvenance.Fingerprint();
        if (m.sparse != null) {
          fp.add(m.sparse);
        } else {
          fp.add(m.dense);
        }
        fp.add(labels).add(weights);
        if (groups != null) {
          fp.add(groups); // without groups, the fingerprint equals that of any trainer on the same rows
        }
        ModelProvenance p = ModelProvenance.of("xgboost4j gbtree", parameters(), seed, fp.hex(), m.rows,
            "xgboost4j");
        return fromModelJson(name, enc, json, p);
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
      Checks.trainingData(rows, labels, weights, encoder.width(), objective == Objective.BINARY_LOGISTIC);
      return trainBooster(Matrix.dense(rows), labels, weights, null);
    }

    /**
     * Trains on sparse rows and returns the raw XGBoost booster (an absent column is missing). The caller
     * must {@code dispose()} it.
     *
     * @param rows sparse rows
     * @param labels labels
     * @param weights weights or null
     * @return the booster
     */
    public Booster trainBooster(SparseRows rows, double[] labels, double[] weights) {
      Checks.labels(rows.rowCount(), labels, weights, objective == Objective.BINARY_LOGISTIC);
      return trainBooster(Matrix.sparse(rows), labels, weights, null);
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
      if (frame == null || relevance == null) {
        throw new IllegalArgumentException("frame or relevance is null; expected training rows and one grade each");
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
        // XGBoost 1.6's NDCG gain is (1 << grade) - 1 over the grade cast to an unsigned int
        double g = relevance[i];
        if (!(g >= 0 && g <= 31) || g != Math.rint(g)) {
          throw new IllegalArgumentException("relevance[" + i + "] is " + g + "; expected an integer grade in 0..31");
        }
      }
      return trainFrame(frame, relevance, null, groupSizes);
    }

    private java.util.Map<String, String> parameters() {
      java.util.Map<String, String> p = new java.util.TreeMap<>();
      p.put("objective", objective.xgb);
      p.put("tree_method", "hist");
      p.put("rounds", Integer.toString(rounds));
      p.put("max_depth", Integer.toString(maxDepth));
      p.put("eta", Double.toString(eta));
      p.put("min_child_weight", Double.toString(minChildWeight));
      p.put("subsample", Double.toString(subsample));
      p.put("colsample_bytree", Double.toString(colsample));
      p.put("lambda", Double.toString(lambda));
      p.put("nthread", Integer.toString(threads));
      if (objective == Objective.BINARY_LOGISTIC) {
        p.put("base_score", "0.5");
      }
      return p;
    }

    private Booster trainBooster(Matrix m, double[] labels, double[] weights, int[] groups) {
      DMatrix d = null;
      try {
        d = m.toDMatrix();
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

  /** Training rows, dense or sparse, and how they become a native DMatrix. */
  /** Sparse training rows wider than this are compacted to the columns they use. */
  static final int COMPACT_ABOVE = 1 << 16;

  private static final class Matrix {
    final double[][] dense;
    final SparseRows sparse;
    final int rows;

    private Matrix(double[][] dense, SparseRows sparse) {
      this.dense = dense;
      this.sparse = sparse;
      this.rows = dense != null ? dense.length : sparse.rowCount();
    }

    static Matrix of(FeatureEncoder enc, FeatureFrame frame) {
      return enc.sparse() ? sparse(enc.encodeSparse(frame)) : dense(enc.encode(frame));
    }

    static Matrix dense(double[][] rows) {
      return new Matrix(rows, null);
    }

    static Matrix sparse(SparseRows rows) {
      return new Matrix(null, rows);
    }

    DMatrix toDMatrix() throws XGBoostError {
      if (dense != null) {
        return GbdtRanker.toDMatrix(dense);
      }
      return GbdtRanker.toDMatrix(sparse);
    }
  }

  /**
   * Builds a native CSR DMatrix from sparse rows (an absent column is missing).
   *
   * @param sparse the rows
   * @return the matrix; the caller disposes it
   * @throws XGBoostError on native failure
   */
  static DMatrix toDMatrix(SparseRows sparse) throws XGBoostError {
    int[] rs = sparse.rowStartArray();
    long[] headers = new long[rs.length];
    for (int i = 0; i < rs.length; i++) {
      headers[i] = rs[i];
    }
    return new DMatrix(headers, sparse.columnArray(), sparse.floatValues(), DMatrix.SparseType.CSR,
        sparse.width());
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
