package org.sieveml.core.pipeline;

import java.util.List;
import java.util.function.BiFunction;
import org.sieveml.core.Candidate;

/**
 * The first stage: proposes items for a request (ANN search over embeddings, popularity, rules,
 * co-occurrence...).
 *
 * <p>Implementations must be thread-safe: a pipeline calls them concurrently for concurrent
 * requests.
 */
public interface CandidateGenerator {

  /**
   * A short, stable name; candidates from this generator carry it as their
   * {@linkplain Candidate#source() source}, and telemetry uses it in metric names.
   *
   * @return the name, non-blank and unique within a pipeline
   */
  String name();

  /**
   * Proposes up to {@code limit} candidates, best first. Returning more is tolerated (the pipeline
   * truncates); returning null is treated as a failure.
   *
   * @param request the request
   * @param limit the most candidates this source may contribute (its quota)
   * @return candidates in this source's rank order; their source should be {@link #name()}
   */
  List<Candidate> generate(PipelineRequest request, int limit);

  /**
   * A generator from a name and a function, for small generators and tests.
   *
   * @param name the generator's name
   * @param fn computes candidates from the request and the limit
   * @return the generator; thread-safe if {@code fn} is
   */
  static CandidateGenerator of(String name, BiFunction<PipelineRequest, Integer, List<Candidate>> fn) {
    if (name == null || fn == null) {
      throw new IllegalArgumentException("name and fn must not be null, were " + name + " and " + fn);
    }
    return new CandidateGenerator() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<Candidate> generate(PipelineRequest request, int limit) {
        return fn.apply(request, limit);
      }

      @Override
      public String toString() {
        return "CandidateGenerator{" + name + "}";
      }
    };
  }
}
