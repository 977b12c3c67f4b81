package org.sieveml.core.pipeline;

import java.util.List;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;

/**
 * The features stage: one feature vector per candidate, combining request-level features (the user,
 * the context) with candidate-level ones (the item, the user-item pair).
 *
 * <p>Implementations must be thread-safe.
 */
public interface FeatureSource {

  /**
   * A short name for messages and telemetry.
   *
   * @return the name
   */
  default String name() {
    String simple = getClass().getSimpleName();
    return simple.isEmpty() ? getClass().getName() : simple;
  }

  /**
   * The layout of every vector {@link #fetch} returns. A pipeline checks at build time that it
   * provides every feature its {@link Scorer} needs.
   *
   * @return the schema
   */
  FeatureSchema schema();

  /**
   * Fetches features for a batch of candidates, in one call so that implementations can batch their
   * reads.
   *
   * @param request the request
   * @param candidates the merged candidates, not empty
   * @return exactly one vector per candidate, in the same order, each of {@link #schema()}
   */
  List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates);
}
