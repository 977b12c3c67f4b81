package org.sieveml.core.pipeline;

import java.util.List;
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
}
