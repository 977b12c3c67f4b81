package org.sieveml.retrieval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.sieveml.retrieval.internal.embed.EmbeddingInputs;
import org.sieveml.retrieval.internal.embed.OnnxRunner;

/**
 * An embedding model the host brings as an ONNX file (a CNN or a vision transformer exported from
 * PyTorch, a linear projection, anything with one float input and one float output), run in ONNX Runtime.
 *
 * <p><b>ONNX Runtime is optional.</b> {@code sieveml-retrieval} declares
 * {@code com.microsoft.onnxruntime:onnxruntime} as an optional dependency: hosts that use this class add it
 * themselves (version 1.20.0 is the one tested); every other host is unaffected. Without it
 * {@link Builder#build()} throws an {@link IllegalStateException} naming the missing library.
 *
 * <p>The graph's input (named, or the model's only input) is a float tensor {@code [batch, ...]}: a row of
 * the embedding's input is its non-batch dimensions flattened (28 x 28 pixels for {@code [batch, 1, 28, 28]}),
 * so {@link #inputDimension()} is their product; a {@code [batch, symbolic]} input needs
 * {@link Builder#inputDimension}. The output (named, or the only one) is read as
 * {@code [batch, dimension]} floats, its non-batch dimensions flattened; its width is found by running one
 * row of zeros when the model is opened. {@link #embed(float[][])} runs up to {@link Builder#maxBatch} rows
 * as one tensor.
 *
 * <pre>{@code
 * try (OnnxEmbeddingModel m = OnnxEmbeddingModel.builder(Path.of("encoder.onnx"))
 *     .inputName("pixels").outputName("embedding").intraOpThreads(2).build()) {
 *   float[][] e = m.embed(images);
 * }
 * }</pre>
 *
 * <p>Thread-safety: thread-safe; concurrent {@link #embed} calls share one ONNX Runtime session (which
 * allows concurrent runs). The model holds native memory until {@link #close()}; an embed after close
 * throws {@link IllegalStateException}, and close waits for running embeds.
 */
public final class OnnxEmbeddingModel implements EmbeddingModel, AutoCloseable {
  /** The Maven coordinates a host adds to use this class. */
  static final String LIBRARY = "com.microsoft.onnxruntime:onnxruntime";
  /** A class of ONNX Runtime's Java API, looked up (not initialized) before anything else. */
  static final String PROBE_CLASS = "ai.onnxruntime.OrtEnvironment";

  private final OnnxRunner runner;
  private final Path file;
  private final int maxBatch;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private OnnxEmbeddingModel(OnnxRunner runner, Path file, int maxBatch) {
    this.runner = runner;
    this.file = file;
    this.maxBatch = maxBatch;
  }

  /**
   * Starts a builder.
   *
   * @param modelFile the .onnx file, not null
   * @return a builder: the model's only input and output, ONNX Runtime's default threads, batches of 256
   * @throws IllegalArgumentException if the path is null
   */
  public static Builder builder(Path modelFile) {
    if (modelFile == null) {
      throw new IllegalArgumentException("modelFile must not be null");
    }
    return new Builder(modelFile);
  }

