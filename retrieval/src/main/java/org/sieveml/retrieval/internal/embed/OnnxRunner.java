package org.sieveml.retrieval.internal.embed;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;

/**
 * The ONNX Runtime side of {@code OnnxEmbeddingModel}: the only class of this module that names ONNX Runtime
 * types, loaded only after the caller checked that ONNX Runtime is on the class path.
 *
 * <p>Thread-safety: {@link #run} is safe to call concurrently (ONNX Runtime allows concurrent
 * {@code OrtSession.run} calls on one session); {@link #close} must not race a run (the caller guards it).
 */
public final class OnnxRunner implements AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession session;
  private final String input;
  private final String output;
  /** The input tensor's shape with -1 for the batch (first) dimension. */
  private final long[] inputShape;
  private final int inputWidth;
  private final int outputWidth;

  /**
   * Opens a session.
   *
   * @param file the .onnx file
   * @param inputName the input to feed, or null for the model's only input
   * @param outputName the output to read, or null for the model's only output
   * @param inputWidth the input width when the model's shape does not fix it, or 0
   * @param threads intra-op threads, or 0 for ONNX Runtime's default
   * @return the runner
   * @throws IllegalArgumentException when the file is not a loadable model, a name is unknown or ambiguous, or
   *     the input's shape is unusable, naming what the model has
   */
  public static OnnxRunner open(Path file, String inputName, String outputName, int inputWidth, int threads) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession session;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      if (threads > 0) {
        options.setIntraOpNumThreads(threads);
      }
      session = env.createSession(file.toString(), options);
    } catch (OrtException e) {
      throw new IllegalArgumentException("cannot load the ONNX model " + file + ": " + e.getMessage(), e);
    }
    try {
      return new OnnxRunner(env, session, inputName, outputName, inputWidth, file);
    } catch (RuntimeException | OrtException e) {
      try {
        session.close();
      } catch (OrtException ignored) {
        // closing after a failed open: the first error is the one to report
      }
      if (e instanceof RuntimeException) {
        throw (RuntimeException) e;
      }
      throw new IllegalArgumentException("cannot inspect the ONNX model " + file + ": " + e.getMessage(), e);
    }
  }

  private OnnxRunner(OrtEnvironment env, OrtSession session, String inputName, String outputName, int width,
      Path file) throws OrtException {
    this.env = env;
    this.session = session;
    Map<String, NodeInfo> inputs = session.getInputInfo();
    Map<String, NodeInfo> outputs = session.getOutputInfo();
    this.input = pick("input", inputName, inputs, file);
    this.output = pick("output", outputName, outputs, file);
    if (!(inputs.get(input).getInfo() instanceof TensorInfo)) {
      throw new IllegalArgumentException("input '" + input + "' of " + file + " is not a tensor");
    }
    TensorInfo in = (TensorInfo) inputs.get(input).getInfo();
    long[] shape = in.getShape();
    if (shape.length < 2) {
      throw new IllegalArgumentException("input '" + input + "' of " + file + " has shape " + Arrays.toString(shape)
          + "; expected [batch, ...] (rank 2 or more)");
    }
    long product = 1;
    boolean known = true;
    for (int i = 1; i < shape.length; i++) {
      if (shape[i] <= 0) {
        known = false;
      }
      product *= Math.max(1, shape[i]);
    }
    if (known) {
      if (width > 0 && width != product) {
        throw new IllegalArgumentException("input '" + input + "' of " + file + " has shape " + Arrays.toString(shape)
            + " (" + product + " values a row); inputDimension was set to " + width);
      }
      this.inputWidth = (int) product;
      this.inputShape = shape.clone();
    } else if (shape.length == 2 && width > 0) {
      this.inputWidth = width;
      this.inputShape = new long[] {-1, width};
    } else {
      throw new IllegalArgumentException("input '" + input + "' of " + file + " has shape " + Arrays.toString(shape)
          + "; set inputDimension for a [batch, symbolic] input (other symbolic dimensions are not supported)");
    }
    this.inputShape[0] = -1;
    // the output width from a probe row of zeros (the declared shape may be symbolic)
    this.outputWidth = run(new float[][] {new float[inputWidth]}, 0, 1)[0].length;
  }

  private static String pick(String what, String name, Map<String, NodeInfo> nodes, Path file) {
    if (name == null) {
      if (nodes.size() != 1) {
        throw new IllegalArgumentException(file + " has " + nodes.size() + " " + what + "s " + nodes.keySet()
            + "; name the one to use");
      }
      return nodes.keySet().iterator().next();
    }
    if (!nodes.containsKey(name)) {
      throw new IllegalArgumentException(file + " has no " + what + " '" + name + "'; its " + what + "s are "
          + nodes.keySet());
    }
    return name;
  }

  /**
   * The resolved input name.
   *
   * @return the name
   */
  public String inputName() {
    return input;
  }

  /**
   * The resolved output name.
   *
   * @return the name
   */
  public String outputName() {
    return output;
  }

  /**
   * Floats in one input row.
   *
   * @return the width
   */
  public int inputWidth() {
    return inputWidth;
  }

  /**
   * Floats in one output row.
   *
   * @return the width
   */
  public int outputWidth() {
    return outputWidth;
  }

  /**
   * Runs rows {@code from} (inclusive) to {@code to} (exclusive) as one batch.
   *
   * @param rows validated rows of {@link #inputWidth()} floats
   * @param from first row
   * @param to end row
   * @return one output row per input row
   * @throws IllegalStateException when ONNX Runtime fails or the output has an unexpected size
   */
  public float[][] run(float[][] rows, int from, int to) {
    int batch = to - from;
    FloatBuffer buf = FloatBuffer.allocate(batch * inputWidth);
    for (int r = from; r < to; r++) {
      buf.put(rows[r]);
    }
    buf.flip();
    long[] shape = inputShape.clone();
    shape[0] = batch;
    try (OnnxTensor t = OnnxTensor.createTensor(env, buf, shape);
        OrtSession.Result result = session.run(Map.of(input, t))) {
      Optional<OnnxValue> v = result.get(output);
      if (v.isEmpty() || !(v.get() instanceof OnnxTensor)) {
        throw new IllegalStateException("output '" + output + "' is not a tensor");
      }
      OnnxTensor o = (OnnxTensor) v.get();
      FloatBuffer out = o.getFloatBuffer();
      if (out == null) {
        throw new IllegalStateException("output '" + output + "' is not a float tensor: " + o.getInfo());
      }
      int total = out.remaining();
      if (total % batch != 0) {
        throw new IllegalStateException("output '" + output + "' has " + total + " floats for a batch of " + batch);
      }
      int w = total / batch;
      float[][] res = new float[batch][w];
      for (int r = 0; r < batch; r++) {
        out.get(res[r]);
      }
      return res;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed on a batch of " + batch + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close the ONNX session: " + e.getMessage(), e);
    }
  }
}
