package org.sieveml.ranking;

import java.util.List;
import java.util.Map;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureVector;
import org.sieveml.ranking.internal.ColumnSlots;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.Model;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.sgd.linear.LinearSGDModel;
import org.tribuo.regression.sgd.linear.LinearSGDTrainer;
import org.tribuo.regression.sgd.objectives.SquaredLoss;

/**
 * Linear regression (e.g. ETA on log duration) trained by Tribuo's linear SGD with squared loss and AdaGrad on
 * sparse examples, served as {@code w · x + b} over the same encoder as the rankers (one fused pass for
 * numeric-only encoders; equal to Tribuo's own predictions, tested). Missing values contribute 0. Declare
 * numeric columns {@link FeatureEncoder.Builder#standardize standardized}: SGD is sensitive to scale.
 *
 * <pre>{@code
 * LinearRegressor m = LinearRegressor.trainer(encoder).epochs(10).seed(7).train(frame, targets);
 * }</pre>
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class LinearRegressor implements Ranker {
  static final String TARGET = "target";

  private final String name;
  private final FeatureEncoder encoder;
  private final LinearSGDModel model;
  private final ModelProvenance provenance;
  private final ColumnSlots slots;
  private final double[] weights;
  private final double bias;
  /** The weights laid out with the slot table (null for narrow encoders). */
  private final double[] interleaved;

  private LinearRegressor(String name, FeatureEncoder encoder, LinearSGDModel model, ModelProvenance provenance) {
    this.name = name;
    this.encoder = encoder;
    this.model = model;
    this.provenance = provenance;
    ImmutableFeatureMap fm = model.getFeatureIDMap();
    DenseMatrix w = model.getWeightsCopy();
    int nf = fm.size();
    if (w.getDimension1Size() != 1 || w.getDimension2Size() != nf + 1) {
      throw new IllegalArgumentException("expected a one-target linear model, weights are " + w.getDimension1Size()
          + "x" + w.getDimension2Size());
    }
    int[] cols = TribuoSupport.columnsOf(fm, encoder);
    this.slots = TribuoSupport.slots(cols, encoder);
    this.weights = new double[slots.size()];
    for (int id = 0; id < nf; id++) {
      weights[slots.slot(cols[id])] = w.get(0, id);
    }
    this.bias = w.get(0, nf);
    this.interleaved = slots.interleave(weights);
  }

  /**
   * Starts a trainer.
   *
   * @param encoder the encoder used for training and serving
   * @return a trainer with defaults (10 epochs, learning rate 0.1, seed 42)
   */
  public static Trainer trainer(FeatureEncoder encoder) {
    return new Trainer(encoder);
  }

  static LinearRegressor fromTribuo(String name, FeatureEncoder encoder, Model<?> model,
      ModelProvenance provenance) {
    if (!(model instanceof LinearSGDModel)) {
      throw new IllegalArgumentException("model is " + model.getClass().getName()
          + "; expected a regression LinearSGDModel");
    }
    return new LinearRegressor(name, encoder, (LinearSGDModel) model, provenance);
  }

  /**
   * The underlying Tribuo model.
   *
   * @return the model
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
    return OutputKind.REGRESSION;
  }

  @Override
  public ModelProvenance provenance() {
    return provenance;
  }

  @Override
  public LinearRegressor withName(String newName) {
    return new LinearRegressor(newName, encoder, model, provenance);
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
    return TribuoSupport.margins(encoder, slots, weights, interleaved, bias, features);
  }

  @Override
  public double[] predict(FeatureFrame frame) {
    return TribuoSupport.margins(encoder.encodeSparse(frame), slots, weights, interleaved, bias);
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
    return org.sieveml.ranking.internal.OnnxExport.linear(Onnx.dense(slots, weights, w, 1), bias, false,
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
    return "LinearRegressor{" + name + ", width=" + encoder.width() + "}";
  }

  /**
   * Trains {@link LinearRegressor}s.
   *
   * <p>Thread-safety: not thread-safe; configure and train on one thread.
   */
  public static final class Trainer extends SgdTrainer<LinearRegressor, Trainer> {
    private Trainer(FeatureEncoder encoder) {
      super(encoder, "regressor", 10);
    }

    @Override
    Trainer self() {
      return this;
    }

    @Override
    public LinearRegressor train(FeatureFrame frame, double[] targets, double[] weights) {
      Data<Regressor> d = new Data<>(frame, targets, weights, false, y -> new Regressor(TARGET, y),
          new RegressionFactory());
      LinearSGDTrainer t = new LinearSGDTrainer(new SquaredLoss(), optimiser(), epochs, Integer.MAX_VALUE, 1, seed);
      LinearSGDModel m = (LinearSGDModel) Trainers.quietly(() -> t.train(d.dataset));
      return new LinearRegressor(name, d.encoder, m,
          d.provenance("tribuo regression LinearSGDTrainer", "squared-loss", Map.of()));
    }
  }
}
