package org.sieveml.ranking;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Offline quality metrics of one ranked list against the items that are relevant for the same
 * request: precision, recall, hit rate, reciprocal rank, average precision and NDCG, each cut at
 * {@code k}.
 *
 * <p>Definitions (positions {@code i} count from 1; {@code rel_i} is 1 if the item at {@code i} is
 * relevant, else 0; {@code R} is the number of relevant items):
 * <ul>
 *   <li>precision@k = (Σ_{i≤k} rel_i) / k
 *   <li>recall@k = (Σ_{i≤k} rel_i) / R
 *   <li>hit rate@k = 1 if any rel_i = 1 for i ≤ k, else 0
 *   <li>reciprocal rank = 1 / (position of the first relevant item), 0 if none (MRR is its mean)
 *   <li>AP@k = Σ_{i≤k} rel_i · precision@i / min(R, k) (MAP@k is its mean)
 *   <li>NDCG@k = DCG@k / IDCG@k with DCG@k = Σ_{i≤k} gain_i / log2(i + 1); binary gains, or graded gains
 *       {@code 2^g - 1} as in Burges et al. (2005) and XGBoost's {@code ndcg}
 * </ul>
 * A request with no relevant item has no defined recall, AP or NDCG: those return {@link Double#NaN},
 * which averaging code should skip (as most evaluation tools do). A ranked list must not contain the
 * same item twice. Stateless and thread-safe.
 */
public final class RankingMetrics {

  private RankingMetrics() {}

  /**
   * Precision at k.
   *
   * @param ranked item ids, best first; shorter than k counts the missing positions as misses
   * @param relevant the relevant item ids
   * @param k the cut-off, positive
   * @return hits in the top k divided by k
   */
  public static double precisionAtK(List<String> ranked, Set<String> relevant, int k) {
    return hits(ranked, relevant, k) / (double) k;
  }

  /**
   * Recall at k.
   *
   * @param ranked item ids, best first
   * @param relevant the relevant item ids
   * @param k the cut-off, positive
   * @return hits in the top k divided by the number of relevant items, or NaN if none is relevant
   */
  public static double recallAtK(List<String> ranked, Set<String> relevant, int k) {
    int h = hits(ranked, relevant, k);
    return relevant.isEmpty() ? Double.NaN : h / (double) relevant.size();
  }

  /**
   * Hit rate at k.
   *
   * @param ranked item ids, best first
   * @param relevant the relevant item ids
   * @param k the cut-off, positive
   * @return 1 if any of the top k is relevant, else 0
   */
  public static double hitRateAtK(List<String> ranked, Set<String> relevant, int k) {
    return hits(ranked, relevant, k) > 0 ? 1.0 : 0.0;
  }

  /**
   * Reciprocal rank of the first relevant item (over the whole list).
   *
   * @param ranked item ids, best first
   * @param relevant the relevant item ids
   * @return 1/position of the first hit, or 0 if there is none
   */
  public static double reciprocalRank(List<String> ranked, Set<String> relevant) {
    check(ranked, relevant, 1);
    for (int i = 0; i < ranked.size(); i++) {
      if (relevant.contains(ranked.get(i))) {
        return 1.0 / (i + 1);
      }
    }
    return 0.0;
  }

  /**
   * Average precision at k.
   *
   * @param ranked item ids, best first
   * @param relevant the relevant item ids
   * @param k the cut-off, positive
   * @return AP@k, or NaN if none is relevant
   */
  public static double averagePrecisionAtK(List<String> ranked, Set<String> relevant, int k) {
    check(ranked, relevant, k);
    if (relevant.isEmpty()) {
      return Double.NaN;
    }
    int h = 0;
    double sum = 0;
    int n = Math.min(k, ranked.size());
    for (int i = 0; i < n; i++) {
      if (relevant.contains(ranked.get(i))) {
        h++;
        sum += h / (double) (i + 1);
      }
    }
    return sum / Math.min(relevant.size(), k);
  }

  /**
   * NDCG at k with binary relevance.
   *
   * @param ranked item ids, best first
   * @param relevant the relevant item ids
   * @param k the cut-off, positive
   * @return NDCG@k in [0, 1], or NaN if none is relevant
   */
  public static double ndcgAtK(List<String> ranked, Set<String> relevant, int k) {
    check(ranked, relevant, k);
    if (relevant.isEmpty()) {
      return Double.NaN;
    }
    double dcg = 0;
    int n = Math.min(k, ranked.size());
    for (int i = 0; i < n; i++) {
      if (relevant.contains(ranked.get(i))) {
        dcg += discount(i);
      }
    }
    double idcg = 0;
    for (int i = 0; i < Math.min(k, relevant.size()); i++) {
      idcg += discount(i);
    }
    return dcg / idcg;
  }

  /**
   * NDCG at k with graded relevance and exponential gain {@code 2^g - 1}.
   *
   * @param ranked item ids, best first
   * @param grades relevance grade per item id ({@code >= 0}); absent items have grade 0
   * @param k the cut-off, positive
   * @return NDCG@k in [0, 1], or NaN if no item has a positive grade
   * @throws IllegalArgumentException if a grade is negative or NaN
   */
  public static double ndcgAtK(List<String> ranked, Map<String, Double> grades, int k) {
    if (grades == null) {
      throw new IllegalArgumentException("grades must not be null");
    }
    check(ranked, grades.keySet(), k);
    double[] ideal = grades.entrySet().stream()
        .peek(e -> {
          if (!(e.getValue() >= 0)) {
            throw new IllegalArgumentException(
                "grade of item '" + e.getKey() + "' must be >= 0, was " + e.getValue());
          }
        })
        .mapToDouble(Map.Entry::getValue)
        .filter(g -> g > 0)
        .map(g -> -g)
        .sorted()
        .map(g -> -g)
        .toArray();
    if (ideal.length == 0) {
      return Double.NaN;
    }
    double dcg = 0;
    int n = Math.min(k, ranked.size());
    for (int i = 0; i < n; i++) {
      Double g = grades.get(ranked.get(i));
      if (g != null && g > 0) {
        dcg += (Math.pow(2, g) - 1) * discount(i);
      }
    }
    double idcg = 0;
    for (int i = 0; i < Math.min(k, ideal.length); i++) {
      idcg += (Math.pow(2, ideal[i]) - 1) * discount(i);
    }
    return dcg / idcg;
  }

  /** 1 / log2(position + 1) for the zero-based index {@code i}. */
  private static double discount(int i) {
    return 1.0 / (Math.log(i + 2) / Math.log(2));
  }

  private static int hits(List<String> ranked, Set<String> relevant, int k) {
    check(ranked, relevant, k);
    int h = 0;
    int n = Math.min(k, ranked.size());
    for (int i = 0; i < n; i++) {
      if (relevant.contains(ranked.get(i))) {
        h++;
      }
    }
    return h;
  }

  private static void check(List<String> ranked, Set<String> relevant, int k) {
    if (ranked == null) {
      throw new IllegalArgumentException("ranked must not be null");
    }
    if (relevant == null) {
      throw new IllegalArgumentException("relevant must not be null");
    }
    if (k <= 0) {
      throw new IllegalArgumentException("k must be positive, was " + k);
    }
    if (ranked.size() > 1) {
      Set<String> seen = new HashSet<>(ranked.size() * 2);
      for (int i = 0; i < ranked.size(); i++) {
        if (!seen.add(ranked.get(i))) {
          throw new IllegalArgumentException(
              "ranked list has item '" + ranked.get(i) + "' twice (again at position " + (i + 1) + ")");
        }
      }
    }
  }
}
