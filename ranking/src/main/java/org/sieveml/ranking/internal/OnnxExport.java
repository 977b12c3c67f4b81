package org.sieveml.ranking.internal;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Exports the ranking module's models as ONNX ({@code ModelProto} bytes) from primitive inputs: an
 * XGBoost tree ensemble (its model JSON), a factorization machine and a linear model.
 *
 * <p>Every exported graph has one input, {@value #INPUT} (float {@code [batch, width]}), and one output,
 * {@value #OUTPUT} (float {@code [batch, 1]}), with a symbolic batch dimension; the caller's metadata goes
 * into {@code ModelProto.metadata_props} (sorted by key, so equal inputs give equal bytes). Parameters are
 * stored as float32 and the graphs compute in float32, as XGBoost's own predictor does.
 *
 * <ul>
 *   <li>Trees: an {@code ai.onnx.ml} {@code TreeEnsembleRegressor} (ml opset {@value #ML_OPSET}) sums the
 *       leaves and the base margin (folded into the first tree's leaves, so the float additions happen in
 *       XGBoost's order); NaN in the input is a missing value and follows XGBoost's default
 *       direction of each split. Under a logistic objective a separate {@code Sigmoid} node follows
 *       (ONNX Runtime 1.20 ignores {@code post_transform = LOGISTIC} on a one-target regressor).
 *   <li>FM and linear: standard operators (opset {@value #OPSET}). A NaN input is read as 0, the same as
 *       an absent feature (callers encode missing as 0 for these models).
 * </ul>
 *
 * <p>A model whose stored parameters would exceed {@link #MAX_MODEL_BYTES} (and a model JSON longer than
 * that many characters) is refused with an {@link IllegalArgumentException} naming the size: protobuf
 * cannot serialise a message of 2 GiB or more, and no ranker of this module comes near the bound.
 *
 * <p>Thread-safety: stateless; every method is safe to call concurrently.
 */
public final class OnnxExport {
  /** The name of every exported graph's input: float {@code [batch, width]}. */
  public static final String INPUT = "features";
  /** The name of every exported graph's output: float {@code [batch, 1]}. */
  public static final String OUTPUT = "score";
  /** The bound on an exported model's parameter bytes (1 GiB), and on the length of a model JSON. */
  public static final long MAX_MODEL_BYTES = 1L << 30;
  /** The default-domain opset the graphs are written for. */
  public static final int OPSET = 13;
  /** The {@code ai.onnx.ml} opset of the tree ensemble. */
  public static final int ML_OPSET = 3;
  /** ONNX IR version 7 (ONNX 1.8), enough for opset 13 and ml opset 3. */
  private static final long IR_VERSION = 7;
  /** A conservative estimate of the serialised bytes of one tree node in a TreeEnsembleRegressor. */
  private static final long BYTES_PER_NODE = 64;

  private OnnxExport() {}

  /**
   * Exports an XGBoost tree ensemble as a {@code TreeEnsembleRegressor}. The output is what
   * {@code Booster.predict} returns: the sigmoid of the margin for {@code binary:logistic} and
   * {@code reg:logistic}; the margin (sum of leaves plus base margin) for {@code reg:squarederror},
   * {@code binary:logitraw} and {@code rank:pairwise}/{@code ndcg}/{@code map}. A row goes left at a split
   * when {@code x < split_condition} (both float32, {@code BRANCH_LT}) and along XGBoost's default
   * direction when {@code x} is NaN. The margin is the same float sum XGBoost computes when ONNX Runtime
   * adds the trees in order (one intra-op thread); with several threads ONNX Runtime may add per-thread
   * partial sums, which can differ in the last bits.
   *
   * @param xgboostModelJson the booster's model JSON ({@code Booster.toByteArray("json")} or a
   *     {@code .json} save), XGBoost 1.6 format, single output, numerical splits
   * @param width the input width; at least the model's {@code num_feature} and at least 1
   * @param metadata entries for {@code metadata_props}; may be null (none); no null keys or values
   * @return the serialised {@code ModelProto}
   * @throws IllegalArgumentException if the JSON is malformed, longer than {@link #MAX_MODEL_BYTES}
   *     characters or not a supported model, if {@code width} is too small, if the trees would exceed
   *     {@link #MAX_MODEL_BYTES}, or if the metadata holds a null
   */
  public static byte[] trees(String xgboostModelJson, int width, Map<String, String> metadata) {
    return trees(xgboostModelJson, width, metadata, MAX_MODEL_BYTES);
  }

  /** {@link #trees(String, int, Map)} under a given size bound (package-private so tests can lower it). */
  static byte[] trees(String json, int width, Map<String, String> metadata, long maxBytes) {
    if (json == null) {
      throw new IllegalArgumentException("model JSON is null");
    }
    if (json.length() > maxBytes) {
      throw new IllegalArgumentException("model JSON is " + json.length() + " characters; the most accepted is "
          + maxBytes);
    }
    Map<String, String> meta = checkedMetadata(metadata);
    TreeEnsemble.Parsed model = TreeEnsemble.parse(json);
    if (width < 1 || width < model.numFeatures) {
      throw new IllegalArgumentException("width is " + width + "; expected at least 1 and at least the model's "
          + "num_feature (" + model.numFeatures + ")");
    }
    int[][] left = model.left;
    int[][] right = model.right;
    int[][] feature = model.feature;
    float[][] cond = model.cond;
    boolean[][] defaultLeft = model.defaultLeft;
    long totalNodes = 0;
    for (int[] l : left) {
      totalNodes += l.length;
    }
    if (totalNodes * BYTES_PER_NODE > maxBytes) {
      throw new IllegalArgumentException("the model has " + totalNodes + " tree nodes (about "
          + totalNodes * BYTES_PER_NODE + " bytes in ONNX); the most accepted is " + maxBytes / BYTES_PER_NODE
          + " nodes (" + maxBytes + " bytes)");
    }
    AttributeProto.Builder treeIds = attr("nodes_treeids", AttributeType.INTS);
    AttributeProto.Builder nodeIds = attr("nodes_nodeids", AttributeType.INTS);
    AttributeProto.Builder featureIds = attr("nodes_featureids", AttributeType.INTS);
    AttributeProto.Builder values = attr("nodes_values", AttributeType.FLOATS);
    AttributeProto.Builder modes = attr("nodes_modes", AttributeType.STRINGS);
    AttributeProto.Builder trueIds = attr("nodes_truenodeids", AttributeType.INTS);
    AttributeProto.Builder falseIds = attr("nodes_falsenodeids", AttributeType.INTS);
    AttributeProto.Builder missingTrue = attr("nodes_missing_value_tracks_true", AttributeType.INTS);
    AttributeProto.Builder targetTreeIds = attr("target_treeids", AttributeType.INTS);
    AttributeProto.Builder targetNodeIds = attr("target_nodeids", AttributeType.INTS);
    AttributeProto.Builder targetIds = attr("target_ids", AttributeType.INTS);
    AttributeProto.Builder targetWeights = attr("target_weights", AttributeType.FLOATS);
    ByteString branchLt = ByteString.copyFromUtf8("BRANCH_LT");
    ByteString leaf = ByteString.copyFromUtf8("LEAF");
    int trees = left.length;
    // The base margin is folded into the leaves of the first tree instead of base_values: XGBoost starts
    // each row's float sum at the base margin and adds the trees in order, ONNX Runtime adds base_values
    // after summing the trees; with the fold, both compute the same float additions in the same order.
    float base = model.baseMargin;
    if (trees == 0) {
      // A booster without trees predicts its base margin; ONNX Runtime needs at least one node.
      addNode(treeIds, nodeIds, featureIds, values, modes, trueIds, falseIds, missingTrue, 0, 0, 0, 0f, leaf, 0,
          0, 0);
      addTarget(targetTreeIds, targetNodeIds, targetIds, targetWeights, 0, 0, base);
    }
    int[] queue = new int[0];
    for (int t = 0; t < trees; t++) {
      int[] lt = left[t];
      if (queue.length < lt.length) {
        queue = new int[lt.length];
      }
      // Breadth-first from the root, numbering nodes in visiting order: only reachable nodes are written
      // (TreeEnsemble checked there are no cycles or shared subtrees) and ids are dense 0..m-1.
      int head = 0;
      int tail = 0;
      queue[tail++] = 0;
      while (head < tail) {
        int id = head;
        int node = queue[head++];
        if (lt[node] == -1) {
          addNode(treeIds, nodeIds, featureIds, values, modes, trueIds, falseIds, missingTrue, t, id, 0, 0f, leaf,
              0, 0, 0);
          addTarget(targetTreeIds, targetNodeIds, targetIds, targetWeights, t, id,
              t == 0 ? base + cond[t][node] : cond[t][node]);
        } else {
          int leftId = tail;
          queue[tail++] = lt[node];
          queue[tail++] = right[t][node];
          // true branch = x < threshold = XGBoost's left; NaN goes left iff default_left
          addNode(treeIds, nodeIds, featureIds, values, modes, trueIds, falseIds, missingTrue, t, id,
              feature[t][node], cond[t][node], branchLt, leftId, leftId + 1, defaultLeft[t][node] ? 1 : 0);
        }
      }
    }
    NodeProto.Builder ensemble = NodeProto.newBuilder().setOpType("TreeEnsembleRegressor").setDomain("ai.onnx.ml")
        .setName("trees").addInput(INPUT)
        .addAttribute(attr("n_targets", AttributeType.INT).setI(1))
        .addAttribute(string("aggregate_function", "SUM"))
        .addAttribute(string("post_transform", "NONE"))
        .addAttribute(treeIds).addAttribute(nodeIds).addAttribute(featureIds).addAttribute(values)
        .addAttribute(modes).addAttribute(trueIds).addAttribute(falseIds).addAttribute(missingTrue)
        .addAttribute(targetTreeIds).addAttribute(targetNodeIds).addAttribute(targetIds).addAttribute(targetWeights);
    GraphProto.Builder graph = graph("xgboost", width);
    if (model.logistic()) {
      graph.addNode(ensemble.addOutput("margin"));
      graph.addNode(node("Sigmoid", "sigmoid", OUTPUT, "margin"));
    } else {
      graph.addNode(ensemble.addOutput(OUTPUT));
    }
    return model(graph, meta, true);
  }

  /**
   * Exports a factorization machine of degree 2 over {@code width = linear.length} inputs:
   * {@code y = sigmoid(bias + Σ_i w_i x_i + ½ Σ_f ((Σ_i v_if x_i)² − Σ_i v_if² x_i²))}. A NaN input is
   * read as 0.
   *
   * @param bias the global bias
   * @param linear the linear weights {@code w}, one per input; at least one
   * @param factors the factor matrix {@code v}, row-major {@code [width][k]}
   * @param k the number of factors per input; 0 gives a logistic model of the linear part
   * @param metadata entries for {@code metadata_props}; may be null (none); no null keys or values
   * @return the serialised {@code ModelProto}
   * @throws IllegalArgumentException if the sizes disagree, a parameter is not finite as a float, the
   *     parameters would exceed {@link #MAX_MODEL_BYTES}, or the metadata holds a null
   */
  public static byte[] fm(double bias, double[] linear, double[] factors, int k, Map<String, String> metadata) {
    return fm(bias, linear, factors, null, k, metadata, MAX_MODEL_BYTES);
  }

  /**
   * Exports the difference of two factorization machines sharing their input, as a two-class softmax FM
   * (Tribuo's) is scored: {@code y = sigmoid(bias + Σ w_i x_i + pair(positive) − pair(negative))} where
   * {@code pair(v) = ½ Σ_f ((Σ_i v_if x_i)² − Σ_i v_if² x_i²)}. A NaN input is read as 0.
   *
   * @param bias the bias (difference of the two classes' biases)
   * @param linear the linear weights (differences), one per input
   * @param positive the positive class's factors, row-major {@code [width][k]}
   * @param negative the negative class's factors, row-major {@code [width][k]}
   * @param k factors per input
   * @param metadata entries for {@code metadata_props}; may be null
   * @return the serialised {@code ModelProto}
   * @throws IllegalArgumentException as {@link #fm(double, double[], double[], int, Map)}
   */
  public static byte[] fm(double bias, double[] linear, double[] positive, double[] negative, int k,
      Map<String, String> metadata) {
    if (negative == null) {
      throw new IllegalArgumentException("negative factors are null; expected width * k values");
    }
    return fm(bias, linear, positive, negative, k, metadata, MAX_MODEL_BYTES);
  }

  /** {@link #fm(double, double[], double[], int, Map)} under a given size bound. */
  static byte[] fm(double bias, double[] linear, double[] factors, int k, Map<String, String> metadata,
      long maxBytes) {
    return fm(bias, linear, factors, null, k, metadata, maxBytes);
  }

  private static byte[] fm(double bias, double[] linear, double[] factors, double[] negative, int k,
      Map<String, String> metadata, long maxBytes) {
    if (linear == null || linear.length == 0) {
      throw new IllegalArgumentException("linear weights are " + (linear == null ? "null" : "empty")
          + "; expected one per input");
    }
    if (factors == null) {
      throw new IllegalArgumentException("factors are null; expected width * k values");
    }
    int width = linear.length;
    if (k < 0 || (long) width * k != factors.length) {
      throw new IllegalArgumentException("factors has " + factors.length + " values and k is " + k
          + "; expected width (" + width + ") * k values, k >= 0");
    }
    if (negative != null && negative.length != factors.length) {
      throw new IllegalArgumentException("negative factors has " + negative.length + " values; expected "
          + factors.length);
    }
    int blocks = negative == null ? 1 : 2;
    // linear weights, factors and their squares, bias, float32 each
    long bytes = 4L * (width + 2L * blocks * factors.length + 1);
    if (bytes > maxBytes) {
      throw new IllegalArgumentException("the FM's parameters take " + bytes + " bytes in ONNX (width " + width
          + ", k " + k + "); the most accepted is " + maxBytes);
    }
    Map<String, String> meta = checkedMetadata(metadata);
    float[] w = floats(linear, "linear");
    float[] vp = floats(factors, "factors");
    float[] vn = negative == null ? null : floats(negative, "negative factors");
    float b = scalar(bias, "bias");
    GraphProto.Builder graph = graph("fm", width);
    String x = cleaned(graph);
    graph.addInitializer(tensor("w", w, width, 1));
    graph.addInitializer(tensor("bias", new float[] {b}));
    graph.addNode(node("MatMul", "linear", "linear", x, "w"));
    String margin = "linear";
    if (k > 0) {
      int kk = k * blocks;
      // the factor columns of both blocks side by side; each column's pairwise term is weighed ±½
      float[] v = new float[width * kk];
      float[] half = new float[kk];
      for (int i = 0; i < width; i++) {
        System.arraycopy(vp, i * k, v, i * kk, k);
        if (vn != null) {
          System.arraycopy(vn, i * k, v, i * kk + k, k);
        }
      }
      for (int f = 0; f < kk; f++) {
        half[f] = f < k ? 0.5f : -0.5f;
      }
      float[] v2 = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        v2[i] = v[i] * v[i];
      }
      graph.addInitializer(tensor("v", v, width, kk));
      graph.addInitializer(tensor("v_squared", v2, width, kk));
      graph.addInitializer(tensor("half", half, kk));
      graph.addInitializer(longTensor("axis_1", new long[] {1}));
      graph.addNode(node("MatMul", "xv", "xv", x, "v"));
      graph.addNode(node("Mul", "xv_squared", "xv_squared", "xv", "xv"));
      graph.addNode(node("Mul", "x_squared", "x_squared", x, x));
      graph.addNode(node("MatMul", "x2v2", "x2v2", "x_squared", "v_squared"));
      graph.addNode(node("Sub", "pairwise", "pairwise", "xv_squared", "x2v2"));
      graph.addNode(node("Mul", "pairwise_half", "pairwise_half", "pairwise", "half"));
      graph.addNode(node("ReduceSum", "interaction", "interaction", "pairwise_half", "axis_1")
          .addAttribute(attr("keepdims", AttributeType.INT).setI(1)));
      graph.addNode(node("Add", "linear_interaction", "linear_interaction", "linear", "interaction"));
      margin = "linear_interaction";
    }
    graph.addNode(node("Add", "margin", "margin", margin, "bias"));
    graph.addNode(node("Sigmoid", "sigmoid", OUTPUT, "margin"));
    return model(graph, meta, false);
  }

  /**
   * Exports a linear model over {@code width = weights.length} inputs: {@code y = w·x + b}, or
   * {@code sigmoid(w·x + b)} when {@code logistic}. A NaN input is read as 0.
   *
   * @param weights the weights, one per input; at least one
   * @param bias the bias
   * @param logistic whether the output is the sigmoid of the linear score
   * @param metadata entries for {@code metadata_props}; may be null (none); no null keys or values
   * @return the serialised {@code ModelProto}
   * @throws IllegalArgumentException if there are no weights, a parameter is not finite as a float, the
   *     parameters would exceed {@link #MAX_MODEL_BYTES}, or the metadata holds a null
   */
  public static byte[] linear(double[] weights, double bias, boolean logistic, Map<String, String> metadata) {
    return linear(weights, bias, logistic, metadata, MAX_MODEL_BYTES);
  }

  /** {@link #linear(double[], double, boolean, Map)} under a given size bound. */
  static byte[] linear(double[] weights, double bias, boolean logistic, Map<String, String> metadata,
      long maxBytes) {
    if (weights == null || weights.length == 0) {
      throw new IllegalArgumentException("weights are " + (weights == null ? "null" : "empty")
          + "; expected one per input");
    }
    long bytes = 4L * (weights.length + 1);
    if (bytes > maxBytes) {
      throw new IllegalArgumentException("the linear model's parameters take " + bytes + " bytes in ONNX (width "
          + weights.length + "); the most accepted is " + maxBytes);
    }
    Map<String, String> meta = checkedMetadata(metadata);
    float[] w = floats(weights, "weights");
    float b = scalar(bias, "bias");
    int width = w.length;
    GraphProto.Builder graph = graph(logistic ? "logistic" : "linear", width);
    String x = cleaned(graph);
    graph.addInitializer(tensor("w", w, width, 1));
    graph.addInitializer(tensor("bias", new float[] {b}));
    graph.addNode(node("MatMul", "dot", "dot", x, "w"));
    if (logistic) {
      graph.addNode(node("Add", "margin", "margin", "dot", "bias"));
      graph.addNode(node("Sigmoid", "sigmoid", OUTPUT, "margin"));
    } else {
      graph.addNode(node("Add", "margin", OUTPUT, "dot", "bias"));
    }
    return model(graph, meta, false);
  }

  /** Adds {@code Where(IsNaN(x), 0, x)} and returns the name of the cleaned input. */
  private static String cleaned(GraphProto.Builder graph) {
    graph.addInitializer(tensor("zero", new float[] {0f}));
    graph.addNode(node("IsNaN", "is_missing", "is_missing", INPUT));
    graph.addNode(node("Where", "missing_as_zero", "x", "is_missing", "zero", INPUT));
    return "x";
  }

  private static GraphProto.Builder graph(String name, int width) {
    return GraphProto.newBuilder().setName(name)
        .addInput(floatMatrix(INPUT, width))
        .addOutput(floatMatrix(OUTPUT, 1));
  }

  private static ValueInfoProto floatMatrix(String name, int columns) {
    TensorShapeProto shape = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(columns))
        .build();
    TypeProto type = TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
        .setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape)).build();
    return ValueInfoProto.newBuilder().setName(name).setType(type).build();
  }

  private static byte[] model(GraphProto.Builder graph, Map<String, String> metadata, boolean ml) {
    ModelProto.Builder m = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("SieveML")
        .setDomain("org.sieveml")
        .setModelVersion(1)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
    if (ml) {
      m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(ML_OPSET));
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
    }
    return m.setGraph(graph).build().toByteArray();
  }

  private static NodeProto.Builder node(String op, String name, String output, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
    for (String i : inputs) {
      n.addInput(i);
    }
    return n;
  }

  private static AttributeProto.Builder attr(String name, AttributeType type) {
    return AttributeProto.newBuilder().setName(name).setType(type);
  }

  private static AttributeProto.Builder string(String name, String value) {
    return attr(name, AttributeType.STRING).setS(ByteString.copyFrom(value, StandardCharsets.UTF_8));
  }

  private static TensorProto tensor(String name, float[] values, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    for (float f : values) {
      t.addFloatData(f);
    }
    return t.build();
  }

  private static TensorProto longTensor(String name, long[] values) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64.getNumber())
        .addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    return t.build();
  }

  private static void addNode(AttributeProto.Builder treeIds, AttributeProto.Builder nodeIds,
      AttributeProto.Builder featureIds, AttributeProto.Builder values, AttributeProto.Builder modes,
      AttributeProto.Builder trueIds, AttributeProto.Builder falseIds, AttributeProto.Builder missingTrue, int tree,
      int id, int feature, float value, ByteString mode, int trueId, int falseId, int missing) {
    treeIds.addInts(tree);
    nodeIds.addInts(id);
    featureIds.addInts(feature);
    values.addFloats(value);
    modes.addStrings(mode);
    trueIds.addInts(trueId);
    falseIds.addInts(falseId);
    missingTrue.addInts(missing);
  }

  private static void addTarget(AttributeProto.Builder treeIds, AttributeProto.Builder nodeIds,
      AttributeProto.Builder targetIds, AttributeProto.Builder weights, int tree, int id, float weight) {
    treeIds.addInts(tree);
    nodeIds.addInts(id);
    targetIds.addInts(0);
    weights.addFloats(weight);
  }

  /** The values as float32, each required to be finite after the cast. */
  private static float[] floats(double[] values, String what) {
    float[] f = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      f[i] = (float) values[i];
      if (!Float.isFinite(f[i])) {
        throw new IllegalArgumentException(what + "[" + i + "] is " + values[i] + "; expected a finite float32");
      }
    }
    return f;
  }

  private static float scalar(double value, String what) {
    float f = (float) value;
    if (!Float.isFinite(f)) {
      throw new IllegalArgumentException(what + " is " + value + "; expected a finite float32");
    }
    return f;
  }

  private static Map<String, String> checkedMetadata(Map<String, String> metadata) {
    Map<String, String> sorted = new TreeMap<>();
    if (metadata == null) {
      return sorted;
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("metadata entry " + e.getKey() + " = " + e.getValue()
            + " holds a null; expected a key and a value");
      }
      sorted.put(e.getKey(), e.getValue());
    }
    return sorted;
  }
}
