package org.sieveml.retrieval.internal.hnsw;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.sieveml.retrieval.internal.VectorOps;

/**
 * A hierarchical navigable small-world graph (Malkov and Yashunin) over float vectors, stored in
 * segments of {@code 2^shift} nodes: each segment holds its nodes' vectors side by side, their
 * layer-0 neighbour lists in one {@code int[]} ({@code [count, n1..n2M]} per node, as native hnswlib
 * lays them out), their upper-layer lists, states and ids. A node's level is drawn from a seeded hash of
 * its ordinal, so a graph built by one thread is the same every time.
 *
 * <p>Concurrency: insertions run in parallel (a neighbour list is written under its node's striped
 * lock), searches never lock. A node becomes visible by a release write of its state, after its vector
 * and its own lists are written; a search reads a state with acquire before using the node, and a list's
 * count with acquire before its entries, so every node a search reaches has its vector. A list rewritten
 * while a search reads it may be read half old, half new: every id in it is a published node, so the
 * search stays correct, just approximate. Removal sets a state bit: the node keeps routing searches but
 * is never returned. Thread-safe.
 */
public final class HnswGraph {
  static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
  /** State bit of a removed node (the low byte holds level + 1; 0 means not yet published). */
  static final int DELETED = 1 << 8;
  private static final int LOCKS = 512;
  /** No node is ever given a level above this. */
  public static final int MAX_LEVEL = 30;

  final int dim;
  final int m;
  final int maxConn0;
  final int efConstruction;
  final boolean l2;
  final long seed;
  private final double levelMultiplier;
  final int shift;
  final int mask;
  private final VectorOps ops = VectorOps.ACTIVE;

  /** Int8 codes for traversal, float copies off-heap for re-scoring. */
  final boolean int8;
  private final OffHeapFloats offHeap;
  private volatile Int8Quantizer quantizer;
  private volatile Segment[] segments;
  private final AtomicInteger next = new AtomicInteger();
  /** (level << 32) | node of the entry point, or -1 when empty. */
  private volatile long entry = -1;
  private final Object growLock = new Object();
  private final Object entryLock = new Object();
  private final Object[] locks = new Object[LOCKS];
  private final ConcurrentHashMap<String, Integer> live = new ConcurrentHashMap<>();
  private final AtomicInteger deleted = new AtomicInteger();

  static final class Segment {
    final float[] vectors;
    final byte[] codes;
    final float[] corrections;
    final java.nio.FloatBuffer floats;
    final int[] links0;
    final int[][][] upper;
    final int[] state;
    final String[] ids;

    Segment(int nodes, int dim, int maxConn0, java.nio.FloatBuffer offHeap) {
      vectors = offHeap == null ? new float[nodes * dim] : null;
      codes = offHeap == null ? null : new byte[nodes * dim];
      corrections = offHeap == null ? null : new float[nodes];
      floats = offHeap;
      links0 = new int[nodes * (1 + maxConn0)];
      upper = new int[nodes][][];
      state = new int[nodes];
      ids = new String[nodes];
    }
  }

  /**
   * An empty graph.
   *
   * @param dim the vectors' dimension
   * @param l2 squared Euclidean distance when true, {@code 1 - a·b} otherwise
   * @param m links per node on upper layers (twice that on layer 0)
   * @param efConstruction the beam width of insertion
   * @param seed the seed of the levels
   * @param capacityHint nodes expected (sets the segment size)
   */
  public HnswGraph(int dim, boolean l2, int m, int efConstruction, long seed, int capacityHint) {
    this(dim, l2, m, efConstruction, seed, capacityHint, null);
  }

