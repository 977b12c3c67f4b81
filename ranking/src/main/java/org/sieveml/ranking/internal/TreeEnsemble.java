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
   * @param modelJson the JSON text
   * @return the evaluator
   * @throws IllegalArgumentException if the JSON is not a gbtree model with a supported objective
   */
  @SuppressWarnings("unchecked")
  public static TreeEnsemble fromModelJson(String modelJson) {
    Map<String, Object> root = (Map<String, Object>) Json.parse(modelJson);
    Map<String, Object> learner = (Map<String, Object>) root.get("learner");
    if (learner == null) {
      throw new IllegalArgumentException("model JSON has no 'learner'");
    }
    Map<String, Object> mp = (Map<String, Object>) learner.get("learner_model_param");
    float baseScore = Float.parseFloat((String) mp.get("base_score"));
    int numFeature = Integer.parseInt((String) mp.get("num_feature"));
    String numClass = (String) mp.getOrDefault("num_class", "0");
    if (Integer.parseInt(numClass) > 1) {
      throw new IllegalArgumentException("num_class is " + numClass + "; expected a single-output model");
    }
    String objective = (String) ((Map<String, Object>) learner.get("objective")).get("name");
    Map<String, Object> gb = (Map<String, Object>) learner.get("gradient_booster");
    if (!"gbtree".equals(gb.get("name"))) {
      throw new IllegalArgumentException("booster is " + gb.get("name") + "; expected gbtree");
    }
    Map<String, Object> model = (Map<String, Object>) gb.get("model");
    List<Object> trees = (List<Object>) model.get("trees");
    int n = trees.size();
    int[][] l = new int[n][];
    int[][] r = new int[n][];
    int[][] f = new int[n][];
    float[][] c = new float[n][];
    boolean[][] d = new boolean[n][];
    for (int t = 0; t < n; t++) {
      Map<String, Object> tree = (Map<String, Object>) trees.get(t);
      List<Object> cats = (List<Object>) tree.get("split_type");
      if (cats != null) {
        for (Object o : cats) {
          if (((Number) o).intValue() != 0) {
            throw new IllegalArgumentException("tree " + t + " has categorical splits; not supported");
          }
        }
      }
      l[t] = ints((List<Object>) tree.get("left_children"));
      r[t] = ints((List<Object>) tree.get("right_children"));
      f[t] = ints((List<Object>) tree.get("split_indices"));
      List<Object> sc = (List<Object>) tree.get("split_conditions");
      c[t] = new float[sc.size()];
      for (int k = 0; k < c[t].length; k++) {
        c[t][k] = (float) ((Number) sc.get(k)).doubleValue();
      }
      List<Object> dl = (List<Object>) tree.get("default_left");
      d[t] = new boolean[dl.size()];
      for (int k = 0; k < d[t].length; k++) {
        Object o = dl.get(k);
        d[t][k] = o instanceof Boolean ? (Boolean) o : ((Number) o).intValue() != 0;
      }
    }
    float margin;
    switch (objective) {
      case "binary:logistic":
      case "reg:logistic":
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

  private static int[] ints(List<Object> l) {
    int[] a = new int[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = ((Number) l.get(i)).intValue();
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
}
