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
import org.tribuo.classification.sgd.fm.FMClassificationModel;
import org.tribuo.classification.sgd.fm.FMClassificationTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.la.DenseVector;
import org.tribuo.math.la.Tensor;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * A factorization machine (Rendle, 2010) trained by Tribuo's {@code FMClassificationTrainer}
 * ({@code LogMulticlass} objective, AdaGrad), served by a pure-Java evaluator over the encoded row:
 * for each class {@code c}, {@code s_c = b_c + w_c · x + ½ Σ_f [(Σ_i v_cif x_i)² - Σ_i v_cif² x_i²]}, and
 * the score is the softmax probability of label "1", {@code sigmoid(s_1 - s_0)} — Tribuo's own
 * prediction to 1e-9 (tested), in {@code O(k · d)} per row for {@code k} factors and {@code d} present
 * values, without building Tribuo examples at serving time. FMs learn pairwise interactions
 * (user x item, ad x context) that a linear model cannot, with far fewer parameters than explicit
 * crosses. Missing values (NaN) and zeros contribute nothing, as in training. Scale numeric inputs.
 *
 * <p>Thread-safety: immutable; {@link #score} is safe for concurrent use.
 */
public final class FmRanker implements Scorer {
  private final String name;
  private final FeatureEncoder encoder;
  private final FMClassificationModel model;
  private final int factors;
  // per encoder column: linear weight difference and the factor rows of both classes
  private final double[] linear;
  private final double[] v0;
  private final double[] v1;
  private final double bias;

  private FmRanker(String name, FeatureEncoder encoder, FMClassificationModel model) {
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
    DenseMatrix w = model.getLinearWeightsCopy();
    DenseVector b = model.getBiasesCopy();
    Tensor[] f = model.getFactorsCopy();
    DenseMatrix f0 = (DenseMatrix) f[neg];
    DenseMatrix f1 = (DenseMatrix) f[pos];
    this.factors = f1.getDimension1Size(); // factor matrices are [factors, features]
    List<String> cols = encoder.columnNames();
    this.linear = new double[cols.size()];
    this.v0 = new double[cols.size() * factors];
    this.v1 = new double[cols.size() * factors];
    for (int j = 0; j < cols.size(); j++) {
      int id = fm.getID(cols.get(j));
      if (id < 0) {
        continue; // a column never seen non-zero in training: no weight
      }
      linear[j] = w.get(pos, id) - w.get(neg, id);
      for (int k = 0; k < factors; k++) {
        v0[j * factors + k] = f0.get(k, id);
        v1[j * factors + k] = f1.get(k, id);
      }
    }
    this.bias = b.get(pos) - b.get(neg);
  }

  /**
   * Trains a factorization machine.
   *
   * @param name the model's name
   * @param encoder the encoder
   * @param frame training features
   * @param labels 0/1 labels, one per row
   * @param weights positive example weights, or null
   * @param epochs passes over the data, positive
   * @param learningRate AdaGrad's initial learning rate, positive
   * @param factors the factor dimension, 1..256
   * @param seed the random seed
   * @return the trained ranker
   */
  public static FmRanker train(String name, FeatureEncoder encoder, FeatureFrame frame, double[] labels,
      double[] weights, int epochs, double learningRate, int factors, long seed) {
    double[][] rows = encoder.encode(frame);
    Checks.trainingData(rows, labels, weights, encoder.width(), true);
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs is " + epochs + "; expected >= 1");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learningRate is " + learningRate + "; expected > 0");
    }
    if (factors < 1 || factors > 256) {
      throw new IllegalArgumentException("factors is " + factors + "; expected 1..256");
    }
    MutableDataset<Label> ds = new MutableDataset<>(
        new SimpleDataSourceProvenance("sieveml:" + encoder.signature(), new LabelFactory()), new LabelFactory());
    String[] names = encoder.columnNames().toArray(new String[0]);
    for (int i = 0; i < rows.length; i++) {
      ds.add(LinearRanker.example(names, rows[i], new Label(labels[i] == 1 ? "1" : "0"),
          weights == null ? 1f : (float) weights[i]));
    }
    FMClassificationTrainer trainer = new FMClassificationTrainer(new LogMulticlass(),
        new AdaGrad(learningRate, 1e-6, 0), epochs, Integer.MAX_VALUE, 1, seed, factors, 0.1);
    return new FmRanker(name, encoder, (FMClassificationModel) trainer.train(ds));
  }

  /**
   * Rebuilds a ranker from a Tribuo model (e.g. read back with Tribuo's protobuf serialization).
   *
   * @param name the ranker's name
   * @param encoder the encoder
   * @param model a Tribuo {@link FMClassificationModel} over labels "0"/"1"
   * @return the ranker
   */
  public static FmRanker fromTribuo(String name, FeatureEncoder encoder, Model<?> model) {
    if (!(model instanceof FMClassificationModel)) {
      throw new IllegalArgumentException("model is " + model.getClass().getName() + "; expected FMClassificationModel");
    }
    return new FmRanker(name, encoder, (FMClassificationModel) model);
  }

  /**
   * The underlying Tribuo model (provenance, protobuf serialization, ONNX export).
   *
   * @return the model
   */
  public FMClassificationModel tribuoModel() {
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
  public FeatureSchema inputSchema() {
    return encoder.inputSchema();
  }

  @Override
  public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
    double[] out = new double[features.size()];
    double[] s0 = new double[factors];
    double[] s1 = new double[factors];
    if (encoder.scalarOnly() && !features.isEmpty()) {
      // numeric-only inputs: read each value once, straight into the factor sums
      FeatureSchema schema = features.get(0).schema();
      int[] cols = encoder.columnsIn(schema);
      for (int i = 0; i < out.length; i++) {
        FeatureVector v = features.get(i);
        if (v.schema() != schema) {
          schema = v.schema();
          cols = encoder.columnsIn(schema);
        }
        out[i] = evaluate(null, v, cols, s0, s1);
      }
      return out;
    }
    double[] row = new double[encoder.width()];
    for (int i = 0; i < out.length; i++) {
      encoder.encode(features.get(i), row, 0);
      out[i] = probability(row, s0, s1);
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
    return probability(row, new double[factors], new double[factors]);
  }

  private double probability(double[] row, double[] s0, double[] s1) {
    return evaluate(row, null, null, s0, s1);
  }

  /**
   * The probability of label 1 for an encoded {@code row}, or (row null) for the vector {@code v} read
   * through {@code cols} with the encoder's checks. Rendle's O(k d) form; NaN and zero values add nothing.
   */
  private double evaluate(double[] row, FeatureVector v, int[] cols, double[] s0, double[] s1) {
    java.util.Arrays.fill(s0, 0);
    java.util.Arrays.fill(s1, 0);
    double z = bias;
    double sq0 = 0;
    double sq1 = 0;
    int n = row != null ? row.length : cols.length;
    for (int j = 0; j < n; j++) {
      double x = row != null ? row[j] : encoder.checkedValue(v, cols[j], j);
      if (x != x || x == 0) { // missing, or nothing to add
        continue;
      }
      z += linear[j] * x;
      int o = j * factors;
      for (int k = 0; k < factors; k++) {
        double a = v0[o + k] * x;
        double c = v1[o + k] * x;
        s0[k] += a;
        s1[k] += c;
        sq0 += a * a;
        sq1 += c * c;
      }
    }
    double pair0 = 0;
    double pair1 = 0;
    for (int k = 0; k < factors; k++) {
      pair0 += s0[k] * s0[k];
      pair1 += s1[k] * s1[k];
    }
    z += 0.5 * ((pair1 - sq1) - (pair0 - sq0));
    return 1 / (1 + Math.exp(-z));
  }

  @Override
  public String toString() {
    return "FmRanker{" + name + ", width=" + linear.length + ", factors=" + factors + "}";
  }
}
