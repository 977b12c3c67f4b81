package org.sieveml.retrieval;

import com.github.jelmerk.hnswlib.core.DistanceFunction;
import com.github.jelmerk.hnswlib.core.SearchResult;
import com.github.jelmerk.hnswlib.core.hnsw.HnswIndex;
import com.github.jelmerk.hnswlib.core.hnsw.SizeLimitExceededException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.sieveml.retrieval.internal.Checks;
import org.sieveml.retrieval.internal.HnswItem;
import org.sieveml.retrieval.internal.TopK;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approximate {@link VectorIndex} on the HNSW graph of hnswlib-core (Malkov and Yashunin).
 *
 * <p>Search effort is chosen per query ({@link #search(float[], int, int)}) without touching shared
 * state, so concurrent queries with different {@code ef} never interfere (hnswlib's own {@code
 * setEf} is global). Removal and replacement leave a tombstone in the graph, as in hnswlib: the node
 * still routes searches but is never returned; {@link #tombstones()} counts them and {@link
 * #ramBytesUsed()} includes them. Capacity grows automatically (doubling) when full.
 *
 * <p>Thread-safety: thread-safe. Searches, adds, upserts and removes run concurrently (hnswlib locks
 * per node); writes to the same id are serialised; capacity growth briefly excludes other
 * operations. During an {@link #upsert} of an existing id with a new vector a concurrent search may
 * see the old vector, the new one, or (briefly) neither.
 */
public final class HnswVectorIndex implements VectorIndex {
  private static final Logger LOG = LoggerFactory.getLogger(HnswVectorIndex.class);
  private static final int STRIPES = 64;

  private final int dimension;
  private final VectorMetric metric;
  private final int m;
  private final int efConstruction;
  private final int defaultEf;
  private final HnswIndex<String, float[], HnswItem, Float> index;
  private final ReentrantReadWriteLock resizeLock = new ReentrantReadWriteLock();
  private final Object[] stripes = new Object[STRIPES];
  private final AtomicLong versions = new AtomicLong();
  private final AtomicLong tombstones = new AtomicLong();
  private final AtomicLong idBytes = new AtomicLong();
  /** Every id ever added (removed ones stay until the index is rebuilt): the sampling frame of the planner. */
  private String[] idLog = new String[64];
  private int idCount;

  private HnswVectorIndex(Builder b) {
    this.dimension = b.dimension;
    this.metric = b.metric;
    this.m = b.m;
    this.efConstruction = b.efConstruction;
    this.defaultEf = b.ef;
    VectorMetric mt = b.metric;
    DistanceFunction<float[], Float> fn = mt::distance;
    this.index =
        HnswIndex.newBuilder(b.dimension, fn, b.initialCapacity)
            .withM(b.m)
            .withEfConstruction(b.efConstruction)
            .withEf(1)
            .withRemoveEnabled()
            .build();
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  /**
   * Starts a builder.
   *
   * @param dimension vector dimension, positive
   * @param metric distance metric, not null
   * @return a builder with hnswlib's defaults (M 16, efConstruction 200, ef 10)
   */
  public static Builder builder(int dimension, VectorMetric metric) {
    return new Builder(dimension, metric);
  }

  private Object stripe(String id) {
    return stripes[(id.hashCode() & 0x7fffffff) % STRIPES];
  }

  private void insert(HnswItem item) {
    while (true) {
      resizeLock.readLock().lock();
      try {
        index.add(item);
        return;
      } catch (SizeLimitExceededException full) {
        // fall through to grow
      } finally {
        resizeLock.readLock().unlock();
      }
      grow();
    }
  }

  private void grow() {
    resizeLock.writeLock().lock();
    try {
      int current = index.getMaxItemCount();
      if (index.size() + tombstones.get() < current) {
        return; // another thread already grew it
      }
      int next = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(16L, current * 2L));
      if (next <= current) {
        throw new IllegalStateException("index capacity " + current + " cannot grow further");
      }
      LOG.debug("growing HNSW capacity from {} to {}", current, next);
      index.resize(next);
    } finally {
      resizeLock.writeLock().unlock();
    }
  }

  @Override
  public void add(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension);
    synchronized (stripe(id)) {
      if (index.get(id).isPresent()) {
        throw new IllegalArgumentException("id '" + id + "' is already present, expected a new id");
      }
      insert(new HnswItem(id, v, versions.incrementAndGet()));
      idBytes.addAndGet(Checks.idBytes(id));
      logId(id);
    }
  }

  @Override
  public boolean upsert(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension);
    synchronized (stripe(id)) {
      long version = versions.incrementAndGet();
      boolean existed = index.get(id).isPresent();
      if (existed) {
        index.remove(id, version);
        tombstones.incrementAndGet();
      }
      insert(new HnswItem(id, v, version));
      idBytes.addAndGet(Checks.idBytes(id));
      if (!existed) {
        logId(id);
      }
      return existed;
    }
  }

  @Override
  public boolean remove(String id) {
    Checks.id(id);
    synchronized (stripe(id)) {
      boolean removed = index.remove(id, versions.incrementAndGet());
      if (removed) {
        tombstones.incrementAndGet();
      }
      return removed;
    }
  }

  @Override
  public boolean contains(String id) {
    return index.get(Checks.id(id)).isPresent();
  }

  @Override
  public List<Neighbor> search(float[] query, int k) {
    return search(query, k, defaultEf);
  }

  @Override
  public List<Neighbor> search(float[] query, int k, int ef) {
    float[] q = Checks.vector("query", query, dimension);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    List<SearchResult<HnswItem, Float>> raw;
    resizeLock.readLock().lock();
    try {
      // hnswlib searches layer 0 with max(ef, k'): passing k' = max(k, ef) is a per-query ef.
      raw = index.findNearest(q, Math.max(k, ef));
    } finally {
      resizeLock.readLock().unlock();
    }
    List<Neighbor> out = new ArrayList<>(Math.min(k, raw.size()));
    for (SearchResult<HnswItem, Float> r : raw) {
      out.add(new Neighbor(r.item().id(), r.distance()));
    }
    out.sort(
        (a, b) -> {
          int c = Float.compare(a.distance(), b.distance());
          return c != 0 ? c : a.id().compareTo(b.id());
        });
    return Collections.unmodifiableList(out.size() > k ? new ArrayList<>(out.subList(0, k)) : out);
  }

  /** Matches below this many are searched exactly; above, the graph with over-fetch. */
  static final int EXACT_MAX_MATCHES = 2_000;
  private static final int SAMPLE = 512;

  @Override
  public List<Neighbor> search(float[] query, int k, int ef, Predicate<String> filter) {
    if (filter == null) {
      return search(query, k, ef);
    }
    float[] q = Checks.vector("query", query, dimension);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    int n = size();
    if (n == 0) {
      return List.of();
    }
    double selectivity = estimateSelectivity(filter);
    if (selectivity * n <= EXACT_MAX_MATCHES) {
      return exact(q, k, filter);
    }
    // over-fetch in proportion to 1/selectivity (with margin), doubling until k pass or all are seen
    long fetch = Math.max(k, (long) Math.ceil(1.5 * k / selectivity));
    while (true) {
      int f = (int) Math.min(n, fetch);
      List<SearchResult<HnswItem, Float>> raw;
      resizeLock.readLock().lock();
      try {
        raw = index.findNearest(q, Math.max(f, ef));
      } finally {
        resizeLock.readLock().unlock();
      }
      TopK top = new TopK(k);
      int passed = 0;
      for (SearchResult<HnswItem, Float> r : raw) {
        if (filter.test(r.item().id())) {
          top.offer(r.item().id(), r.distance());
          passed++;
        }
      }
      if (passed >= k) {
        return top.result();
      }
      if (f >= n) {
        return exact(q, k, filter); // the graph could not supply k passing items: answer exactly
      }
      fetch *= 2;
    }
  }

  private List<Neighbor> exact(float[] q, int k, Predicate<String> filter) {
    TopK top = new TopK(k);
    for (HnswItem item : index.items()) {
      if (filter.test(item.id())) {
        top.offer(item.id(), metric.distance(q, item.vector()));
      }
    }
    return top.result();
  }

  /** The share of live items passing the filter, from up to {@value #SAMPLE} random ids; at least 1e-4. */
  private double estimateSelectivity(Predicate<String> filter) {
    String[] log;
    int count;
    synchronized (this) {
      log = idLog;
      count = idCount;
    }
    java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
    int live = 0;
    int pass = 0;
    for (int i = 0; i < SAMPLE * 2 && live < SAMPLE; i++) {
      String id = log[count <= SAMPLE ? i % Math.max(1, count) : rnd.nextInt(count)];
      if (id == null || !index.get(id).isPresent()) {
        continue;
      }
      live++;
      pass += filter.test(id) ? 1 : 0;
      if (count <= SAMPLE && i + 1 >= count) {
        break; // a small index: every id looked at once
      }
    }
    if (live == 0) {
      return 1.0;
    }
    // add-half smoothing: a sample with no hit does not claim that nothing matches
    return Math.max(1e-4, Math.min(1.0, (pass + 0.5) / (live + 1.0)));
  }

  private synchronized void logId(String id) {
    if (idCount == idLog.length) {
      idLog = java.util.Arrays.copyOf(idLog, idLog.length * 2);
    }
    idLog[idCount++] = id;
  }

  @Override
  public int size() {
    return index.size();
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public VectorMetric metric() {
    return metric;
  }

  /**
   * Returns how many removed or replaced nodes still sit in the graph.
   *
   * @return the tombstone count
   */
  public long tombstones() {
    return tombstones.get();
  }

  /**
   * Returns the current capacity (live items plus tombstones) before the index grows.
   *
   * @return capacity
   */
  public int capacity() {
    return index.getMaxItemCount();
  }

  /**
   * Returns the maximum number of links per node on upper layers ({@code 2*M} on layer 0).
   *
   * @return M
   */
  public int m() {
    return m;
  }

  /**
   * Returns the construction-time search effort.
   *
   * @return efConstruction
   */
  public int efConstruction() {
    return efConstruction;
  }

  /**
   * Returns the search effort used by {@link #search(float[], int)}.
   *
   * @return the default ef
   */
  public int defaultEf() {
    return defaultEf;
  }

  @Override
  public long ramBytesUsed() {
    long nodes = index.size() + tombstones.get();
    // per node: vector array, item object, layer-0 links (2M ints, as hnswlib's IntArrayList),
    // expected upper-layer links (M ints with probability 1/M summed ~ M/(M-1)), node object.
    long perNode = 16L + 4L * dimension + 32L + (16L + 8L * m) + 16L + 4L * m * 2 / Math.max(1, m - 1)
        + 48L;
    long lookup = 64L * nodes; // id -> node map entry
    long sampling;
    synchronized (this) {
      sampling = 16L + 8L * idLog.length; // the planner's id log (the strings are counted in idBytes)
    }
    return 256L + 8L * index.getMaxItemCount() + nodes * perNode + lookup + idBytes.get() + sampling;
  }

  /**
   * Validated configuration of a {@link HnswVectorIndex}.
   *
   * <p>Thread-safety: not thread-safe; confine to one thread.
   */
  public static final class Builder {
    private final int dimension;
    private final VectorMetric metric;
    private int m = 16;
    private int efConstruction = 200;
    private int ef = 10;
    private int initialCapacity = 1024;

    private Builder(int dimension, VectorMetric metric) {
      this.dimension = Checks.positive("dimension", dimension);
      if (metric == null) {
        throw new IllegalArgumentException("metric must not be null");
      }
      this.metric = metric;
    }

    /**
     * Sets M, the number of links per node (2..512; 2*M on layer 0).
     *
     * @param m links per node
     * @return this builder
     */
    public Builder m(int m) {
      if (m < 2 || m > 512) {
        throw new IllegalArgumentException("m is " + m + ", expected 2..512");
      }
      this.m = m;
      return this;
    }

    /**
     * Sets the construction-time search effort (at least 1).
     *
     * @param efConstruction effort
     * @return this builder
     */
    public Builder efConstruction(int efConstruction) {
      this.efConstruction = Checks.positive("efConstruction", efConstruction);
      return this;
    }

    /**
     * Sets the default query-time search effort (at least 1).
     *
     * @param ef effort
     * @return this builder
     */
    public Builder ef(int ef) {
      this.ef = Checks.positive("ef", ef);
      return this;
    }

    /**
     * Sets the initial capacity; the index doubles it when full.
     *
     * @param initialCapacity capacity, positive
     * @return this builder
     */
    public Builder initialCapacity(int initialCapacity) {
      this.initialCapacity = Checks.positive("initialCapacity", initialCapacity);
      return this;
    }

    /**
     * Builds an empty index.
     *
     * @return the index
     */
    public HnswVectorIndex build() {
      return new HnswVectorIndex(this);
    }
  }
}
