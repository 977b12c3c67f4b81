package org.sieveml.retrieval.internal.hnsw;

import java.util.Arrays;

/**
 * A binary min-heap of {@code long}s, growing as needed: the candidate and result queues of a graph
 * search hold {@link #key(float, int) keys} that pack a distance and a node (a max-heap stores {@code ~key},
 * which reverses the order). After Lucene's {@code LongHeap}/{@code NeighborQueue}. Not thread-safe: one per
 * search.
 */
public final class LongHeap {
  private long[] heap;
  private int size;

  /**
   * An empty heap.
   *
   * @param initialCapacity slots to start with, positive
   */
  public LongHeap(int initialCapacity) {
    heap = new long[Math.max(2, initialCapacity) + 1];
  }

  /**
   * The key of a (distance, node) pair: ordered by distance (any float, negative included), then by node.
   *
   * @param distance the distance
   * @param node the node
   * @return the key
   */
  public static long key(float distance, int node) {
    int bits = Float.floatToIntBits(distance);
    bits ^= (bits >> 31) & 0x7fffffff;
    return ((long) bits << 32) | (node & 0xffffffffL);
  }

  /**
   * The distance of a key.
   *
   * @param key a key
   * @return its distance
   */
  public static float distance(long key) {
    int bits = (int) (key >> 32);
    bits ^= (bits >> 31) & 0x7fffffff;
    return Float.intBitsToFloat(bits);
  }

  /**
   * The node of a key.
   *
   * @param key a key
   * @return its node
   */
  public static int node(long key) {
    return (int) key;
  }

  /**
   * Adds a value.
   *
   * @param value the value
   */
  public void push(long value) {
    if (++size == heap.length) {
      heap = Arrays.copyOf(heap, heap.length * 2);
    }
    int i = size;
    long[] h = heap;
    while (i > 1) {
      int parent = i >>> 1;
      long p = h[parent];
      if (value >= p) {
        break;
      }
      h[i] = p;
      i = parent;
    }
    h[i] = value;
  }

  /**
   * The smallest value; undefined when empty.
   *
   * @return it
   */
  public long peek() {
    return heap[1];
  }

  /**
   * Removes and returns the smallest value; undefined when empty.
   *
   * @return it
   */
  public long pop() {
    long[] h = heap;
    long top = h[1];
    long last = h[size--];
    int n = size;
    int i = 1;
    while (true) {
      int child = i << 1;
      if (child > n) {
        break;
      }
      if (child < n && h[child + 1] < h[child]) {
        child++;
      }
      if (last <= h[child]) {
        break;
      }
      h[i] = h[child];
      i = child;
    }
    h[i] = last;
    return top;
  }

  /**
   * The number of values.
   *
   * @return it
   */
  public int size() {
    return size;
  }

  /** Empties the heap, keeping its storage. */
  public void clear() {
    size = 0;
  }

  /**
   * The values in heap order (not sorted), copied.
   *
   * @return them
   */
  public long[] toArray() {
    return Arrays.copyOfRange(heap, 1, size + 1);
  }
}
