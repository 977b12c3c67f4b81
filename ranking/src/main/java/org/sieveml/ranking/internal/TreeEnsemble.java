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
