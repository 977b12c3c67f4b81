package org.sieveml.core.pipeline;

import java.util.List;
import org.sieveml.core.ScoredItem;

/**
 * The last stage: reorders scored items for goals beyond the score (diversity such as MMR,
 * freshness, business rules) and cuts the list to {@code k}.
 *
 * <p>A re-ranker may drop or reorder items and change their scores, but must not invent items: the
 * pipeline rejects an output that contains an item not in its input, or an item twice, and falls back
 * to score order. Implementations must be thread-safe.
 */
public interface ReRanker {

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
   * Re-ranks.
   *
   * @param request the request
   * @param scored every scored candidate, best score first
   * @param k how many items to return at most
   * @return at most {@code k} items, each taken from {@code scored}
   */
  List<ScoredItem> rerank(PipelineRequest request, List<ScoredItem> scored, int k);
}