  /**
   * Whether ONNX Runtime's Java API is on this class's class path.
   *
   * @return whether {@link Builder#build()} can open a model
   */
  public static boolean runtimeAvailable() {
    try {
      Class.forName(PROBE_CLASS, false, OnnxEmbeddingModel.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  @Override
  public int inputDimension() {
    return runner.inputWidth();
  }

  @Override
  public int dimension() {
    return runner.outputWidth();
  }

  /**
   * The graph input this model feeds.
   *
   * @return the input name
   */
  public String inputName() {
    return runner.inputName();
  }

  /**
   * The graph output this model reads.
   *
   * @return the output name
   */
  public String outputName() {
    return runner.outputName();
  }

  @Override
  public float[] embed(float[] input) {
    EmbeddingInputs.check(input, "input", runner.inputWidth());
    return run(new float[][] {input})[0];
  }

  @Override
  public float[][] embed(float[][] inputs) {
    EmbeddingInputs.checkAll(inputs, runner.inputWidth());
    return run(inputs);
  }

  private float[][] run(float[][] rows) {
    ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the ONNX embedding model " + file + " is closed");
      }
      float[][] out = new float[rows.length][];
      for (int from = 0; from < rows.length; from += maxBatch) {
        int to = Math.min(rows.length, from + maxBatch);
        float[][] part = runner.run(rows, from, to);
        for (int r = 0; r < part.length; r++) {
          if (part[r].length != runner.outputWidth()) {
            throw new IllegalStateException("output '" + runner.outputName() + "' gave " + part[r].length
                + " floats a row for a batch of " + (to - from) + ", " + runner.outputWidth() + " for one row");
          }
          out[from + r] = part[r];
        }
      }
      return out;
    } finally {
      lock.unlock();
    }
  }


  /** Releases the ONNX Runtime session (after running embeds finish). Idempotent. */
  @Override
  public void close() {
    ReentrantReadWriteLock.WriteLock lock = lifecycle.writeLock();
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        runner.close();
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "OnnxEmbeddingModel[" + file + ", " + runner.inputName() + " (" + runner.inputWidth() + ") -> "
        + runner.outputName() + " (" + runner.outputWidth() + ")]";
  }

  /**
   * Configures an {@link OnnxEmbeddingModel}. Every setter validates at once.
   *
   * <p>Thread-safety: not thread-safe.
   */
  public static final class Builder {
    private final Path file;
    private String inputName;
    private String outputName;
    private int inputDimension;
    private int threads;
    private int maxBatch = 256;

    private Builder(Path file) {
      this.file = file;
    }

    /**
     * The graph input to feed (default: the model's only input).
     *
     * @param v a non-empty name
     * @return this builder
     */
    public Builder inputName(String v) {
      this.inputName = name("inputName", v);
      return this;
    }

    /**
     * The graph output to read (default: the model's only output).
     *
     * @param v a non-empty name
     * @return this builder
     */
    public Builder outputName(String v) {
      this.outputName = name("outputName", v);
      return this;
    }

    /**
     * The row width, needed only when the input's shape is {@code [batch, symbolic]}; when the shape fixes
     * it, a different value is refused at {@link #build()}.
     *
     * @param v positive
     * @return this builder
     */
    public Builder inputDimension(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("inputDimension must be positive, was " + v);
      }
      this.inputDimension = v;
      return this;
    }

    /**
     * ONNX Runtime's intra-op threads (default: its own choice, one per core).
     *
     * @param v positive
     * @return this builder
     */
    public Builder intraOpThreads(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("intraOpThreads must be positive, was " + v);
      }
      this.threads = v;
      return this;
    }

    /**
     * The most rows run as one tensor (default 256); larger batches are split.
     *
     * @param v positive
     * @return this builder
     */
    public Builder maxBatch(int v) {
      if (v < 1) {
        throw new IllegalArgumentException("maxBatch must be positive, was " + v);
      }
      this.maxBatch = v;
      return this;
    }

    /**
     * Opens the model.
     *
     * @return the model, holding an ONNX Runtime session until closed
     * @throws IllegalStateException if ONNX Runtime is not on the class path (naming the library to add)
     * @throws java.io.UncheckedIOException if the file does not exist
     * @throws IllegalArgumentException if the file is not a loadable ONNX model, a name is unknown or (for a
     *     default) ambiguous, or the input's shape is unusable
     */
    public OnnxEmbeddingModel build() {
      if (!runtimeAvailable()) {
        throw new IllegalStateException("OnnxEmbeddingModel needs ONNX Runtime, which is not on the class path: add "
            + LIBRARY + " (1.20.0 is the version tested) to the host's dependencies; sieveml-retrieval declares it "
            + "optional so that hosts without ONNX models do not carry it");
      }
      if (!Files.isRegularFile(file)) {
        throw new java.io.UncheckedIOException(new java.io.FileNotFoundException("no ONNX model file at " + file));
      }
      return new OnnxEmbeddingModel(OnnxRunner.open(file, inputName, outputName, inputDimension, threads), file,
          maxBatch);
    }

    private static String name(String what, String v) {
      if (v == null || v.isEmpty()) {
        throw new IllegalArgumentException(what + " must be a non-empty name, was " + (v == null ? "null" : "\"\""));
      }
      return v;
    }
  }
}
