package org.sieveml.retrieval;

/**
 * Turns raw vectors (pixels, audio frames, any fixed-width float input) into embeddings for a
 * {@link VectorIndex}: {@link #inputDimension()} floats in, {@link #dimension()} floats out.
 *
 * <p>Two implementations ship with this module: {@link PcaEmbeddingModel}, a linear projection fitted
 * in-process (principal components, optionally whitened), and {@link OnnxEmbeddingModel}, a model the
 * host brings as an ONNX file and runs in ONNX Runtime (an optional dependency). A host may implement it
 * for anything else; an index never calls it, the host embeds and then adds or searches.
 *
 * <pre>{@code
 * EmbeddingModel model = PcaEmbeddingModel.builder(40).whiten(true).seed(7).fit(images);
 * HnswVectorIndex index = HnswVectorIndex.builder(model.dimension(), VectorMetric.L2).build();
 * index.add("img-1", model.embed(pixels));
 * }</pre>
 *
 * <p>Thread-safety: implementations must be safe for concurrent {@link #embed} calls once built
 * (both shipped ones are); an implementation that holds native resources says so and is
 * {@link AutoCloseable}.
 */
public interface EmbeddingModel {

  /**
   * The width of an input vector.
   *
   * @return the input dimension, positive
   */
  int inputDimension();

  /**
   * The width of an embedding.
   *
   * @return the output dimension, positive
   */
  int dimension();

  /**
   * Embeds one input.
   *
   * @param input {@link #inputDimension()} finite floats; not modified
   * @return a new array of {@link #dimension()} floats
   * @throws IllegalArgumentException if the input is null, of another width or holds a non-finite value
   */
  float[] embed(float[] input);

  /**
   * Embeds a batch; row {@code i} of the result is {@code embed(inputs[i])}, up to the float rounding of
   * an implementation that computes a batch differently (the ONNX model runs it as one tensor). The
   * default embeds the rows one by one.
   *
   * @param inputs the rows, each {@link #inputDimension()} finite floats; not modified
   * @return one new embedding per row
   * @throws IllegalArgumentException if {@code inputs} or a row is null, or a row is invalid (nothing is
   *     returned then)
   */
  default float[][] embed(float[][] inputs) {
    if (inputs == null) {
      throw new IllegalArgumentException("inputs must not be null");
    }
    float[][] out = new float[inputs.length][];
    for (int i = 0; i < inputs.length; i++) {
      out[i] = embed(inputs[i]);
    }
    return out;
  }
}
