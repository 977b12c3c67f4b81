package org.sieveml.benchmarks.ranking;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.LinearRanker;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.classification.Label;
import org.tribuo.math.la.DenseMatrix;

/**
 * Question: what does {@link LinearRanker} (Tribuo-trained logistic regression) cost to score
 * {@value #CANDIDATES} candidates x {@value #FEATURES} features, against a hand-written dot product over
 * the same feature vectors with the same weights?
 *
 * <p>{@link #ranker()} calls {@code LinearRanker.score} (encoding included). {@link #dotProduct()} reads
 * each vector's values with {@code FeatureVector.asDouble} and computes {@code sigmoid(w · x + b)} with
 * the weights copied out of the Tribuo model; setup checks the two agree to 1e-12.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class LinearScoringBenchmark {
  /** Candidates per request. */
  public static final int CANDIDATES = 500;
  /** Features per candidate. */
  public static final int FEATURES = 50;

  private LinearRanker ranker;
  private double[] w;
  private double b;
  private List<FeatureVector> vectors;
  private List<Candidate> candidates;
  private PipelineRequest request;

  /** Trains the model (seeded) and builds the request. */
  @Setup(Level.Trial)
  public void setup() {
    Random r = new Random(42);
    List<FeatureSpec> specs = new ArrayList<>();
    for (int j = 0; j < FEATURES; j++) {
      specs.add(FeatureSpec.of("f" + j, FeatureType.DOUBLE));
    }
    FeatureSchema schema = FeatureSchema.of(specs);
    FeatureEncoder enc = FeatureEncoder.builder(schema).build();
    int n = 5000;
    FeatureFrame.RowBuilder fb = FeatureFrame.rowBuilder(schema);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      FeatureVector.Builder vb = FeatureVector.builder(schema);
      double z = 0;
      for (int j = 0; j < FEATURES; j++) {
        double v = r.nextGaussian();
        vb.setDouble(j, v);
        z += (j % 5 == 0 ? 1 : 0.1) * v;
      }
      fb.add(vb.build());
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    ranker = LinearRanker.trainer(enc).name("bench").epochs(2).learningRate(0.1).seed(1).train(fb.build(), y, null);
    ImmutableFeatureMap fm = ranker.tribuoModel().getFeatureIDMap();
    DenseMatrix m = ranker.tribuoModel().getWeightsCopy();
    int pos = ranker.tribuoModel().getOutputIDInfo().getID(new Label("1"));
    int neg = ranker.tribuoModel().getOutputIDInfo().getID(new Label("0"));
    w = new double[FEATURES];
    for (int j = 0; j < FEATURES; j++) {
      int id = fm.getID("f" + j);
      w[j] = id < 0 ? 0 : m.get(pos, id) - m.get(neg, id);
    }
    b = m.get(pos, fm.size()) - m.get(neg, fm.size());
    vectors = new ArrayList<>();
    candidates = new ArrayList<>();
    for (int i = 0; i < CANDIDATES; i++) {
      FeatureVector.Builder vb = FeatureVector.builder(schema);
      for (int j = 0; j < FEATURES; j++) {
        vb.setDouble(j, r.nextGaussian());
      }
      vectors.add(vb.build());
      candidates.add(Candidate.of("item" + i, 0, "bench"));
    }
    request = PipelineRequest.of(EntityKey.of("user", "u1"), 10);
    double[] ours = ranker();
    double[] ref = dotProduct();
    for (int i = 0; i < CANDIDATES; i++) {
      if (Math.abs(ours[i] - ref[i]) > 1e-12) {
        throw new IllegalStateException("row " + i + ": ranker " + ours[i] + " vs dot product " + ref[i]);
      }
    }
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
   * The anchor: a hand-written dot product.
   *
   * @return the scores
   */
  @Benchmark
  public double[] dotProduct() {
    double[] out = new double[vectors.size()];
    for (int i = 0; i < out.length; i++) {
      FeatureVector v = vectors.get(i);
      double z = b;
      for (int j = 0; j < FEATURES; j++) {
        z += w[j] * v.asDouble(j);
      }
      out[i] = 1 / (1 + Math.exp(-z));
    }
    return out;
  }
}
