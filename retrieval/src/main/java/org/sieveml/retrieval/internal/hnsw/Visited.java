package org.sieveml.retrieval.internal.hnsw;

/**
 * The nodes one search has visited: a stamp per node, so starting a new search costs nothing (after
 * hnswlib's {@code VisitedList}). One per thread, reused across searches of any graph. Not
 * thread-safe.
 */
final class Visited {
  private static final ThreadLocal<Visited> PER_THREAD = ThreadLocal.withInitial(Visited::new);

  private int[] marks = new int[1 << 10];
  /** The query search's queues, reused by this thread (insertion allocates its own). */
  final LongHeap candidates = new LongHeap(256);
  final LongHeap results = new LongHeap(256);
  /** A node's unvisited neighbours, their states and distances (the search's two-pass expansion). */
  int[] fresh = new int[64];
  int[] states = new int[64];
  float[] dists = new float[64];

  void ensureScratch(int n) {
    if (fresh.length < n) {
      fresh = new int[n];
      states = new int[n];
      dists = new float[n];
    }
  }
  private int stamp;

  /**
   * This thread's set, emptied for a search over nodes below {@code limit}.
   *
   * @param limit one above the largest node the search may visit
   * @return the set
   */
  static Visited forSearch(int limit) {
    Visited v = PER_THREAD.get();
    if (v.marks.length < limit) {
      v.marks = new int[Math.max(limit, v.marks.length + (v.marks.length >> 1))];
      v.stamp = 0;
    }
    if (++v.stamp == 0) {
      java.util.Arrays.fill(v.marks, 0);
      v.stamp = 1;
    }
    return v;
  }

  /**
   * Marks a node.
   *
   * @param node the node, below the limit
   * @return true when it was not visited before
   */
  boolean visit(int node) {
    if (marks[node] == stamp) {
      return false;
    }
    marks[node] = stamp;
    return true;
  }
}
