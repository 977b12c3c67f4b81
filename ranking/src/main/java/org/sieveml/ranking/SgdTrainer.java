package org.sieveml.ranking;

import java.util.Map;
import java.util.TreeMap;
import org.sieveml.core.FeatureFrame;
import org.tribuo.MutableDataset;
import org.tribuo.Output;
import org.tribuo.OutputFactory;
import org.tribuo.math.optimisers.AdaGrad;

/**
 * What the trainers of Tribuo's SGD models share: the encoder, name, seed, epochs and AdaGrad learning rate;
 * the encoded training rows and their dataset; the common provenance parameters and fingerprint. Each model's
 * {@code Trainer} extends it with its own knobs and the Tribuo trainer it runs.
 *
 * <p>Thread-safety: not thread-safe; configure and train on one thread.
 *
 * @param <R> the model trained
 * @param <T> the concrete trainer (its setters return it)
 */
abstract class SgdTrainer<R extends Ranker, T extends SgdTrainer<R, T>> implements RankerTrainer<R> {
  final FeatureEncoder encoder;
  String name;
  int epochs;
  double learningRate = 0.1;
  long seed = 42;

  SgdTrainer(FeatureEncoder encoder, String name, int epochs) {
    if (encoder == null) {
      throw new IllegalArgumentException("encoder is null");
    }
    this.encoder = encoder;
    this.name = name;
    this.epochs = epochs;
  }

  abstract T self();

  @Override
  public T name(String v) {
    this.name = Trainers.name(v);
    return self();
  }

  @Override
  public T seed(long v) {
    this.seed = v;
    return self();
  }

  /**
   * Sets the number of passes over the data.
   *
   * @param v at least 1
   * @return this trainer
   */
  public T epochs(int v) {
    this.epochs = Trainers.atLeast("epochs", v, 1);
    return self();
  }

  /**
   * Sets AdaGrad's initial learning rate.
   *
   * @param v finite and positive
   * @return this trainer
   */
  public T learningRate(double v) {
    this.learningRate = Trainers.positive("learningRate", v);
    return self();
  }

  AdaGrad optimiser() {
    return new AdaGrad(learningRate, 1e-6, 0);
  }

  /** The encoded training data, checked, with its fingerprint. */
  final class Data<O extends Output<O>> {
    final FeatureEncoder encoder;
    final SparseRows rows;
    final MutableDataset<O> dataset;
    final String fingerprint;

    Data(FeatureFrame frame, double[] labels, double[] weights, boolean binary,
        java.util.function.DoubleFunction<O> output, OutputFactory<O> factory) {
      this.encoder = Trainers.fitted(SgdTrainer.this.encoder, frame);
      this.rows = encoder.encodeSparse(frame);
      Checks.labels(rows.rowCount(), labels, weights, binary);
      this.dataset = TribuoSupport.dataset(encoder, rows, i -> output.apply(labels[i]), weights, factory);
      this.fingerprint = new ModelProvenance.Fingerprint().add(rows).add(labels).add(weights).hex();
    }

    /** The provenance of a model trained on these rows by {@code trainer}. */
    ModelProvenance provenance(String trainer, String objective, Map<String, String> extra) {
      Map<String, String> params = new TreeMap<>(extra);
      params.put("objective", objective);
      params.put("optimiser", "AdaGrad");
      params.put("epochs", Integer.toString(epochs));
      params.put("learningRate", Double.toString(learningRate));
      params.put("minibatch", "1");
      return ModelProvenance.of(trainer, params, seed, fingerprint, rows.rowCount(), "tribuo");
    }
  }
}
