package org.sieveml.benchmarks.ranking;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.FmRanker;
import org.sieveml.ranking.LinearRanker;
import org.sieveml.ranking.SparseRows;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.VariableInfo;
import org.tribuo.classification.Label;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.la.DenseVector;
import org.tribuo.math.la.Tensor;

/**
 * Question: how fast do {@link LinearRanker} and {@link FmRanker} score {@value #CANDIDATES} ad-CTR rows
 * (13 standardized numerics + 26 categoricals hashed into 2^20 signed buckets each, 27M columns, at most 39
 * entries a row), against a hand-written loop over primitive arrays?
 *
 * <p>Both sides take the same encoded {@link SparseRows}. The models' {@code predict(SparseRows)} map each
 * column to the model's weight slot (an open-addressing table over the columns training saw) and sum. The
 * anchors ({@link #logisticLoop}, {@link #fmLoop}) are that work's lower bound: the slot of every entry is
 * resolved once in setup into an {@code int[]}, weights sit in {@code double[]}s, and the loop is
 * {@code z += w[slot[k]] * v[k]} (and the FM's two factor sums). Setup checks both agree to 1e-12.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.Scorecard --quick ranking
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SparseScoringBenchmark {
  /** Candidates per request. */
  public static final int CANDIDATES = 500;
  /** Factors of the factorization machine. */
  public static final int FACTORS = 4;

  private LinearRanker logistic;
  private FmRanker fm;
  private SparseRows rows;
  // the anchors' model: weights by anchor slot, and each entry's slot resolved in setup
  private int[] rowStart;
  private int[] entrySlot;
  private double[] entryValue;
  private double[] lw;
  private double lb;
  private double[] fw;
  private double[] v0;
  private double[] v1;
  private double fb;

  /** Trains both models on 20,000 seeded rows and encodes the request's rows. */
  @Setup(Level.Trial)
  public void setup() {
    List<FeatureSpec> specs = new ArrayList<>();
    for (int i = 1; i <= 13; i++) {
      specs.add(FeatureSpec.of("I" + i, FeatureType.LONG));
    }
    for (int i = 1; i <= 26; i++) {
      specs.add(FeatureSpec.of("C" + i, FeatureType.STRING));
    }
    FeatureSchema schema = FeatureSchema.of(specs);
    FeatureEncoder.Builder eb = FeatureEncoder.builder(schema).hashSeed(7).standardizeNumeric();
    for (int i = 1; i <= 26; i++) {
      eb.hashed("C" + i, 1 << 20);
    }
    FeatureEncoder enc = eb.build();
    Random r = new Random(42);
    double[] y = new double[20_000];
    FeatureFrame train = frame(schema, r, y);
    logistic = LinearRanker.trainer(enc).epochs(2).seed(1).name("logistic").train(train, y);
    fm = FmRanker.trainer(enc).epochs(2).factors(FACTORS).seed(1).name("fm").train(train, y);
    FeatureFrame request = frame(schema, r, new double[CANDIDATES]);
    rows = logistic.encoder().encodeSparse(request);
    if (!fm.encoder().equals(logistic.encoder())) {
      throw new IllegalStateException("the two models fitted different standardizers");
    }
    anchors();
    check(logistic.predict(rows), logisticLoop(), "logistic");
    check(fm.predict(rows), fmLoop(), "fm");
  }

  private static FeatureFrame frame(FeatureSchema schema, Random r, double[] y) {
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(schema);
    for (int i = 0; i < y.length; i++) {
      FeatureVector.Builder v = FeatureVector.builder(schema);
      double z = -1;
      for (int j = 1; j <= 13; j++) {
        long x = Math.round(Math.exp(r.nextGaussian() + 1));
        v.setLong("I" + j, x);
        z += j == 1 ? 0.3 * Math.log1p(x) : 0;
      }
      for (int j = 1; j <= 26; j++) {
        int card = 10 << (j % 12);
        int c = (int) (Math.pow(r.nextDouble(), 3) * card);
        v.setString("C" + j, Integer.toString(c, 36));
        z += j <= 3 ? ((c * 2654435761L >>> 7) % 7 - 3) * 0.2 : 0;
      }
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      b.add(v.build());
    }
    return b.build();
  }

  /** The anchors' parameters, read from the Tribuo models, and every entry's slot resolved once. */
  private void anchors() {
    FeatureEncoder enc = logistic.encoder();
    Map<Integer, Integer> slotOf = new HashMap<>();
    ImmutableFeatureMap lm = logistic.tribuoModel().getFeatureIDMap();
    ImmutableFeatureMap fmm = fm.tribuoModel().getFeatureIDMap();
    List<Integer> columns = new ArrayList<>();
    for (ImmutableFeatureMap m : List.of(lm, fmm)) {
      for (VariableInfo v : m) {
        int c = enc.columnOf(v.getName());
        if (slotOf.putIfAbsent(c, columns.size()) == null) {
          columns.add(c);
        }
      }
    }
    int n = columns.size();
    DenseMatrix w = logistic.tribuoModel().getWeightsCopy();
    int pos = logistic.tribuoModel().getOutputIDInfo().getID(new Label("1"));
    int neg = logistic.tribuoModel().getOutputIDInfo().getID(new Label("0"));
    lw = new double[n];
    for (VariableInfo v : lm) {
      int id = lm.getID(v.getName());
      lw[slotOf.get(enc.columnOf(v.getName()))] = w.get(pos, id) - w.get(neg, id);
    }
    lb = w.get(pos, lm.size()) - w.get(neg, lm.size());
    DenseMatrix fl = fm.tribuoModel().getLinearWeightsCopy();
    DenseVector bias = fm.tribuoModel().getBiasesCopy();
    Tensor[] f = fm.tribuoModel().getFactorsCopy();
    int fp = fm.tribuoModel().getOutputIDInfo().getID(new Label("1"));
    int fn = fm.tribuoModel().getOutputIDInfo().getID(new Label("0"));
    DenseMatrix f0 = (DenseMatrix) f[fn];
    DenseMatrix f1 = (DenseMatrix) f[fp];
    fw = new double[n];
    v0 = new double[n * FACTORS];
    v1 = new double[n * FACTORS];
    for (VariableInfo v : fmm) {
      int id = fmm.getID(v.getName());
      int s = slotOf.get(enc.columnOf(v.getName()));
      fw[s] = fl.get(fp, id) - fl.get(fn, id);
      for (int k = 0; k < FACTORS; k++) {
        v0[s * FACTORS + k] = f0.get(k, id);
        v1[s * FACTORS + k] = f1.get(k, id);
      }
    }
    fb = bias.get(fp) - bias.get(fn);
    rowStart = new int[rows.rowCount() + 1];
    List<Integer> slots = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < rows.rowCount(); i++) {
      for (int k = rows.rowStart(i); k < rows.rowStart(i + 1); k++) {
        Integer s = slotOf.get(rows.column(k));
        if (s != null) {
          slots.add(s);
          values.add(rows.value(k));
        }
      }
      rowStart[i + 1] = slots.size();
    }
    entrySlot = slots.stream().mapToInt(Integer::intValue).toArray();
    entryValue = values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static void check(double[] ours, double[] anchor, String what) {
    for (int i = 0; i < ours.length; i++) {
      if (Math.abs(ours[i] - anchor[i]) > 1e-12) {
        throw new IllegalStateException(what + " row " + i + ": ranker " + ours[i] + " vs loop " + anchor[i]);
      }
    }
  }

  /**
   * Our logistic regression on the encoded rows.
   *
   * @return the scores
   */
  @Benchmark
  public double[] logistic() {
    return logistic.predict(rows);
  }

  /**
   * The anchor: {@code sigmoid(b + Σ w[slot[k]] * v[k])} over primitive arrays.
   *
   * @return the scores
   */
  @Benchmark
  public double[] logisticLoop() {
    double[] out = new double[rowStart.length - 1];
    for (int i = 0; i < out.length; i++) {
      double z = lb;
      for (int k = rowStart[i]; k < rowStart[i + 1]; k++) {
        z += lw[entrySlot[k]] * entryValue[k];
      }
      out[i] = 1 / (1 + Math.exp(-z));
    }
    return out;
  }

  /**
   * Our factorization machine on the encoded rows.
   *
   * @return the scores
   */
  @Benchmark
  public double[] fm() {
    return fm.predict(rows);
  }

  /**
   * The anchor: the two classes' FM margins over primitive arrays, {@code sigmoid(m1 - m0)}.
   *
   * @return the scores
   */
  @Benchmark
  public double[] fmLoop() {
    double[] out = new double[rowStart.length - 1];
    double[] s0 = new double[FACTORS];
    double[] s1 = new double[FACTORS];
    for (int i = 0; i < out.length; i++) {
      double z = fb;
      double q0 = 0;
      double q1 = 0;
      java.util.Arrays.fill(s0, 0);
      java.util.Arrays.fill(s1, 0);
      for (int k = rowStart[i]; k < rowStart[i + 1]; k++) {
        int s = entrySlot[k];
        double x = entryValue[k];
        z += fw[s] * x;
        for (int f = 0; f < FACTORS; f++) {
          double a0 = v0[s * FACTORS + f] * x;
          double a1 = v1[s * FACTORS + f] * x;
          s0[f] += a0;
          s1[f] += a1;
          q0 += a0 * a0;
          q1 += a1 * a1;
        }
      }
      double p0 = -q0;
      double p1 = -q1;
      for (int f = 0; f < FACTORS; f++) {
        p0 += s0[f] * s0[f];
        p1 += s1[f] * s1[f];
      }
      z += 0.5 * (p1 - p0);
      out[i] = 1 / (1 + Math.exp(-z));
    }
    return out;
  }
}
