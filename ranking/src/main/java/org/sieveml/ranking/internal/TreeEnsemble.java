package org.sieveml.ranking.internal;

import java.util.List;
import java.util.Map;

/**
 * A pure-Java evaluator of an XGBoost tree ensemble, compiled from the booster's model JSON. A row is
 * routed exactly as XGBoost routes it: the feature value is cast to float and the row goes left when
 * {@code value < split_condition}, or along the node's default branch when the value is missing (NaN in a
 * dense row, an absent column in a sparse one). Leaf values are summed in float, tree by tree in model
 * order, from the base margin, as XGBoost's CPU predictor does, so predictions equal XGBoost's.
 *
 * <p>Layout, compiled once at load: only the features some split uses are read. Each row of a block is
 * gathered into a compact buffer holding every used feature twice, as {@code v} and as {@code -v}. Every
 * node is then one test {@code buf[f] < t} whose outcome picks the non-default child, and whose failure
 * (including NaN, for which every comparison is false) picks the default child: a default-right node
 * tests {@code v < cond}, a default-left node tests {@code -v < -nextDown(cond)}, i.e. {@code v >= cond}.
 * Trees of moderate depth are stored as complete binary trees (a shallow leaf's value is copied to every
 * leaf below it), so a walk is exactly {@code depth} steps of {@code g = 2 * g + k + test} with no leaf
 * check; deeper trees keep explicit child links. Rows are walked in blocks of 64, tree by tree and level
 * by level, so the independent steps of the block's rows overlap. Values are compared as order-preserving
 * int keys (see {@code key(float)}), which makes each step free of branches.
 *
 * <p>{@link #predictBatch} and {@link #predictSparse}, on blocks of at least 12 rows of a model whose trees
 * are at most 8 deep, use {@code BitWalk}, which moves the 64 rows of a block down each tree together as
 * the bits of a word, when the JDK Vector API is present (the JVM runs with
 * {@code --add-modules jdk.incubator.vector} and the system property {@code sieveml.simd} is not
 * {@code false}). Without it, {@link #predictBatch} on a model whose trees are all complete lays each block
 * out feature-major ({@code buf[column * BLOCK + row]}) and walks it eight rows at a time in locals over
 * nodes packed in one long each. Every path reaches the same leaves and adds them in the same order, so
 * predictions do not depend on the path.
 *
 * <p>Thread-safety: immutable; safe for concurrent use. Scratch buffers are allocated per call.
 */
public final class TreeEnsemble {
  /** The most input features a model may have. */
  public static final int MAX_FEATURES = 1 << 30;
  /** Rows gathered and walked together. */
  private static final int BLOCK = 64;
  /** Trees up to this depth are stored complete; deeper ones too while that at most 8x their node count. */
  private static final int COMPLETE_DEPTH = 8;
  private static final int COMPLETE_DEPTH_MAX = 16;

  private final float baseMargin;
  private final String objective;
  private final int numFeatures;
  private final boolean logistic;
  private final int treeCount;
  /** The split features, ascending; a feature's compact index is its position here. */
  private final int[] used;
  /** feature -> compact index (or -1), when num_feature is small enough for a table; else null. */
  private final int[] compactOf;
  /** Row stride of the gather buffer: {@code 2 * used.length} (values, then their negations). */
  private final int stride;
  /** Per node: the compact buffer index its test reads (-1 marks a leaf of a linked tree). */
  private final int[] feat;
  /** Per node: the order key of the test's threshold (see {@link #key}). */
  private final int[] thr;
  /** Per leaf node: its value. */
  private final float[] leaf;
  /** Per node of a linked tree: the default child; the non-default child is next to it. */
  private final int[] child;
  /** Per tree: its first node. */
  private final int[] start;
  /** Per tree: its depth when stored complete, -1 when linked. */
  private final int[] depth;
  /**
   * Per node, when every tree is stored complete (else null): the test packed in one long for the batch
   * walk, {@code (compact index * BLOCK) << 32 | threshold key}, read against a block buffer laid out
   * feature-major ({@code buf[compact index * BLOCK + row]}).
   */
  private final long[] packed;
  /**
   * Whether batches go through {@link BitWalk}, whose bins are counted with {@code SimdBins}: the JVM runs
   * with {@code --add-modules jdk.incubator.vector}, and the system property {@code sieveml.simd} is not
   * {@code false}.
   */
  private static final boolean SIMD = simdAvailable();
  /** The 64-rows-a-word evaluator, when every tree is at most {@link BitWalk#MAX_DEPTH} deep; else null. */
  private final BitWalk bits;
  /** Blocks of at least this many rows go through {@link #bits}; smaller ones are walked row by row. */
  private static final int BIT_MIN_ROWS = Integer.getInteger("sieveml.bitwalk.min", 12);

