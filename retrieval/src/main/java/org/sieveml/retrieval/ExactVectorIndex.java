package org.sieveml.retrieval;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.retrieval.internal.Checks;
import org.sieveml.retrieval.internal.IndexDistance;
import org.sieveml.retrieval.internal.TopK;

/**
 * Brute-force {@link VectorIndex}: every search scans all items. The ground truth for recall
 * measurements, and the right choice for small collections or small filtered subsets.
 *
 * <p>Thread-safety: thread-safe. Items live in a concurrent map; a search running concurrently with
 * writes sees each item's latest or previous vector, never a partial one (vectors are copied and
 * never mutated).
 */
public final class ExactVectorIndex implements VectorIndex {

  private final int dimension;
  private final VectorMetric metric;
  private final IndexDistance distance;
  private final Map<String, float[]> items = new ConcurrentHashMap<>();
  private final AtomicLong bytes = new AtomicLong();

  private ExactVectorIndex(int dimension, VectorMetric metric) {
    this.dimension = dimension;
    this.metric = metric;
    this.distance = IndexDistance.of(metric);
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
    float[] v = Checks.vector("vector", vector, dimension, metric);
    if (items.putIfAbsent(id, v) != null) {
      throw new IllegalArgumentException("id '" + id + "' is already present, expected a new id");
    }
    bytes.addAndGet(itemBytes(id));
  }

  @Override
  public boolean upsert(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension, metric);
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
    return search(query, k, ef, null);
  }

  @Override
  public List<Neighbor> search(float[] query, int k, int ef, Predicate<String> filter) {
    float[] q = Checks.vector("query", query, dimension, metric);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    TopK top = new TopK(k);
    for (Map.Entry<String, float[]> e : items.entrySet()) {
      if (filter == null || filter.test(e.getKey())) {
        top.offer(e.getKey(), distance.distance(q, e.getValue()));
      }
    }
    return top.result();
  }

  @Override
  public SearchResult filteredSearch(float[] query, int k, int ef, VectorFilter filter) {
    if (filter == null) {
      throw new IllegalArgumentException("filter must not be null");
    }
    float[] q = Checks.vector("query", query, dimension, metric);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    TopK top = new TopK(k);
    int visited = 0;
    if (filter.idSet() != null) {
      for (String id : filter.idSet()) {
        float[] v = items.get(id);
        if (v != null) {
          top.offer(id, distance.distance(q, v));
          visited++;
        }
      }
    } else {
      for (Map.Entry<String, float[]> e : items.entrySet()) {
        if (filter.test(e.getKey())) {
          top.offer(e.getKey(), distance.distance(q, e.getValue()));
          visited++;
        }
      }
    }
    return new SearchResult(top.result(), true, visited);
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
