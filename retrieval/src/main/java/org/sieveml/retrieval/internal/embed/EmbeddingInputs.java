package org.sieveml.retrieval.internal.embed;

/** The input checks every embedding model makes, with one wording. Stateless and thread-safe. */
public final class EmbeddingInputs {

  private EmbeddingInputs() {}

  /**
   * Checks one input row.
   *
   * @param x the row
   * @param what its name in messages, e.g. {@code "input"} or {@code "inputs[3]"}
   * @param width the model's input dimension
   * @throws IllegalArgumentException naming the row when it is null, of another width or holds a non-finite
   *     value
   */
  public static void check(float[] x, String what, int width) {
    if (x == null) {
      throw new IllegalArgumentException(what + " must not be null");
    }
    if (x.length != width) {
      throw new IllegalArgumentException(what + " has dimension " + x.length + ", expected " + width);
    }
    for (int i = 0; i < x.length; i++) {
      if (!Float.isFinite(x[i])) {
        throw new IllegalArgumentException(what + "[" + i + "] is " + x[i] + ", expected a finite value");
      }
    }
  }

  /**
   * Checks every row of a batch before any is embedded.
   *
   * @param inputs the rows
   * @param width the model's input dimension
   * @throws IllegalArgumentException when {@code inputs} is null, or naming the first invalid row
   */
  public static void checkAll(float[][] inputs, int width) {
    if (inputs == null) {
      throw new IllegalArgumentException("inputs must not be null");
    }
    for (int r = 0; r < inputs.length; r++) {
      check(inputs[r], "inputs[" + r + "]", width);
    }
  }
}
