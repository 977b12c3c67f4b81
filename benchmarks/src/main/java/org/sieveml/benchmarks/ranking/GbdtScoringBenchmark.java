package org.sieveml.benchmarks.ranking;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;

/**
 * Question: how fast does {@link GbdtRanker} score a batch of {@value #CANDIDATES} candidates x
 * {@value #FEATURES} features with a 100-tree depth-6 model, against XGBoost4J scoring the same rows?
 *
 * <p>{@link #ranker()} calls {@code GbdtRanker.score} on the candidates' {@link FeatureVector}s (encoding
 * included). {@link #xgboost4j()} is the anchor: the same 500 rows in one {@code DMatrix} built once in
 * setup and reused, scored with {@code Booster.predict} with {@code nthread=1} (XGBoost's own prediction,
 * no matrix construction counted). Both use one thread; setup checks the two agree to 1e-6.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.Scorecard --quick ranking
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class GbdtScoringBenchmark {
  /** Candidates per request. */
  public static final int CANDIDATES = 500;
  /** Features per candidate. */
  public static final int FEATURES = 50;

  private GbdtRanker ranker;
  private Booster booster;
  private List<FeatureVector> vectors;
  private List<Candidate> candidates;
  private PipelineRequest request;
  private float[] flat;
  private DMatrix matrix;
  private ai.onnxruntime.OrtEnvironment ort;
  private ai.onnxruntime.OrtSession session;
  private java.nio.FloatBuffer flatBuffer;

  /**
   * Trains the model (seeded) and builds the request.
   *
   * @throws XGBoostError on native failure
   * @throws ai.onnxruntime.OrtException when ONNX Runtime cannot load the export
   */
  @Setup(Level.Trial)
  public void setup() throws XGBoostError, ai.onnxruntime.OrtException {
    Random r = new Random(42);
    List<FeatureSpec> specs = new ArrayList<>();
    for (int j = 0; j < FEATURES; j++) {
      specs.add(FeatureSpec.of("f" + j, FeatureType.DOUBLE));
    }
    FeatureSchema schema = FeatureSchema.of(specs);
    FeatureEncoder enc = FeatureEncoder.builder(schema).build();
    int n = 5000;
    double[][] rows = new double[n][FEATURES];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int j = 0; j < FEATURES; j++) {
        rows[i][j] = r.nextGaussian();
        z += (j % 5 == 0 ? 1 : 0.1) * rows[i][j] * (j % 2 == 0 ? 1 : -1);
      }
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    GbdtRanker.Trainer tr = GbdtRanker.trainer(enc).rounds(100).maxDepth(6).seed(1).threads(1);
    booster = tr.trainBooster(rows, y, null);
    ranker = GbdtRanker.fromModelJson("bench", enc, new String(booster.toByteArray("json"),
        java.nio.charset.StandardCharsets.UTF_8));
    Map<String, Object> one = new HashMap<>();
    one.put("nthread", 1);
    booster.setParams(one);
    vectors = new ArrayList<>();
    candidates = new ArrayList<>();
    flat = new float[CANDIDATES * FEATURES];
    for (int i = 0; i < CANDIDATES; i++) {
      FeatureVector.Builder b = FeatureVector.builder(schema);
      for (int j = 0; j < FEATURES; j++) {
        double v = r.nextGaussian();
        b.setDouble(j, v);
        flat[i * FEATURES + j] = (float) v;
      }
      vectors.add(b.build());
      candidates.add(Candidate.of("item" + i, 0, "bench"));
    }
    request = PipelineRequest.of(EntityKey.of("user", "u1"), 10);
    booster.setParam("nthread", "1");
    matrix = new DMatrix(flat, CANDIDATES, FEATURES, Float.NaN);
    ort = ai.onnxruntime.OrtEnvironment.getEnvironment();
    try (ai.onnxruntime.OrtSession.SessionOptions o = new ai.onnxruntime.OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      o.setInterOpNumThreads(1);
      session = ort.createSession(ranker.toOnnx(), o);
    } catch (ai.onnxruntime.OrtException e) {
      throw new IllegalStateException(e);
    }
    flatBuffer = java.nio.ByteBuffer.allocateDirect(flat.length * 4).order(java.nio.ByteOrder.nativeOrder())
        .asFloatBuffer().put(flat);
    flatBuffer.flip();
    double[] ours = ranker();
    float[][] ref = xgboost4j();
    float[][] viaOrt = onnxRuntime();
    for (int i = 0; i < CANDIDATES; i++) {
      if (Math.abs(ours[i] - viaOrt[i][0]) > 1e-6) {
        throw new IllegalStateException("row " + i + ": ranker " + ours[i] + " vs ONNX Runtime " + viaOrt[i][0]);
      }
    }
    for (int i = 0; i < CANDIDATES; i++) {
      if (Math.abs(ours[i] - ref[i][0]) > 1e-6) {
        throw new IllegalStateException("row " + i + ": ranker " + ours[i] + " vs XGBoost4J " + ref[i][0]);
      }
    }
  }

  /** Releases the booster and the anchor's matrix. */
  @TearDown(Level.Trial)
  public void tearDown() {
    try {
      session.close();
    } catch (ai.onnxruntime.OrtException e) {
      throw new IllegalStateException(e);
    }
    matrix.dispose();
    booster.dispose();
  }

  /**
   * Our ranker.
   *
   * @return the scores
   */
  @Benchmark
  public double[] ranker() {
    return ranker.score(request, candidates, vectors);
  }

  /**
   * Our ranker again, sampled call by call ({@code Mode.SampleTime}) for its latency percentiles (p99 per
   * 500-row batch, encoding included).
   *
   * @return the scores
   */
  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  public double[] rankerLatency() {
    return ranker.score(request, candidates, vectors);
  }

  /**
   * The anchor: XGBoost4J {@code Booster.predict} on the {@code DMatrix} of the same rows built once in
   * setup. XGBoost 1.6 caches each matrix's predictions and a repeated {@code predict(matrix)} only copies
   * them out (measured: about 30-55 us against about 800 us for scoring), so each call first scores tree 0
   * alone ({@code treeLimit = 1}), which drops the cached sums, then all trees, which scores trees 1..99
   * on top: every tree is evaluated once per call, at the price of one extra (cheap) JNI call, which this
   * anchor counts against XGBoost (a plain repeated {@code predict(matrix)} measured about 15-55 us).
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
   * The second anchor: ONNX Runtime 1.20 (one intra-op thread) running this model's own ONNX export
   * ({@code GbdtRanker.toOnnx()}: {@code TreeEnsembleRegressor} and {@code Sigmoid}) on the same rows, already
   * flattened into a direct float buffer; the tensor is wrapped per call, as a server would.
   *
   * @return the scores
   * @throws ai.onnxruntime.OrtException on runtime failure
   */
  @Benchmark
  public float[][] onnxRuntime() throws ai.onnxruntime.OrtException {
    flatBuffer.rewind();
    try (ai.onnxruntime.OnnxTensor x = ai.onnxruntime.OnnxTensor.createTensor(ort, flatBuffer,
            new long[] {CANDIDATES, FEATURES});
        ai.onnxruntime.OrtSession.Result r = session.run(java.util.Map.of("features", x))) {
      return (float[][]) r.get(0).getValue();
    }
  }
}
