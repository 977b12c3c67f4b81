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
  // per slot, side by side (one or two cache lines per present column): the linear weight difference,
  // then the class-0 factor row, then the class-1 factor row; stride 1 + 2 * factors
  private final double[] params;
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
    int stride = 1 + 2 * factors;
    this.params = new double[Math.multiplyExact(n, stride)];
    for (int id = 0; id < cols.length; id++) {
      int o = slots.slot(cols[id]) * stride;
      params[o] = w.get(pos, id) - w.get(neg, id);
      for (int k = 0; k < factors; k++) {
        params[o + 1 + k] = f0.get(k, id);
        params[o + 1 + factors + k] = f1.get(k, id);
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
    if (encoder.scalarOnly() && slots.identity() && !features.isEmpty()) {
      // numeric-only inputs: read each value once, straight into the row's entries
      FeatureSchema schema = features.get(0).schema();
      int[] cols = encoder.columnsIn(schema);
      int stride = 1 + 2 * factors;
      int[] off = new int[cols.length];
      double[] xs = new double[cols.length];
      for (int i = 0; i < out.length; i++) {
        FeatureVector v = features.get(i);
        if (v.schema() != schema) {
          schema = v.schema();
          cols = encoder.columnsIn(schema);
          off = new int[cols.length];
          xs = new double[cols.length];
        }
        int len = 0;
        for (int j = 0; j < cols.length; j++) {
          double x = encoder.checkedValue(v, cols[j], j);
          if (x == x && x != 0) { // missing, or nothing to add
            off[len] = j * stride;
            xs[len++] = x;
          }
        }
        out[i] = LinearRanker.sigmoid(margin(off, xs, len));
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
    int[] rs = rows.rowStartArray();
    int[] cs = rows.columnArray();
    double[] vs = rows.valueArray();
    int longest = 0;
    for (int i = 0; i < out.length; i++) {
      longest = Math.max(longest, rs[i + 1] - rs[i]);
    }
    int[] off = new int[longest];
    double[] xs = new double[longest];
    int stride = 1 + 2 * factors;
    ColumnSlots sl = slots;
    for (int i = 0; i < out.length; i++) {
      int len = 0;
      for (int e = rs[i], end = rs[i + 1]; e < end; e++) {
        int s = sl.slot(cs[e]);
        double x = vs[e];
        if (s >= 0 && x == x && x != 0) {
          off[len] = s * stride;
          xs[len++] = x;
        }
      }
      out[i] = LinearRanker.sigmoid(margin(off, xs, len));
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
    int stride = 1 + 2 * factors;
    int[] off = new int[row.length];
    double[] xs = new double[row.length];
    int len = 0;
    for (int j = 0; j < row.length; j++) {
      double x = row[j];
      if (x == x && x != 0) {
        int s = slots.slot(j);
        if (s >= 0) {
          off[len] = s * stride;
          xs[len++] = x;
        }
      }
    }
    return LinearRanker.sigmoid(margin(off, xs, len));
  }

  /**
   * The margin of one row given by its present entries: {@code off[e]} is the parameter offset of entry
   * {@code e}'s slot, {@code xs[e]} its value (neither NaN nor 0). Every scoring path calls this, so they
   * give the same bits. The pairwise term is {@code 1/2 sum_k ((sum_e v_k x)^2 - sum_e (v_k x)^2)} per class,
   * the model's output the class-1 minus the class-0 score; factors are taken four at a time, each with
   * its own sums in locals, so that the additions of one entry do not wait on one another.
   */
  private double margin(int[] off, double[] xs, int len) {
    double[] p = params;
    int f = factors;
    double z = bias;
    for (int e = 0; e < len; e++) {
      z += p[off[e]] * xs[e];
    }
    double pair0 = 0;
    double pair1 = 0;
    double q0 = 0;
    double q1 = 0;
    int k = 0;
    for (; k + 4 <= f; k += 4) {
      double a0 = 0;
      double a1 = 0;
      double a2 = 0;
      double a3 = 0;
      double b0 = 0;
      double b1 = 0;
      double b2 = 0;
      double b3 = 0;
      double qa0 = 0;
      double qa1 = 0;
      double qa2 = 0;
      double qa3 = 0;
      double qb0 = 0;
      double qb1 = 0;
      double qb2 = 0;
      double qb3 = 0;
      for (int e = 0; e < len; e++) {
        int o = off[e] + 1 + k;
        double x = xs[e];
        double t0 = p[o] * x;
        double t1 = p[o + 1] * x;
        double t2 = p[o + 2] * x;
        double t3 = p[o + 3] * x;
        double u0 = p[o + f] * x;
        double u1 = p[o + f + 1] * x;
        double u2 = p[o + f + 2] * x;
        double u3 = p[o + f + 3] * x;
        a0 += t0;
        a1 += t1;
        a2 += t2;
        a3 += t3;
        b0 += u0;
        b1 += u1;
        b2 += u2;
        b3 += u3;
        qa0 += t0 * t0;
        qa1 += t1 * t1;
        qa2 += t2 * t2;
        qa3 += t3 * t3;
        qb0 += u0 * u0;
        qb1 += u1 * u1;
        qb2 += u2 * u2;
        qb3 += u3 * u3;
      }
      pair0 += a0 * a0;
      pair0 += a1 * a1;
      pair0 += a2 * a2;
      pair0 += a3 * a3;
      pair1 += b0 * b0;
      pair1 += b1 * b1;
      pair1 += b2 * b2;
      pair1 += b3 * b3;
      q0 += qa0;
      q0 += qa1;
      q0 += qa2;
      q0 += qa3;
      q1 += qb0;
      q1 += qb1;
      q1 += qb2;
      q1 += qb3;
    }
    for (; k < f; k++) {
      double a = 0;
      double b = 0;
      double qa = 0;
      double qb = 0;
      for (int e = 0; e < len; e++) {
        int o = off[e] + 1 + k;
        double x = xs[e];
        double t = p[o] * x;
        double u = p[o + f] * x;
        a += t;
        b += u;
        qa += t * t;
        qb += u * u;
      }
      pair0 += a * a;
      pair1 += b * b;
      q0 += qa;
      q1 += qb;
    }
    return z + 0.5 * ((pair1 - q1) - (pair0 - q0));
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
    return org.sieveml.ranking.internal.OnnxExport.fm(bias, Onnx.dense(slots, part(0, 1), w, 1),
        Onnx.dense(slots, part(1 + factors, factors), w, factors), Onnx.dense(slots, part(1, factors), w, factors),
        factors,
        Onnx.metadata(this, "encoder columns; NaN = 0"));
  }

  /** Per slot, {@code length} parameters from {@code offset} within the slot's stride, slot after slot. */
  private double[] part(int offset, int length) {
    int stride = 1 + 2 * factors;
    int n = params.length / stride;
    double[] out = new double[n * length];
    for (int s = 0; s < n; s++) {
      System.arraycopy(params, s * stride + offset, out, s * length, length);
    }
    return out;
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
