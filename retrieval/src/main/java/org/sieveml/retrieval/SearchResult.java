package org.sieveml.retrieval;

import java.util.List;

/**
 * The answer to a filtered search: the neighbours, nearest first (ties by id), and how they were found.
 *
 * <p>Thread-safety: immutable.
 *
 * @param neighbors the neighbours, at most k, nearest first; unmodifiable
 * @param exact true when every matching item was compared with the query (the answer is the exact
 *     top-k), false when it came from the graph (approximate)
 * @param visited how many distances the search computed
 */
public record SearchResult(List<Neighbor> neighbors, boolean exact, int visited) {
  /**
   * Validates and copies.
   *
   * @param neighbors the neighbours
   * @param exact whether exact
   * @param visited distances computed
   */
  public SearchResult {
    neighbors = List.copyOf(neighbors);
    if (visited < 0) {
      throw new IllegalArgumentException("visited is " + visited + ", expected >= 0");
    }
  }
}
