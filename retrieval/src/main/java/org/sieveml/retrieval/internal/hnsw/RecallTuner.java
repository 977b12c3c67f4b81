package org.sieveml.retrieval.internal.hnsw;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Finds the smallest search ef whose recall@k against exact search reaches an aim: doubling from k, then
 * bisection. Queries are either the host's or a seeded sample of stored vectors, each searched with its
 * own node excluded from both the result and the ground truth (a vector finding itself at distance 0
 * would inflate recall). Stateless.
 */
public final class RecallTuner {

  private RecallTuner() {}

  /**
   * What was measured.
   *
   * @param ef the chosen ef (or the largest tried when the aim was not reached)
   * @param recall the recall@k at that ef
   * @param k the k
   * @param queries queries measured
   * @param reached whether the aim was reached
   */
  public record Result(int ef, double recall, int k, int queries, boolean reached) {}

  /**
   * Tunes on a seeded sample of stored vectors.
   *
   * @param g the graph
   * @param aim the recall to reach
   * @param k the k
   * @param maxQueries how many stored vectors to sample at most
   * @param seed the sample's seed
   * @return what was measured
   */
  public static Result onSample(HnswGraph g, double aim, int k, int maxQueries, long seed) {
    int n = g.nodeCount();
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (g.published(i) && !g.isDeleted(i)) {
        live.add(i);
      }
    }
    if (live.size() < 2) {
      return null;
    }
    List<float[]> queries = new ArrayList<>();
    List<Integer> self = new ArrayList<>();
    if (live.size() <= maxQueries) {
      for (int node : live) {
        queries.add(g.vector(node));
        self.add(node);
      }
    } else {
      SplittableRandom rnd = new SplittableRandom(seed ^ live.size());
      java.util.BitSet picked = new java.util.BitSet(live.size());
      while (picked.cardinality() < maxQueries) {
        picked.set(rnd.nextInt(live.size()));
      }
      for (int i = picked.nextSetBit(0); i >= 0; i = picked.nextSetBit(i + 1)) {
        int node = live.get(i);
        queries.add(g.vector(node));
        self.add(node);
      }
    }
    return tune(g, aim, Math.min(k, live.size() - 1), queries, self, live.size());
  }

  /**
   * Tunes on the host's queries.
   *
   * @param g the graph
   * @param aim the recall to reach
   * @param k the k
   * @param queries prepared queries
   * @return what was measured
   */
  public static Result onQueries(HnswGraph g, double aim, int k, List<float[]> queries) {
    int live = g.size();
    if (live < 1) {
      return null;
    }
    List<Integer> self = new ArrayList<>();
    for (int i = 0; i < queries.size(); i++) {
      self.add(-1);
    }
    return tune(g, aim, Math.min(k, live), queries, self, live);
  }

  private static Result tune(HnswGraph g, double aim, int k, List<float[]> queries, List<Integer> self, int live) {
    // the k-th true distance per query: a result at or within it counts as a hit (ann-benchmarks' rule), so
    // ties at the k-th distance (integer-valued data such as MNIST's pixels has many) are not misses
    float[] kth = new float[queries.size()];
    int[] sizes = new int[queries.size()];
    for (int q = 0; q < queries.size(); q++) {
      int skip = self.get(q);
      long[] keys = g.exact(queries.get(q), k, node -> node != skip, null);
      sizes[q] = keys.length;
      kth[q] = keys.length == 0 ? Float.NEGATIVE_INFINITY : LongHeap.distance(keys[keys.length - 1]);
    }
    int lo = k;
    double r = recallAt(g, lo, k, queries, self, kth, sizes);
    if (r >= aim) {
      return new Result(lo, r, k, queries.size(), true);
    }
    int hi = lo;
    double rHi = r;
    while (rHi < aim && hi < live) {
      lo = hi;
      hi = (int) Math.min(live, 2L * hi);
      rHi = recallAt(g, hi, k, queries, self, kth, sizes);
    }
    if (rHi < aim) {
      return new Result(hi, rHi, k, queries.size(), false);
    }
    while (hi - lo > 1) { // recall(lo) < aim <= recall(hi)
      int mid = (lo + hi) >>> 1;
      double rm = recallAt(g, mid, k, queries, self, kth, sizes);
      if (rm >= aim) {
        hi = mid;
        rHi = rm;
      } else {
        lo = mid;
      }
    }
    return new Result(hi, rHi, k, queries.size(), true);
  }

  private static double recallAt(HnswGraph g, int ef, int k, List<float[]> queries, List<Integer> self, float[] kth,
      int[] sizes) {
    long hits = 0;
    long total = 0;
    for (int q = 0; q < queries.size(); q++) {
      int skip = self.get(q);
      long[] got = g.search(queries.get(q), Math.max(ef, k), null, Integer.MAX_VALUE, skip).keys();
      float limit = kth[q] + 4 * Math.ulp(kth[q]);
      for (int i = 0; i < Math.min(sizes[q], got.length); i++) {
        hits += LongHeap.distance(got[i]) <= limit ? 1 : 0;
      }
      total += sizes[q];
    }
    return total == 0 ? 1.0 : (double) hits / total;
  }
}
