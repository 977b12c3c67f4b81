package org.sieveml.examples;

/**
 * The {@code k} best entries of a stream of (key, score) pairs, in primitive arrays and without
 * allocation after construction: a bounded min-heap ordered by score, ties broken towards the smaller
 * key (so the result depends on the entries only, not on their order). Used by the auto-suggest case
 * study to pick the top completions of a prefix range.
 *
 * <p>Not thread-safe: one instance per thread.
 */
final class TopK {
  private final int capacity;
  private final int[] keys;
  private final double[] scores;
  private int size;

  TopK(int capacity) {
    this.capacity = capacity;
    this.keys = new int[capacity];
    this.scores = new double[capacity];
  }

  void clear() {
    size = 0;
  }

  int size() {
    return size;
  }

  /** true when (s1, k1) ranks below (s2, k2). */
  private static boolean worse(double s1, int k1, double s2, int k2) {
    return s1 < s2 || (s1 == s2 && k1 > k2);
  }

  void offer(int key, double score) {
    if (size < capacity) {
      int i = size++;
      keys[i] = key;
      scores[i] = score;
      while (i > 0) {
        int p = (i - 1) >> 1;
        if (!worse(scores[i], keys[i], scores[p], keys[p])) {
          break;
        }
        swap(i, p);
        i = p;
      }
      return;
    }
    if (capacity == 0 || !worse(scores[0], keys[0], score, key)) {
      return;
    }
    keys[0] = key;
    scores[0] = score;
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      int m = i;
      if (l < size && worse(scores[l], keys[l], scores[m], keys[m])) {
        m = l;
      }
      if (l + 1 < size && worse(scores[l + 1], keys[l + 1], scores[m], keys[m])) {
        m = l + 1;
      }
      if (m == i) {
        return;
      }
      swap(i, m);
      i = m;
    }
  }

  private void swap(int a, int b) {
    int k = keys[a];
    keys[a] = keys[b];
    keys[b] = k;
    double s = scores[a];
    scores[a] = scores[b];
    scores[b] = s;
  }

  /**
   * Writes the entries best first (insertion sort over at most {@code capacity} entries; the heap is
   * left as it was).
   *
   * @param outKeys at least {@link #size()} long
   * @param outScores at least {@link #size()} long
   * @return the number written
   */
  int sortedInto(int[] outKeys, double[] outScores) {
    for (int i = 0; i < size; i++) {
      int k = keys[i];
      double sc = scores[i];
      int j = i;
      while (j > 0 && worse(outScores[j - 1], outKeys[j - 1], sc, k)) {
        outKeys[j] = outKeys[j - 1];
        outScores[j] = outScores[j - 1];
        j--;
      }
      outKeys[j] = k;
      outScores[j] = sc;
    }
    return size;
  }
}
