package org.sieveml.retrieval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.retrieval.internal.Checks;

/**
 * Brute-force {@link VectorIndex}: every search scans all items. The ground truth for recall
 * measurements, and the right choice for small collections or small filtered subsets.
 *
 * <p>Thread-safety: thread-safe. Items live in a concurrent map; a search running concurrently with
 * writes sees each item's latest or previous vector, never a partial one (vectors are copied and
 * never mutated).
 */
public final class ExactVectorIndex implements VectorIndex {
  private static final Comparator<Neighbor> FARTHEST_FIRST =
      Comparator.comparingDouble(Neighbor::distance).thenComparing(Neighbor::id).reversed();

  private final int dimension;
  private final VectorMetric metric;
  private final Map<String, float[]> items = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();

  private ExactVectorIndex(int dimension, VectorMetric metric) {
    this.dimension = dimension;
    this.metric = metric;
  }

  /**
   * Creates an empty exact index.
   *
   * @param dimension vector dimension, positive
   * @param metric distance metric, not null
   * @return the index
   */
  public static ExactVectorIndex create(int dimension, VectorMetric metric) {
    Checks.positive("dimension", dimension);
    if (metric == null) {
      throw new IllegalArgumentException("metric must not be null");
    }
    return new ExactVectorIndex(dimension, metric);
  }

  private long itemBytes(String id) {
    return Checks.idBytes(id) + 16L + 4L * dimension + 48L;
  }

  @Override
  public void add(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension);
    if (items.putIfAbsent(id, v) != null) {
      throw new IllegalArgumentException("id '" + id + "' is already present, expected a new id");
    }
    bytes.addAndGet(itemBytes(id));
  }

  @Override
  public boolean upsert(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension);
    boolean replaced = items.put(id, v) != null;
    if (!replaced) {
      bytes.addAndGet(itemBytes(id));
    }
    return replaced;
  }

  @Override
  public boolean remove(String id) {
    Checks.id(id);
    boolean removed = items.remove(id) != null;
    if (removed) {
      bytes.addAndGet(-itemBytes(id));
    }
    return removed;
  }

  @Override
  public boolean contains(String id) {
    return items.containsKey(Checks.id(id));
  }

  @Override
  public List<Neighbor> search(float[] query, int k) {
    return search(query, k, k);
  }

  @Override
  public List<Neighbor> search(float[] query, int k, int ef) {
    float[] q = Checks.vector("query", query, dimension);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    PriorityQueue<Neighbor> heap = new PriorityQueue<>(k + 1, FARTHEST_FIRST);
    for (Map.Entry<String, float[]> e : items.entrySet()) {
      float d = metric.distance(q, e.getValue());
      if (heap.size() < k) {
        heap.add(new Neighbor(e.getKey(), d));
      } else if (d < heap.peek().distance()) {
        heap.poll();
        heap.add(new Neighbor(e.getKey(), d));
      }
    }
    List<Neighbor> out = new ArrayList<>(heap);
    out.sort(Collections.reverseOrder(FARTHEST_FIRST));
    return Collections.unmodifiableList(out);
  }

  @Override
  public int size() {
    return items.size();
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public VectorMetric metric() {
    return metric;
  }

  @Override
  public long ramBytesUsed() {
    return 64L + bytes.get();
  }
}
