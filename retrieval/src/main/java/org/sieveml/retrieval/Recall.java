package org.sieveml.retrieval;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Recall@k of an index against ground truth (usually an {@link ExactVectorIndex} over the same items):
 * the share of the true {@code k} nearest neighbours that the index returns, averaged over queries.
 *
 * <p>Stateless and thread-safe.
 */
public final class Recall {

  private Recall() {}

  /**
   * Measures recall@k.
   *
   * @param index the index under test
   * @param truth the ground-truth index over the same items
   * @param queries the query vectors, not empty
   * @param k neighbours per query, positive
   * @param ef the search effort for {@code index}
   * @return the mean recall in [0, 1]
   * @throws IllegalArgumentException on an empty query set or a bad k
   */
  public static double atK(VectorIndex index, VectorIndex truth, List<float[]> queries, int k, int ef) {
    if (queries == null || queries.isEmpty()) {
      throw new IllegalArgumentException("queries must not be empty, was " + queries);
    }
    if (k <= 0) {
      throw new IllegalArgumentException("k must be positive, was " + k);
    }
    double sum = 0;
    for (float[] q : queries) {
      List<Neighbor> want = truth.search(q, k);
      if (want.isEmpty()) {
        sum += 1;
        continue;
      }
      Set<String> ids = new HashSet<>();
      want.forEach(n -> ids.add(n.id()));
      int hit = 0;
      for (Neighbor n : index.search(q, k, ef)) {
        hit += ids.contains(n.id()) ? 1 : 0;
      }
      sum += hit / (double) want.size();
    }
    return sum / queries.size();
  }
}
