package org.sieveml.ranking.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link TreeEnsemble#predictBatch} and {@link TreeEnsemble#predictSparse} against XGBoost4J 1.6.2's own
 * {@code Booster.predict}, row by row, on small seeded models of every objective the evaluator accepts.
 * The data mixes continuous features with small-integer ones (so values land exactly on split
 * conditions, where {@code <} against {@code <=} would differ), about a quarter of the values missing,
 * whole rows missing, and batch sizes around the evaluator's block of rows. The sparse path is checked
 * against a CSR DMatrix of the same rows, including a model over 2^17 columns of which few are used.
 */
class TreeEnsembleXgboostTest {
  private static final int F = 9;
  /** Batch sizes: empty, one row, around the 64-row block, and a tail that is not a multiple of 4 or 8. */
  private static final int[] SIZES = {0, 1, 3, 63, 64, 65, 203};

  /** Feature j of a row: small integers for j % 3 == 0 (ties with split conditions), else Gaussian. */
  private static float[] rows(int n, long seed, double missing) {
    Random r = new Random(seed);
    float[] x = new float[n * F];
    for (int i = 0; i < n; i++) {
      boolean allMissing = i % 17 == 5;
      for (int j = 0; j < F; j++) {
        float v = j % 3 == 0 ? r.nextInt(6) : (float) r.nextGaussian();
        x[i * F + j] = allMissing || r.nextDouble() < missing ? Float.NaN : v;
      }
    }
    return x;
  }

