package org.sieveml.ranking;

import java.util.List;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.Scorer;

/**
 * A trained model: what every model of this module is (gradient-boosted trees incl. LambdaMART, logistic
 * regression, factorization machine, linear regression, and a model paired with its calibration), and what the
 * pipeline's ranking stage calls (a {@link Scorer}).
 *
 * <p>A ranker reads features through its {@link #encoder()}, the same one for training and serving, predicts
 * one value per row of the kind {@link #outputKind()} states, and carries its {@link #provenance()}: the trainer,
 * its parameters and seed, a fingerprint of the training data and the library versions. Models are trained by
 * builders of one shape ({@link RankerTrainer}) and stored by {@link ModelRegistry}.
 *
 * <pre>{@code
 * GbdtRanker model = GbdtRanker.trainer(encoder).rounds(200).seed(7).train(frame, labels);
 * double p = model.predict(featureVector);
 * }</pre>
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface Ranker extends Scorer {

  /** What a ranker's predictions mean. */
  enum OutputKind {
    /** A probability of the positive class, in [0, 1]. */
    PROBABILITY,
    /** A regression estimate, in the label's unit. */
    REGRESSION,
    /** A ranking score: only the order within a request is meaningful. */
    RANKING_SCORE
  }

  /**
   * The encoder that turns features into the model's rows.
   *
   * @return the encoder
   */
  FeatureEncoder encoder();

  /**
   * What the predictions mean.
   *
   * @return the output kind
   */
  OutputKind outputKind();

  /**
   * How the model was made.
   *
   * @return the provenance
   */
  ModelProvenance provenance();

  /**
   * A copy of this ranker under another name (the registry names loaded models {@code name@vN}).
   *
   * @param name the new name
   * @return the renamed ranker
   */
  Ranker withName(String name);

  /**
   * Predicts one row.
   *
   * @param features the row's features; their schema must provide every input of {@link #inputSchema()}
   * @return the prediction
   * @throws IllegalArgumentException if a feature is absent, mistyped or not finite
   */
  double predict(FeatureVector features);

  /**
   * Predicts every row of a frame, through the same encoder.
   *
   * @param frame the rows
   * @return one prediction per row
   */
  double[] predict(FeatureFrame frame);

  /**
   * Predicts a batch of feature vectors.
   *
   * @param features the rows
   * @return one prediction per row, same order
   */
  double[] predict(List<FeatureVector> features);

  /**
   * The model version, for a served-feature log: a ranker loaded by {@link ModelRegistry#load} is named
   * {@code <name>@v<version>} by the registry, and that label is its version. A ranker with any other name
   * (trained in this process, or renamed) reports the empty string: unknown.
   *
   * @return {@code <name>@v<version>}, or the empty string
   */
  @Override
  default String version() {
    String n = name();
    return n != null && ModelRegistry.isLabel(n) ? n : "";
  }

  @Override
  default FeatureSchema inputSchema() {
    return encoder().inputSchema();
  }

  /** Scores candidates by {@link #predict(List)} of their feature vectors. */
  @Override
  default double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
    return predict(features);
  }
}
