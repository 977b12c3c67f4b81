package org.sieveml.core.pipeline;

import java.util.List;
import java.util.function.BiFunction;
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

  /**
   * Fetches features like {@link #fetch}, and reports what a replay needs to read the same values
   * again: the entity key read per candidate, each value's {@link ServedStatus} and the time of the read.
   * A pipeline with a {@link ServingLog} calls this instead of {@link #fetch} for the requests it logs;
   * its vectors must be exactly those {@link #fetch} would return.
   *
   * <p>The default calls {@link #fetch} and reports every status {@link ServedStatus#UNKNOWN}, no keys
   * and no read time.
   *
   * @param request the request
   * @param candidates the merged candidates, not empty
   * @return the fetch; its vectors obey {@link #fetch}'s contract
   */
  default FeatureFetch fetchWithStatus(PipelineRequest request, List<Candidate> candidates) {
    return FeatureFetch.of(fetch(request, candidates));
  }

  /**
   * A feature source from a name, a schema and a function, for small sources and tests.
   *
   * @param name the source's name
   * @param schema the schema of every vector {@code fn} returns
   * @param fn fetches one vector per candidate
   * @return the source; thread-safe if {@code fn} is
   */
  static FeatureSource of(
      String name, FeatureSchema schema, BiFunction<PipelineRequest, List<Candidate>, List<FeatureVector>> fn) {
    if (name == null || schema == null || fn == null) {
      throw new IllegalArgumentException("name, schema and fn must not be null");
    }
    return new FeatureSource() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public FeatureSchema schema() {
        return schema;
      }

      @Override
      public List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates) {
        return fn.apply(request, candidates);
      }
    };
  }
}
