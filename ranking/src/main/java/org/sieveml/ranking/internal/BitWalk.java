package org.sieveml.ranking.internal;

import java.util.Arrays;

/**
 * The batch evaluator of {@link TreeEnsemble} for models whose trees are all at most {@value #MAX_DEPTH}
 * deep, used when the JDK Vector API is available: 64 rows at a time, held as the bits of a {@code long},
 * go down each tree together, so a node costs a few word operations for all 64 rows instead of one test
 * per row.
 *
 * <p>For each block, every value of a used feature is first given its <em>bin</em>: the number of that
 * feature's distinct split conditions at or below it, counted for 16 rows per instruction by
 * {@code SimdBins.prefixes}. The rows of each bin are accumulated into prefix masks, so that entry
 * {@code j} holds the rows whose value is below condition {@code j}: exactly the rows XGBoost sends left at
 * a node testing {@code value < condition j}. Each entry exists twice, without and with the rows whose
 * value is missing (NaN), for nodes whose default branch is right or left. Each tree is then walked level
 * by level over its complete layout (a shallow leaf's value copied to every position below it, the padding
 * nodes sending every row left): a node splits the rows that reach it between its children, and the rows
 * going right at level {@code l} give bit {@code d - 1 - l} of each row's leaf index. The leaf indexes of
 * eight rows are assembled in one {@code long}, a byte each, through a table spreading a byte's bits over
 * eight bytes.
 *
 * <p>Leaf values are added to each row's sum tree by tree in model order, as the scalar walk and XGBoost
 * do, so predictions are bit for bit those of the other paths.
 *
 * <p>Thread-safety: immutable; safe for concurrent use. Per-call working memory lives in {@link Scratch}.
 */
final class BitWalk {
  /** The deepest tree this evaluator takes: a leaf index must fit in a byte. */
  static final int MAX_DEPTH = 8;
  /** Rows per block: the bits of a long. */
  static final int BLOCK = 64;
  /** {@code SPREAD[b]}: bit {@code i} of {@code b} moved to bit 0 of byte {@code i}. */
  private static final long[] SPREAD = new long[256];

  static {
    for (int b = 0; b < 256; b++) {
      long s = 0;
      for (int i = 0; i < 8; i++) {
        s |= (long) ((b >>> i) & 1) << (8 * i);
      }
      SPREAD[b] = s;
    }
  }

  /** Used features (compact index c). */
  private final int used;
  /** Per compact feature, from {@link #conditionFrom}: its distinct split conditions, ascending, -0 as +0. */
  private final float[] conditions;
  private final int[] conditionFrom;
  /**
   * Per compact feature: where its prefix entries start in the prefix table; a feature with {@code k}
   * conditions has {@code k + 1} bins and {@code 2 (k + 1)} entries (each without and with the missing
   * rows). The table ends with two entries holding every row.
   */
  private final int[] prefixFrom;
  /** The prefix table's length. */
  private final int prefixes;
  /** Per inner position of every tree's complete layout: the prefix entry of the rows it sends left. */
  private final int[] left;
  /** Per leaf position of every tree's complete layout: its value. */
  private final float[] leaf;
  /** Per tree: its first inner position and first leaf position. */
  private final int[] innerFrom;
  private final int[] leafFrom;
  /** Per tree: its depth. */
  private final int[] depth;
  private final int maxDepth;

  /**
   * Compiles the trees, or returns null when a tree is deeper than {@value #MAX_DEPTH}.
   *
   * @param p the parsed model
   * @param used the features some reachable split uses, ascending
   * @return the evaluator, or null
   */
  static BitWalk compile(TreeEnsemble.Parsed p, int[] used) {
    int n = p.left.length;
    int[] depth = new int[n];
    for (int t = 0; t < n; t++) {
      depth[t] = depth(p.left[t], p.right[t], 0, 0);
      if (depth[t] > MAX_DEPTH) {
        return null;
      }
    }
    return new BitWalk(p, used, depth);
  }

