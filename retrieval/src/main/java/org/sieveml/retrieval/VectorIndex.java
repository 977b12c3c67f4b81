package org.sieveml.retrieval;

import java.util.List;
import java.util.function.Predicate;

/**
 * A k-nearest-neighbour index over fixed-dimension {@code float} embeddings keyed by string ids.
 *
 * <p>Input is validated before any state changes: a null id, a vector of the wrong dimension or
 * containing NaN or infinite components, {@code k <= 0} or {@code ef <= 0} raise {@link
 * IllegalArgumentException} naming the field, the value and what was expected, and leave the index
 * unchanged. {@link #add} rejects an id that is already present; {@link #upsert} replaces it.
 * Vectors are copied on the way in, so callers may reuse their arrays.
 *
 * <p>Thread-safety: implementations in this package are safe for concurrent searches and writes from
 * any number of threads. A search never returns a removed item once {@link #remove} has returned,
 * and never returns a half-written vector. While an existing id is being replaced by {@link #upsert},
 * a concurrent search may briefly see neither the old nor the new vector of that id (see
 * {@link HnswVectorIndex}); every other item is unaffected.
 */
public interface VectorIndex {

  /**
   * Adds a new item.
   *
   * @param id item id, not null
   * @param vector the embedding, of length {@link #dimension()}, finite components
   * @throws IllegalArgumentException if the id is already present or the input is invalid
   */
  void add(String id, float[] vector);

  /**
   * Adds an item or replaces the vector of an existing one.
   *
   * @param id item id, not null
   * @param vector the embedding, of length {@link #dimension()}, finite components
   * @return true if an existing item was replaced
   */
  boolean upsert(String id, float[] vector);

  /**
   * Removes an item.
   *
   * @param id item id, not null
   * @return true if it was present
   */
  boolean remove(String id);

  /**
   * Returns whether an item is present.
   *
   * @param id item id, not null
   * @return true if present
   */
  boolean contains(String id);

  /**
   * Searches the {@code k} nearest items with the index's default search effort.
   *
   * @param query the query embedding, of length {@link #dimension()}
   * @param k how many neighbours to return, positive
   * @return at most {@code k} hits, nearest first
   */
  List<Neighbor> search(float[] query, int k);

  /**
   * Searches the {@code k} nearest items with a per-query search effort {@code ef} (the size of the
   * candidate list of HNSW; exact indexes ignore it). Concurrent queries may use different values.
   *
   * @param query the query embedding, of length {@link #dimension()}
   * @param k how many neighbours to return, positive
   * @param ef search effort, positive; values below {@code k} are raised to {@code k}
   * @return at most {@code k} hits, nearest first
   */
  List<Neighbor> search(float[] query, int k, int ef);

  /**
   * Searches the {@code k} nearest items that pass a filter (e.g. "not seen yet", "in stock", "price
   * below 20"). Implementations choose how: the exact index scans the matching items; the HNSW index
   * estimates the filter's selectivity from a seeded sample and scans every item exactly when few are
   * expected to match, else traverses its graph collecting only passing items (see
   * {@link #filteredSearch} for filters whose matching ids are known). Either way the result holds only
   * passing items.
   *
   * @param query the query embedding, of length {@link #dimension()}
   * @param k how many neighbours to return, positive
   * @param ef search effort, positive (exact indexes ignore it)
   * @param filter which ids may be returned, or null for all; called from the searching thread, must
   *     be thread-safe if searches run concurrently
   * @return at most {@code k} passing hits, nearest first
   */
  List<Neighbor> search(float[] query, int k, int ef, Predicate<String> filter);

  /**
   * Searches the {@code k} nearest items that pass a filter, saying how they were found. With
   * {@link VectorFilter#ids} the index knows the matching items and looks only at them; see
   * {@link VectorFilter} for how each kind is planned.
   *
   * @param query the query embedding, of length {@link #dimension()}
   * @param k how many neighbours to return, positive
   * @param ef search effort, positive (exact indexes ignore it)
   * @param filter which ids may be returned, not null
   * @return the passing hits, nearest first, and whether the answer is exact
   * @throws IllegalArgumentException on a null filter or an invalid query, k or ef
   */
  SearchResult filteredSearch(float[] query, int k, int ef, VectorFilter filter);

  /**
   * Returns the number of live (not removed) items.
   *
   * @return the size
   */
  int size();

  /**
   * Returns the dimension every vector must have.
   *
   * @return the dimension
   */
  int dimension();

  /**
   * Returns the distance metric.
   *
   * @return the metric
   */
  VectorMetric metric();

  /**
   * Returns an estimate of the heap bytes held by the index (vectors, ids, graph links, tombstones).
   *
   * @return estimated bytes
   */
  long ramBytesUsed();
}
