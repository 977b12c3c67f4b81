package org.sieveml.core.pipeline;

import java.util.List;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;

/**
 * The ranking stage: scores a batch of candidates from their feature vectors (higher is better).
 *
 * <p>Implementations must be thread-safe.
 */
public interface Scorer {

  /**
   * A short name for messages and telemetry (e.g. the model's name and version).
   *
   * @return the name
   */
  default String name() {
    String simple = getClass().getSimpleName();
    return simple.isEmpty() ? getClass().getName() : simple;
  }

  /**
   * The features this scorer reads. The pipeline refuses, at build time, a feature source whose
   * schema does not provide each of them with the same type.
   *
   * @return the required input schema
   */
  FeatureSchema inputSchema();

  /**
   * Scores a batch.
   *
   * @param request the request
   * @param candidates the candidates, in retrieval order
   * @param features one vector per candidate, same order; their schema is the feature source's,
   *     which contains every feature of {@link #inputSchema()}
   * @return one finite score per candidate, same order
   */
  double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features);
}