  /** The depth below {@code node}, or {@code MAX_DEPTH + 1} when it is deeper than that. */
  private static int depth(int[] l, int[] r, int node, int level) {
    if (l[node] == -1 || level > MAX_DEPTH) {
      return level;
    }
    return Math.max(depth(l, r, l[node], level + 1), depth(l, r, r[node], level + 1));
  }

  private BitWalk(TreeEnsemble.Parsed p, int[] used, int[] depth) {
    int u = used.length;
    this.used = u;
    this.depth = depth;
    int n = depth.length;
    // every compact feature's distinct conditions (as order keys), from the splits reachable from a root
    int[][] keys = new int[u][];
    int[] count = new int[u];
    for (int c = 0; c < u; c++) {
      keys[c] = new int[8];
    }
    for (int t = 0; t < n; t++) {
      collect(p, t, 0, used, keys, count);
    }
    this.conditionFrom = new int[u + 1];
    this.prefixFrom = new int[u];
    long total = 0;
    for (int c = 0; c < u; c++) {
      int[] k = Arrays.copyOf(keys[c], count[c]);
      Arrays.sort(k);
      int distinct = 0;
      for (int i = 0; i < k.length; i++) {
        if (i == 0 || k[i] != k[i - 1]) {
          k[distinct++] = k[i];
        }
      }
      keys[c] = Arrays.copyOf(k, distinct);
      conditionFrom[c] = (int) total;
      prefixFrom[c] = (int) (2 * total + 2L * c);
      total += distinct;
    }
    conditionFrom[u] = (int) total;
    if (2 * total + 2L * u + 2 > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("model has too many split conditions to evaluate: " + total);
    }
    this.prefixes = (int) (2 * total + 2L * u + 2);
    this.conditions = new float[(int) total];
    for (int c = 0; c < u; c++) {
      for (int i = 0; i < keys[c].length; i++) {
        conditions[conditionFrom[c] + i] = fromKey(keys[c][i]);
      }
    }
    this.innerFrom = new int[n];
    this.leafFrom = new int[n];
    long inner = 0;
    long leaves = 0;
    int deepest = 0;
    for (int t = 0; t < n; t++) {
      innerFrom[t] = (int) inner;
      leafFrom[t] = (int) leaves;
      inner += (1L << depth[t]) - 1;
      leaves += 1L << depth[t];
      deepest = Math.max(deepest, depth[t]);
      if (leaves > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("model has too many nodes to evaluate: " + leaves);
      }
    }
    this.maxDepth = deepest;
    this.left = new int[(int) inner];
    this.leaf = new float[(int) leaves];
    for (int t = 0; t < n; t++) {
      fill(p, t, 0, 0, 0, used, keys);
    }
  }

  /** The float whose {@link TreeEnsemble#key} is {@code k} (+0 for the key of either zero). */
  private static float fromKey(int k) {
    return Float.intBitsToFloat(k ^ ((k >> 31) & 0x7fffffff));
  }

  private static void collect(TreeEnsemble.Parsed p, int t, int node, int[] used, int[][] keys, int[] count) {
    if (p.left[t][node] == -1) {
      return;
    }
    int c = Arrays.binarySearch(used, p.feature[t][node]);
    if (count[c] == keys[c].length) {
      keys[c] = Arrays.copyOf(keys[c], 2 * keys[c].length);
    }
    keys[c][count[c]++] = TreeEnsemble.key(p.cond[t][node]);
    collect(p, t, p.left[t][node], used, keys, count);
    collect(p, t, p.right[t][node], used, keys, count);
  }

