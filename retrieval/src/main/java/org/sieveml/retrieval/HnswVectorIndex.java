package org.sieveml.retrieval;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import org.sieveml.retrieval.internal.Checks;
import org.sieveml.retrieval.internal.hnsw.HnswFormat;
import org.sieveml.retrieval.internal.hnsw.HnswGraph;
import org.sieveml.retrieval.internal.hnsw.LongHeap;
import org.sieveml.retrieval.internal.hnsw.RecallTuner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Approximate {@link VectorIndex} on a hierarchical navigable small-world graph (Malkov and Yashunin)
 * that SieveML owns, shaped after Lucene's {@code util/hnsw} and native hnswlib's memory layout: vectors
 * side by side in segments, layer-0 neighbour lists in flat {@code int} arrays, a long-packed beam, a
 * per-thread visited set, the diversity rule of neighbour selection, seeded levels. The graph itself
 * (links and levels) is saved and loaded: {@link #load} reads it back, it does not rebuild it, and every
 * query answers exactly as before saving.
 *
 * <p><b>Recall, not ef.</b> By default the index aims at a recall@{@value #TUNE_K} of 0.95
 * ({@link Builder#targetRecall}): {@link #addAll} ends by tuning the default ef against exact search, and
 * an index that grows to twice the size of its last tuning re-tunes in the background. {@link #tune}
 * does it on demand, on the host's queries if it has some; {@link #search(float[], int, int)} still
 * takes an explicit ef. Setting {@link Builder#ef} fixes the default ef instead.
 *
 * <p><b>Filters.</b> {@link #filteredSearch(float[], int, int, VectorFilter)}: with known matching ids the index
 * searches only them — exactly when at most {@value #EXACT_MAX_MATCHES} match, else by filtered graph
 * traversal (the search walks through items that do not match and collects only those that do, as
 * Lucene's filtered HNSW search), falling back to the exact answer when the traversal would compute more
 * distances than there are matches. The result says which it was.
 *
 * <p><b>Removal</b> leaves a tombstone that keeps routing searches but is never returned; when
 * tombstones pass {@value #COMPACT_THRESHOLD} of the nodes a compaction rebuilds the graph from the live
 * items on the maintenance executor ({@link Builder#maintenanceExecutor}), never in a writer's call:
 * writers and searches go on meanwhile, and writers pause only while the last changes are replayed onto
 * the new graph and it is swapped in.
 *
 * <p>Thread-safety: thread-safe. Searches never lock; adds, upserts and removes run concurrently
 * (writes to the same id are serialised). During an {@link #upsert} of an existing id a concurrent search
 * may see the old vector, the new one, or (briefly) neither. Background work holds no resources when
 * idle; there is nothing to close (the host shuts down an executor it supplied).
 */
public final class HnswVectorIndex implements VectorIndex {
  private static final Logger LOG = LoggerFactory.getLogger(HnswVectorIndex.class);
  private static final int STRIPES = 64;
  /** The default ef before the first tuning (and of indexes too small to tune). */
  static final int UNTUNED_EF = 64;
  /** An index re-tunes automatically once it holds this many items and twice as many as at its last tuning. */
  static final int AUTO_TUNE_MIN = 256;

  private final int dimension;
  private final VectorMetric metric;
  private final int m;
  private final int efConstruction;
  private final long seed;
  private final boolean reproducibleBuild;
  private final double targetRecall;
  private final Executor maintenance;
  private final Quantization quantization;
  private final Path offHeapDirectory;
  /** Nodes when an int8 graph's bounds were last fitted (0: provisional bounds from its first vector). */
  private volatile int calibratedAt;
  private volatile int defaultEf;
  private volatile Tuning tuning;
  private volatile int sizeAtTuning;
  private volatile HnswGraph graph;
  /** Writers share the read side; a compaction's final replay and swap, and save, take the write side. */
  private final ReentrantReadWriteLock writeGate = new ReentrantReadWriteLock();
  /** Ids written while a compaction runs (read and set under {@link #writeGate}). */
  private Set<String> journal;
  private final Object compactionLock = new Object();
  private final AtomicBoolean compactionQueued = new AtomicBoolean();
  private final AtomicBoolean tuneQueued = new AtomicBoolean();
  private final AtomicLong compactions = new AtomicLong();
  private final Object pendingLock = new Object();
  private int pending;
  private final Object[] stripes = new Object[STRIPES];
  private final AtomicLong idBytes = new AtomicLong();

  private HnswVectorIndex(Builder b, HnswGraph g) {
    this.dimension = b.dimension;
    this.metric = b.metric;
    this.m = b.m;
    this.efConstruction = b.efConstruction;
    this.seed = b.seed;
    this.reproducibleBuild = b.reproducibleBuild;
    this.targetRecall = b.targetRecall;
    this.defaultEf = b.ef;
    this.maintenance = b.executor != null ? b.executor : DefaultMaintenance.EXECUTOR;
    this.quantization = b.quantization;
    this.offHeapDirectory = b.offHeapDirectory != null ? b.offHeapDirectory
        : Path.of(System.getProperty("java.io.tmpdir"));
    this.graph = g != null ? g : newGraph(b.initialCapacity);
    this.calibratedAt = g != null ? g.nodeCount() : 0;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Object();
    }
  }

  /** The maintenance executor used when the host supplies none: one daemon thread, stopped when idle. */
  private static final class DefaultMaintenance {
    static final ThreadPoolExecutor EXECUTOR = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "sieveml-hnsw-maintenance");
          t.setDaemon(true);
          return t;
        });

    static {
      EXECUTOR.allowCoreThreadTimeOut(true);
    }
  }

  /**
   * Starts a builder.
   *
   * @param dimension vector dimension, positive
   * @param metric distance metric, not null
   * @return a builder with M 16, efConstruction 200 (hnswlib's defaults) and a target recall of 0.95
   */
  public static Builder builder(int dimension, VectorMetric metric) {
    return new Builder(dimension, metric);
  }

  private HnswGraph newGraph(int capacity) {
    return new HnswGraph(dimension, metric == VectorMetric.L2, m, efConstruction, seed, capacity,
        quantization == Quantization.INT8 ? offHeapDirectory : null);
  }

  /** Int8 bounds are fitted to at least this many vectors (the first vector alone gives provisional ones). */
  static final int CALIBRATION_SAMPLE = 1_024;

  /**
   * Re-fits an int8 graph's bounds to a seeded sample of its vectors (plus {@code extra}) when due (see
   * {@link #calibrationDue}), with writers kept out while every node's codes are re-encoded (one pass over
   * the codes per doubling of the index; searches go on).
   */
  private void calibrateIfDue(List<float[]> extra) {
    HnswGraph g = graph;
    if (!g.quantized() || !calibrationDue(g, extra)) {
      return;
    }
    writeGate.writeLock().lock();
    try {
      g = graph;
      if (!calibrationDue(g, extra)) {
        return;
      }
      List<float[]> sample = new ArrayList<>();
      SplittableRandom rnd = new SplittableRandom(seed);
      int nodes = g.nodeCount();
      int want = 4 * CALIBRATION_SAMPLE;
      for (int i = 0; i < Math.min(want, nodes); i++) {
        sample.add(g.vector(nodes <= want ? i : rnd.nextInt(nodes)));
      }
      for (int i = 0; i < Math.min(want, extra.size()); i++) {
        sample.add(extra.get(extra.size() <= want ? i : rnd.nextInt(extra.size())));
      }
      g.calibrate(org.sieveml.retrieval.internal.hnsw.Int8Quantizer.fit(sample, dimension));
      calibratedAt = Math.max(1, nodes + extra.size());
    } finally {
      writeGate.writeLock().unlock();
    }
  }

  /**
   * Due on the first vectors, and whenever the index has doubled since the last fit (data drifts: bounds
   * fitted to the first thousand vectors can saturate on later ones; measured: 2,000 vectors in [0, 0.01)
   * then 8,000 in [-10, 10) needed ef 2,839 for recall 0.95 before a re-fit, 64 after).
   */
  private boolean calibrationDue(HnswGraph g, List<float[]> extra) {
    long after = (long) g.nodeCount() + extra.size();
    if (calibratedAt == 0) {
      return after >= CALIBRATION_SAMPLE || (g.nodeCount() == 0 && !extra.isEmpty());
    }
    return after >= 2L * calibratedAt && after >= CALIBRATION_SAMPLE;
  }

  private Object stripe(String id) {
    return stripes[(id.hashCode() & 0x7fffffff) % STRIPES];
  }

  // ------------------------------------------------------------------ writes

  @Override
  public void add(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension, metric);
    writeGate.readLock().lock();
    try {
      synchronized (stripe(id)) {
        HnswGraph g = graph;
        if (g.nodeOf(id) >= 0) {
          throw new IllegalArgumentException("id '" + id + "' is already present, expected a new id");
        }
        g.insert(id, v);
        idBytes.addAndGet(Checks.idBytes(id));
        journal(id);
      }
    } finally {
      writeGate.readLock().unlock();
    }
    calibrateIfDue(List.of());
    maintain();
  }

  @Override
  public boolean upsert(String id, float[] vector) {
    Checks.id(id);
    float[] v = Checks.vector("vector", vector, dimension, metric);
    boolean existed;
    writeGate.readLock().lock();
    try {
      synchronized (stripe(id)) {
        HnswGraph g = graph;
        existed = g.nodeOf(id) >= 0;
        g.insert(id, v); // the id's old node becomes a tombstone
        idBytes.addAndGet(Checks.idBytes(id));
        journal(id);
      }
    } finally {
      writeGate.readLock().unlock();
    }
    calibrateIfDue(List.of());
    maintain();
    return existed;
  }

  @Override
  public boolean remove(String id) {
    Checks.id(id);
    boolean removed;
    writeGate.readLock().lock();
    try {
      synchronized (stripe(id)) {
        removed = graph.remove(id);
        if (removed) {
          journal(id);
        }
      }
    } finally {
      writeGate.readLock().unlock();
    }
    if (removed) {
      maintain();
    }
    return removed;
  }

  /** Called under the write gate's read side. */
  private void journal(String id) {
    Set<String> j = journal;
    if (j != null) {
      j.add(id);
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
   * Adds many new items with several threads, reporting progress every {@code 1%} of the items or 1,000
   * items, whichever is more. Every id and vector is validated before anything is inserted; an id already
   * present, or repeated in the input, is refused up front. With a target recall, the default ef is tuned
   * before this returns when the index has grown to twice its size at the last tuning.
   *
   * <p>A parallel build's graph depends on how its threads interleave (each node links to the neighbours
   * its search found at that moment): its recall is the same from run to run, its links and so the exact
   * answers of approximate searches are not. An index built with {@link Builder#reproducibleBuild(boolean)}
   * inserts on the calling thread in the input's order whatever {@code threads} says, so the same seed,
   * items and order give the same graph (and the same saved file) on every run and machine.
   *
   * @param items ids and vectors, in insertion order
   * @param threads building threads, positive (ignored by a reproducible build, which uses one)
   * @param progress progress receiver, or null
   * @throws IllegalArgumentException on invalid input (nothing is inserted then), or when another
   *     writer added one of the ids meanwhile (the others are inserted)
   */
  public void addAll(Map<String, float[]> items, int threads, Progress progress) {
    Checks.positive("threads", threads);
    List<String> ids = new ArrayList<>(items.size());
    List<float[]> vectors = new ArrayList<>(items.size());
    Set<String> seen = new HashSet<>();
    HnswGraph current = graph;
    for (Map.Entry<String, float[]> e : items.entrySet()) {
      String id = Checks.id(e.getKey());
      float[] v = Checks.vector("vector of '" + id + "'", e.getValue(), dimension, metric);
      if (!seen.add(id) || current.nodeOf(id) >= 0) {
        throw new IllegalArgumentException("id '" + id + "' is already present, expected a new id");
      }
      ids.add(id);
      vectors.add(v);
    }
    int total = ids.size();
    calibrateIfDue(vectors); // an int8 index fits its bounds to the batch before coding it
    int interval = Math.max(1_000, total / 100);
    AtomicInteger nextItem = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    List<String> raced = java.util.Collections.synchronizedList(new ArrayList<>());
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    writeGate.readLock().lock();
    try {
      Runnable worker = () -> {
        try {
          for (int i = nextItem.getAndIncrement(); i < total; i = nextItem.getAndIncrement()) {
            String id = ids.get(i);
            synchronized (stripe(id)) {
              HnswGraph g = graph;
              if (g.nodeOf(id) >= 0) {
                raced.add(id);
              } else {
                g.insert(id, vectors.get(i));
                idBytes.addAndGet(Checks.idBytes(id));
                journal(id);
              }
            }
            int d = done.incrementAndGet();
            if (progress != null && (d % interval == 0 || d == total)) {
              progress.update(d, total);
            }
          }
        } catch (Throwable t) {
          failures.add(t);
        }
      };
      // a reproducible build inserts in the input's order on this thread: concurrent inserts link each
      // node to whatever its neighbours were when its search ran, which depends on how threads interleave
      int n = reproducibleBuild ? 1 : Math.min(threads, Math.max(1, total));
      if (n == 1) {
        worker.run();
      } else {
        Thread[] pool = new Thread[n];
        for (int t = 0; t < n; t++) {
          pool[t] = new Thread(worker, "sieveml-hnsw-build-" + t);
          pool[t].start();
        }
        for (Thread t : pool) {
          t.join();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during a bulk build", e);
    } finally {
      writeGate.readLock().unlock();
    }
    if (!failures.isEmpty()) {
      Throwable t = failures.get(0);
      throw t instanceof RuntimeException ? (RuntimeException) t : new IllegalStateException(t);
    }
    if (autoTuneDue()) {
      autoTune();
    }
    maintain();
    if (!raced.isEmpty()) {
      throw new IllegalArgumentException("id '" + raced.get(0) + "' was added by another writer during the bulk "
          + "build (" + raced.size() + " such ids were skipped), expected new ids");
    }
  }

  // ------------------------------------------------------------------ maintenance

  private boolean autoTuneDue() {
    int size = graph.size();
    return !Double.isNaN(targetRecall) && size >= AUTO_TUNE_MIN && size >= 2L * sizeAtTuning;
  }

  private void autoTune() {
    tuneOnSample(targetRecall);
  }

  /** Schedules a re-tuning or a compaction on the maintenance executor when due; never runs them here. */
  private void maintain() {
    if (autoTuneDue() && tuneQueued.compareAndSet(false, true)) {
      submit(tuneQueued, () -> {
        if (autoTuneDue()) {
          autoTune();
        }
      });
    }
    if (compactionDue() && compactionQueued.compareAndSet(false, true)) {
      submit(compactionQueued, () -> {
        if (compactionDue()) {
          compact();
        }
      });
    }
  }

  private void submit(AtomicBoolean queued, Runnable task) {
    synchronized (pendingLock) {
      pending++;
    }
    try {
      maintenance.execute(() -> {
        try {
          task.run();
        } catch (RuntimeException | Error e) {
          LOG.warn("HNSW index maintenance failed: {}", e.toString(), e);
        } finally {
          queued.set(false);
          try {
            // writes during a compaction leave tombstones in the new graph: check again, with no write to prompt it
            maintain();
          } finally {
            done();
          }
        }
      });
    } catch (RejectedExecutionException e) {
      queued.set(false); // tried again after a later write
      done();
      LOG.debug("HNSW maintenance not scheduled: the executor refused it ({})", e.toString());
    }
  }

  private void done() {
    synchronized (pendingLock) {
      pending--;
      pendingLock.notifyAll();
    }
  }

  /**
   * Waits until the background work scheduled so far (re-tuning after growth, compaction) has run, e.g.
   * before a service starts answering or a test measures recall.
   *
   * @param timeout the longest wait
   * @return true when nothing is pending, false when the timeout passed first
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean awaitMaintenance(java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (pendingLock) {
      while (pending > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(pendingLock, left);
      }
      return true;
    }
  }

  /** Tombstones above this share of all graph nodes trigger a background compaction (with at least 1,024 nodes). */
  static final double COMPACT_THRESHOLD = 0.3;

  private boolean compactionDue() {
    HnswGraph g = graph;
    long dead = g.deletedCount();
    long nodes = g.nodeCount();
    return nodes >= 1_024 && dead > COMPACT_THRESHOLD * nodes;
  }

  /**
   * Rebuilds the graph from the live items, freeing the nodes of removed and replaced items, in the
   * calling thread (automatic compactions run on the maintenance executor). Searches keep running on the
   * old graph until the new one is swapped in; writes go on too, are journaled, and are replayed onto the
   * new graph — writers pause only for the last replay and the swap. One compaction at a time.
   */
  public void compact() {
    synchronized (compactionLock) {
      HnswGraph old;
      Set<String> j = ConcurrentHashMap.newKeySet();
      writeGate.writeLock().lock();
      try {
        old = graph;
        journal = j;
      } finally {
        writeGate.writeLock().unlock();
      }
      HnswGraph fresh = newGraph(Math.max(16, old.size()));
      if (fresh.quantized()) {
        // bounds re-fitted to the live vectors
        List<float[]> sample = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        int nodes = old.nodeCount();
        for (int i = 0; i < Math.min(4 * CALIBRATION_SAMPLE, nodes); i++) {
          int node = nodes <= 4 * CALIBRATION_SAMPLE ? i : rnd.nextInt(nodes);
          if (old.published(node) && !old.isDeleted(node)) {
            sample.add(old.vector(node));
          }
        }
        if (!sample.isEmpty()) {
          fresh.calibrate(org.sieveml.retrieval.internal.hnsw.Int8Quantizer.fit(sample, dimension));
        }
      }
      // source[n] = the old node the fresh node n copies: a journaled id is replayed only if it changed
      int[][] source = {new int[Math.max(16, old.size())]};
      int nodes = old.nodeCount();
      try {
        for (int node = 0; node < nodes; node++) {
          if (old.published(node) && !old.isDeleted(node)) {
            String id = old.id(node);
            if (old.nodeOf(id) == node) {
              copy(fresh, old, id, node, source);
            }
          }
        }
        // replay the journal without stopping writers until little is left, then once more with them stopped
        for (int round = 0; round < 16 && j.size() > 64; round++) {
          replay(j, fresh, old, source);
        }
        writeGate.writeLock().lock();
        try {
          replay(j, fresh, old, source);
          graph = fresh;
          journal = null;
          if (fresh.quantized() && fresh.nodeCount() >= CALIBRATION_SAMPLE) {
            calibratedAt = fresh.nodeCount(); // fitted to the live vectors above
          }
        } finally {
          writeGate.writeLock().unlock();
        }
      } catch (RuntimeException | Error e) {
        writeGate.writeLock().lock();
        try {
          journal = null;
        } finally {
          writeGate.writeLock().unlock();
        }
        throw e;
      }
      compactions.incrementAndGet();
      LOG.debug("compacted HNSW index: {} live items, {} tombstones freed", fresh.size(), old.deletedCount());
    }
  }

  private static void copy(HnswGraph fresh, HnswGraph old, String id, int oldNode, int[][] source) {
    int n = fresh.insert(id, old.vector(oldNode));
    if (n >= source[0].length) {
      source[0] = Arrays.copyOf(source[0], Math.max(n + 1, source[0].length * 2));
    }
    source[0][n] = oldNode;
  }

  private static void replay(Set<String> j, HnswGraph fresh, HnswGraph old, int[][] source) {
    for (String id : j) {
      j.remove(id);
      int o = old.nodeOf(id);
      int f = fresh.nodeOf(id);
      if (o < 0) {
        if (f >= 0) {
          fresh.remove(id);
        }
      } else if (f < 0 || source[0][f] != o) {
        copy(fresh, old, id, o, source);
      }
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

  // ------------------------------------------------------------------ reads

  @Override
  public boolean contains(String id) {
    return graph.nodeOf(Checks.id(id)) >= 0;
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
    HnswGraph g = graph;
    HnswGraph.Found f = g.search(q, Math.max(k, ef), null, Integer.MAX_VALUE);
    return neighbors(g, f.keys(), k);
  }

  /** Keys (nearest first) to neighbours: ids, ties by id, one entry per id, at most k. */
  private static List<Neighbor> neighbors(HnswGraph g, long[] keys, int k) {
    List<Neighbor> out = new ArrayList<>(Math.min(keys.length, k) + 8);
    for (int i = 0; i < keys.length; i++) {
      // stop after k unless the next one ties with the k-th (the id tie-break below then decides)
      if (out.size() >= k && LongHeap.distance(keys[i]) != out.get(k - 1).distance()) {
        break;
      }
      out.add(new Neighbor(g.id(LongHeap.node(keys[i])), LongHeap.distance(keys[i])));
    }
    out.sort((a, b) -> {
      int c = Float.compare(a.distance(), b.distance());
      return c != 0 ? c : a.id().compareTo(b.id());
    });
    // an upsert in flight can briefly show an id's old and new node: keep the nearer
    List<Neighbor> unique = new ArrayList<>(Math.min(k, out.size()));
    outer:
    for (Neighbor nb : out) {
      if (unique.size() == k) {
        break;
      }
      for (int i = unique.size() - 1; i >= 0; i--) { // k is small: a scan beats hashing every id
        if (unique.get(i).id().equals(nb.id())) {
          continue outer;
        }
      }
      unique.add(nb);
    }
    return java.util.Collections.unmodifiableList(unique);
  }

  /** Matches up to this many are searched exactly; above, by filtered graph traversal. */
  static final int EXACT_MAX_MATCHES = 2_000;
  /** How many items the planner samples to estimate a predicate's selectivity. */
  static final int SAMPLE = 512;

  @Override
  public List<Neighbor> search(float[] query, int k, int ef, Predicate<String> filter) {
    if (filter == null) {
      return search(query, k, ef);
    }
    return filteredSearch(query, k, ef, VectorFilter.where(filter)).neighbors();
  }

  @Override
  public SearchResult filteredSearch(float[] query, int k, int ef, VectorFilter filter) {
    if (filter == null) {
      throw new IllegalArgumentException("filter must not be null");
    }
    float[] q = Checks.vector("query", query, dimension, metric);
    Checks.positive("k", k);
    Checks.positive("ef", ef);
    HnswGraph g = graph;
    int beam = Math.max(k, ef);
    if (filter.idSet() != null) {
      Resolved r = resolve(g, filter);
      int[] nodes = r.nodes;
      long[] words = r.words;
      int count = nodes.length;
      if (count <= Math.max(EXACT_MAX_MATCHES, beam)) {
        return new SearchResult(neighbors(g, g.exact(q, k, null, nodes), k), true, count);
      }
      IntPredicate accept = node -> (node >>> 6) < words.length && (words[node >>> 6] & (1L << node)) != 0;
      HnswGraph.Found f = g.search(q, beam, accept, count);
      if (f.incomplete()) {
        // the traversal would compute more distances than comparing every match: answer exactly
        return new SearchResult(neighbors(g, g.exact(q, k, null, nodes), k), true, f.visited() + count);
      }
      return new SearchResult(neighbors(g, f.keys(), k), false, f.visited());
    }
    int live = g.size();
    if (live == 0) {
      return new SearchResult(List.of(), true, 0);
    }
    IntPredicate accept = node -> filter.test(g.id(node));
    double selectivity = estimateSelectivity(g, filter);
    long expected = (long) Math.ceil(selectivity * live);
    if (expected <= Math.max(EXACT_MAX_MATCHES, beam)) {
      return new SearchResult(neighbors(g, g.exact(q, k, accept, null), k), true, (int) expected);
    }
    HnswGraph.Found f = g.search(q, beam, accept, (int) Math.min(Integer.MAX_VALUE, 2 * expected));
    if (f.incomplete()) {
      return new SearchResult(neighbors(g, g.exact(q, k, accept, null), k), true, f.visited() + (int) expected);
    }
    return new SearchResult(neighbors(g, f.keys(), k), false, f.visited());
  }

  /** An id filter's nodes in one graph state (the graph and its node count: a write changes the count). */
  private record Resolved(HnswGraph graph, int nodeCount, int[] nodes, long[] words) {}

  private static Resolved resolve(HnswGraph g, VectorFilter filter) {
    int nodeCount = g.nodeCount();
    Object cached = filter.resolved;
    if (cached instanceof Resolved) {
      Resolved r = (Resolved) cached;
      if (r.graph == g && r.nodeCount == nodeCount) {
        return r; // removals since only set a node's removed bit, which the search checks anyway
      }
    }
    int[] nodes = new int[filter.idSet().size()];
    int count = 0;
    long[] words = new long[(nodeCount >>> 6) + 1];
    for (String id : filter.idSet()) {
      int node = g.nodeOf(id);
      if (node >= 0 && node < nodeCount) {
        nodes[count++] = node;
        words[node >>> 6] |= 1L << node;
      }
    }
    Arrays.sort(nodes, 0, count);
    Resolved r = new Resolved(g, nodeCount, Arrays.copyOf(nodes, count), words);
    filter.resolved = r;
    return r;
  }

  /** The share of live items passing the filter, from up to {@value #SAMPLE} seeded random nodes; at least 1e-4. */
  private static double estimateSelectivity(HnswGraph g, VectorFilter filter) {
    int nodes = g.nodeCount();
    // seeded by the index's state: the same filter on the same index plans the same way every time
    SplittableRandom rnd = new SplittableRandom(0x5eed_f11e_4L ^ nodes);
    int live = 0;
    int pass = 0;
    boolean all = nodes <= SAMPLE;
    for (int i = 0; i < (all ? nodes : SAMPLE * 4) && live < SAMPLE; i++) {
      int node = all ? i : rnd.nextInt(nodes);
      if (!g.published(node) || g.isDeleted(node)) {
        continue;
      }
      live++;
      pass += filter.test(g.id(node)) ? 1 : 0;
    }
    if (live == 0) {
      return 1.0;
    }
    // add-half smoothing: a sample with no hit does not claim that nothing matches
    return Math.max(1e-4, Math.min(1.0, (pass + 0.5) / (live + 1.0)));
  }

  // ------------------------------------------------------------------ tuning

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
   * seeded sample of up to {@value #TUNE_QUERIES} stored vectors, each searched as if its own node were
   * not in the graph (never entered, never returned: a stored vector reaching its neighbours through its
   * own links would flatter recall) and left out of its ground truth. A result within the k-th true
   * distance counts as a hit (ties at the k-th distance are not misses). On the sample the ef must reach
   * half the allowed miss rate, a margin for a sample of 200 (0.975 for a target of 0.95; measured on
   * 20,000 random 64-d vectors: 0.975 on the sample, 0.977 on 300 fresh queries). Host queries
   * ({@link #tune(double, List)}) are measured as
   * they are. The chosen ef becomes {@link #defaultEf()} (used by {@link #search(float[], int)} and
   * saved with the index); {@link #tuning()} keeps what was measured. Exact search over every item per
   * query: about {@code queries × size × dimension} operations. Thread-safe; concurrent writes may or
   * may not be seen.
   *
   * @param targetRecall the recall to reach, in (0, 1]
   * @return what was measured
   * @throws IllegalArgumentException when the target is outside (0, 1]
   */
  public Tuning tune(double targetRecall) {
    checkTarget(targetRecall);
    return tuneOnSample(targetRecall);
  }

  private Tuning tuneOnSample(double target) {
    HnswGraph g = graph;
    int size = g.size();
    RecallTuner.Result r = RecallTuner.onSample(g, 1 - (1 - target) / 2, TUNE_K, TUNE_QUERIES, 0x7a11_5eedL);
    if (r == null) {
      return setTuning(new Tuning(defaultEf, 1.0, target, TUNE_K, 0, true), size);
    }
    return setTuning(new Tuning(r.ef(), r.recall(), target, r.k(), r.queries(), r.reached()), size);
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
    HnswGraph g = graph;
    int size = g.size();
    RecallTuner.Result r = RecallTuner.onQueries(g, targetRecall, TUNE_K, qs);
    if (r == null) {
      return setTuning(new Tuning(defaultEf, 1.0, targetRecall, TUNE_K, 0, true), size);
    }
    return setTuning(new Tuning(r.ef(), r.recall(), targetRecall, r.k(), r.queries(), r.reached()), size);
  }

  /**
   * The last {@link #tune} result (automatic or on demand).
   *
   * @return it, or null when the index was never tuned
   */
  public Tuning tuning() {
    return tuning;
  }

  /**
   * The recall target the index tunes itself to, or NaN when its ef was fixed ({@link Builder#ef}).
   *
   * @return the target
   */
  public double targetRecall() {
    return targetRecall;
  }

  private static void checkTarget(double targetRecall) {
    if (!(targetRecall > 0 && targetRecall <= 1)) {
      throw new IllegalArgumentException("targetRecall is " + targetRecall + ", expected a recall in (0, 1]");
    }
  }

  private synchronized Tuning setTuning(Tuning t, int size) {
    defaultEf = t.ef();
    tuning = t;
    sizeAtTuning = Math.max(1, size);
    return t;
  }

  // ------------------------------------------------------------------ persistence

  /**
   * Saves the index with its graph: a versioned header, the parameters (the metric by name, never an
   * implementation class), every node's id, level, vector and neighbour lists (tombstones included, so
   * that searches after {@link #load} answer exactly as before), the tuning, and a CRC32C of all of it.
   * Writers wait while the graph is copied (searches do not); the file is then written to a temporary
   * file, forced, renamed atomically and the directory forced: once this returns, a crash or a power
   * loss keeps the new file; before, the old one (or none) stays intact.
   *
   * @param file the target file
   * @throws java.io.UncheckedIOException on an I/O error
   */
  public void save(Path file) {
    byte[] bytes;
    writeGate.writeLock().lock();
    try {
      Tuning t = tuning;
      double[] tuned = t == null ? null
          : new double[] {t.ef(), t.recall(), t.targetRecall(), t.k(), t.queries(), t.reached() ? 1 : 0};
      HnswGraph g = graph;
      float[] bounds = g.quantized() && g.quantizer() != null
          ? new float[] {g.quantizer().lo(), g.quantizer().hi()} : null;
      if (g.quantized() && bounds == null) {
        bounds = new float[] {-1f, 1f}; // empty: any range (re-fitted on the first vectors)
      }
      bytes = HnswFormat.write(new HnswFormat.Header(dimension, metric.name(), m, efConstruction, defaultEf,
          targetRecall, seed, bounds, tuned, sizeAtTuning), g);
    } finally {
      writeGate.writeLock().unlock();
    }
    HnswFormat.writeFile(file, bytes);
  }

  /**
   * Loads an index saved by {@link #save}: the checksum is verified over the whole file before anything
   * is parsed, every count and link is checked, and the graph is read as saved, not rebuilt (files of
   * format version 1, which held items only, are rebuilt). No Java deserialization is involved. The
   * index uses the default maintenance executor; {@link #load(Path, Executor)} takes another.
   *
   * @param file the file
   * @return the index
   * @throws IllegalArgumentException if the file is not a SieveML HNSW file, has another format
   *     version, is truncated, fails its checksum or holds values out of range
   * @throws java.io.UncheckedIOException on an I/O error
   */
  public static HnswVectorIndex load(Path file) {
    return load(file, null);
  }

  /**
   * As {@link #load(Path)}, with a maintenance executor.
   *
   * @param file the file
   * @param maintenanceExecutor runs background tuning and compaction, or null for the default
   * @return the index
   */
  public static HnswVectorIndex load(Path file, Executor maintenanceExecutor) {
    ByteBuffer b = HnswFormat.readVerified(file);
    try {
      int version = b.getInt();
      if (version != 1 && version != HnswFormat.VERSION) {
        throw new IllegalArgumentException(file + " has format version " + version + ", this library reads 1 and "
            + HnswFormat.VERSION);
      }
      int dim = b.getInt();
      String metricName = HnswFormat.readUtf(b, file);
      VectorMetric metric;
      try {
        metric = VectorMetric.valueOf(metricName);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " is damaged: unknown metric '" + metricName + "'");
      }
      if (dim <= 0) {
        throw new IllegalArgumentException(file + " is damaged: dimension " + dim + ", expected > 0");
      }
      if (version == 1) {
        return loadV1(b, file, dim, metric, maintenanceExecutor);
      }
      Path offHeap = Path.of(System.getProperty("java.io.tmpdir"));
      HnswFormat.Loaded loaded = HnswFormat.readV2(b, file, dim, metricName, metric == VectorMetric.L2, offHeap);
      HnswFormat.Header h = loaded.header();
      Builder builder = builder(dim, metric).m(h.m()).efConstruction(h.efConstruction()).seed(h.seed())
          .maintenanceExecutor(maintenanceExecutor)
          .quantization(h.int8Bounds() != null ? Quantization.INT8 : Quantization.NONE).offHeapDirectory(offHeap);
      builder.ef = h.defaultEf();
      builder.targetRecall = h.targetRecall();
      HnswVectorIndex idx = new HnswVectorIndex(builder, loaded.graph());
      double[] t = h.tuning();
      if (t != null) {
        idx.tuning = new Tuning((int) t[0], t[1], t[2], (int) t[3], (int) t[4], t[5] != 0);
      }
      idx.sizeAtTuning = h.sizeAtTuning();
      // bounds fitted to a sample when saved (or to the first vector of a tiny index: re-fitted as it grows)
      idx.calibratedAt = loaded.graph().nodeCount() >= CALIBRATION_SAMPLE ? loaded.graph().nodeCount() : 0;
      HnswGraph g = loaded.graph();
      for (int i = 0; i < g.nodeCount(); i++) {
        idx.idBytes.addAndGet(Checks.idBytes(g.id(i)));
      }
      return idx;
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException(file + " is damaged: it ends inside a field", e);
    }
  }

  /** Format version 1: the parameters and the live items; the graph is rebuilt. */
  private static HnswVectorIndex loadV1(ByteBuffer b, Path file, int dim, VectorMetric metric, Executor executor) {
    int m = b.getInt();
    int efc = b.getInt();
    int ef = b.getInt();
    int count = b.getInt();
    // every count and length is checked against what the file holds before anything is allocated
    // (divided, not multiplied: count * (2 + 4 * dim) can overflow a long)
    long left = b.remaining();
    if (count < 0 || (count > 0 && count > left / (2 + 4L * dim))) {
      throw new IllegalArgumentException(file + " is damaged: " + count + " items of dimension " + dim
          + " cannot fit in the " + left + " bytes that follow its header");
    }
    if (m < 2 || m > 512 || efc <= 0 || ef <= 0) {
      throw new IllegalArgumentException(file + " is damaged: its parameters M " + m + ", efConstruction " + efc
          + ", ef " + ef + " are out of range (expected M in 2..512, efConstruction and ef > 0)");
    }
    HnswVectorIndex idx = builder(dim, metric).m(m).efConstruction(efc).ef(ef)
        .initialCapacity(Math.max(16, count)).maintenanceExecutor(executor).build();
    Map<String, float[]> items = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String id = HnswFormat.readUtf(b, file);
      float[] v = new float[dim];
      for (int d = 0; d < dim; d++) {
        v[d] = b.getFloat();
      }
      if (items.put(id, v) != null) {
        throw new IllegalArgumentException(file + " is damaged: item '" + id + "' appears twice");
      }
    }
    if (b.hasRemaining()) {
      throw new IllegalArgumentException(file + " is damaged: " + b.remaining() + " bytes follow its " + count
          + " items");
    }
    try {
      // validates every vector (finite; non-zero under COSINE; within range) before inserting any
      idx.addAll(items, 1, null);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + " is damaged: " + e.getMessage(), e);
    }
    return idx;
  }

  // ------------------------------------------------------------------ properties

  @Override
  public int size() {
    return graph.size();
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
    return graph.deletedCount();
  }

  /**
   * Returns the nodes the allocated storage holds (live items plus tombstones plus room); it grows by
   * segments as needed.
   *
   * @return capacity
   */
  public int capacity() {
    return graph.capacity();
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
    return 256L + graph.arrayBytes() + idBytes.get();
  }

  /**
   * Where the index's bytes are, to compare representations (e.g. float against int8).
   *
   * @param vectors live items plus tombstones
   * @param vectorHeapBytes vector storage on the heap: float vectors, or int8 codes and their per-vector
   *     corrections (allocated segments, so including room for growth)
   * @param vectorOffHeapBytes memory-mapped float copies of an int8 index (0 for float)
   * @param linkBytes neighbour lists of every layer
   * @param otherBytes node states, ids and the id map
   */
  public record MemoryUse(long vectors, long vectorHeapBytes, long vectorOffHeapBytes, long linkBytes,
      long otherBytes) {
    /**
     * Heap bytes per vector, everything included.
     *
     * @return bytes
     */
    public double heapBytesPerVector() {
      return vectors == 0 ? 0 : (double) (vectorHeapBytes + linkBytes + otherBytes) / vectors;
    }
  }

  /**
   * Measures where the index's bytes are.
   *
   * @return the figures
   */
  public MemoryUse memoryUse() {
    HnswGraph g = graph;
    long[] mem = g.memory();
    return new MemoryUse(g.nodeCount(), mem[0], mem[1], mem[2], mem[3] + idBytes.get());
  }

  /**
   * How vectors are stored and traversed.
   *
   * <p>Thread-safety: immutable.
   */
  public enum Quantization {
    /** Float vectors on the heap (the default). */
    NONE,
    /**
     * Int8 scalar codes on the heap for graph traversal (one byte per dimension plus a float per vector,
     * about a quarter of float storage), the best candidates re-scored with full-precision floats
     * memory-mapped off the heap ({@link Builder#offHeapDirectory}); results carry exact float distances.
     */
    INT8
  }

  /**
   * How this index stores its vectors.
   *
   * @return the quantization
   */
  public Quantization quantization() {
    return quantization;
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
    private int ef = UNTUNED_EF;
    private double targetRecall = 0.95;
    private int initialCapacity = 1024;
    private long seed = 0x5ee7_4a5bL;
    private boolean reproducibleBuild;
    private Executor executor;
    private Quantization quantization = Quantization.NONE;
    private Path offHeapDirectory;

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
     * Fixes the default query-time search effort (at least 1), instead of tuning it to a recall target.
     *
     * @param ef effort
     * @return this builder
     */
    public Builder ef(int ef) {
      this.ef = Checks.positive("ef", ef);
      this.targetRecall = Double.NaN;
      return this;
    }

    /**
     * Sets the recall@{@value HnswVectorIndex#TUNE_K} the default ef is tuned to (0.95 unless set):
     * {@link HnswVectorIndex#addAll} tunes before it returns, growth to twice the size of the last
     * tuning re-tunes in the background. Replaces a fixed {@link #ef}.
     *
     * @param targetRecall the target, in (0, 1]
     * @return this builder
     */
    public Builder targetRecall(double targetRecall) {
      checkTarget(targetRecall);
      this.targetRecall = targetRecall;
      this.ef = UNTUNED_EF;
      return this;
    }

    /**
     * Sets the initial capacity (the graph's storage grows by segments of about this size).
     *
     * @param initialCapacity capacity, positive
     * @return this builder
     */
    public Builder initialCapacity(int initialCapacity) {
      this.initialCapacity = Checks.positive("initialCapacity", initialCapacity);
      return this;
    }

    /**
     * Sets the seed of the nodes' levels (a graph built by one thread is then the same every time).
     *
     * @param seed the seed
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Makes {@link HnswVectorIndex#addAll} reproducible (off unless set): it then inserts on the calling
     * thread in the input's order whatever its {@code threads} argument, so a seeded index built from the
     * same items in the same order is the same graph on every run, at any number of processors — at the
     * cost of a single-threaded build. Off, a bulk build with several threads is faster and equally good,
     * but its links (and so the exact results of approximate searches) vary from run to run. Single
     * {@link HnswVectorIndex#add} calls from one thread are reproducible either way.
     *
     * @param reproducible whether bulk builds are reproducible
     * @return this builder
     */
    public Builder reproducibleBuild(boolean reproducible) {
      this.reproducibleBuild = reproducible;
      return this;
    }

    /**
     * Sets the executor of background work (re-tuning after growth, compaction after many removals).
     * Each index queues at most one task of each kind at a time. The default is one shared daemon thread
     * that stops when idle.
     *
     * @param executor the executor, or null for the default
     * @return this builder
     */
    public Builder maintenanceExecutor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /**
     * Sets how vectors are stored ({@link Quantization#NONE} unless set).
     *
     * @param quantization the quantization, not null
     * @return this builder
     */
    public Builder quantization(Quantization quantization) {
      if (quantization == null) {
        throw new IllegalArgumentException("quantization must not be null, expected NONE or INT8");
      }
      this.quantization = quantization;
      return this;
    }

    /**
     * Sets the directory of the memory-mapped scratch file that holds an int8 index's float copies
     * (deleted as soon as it is open; the system's temporary directory unless set).
     *
     * @param directory the directory, or null for the default
     * @return this builder
     */
    public Builder offHeapDirectory(Path directory) {
      this.offHeapDirectory = directory;
      return this;
    }

    /**
     * Builds an empty index.
     *
     * @return the index
     */
    public HnswVectorIndex build() {
      return new HnswVectorIndex(this, null);
    }
  }
}