  private TreeEnsemble(Parsed p, boolean bitWalk) {
    int[][] left = p.left;
    int[][] right = p.right;
    int[][] feature = p.feature;
    float[][] cond = p.cond;
    boolean[][] defaultLeft = p.defaultLeft;
    float baseMargin = p.baseMargin;
    String objective = p.objective;
    int numFeatures = p.numFeatures;
    this.baseMargin = baseMargin;
    this.objective = objective;
    this.numFeatures = numFeatures;
    this.logistic = isLogistic(objective);
    int n = left.length;
    this.treeCount = n;
    // the used features, ascending: those of the splits reachable from a root (the parser checks only
    // those against num_feature; an unreachable node may name any feature: found by Jazzer)
    java.util.BitSet seen = new java.util.BitSet();
    for (int t = 0; t < n; t++) {
      int[] stack = new int[left[t].length];
      int top = 0;
      stack[top++] = 0;
      while (top > 0) {
        int k = stack[--top];
        if (left[t][k] != -1) {
          seen.set(feature[t][k]);
          stack[top++] = left[t][k];
          stack[top++] = right[t][k];
        }
      }
    }
    this.used = seen.stream().toArray();
    int u = used.length;
    this.stride = 2 * u;
    if (numFeatures <= (1 << 16)) {
      compactOf = new int[numFeatures];
      java.util.Arrays.fill(compactOf, -1);
      for (int k = 0; k < u; k++) {
        compactOf[used[k]] = k;
      }
    } else {
      compactOf = null;
    }
    this.start = new int[n];
    this.depth = new int[n];
    long total = 0;
    boolean anyLinked = false;
    for (int t = 0; t < n; t++) {
      int d = treeDepth(left[t], right[t]);
      int nodes = left[t].length;
      boolean complete = d <= COMPLETE_DEPTH || (d <= COMPLETE_DEPTH_MAX && (1L << (d + 1)) <= 8L * nodes);
      depth[t] = complete ? d : -1;
      anyLinked |= !complete;
      start[t] = (int) total;
      total += complete ? (1L << (d + 1)) - 1 : nodes;
      if (total > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("model has too many nodes to evaluate: " + total);
      }
    }
    this.feat = new int[(int) total];
    this.thr = new int[(int) total];
    this.leaf = new float[(int) total];
    this.child = anyLinked ? new int[(int) total] : new int[0];
    int[] queue = new int[0];
    int[] slot = new int[0];
    for (int t = 0; t < n; t++) {
      if (depth[t] >= 0) {
        fillComplete(left[t], right[t], feature[t], cond[t], defaultLeft[t], 0, 0, depth[t], start[t]);
        continue;
      }
      int size = left[t].length;
      if (queue.length < size) {
        queue = new int[size];
        slot = new int[size];
      }
      // breadth-first relabelling so that siblings are adjacent: non-default = default + 1
      int next = start[t];
      int head = 0;
      int tail = 0;
      queue[tail] = 0;
      slot[tail++] = next++;
      while (head < tail) {
        int node = queue[head];
        int at = slot[head++];
        if (left[t][node] == -1) {
          feat[at] = -1;
          leaf[at] = cond[t][node];
          continue;
        }
        boolean dl = defaultLeft[t][node];
        setTest(at, feature[t][node], cond[t][node], dl);
        child[at] = next;
        queue[tail] = dl ? left[t][node] : right[t][node];
        slot[tail++] = next++;
        queue[tail] = dl ? right[t][node] : left[t][node];
        slot[tail++] = next++;
      }
    }
    if (anyLinked || (long) stride * BLOCK > Integer.MAX_VALUE) {
      this.packed = null;
    } else {
      this.packed = new long[(int) total];
      for (int g = 0; g < packed.length; g++) {
        packed[g] = ((long) feat[g] * BLOCK) << 32 | (thr[g] & 0xffffffffL);
      }
    }
    this.bits = bitWalk && SIMD ? BitWalk.compile(p, used) : null;
  }

  /** Whether the Vector API paths run (see the class comment). */
  static boolean simd() {
    return SIMD;
  }

