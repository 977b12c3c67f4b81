package org.sieveml.ranking.internal;

import java.util.List;
import java.util.Map;

/**
 * A pure-Java evaluator of an XGBoost tree ensemble, compiled from the booster's model JSON. Each tree is
 * flattened into parallel arrays; a row is routed exactly as XGBoost routes it: the feature value is cast
 * to float and the row goes left when {@code value < split_condition}, or along the node's default branch
 * when the value is NaN (missing). Leaf values are summed in float, from the base margin, as XGBoost's CPU
 * predictor does.
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class TreeEnsemble {
  private final int[][] left;
  private final int[][] right;
  private final int[][] feature;
  private final float[][] cond;
  private final boolean[][] defaultLeft;
  private final float baseMargin;
  private final String objective;
  private final int numFeatures;
  private final boolean logistic;
  /** Packed nodes of all trees: meta[2n] = feature << 1 | defaultLeft (-1 for a leaf), meta[2n+1] = left child (right = left + 1). */
  private final int[] meta;
  /** Split condition of an inner node, leaf value of a leaf. */
  private final float[] value;
  private final int[] roots;
  /** The most input features a model may have: a split feature is packed into 31 bits with a flag. */
  public static final int MAX_FEATURES = 1 << 30;

  private TreeEnsemble(int[][] left, int[][] right, int[][] feature, float[][] cond, boolean[][] defaultLeft,
      float baseMargin, String objective, int numFeatures) {
    this.left = left;
    this.right = right;
    this.feature = feature;
    this.cond = cond;
    this.defaultLeft = defaultLeft;
    this.baseMargin = baseMargin;
    this.objective = objective;
    this.numFeatures = numFeatures;
    this.logistic = "binary:logistic".equals(objective) || "reg:logistic".equals(objective);
    int total = 0;
    for (int[] l : left) {
      total += l.length;
    }
    this.meta = new int[2 * total];
    this.value = new float[total];
    this.roots = new int[left.length];
    int next = 0;
    int[] queue = new int[0];
    int[] slot = new int[0];
    for (int t = 0; t < left.length; t++) {
      int size = left[t].length;
      if (queue.length < size) {
        queue = new int[size];
        slot = new int[size];
      }
      // breadth-first relabelling so that siblings are adjacent: right = left + 1
      roots[t] = next;
      int head = 0;
      int tail = 0;
      queue[tail] = 0;
      slot[tail++] = next++;
      while (head < tail) {
        int node = queue[head];
        int at = slot[head++];
        if (left[t][node] == -1) {
          meta[2 * at] = -1;
          value[at] = cond[t][node];
        } else {
          meta[2 * at] = feature[t][node] << 1 | (defaultLeft[t][node] ? 1 : 0);
          meta[2 * at + 1] = next;
          value[at] = cond[t][node];
          queue[tail] = left[t][node];
          slot[tail++] = next++;
          queue[tail] = right[t][node];
          slot[tail++] = next++;
        }
      }
    }
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
    return new TreeEnsemble(l, r, f, c, d, margin, objective, numFeature);
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
    return left.length;
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
   * The parsed trees, for {@link OnnxExport}: per tree, the left and right children (-1 at a leaf), split
   * features, split conditions (leaf values at leaves) and default directions, indexed by XGBoost's node
   * ids. The arrays are shared, not copied: callers must not modify them.
   */
  int[][] leftChildren() {
    return left;
  }

  int[][] rightChildren() {
    return right;
  }

  int[][] splitFeatures() {
    return feature;
  }

  float[][] splitConditions() {
    return cond;
  }

  boolean[][] defaultLeft() {
    return defaultLeft;
  }

  /** The margin the leaves are added to (logit(base_score) under a logistic objective, else base_score). */
  float baseMargin() {
    return baseMargin;
  }

  /** Whether predictions are the sigmoid of the margin (binary:logistic, reg:logistic). */
  boolean logistic() {
    return logistic;
  }

  /**
   * The raw margin (sum of leaves plus base margin) of one row.
   *
   * @param row the data
   * @param offset where the row starts
   * @return the margin
   */
  public float margin(double[] row, int offset) {
    float sum = baseMargin;
    for (int t = 0; t < left.length; t++) {
      int[] lt = left[t];
      int[] rt = right[t];
      int[] ft = feature[t];
      float[] ct = cond[t];
      boolean[] dt = defaultLeft[t];
      int node = 0;
      while (lt[node] != -1) {
        float v = (float) row[offset + ft[node]];
        if (v != v) {
          node = dt[node] ? lt[node] : rt[node];
        } else {
          node = v < ct[node] ? lt[node] : rt[node];
        }
      }
      sum += ct[node];
    }
    return sum;
  }

  /**
   * The predictions XGBoost would return for a batch of rows given as one row-major float array. Rows are
   * processed in blocks of 32 per tree so the tree stays in cache and independent traversals overlap;
   * child selection is arithmetic (right = left + 1), not a data-dependent branch.
   *
   * @param x row-major values, {@code n * width} long, NaN = missing
   * @param n the number of rows
   * @param width the row width
   * @param out receives {@code n} predictions
   */
  public void predictBatch(float[] x, int n, int width, double[] out) {
    final int block = 32;
    float[] sums = new float[block];
    for (int start = 0; start < n; start += block) {
      int m = Math.min(block, n - start);
      java.util.Arrays.fill(sums, 0, m, baseMargin);
      boolean anyMissing = false;
      for (int i = start * width, e = (start + m) * width; i < e; i++) {
        if (x[i] != x[i]) {
          anyMissing = true;
          break;
        }
      }
      if (!anyMissing && m == block) {
        lockstep(x, start, width, sums);
      } else {
        general(x, start, m, width, sums);
      }
      for (int r = 0; r < m; r++) {
        out[start + r] = logistic ? (float) (1.0 / (1.0 + Math.exp(-sums[r]))) : sums[r];
      }
    }
  }

  /** Four rows at a time through each tree, so their dependent load chains overlap; no missing values. */
  private void lockstep(float[] x, int start, int width, float[] sums) {
    int[] meta = this.meta;
    float[] value = this.value;
    for (int root : roots) {
      for (int r = 0; r < 32; r += 4) {
        int b0 = (start + r) * width;
        int b1 = b0 + width;
        int b2 = b1 + width;
        int b3 = b2 + width;
        int n0 = root;
        int n1 = root;
        int n2 = root;
        int n3 = root;
        while (true) {
          int w0 = meta[2 * n0];
          int w1 = meta[2 * n1];
          int w2 = meta[2 * n2];
          int w3 = meta[2 * n3];
          if ((w0 & w1 & w2 & w3) < 0) {
            break;
          }
          if (w0 >= 0) {
            n0 = meta[2 * n0 + 1] + (x[b0 + (w0 >>> 1)] < value[n0] ? 0 : 1);
          }
          if (w1 >= 0) {
            n1 = meta[2 * n1 + 1] + (x[b1 + (w1 >>> 1)] < value[n1] ? 0 : 1);
          }
          if (w2 >= 0) {
            n2 = meta[2 * n2 + 1] + (x[b2 + (w2 >>> 1)] < value[n2] ? 0 : 1);
          }
          if (w3 >= 0) {
            n3 = meta[2 * n3 + 1] + (x[b3 + (w3 >>> 1)] < value[n3] ? 0 : 1);
          }
        }
        sums[r] += value[n0];
        sums[r + 1] += value[n1];
        sums[r + 2] += value[n2];
        sums[r + 3] += value[n3];
      }
    }
  }

  private void general(float[] x, int start, int m, int width, float[] sums) {
    int[] meta = this.meta;
    float[] value = this.value;
    {
      for (int root : roots) {
        for (int r = 0; r < m; r++) {
          int base = (start + r) * width;
          int node = root;
          int w;
          while ((w = meta[2 * node]) >= 0) {
            float v = x[base + (w >>> 1)];
            int goRight = v < value[node] ? 0 : 1;
            if (v != v) {
              goRight = (w & 1) ^ 1;
            }
            node = meta[2 * node + 1] + goRight;
          }
          sums[r] += value[node];
        }
      }
    }
  }

  /**
   * The prediction XGBoost would return for one row (the margin transformed by the objective's link).
   *
   * @param row the data
   * @param offset where the row starts
   * @return the prediction
   */
  public double predict(double[] row, int offset) {
    float m = margin(row, offset);
    if (logistic) {
      return (float) (1.0 / (1.0 + Math.exp(-m)));
    }
    return m;
  }

  /**
   * Predictions for CSR rows: row {@code r} holds columns {@code cols[rowStart[r]..rowStart[r+1])} (ascending)
   * with values {@code vals}; an absent column is missing, as in XGBoost's CSR matrices.
   *
   * @param rowStart row offsets, {@code n + 1} long
   * @param cols column indexes
   * @param vals values
   * @param n the number of rows
   * @param out receives {@code n} predictions
   */
  public void predictSparse(int[] rowStart, int[] cols, float[] vals, int n, double[] out) {
    for (int r = 0; r < n; r++) {
      int from = rowStart[r];
      int to = rowStart[r + 1];
      float sum = baseMargin;
      for (int t = 0; t < left.length; t++) {
        int[] lt = left[t];
        int[] rt = right[t];
        int[] ft = feature[t];
        float[] ct = cond[t];
        boolean[] dt = defaultLeft[t];
        int node = 0;
        while (lt[node] != -1) {
          int k = java.util.Arrays.binarySearch(cols, from, to, ft[node]);
          float v = k < 0 ? Float.NaN : vals[k];
          if (v != v) {
            node = dt[node] ? lt[node] : rt[node];
          } else {
            node = v < ct[node] ? lt[node] : rt[node];
          }
        }
        sum += ct[node];
      }
      out[r] = logistic ? (float) (1.0 / (1.0 + Math.exp(-sum))) : sum;
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
