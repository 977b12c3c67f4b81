package org.sieveml.core.pipeline;

import java.util.List;
import java.util.function.ToDoubleFunction;
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
   * The version of the model this scorer runs, as the host's model store names it, recorded with every
   * request a {@link ServingLog} logs so that a replay can load the same model. A ranker loaded from
   * SieveML's model registry reports {@code <name>@v<version>}.
   *
   * @return the version, or the empty string when unknown (the default)
   */
  default String version() {
    return "";
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

  /**
   * A scorer that scores each candidate independently from its feature vector, for small models and
   * tests.
   *
   * @param name the scorer's name
   * @param inputSchema the features {@code fn} reads
   * @param fn the score of one candidate's features
   * @return the scorer; thread-safe if {@code fn} is
   */
  static Scorer of(String name, FeatureSchema inputSchema, ToDoubleFunction<FeatureVector> fn) {
    if (name == null || inputSchema == null || fn == null) {
      throw new IllegalArgumentException("name, inputSchema and fn must not be null");
    }
    return new Scorer() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public FeatureSchema inputSchema() {
        return inputSchema;
      }

      @Override
      public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
        double[] out = new double[features.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = fn.applyAsDouble(features.get(i));
        }
        return out;
      }
    };
  }
}