  private static boolean simdAvailable() {
    if (!Boolean.parseBoolean(System.getProperty("sieveml.simd", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      // initialises the class, which links against jdk.incubator.vector
      return Class.forName("org.sieveml.ranking.internal.SimdBins").getName() != null;
    } catch (ReflectiveOperationException | LinkageError e) {
      return false;
    }
  }

  /**
   * An int that orders as the float does: {@code key(a) < key(b)} exactly when {@code a < b}, for all
   * floats that are not NaN ({@code -0} and {@code +0} both map to 0); NaN maps to
   * {@code Integer.MAX_VALUE}, above every threshold's key, so a test on a missing value always fails.
   * Branch-free.
   */
  static int key(float v) {
    int bits = Float.floatToRawIntBits(v + 0.0f); // -0 + 0 = +0
    int k = bits ^ ((bits >> 31) & 0x7fffffff);
    int nan = (0x7f800000 - (bits & 0x7fffffff)) >> 31; // -1 exactly for NaN
    return (k & ~nan) | (Integer.MAX_VALUE & nan);
  }

  /** The test of an inner node: {@code buf[feat] < thr} (on keys) chooses the non-default child. */
  private void setTest(int at, int feature, float cond, boolean defaultLeft) {
    int k = java.util.Arrays.binarySearch(used, feature);
    if (defaultLeft) {
      // v >= cond  <=>  v > nextDown(cond)  <=>  -v < -nextDown(cond); false for NaN
      feat[at] = used.length + k;
      thr[at] = key(-Math.nextDown(cond));
    } else {
      // v < cond; false for NaN
      feat[at] = k;
      thr[at] = key(cond);
    }
  }

  /**
   * Writes the subtree of {@code node} at position {@code pos} of a complete tree of depth {@code d}
   * starting at {@code base}: the default child at {@code 2 pos + 1}, the other at {@code 2 pos + 2}. A
   * leaf above the last level fills its whole subtree: every leaf below it gets its value, and the tests
   * on the way (compact index 0, threshold 0) do not matter.
   */
  private void fillComplete(int[] l, int[] r, int[] f, float[] c, boolean[] dl, int node, int pos, int level,
      int base) {
    if (l[node] == -1) {
      fillLeaf(pos, level, c[node], base);
      return;
    }
    setTest(base + pos, f[node], c[node], dl[node]);
    int def = dl[node] ? l[node] : r[node];
    int other = dl[node] ? r[node] : l[node];
    fillComplete(l, r, f, c, dl, def, 2 * pos + 1, level - 1, base);
    fillComplete(l, r, f, c, dl, other, 2 * pos + 2, level - 1, base);
  }

  private void fillLeaf(int pos, int level, float value, int base) {
    if (level == 0) {
      leaf[base + pos] = value;
      return;
    }
    feat[base + pos] = 0;
    thr[base + pos] = 0;
    fillLeaf(2 * pos + 1, level - 1, value, base);
    fillLeaf(2 * pos + 2, level - 1, value, base);
  }

  /** The number of inner nodes on the longest root-to-leaf path (0 for a single leaf). */
  private static int treeDepth(int[] left, int[] right) {
    int nodes = left.length;
    int[] stack = new int[nodes];
    int[] level = new int[nodes];
    int top = 0;
    stack[top++] = 0;
    int max = 0;
    while (top > 0) {
      int node = stack[--top];
      if (left[node] == -1) {
        max = Math.max(max, level[node]);
        continue;
      }
      level[left[node]] = level[node] + 1;
      level[right[node]] = level[node] + 1;
      stack[top++] = left[node];
      stack[top++] = right[node];
    }
    return max;
  }

  /**
   * Compiles XGBoost's model JSON ({@code Booster.toByteArray("json")} / {@code save_model("*.json")}).
   *
   * <p>Everything read is checked before it is used: the JSON itself ({@link Json}), the type of every
   * field, that each tree's five node arrays have one entry per node, that every child index is a node of
   * the tree and every node is reached at most once from the root (no cycles, no shared subtrees: a
   * traversal always ends at a leaf), that every split feature is below {@code num_feature}, and that
   * numbers are finite and counts integral. A malformed model is refused with an
   * {@link IllegalArgumentException} naming the field (its path in the JSON) and the value.
   *
   * @param modelJson the JSON text
   * @return the evaluator
   * @throws IllegalArgumentException if the JSON is malformed or is not a gbtree model with a supported
   *     objective
   */
  public static TreeEnsemble fromModelJson(String modelJson) {
    return new TreeEnsemble(parse(modelJson), true);
  }

  /**
   * {@link #fromModelJson} without the {@code BitWalk} path (for tests comparing the paths).
   *
   * @param modelJson the JSON text
   * @return the evaluator, walking rows one by one
   */
  static TreeEnsemble withoutBitWalk(String modelJson) {
    return new TreeEnsemble(parse(modelJson), false);
  }

  /**
   * XGBoost's model JSON parsed and checked as {@link #fromModelJson} does, without compiling the evaluator
   * (the ONNX export reads the trees as XGBoost numbers their nodes).
   *
   * @param modelJson the JSON text
   * @return the parsed trees
   * @throws IllegalArgumentException as {@link #fromModelJson}
   */
  static Parsed parse(String modelJson) {
    Map<String, Object> root = object(Json.parse(modelJson), "the model JSON");
    Map<String, Object> learner = object(root.get("learner"), "learner");
    Map<String, Object> mp = object(learner.get("learner_model_param"), "learner.learner_model_param");
    float baseScore = floatText(mp.get("base_score"), "learner.learner_model_param.base_score");
    int numFeature = intText(mp.get("num_feature"), "learner.learner_model_param.num_feature");
    if (numFeature < 0 || numFeature > MAX_FEATURES) {
      throw new IllegalArgumentException("model JSON: learner.learner_model_param.num_feature is " + numFeature
          + "; expected 0.." + MAX_FEATURES);
    }
    Object numClassField = mp.get("num_class");
    int numClass = numClassField == null ? 0 : intText(numClassField, "learner.learner_model_param.num_class");
    if (numClass > 1) {
      throw new IllegalArgumentException("num_class is " + numClass + "; expected a single-output model");
    }
    String objective = text(object(learner.get("objective"), "learner.objective").get("name"),
        "learner.objective.name");
    Map<String, Object> gb = object(learner.get("gradient_booster"), "learner.gradient_booster");
    if (!"gbtree".equals(gb.get("name"))) {
      throw new IllegalArgumentException("booster is " + gb.get("name") + "; expected gbtree");
    }
    String at = "learner.gradient_booster.model.trees";
    List<Object> trees = list(object(gb.get("model"), "learner.gradient_booster.model").get("trees"), at);
    int n = trees.size();
    int[][] l = new int[n][];
    int[][] r = new int[n][];
    int[][] f = new int[n][];
    float[][] c = new float[n][];
    boolean[][] d = new boolean[n][];
    for (int t = 0; t < n; t++) {
      String tp = at + "[" + t + "]";
      Map<String, Object> tree = object(trees.get(t), tp);
      Object catsField = tree.get("split_type");
      if (catsField != null) {
        List<Object> cats = list(catsField, tp + ".split_type");
        for (int k = 0; k < cats.size(); k++) {
          if (integer(cats.get(k), tp + ".split_type[" + k + "]") != 0) {
            throw new IllegalArgumentException("tree " + t + " has categorical splits; not supported");
          }
        }
      }
      l[t] = ints(tree.get("left_children"), tp + ".left_children");
      int nodes = l[t].length;
      if (nodes == 0) {
        throw new IllegalArgumentException(tp + ".left_children is empty; expected at least the root");
      }
      r[t] = ints(tree.get("right_children"), tp + ".right_children");
      f[t] = ints(tree.get("split_indices"), tp + ".split_indices");
      List<Object> sc = list(tree.get("split_conditions"), tp + ".split_conditions");
      List<Object> dl = list(tree.get("default_left"), tp + ".default_left");
      sameLength(r[t].length, nodes, tp + ".right_children");
      sameLength(f[t].length, nodes, tp + ".split_indices");
      sameLength(sc.size(), nodes, tp + ".split_conditions");
      sameLength(dl.size(), nodes, tp + ".default_left");
      c[t] = new float[nodes];
      d[t] = new boolean[nodes];
      for (int k = 0; k < nodes; k++) {
        String np = tp + ".split_conditions[" + k + "]";
        double v = number(sc.get(k), np);
        if (!Float.isFinite((float) v)) {
          throw new IllegalArgumentException(np + " is " + v + "; expected a finite float");
        }
        c[t][k] = (float) v;
        Object o = dl.get(k);
        d[t][k] = o instanceof Boolean ? (Boolean) o : integer(o, tp + ".default_left[" + k + "]") != 0;
      }
      checkTree(l[t], r[t], f[t], numFeature, tp);
    }
    float margin;
    switch (objective) {
      case "binary:logistic":
      case "reg:logistic":
        if (!(baseScore > 0 && baseScore < 1)) {
          throw new IllegalArgumentException("learner.learner_model_param.base_score is " + baseScore
              + "; expected a probability in (0, 1) under " + objective);
        }
        margin = (float) -Math.log(1.0 / baseScore - 1.0);
        break;
      case "reg:squarederror":
      case "binary:logitraw":
      case "rank:ndcg":
      case "rank:pairwise":
      case "rank:map":
        margin = baseScore;
        break;
      default:
        throw new IllegalArgumentException("objective is " + objective + "; not supported by the evaluator");
    }
    return new Parsed(l, r, f, c, d, margin, objective, numFeature);
  }

  /**
   * A parsed model: per tree, the left and right children (-1 at a leaf), split features, split conditions
   * (leaf values at leaves) and default directions, indexed by XGBoost's node ids; the base margin (logit of
   * base_score under a logistic objective, else base_score), the objective and num_feature. Every split
   * reachable from a root is checked; the arrays are not copied, callers must not modify them.
   */
  static final class Parsed {
    final int[][] left;
    final int[][] right;
    final int[][] feature;
    final float[][] cond;
    final boolean[][] defaultLeft;
    final float baseMargin;
    final String objective;
    final int numFeatures;

    Parsed(int[][] left, int[][] right, int[][] feature, float[][] cond, boolean[][] defaultLeft, float baseMargin,
        String objective, int numFeatures) {
      this.left = left;
      this.right = right;
      this.feature = feature;
      this.cond = cond;
      this.defaultLeft = defaultLeft;
      this.baseMargin = baseMargin;
      this.objective = objective;
      this.numFeatures = numFeatures;
    }

    /** Whether predictions are the sigmoid of the margin (binary:logistic, reg:logistic). */
    boolean logistic() {
      return isLogistic(objective);
    }
  }

  private static boolean isLogistic(String objective) {
    return "binary:logistic".equals(objective) || "reg:logistic".equals(objective);
  }

  /**
   * Checks one tree's structure: an inner node has two children that are nodes of the tree and a split
   * feature in {@code [0, numFeature)}; a leaf has {@code -1} for both children; no node is reached twice
   * from the root (which also rules out cycles), so every traversal ends at a leaf.
   */
  private static void checkTree(int[] left, int[] right, int[] feature, int numFeature, String path) {
    int nodes = left.length;
    boolean[] reached = new boolean[nodes];
    int[] stack = new int[nodes];
    int top = 0;
    stack[top++] = 0;
    reached[0] = true;
    while (top > 0) {
      int node = stack[--top];
      int a = left[node];
      int b = right[node];
      if (a == -1 || b == -1) {
        if (a != b) {
          throw new IllegalArgumentException(path + " node " + node + " has children " + a + " and " + b
              + "; expected two nodes, or -1 and -1 for a leaf");
        }
        continue;
      }
      if (feature[node] < 0 || feature[node] >= numFeature) {
        throw new IllegalArgumentException(path + ".split_indices[" + node + "] is " + feature[node]
            + "; expected a feature in [0, " + numFeature + ")");
      }
      for (int child : new int[] {a, b}) {
        if (child < 0 || child >= nodes) {
          throw new IllegalArgumentException(path + " node " + node + " has the child " + child
              + "; expected a node in [0, " + nodes + ")");
        }
        if (reached[child]) {
          throw new IllegalArgumentException(path + " node " + child + " is reached twice (a cycle or a shared"
              + " subtree); expected a tree");
        }
        reached[child] = true;
        stack[top++] = child;
      }
    }
  }

  private static void sameLength(int length, int nodes, String path) {
    if (length != nodes) {
      throw new IllegalArgumentException(path + " has " + length + " entries; expected one per node (" + nodes
          + ")");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object o, String path) {
    if (!(o instanceof Map)) {
      throw new IllegalArgumentException("model JSON: " + path + " is " + describe(o) + "; expected an object");
    }
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o, String path) {
    if (!(o instanceof List)) {
      throw new IllegalArgumentException("model JSON: " + path + " is " + describe(o) + "; expected an array");
    }
    return (List<Object>) o;
  }

  private static String text(Object o, String path) {
    if (!(o instanceof String)) {
      throw new IllegalArgumentException("model JSON: " + path + " is " + describe(o) + "; expected a string");
    }
    return (String) o;
  }

  private static double number(Object o, String path) {
    if (!(o instanceof Number)) {
      throw new IllegalArgumentException("model JSON: " + path + " is " + describe(o) + "; expected a number");
    }
    return ((Number) o).doubleValue();
  }

  /** A JSON number that is an integer in the int range. */
  private static int integer(Object o, String path) {
    double v = number(o, path);
    if (v != Math.rint(v) || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("model JSON: " + path + " is " + v + "; expected an integer");
    }
    return (int) v;
  }

  /** An integer written as a string, as XGBoost writes its model parameters. */
  private static int intText(Object o, String path) {
    String s = text(o, path);
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("model JSON: " + path + " is '" + s + "'; expected an integer");
    }
  }

  /** A finite float written as a string (XGBoost writes base_score so, e.g. "5E-1"). */
  private static float floatText(Object o, String path) {
    String s = text(o, path);
    float v;
    try {
      v = Float.parseFloat(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("model JSON: " + path + " is '" + s + "'; expected a number");
    }
    if (!Float.isFinite(v)) {
      throw new IllegalArgumentException("model JSON: " + path + " is '" + s + "'; expected a finite number");
    }
    return v;
  }

  private static String describe(Object o) {
    if (o == null) {
      return "missing (or null)";
    }
    String s = o instanceof String ? "'" + o + "'" : o instanceof Map ? "an object" : o instanceof List
        ? "an array" : String.valueOf(o);
    return s.length() > 60 ? s.substring(0, 60) + "..." : s;
  }

  private static int[] ints(Object o, String path) {
    List<Object> l = list(o, path);
    int[] a = new int[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = integer(l.get(i), path + "[" + i + "]");
    }
    return a;
  }

  /**
   * The number of trees.
   *
   * @return the tree count
   */
  public int treeCount() {
    return treeCount;
  }

  /**
   * The number of input features the booster was trained with.
   *
   * @return the feature count
   */
  public int numFeatures() {
    return numFeatures;
  }

  /**
   * The XGBoost objective name.
   *
   * @return the objective
   */
  public String objective() {
    return objective;
  }

  /**
   * The raw margin (sum of leaves plus base margin) of one row.
   *
   * @param row the data, NaN = missing
   * @param offset where the row starts
   * @return the margin
   * @throws IllegalArgumentException if the row is too short for a feature the trees use
   */
  public float margin(double[] row, int offset) {
    int u = used.length;
    if (u > 0 && (offset < 0 || (long) offset + used[u - 1] >= row.length)) {
      throw new IllegalArgumentException("row: " + (row.length - (long) offset) + " values from offset " + offset
          + "; expected at least " + (used[u - 1] + 1L) + " (the highest feature a split uses + 1)");
    }
    int[] buf = new int[stride];
    for (int k = 0; k < u; k++) {
      float v = (float) row[offset + used[k]];
      buf[k] = key(v);
      buf[u + k] = key(-v);
    }
    float[] sums = {baseMargin};
    walk(buf, 1, sums);
    return sums[0];
  }

  /**
   * The prediction XGBoost would return for one row (the margin transformed by the objective's link).
   *
   * @param row the data, NaN = missing
   * @param offset where the row starts
   * @return the prediction
   * @throws IllegalArgumentException if the row is too short for a feature the trees use
   */
  public double predict(double[] row, int offset) {
    return link(margin(row, offset));
  }

  private double link(float margin) {
    return logistic ? (float) (1.0 / (1.0 + Math.exp(-margin))) : margin;
  }

  /**
   * The predictions XGBoost would return for a batch of dense rows given as one row-major float array,
   * NaN marking a missing value (as a {@code DMatrix(float[], nrow, ncol, Float.NaN)}).
   *
   * @param x row-major values, at least {@code n * width} long, NaN = missing
   * @param n the number of rows
   * @param width the row width (at least the highest feature a split uses + 1)
   * @param out receives {@code n} predictions at {@code out[0..n)}
   * @throws IllegalArgumentException if {@code n} or {@code width} is negative, the arrays are too short,
   *     or {@code width} does not cover a feature the trees use
   */
  public void predictBatch(float[] x, int n, int width, double[] out) {
    if (n < 0 || width < 0) {
      throw new IllegalArgumentException("n is " + n + " and width " + width + "; expected both >= 0");
    }
    if ((long) n * width > x.length || out.length < n) {
      throw new IllegalArgumentException("x has " + x.length + " values and out " + out.length + " slots; expected"
          + " at least n * width = " + (long) n * width + " and n = " + n);
    }
    int u = used.length;
    if (n > 0 && u > 0 && used[u - 1] >= width) {
      throw new IllegalArgumentException("width is " + width + "; the trees split on feature " + used[u - 1]);
    }
    int[] used = this.used;
    float[] sums = new float[BLOCK];
    if (bits != null && n >= BIT_MIN_ROWS) {
      float[] xb = new float[Math.max(1, u) * BLOCK];
      BitWalk.Scratch scratch = bits.scratch();
      int[] buf = null;
      for (int from = 0; from < n; from += BLOCK) {
        int m = Math.min(BLOCK, n - from);
        java.util.Arrays.fill(sums, 0, m, baseMargin);
        if (m >= BIT_MIN_ROWS) {
          for (int r = 0; r < m; r++) {
            int base = (from + r) * width;
            for (int k = 0, b = r; k < u; k++, b += BLOCK) {
              xb[b] = x[base + used[k]] + 0.0f; // -0 -> +0, as the bins need
            }
          }
          bits.block(xb, m, sums, scratch);
        } else {
          if (buf == null) {
            buf = new int[m * stride];
          }
          gatherRows(x, from, m, width, buf);
          walk(buf, m, sums);
        }
        for (int r = 0; r < m; r++) {
          out[from + r] = link(sums[r]);
        }
      }
      return;
    }
    if (packed != null) {
      int[] buf = new int[stride * BLOCK];
      for (int from = 0; from < n; from += BLOCK) {
        int m = Math.min(BLOCK, n - from);
        for (int r = 0; r < m; r++) {
          int base = (from + r) * width;
          for (int k = 0, b = r; k < u; k++, b += BLOCK) {
            float v = x[base + used[k]];
            buf[b] = key(v);
            buf[b + u * BLOCK] = key(-v);
          }
        }
        java.util.Arrays.fill(sums, 0, m, baseMargin);
        walkBlock(buf, m, sums);
        for (int r = 0; r < m; r++) {
          out[from + r] = link(sums[r]);
        }
      }
      return;
    }
    int s = stride;
    int[] buf = new int[Math.min(n, BLOCK) * s];
    for (int from = 0; from < n; from += BLOCK) {
      int m = Math.min(BLOCK, n - from);
      gatherRows(x, from, m, width, buf);
      java.util.Arrays.fill(sums, 0, m, baseMargin);
      walk(buf, m, sums);
      for (int r = 0; r < m; r++) {
        out[from + r] = link(sums[r]);
      }
    }
  }

  /**
   * Gathers rows {@code from .. from + m - 1} of row-major {@code x} into the row-major key buffer the row
   * walk reads: per row, {@link #stride} keys, each used feature's value and then its negation.
   */
  private void gatherRows(float[] x, int from, int m, int width, int[] buf) {
    int[] used = this.used;
    int u = used.length;
    for (int r = 0; r < m; r++) {
      int base = (from + r) * width;
      int b = r * stride;
      for (int k = 0; k < u; k++) {
        float v = x[base + used[k]];
        buf[b + k] = key(v);
        buf[b + u + k] = key(-v);
      }
    }
  }

  /**
   * The predictions XGBoost would return for a batch of sparse rows in CSR form, as a
   * {@code DMatrix(rowHeaders, indices, data, DMatrix.SparseType.CSR, numColumns)}: row {@code r} holds the
   * entries {@code rowStart[r] .. rowStart[r + 1] - 1} of {@code cols} (column indexes, ascending as in a
   * CSR matrix) and {@code vals}; a column absent from a row is missing and takes the default branch, as
   * does a NaN value. Only the features the trees split on are read, so rows may be very wide. Should a
   * row list a column twice (XGBoost refuses such a matrix), the last entry counts.
   *
   * @param rowStart row offsets into {@code cols} and {@code vals}, at least {@code n + 1} long,
   *     non-decreasing over the rows read
   * @param cols column indexes, each in {@code [0, numFeatures())}
   * @param vals values, NaN = missing
   * @param n the number of rows
   * @param out receives {@code n} predictions at {@code out[0..n)}
   * @throws IllegalArgumentException if {@code n} is negative, an array is too short, row offsets are
   *     out of order or out of range, or a column index is outside {@code [0, numFeatures())}
   */
  public void predictSparse(int[] rowStart, int[] cols, float[] vals, int n, double[] out) {
    if (n < 0 || rowStart.length < (long) n + 1 || out.length < n) {
      throw new IllegalArgumentException("n is " + n + ", rowStart has " + rowStart.length + " entries and out "
          + out.length + " slots; expected n >= 0, n + 1 row offsets and n slots");
    }
    int u = used.length;
    int s = stride;
    int[] compactOf = this.compactOf;
    int limit = Math.min(cols.length, vals.length);
    boolean bitWalk = bits != null && n >= BIT_MIN_ROWS;
    int[] buf = new int[Math.min(n, BLOCK) * s];
    float[] xb = bitWalk ? new float[Math.max(1, u) * BLOCK] : null;
    BitWalk.Scratch scratch = bitWalk ? bits.scratch() : null;
    float[] sums = new float[BLOCK];
    for (int from = 0; from < n; from += BLOCK) {
      int m = Math.min(BLOCK, n - from);
      boolean byBits = bitWalk && m >= BIT_MIN_ROWS;
      if (byBits) {
        java.util.Arrays.fill(xb, Float.NaN); // all missing
      } else {
        java.util.Arrays.fill(buf, 0, m * s, Integer.MAX_VALUE); // all missing
      }
      for (int r = 0; r < m; r++) {
        int row = from + r;
        int lo = rowStart[row];
        int hi = rowStart[row + 1];
        if (lo < 0 || hi < lo || hi > limit) {
          throw new IllegalArgumentException("row " + row + " spans entries [" + lo + ", " + hi + "); expected"
              + " 0 <= start <= end <= " + limit + " (the entries in cols and vals)");
        }
        int b = r * s;
        for (int j = lo; j < hi; j++) {
          int c = cols[j];
          if (c < 0 || c >= numFeatures) {
            throw new IllegalArgumentException("cols[" + j + "] (row " + row + ") is " + c + "; expected a column"
                + " in [0, " + numFeatures + ")");
          }
          int k = compactOf != null ? compactOf[c] : java.util.Arrays.binarySearch(used, c);
          if (k >= 0) {
            float v = vals[j];
            if (byBits) {
              xb[k * BLOCK + r] = v + 0.0f; // -0 -> +0, as the bins need
            } else {
              buf[b + k] = key(v);
              buf[b + u + k] = key(-v);
            }
          }
        }
      }
      java.util.Arrays.fill(sums, 0, m, baseMargin);
      if (byBits) {
        bits.block(xb, m, sums, scratch);
      } else {
        walk(buf, m, sums);
      }
      for (int r = 0; r < m; r++) {
        out[from + r] = link(sums[r]);
      }
    }
  }

  /** 1 when {@code a < b}, else 0, without a branch. */
  private static int less(int a, int b) {
    return (int) (((long) a - b) >>> 63);
  }

  /**
   * Adds every tree's leaf, in model order, to {@code sums[r]} for the {@code m} gathered rows in buf.
   * A complete tree is walked level by level over all rows of the block: each row's step is independent
   * of the others', so their load chains overlap, and the step has no branch.
   */
  private void walk(int[] buf, int m, float[] sums) {
    int[] feat = this.feat;
    int[] thr = this.thr;
    float[] leaf = this.leaf;
    int s = stride;
    int[] gs = new int[m];
    for (int t = 0; t < treeCount; t++) {
      int o = start[t];
      int d = depth[t];
      if (d < 0) {
        linked(buf, m, sums, o);
        continue;
      }
      int k = 1 - o;
      java.util.Arrays.fill(gs, o);
      for (int l = 0; l < d; l++) {
        for (int r = 0, b = 0; r < m; r++, b += s) {
          int g = gs[r];
          gs[r] = 2 * g + k + less(buf[b + feat[g]], thr[g]);
        }
      }
      for (int r = 0; r < m; r++) {
        sums[r] += leaf[gs[r]];
      }
    }
  }

  /**
   * Adds every tree's leaf, in model order, to {@code sums[r]} for rows {@code 0 .. m-1} of a feature-major
   * block buffer ({@code buf[c * BLOCK + r]}); every tree is complete. Eight rows are walked side by side,
   * each in a local, so their independent load chains overlap; the root's test is read once for all eight.
   */
  private void walkBlock(int[] buf, int m, float[] sums) {
    long[] node = this.packed;
    float[] leaf = this.leaf;
    int[] start = this.start;
    int[] depth = this.depth;
    for (int t = 0; t < treeCount; t++) {
      int o = start[t];
      int d = depth[t];
      if (d == 0) {
        float v = leaf[o];
        for (int r = 0; r < m; r++) {
          sums[r] += v;
        }
        continue;
      }
      int k = 1 - o;
      long root = node[o];
      int rf = (int) (root >>> 32);
      int rt = (int) root;
      int r = 0;
      for (; r + 8 <= m; r += 8) {
        int p = rf + r;
        int g0 = o + 1 + less(buf[p], rt);
        int g1 = o + 1 + less(buf[p + 1], rt);
        int g2 = o + 1 + less(buf[p + 2], rt);
        int g3 = o + 1 + less(buf[p + 3], rt);
        int g4 = o + 1 + less(buf[p + 4], rt);
        int g5 = o + 1 + less(buf[p + 5], rt);
        int g6 = o + 1 + less(buf[p + 6], rt);
        int g7 = o + 1 + less(buf[p + 7], rt);
        for (int l = 1; l < d; l++) {
          long n0 = node[g0];
          long n1 = node[g1];
          long n2 = node[g2];
          long n3 = node[g3];
          long n4 = node[g4];
          long n5 = node[g5];
          long n6 = node[g6];
          long n7 = node[g7];
          g0 = 2 * g0 + k + less(buf[(int) (n0 >>> 32) + r], (int) n0);
          g1 = 2 * g1 + k + less(buf[(int) (n1 >>> 32) + r + 1], (int) n1);
          g2 = 2 * g2 + k + less(buf[(int) (n2 >>> 32) + r + 2], (int) n2);
          g3 = 2 * g3 + k + less(buf[(int) (n3 >>> 32) + r + 3], (int) n3);
          g4 = 2 * g4 + k + less(buf[(int) (n4 >>> 32) + r + 4], (int) n4);
          g5 = 2 * g5 + k + less(buf[(int) (n5 >>> 32) + r + 5], (int) n5);
          g6 = 2 * g6 + k + less(buf[(int) (n6 >>> 32) + r + 6], (int) n6);
          g7 = 2 * g7 + k + less(buf[(int) (n7 >>> 32) + r + 7], (int) n7);
        }
        sums[r] += leaf[g0];
        sums[r + 1] += leaf[g1];
        sums[r + 2] += leaf[g2];
        sums[r + 3] += leaf[g3];
        sums[r + 4] += leaf[g4];
        sums[r + 5] += leaf[g5];
        sums[r + 6] += leaf[g6];
        sums[r + 7] += leaf[g7];
      }
      for (; r < m; r++) {
        int g = o;
        for (int l = 0; l < d; l++) {
          long nd = node[g];
          g = 2 * g + k + less(buf[(int) (nd >>> 32) + r], (int) nd);
        }
        sums[r] += leaf[g];
      }
    }
  }

  /** One linked (deep) tree starting at node o, for the m gathered rows. */
  private void linked(int[] buf, int m, float[] sums, int o) {
    int[] feat = this.feat;
    int[] thr = this.thr;
    int[] child = this.child;
    int s = stride;
    for (int r = 0; r < m; r++) {
      int b = r * s;
      int g = o;
      int f;
      while ((f = feat[g]) >= 0) {
        g = child[g] + less(buf[b + f], thr[g]);
      }
      sums[r] += leaf[g];
    }
  }



  /**
   * A model JSON trained over compacted columns, rewritten over the original ones: every tree's
   * {@code split_indices} entry {@code j} becomes {@code columns[j]} and every {@code num_feature} becomes
   * {@code width}. The rest of the text is unchanged.
   *
   * @param modelJson XGBoost model JSON whose features are {@code 0..columns.length-1}
   * @param columns the original column of each compacted one, ascending
   * @param width the original width
   * @return the rewritten JSON
   * @throws IllegalArgumentException if a split index is outside the compacted columns
   */
  public static String remapColumns(String modelJson, int[] columns, int width) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"split_indices\"\\s*:\\s*\\[([^\\]]*)\\]")
        .matcher(modelJson);
    StringBuilder out = new StringBuilder(modelJson.length() + modelJson.length() / 4);
    int last = 0;
    while (m.find()) {
      out.append(modelJson, last, m.start(1));
      String body = m.group(1).trim();
      if (!body.isEmpty()) {
        String[] parts = body.split(",");
        for (int k = 0; k < parts.length; k++) {
          int j = Integer.parseInt(parts[k].trim());
          if (j < 0 || j >= Math.max(1, columns.length)) {
            throw new IllegalArgumentException("split index " + j + " is outside the " + columns.length
                + " compacted columns");
          }
          out.append(k == 0 ? "" : ",").append(columns.length == 0 ? 0 : columns[j]);
        }
      }
      last = m.end(1);
    }
    out.append(modelJson, last, modelJson.length());
    return out.toString().replaceAll("\"num_feature\"\\s*:\\s*\"\\d+\"", "\"num_feature\":\"" + width + "\"");
  }
}