  /** Lays out the subtree of {@code node} at position {@code pos} of level {@code level} of tree t. */
  private void fill(TreeEnsemble.Parsed p, int t, int node, int pos, int level, int[] used, int[][] keys) {
    int d = depth[t];
    if (level == d) {
      leaf[leafFrom[t] + pos - ((1 << d) - 1)] = p.cond[t][node];
      return;
    }
    int at = innerFrom[t] + pos;
    if (p.left[t][node] == -1) {
      // a leaf above the last level: every row goes left, and every leaf below holds its value
      left[at] = prefixes - 1;
      fill(p, t, node, 2 * pos + 1, level + 1, used, keys);
      fill(p, t, node, 2 * pos + 2, level + 1, used, keys);
      return;
    }
    int c = Arrays.binarySearch(used, p.feature[t][node]);
    int j = Arrays.binarySearch(keys[c], TreeEnsemble.key(p.cond[t][node]));
    left[at] = prefixFrom[c] + 2 * j + (p.defaultLeft[t][node] ? 1 : 0);
    fill(p, t, p.left[t][node], 2 * pos + 1, level + 1, used, keys);
    fill(p, t, p.right[t][node], 2 * pos + 2, level + 1, used, keys);
  }

  /** Per-call working memory; not shared between threads. */
  static final class Scratch {
    final long[] prefix;
    final long[] reach;
    final long[] right;
    final int[] bin = new int[BLOCK];

    Scratch(BitWalk w) {
      prefix = new long[w.prefixes];
      prefix[w.prefixes - 2] = -1L;
      prefix[w.prefixes - 1] = -1L;
      reach = new long[1 << w.maxDepth];
      right = new long[Math.max(1, w.maxDepth)];
    }
  }

  Scratch scratch() {
    return new Scratch(this);
  }

  /**
   * Adds every tree's leaf, in model order, to {@code sums[0..m)} for one block of rows given
   * feature-major: {@code xb[c * 64 + r]} is compact feature {@code c} of row {@code r}, NaN = missing,
   * -0 written as +0.
   *
   * @param xb the block, at least {@code used * 64} values
   * @param m rows in the block, 1..64
   * @param sums per row: the running sum
   * @param s scratch from {@link #scratch()}
   */
  void block(float[] xb, int m, float[] sums, Scratch s) {
    long[] prefix = s.prefix;
    SimdBins.prefixes(xb, m, used, conditions, conditionFrom, prefixFrom, prefix, s.bin);
    long all = m == BLOCK ? -1L : (1L << m) - 1;
    long[] reach = s.reach;
    long[] right = s.right;
    int[] left = this.left;
    float[] leaf = this.leaf;
    for (int t = 0; t < depth.length; t++) {
      int d = depth[t];
      int lf = leafFrom[t];
      if (d == 0) {
        float v = leaf[lf];
        for (int r = 0; r < m; r++) {
          sums[r] += v;
        }
        continue;
      }
      int in = innerFrom[t];
      reach[0] = all;
      // the levels above the last: each position's rows split between its children
      for (int l = 0, first = 0; l < d - 1; l++, first = 2 * first + 1) {
        long goRight = 0;
        for (int i = first, end = 2 * first + 1; i < end; i++) {
          long rows = reach[i];
          long toLeft = prefix[left[in + i]];
          long toRight = rows & ~toLeft;
          goRight |= toRight;
          reach[2 * i + 1] = rows & toLeft;
          reach[2 * i + 2] = toRight;
        }
        right[l] = goRight;
      }
      // the last level: only which rows go right
      long goRight = 0;
      for (int i = (1 << (d - 1)) - 1, end = (1 << d) - 1; i < end; i++) {
        goRight |= reach[i] & ~prefix[left[in + i]];
      }
      right[d - 1] = goRight;
      // each row's leaf index: bit d - 1 - l says it went right at level l; eight rows a long
      for (int r = 0; r < m; r += 8) {
        long idx = 0;
        for (int l = 0; l < d; l++) {
          idx |= SPREAD[(int) (right[l] >>> r) & 0xff] << (d - 1 - l);
        }
        for (int j = 0, e = Math.min(8, m - r); j < e; j++, idx >>>= 8) {
          sums[r + j] += leaf[lf + (int) (idx & 0xff)];
        }
      }
    }
  }
}
