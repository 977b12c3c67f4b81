package org.sieveml.ranking;

import org.sieveml.core.FeatureFrame;

/**
 * The shape every trainer of this module shares: configured like a builder, seeded, and trained on a frame
 * and one label per row. Ranking objectives also take query groups ({@link GbdtRanker.Trainer#trainRanking}).
 *
 * <p>Encoders with {@linkplain FeatureEncoder#needsFit() unfitted} standardized columns are fitted on the
 * training frame first; the fitted encoder is the model's.
 *
 * <p>Thread-safety: trainers are not thread-safe; configure and train on one thread. The models they return
 * are immutable.
 *
 * @param <R> the model trained
 */
public interface RankerTrainer<R extends Ranker> {

  /**
   * Sets the model's name (used in messages and telemetry).
   *
   * @param name the name
   * @return this trainer
   */
  RankerTrainer<R> name(String name);

  /**
   * Sets the random seed: the same data, parameters and seed give the same model.
   *
   * @param seed the seed
   * @return this trainer
   */
  RankerTrainer<R> seed(long seed);

  /**
   * Trains on a frame.
   *
   * @param frame the training rows; their schema provides every input of the encoder
   * @param labels one label per row (0/1 for classifiers)
   * @return the model
   * @throws IllegalArgumentException on bad data, naming the row and the value
   */
  default R train(FeatureFrame frame, double[] labels) {
    return train(frame, labels, null);
  }

  /**
   * Trains on a frame with example weights.
   *
   * @param frame the training rows
   * @param labels one label per row
   * @param weights one positive weight per row, or null for 1
   * @return the model
   * @throws IllegalArgumentException on bad data, naming the row and the value
   */
  R train(FeatureFrame frame, double[] labels, double[] weights);
}