  private static float[] labels(String objective, float[] x, int n, long seed) {
    Random r = new Random(seed);
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int j = 0; j < F; j++) {
        float v = x[i * F + j];
        z += Float.isNaN(v) ? 0.3 : (j % 2 == 0 ? 1 : -0.5) * v;
      }
      z = z / 3 + 0.3 * r.nextGaussian();
      switch (objective) {
        case "binary:logistic":
        case "binary:logitraw":
          y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
          break;
        case "reg:logistic":
          y[i] = (float) (1 / (1 + Math.exp(-z)));
          break;
        case "reg:squarederror":
          y[i] = (float) z;
          break;
        default: // ranking: graded relevance 0..3
          y[i] = (float) Math.max(0, Math.min(3, Math.floor(z + 1.5)));
      }
    }
    return y;
  }

  private static Booster train(String objective, DMatrix d, int maxDepth, int rounds) throws XGBoostError {
    Map<String, Object> p = new HashMap<>();
    p.put("objective", objective);
    p.put("tree_method", "hist");
    p.put("max_depth", maxDepth);
    p.put("eta", 0.3);
    p.put("min_child_weight", 0.1);
    p.put("subsample", 0.9);
    p.put("colsample_bytree", 0.9);
    p.put("seed", 7);
    p.put("nthread", 1);
    p.put("verbosity", 0);
    return XGBoost.train(d, p, rounds, new HashMap<>(), null, null);
  }

  private static TreeEnsemble compile(Booster b) throws XGBoostError {
    return TreeEnsemble.fromModelJson(new String(b.toByteArray("json"), StandardCharsets.UTF_8));
  }

  /** CSR of the dense rows: NaN entries dropped, except every 11th kept as an explicit NaN. */
  private static final class Csr {
    final int[] rowStart;
    final int[] cols;
    final float[] vals;

    Csr(float[] x, int n, int width, int columnScale) {
      rowStart = new int[n + 1];
      List<Integer> c = new ArrayList<>();
      List<Float> v = new ArrayList<>();
      int k = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < width; j++) {
          float value = x[i * width + j];
          if (!Float.isNaN(value) || k++ % 11 == 0) {
            c.add(j * columnScale);
            v.add(value);
          }
        }
        rowStart[i + 1] = c.size();
      }
      cols = c.stream().mapToInt(Integer::intValue).toArray();
      vals = new float[v.size()];
      for (int i = 0; i < vals.length; i++) {
        vals[i] = v.get(i);
      }
    }

    DMatrix dmatrix(int n, int numColumns) throws XGBoostError {
      long[] headers = new long[n + 1];
      for (int i = 0; i <= n; i++) {
        headers[i] = rowStart[i];
      }
      return new DMatrix(headers, cols, vals, DMatrix.SparseType.CSR, numColumns);
    }
  }

  private static double compare(String what, double[] ours, float[][] ref, int n) {
    double max = 0;
    for (int i = 0; i < n; i++) {
      double diff = Math.abs(ours[i] - ref[i][0]);
      assertTrue(diff <= 1e-6, what + " row " + i + ": ours " + ours[i] + " vs XGBoost " + ref[i][0]);
      max = Math.max(max, diff);
    }
    return max;
  }

  @ParameterizedTest
  @ValueSource(strings = {"binary:logistic", "reg:logistic", "binary:logitraw", "reg:squarederror",
      "rank:pairwise", "rank:ndcg", "rank:map"})
  void denseAndSparseEqualXgboostRowByRow(String objective) throws XGBoostError {
    int n = 400;
    float[] x = rows(n, 11, 0.25);
    DMatrix d = new DMatrix(x, n, F, Float.NaN);
    d.setLabel(labels(objective, x, n, 12));
    if (objective.startsWith("rank:")) {
      d.setGroup(new int[] {100, 100, 100, 100});
    }
    // depth 6 as served, and depth 10 (complete trees of 2^11 - 1 slots, or linked when sparse enough)
    for (int maxDepth : new int[] {6, 10}) {
      Booster b = train(objective, d, maxDepth, 25);
      try {
        TreeEnsemble t = compile(b);
        TreeEnsemble rowWalk = TreeEnsemble.withoutBitWalk(new String(b.toByteArray("json"), StandardCharsets.UTF_8));
        assertEquals(objective, t.objective());
        assertEquals(25, t.treeCount());
        double maxDense = 0;
        double maxSparse = 0;
        for (int size : SIZES) {
          float[] q = rows(size, 100 + size, 0.3);
          DMatrix dq = new DMatrix(q, size, F, Float.NaN);
          // XGBoost4J returns no rows for an empty matrix
          float[][] ref = size == 0 ? new float[0][] : b.predict(dq);
          dq.dispose();
          double[] ours = new double[size];
          t.predictBatch(q, size, F, ours);
          maxDense = Math.max(maxDense, compare(objective + " dense n=" + size, ours, ref, size));
          double[] walked = new double[size];
          rowWalk.predictBatch(q, size, F, walked);
          assertArrayEquals(ours, walked, 0.0, "the word walk and the row walks must agree bit for bit");
          Csr csr = new Csr(q, size, F, 1);
          DMatrix ds = csr.dmatrix(size, F);
          float[][] refSparse = size == 0 ? new float[0][] : b.predict(ds);
          ds.dispose();
          double[] sparse = new double[size];
          t.predictSparse(csr.rowStart, csr.cols, csr.vals, size, sparse);
          maxSparse = Math.max(maxSparse, compare(objective + " sparse n=" + size, sparse, refSparse, size));
          for (int i = 0; i < size; i++) {
            double[] row = new double[F];
            for (int j = 0; j < F; j++) {
              row[j] = q[i * F + j];
            }
            assertEquals(ours[i], t.predict(row, 0), 0.0, "single-row and batch paths must agree");
          }
        }
        System.out.printf("%s depth %d: max |ours - XGBoost| dense %.3g, sparse %.3g%n", objective, maxDepth,
            maxDense, maxSparse);
      } finally {
        b.dispose();
      }
    }
    d.dispose();
  }

  /** A model over 2^17 columns (beyond the evaluator's lookup table) of which every 16384th is filled. */
  @Test
  void wideSparseRowsEqualXgboost() throws XGBoostError {
    int n = 300;
    int scale = 1 << 14;
    int width = (F - 1) * scale + 1 + 7;
    float[] x = rows(n, 21, 0.2);
    Csr train = new Csr(x, n, F, scale);
    DMatrix d = train.dmatrix(n, width);
    d.setLabel(labels("binary:logistic", x, n, 22));
    Booster b = train("binary:logistic", d, 6, 20);
    try {
      TreeEnsemble t = compile(b);
      assertEquals(width, t.numFeatures());
      for (int size : SIZES) {
        float[] q = rows(size, 200 + size, 0.3);
        Csr csr = new Csr(q, size, F, scale);
        DMatrix dq = csr.dmatrix(size, width);
        float[][] ref = size == 0 ? new float[0][] : b.predict(dq);
        dq.dispose();
        double[] ours = new double[size];
        t.predictSparse(csr.rowStart, csr.cols, csr.vals, size, ours);
        double max = compare("wide sparse n=" + size, ours, ref, size);
        System.out.printf("wide sparse n=%d: max |ours - XGBoost| %.3g%n", size, max);
      }
    } finally {
      b.dispose();
      d.dispose();
    }
  }

  /** A row listing a column twice (XGBoost refuses such a matrix): the last entry counts. */
  @Test
  void aRepeatedColumnTakesItsLastValue() {
    TreeEnsemble t = TreeEnsemble.fromModelJson(TreeEnsembleTest.good());
    double[] out = new double[2];
    t.predictSparse(new int[] {0, 2, 4}, new int[] {1, 1, 1, 1}, new float[] {0.75f, 0.25f, 0.25f, 0.75f}, 2,
        out);
    assertEquals(0.5 - 1, out[0], 0.0);
    assertEquals(0.5 + 2, out[1], 0.0);
  }

  /**
   * A tree of depth 24 (a chain, too sparse to store complete) takes the linked walk; it must route rows,
   * NaN included, as a plain walk of the model's arrays does, mixed with complete trees in model order.
   */
  @Test
  void aDeepChainTreeIsWalkedThroughItsLinks() {
    int depth = 24;
    int nodes = 2 * depth + 1;
    int[] left = new int[nodes];
    int[] right = new int[nodes];
    int[] split = new int[nodes];
    float[] cond = new float[nodes];
    int[] dl = new int[nodes];
    Random r = new Random(41);
    for (int i = 0; i < nodes; i++) {
      left[i] = -1;
      right[i] = -1;
      cond[i] = (float) r.nextGaussian();
    }
    for (int level = 0; level < depth; level++) {
      int node = 2 * level;
      boolean chainLeft = r.nextBoolean();
      left[node] = chainLeft ? node + 2 : node + 1;
      right[node] = chainLeft ? node + 1 : node + 2;
      split[node] = r.nextInt(F);
      dl[node] = r.nextInt(2);
    }
    String chain = tree(left, right, split, cond, dl);
    String stump = tree(new int[] {1, -1, -1}, new int[] {2, -1, -1}, new int[] {4, 0, 0},
        new float[] {0.25f, -0.5f, 0.75f}, new int[] {1, 0, 0});
    String json = "{\"learner\":{\"learner_model_param\":{\"base_score\":\"2.5E-1\",\"num_class\":\"0\","
        + "\"num_feature\":\"" + F + "\"},\"objective\":{\"name\":\"reg:squarederror\"},\"gradient_booster\":"
        + "{\"name\":\"gbtree\",\"model\":{\"trees\":[" + stump + "," + chain + "," + stump + "]}}}}";
    TreeEnsemble t = TreeEnsemble.fromModelJson(json);
    for (int size : SIZES) {
      float[] q = rows(size, 300 + size, 0.3);
      double[] ours = new double[size];
      t.predictBatch(q, size, F, ours);
      for (int i = 0; i < size; i++) {
        float expected = 0.25f;
        expected += walk(new int[] {1, -1, -1}, new int[] {2, -1, -1}, new int[] {4, 0, 0},
            new float[] {0.25f, -0.5f, 0.75f}, new int[] {1, 0, 0}, q, i * F);
        expected += walk(left, right, split, cond, dl, q, i * F);
        expected += walk(new int[] {1, -1, -1}, new int[] {2, -1, -1}, new int[] {4, 0, 0},
            new float[] {0.25f, -0.5f, 0.75f}, new int[] {1, 0, 0}, q, i * F);
        assertEquals(expected, ours[i], 0.0, "row " + i);
      }
    }
  }

  /**
   * Split conditions and values at the edges of float order (both zeros, subnormals, the largest floats,
   * infinities in the rows, NaN): every batch path (the 64-rows-a-word walk for blocks of 12 rows or more
   * when the Vector API is present, the row walks otherwise) routes each row as a plain walk of the
   * model's arrays does. Trees have shallow leaves (padded in the complete layouts) and depths 0 to 8.
   */
  @Test
  void edgeValuesRouteAsAPlainWalkOnEveryPath() {
    float[] edges = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL,
        Float.MAX_VALUE, -Float.MAX_VALUE, 1f, Math.nextUp(1f), Math.nextDown(1f), -1f, 3e-39f};
    Random r = new Random(61);
    int trees = 40;
    List<int[][]> shapes = new ArrayList<>();
    List<float[]> conds = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (int t = 0; t < trees; t++) {
      int maxDepth = t % 9;
      List<int[]> nodes = new ArrayList<>(); // left, right, split, dl
      List<Float> c = new ArrayList<>();
      grow(nodes, c, r, edges, maxDepth, 0);
      int n = nodes.size();
      int[][] shape = new int[4][n];
      float[] cond = new float[n];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < 4; k++) {
          shape[k][i] = nodes.get(i)[k];
        }
        cond[i] = c.get(i);
      }
      shapes.add(shape);
      conds.add(cond);
      all.append(t == 0 ? "" : ",").append(tree(shape[0], shape[1], shape[2], cond, shape[3]));
    }
    String json = "{\"learner\":{\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"0\","
        + "\"num_feature\":\"" + F + "\"},\"objective\":{\"name\":\"reg:squarederror\"},\"gradient_booster\":"
        + "{\"name\":\"gbtree\",\"model\":{\"trees\":[" + all + "]}}}}";
    assertTrue(TreeEnsemble.simd(), "tests run with the Vector API (see the pom), so the word walk is tested");
    for (TreeEnsemble t : List.of(TreeEnsemble.fromModelJson(json), TreeEnsemble.withoutBitWalk(json))) {
      edgeRows(t, shapes, conds, edges, r);
    }
  }

  private static void edgeRows(TreeEnsemble t, List<int[][]> shapes, List<float[]> conds, float[] edges,
      Random r) {
    int trees = shapes.size();
    float[] values = new float[edges.length + 3];
    System.arraycopy(edges, 0, values, 0, edges.length);
    values[edges.length] = Float.POSITIVE_INFINITY;
    values[edges.length + 1] = Float.NEGATIVE_INFINITY;
    values[edges.length + 2] = Float.NaN;
    for (int size : SIZES) {
      float[] q = new float[size * F];
      for (int i = 0; i < q.length; i++) {
        q[i] = values[r.nextInt(values.length)];
      }
      double[] ours = new double[size];
      t.predictBatch(q, size, F, ours);
      Csr csr = new Csr(q, size, F, 1);
      double[] sparse = new double[size];
      t.predictSparse(csr.rowStart, csr.cols, csr.vals, size, sparse);
      for (int i = 0; i < size; i++) {
        float expected = 0.5f;
        for (int k = 0; k < trees; k++) {
          int[][] sh = shapes.get(k);
          expected += walk(sh[0], sh[1], sh[2], conds.get(k), sh[3], q, i * F);
        }
        assertEquals(expected, ours[i], 0.0, "dense n=" + size + " row " + i);
        assertEquals(expected, sparse[i], 0.0, "sparse n=" + size + " row " + i);
      }
    }
  }

  /** Appends a random subtree (preorder ids), stopping early at random; returns its root's id. */
  private static int grow(List<int[]> nodes, List<Float> cond, Random r, float[] edges, int depthLeft, int at) {
    int id = nodes.size();
    nodes.add(new int[] {-1, -1, 0, 0});
    if (depthLeft == 0 || (at > 0 && r.nextInt(5) == 0)) {
      cond.add((float) r.nextGaussian());
      return id;
    }
    cond.add(edges[r.nextInt(edges.length)]);
    int split = r.nextInt(F);
    int dl = r.nextInt(2);
    int left = grow(nodes, cond, r, edges, depthLeft - 1, at + 1);
    int right = grow(nodes, cond, r, edges, depthLeft - 1, at + 1);
    nodes.set(id, new int[] {left, right, split, dl});
    return id;
  }

  private static float walk(int[] left, int[] right, int[] split, float[] cond, int[] dl, float[] x, int base) {
    int node = 0;
    while (left[node] != -1) {
      float v = x[base + split[node]];
      node = Float.isNaN(v) ? (dl[node] == 1 ? left[node] : right[node]) : v < cond[node] ? left[node]
          : right[node];
    }
    return cond[node];
  }

  private static String tree(int[] left, int[] right, int[] split, float[] cond, int[] dl) {
    StringBuilder c = new StringBuilder("[");
    for (int i = 0; i < cond.length; i++) {
      c.append(i == 0 ? "" : ",").append(cond[i]);
    }
    return "{\"left_children\":" + java.util.Arrays.toString(left) + ",\"right_children\":"
        + java.util.Arrays.toString(right) + ",\"split_indices\":" + java.util.Arrays.toString(split)
        + ",\"split_conditions\":" + c + "],\"default_left\":" + java.util.Arrays.toString(dl) + "}";
  }

  /** The int keys the walk compares order exactly as float {@code <} does; NaN is above every key. */
  @Test
  void keysOrderAsFloatsDo() {
    List<Float> values = new ArrayList<>(List.of(0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
        -Float.MIN_NORMAL, 1f, -1f, Math.nextUp(1f), Math.nextDown(1f), Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3e-39f, -3e-39f));
    Random r = new Random(51);
    for (int i = 0; i < 300; i++) {
      values.add(Float.intBitsToFloat(r.nextInt()));
    }
    for (float a : values) {
      for (float b : values) {
        if (Float.isNaN(a) || Float.isNaN(b)) {
          continue;
        }
        assertEquals(a < b, TreeEnsemble.key(a) < TreeEnsemble.key(b), a + " < " + b);
        assertTrue(TreeEnsemble.key(b) < TreeEnsemble.key(Float.NaN));
        assertTrue(TreeEnsemble.key(b) < TreeEnsemble.key(Float.intBitsToFloat(0xffc00001)));
      }
    }
  }

  @Test
  void badBatchesAreRefusedNamingTheProblem() {
    TreeEnsemble t = TreeEnsemble.fromModelJson(TreeEnsembleTest.good());
    double[] out = new double[4];
    assertThrows(IllegalArgumentException.class, () -> t.predictBatch(new float[4], 3, 2, out));
    assertThrows(IllegalArgumentException.class, () -> t.predictBatch(new float[4], 4, 1, out));
    assertThrows(IllegalArgumentException.class, () -> t.predictBatch(new float[4], -1, 2, out));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> t.predictSparse(new int[] {0, 1}, new int[] {2}, new float[] {1}, 1, out));
    assertTrue(e.getMessage().contains("cols[0] (row 0) is 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> t.predictSparse(new int[] {0, 3}, new int[] {0, 1}, new float[] {1, 1}, 1, out));
    assertTrue(e.getMessage().contains("row 0 spans entries [0, 3)"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> t.predictSparse(new int[] {0}, new int[0], new float[0],
        1, out));
    t.predictSparse(new int[] {0, 0}, new int[0], new float[0], 1, out);
    assertEquals(0.5 + 2, out[0], 0.0, "an empty row is all missing: feature 1 goes right (default_left 0)");
  }
}
