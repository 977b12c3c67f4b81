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
import org.sieveml.retrieval.internal.IndexDistance;
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
  private final IndexDistance exactDistance;
  private final int m;
  private final int efConstruction;
  private volatile int defaultEf;
  private volatile Tuning tuning;
  private volatile HnswIndex<String, float[], HnswItem, Float> index;
  private final ReentrantReadWriteLock resizeLock = new ReentrantReadWriteLock();
  /** Writers share the read side; a compaction takes the write side (readers are never blocked by it). */
  private final ReentrantReadWriteLock writeGate = new ReentrantReadWriteLock();
  private final AtomicLong compactions = new AtomicLong();
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
    this.exactDistance = IndexDistance.of(b.metric);
    this.m = b.m;
    this.efConstruction = b.efConstruction;
    this.defaultEf = b.ef;
    this.index = newGraph(b.initialCapacity);
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  /**
   * Starts a builder.
   *
   * @param dimension vector dimension, positive
   * @param metric distance metric, not null
   * @return a builder with M 16 and efConstruction 200 (hnswlib's defaults) and ef 24 (hnswlib uses 10,
   *     which gave recall@10 of 0.952 on MNIST here, 24 gives 0.992: see MnistRecallTest)
   */
  public static Builder builder(int dimension, VectorMetric metric) {
    return new Builder(dimension, metric);
  }

  private HnswIndex<String, float[], HnswItem, Float> newGraph(int capacity) {
    IndexDistance d = exactDistance;
    DistanceFunction<float[], Float> fn = d::distance;
    return HnswIndex.newBuilder(dimension, fn, capacity)
        .withM(m)
        .withEfConstruction(efConstruction)
        .withEf(1)
        .withRemoveEnabled()
        .build();
  }

  /** Tombstones above this share of all graph nodes trigger a compaction (with at least 1,024 nodes). */
  static final double COMPACT_THRESHOLD = 0.3;

  private void maybeCompact() {
    long dead = tombstones.get();
    long nodes = index.size() + dead;
    if (nodes >= 1_024 && dead > COMPACT_THRESHOLD * nodes) {
      compact();
    }
  }

  /**
   * Rebuilds the graph from the live items, freeing the slots of removed and replaced items
   * (hnswlib-core's removals are soft and never free a slot). Searches keep running on the old graph
   * until the new one is swapped in; writes wait for the rebuild. Runs automatically when tombstones
   * pass {@value #COMPACT_THRESHOLD} of the nodes.
   */
  public void compact() {
    writeGate.writeLock().lock();
    try {
      HnswIndex<String, float[], HnswItem, Float> old = index;
      java.util.Collection<HnswItem> live = old.items();
      HnswIndex<String, float[], HnswItem, Float> fresh = newGraph(Math.max(16, live.size() * 2));
      try {
        fresh.addAll(live, Math.max(1, Runtime.getRuntime().availableProcessors()), (done, max) -> { }, 10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while compacting the index", e);
      }
      String[] ids = new String[Math.max(64, live.size() * 2)];
      int n = 0;
      for (HnswItem item : live) {
        ids[n++] = item.id();
      }
      synchronized (this) {
        idLog = ids; // removed ids leave the planner's sampling frame too
        idCount = n;
      }
      resizeLock.writeLock().lock();
      try {
        index = fresh;
        long freed = tombstones.getAndSet(0);
        LOG.debug("compacted HNSW index: {} live items, {} tombstones freed", live.size(), freed);
      } finally {
        resizeLock.writeLock().unlock();
      }
      compactions.incrementAndGet();
    } finally {
      writeGate.writeLock().unlock();
    }
  }

  /**
   * How many compactions have run.
   *
   * @return the count
   */
  public long compactions() {
    return compactions.get();
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
    float[] v = Checks.vector("vector", vector, dimension, metric);
    writeGate.readLock().lock();
    try {
      addLocked(id, v);
    } finally {
      writeGate.readLock().unlock();
    }
  }

  private void addLocked(String id, float[] v) {
    synchronized (stripe(id)) {
      if (index.get(id).isPresent()) {
        throw new IllegalArgumentException("id '" + id + "' is already present, expected a new id");
      }
      insert(new HnswItem(id, v, versions.incrementAndGet()));
      idBytes.addAndGet(Checks.idBytes(id));
      logId(id);
    }
  }

  /** Receives bulk-build progress. */
  @FunctionalInterface
  public interface Progress {
    /**
     * Called from the building threads as items are inserted.
     *
     * @param done items inserted so far
     * @param total items to insert
     */
    void update(int done, int total);
  }

  /**
   * Adds many new items with several threads (hnswlib-core's parallel insertion), reporting progress
   * every {@code 1%} of the items or 1,000 items, whichever is more. Every id and vector is validated
   * before anything is inserted; an id already present, or repeated in the input, is refused up front.
   *
   * @param items ids and vectors, in insertion order
   * @param threads building threads, positive
   * @param progress progress receiver, or null
   * @throws IllegalArgumentException on invalid input (nothing is inserted then)
   */
  public void addAll(java.util.Map<String, float[]> items, int threads, Progress progress) {
    Checks.positive("threads", threads);
    List<HnswItem> batch = new ArrayList<>(items.size());
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (java.util.Map.Entry<String, float[]> e : items.entrySet()) {
      String id = Checks.id(e.getKey());
      float[] v = Checks.vector("vector of '" + id + "'", e.getValue(), dimension, metric);
      if (!seen.add(id) || index.get(id).isPresent()) {
        throw new IllegalArgumentException("id '" + id + "' is already present, expected a new id");
      }
      batch.add(new HnswItem(id, v, versions.incrementAndGet()));
    }
    writeGate.readLock().lock();
    try {
      resizeLock.writeLock().lock();
      try {
        int needed = index.size() + (int) tombstones.get() + batch.size();
        if (needed > index.getMaxItemCount()) {
          index.resize(Math.max(needed, index.getMaxItemCount() * 2));
        }
      } finally {
        resizeLock.writeLock().unlock();
      }
      int interval = Math.max(1_000, batch.size() / 100);
      resizeLock.readLock().lock();
      try {
        index.addAll(batch, threads, (done, max) -> {
          if (progress != null) {
            progress.update(done, max);
          }
        }, interval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted during a bulk build", e);
      } finally {
        resizeLock.readLock().unlock();
      }
      for (HnswItem item : batch) {
        idBytes.addAndGet(Checks.idBytes(item.id()));
        logId(item.id());
      }
    } finally {
      writeGate.readLock().unlock();
    }
  }

  @Override
  public boolean upsert(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension, metric);
    boolean existed;
    writeGate.readLock().lock();
    try {
      existed = upsertLocked(id, v);
    } finally {
      writeGate.readLock().unlock();
    }
    if (existed) {
      maybeCompact();
    }
    return existed;
  }

  private boolean upsertLocked(String id, float[] v) {
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
    boolean removed;
    writeGate.readLock().lock();
    try {
      synchronized (stripe(id)) {
        removed = index.remove(id, versions.incrementAndGet());
        if (removed) {
          tombstones.incrementAndGet();
        }
      }
    } finally {
      writeGate.readLock().unlock();
    }
    if (removed) {
      maybeCompact();
    }
    return removed;
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
    float[] q = Checks.vector("query", query, dimension, metric);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    List<SearchResult<HnswItem, Float>> raw;
    resizeLock.readLock().lock();
    try {
      // a k or ef beyond the index's size asks for everything: hnswlib sizes its queues by them
      int all = Math.max(1, index.size());
      k = Math.min(k, all);
      ef = Math.min(ef, all);
      // hnswlib searches layer 0 with max(ef, k'): passing k' = max(k, ef) is a per-query ef.
      raw = index.findNearest(q, Math.max(k, ef));
    } finally {
      resizeLock.readLock().unlock();
    }
    // hnswlib-core returns its results nearest first: keep only the first k (plus any tied with the
    // k-th, so the id tie-break below stays deterministic) instead of wrapping all max(k, ef) of them
    int keep = raw.size();
    if (keep > k && sortedByDistance(raw)) {
      float kth = raw.get(k - 1).distance();
      keep = k;
      while (keep < raw.size() && raw.get(keep).distance() == kth) {
        keep++;
      }
    }
    List<Neighbor> out = new ArrayList<>(keep);
    for (int i = 0; i < keep; i++) {
      SearchResult<HnswItem, Float> r = raw.get(i);
      out.add(new Neighbor(r.item().id(), r.distance()));
    }
    out.sort(
        (a, b) -> {
          int c = Float.compare(a.distance(), b.distance());
          return c != 0 ? c : a.id().compareTo(b.id());
        });
    return Collections.unmodifiableList(out.size() > k ? new ArrayList<>(out.subList(0, k)) : out);
  }

  /**
   * What {@link #tune} measured: the smallest {@code ef} whose recall@{@code k} against exact search
   * reached the target on the tuning queries (or the largest tried, when none did).
   *
   * @param ef the chosen ef, now the index's default
   * @param recall the recall@k measured at that ef on the tuning queries (on a sample of stored
   *     vectors it aims above the target: see {@link #tune(double)})
   * @param targetRecall the target
   * @param k the k of recall@k
   * @param queries how many queries were measured
   * @param reached whether the target was reached
   */
  public record Tuning(int ef, double recall, double targetRecall, int k, int queries, boolean reached) {}

  /** The k of the recall that {@link #tune} measures. */
  public static final int TUNE_K = 10;
  /** How many stored vectors {@link #tune(double)} samples as queries. */
  public static final int TUNE_QUERIES = 200;

  /**
   * Chooses the default {@code ef} from a recall target instead of a number that suits one dataset: the
   * smallest ef whose recall@{@value #TUNE_K} against exact search reaches {@code targetRecall} on a
   * seeded sample of up to {@value #TUNE_QUERIES} stored vectors, each searched with its own id
   * excluded from both the result and the ground truth (a vector finding itself would inflate recall).
   * Recall measured on stored vectors is still optimistic (a stored vector's own links lead to its
   * neighbours), so on this sample the ef must reach half the allowed miss rate: a target of 0.95 asks
   * 0.975 of the sample (measured on random 32-d vectors: 0.975 on the sample gave 0.962 on fresh
   * queries, 0.95 would have given 0.906). Host queries ({@link #tune(double, List)}) are measured as
   * they are.
   * The chosen ef becomes {@link #defaultEf()} (used by {@link #search(float[], int)} and saved with the
   * index); {@link #tuning()} keeps what was measured. Exact search over every item per query: about
   * {@code queries × size × dimension} operations. Thread-safe; concurrent writes may or may not be
   * seen.
   *
   * @param targetRecall the recall to reach, in (0, 1]
   * @return what was measured
   * @throws IllegalArgumentException when the target is outside (0, 1]
   */
  public Tuning tune(double targetRecall) {
    checkTarget(targetRecall);
    List<HnswItem> items = new ArrayList<>(index.items());
    items.sort((a, b) -> a.id().compareTo(b.id()));
    if (items.size() < 2) {
      return setTuning(new Tuning(defaultEf, 1.0, targetRecall, TUNE_K, 0, true));
    }
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(0x7a11_5eedL ^ items.size());
    List<HnswItem> sample = new ArrayList<>();
    if (items.size() <= TUNE_QUERIES) {
      sample.addAll(items);
    } else {
      java.util.Set<Integer> picked = new java.util.TreeSet<>();
      while (picked.size() < TUNE_QUERIES) {
        picked.add(rnd.nextInt(items.size()));
      }
      for (int i : picked) {
        sample.add(items.get(i));
      }
    }
    List<float[]> queries = new ArrayList<>(sample.size());
    List<String> self = new ArrayList<>(sample.size());
    for (HnswItem it : sample) {
      queries.add(it.vector());
      self.add(it.id());
    }
    // a stored vector's own links lead to its neighbours, so recall measured on stored vectors is
    // optimistic: aim at half the allowed miss rate (measured on random 32-d vectors: 0.95 on the
    // sample gave 0.906 on fresh queries, 0.975 gave 0.962)
    return tune(targetRecall, 1 - (1 - targetRecall) / 2, queries, self, items);
  }

  /**
   * As {@link #tune(double)}, on queries the host supplies (a sample of real queries measures the
   * recall its users get).
   *
   * @param targetRecall the recall to reach, in (0, 1]
   * @param queries the queries, of the index's dimension
   * @return what was measured
   * @throws IllegalArgumentException when the target is outside (0, 1], or a query is null, of another
   *     dimension or not finite
   */
  public Tuning tune(double targetRecall, List<float[]> queries) {
    checkTarget(targetRecall);
    if (queries == null || queries.isEmpty()) {
      throw new IllegalArgumentException("queries: " + (queries == null ? "null" : "none") + ", expected at least one");
    }
    List<float[]> qs = new ArrayList<>(queries.size());
    for (int i = 0; i < queries.size(); i++) {
      qs.add(Checks.vector("queries[" + i + "]", queries.get(i), dimension, metric));
    }
    List<HnswItem> items = new ArrayList<>(index.items());
    return tune(targetRecall, targetRecall, qs, java.util.Collections.nCopies(qs.size(), null), items);
  }

  /**
   * The last {@link #tune} result.
   *
   * @return it, or null when the index was never tuned
   */
  public Tuning tuning() {
    return tuning;
  }

  private static void checkTarget(double targetRecall) {
    if (!(targetRecall > 0 && targetRecall <= 1)) {
      throw new IllegalArgumentException("targetRecall is " + targetRecall + ", expected a recall in (0, 1]");
    }
  }

  private Tuning tune(double target, double aim, List<float[]> queries, List<String> self, List<HnswItem> items) {
    int n = items.size();
    int k = Math.min(TUNE_K, Math.max(1, n - 1));
    List<java.util.Set<String>> truth = new ArrayList<>(queries.size());
    for (int q = 0; q < queries.size(); q++) {
      TopK top = new TopK(k);
      String skip = self.get(q);
      for (HnswItem it : items) {
        if (!it.id().equals(skip)) {
          top.offer(it.id(), exactDistance.distance(queries.get(q), it.vector()));
        }
      }
      java.util.Set<String> ids = new java.util.HashSet<>();
      for (Neighbor nb : top.result()) {
        ids.add(nb.id());
      }
      truth.add(ids);
    }
    int lo = k;
    double r = recallAt(lo, k, queries, self, truth);
    if (r >= aim) {
      return setTuning(new Tuning(lo, r, target, k, queries.size(), true));
    }
    int hi = lo;
    double rHi = r;
    while (rHi < aim && hi < n) {
      lo = hi;
      hi = (int) Math.min(n, 2L * hi);
      rHi = recallAt(hi, k, queries, self, truth);
    }
    if (rHi < aim) {
      return setTuning(new Tuning(hi, rHi, target, k, queries.size(), false));
    }
    while (hi - lo > 1) { // recall(lo) < aim <= recall(hi)
      int mid = (lo + hi) >>> 1;
      double rm = recallAt(mid, k, queries, self, truth);
      if (rm >= aim) {
        hi = mid;
        rHi = rm;
      } else {
        lo = mid;
      }
    }
    return setTuning(new Tuning(hi, rHi, target, k, queries.size(), true));
  }

  private Tuning setTuning(Tuning t) {
    defaultEf = t.ef();
    tuning = t;
    return t;
  }

  private double recallAt(int ef, int k, List<float[]> queries, List<String> self, List<java.util.Set<String>> truth) {
    long hits = 0;
    long total = 0;
    for (int q = 0; q < queries.size(); q++) {
      String skip = self.get(q);
      List<Neighbor> got = search(queries.get(q), skip == null ? k : k + 1, Math.max(ef, k + 1));
      int taken = 0;
      for (Neighbor nb : got) {
        if (taken == k) {
          break;
        }
        if (nb.id().equals(skip)) {
          continue;
        }
        taken++;
        hits += truth.get(q).contains(nb.id()) ? 1 : 0;
      }
      total += truth.get(q).size();
    }
    return total == 0 ? 1.0 : (double) hits / total;
  }

  /** Matches below this many are searched exactly; above, the graph with over-fetch. */
  static final int EXACT_MAX_MATCHES = 2_000;
  private static final int SAMPLE = 512;

  @Override
  public List<Neighbor> search(float[] query, int k, int ef, Predicate<String> filter) {
    if (filter == null) {
      return search(query, k, ef);
    }
    float[] q = Checks.vector("query", query, dimension, metric);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    int n = size();
    if (n == 0) {
      return List.of();
    }
    k = Math.min(k, n);
    ef = Math.min(ef, n);
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
        top.offer(item.id(), exactDistance.distance(q, item.vector()));
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
    // seeded by the index's state: the same filter on the same index plans the same way every time
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(0x5eed_f11e_4L ^ count);
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

  private static final byte[] MAGIC = "SVMLHNS1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final int FORMAT_VERSION = 1;

  private static boolean sortedByDistance(List<SearchResult<HnswItem, Float>> raw) {
    float prev = Float.NEGATIVE_INFINITY;
    for (SearchResult<HnswItem, Float> r : raw) {
      float d = r.distance();
      if (d < prev) {
        return false;
      }
      prev = d;
    }
    return true;
  }

  /**
   * Saves the index: a versioned header, the parameters (the metric by name, never an implementation
   * class), every live item's id and vector, and a CRC32C of all of it. Written to a temporary file,
   * forced, renamed atomically, and the directory forced: once this returns, a crash or a power loss
   * keeps the new file; before, the old one (or none) stays intact. Runs concurrently with searches and
   * writes; items written meanwhile may or may not be included.
   *
   * @param file the target file
   * @throws java.io.UncheckedIOException on an I/O error
   */
  public void save(java.nio.file.Path file) {
    java.nio.file.Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(FORMAT_VERSION);
      out.writeInt(dimension);
      out.writeUTF(metric.name());
      out.writeInt(m);
      out.writeInt(efConstruction);
      out.writeInt(defaultEf);
      java.util.Collection<HnswItem> items = index.items();
      out.writeInt(items.size());
      for (HnswItem item : items) {
        out.writeUTF(item.id());
        for (float f : item.vector()) {
          out.writeFloat(f);
        }
      }
      out.flush();
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      byte[] body = bytes.toByteArray();
      crc.update(body);
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
          java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        java.nio.ByteBuffer trailer = java.nio.ByteBuffer.allocate(12);
        trailer.putLong(body.length);
        trailer.putInt((int) crc.getValue());
        trailer.flip();
        ch.write(java.nio.ByteBuffer.wrap(body));
        ch.write(trailer);
        ch.force(true);
      }
      java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      // the rename is durable before save returns: a power loss keeps the new file, not the old or none
      java.nio.file.Path parent = file.toAbsolutePath().getParent();
      java.nio.channels.FileChannel dir = null;
      try {
        dir = java.nio.channels.FileChannel.open(parent, java.nio.file.StandardOpenOption.READ);
      } catch (java.io.IOException | UnsupportedOperationException ignored) {
        // directories cannot be opened as channels here (e.g. Windows), where renames are durable on return
      }
      if (dir != null) {
        try (java.nio.channels.FileChannel d = dir) {
          d.force(true);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot save the index to " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Loads an index saved by {@link #save}: the checksum is verified over the whole file before
   * anything is parsed, then the graph is rebuilt from the saved items with the saved parameters and
   * whichever distance implementation is active. No Java deserialization is involved.
   *
   * @param file the file
   * @return the index
   * @throws IllegalArgumentException if the file is not a SieveML HNSW file, has another format
   *     version, is truncated or fails its checksum
   * @throws java.io.UncheckedIOException on an I/O error
   */
  public static HnswVectorIndex load(java.nio.file.Path file) {
    byte[] all;
    try {
      long size = java.nio.file.Files.size(file);
      if (size > Integer.MAX_VALUE - 16) {
        throw new IllegalArgumentException(file + " has " + size + " bytes, more than an index file can hold ("
            + (Integer.MAX_VALUE - 16) + ")");
      }
      all = java.nio.file.Files.readAllBytes(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (all.length < MAGIC.length + 12 || !java.util.Arrays.equals(java.util.Arrays.copyOf(all, MAGIC.length), MAGIC)) {
      throw new IllegalArgumentException(file + " is not a SieveML HNSW index (expected header "
          + new String(MAGIC, java.nio.charset.StandardCharsets.US_ASCII) + ")");
    }
    java.nio.ByteBuffer trailer = java.nio.ByteBuffer.wrap(all, all.length - 12, 12);
    long length = trailer.getLong();
    int expected = trailer.getInt();
    if (length != all.length - 12) {
      throw new IllegalArgumentException(file + " is truncated or damaged: its trailer records " + length
          + " bytes of content, the file has " + (all.length - 12));
    }
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(all, 0, all.length - 12);
    if ((int) crc.getValue() != expected) {
      throw new IllegalArgumentException(file + " is damaged: checksum mismatch");
    }
    try {
      java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(all, 0, all.length - 12));
      in.skipNBytes(MAGIC.length);
      int version = in.readInt();
      if (version != FORMAT_VERSION) {
        throw new IllegalArgumentException(file + " has format version " + version + ", this library reads "
            + FORMAT_VERSION);
      }
      int dim = in.readInt();
      String metricName = in.readUTF();
      VectorMetric metric;
      try {
        metric = VectorMetric.valueOf(metricName);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " is damaged: unknown metric '" + metricName + "'");
      }
      int m = in.readInt();
      int efc = in.readInt();
      int ef = in.readInt();
      int count = in.readInt();
      // every count and length is checked against what the file holds before anything is allocated
      // (divided, not multiplied: count * (2 + 4 * dim) can overflow a long)
      long left = in.available();
      if (dim <= 0 || count < 0 || (count > 0 && count > left / (2 + 4L * dim))) {
        throw new IllegalArgumentException(file + " is damaged: " + count + " items of dimension " + dim
            + " cannot fit in the " + left + " bytes that follow its header");
      }
      // the parameters are checked here, naming the file, as the builder would check them
      if (m < 2 || m > 512 || efc <= 0 || ef <= 0) {
        throw new IllegalArgumentException(file + " is damaged: its parameters M " + m + ", efConstruction " + efc
            + ", ef " + ef + " are out of range (expected M in 2..512, efConstruction and ef > 0)");
      }
      HnswVectorIndex idx = builder(dim, metric).m(m).efConstruction(efc).ef(ef)
          .initialCapacity(Math.max(16, count)).build();
      java.util.Map<String, float[]> items = new java.util.LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        String id = in.readUTF();
        float[] v = new float[dim];
        for (int d = 0; d < dim; d++) {
          v[d] = in.readFloat();
        }
        if (items.put(id, v) != null) {
          throw new IllegalArgumentException(file + " is damaged: item '" + id + "' appears twice");
        }
      }
      if (in.available() != 0) {
        throw new IllegalArgumentException(file + " is damaged: " + in.available() + " bytes follow its " + count
            + " items");
      }
      try {
        // validates every vector (finite; non-zero under COSINE; within range) before inserting any
        idx.addAll(items, Math.max(1, Runtime.getRuntime().availableProcessors()), null);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " is damaged: " + e.getMessage(), e);
      }
      return idx;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(file + " is damaged: " + e.getMessage(), e);
    }
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
    private int ef = 24;
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
