package org.sieveml.ranking;

import java.util.List;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.Scorer;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.sgd.linear.LinearSGDModel;
import org.tribuo.regression.sgd.linear.LinearSGDTrainer;
import org.tribuo.regression.sgd.objectives.SquaredLoss;

/**
 * Linear regression (e.g. ETA on log duration) trained by Tribuo's linear SGD with squared loss and
 * AdaGrad, served as {@code w · x + b} over the same encoder as the rankers (one fused pass for
 * numeric-only encoders; equal to Tribuo's own predictions, tested). Missing values contribute 0;
 * scale numeric inputs before training, as with any SGD model. {@link #score} returns the predicted
 * target for each candidate.
 *
 * <p>Thread-safety: immutable; {@link #score} is safe for concurrent use.
 */
public final class LinearRegressor implements Scorer {
  private static final String TARGET = "target";

  private final String name;
  private final FeatureEncoder encoder;
  private final LinearSGDModel model;
  private final double[] weights;
  private final double bias;

  private LinearRegressor(String name, FeatureEncoder encoder, LinearSGDModel model) {
    this.name = name;
    this.encoder = encoder;
    this.model = model;
    ImmutableFeatureMap fm = model.getFeatureIDMap();
    DenseMatrix w = model.getWeightsCopy();
    int nf = fm.size();
    if (w.getDimension1Size() != 1 || w.getDimension2Size() != nf + 1) {
      throw new IllegalArgumentException("expected a one-target linear model, weights are " + w.getDimension1Size()
          + "x" + w.getDimension2Size());
    }
    List<String> cols = encoder.columnNames();
    this.weights = new double[cols.size()];
    for (int j = 0; j < cols.size(); j++) {
      int id = fm.getID(cols.get(j));
      if (id >= 0) {
        weights[j] = w.get(0, id);
      }
    }
    this.bias = w.get(0, nf);
  }

  /**
   * Trains a linear regressor.
   *
   * @param name the model's name
   * @param encoder the encoder
   * @param frame training features
   * @param targets the target per row, finite
   * @param epochs passes over the data, positive
   * @param learningRate AdaGrad's initial learning rate, positive
   * @param seed the random seed
   * @return the trained regressor
   */
  public static LinearRegressor train(String name, FeatureEncoder encoder, FeatureFrame frame, double[] targets,
      int epochs, double learningRate, long seed) {
    double[][] rows = encoder.encode(frame);
    Checks.trainingData(rows, targets, null, encoder.width(), false);
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs is " + epochs + "; expected >= 1");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learningRate is " + learningRate + "; expected > 0");
    }
    MutableDataset<Regressor> ds = new MutableDataset<>(
        new SimpleDataSourceProvenance("sieveml:" + encoder.signature(), new RegressionFactory()),
        new RegressionFactory());
    String[] names = encoder.columnNames().toArray(new String[0]);
    for (int i = 0; i < rows.length; i++) {
      ds.add(example(names, rows[i], targets[i]));
    }
    LinearSGDTrainer trainer = new LinearSGDTrainer(new SquaredLoss(), new AdaGrad(learningRate, 1e-6, 0), epochs,
        Integer.MAX_VALUE, 1, seed);
    return new LinearRegressor(name, encoder, (LinearSGDModel) trainer.train(ds));
  }

  /**
   * Rebuilds a regressor from a Tribuo model (e.g. read back with Tribuo's protobuf serialization).
   *
   * @param name the regressor's name
   * @param encoder the encoder
   * @param model a one-target Tribuo regression {@link LinearSGDModel}
   * @return the regressor
   */
  public static LinearRegressor fromTribuo(String name, FeatureEncoder encoder, Model<?> model) {
    if (!(model instanceof LinearSGDModel)) {
      throw new IllegalArgumentException("model is " + model.getClass().getName()
          + "; expected org.tribuo.regression.sgd.linear.LinearSGDModel");
    }
    return new LinearRegressor(name, encoder, (LinearSGDModel) model);
  }

  static ArrayExample<Regressor> example(String[] names, double[] row, double target) {
    return LinearRanker.example(names, row, new Regressor(TARGET, target), 1f);
  }

  /**
   * The underlying Tribuo model (provenance, protobuf serialization, ONNX export).
   *
   * @return the model
   */
  public LinearSGDModel tribuoModel() {
    return model;
  }

  /**
   * The encoder.
   *
   * @return the encoder
   */
  public FeatureEncoder encoder() {
    return encoder;
  }

  /**
   * The prediction for one feature vector.
   *
   * @param features the features
   * @return the predicted target
   */
  public double predict(FeatureVector features) {
    return LinearScoring.margins(encoder, weights, bias, List.of(features))[0];
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public FeatureSchema inputSchema() {
    return encoder.inputSchema();
  }

  @Override
  public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
    return LinearScoring.margins(encoder, weights, bias, features);
  }

  @Override
  public String toString() {
    return "LinearRegressor{" + name + ", width=" + weights.length + "}";
  }
}