  /**
   * An empty graph, quantized when {@code offHeapDir} is given: int8 codes on the heap for traversal,
   * float copies memory-mapped from a scratch file in that directory for re-scoring. Call
   * {@link #calibrate} before the first insertion.
   *
   * @param dim the vectors' dimension
   * @param l2 squared Euclidean distance when true, {@code 1 - a·b} otherwise
   * @param m links per node on upper layers (twice that on layer 0)
   * @param efConstruction the beam width of insertion
   * @param seed the seed of the levels
   * @param capacityHint nodes expected (sets the segment size)
   * @param offHeapDir where the float copies are mapped, or null for float vectors on the heap
   */
  public HnswGraph(int dim, boolean l2, int m, int efConstruction, long seed, int capacityHint, java.nio.file.Path offHeapDir) {
    this.dim = dim;
    this.l2 = l2;
    this.m = m;
    this.maxConn0 = 2 * m;
    this.efConstruction = efConstruction;
    this.seed = seed;
    this.levelMultiplier = 1 / Math.log(Math.max(2, m));
    int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, capacityHint - 1));
    this.shift = Math.max(8, Math.min(14, bits));
    this.mask = (1 << shift) - 1;
    this.int8 = offHeapDir != null;
    this.offHeap = int8 ? new OffHeapFloats(offHeapDir, 1 << shift, dim) : null;
    this.segments = new Segment[0];
    for (int i = 0; i < LOCKS; i++) {
      locks[i] = new Object();
    }
  }

  // ---------------------------------------------------------------- nodes

  /**
   * The number of nodes ever inserted (removed ones included).
   *
   * @return it
   */
  public int nodeCount() {
    return next.get();
  }

  /**
   * Nodes the allocated segments hold.
   *
   * @return the capacity
   */
  public int capacity() {
    return segments.length << shift;
  }

  /**
   * The number of live (not removed) ids.
   *
   * @return it
   */
  public int size() {
    return live.size();
  }

  /**
   * The number of removed nodes still in the graph.
   *
   * @return it
   */
  public int deletedCount() {
    return deleted.get();
  }

  /**
   * The node holding an id, or -1.
   *
   * @param id the id
   * @return its node
   */
  public int nodeOf(String id) {
    Integer n = live.get(id);
    return n == null ? -1 : n;
  }

  /**
   * The id of a node.
   *
   * @param node a published node
   * @return its id
   */
  public String id(int node) {
    return segments[node >>> shift].ids[node & mask];
  }

  /**
   * Whether a node was published (fully inserted).
   *
   * @param node a node below {@link #nodeCount()}
   * @return true when published
   */
  public boolean published(int node) {
    return state(segments, node) != 0;
  }

  /**
   * Whether a node was removed.
   *
   * @param node a published node
   * @return true when removed
   */
  public boolean isDeleted(int node) {
    return (state(segments, node) & DELETED) != 0;
  }

  /**
   * A node's level.
   *
   * @param node a published node
   * @return its level
   */
  public int level(int node) {
    return (state(segments, node) & 0xff) - 1;
  }

  /**
   * A copy of a node's vector.
   *
   * @param node a node
   * @return its vector
   */
  public float[] vector(int node) {
    float[] v = new float[dim];
    Segment s = segments[node >>> shift];
    if (s.vectors != null) {
      System.arraycopy(s.vectors, (node & mask) * dim, v, 0, dim);
    } else {
      s.floats.get((node & mask) * dim, v);
    }
    return v;
  }

  /**
   * A copy of a node's neighbour list on a level.
   *
   * @param node a published node
   * @param level a level up to the node's
   * @return the neighbours
   */
  public int[] neighbors(int node, int level) {
    Segment s = segments[node >>> shift];
    int off = node & mask;
    int[] arr;
    int base;
    if (level == 0) {
      arr = s.links0;
      base = off * (1 + maxConn0);
    } else {
      arr = s.upper[off][level - 1];
      base = 0;
    }
    int count = (int) INTS.getAcquire(arr, base);
    return Arrays.copyOfRange(arr, base + 1, base + 1 + count);
  }

  /**
   * The entry point, or -1 when empty.
   *
   * @return its node
   */
  public int entryNode() {
    long e = entry;
    return e < 0 ? -1 : (int) e;
  }

  /**
   * The top level, or -1 when empty.
   *
   * @return it
   */
  public int maxLevel() {
    long e = entry;
    return e < 0 ? -1 : (int) (e >>> 32);
  }

  private int state(Segment[] segs, int node) {
    return (int) INTS.getAcquire(segs[node >>> shift].state, node & mask);
  }

  int drawLevel(int node) {
    long z = seed + (node + 1L) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    double u = ((z >>> 11) + 1) * 0x1.0p-53; // (0, 1]
    return (int) Math.min(MAX_LEVEL, Math.floor(-Math.log(u) * levelMultiplier));
  }

  // ---------------------------------------------------------------- distances

  /** The distance from one query to nodes: float vectors, or the query's int8 codes against the nodes' codes. */
  abstract static class Scorer {
    abstract float distance(Segment[] segs, int node);
  }

  private final class FloatScorer extends Scorer {
    private final float[] q;

    FloatScorer(float[] q) {
      this.q = q;
    }

    @Override
    float distance(Segment[] segs, int node) {
      float[] v = segs[node >>> shift].vectors;
      int off = (node & mask) * dim;
      return l2 ? ops.squareDistance(q, 0, v, off, dim) : 1f - ops.dot(q, 0, v, off, dim);
    }
  }

  private final class Int8Scorer extends Scorer {
    private final byte[] codes;
    private final float correction;
    private final float alpha2;

    Int8Scorer(float[] q, Int8Quantizer quant) {
      codes = new byte[dim];
      correction = quant.encode(q, codes, 0);
      alpha2 = quant.alpha2;
    }

    @Override
    float distance(Segment[] segs, int node) {
      Segment s = segs[node >>> shift];
      int off = node & mask;
      if (l2) {
        return alpha2 * ops.squareDistanceBytes(codes, 0, s.codes, off * dim, dim);
      }
      return 1f - (alpha2 * ops.dotBytes(codes, 0, s.codes, off * dim, dim) + correction + s.corrections[off]);
    }
  }

  Scorer scorer(float[] q) {
    return int8 ? new Int8Scorer(q, quantizer) : new FloatScorer(q);
  }

  /** The exact (float) distance from a query to a node; off-heap floats are copied into {@code tmp}. */
  private float exactDistance(float[] q, Segment[] segs, int node, float[] tmp) {
    Segment s = segs[node >>> shift];
    int off = (node & mask) * dim;
    float[] v = s.vectors;
    if (v == null) {
      s.floats.get(off, tmp);
      v = tmp;
      off = 0;
    }
    return l2 ? ops.squareDistance(q, 0, v, off, dim) : 1f - ops.dot(q, 0, v, off, dim);
  }

  /** The distance between two nodes, in the graph's representation (codes when quantized). */
  private float distance(Segment[] segs, int a, int b) {
    Segment sa = segs[a >>> shift];
    Segment sb = segs[b >>> shift];
    int oa = a & mask;
    int ob = b & mask;
    if (int8) {
      Int8Quantizer quant = quantizer;
      if (l2) {
        return quant.alpha2 * ops.squareDistanceBytes(sa.codes, oa * dim, sb.codes, ob * dim, dim);
      }
      return 1f - (quant.alpha2 * ops.dotBytes(sa.codes, oa * dim, sb.codes, ob * dim, dim) + sa.corrections[oa]
          + sb.corrections[ob]);
    }
    return l2 ? ops.squareDistance(sa.vectors, oa * dim, sb.vectors, ob * dim, dim)
        : 1f - ops.dot(sa.vectors, oa * dim, sb.vectors, ob * dim, dim);
  }

  /**
   * The exact distance from a query to a node.
   *
   * @param q a prepared query
   * @param node a node
   * @return the distance
   */
  public float distance(float[] q, int node) {
    return exactDistance(q, segments, node, new float[dim]);
  }

  // ---------------------------------------------------------------- quantization

  /**
   * Whether this graph traverses int8 codes.
   *
   * @return true when quantized
   */
  public boolean quantized() {
    return int8;
  }

  /**
   * The quantizer, or null (not quantized, or not calibrated yet).
   *
   * @return it
   */
  public Int8Quantizer quantizer() {
    return quantizer;
  }

  /**
   * Sets the quantization bounds and re-encodes every node's codes from its float copy. The caller keeps
   * writers out; concurrent searches may see some old and some new codes (approximate distances either way).
   *
   * @param q the quantizer
   */
  public void calibrate(Int8Quantizer q) {
    quantizer = q;
    Segment[] segs = segments;
    int n = Math.min(next.get(), segs.length << shift);
    float[] tmp = new float[dim];
    for (int node = 0; node < n; node++) {
      Segment s = segs[node >>> shift];
      int off = node & mask;
      s.floats.get(off * dim, tmp);
      s.corrections[off] = q.encode(tmp, s.codes, off * dim);
    }
  }

  private void store(Segment s, int off, float[] v) {
    if (s.vectors != null) {
      System.arraycopy(v, 0, s.vectors, off * dim, dim);
    } else {
      s.floats.put(off * dim, v);
      s.corrections[off] = quantizer.encode(v, s.codes, off * dim);
    }
  }

  // ---------------------------------------------------------------- insertion

  private Segment[] ensure(int node) {
    Segment[] segs = segments;
    int seg = node >>> shift;
    if (seg < segs.length) {
      return segs;
    }
    synchronized (growLock) {
      segs = segments;
      if (seg >= segs.length) {
        Segment[] grown = Arrays.copyOf(segs, seg + 1); // one segment at a time: no slack beyond it
        for (int i = segs.length; i < grown.length; i++) {
          grown[i] = new Segment(1 << shift, dim, maxConn0, int8 ? offHeap.map(i) : null);
        }
        segments = grown;
        segs = grown;
      }
      return segs;
    }
  }

  private Object lock(int node) {
    return locks[(node * 0x9E3779B9 >>> 23) & (LOCKS - 1)];
  }

  /**
   * Inserts a vector under an id, replacing (removing) the node that held the id before, and returns
   * the new node. Callers serialise insertions and removals of the same id.
   *
   * @param id the id
   * @param v the prepared vector (copied)
   * @return the new node
   */
  public int insert(String id, float[] v) {
    if (int8 && quantizer == null) {
      synchronized (entryLock) {
        if (quantizer == null) {
          quantizer = Int8Quantizer.fit(java.util.List.of(v), dim); // provisional: the index re-calibrates
        }
      }
    }
    int node = next.getAndIncrement();
    Segment[] segs = ensure(node);
    Segment s = segs[node >>> shift];
    int off = node & mask;
    store(s, off, v);
    s.ids[off] = id;
    int level = drawLevel(node);
    if (level > 0) {
      int[][] up = new int[level][];
      for (int l = 0; l < level; l++) {
        up[l] = new int[1 + m];
      }
      s.upper[off] = up;
    }
    long e = entry;
    if (e < 0) {
      synchronized (entryLock) {
        e = entry;
        if (e < 0) {
          INTS.setRelease(s.state, off, level + 1);
          register(id, node);
          entry = ((long) level << 32) | node;
          return node;
        }
      }
    }
    int epLevel = (int) (e >>> 32);
    int cur = (int) e;
    segs = segments;
    Scorer sc = scorer(v);
    float curDist = sc.distance(segs, cur);
    for (int l = epLevel; l > level; l--) {
      long best = greedy(sc, segs, cur, curDist, l);
      cur = LongHeap.node(best);
      curDist = LongHeap.distance(best);
    }
    int top = Math.min(level, epLevel);
    int[][] chosen = new int[top + 1][];
    for (int l = top; l >= 0; l--) {
      long[] found = searchLayer(sc, segs, cur, curDist, efConstruction, l);
      Arrays.sort(found);
      int[] sel = selectDiverse(segs, found, l == 0 ? maxConn0 : m);
      chosen[l] = sel;
      int[] arr = l == 0 ? s.links0 : s.upper[off][l - 1];
      int base = l == 0 ? off * (1 + maxConn0) : 0;
      System.arraycopy(sel, 0, arr, base + 1, sel.length);
      arr[base] = sel.length;
      cur = LongHeap.node(found[0]);
      curDist = LongHeap.distance(found[0]);
    }
    INTS.setRelease(s.state, off, level + 1);
    register(id, node);
    for (int l = top; l >= 0; l--) {
      for (int n : chosen[l]) {
        linkBack(n, node, l);
      }
    }
    if (level > epLevel) {
      synchronized (entryLock) {
        if (level > (int) (entry >>> 32)) {
          entry = ((long) level << 32) | node;
        }
      }
    }
    return node;
  }

  private void register(String id, int node) {
    Integer before = live.put(id, node);
    if (before != null) {
      markDeleted(before);
    }
  }

  /**
   * Removes the live node of an id: it stays in the graph as a tombstone.
   *
   * @param id the id
   * @return true when the id was live
   */
  public boolean remove(String id) {
    Integer node = live.remove(id);
    if (node == null) {
      return false;
    }
    markDeleted(node);
    return true;
  }

  private void markDeleted(int node) {
    Segment s = segments[node >>> shift];
    int off = node & mask;
    while (true) {
      int st = (int) INTS.getAcquire(s.state, off);
      if ((st & DELETED) != 0) {
        return;
      }
      if (INTS.compareAndSet(s.state, off, st, st | DELETED)) {
        deleted.incrementAndGet();
        return;
      }
    }
  }

  /** Adds {@code node} to {@code target}'s list on a level, pruning it by the diversity rule when full. */
  private void linkBack(int target, int node, int level) {
    synchronized (lock(target)) {
      Segment[] segs = segments;
      Segment s = segs[target >>> shift];
      int off = target & mask;
      int[] arr = level == 0 ? s.links0 : s.upper[off][level - 1];
      int base = level == 0 ? off * (1 + maxConn0) : 0;
      int max = level == 0 ? maxConn0 : m;
      int count = arr[base];
      for (int i = 0; i < count; i++) {
        if (arr[base + 1 + i] == node) {
          return;
        }
      }
      if (count < max) {
        arr[base + 1 + count] = node;
        INTS.setRelease(arr, base, count + 1);
        return;
      }
      long[] cand = new long[count + 1];
      for (int i = 0; i < count; i++) {
        int n = arr[base + 1 + i];
        cand[i] = LongHeap.key(distance(segs, target, n), n);
      }
      cand[count] = LongHeap.key(distance(segs, target, node), node);
      Arrays.sort(cand);
      int[] sel = selectDiverse(segs, cand, max);
      // rewritten in place: a concurrent search may read a mix of old and new entries, all published nodes
      for (int i = 0; i < sel.length; i++) {
        arr[base + 1 + i] = sel[i];
      }
      INTS.setRelease(arr, base, sel.length);
    }
  }

  /**
   * The diversity rule of HNSW's neighbour selection (hnswlib's {@code getNeighborsByHeuristic2}): a
   * candidate, taken nearest first, is kept unless it is nearer to an already kept one than to the base;
   * copies of the base take at most half the slots.
   */
  private int[] selectDiverse(Segment[] segs, long[] sortedKeys, int max) {
    // copies of the base (distance 0) fill at most half the slots: hnswlib's strict "<" keeps them all,
    // and a clump of identical vectors then fills each other's lists and walls itself off (measured: 1,000
    // identical among 20,000 random 64-d vectors took recall@10 to 0.43)
    // (under 1 - a·b a copy is within rounding of 0; inner products of unnormalised vectors rarely are)
    int copiesLeft = Math.max(1, max / 2);
    // hnswlib applies the rule even when there are fewer candidates than slots; so do we (same graph shape)
    int[] kept = new int[Math.min(max, sortedKeys.length)];
    int n = 0;
    outer:
    for (long k : sortedKeys) {
      int c = LongHeap.node(k);
      float d = LongHeap.distance(k);
      if ((l2 ? d <= 0f : Math.abs(d) <= 1e-6f) && copiesLeft-- <= 0) {
        continue;
      }
      for (int i = 0; i < n; i++) {
        float dc = distance(segs, c, kept[i]);
        if (dc < d) {
          continue outer;
        }
      }
      kept[n++] = c;
      if (n == kept.length) {
        break;
      }
    }
    return n == kept.length ? kept : Arrays.copyOf(kept, n);
  }

  // ---------------------------------------------------------------- search

  /** Greedy descent on an upper level: the nearest node reachable from {@code cur}, as a key. */
  private long greedy(Scorer q, Segment[] segs, int cur, float curDist, int level) {
    return greedy(q, segs, cur, curDist, level, -1);
  }

  private long greedy(Scorer q, Segment[] segs, int cur, float curDist, int level, int skip) {
    int limit = segs.length << shift;
    boolean changed = true;
    while (changed) {
      changed = false;
      int[] arr = segs[cur >>> shift].upper[cur & mask][level - 1];
      int count = (int) INTS.getAcquire(arr, 0);
      for (int i = 1; i <= count; i++) {
        int n = arr[i];
        if (n >= limit || n == skip || state(segs, n) == 0) {
          continue;
        }
        float d = q.distance(segs, n);
        if (d < curDist) {
          curDist = d;
          cur = n;
          changed = true;
        }
      }
    }
    return LongHeap.key(curDist, cur);
  }

  /** Beam search of one level during insertion: up to ef nearest published nodes (removed ones route and may be linked, as in hnswlib). */
  private long[] searchLayer(Scorer q, Segment[] segs, int ep, float epDist, int ef, int level) {
    int limit = segs.length << shift;
    Visited visited = Visited.forSearch(limit);
    // sized for a usual beam and grown as needed: an efConstruction from a file can be anything positive
    LongHeap candidates = new LongHeap(Math.min(ef * 2L, 1 << 10) > 0 ? (int) Math.min(ef * 2L, 1 << 10) : 2);
    LongHeap results = new LongHeap((int) Math.min(ef + 1L, 1 << 10));
    visited.visit(ep);
    long k0 = LongHeap.key(epDist, ep);
    candidates.push(k0);
    results.push(~k0);
    while (candidates.size() > 0) {
      long c = candidates.peek();
      if (results.size() >= ef && c > ~results.peek()) {
        break;
      }
      candidates.pop();
      int cn = LongHeap.node(c);
      Segment cs = segs[cn >>> shift];
      int[] arr;
      int base;
      if (level == 0) {
        arr = cs.links0;
        base = (cn & mask) * (1 + maxConn0);
      } else {
        arr = cs.upper[cn & mask][level - 1];
        base = 0;
      }
      int count = (int) INTS.getAcquire(arr, base);
      for (int i = base + 1; i <= base + count; i++) {
        int n = arr[i];
        if (n >= limit || !visited.visit(n) || state(segs, n) == 0) {
          continue;
        }
        float d = q.distance(segs, n);
        long key = LongHeap.key(d, n);
        if (results.size() < ef || key < ~results.peek()) {
          candidates.push(key);
          results.push(~key);
          if (results.size() > ef) {
            results.pop();
          }
        }
      }
    }
    long[] out = results.toArray();
    for (int i = 0; i < out.length; i++) {
      out[i] = ~out[i];
    }
    return out;
  }

  /**
   * What a search found: keys ({@link LongHeap#key}) of the accepted nodes, nearest first, how many
   * distances it computed, and whether it stopped at its visit limit.
   *
   * @param keys the keys, sorted
   * @param visited distances computed
   * @param incomplete true when the visit limit stopped it
   */
  public record Found(long[] keys, int visited, boolean incomplete) {}

  /**
   * Searches for the {@code ef} nearest accepted nodes: greedy descent on the upper levels, then a beam
   * search of layer 0 that walks through every published node (removed and rejected ones route the
   * search) but collects only those that are live and accepted — the filtered traversal Lucene's HNSW
   * search does. Stops early, marking the result incomplete, after {@code visitLimit} distances.
   *
   * @param q the prepared query
   * @param ef the beam width (at least k)
   * @param accept which live nodes may be returned, or null for all
   * @param visitLimit the most distances to compute
   * @return what was found
   */
  public Found search(float[] q, int ef, IntPredicate accept, int visitLimit) {
    return search(q, ef, accept, visitLimit, -1);
  }

  /**
   * As {@link #search(float[], int, IntPredicate, int)}, as if node {@code skip} were not in the graph
   * (never entered, never returned): a stored vector searched as a query then has to find its
   * neighbours the way a fresh query would, instead of through its own links.
   *
   * @param q the prepared query
   * @param ef the beam width
   * @param accept which live nodes may be returned, or null for all
   * @param visitLimit the most distances to compute
   * @param skip a node to leave out, or -1
   * @return what was found
   */
  public Found search(float[] q, int ef, IntPredicate accept, int visitLimit, int skip) {
    long e = entry;
    if (e < 0) {
      return new Found(new long[0], 0, false);
    }
    Segment[] segs = segments;
    int limit = segs.length << shift;
    int cur = (int) e;
    Scorer sc = scorer(q);
    float curDist = sc.distance(segs, cur);
    int visitedCount = 1;
    for (int l = (int) (e >>> 32); l > 0; l--) {
      long best = greedy(sc, segs, cur, curDist, l, skip);
      cur = LongHeap.node(best);
      curDist = LongHeap.distance(best);
    }
    Visited visited = Visited.forSearch(limit);
    if (skip >= 0 && skip != cur) {
      visited.visit(skip);
    }
    LongHeap candidates = visited.candidates;
    LongHeap results = visited.results;
    candidates.clear();
    results.clear();
    visited.visit(cur);
    long k0 = LongHeap.key(curDist, cur);
    candidates.push(k0);
    if (cur != skip && accepts(segs, cur, accept)) {
      results.push(~k0);
    }
    boolean incomplete = false;
    visited.ensureScratch(maxConn0);
    while (candidates.size() > 0) {
      long c = candidates.peek();
      if (results.size() >= ef && c > ~results.peek()) {
        break;
      }
      candidates.pop();
      int cn = LongHeap.node(c);
      int[] arr = segs[cn >>> shift].links0;
      int base = (cn & mask) * (1 + maxConn0);
      int count = (int) INTS.getAcquire(arr, base);
      // two passes: the new neighbours first, then their distances in a tight loop of independent
      // computations, so the CPU overlaps the vectors' cache misses (Java cannot prefetch them)
      int[] fresh = visited.fresh;
      int[] states = visited.states;
      int m = 0;
      for (int i = base + 1; i <= base + count; i++) {
        int n = arr[i];
        if (n >= limit || !visited.visit(n)) {
          continue;
        }
        int st = state(segs, n);
        if (st != 0) {
          fresh[m] = n;
          states[m++] = st;
        }
      }
      if (visitedCount + m > visitLimit) {
        incomplete = true;
        break;
      }
      visitedCount += m;
      float[] dists = visited.dists;
      for (int j = 0; j < m; j++) {
        dists[j] = sc.distance(segs, fresh[j]);
      }
      for (int j = 0; j < m; j++) {
        int n = fresh[j];
        int st = states[j];
        long key = LongHeap.key(dists[j], n);
        if (results.size() < ef || key < ~results.peek()) {
          candidates.push(key);
          if ((st & DELETED) == 0 && (accept == null || accept.test(n))) {
            results.push(~key);
            if (results.size() > ef) {
              results.pop();
            }
          }
        }
      }
    }
    long[] out = results.toArray();
    if (int8) {
      // the codes ranked the candidates; their float copies decide the answer and its distances
      float[] tmp = new float[dim];
      for (int i = 0; i < out.length; i++) {
        int node = LongHeap.node(~out[i]);
        out[i] = LongHeap.key(exactDistance(q, segs, node, tmp), node);
      }
    } else {
      for (int i = 0; i < out.length; i++) {
        out[i] = ~out[i];
      }
    }
    Arrays.sort(out);
    return new Found(out, visitedCount, incomplete);
  }

  private boolean accepts(Segment[] segs, int node, IntPredicate accept) {
    int st = state(segs, node);
    return st != 0 && (st & DELETED) == 0 && (accept == null || accept.test(node));
  }

  /**
   * Exact search: the {@code k} nearest live accepted nodes among all, or among {@code candidates} when
   * given.
   *
   * @param q the prepared query
   * @param k how many
   * @param accept which live nodes may be returned, or null for all
   * @param candidates the nodes to look at, or null for every node
   * @return their keys, nearest first
   */
  public long[] exact(float[] q, int k, IntPredicate accept, int[] candidates) {
    Segment[] segs = segments;
    float[] tmp = new float[dim];
    LongHeap top = new LongHeap(Math.min(k, 1 << 16) + 1);
    int n = candidates == null ? Math.min(next.get(), segs.length << shift) : candidates.length;
    for (int i = 0; i < n; i++) {
      int node = candidates == null ? i : candidates[i];
      if (!accepts(segs, node, accept)) {
        continue;
      }
      long key = LongHeap.key(exactDistance(q, segs, node, tmp), node);
      if (top.size() < k) {
        top.push(~key);
      } else if (key < ~top.peek()) {
        top.pop();
        top.push(~key);
      }
    }
    long[] out = top.toArray();
    for (int i = 0; i < out.length; i++) {
      out[i] = ~out[i];
    }
    Arrays.sort(out);
    return out;
  }

  // ---------------------------------------------------------------- loading

  /**
   * Restores a node read from a file, with its lists: for {@code HnswFormat} only, before the graph is
   * shared.
   *
   * @param node the node (the next ordinal)
   * @param id its id
   * @param vector its vector
   * @param level its level
   * @param removed whether it is a tombstone
   * @param lists its neighbour lists, level 0 first
   */
  public void restore(int node, String id, float[] vector, int level, boolean removed, int[][] lists) {
    if (next.getAndIncrement() != node) {
      throw new IllegalStateException("nodes must be restored in order");
    }
    Segment[] segs = ensure(node);
    Segment s = segs[node >>> shift];
    int off = node & mask;
    store(s, off, vector);
    s.ids[off] = id;
    int base = off * (1 + maxConn0);
    s.links0[base] = lists[0].length;
    System.arraycopy(lists[0], 0, s.links0, base + 1, lists[0].length);
    if (level > 0) {
      int[][] up = new int[level][];
      for (int l = 1; l <= level; l++) {
        up[l - 1] = new int[1 + m];
        up[l - 1][0] = lists[l].length;
        System.arraycopy(lists[l], 0, up[l - 1], 1, lists[l].length);
      }
      s.upper[off] = up;
    }
    s.state[off] = (level + 1) | (removed ? DELETED : 0);
    if (removed) {
      deleted.incrementAndGet();
    } else if (live.putIfAbsent(id, node) != null) {
      throw new IllegalArgumentException("id '" + id + "' is live in two nodes");
    }
  }

  /**
   * Sets the entry point after {@link #restore}.
   *
   * @param node the entry node
   * @param level its level
   */
  public void restoreEntry(int node, int level) {
    entry = node < 0 ? -1 : ((long) level << 32) | node;
  }

  /**
   * Heap bytes of the graph's arrays (vectors, lists, states, ids' references; not the id strings).
   *
   * @return bytes
   */
  public long arrayBytes() {
    long[] m = memory();
    return m[0] + m[2] + m[3];
  }

  /**
   * Where the graph's bytes are: {vector storage on the heap (floats, or codes and corrections),
   * vector storage off the heap (mapped float copies), links (layer-0 arrays and upper lists), the rest
   * (states, id references, the id map)}.
   *
   * @return the four figures
   */
  public long[] memory() {
    Segment[] segs = segments;
    long vectorHeap = 0;
    long vectorOff = 0;
    long links = 16L + 8L * segs.length;
    long rest = 0;
    int nodes = next.get();
    for (int i = 0; i < segs.length; i++) {
      Segment s = segs[i];
      if (s.vectors != null) {
        vectorHeap += 16L + 4L * s.vectors.length;
      } else {
        vectorHeap += 32L + s.codes.length + 4L * s.corrections.length;
        vectorOff += 4L * s.floats.capacity();
      }
      links += 16L + 4L * s.links0.length + 16L + 8L * s.upper.length;
      rest += 32L + 4L * s.state.length + 4L * s.ids.length;
      int from = i << shift;
      int to = Math.min(nodes, from + (1 << shift));
      for (int node = from; node < to; node++) {
        int[][] up = s.upper[node & mask];
        if (up != null) {
          links += 16L + 4L * up.length + up.length * (16L + 4L * (1 + m));
        }
      }
    }
    rest += 48L * live.size(); // the id -> node map's entries and boxed nodes
    return new long[] {vectorHeap, vectorOff, links, rest};
  }
}
