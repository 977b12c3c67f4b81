package org.sieveml.ranking.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Issue 19 item 5: every export is run in ONNX Runtime and compared row by row with the model it came
 * from: XGBoost's own predictions (boosters trained here, with ~10% missing inputs and inputs placed exactly
 * on split thresholds) and a direct double-precision computation of the FM and linear scores.
 */
class OnnxExportTest {
  private static final double TOLERANCE = 1e-5;
  private static final int WIDTH = 8;
  private static OrtEnvironment env;

  @BeforeAll
  static void environment() {
    env = OrtEnvironment.getEnvironment();
  }

  /** Runs an exported model on row-major rows and returns column 0 of the output. */
  static float[] run(byte[] model, float[] rows, int n, int width) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      try (OrtSession session = env.createSession(model, options);
          OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(rows), new long[] {n, width});
          OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, x))) {
        float[][] out = (float[][]) result.get(OnnxExport.OUTPUT).orElseThrow().getValue();
        assertEquals(n, out.length);
        float[] col = new float[n];
        for (int i = 0; i < n; i++) {
          assertEquals(1, out[i].length);
          col[i] = out[i][0];
        }
        return col;
      }
    }
  }

  /** Random rows in [-2, 2) with a share of NaN (missing). */
  static float[] rows(Random rnd, int n, int width, double missing) {
    float[] x = new float[n * width];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextDouble() < missing ? Float.NaN : (float) (rnd.nextDouble() * 4 - 2);
    }
    return x;
  }

  private static float at(float[] x, int row, int col) {
    float v = x[row * WIDTH + col];
    return v != v ? 0f : v;
  }

  /** Trains a booster on 600 seeded rows with ~10% missing values. */
  static Booster train(String objective, int rounds, int depth) throws XGBoostError {
    Random rnd = new Random(objective.hashCode());
    int n = 600;
    float[] x = rows(rnd, n, WIDTH, 0.1);
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      double s = 1.5 * at(x, i, 0) - at(x, i, 1) * at(x, i, 2) + Math.sin(2 * at(x, i, 3)) + 0.3 * rnd.nextGaussian();
      switch (objective) {
        case "binary:logistic":
          y[i] = s > 0 ? 1 : 0;
          break;
        case "rank:pairwise":
          y[i] = (float) Math.max(0, Math.min(3, Math.floor(s + 1.5)));
          break;
        default:
          y[i] = (float) (3 * s + 10);
      }
    }
    DMatrix train = new DMatrix(x, n, WIDTH, Float.NaN);
    train.setLabel(y);
    if (objective.startsWith("rank:")) {
      int[] groups = new int[n / 20];
      java.util.Arrays.fill(groups, 20);
      train.setGroup(groups);
    }
    Map<String, Object> params = new HashMap<>();
    params.put("objective", objective);
    params.put("max_depth", depth);
    params.put("eta", 0.3);
    params.put("seed", 7);
    params.put("nthread", 1);
    params.put("tree_method", "exact");
    params.put("verbosity", 0);
    return XGBoost.train(train, params, rounds, new HashMap<>(), null, null);
  }

  /**
   * Test rows: random with ~10% NaN, then a third of the values moved exactly onto a split threshold of
   * their feature (the {@code x < threshold} boundary), so a {@code <=} / {@code <} mix-up would show.
   */
  static float[] testRows(TreeEnsemble.Parsed model, int n, long seed) {
    Random rnd = new Random(seed);
    float[] x = rows(rnd, n, WIDTH, 0.1);
    List<List<Float>> thresholds = new ArrayList<>();
    for (int f = 0; f < WIDTH; f++) {
      thresholds.add(new ArrayList<>());
    }
    int[][] left = model.left;
    for (int t = 0; t < left.length; t++) {
      for (int node = 0; node < left[t].length; node++) {
        if (left[t][node] != -1) {
          thresholds.get(model.feature[t][node]).add(model.cond[t][node]);
        }
      }
    }
    for (int i = 0; i < x.length; i++) {
      List<Float> th = thresholds.get(i % WIDTH);
      if (x[i] == x[i] && !th.isEmpty() && rnd.nextInt(3) == 0) {
        x[i] = th.get(rnd.nextInt(th.size()));
      }
    }
    return x;
  }

  /** Exports a trained booster, runs it in ONNX Runtime and returns the largest difference to XGBoost. */
  static double treesAgree(String objective, int rounds, int depth, boolean margin) throws Exception {
    Booster booster = train(objective, rounds, depth);
    try {
      String json = new String(booster.toByteArray("json"), StandardCharsets.UTF_8);
      TreeEnsemble parsed = TreeEnsemble.fromModelJson(json);
      assertEquals(rounds, parsed.treeCount());
      byte[] onnx = OnnxExport.trees(json, WIDTH, Map.of("objective", objective));
      int n = 2000;
      float[] x = testRows(TreeEnsemble.parse(json), n, 11);
      DMatrix test = new DMatrix(x, n, WIDTH, Float.NaN);
      float[][] expected = booster.predict(test, margin);
      test.dispose();
      float[] actual = run(onnx, x, n, WIDTH);
      double max = 0;
      for (int i = 0; i < n; i++) {
        double d = Math.abs(expected[i][0] - actual[i]);
        max = Math.max(max, d);
        assertTrue(d <= TOLERANCE, objective + " row " + i + ": XGBoost " + expected[i][0] + ", ONNX " + actual[i]);
      }
      System.out.printf("OnnxExportTest: %s (%d trees, depth %d) max |XGBoost - ORT| = %.3g%n", objective, rounds,
          depth, max);
      return max;
    } finally {
      booster.dispose();
    }
  }

  @Test
  void logisticTreesMatchXgboostProbabilities() throws Exception {
    treesAgree("binary:logistic", 40, 5, false);
  }

  @Test
  void regressionTreesMatchXgboost() throws Exception {
    treesAgree("reg:squarederror", 30, 6, false);
  }

  @Test
  void rankingTreesMatchXgboostMargins() throws Exception {
    treesAgree("rank:pairwise", 50, 4, true);
  }

  @Test
  void metadataIsCarriedAndShapesAreDeclared() throws Exception {
    byte[] onnx = OnnxExport.linear(new double[] {1, 2, 3}, 0.5, false, Map.of("name", "ctr", "version", "3"));
    try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
      assertEquals(Map.of("name", "ctr", "version", "3"), session.getMetadata().getCustomMetadata());
      assertEquals(List.of(OnnxExport.INPUT), new ArrayList<>(session.getInputNames()));
      assertEquals(List.of(OnnxExport.OUTPUT), new ArrayList<>(session.getOutputNames()));
      String shape = session.getInputInfo().get(OnnxExport.INPUT).getInfo().toString();
      assertTrue(shape.contains("shape=[-1, 3]"), shape);
    }
  }

  @Test
  void aSingleLeafTreeAndAnEmptyEnsembleExport() throws Exception {
    // a stump that is only a leaf (+2), next to a one-split tree
    String json = TreeEnsembleTest.model("reg:squarederror", "5E-1", "[1,-1,-1]", "[2,-1,-1]", "[1,0,0]",
        "[0.5,-1,2]", "[1,0,0]").replace("\"split_type\":[0,0,0]}]",
        "\"split_type\":[0,0,0]},{\"left_children\":[-1],\"right_children\":[-1],\"split_indices\":[0],"
            + "\"split_conditions\":[2],\"default_left\":[0]}]");
    float[] x = {9, 0.25f, 9, 0.5f, 9, Float.NaN, Float.NaN, 0.75f};
    float[] out = run(OnnxExport.trees(json, 2, null), x, 4, 2);
    // 0.5 base + (-1 left | 2 right) + 2; 0.5 is not < 0.5; NaN goes left (default_left 1)
    assertEquals(List.of(1.5f, 4.5f, 1.5f, 4.5f), List.of(out[0], out[1], out[2], out[3]));
    String none = json.replaceAll("\"trees\":\\[.*\\]\\}\\}\\}\\}$", "\"trees\":[]}}}}");
    float[] base = run(OnnxExport.trees(none, 3, null), new float[] {1, 2, 3}, 1, 3);
    assertEquals(0.5f, base[0]);
  }

  static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  @Test
  void fmMatchesADirectComputation() throws Exception {
    Random rnd = new Random(5);
    int width = 24;
    int k = 6;
    double bias = rnd.nextGaussian() * 0.5;
    double[] w = new double[width];
    double[] v = new double[width * k];
    for (int i = 0; i < width; i++) {
      w[i] = rnd.nextGaussian() * 0.3;
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = rnd.nextGaussian() * 0.3;
    }
    byte[] onnx = OnnxExport.fm(bias, w, v, k, Map.of("kind", "fm"));
    int n = 1000;
    float[] x = rows(rnd, n, width, 0.1);
    float[] actual = run(onnx, x, n, width);
    double max = 0;
    for (int r = 0; r < n; r++) {
      double z = bias;
      for (int i = 0; i < width; i++) {
        float xi = x[r * width + i];
        z += xi != xi ? 0 : w[i] * xi;
      }
      for (int f = 0; f < k; f++) {
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < width; i++) {
          float xi = x[r * width + i];
          double t = xi != xi ? 0 : v[i * k + f] * xi;
          sum += t;
          squares += t * t;
        }
        z += 0.5 * (sum * sum - squares);
      }
      double expected = sigmoid(z);
      double d = Math.abs(expected - actual[r]);
      max = Math.max(max, d);
      assertTrue(d <= TOLERANCE, "row " + r + ": expected " + expected + ", ONNX " + actual[r]);
    }
    System.out.printf("OnnxExportTest: fm (width %d, k %d) max |Java - ORT| = %.3g%n", width, k, max);
    // k = 0: the linear part only
    float[] linearOnly = run(OnnxExport.fm(bias, w, new double[0], 0, null), java.util.Arrays.copyOf(x, width), 1, width);
    double z = bias;
    for (int i = 0; i < width; i++) {
      z += x[i] != x[i] ? 0 : w[i] * x[i];
    }
    assertEquals(sigmoid(z), linearOnly[0], TOLERANCE);
  }

  @Test
  void linearMatchesADirectComputation() throws Exception {
    Random rnd = new Random(9);
    int width = 40;
    double[] w = new double[width];
    for (int i = 0; i < width; i++) {
      w[i] = rnd.nextGaussian() * 0.5;
    }
    double bias = 0.25;
    int n = 1000;
    float[] x = rows(rnd, n, width, 0.1);
    for (boolean logistic : new boolean[] {false, true}) {
      float[] actual = run(OnnxExport.linear(w, bias, logistic, null), x, n, width);
      double max = 0;
      for (int r = 0; r < n; r++) {
        double z = bias;
        for (int i = 0; i < width; i++) {
          float xi = x[r * width + i];
          z += xi != xi ? 0 : w[i] * xi;
        }
        double expected = logistic ? sigmoid(z) : z;
        double d = Math.abs(expected - actual[r]);
        max = Math.max(max, d);
        assertTrue(d <= TOLERANCE, "row " + r + ": expected " + expected + ", ONNX " + actual[r]);
      }
      System.out.printf("OnnxExportTest: linear (width %d, logistic %b) max |Java - ORT| = %.3g%n", width,
          logistic, max);
    }
  }

  private static void refused(Executable export, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, export, expected);
    assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
  }

  @Test
  void badInputIsRefusedWithAClearMessage() {
    String good = TreeEnsembleTest.good();
    refused(() -> OnnxExport.trees("{\"learner\":", 2, null), "malformed JSON at offset 11");
    refused(() -> OnnxExport.trees(null, 2, null), "model JSON is null");
    refused(() -> OnnxExport.trees("[1]", 2, null), "the model JSON is an array; expected an object");
    refused(() -> OnnxExport.trees(good.replace("gbtree", "gblinear"), 2, null), "booster is gblinear");
    refused(() -> OnnxExport.trees(good.replace("reg:squarederror", "multi:softprob"), 2, null),
        "objective is multi:softprob; not supported");
    refused(() -> OnnxExport.trees(good, 1, null), "width is 1; expected at least 1 and at least the model's "
        + "num_feature (2)");
    refused(() -> OnnxExport.trees(good, 2, null, 100), "model JSON is " + good.length()
        + " characters; the most accepted is 100");
    // many small trees: within the character bound, over the node bound (64 bytes per node)
    String tree = "{\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],\"split_indices\":[1,0,0],"
        + "\"split_conditions\":[0.5,-1,2],\"default_left\":[0,0,0]}";
    String many = good.replaceAll("\"trees\":\\[.*\\]\\}\\}\\}\\}$",
        "\"trees\":[" + String.join(",", java.util.Collections.nCopies(100, tree)) + "]}}}}");
    refused(() -> OnnxExport.trees(many, 2, null, many.length()), "the model has 300 tree nodes (about 19200 bytes"
        + " in ONNX); the most accepted is " + many.length() / 64 + " nodes");
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("a", null);
    refused(() -> OnnxExport.trees(good, 2, nullValue), "metadata entry a = null holds a null");

    refused(() -> OnnxExport.fm(0, new double[3], new double[7], 2, null),
        "factors has 7 values and k is 2; expected width (3) * k values");
    refused(() -> OnnxExport.fm(0, new double[0], new double[0], 2, null), "linear weights are empty");
    refused(() -> OnnxExport.fm(0, new double[] {1, Double.NaN}, new double[2], 1, null), "linear[1] is NaN");
    refused(() -> OnnxExport.fm(0, new double[1000], new double[8000], 8, null, 1 << 16),
        "the FM's parameters take 68004 bytes in ONNX (width 1000, k 8); the most accepted is 65536");
    refused(() -> OnnxExport.linear(null, 0, false, null), "weights are null");
    refused(() -> OnnxExport.linear(new double[] {1e300}, 0, false, null), "weights[0] is 1.0E300");
    refused(() -> OnnxExport.linear(new double[1], Double.POSITIVE_INFINITY, true, null), "bias is Infinity");
    refused(() -> OnnxExport.linear(new double[100], 0, false, null, 64),
        "the linear model's parameters take 404 bytes in ONNX (width 100); the most accepted is 64");
  }
}
