package org.sieveml.benchmarks.ranking;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.ranking.internal.TreeEnsemble;

/**
 * Question: how fast does the tree evaluator alone ({@code TreeEnsemble.predictBatch}, and
 * {@code predictSparse} on the same rows in CSR form) score {@value #ROWS} rows x {@value #FEATURES}
 * features with a 100-tree depth-6 {@code binary:logistic} model, against XGBoost4J 1.6.2
 * {@code Booster.predict} on a {@code DMatrix} of the same rows built once in setup, {@code nthread=1}?
 * Sample time, so JMH reports the median and p99 per 500-row batch.
 *
 * <p>XGBoost 1.6 caches each matrix's predictions: a repeated {@code predict(matrix)} only copies them
 * out ({@link #xgboost4jCached()} measures that). The anchors {@link #xgboost4j()} and
 * {@link #xgboost4jSparse()} therefore first score tree 0 alone ({@code treeLimit = 1}), which drops the
 * cached sums, and then all trees, which scores trees 1..99 on top: each tree is evaluated once per call,
 * plus one extra JNI call, which is about the cached call's time; subtract it for the strictest ratio.
 * Setup checks that every path agrees with XGBoost to 1e-6. {@code missing} is the fraction of values
 * set to NaN (absent from the CSR rows).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar TreeEnsembleBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 6, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class TreeEnsembleBenchmark {
  /** Rows per batch. */
  public static final int ROWS = 500;
  /** Features per row. */
  public static final int FEATURES = 50;

  /** Fraction of query values missing. */
  @Param({"0", "0.2"})
  public double missing;

  private Booster booster;
  private TreeEnsemble trees;
  private float[] flat;
  private int[] rowStart;
  private int[] cols;
  private float[] vals;
  private DMatrix matrix;
  private DMatrix sparseMatrix;
  private double[] out;

  /**
   * Trains the model (seeded, the data of {@link GbdtScoringBenchmark}) and builds the rows.
   *
   * @throws XGBoostError on native failure
   */
  @Setup(Level.Trial)
  public void setup() throws XGBoostError {
    Random r = new Random(42);
    int n = 5000;
    float[] x = new float[n * FEATURES];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int j = 0; j < FEATURES; j++) {
        x[i * FEATURES + j] = (float) r.nextGaussian();
        z += (j % 5 == 0 ? 1 : 0.1) * x[i * FEATURES + j] * (j % 2 == 0 ? 1 : -1);
      }
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    DMatrix train = new DMatrix(x, n, FEATURES, Float.NaN);
    train.setLabel(y);
    Map<String, Object> p = new HashMap<>();
    p.put("objective", "binary:logistic");
    p.put("tree_method", "hist");
    p.put("max_depth", 6);
    p.put("eta", 0.1);
    p.put("base_score", 0.5);
    p.put("seed", 1);
    p.put("nthread", 1);
    p.put("verbosity", 0);
    booster = XGBoost.train(train, p, 100, new HashMap<>(), null, null);
    train.dispose();
    booster.setParam("nthread", "1");
    trees = TreeEnsemble.fromModelJson(new String(booster.toByteArray("json"), StandardCharsets.UTF_8));
    flat = new float[ROWS * FEATURES];
    rowStart = new int[ROWS + 1];
    cols = new int[ROWS * FEATURES];
    vals = new float[ROWS * FEATURES];
    int k = 0;
    for (int i = 0; i < ROWS; i++) {
      for (int j = 0; j < FEATURES; j++) {
        float v = r.nextDouble() < missing ? Float.NaN : (float) r.nextGaussian();
        flat[i * FEATURES + j] = v;
        if (!Float.isNaN(v)) {
          cols[k] = j;
          vals[k++] = v;
        }
      }
      rowStart[i + 1] = k;
    }
    long[] headers = new long[ROWS + 1];
    for (int i = 0; i <= ROWS; i++) {
      headers[i] = rowStart[i];
    }
    matrix = new DMatrix(flat, ROWS, FEATURES, Float.NaN);
    sparseMatrix = new DMatrix(headers, cols, vals, DMatrix.SparseType.CSR, FEATURES);
    out = new double[ROWS];
    check("predictBatch", predictBatch(), xgboost4j());
    check("predictSparse", predictSparse(), xgboost4jSparse());
    check("predictBatch (cached anchor)", predictBatch(), xgboost4jCached());
  }

  private static void check(String what, double[] ours, float[][] ref) {
    for (int i = 0; i < ROWS; i++) {
      if (Math.abs(ours[i] - ref[i][0]) > 1e-6) {
        throw new IllegalStateException(what + " row " + i + ": " + ours[i] + " vs XGBoost4J " + ref[i][0]);
      }
    }
  }

  /** Releases the native objects. */
  @TearDown(Level.Trial)
  public void tearDown() {
    matrix.dispose();
    sparseMatrix.dispose();
    booster.dispose();
  }

  /**
   * Ours, dense rows.
   *
   * @return the scores
   */
  @Benchmark
  public double[] predictBatch() {
    trees.predictBatch(flat, ROWS, FEATURES, out);
    return out;
  }

  /**
   * Ours, the same rows in CSR form.
   *
   * @return the scores
   */
  @Benchmark
  public double[] predictSparse() {
    trees.predictSparse(rowStart, cols, vals, ROWS, out);
    return out;
  }

  /**
   * The anchor: {@code Booster.predict} on the dense matrix built once, every tree evaluated.
   *
   * @return the scores
   * @throws XGBoostError on native failure
   */
  @Benchmark
  public float[][] xgboost4j() throws XGBoostError {
    booster.predict(matrix, false, 1);
    return booster.predict(matrix);
  }

  /**
   * The sparse anchor: {@code Booster.predict} on the CSR matrix built once, every tree evaluated.
   *
   * @return the scores
   * @throws XGBoostError on native failure
   */
  @Benchmark
  public float[][] xgboost4jSparse() throws XGBoostError {
    booster.predict(sparseMatrix, false, 1);
    return booster.predict(sparseMatrix);
  }

  /**
   * Not an anchor: a repeated {@code predict(matrix)}, answered from XGBoost's prediction cache without
   * evaluating a tree (the cost of one call's overhead).
   *
   * @return the scores
   * @throws XGBoostError on native failure
   */
  @Benchmark
  public float[][] xgboost4jCached() throws XGBoostError {
    return booster.predict(matrix);
  }
}
