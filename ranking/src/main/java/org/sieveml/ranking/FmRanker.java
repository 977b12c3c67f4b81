package org.sieveml.ranking;

import java.util.List;
import java.util.Map;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.ranking.internal.ColumnSlots;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.fm.FMClassificationModel;
import org.tribuo.classification.sgd.fm.FMClassificationTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.la.DenseVector;
import org.tribuo.math.la.Tensor;
import org.tribuo.math.optimisers.AdaGrad;

/**
 * A factorization machine (Rendle 2010) for CTR-style data with sparse categorical crosses, trained by
 * Tribuo's {@code FMClassificationTrainer} (log loss, AdaGrad) on sparse examples and served in Rendle's
 * O(k·d) form over the present columns of each row.
 *
 * <p>The score is the probability of label "1", exactly Tribuo's softmax over its two per-label models
 * (tested). Only columns seen in training carry weights: a model over 2^20 x 26 hashed columns stores what
 * the training rows touched.
 *
 * <pre>{@code
 * FmRanker m = FmRanker.trainer(encoder).factors(8).epochs(3).seed(7).train(frame, labels);
 * }</pre>
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class FmRanker implements Ranker {
  private final String name;
  private final FeatureEncoder encoder;
  private final FMClassificationModel model;
  private final ModelProvenance provenance;
  private final int factors;
  private final ColumnSlots slots;
  // per slot: linear weight difference and the factor rows of both classes
  private final double[] linear;
  private final double[] v0;
  private final double[] v1;
  private final double bias;

  private FmRanker(String name, FeatureEncoder encoder, FMClassificationModel model, ModelProvenance provenance) {
    this.name = name;
    this.encoder = encoder;
    this.model = model;
    this.provenance = provenance;
    ImmutableFeatureMap fm = model.getFeatureIDMap();
    int pos = model.getOutputIDInfo().getID(new Label("1"));
    int neg = model.getOutputIDInfo().getID(new Label("0"));
    if (pos < 0 || neg < 0) {
      throw new IllegalArgumentException("model's labels are " + model.getOutputIDInfo().getDomain()
          + "; expected 0 and 1");
    }
    DenseMatrix w = model.getLinearWeightsCopy();
    DenseVector b = model.getBiasesCopy();
    Tensor[] f = model.getFactorsCopy();
    DenseMatrix f0 = (DenseMatrix) f[neg];
    DenseMatrix f1 = (DenseMatrix) f[pos];
    this.factors = f1.getDimension1Size(); // factor matrices are [factors, features]
    int[] cols = TribuoSupport.columnsOf(fm, encoder);
    this.slots = TribuoSupport.slots(cols, encoder);
    int n = slots.size();
    this.linear = new double[n];
    this.v0 = new double[n * factors];
    this.v1 = new double[n * factors];
    for (int id = 0; id < cols.length; id++) {
      int s = slots.slot(cols[id]);
      linear[s] = w.get(pos, id) - w.get(neg, id);
      for (int k = 0; k < factors; k++) {
        v0[s * factors + k] = f0.get(k, id);
        v1[s * factors + k] = f1.get(k, id);
      }
    }
    this.bias = b.get(pos) - b.get(neg);
  }

  /**
   * Starts a trainer.
   *
   * @param encoder the encoder used for training and serving
   * @return a trainer with defaults (8 factors, 5 epochs, learning rate 0.1, seed 42)
   */
  public static Trainer trainer(FeatureEncoder encoder) {
    return new Trainer(encoder);
  }

  static FmRanker fromTribuo(String name, FeatureEncoder encoder, Model<?> model, ModelProvenance provenance) {
    if (!(model instanceof FMClassificationModel)) {
      throw new IllegalArgumentException("model is " + model.getClass().getName() + "; expected FMClassificationModel");
    }
    return new FmRanker(name, encoder, (FMClassificationModel) model, provenance);
  }

  /**
   * The underlying Tribuo model (its provenance, protobuf serialization, ONNX export).
   *
   * @return the model
   */
  public FMClassificationModel tribuoModel() {
    return model;
  }

  @Override
  public FeatureEncoder encoder() {
    return encoder;
  }

  @Override
  public OutputKind outputKind() {
    return OutputKind.PROBABILITY;
  }

  @Override
  public ModelProvenance provenance() {
    return provenance;
  }

  @Override
  public FmRanker withName(String newName) {
    return new FmRanker(newName, encoder, model, provenance);
  }

  /**
   * The factor dimension.
   *
   * @return factors per feature and class
   */
  public int factors() {
    return factors;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public double predict(FeatureVector features) {
    return predict(List.of(features))[0];
  }

  @Override
  public double[] predict(List<FeatureVector> features) {
    double[] out = new double[features.size()];
    double[] s0 = new double[factors];
    double[] s1 = new double[factors];
    if (encoder.scalarOnly() && slots.identity() && !features.isEmpty()) {
      // numeric-only inputs: read each value once, straight into the factor sums
      FeatureSchema schema = features.get(0).schema();
      int[] cols = encoder.columnsIn(schema);
      for (int i = 0; i < out.length; i++) {
        FeatureVector v = features.get(i);
        if (v.schema() != schema) {
          schema = v.schema();
          cols = encoder.columnsIn(schema);
        }
        out[i] = evaluateVector(v, cols, s0, s1);
      }
      return out;
    }
    return predict(encoder.encodeSparse(features));
  }

  @Override
  public double[] predict(FeatureFrame frame) {
    return predict(encoder.encodeSparse(frame));
  }

  /**
   * Predicts rows already encoded by {@link #encoder()}.
   *
   * @param rows sparse rows of the encoder's width
   * @return one probability per row
   */
  public double[] predict(SparseRows rows) {
    if (rows.width() != encoder.width()) {
      throw new IllegalArgumentException("rows are " + rows.width() + " wide; expected " + encoder.width());
    }
    double[] out = new double[rows.rowCount()];
    int f = factors;
    double[] s0 = new double[f];
    double[] s1 = new double[f];
    int[] rs = rows.rowStartArray();
    int[] cs = rows.columnArray();
    double[] vs = rows.valueArray();
    double[] w = linear;
    double[] f0 = v0;
    double[] f1 = v1;
    ColumnSlots sl = slots;
    for (int i = 0; i < out.length; i++) {
      java.util.Arrays.fill(s0, 0);
      java.util.Arrays.fill(s1, 0);
      double z = bias;
      double q0 = 0;
      double q1 = 0;
      for (int e = rs[i], end = rs[i + 1]; e < end; e++) {
        int s = sl.slot(cs[e]);
        if (s < 0) {
          continue;
        }
        double x = vs[e];
        int o = s * f;
        z += w[s] * x;
        for (int k = 0; k < f; k++) {
          double a = f0[o + k] * x;
          double c = f1[o + k] * x;
          s0[k] += a;
          s1[k] += c;
          q0 += a * a;
          q1 += c * c;
        }
      }
      // the same operations in the same order as finish(): every path gives the same bits
      double pair0 = 0;
      double pair1 = 0;
      for (int k = 0; k < f; k++) {
        pair0 += s0[k] * s0[k];
        pair1 += s1[k] * s1[k];
      }
      out[i] = 1 / (1 + Math.exp(-(z + 0.5 * ((pair1 - q1) - (pair0 - q0)))));
    }
    return out;
  }

  /**
   * The probability of label 1 for a dense encoded row.
   *
   * @param row a row of {@code encoder().width()} values (NaN = missing)
   * @return the probability
   */
  public double probability(double[] row) {
    if (row.length != encoder.width()) {
      throw new IllegalArgumentException("row has " + row.length + " values; expected " + encoder.width());
    }
    double[] s0 = new double[factors];
    double[] s1 = new double[factors];
    double[] acc = {bias, 0, 0};
    for (int j = 0; j < row.length; j++) {
      double x = row[j];
      if (x == x && x != 0) {
        int s = slots.slot(j);
        if (s >= 0) {
          add(s, x, s0, s1, acc);
        }
      }
    }
    return finish(acc, s0, s1);
  }

  private double evaluateVector(FeatureVector v, int[] cols, double[] s0, double[] s1) {
    java.util.Arrays.fill(s0, 0);
    java.util.Arrays.fill(s1, 0);
    double z = bias;
    double q0 = 0;
    double q1 = 0;
    int f = factors;
    double[] w = linear;
    double[] f0 = v0;
    double[] f1 = v1;
    for (int j = 0; j < cols.length; j++) {
      double x = encoder.checkedValue(v, cols[j], j);
      if (x != x || x == 0) { // missing, or nothing to add
        continue;
      }
      // the same operations in the same order as add() and predict(SparseRows)
      z += w[j] * x;
      int o = j * f;
      for (int k = 0; k < f; k++) {
        double a = f0[o + k] * x;
        double c = f1[o + k] * x;
        s0[k] += a;
        s1[k] += c;
        q0 += a * a;
        q1 += c * c;
      }
    }
    double pair0 = 0;
    double pair1 = 0;
    for (int k = 0; k < f; k++) {
      pair0 += s0[k] * s0[k];
      pair1 += s1[k] * s1[k];
    }
    return 1 / (1 + Math.exp(-(z + 0.5 * ((pair1 - q1) - (pair0 - q0)))));
  }

  /** Adds one present value of slot {@code s}: acc = {margin, sum of squares class 0, class 1}. */
  private void add(int s, double x, double[] s0, double[] s1, double[] acc) {
    acc[0] += linear[s] * x;
    int f = factors;
    int o = s * f;
    for (int k = 0; k < f; k++) {
      double a = v0[o + k] * x;
      double c = v1[o + k] * x;
      s0[k] += a;
      s1[k] += c;
      acc[1] += a * a;
      acc[2] += c * c;
    }
  }

  private double finish(double[] acc, double[] s0, double[] s1) {
    double pair0 = 0;
    double pair1 = 0;
    for (int k = 0; k < factors; k++) {
      pair0 += s0[k] * s0[k];
      pair1 += s1[k] * s1[k];
    }
    double z = acc[0] + 0.5 * ((pair1 - acc[2]) - (pair0 - acc[1]));
    return 1 / (1 + Math.exp(-z));
  }

  /**
   * The model as an ONNX graph (ONNX Runtime, Triton, KServe): one float input {@code "features"}
   * {@code [batch, encoder().width()]} whose columns are the encoder's columns ({@link FeatureEncoder#encode}),
   * a missing value (NaN) read as 0; and one output {@code "score"} {@code [batch, 1]}, equal to {@link #predict} within float
   * precision. The metadata carries the model's name, encoder signature and provenance.
   *
   * @return the serialized {@code ModelProto}
   * @throws IllegalArgumentException if the encoder is wider than 2^20 columns
   */
  public byte[] toOnnx() {
    int w = Onnx.width(this);
    return org.sieveml.ranking.internal.OnnxExport.fm(bias, Onnx.dense(slots, linear, w, 1),
        Onnx.dense(slots, v1, w, factors), Onnx.dense(slots, v0, w, factors), factors,
        Onnx.metadata(this, "encoder columns; NaN = 0"));
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
    return "FmRanker{" + name + ", width=" + encoder.width() + ", factors=" + factors + "}";
  }

  /**
   * Trains {@link FmRanker}s.
   *
   * <p>Thread-safety: not thread-safe; configure and train on one thread.
   */
  public static final class Trainer extends SgdTrainer<FmRanker, Trainer> {
    private int factors = 8;
    private double variance = 0.1;

    private Trainer(FeatureEncoder encoder) {
      super(encoder, "fm", 5);
    }

    @Override
    Trainer self() {
      return this;
    }

    /**
     * Sets the factor dimension.
     *
     * @param v in 1..256
     * @return this trainer
     */
    public Trainer factors(int v) {
      if (v < 1 || v > 256) {
        throw new IllegalArgumentException("factors is " + v + "; expected 1..256");
      }
      this.factors = v;
      return this;
    }

    /**
     * Sets the variance of the factors' random initialisation.
     *
     * @param v finite and positive
     * @return this trainer
     */
    public Trainer initVariance(double v) {
      this.variance = Trainers.positive("initVariance", v);
      return this;
    }

    @Override
    public FmRanker train(FeatureFrame frame, double[] labels, double[] weights) {
      Data<Label> d = new Data<>(frame, labels, weights, true, y -> new Label(y == 1 ? "1" : "0"),
          new LabelFactory());
      FMClassificationTrainer t = new FMClassificationTrainer(new LogMulticlass(), optimiser(), epochs,
          Integer.MAX_VALUE, 1, seed, factors, variance);
      FMClassificationModel m = (FMClassificationModel) Trainers.quietly(() -> t.train(d.dataset));
      return new FmRanker(name, d.encoder, m, d.provenance("tribuo FMClassificationTrainer", "log-loss",
          Map.of("factors", Integer.toString(factors), "initVariance", Double.toString(variance))));
    }
  }
}
