package org.sieveml.ranking;

import java.util.ArrayList;
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
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Logistic regression trained by Tribuo's linear SGD ({@code LinearSGDTrainer} with the
 * {@code LogMulticlass} objective and AdaGrad), served as a dot product over the encoded row.
 *
 * <p>Training turns encoded rows into Tribuo examples (missing values, i.e. NaN, and zeros are left out of
 * the sparse example, so missing contributes 0). After training the Tribuo model's weights are copied into
 * one array aligned with the encoder's columns: the score of a row is
 * {@code sigmoid((w_1 - w_0) · x + (b_1 - b_0))}, exactly Tribuo's softmax probability of label "1" (tested).
 * The Tribuo model is kept for its provenance and protobuf serialization ({@link #tribuoModel()}).
 * Scale numeric inputs before training (SGD is sensitive to feature scale); one-hot hashed columns need
 * no scaling.
 *
 * <p>Thread-safety: immutable; {@link #score} is safe for concurrent use.
 */
public final class LinearRanker implements Scorer {
  private final String name;
  private final FeatureEncoder encoder;
  private final LinearSGDModel model;
  private final double[] weights;
  private final double bias;

  private LinearRanker(String name, FeatureEncoder encoder, LinearSGDModel model) {
    this.name = name;
    this.encoder = encoder;
    this.model = model;
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
    List<String> cols = encoder.columnNames();
    this.weights = new double[cols.size()];
    for (int j = 0; j < cols.size(); j++) {
      int id = fm.getID(cols.get(j));
      if (id >= 0) {
        weights[j] = w.get(pos, id) - w.get(neg, id);
      }
    }
    this.bias = w.get(pos, nf) - w.get(neg, nf);
  }

  /**
   * Trains a logistic ranker.
   *
   * @param name the model's name
   * @param encoder the encoder
   * @param frame training features
   * @param labels 0/1 labels, one per row
   * @param weights positive example weights, or null
   * @param epochs SGD epochs, at least 1
   * @param learningRate AdaGrad's initial learning rate, positive
   * @param seed the random seed
   * @return the trained ranker
   */
  public static LinearRanker train(String name, FeatureEncoder encoder, FeatureFrame frame, double[] labels,
      double[] weights, int epochs, double learningRate, long seed) {
    double[][] rows = encoder.encode(frame);
    Checks.trainingData(rows, labels, weights, encoder.width(), true);
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs is " + epochs + "; expected >= 1");
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("learningRate is " + learningRate + "; expected finite and > 0");
    }
    MutableDataset<Label> ds = new MutableDataset<>(
        new SimpleDataSourceProvenance("sieveml:" + encoder.signature(), new LabelFactory()), new LabelFactory());
    String[] names = encoder.columnNames().toArray(new String[0]);
    for (int i = 0; i < rows.length; i++) {
      ds.add(example(names, rows[i], new Label(labels[i] == 1 ? "1" : "0"),
          weights == null ? 1f : (float) weights[i]));
    }
    LinearSGDTrainer trainer = new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(learningRate, 1e-6, 0),
        epochs, Integer.MAX_VALUE, 1, seed);
    return new LinearRanker(name, encoder, (LinearSGDModel) trainer.train(ds));
  }

  /**
   * Rebuilds a ranker from a Tribuo model (e.g. one read back with Tribuo's protobuf serialization).
   *
   * @param name the ranker's name
   * @param encoder the encoder
   * @param model a Tribuo {@link LinearSGDModel} over labels "0"/"1"
   * @return the ranker
   */
  public static LinearRanker fromTribuo(String name, FeatureEncoder encoder, Model<?> model) {
    if (!(model instanceof LinearSGDModel)) {
      throw new IllegalArgumentException("model is " + model.getClass().getName() + "; expected LinearSGDModel");
    }
    return new LinearRanker(name, encoder, (LinearSGDModel) model);
  }

  /** A sparse Tribuo example of an encoded row: missing (NaN) and zero columns are left out. */
  static <T extends org.tribuo.Output<T>> ArrayExample<T> example(String[] names, double[] row, T label,
      float weight) {
    List<String> n = new ArrayList<>();
    List<Double> v = new ArrayList<>();
    for (int j = 0; j < row.length; j++) {
      if (row[j] == row[j] && row[j] != 0) {
        n.add(names[j]);
        v.add(row[j]);
      }
    }
    if (n.isEmpty() && names.length > 0) {
      // every value missing or zero: Tribuo refuses an example without features, so carry one explicit
      // zero (it moves no weight, and the row still trains the bias)
      n.add(names[0]);
      v.add(0.0);
    }
    double[] vals = new double[v.size()];
    for (int j = 0; j < vals.length; j++) {
      vals[j] = v.get(j);
    }
    ArrayExample<T> e = new ArrayExample<>(label, n.toArray(new String[0]), vals);
    e.setWeight(weight);
    return e;
  }

  /**
   * The underlying Tribuo model (provenance, protobuf serialization, ONNX export).
   *
   * @return the Tribuo model
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
    double[] out = LinearScoring.margins(encoder, weights, bias, features);
    for (int i = 0; i < out.length; i++) {
      out[i] = 1 / (1 + Math.exp(-out[i]));
    }
    return out;
  }

  /**
   * The probability of label 1 for an encoded row.
   *
   * @param row a row of {@code encoder().width()} values
   * @return the probability
   */
  public double probability(double[] row) {
    return 1 / (1 + Math.exp(-LinearScoring.margin(weights, bias, row)));
  }

  /**
   * Exports the model as ONNX (through Tribuo's exporter), for hosts that serve models with Triton,
   * KServe or ONNX Runtime. The graph takes one float tensor {@code [batch, n]} whose columns follow
   * {@link #onnxFeatureOrder()} (Tribuo's feature order, not the encoder's column order; missing values
   * must be passed as 0) and outputs the two class probabilities, {@code "0"} then {@code "1"}. The
   * file carries the model's provenance in its metadata.
   *
   * @param file where to write the {@code .onnx} file
   * @throws java.io.UncheckedIOException when the file cannot be written
   */
  public void exportOnnx(java.nio.file.Path file) {
    try {
      model.saveONNXModel("org.sieveml", 1, file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot write the ONNX model to " + file, e);
    }
  }

  /**
   * The encoded column names in the order of the ONNX graph's input columns.
   *
   * @return the names, one per input column
   */
  public List<String> onnxFeatureOrder() {
    ImmutableFeatureMap fm = model.getFeatureIDMap();
    String[] names = new String[fm.size()];
    for (org.tribuo.VariableInfo v : fm) {
      names[fm.getID(v.getName())] = v.getName();
    }
    return List.of(names);
  }

  @Override
  public String toString() {
    return "LinearRanker{" + name + ", width=" + weights.length + "}";
  }
}
