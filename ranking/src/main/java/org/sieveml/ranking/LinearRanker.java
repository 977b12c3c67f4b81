package org.sieveml.ranking;

import java.util.List;
import java.util.Map;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureVector;
import org.sieveml.ranking.internal.ColumnSlots;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.Model;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;

/**
 * Logistic regression trained by Tribuo's linear SGD ({@code LinearSGDTrainer} with the
 * {@code LogMulticlass} objective and AdaGrad) on sparse examples, served as a dot product over the encoded
 * row.
 *
 * <p>After training the Tribuo model's weights are copied into one array over the columns seen in training:
 * the score of a row is {@code sigmoid((w_1 - w_0) · x + (b_1 - b_0))}, exactly Tribuo's softmax probability
 * of label "1" (tested). Missing values and columns never seen in training contribute 0. SGD is sensitive to
 * feature scale: declare numeric columns {@link FeatureEncoder.Builder#standardize standardized} (fitted on
 * the training data and stored with the model).
 *
 * <pre>{@code
 * LinearRanker m = LinearRanker.trainer(encoder).epochs(5).learningRate(0.1).seed(7).train(frame, labels);
 * }</pre>
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class LinearRanker implements Ranker {
  private final String name;
  private final FeatureEncoder encoder;
  private final LinearSGDModel model;
  private final ModelProvenance provenance;
  private final ColumnSlots slots;
  private final double[] weights;
  private final double bias;
  /** The weights laid out with the slot table (null for narrow encoders). */
  private final double[] interleaved;

  private LinearRanker(String name, FeatureEncoder encoder, LinearSGDModel model, ModelProvenance provenance) {
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
    DenseMatrix w = model.getWeightsCopy();
    int nf = fm.size();
    if (w.getDimension2Size() != nf + 1) {
      throw new IllegalStateException("unexpected weight shape " + w.getDimension1Size() + "x" + w.getDimension2Size());
    }
    int[] cols = TribuoSupport.columnsOf(fm, encoder);
    this.slots = TribuoSupport.slots(cols, encoder);
    this.weights = new double[slots.size()];
    for (int id = 0; id < nf; id++) {
      weights[slots.slot(cols[id])] = w.get(pos, id) - w.get(neg, id);
    }
    this.bias = w.get(pos, nf) - w.get(neg, nf);
    this.interleaved = slots.interleave(weights);
  }

  /**
   * Starts a trainer.
   *
   * @param encoder the encoder used for training and serving
   * @return a trainer with defaults (5 epochs, learning rate 0.1, seed 42)
   */
  public static Trainer trainer(FeatureEncoder encoder) {
    return new Trainer(encoder);
  }

  /**
   * Rebuilds a ranker from a Tribuo model (e.g. one read back with Tribuo's protobuf serialization).
   *
   * @param name the ranker's name
   * @param encoder the encoder
   * @param model a Tribuo {@link LinearSGDModel} over labels "0"/"1"
   * @param provenance the model's provenance
   * @return the ranker
   */
  static LinearRanker fromTribuo(String name, FeatureEncoder encoder, Model<?> model, ModelProvenance provenance) {
    if (!(model instanceof LinearSGDModel)) {
      throw new IllegalArgumentException("model is " + model.getClass().getName() + "; expected LinearSGDModel");
    }
    return new LinearRanker(name, encoder, (LinearSGDModel) model, provenance);
  }

  /**
   * The underlying Tribuo model (its provenance, protobuf serialization, ONNX export).
   *
   * @return the Tribuo model
   */
  public LinearSGDModel tribuoModel() {
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
  public LinearRanker withName(String newName) {
    return new LinearRanker(newName, encoder, model, provenance);
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
    double[] out = TribuoSupport.margins(encoder, slots, weights, interleaved, bias, features);
    for (int i = 0; i < out.length; i++) {
      out[i] = sigmoid(out[i]);
    }
    return out;
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
    checkWidth(rows);
    double[] out = TribuoSupport.margins(rows, slots, weights, interleaved, bias);
    for (int i = 0; i < out.length; i++) {
      out[i] = sigmoid(out[i]);
    }
    return out;
  }

  private void checkWidth(SparseRows rows) {
    if (rows.width() != encoder.width()) {
      throw new IllegalArgumentException("rows are " + rows.width() + " wide; expected " + encoder.width());
    }
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
    double z = bias;
    for (int j = 0; j < row.length; j++) {
      double x = row[j];
      if (x == x && x != 0) {
        int s = slots.slot(j);
        if (s >= 0) {
          z += weights[s] * x;
        }
      }
    }
    return sigmoid(z);
  }

  static double sigmoid(double z) {
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
    return org.sieveml.ranking.internal.OnnxExport.linear(Onnx.dense(slots, weights, w, 1), bias, true,
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
    return "LinearRanker{" + name + ", width=" + encoder.width() + ", weights=" + weights.length + "}";
  }

  /**
   * Trains {@link LinearRanker}s.
   *
   * <p>Thread-safety: not thread-safe; configure and train on one thread.
   */
  public static final class Trainer extends SgdTrainer<LinearRanker, Trainer> {
    private Trainer(FeatureEncoder encoder) {
      super(encoder, "logistic", 5);
    }

    @Override
    Trainer self() {
      return this;
    }

    @Override
    public LinearRanker train(FeatureFrame frame, double[] labels, double[] weights) {
      Data<Label> d = new Data<>(frame, labels, weights, true, y -> new Label(y == 1 ? "1" : "0"),
          new LabelFactory());
      LinearSGDTrainer t = new LinearSGDTrainer(new LogMulticlass(), optimiser(), epochs, Integer.MAX_VALUE, 1,
          seed);
      LinearSGDModel m = (LinearSGDModel) Trainers.quietly(() -> t.train(d.dataset));
      return new LinearRanker(name, d.encoder, m, d.provenance("tribuo LinearSGDTrainer", "log-loss", Map.of()));
    }
  }
}
