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
import org.sieveml.ranking.FmRanker;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.classification.Label;
import org.tribuo.classification.sgd.fm.FMClassificationModel;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.la.DenseVector;

/**
 * Question: how fast does {@link FmRanker} score 500 candidates x 50 features (8 factors), against a
 * hand-written factorization-machine evaluation ({@code FeatureVector.asDouble} reads, Rendle's
 * O(k d) form, parameters copied out of the Tribuo model)? Setup checks both agree to 1e-9.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class FmScoringBenchmark {
  static final int CANDIDATES = 500;
  static final int FEATURES = 50;
  static final int FACTORS = 8;

  private FmRanker ranker;
  private double[] w;
  private double[][] v;
  private double b;
  private List<FeatureVector> vectors;
  private List<Candidate> candidates;
  private PipelineRequest request;

  /** Trains the model (seeded), copies its parameters and builds the request. */
  @Setup(Level.Trial)
  public void setup() {
    Random r = new Random(42);
    List<FeatureSpec> specs = new ArrayList<>();
    for (int j = 0; j < FEATURES; j++) {
      specs.add(FeatureSpec.of("f" + j, FeatureType.DOUBLE));
    }
    FeatureSchema schema = FeatureSchema.of(specs);
    int n = 3000;
    FeatureFrame.RowBuilder fb = FeatureFrame.rowBuilder(schema);
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      FeatureVector.Builder vb = FeatureVector.builder(schema);
      double[] x = new double[FEATURES];
      for (int j = 0; j < FEATURES; j++) {
        x[j] = r.nextGaussian();
        vb.setDouble(j, x[j]);
      }
      fb.add(vb.build());
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-(x[0] * x[1] + 0.5 * x[2]))) ? 1 : 0;
    }
    ranker = FmRanker.trainer(FeatureEncoder.builder(schema).build()).name("bench").epochs(2).learningRate(0.05).factors(FACTORS).seed(1).train(fb.build(), y, null);
    FMClassificationModel m = ranker.tribuoModel();
    ImmutableFeatureMap fm = m.getFeatureIDMap();
    int pos = m.getOutputIDInfo().getID(new Label("1"));
    int neg = m.getOutputIDInfo().getID(new Label("0"));
    DenseMatrix lw = m.getLinearWeightsCopy();
    DenseVector bias = m.getBiasesCopy();
    DenseMatrix f0 = (DenseMatrix) m.getFactorsCopy()[neg];
    DenseMatrix f1 = (DenseMatrix) m.getFactorsCopy()[pos];
    w = new double[FEATURES];
    v = new double[2][FEATURES * FACTORS];
    for (int j = 0; j < FEATURES; j++) {
      int id = fm.getID("f" + j);
      if (id < 0) {
        continue;
      }
      w[j] = lw.get(pos, id) - lw.get(neg, id);
      for (int k = 0; k < FACTORS; k++) {
        v[0][j * FACTORS + k] = f0.get(k, id);
        v[1][j * FACTORS + k] = f1.get(k, id);
      }
    }
    b = bias.get(pos) - bias.get(neg);
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
    double[] ref = handWritten();
    for (int i = 0; i < CANDIDATES; i++) {
      if (Math.abs(ours[i] - ref[i]) > 1e-9) {
        throw new IllegalStateException("row " + i + ": ranker " + ours[i] + " vs hand-written " + ref[i]);
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
   * The anchor: a hand-written FM over the same vectors and parameters.
   *
   * @return the scores
   */
  @Benchmark
  public double[] handWritten() {
    double[] out = new double[vectors.size()];
    double[][] s = new double[2][FACTORS];
    for (int i = 0; i < out.length; i++) {
      FeatureVector x = vectors.get(i);
      double z = b;
      double sq0 = 0;
      double sq1 = 0;
      java.util.Arrays.fill(s[0], 0);
      java.util.Arrays.fill(s[1], 0);
      for (int j = 0; j < FEATURES; j++) {
        double xj = x.asDouble(j);
        z += w[j] * xj;
        for (int k = 0; k < FACTORS; k++) {
          double a = v[0][j * FACTORS + k] * xj;
          double c = v[1][j * FACTORS + k] * xj;
          s[0][k] += a;
          s[1][k] += c;
          sq0 += a * a;
          sq1 += c * c;
        }
      }
      double p0 = 0;
      double p1 = 0;
      for (int k = 0; k < FACTORS; k++) {
        p0 += s[0][k] * s[0][k];
        p1 += s[1][k] * s[1][k];
      }
      out[i] = 1 / (1 + Math.exp(-(z + 0.5 * ((p1 - sq1) - (p0 - sq0)))));
    }
    return out;
  }
}
