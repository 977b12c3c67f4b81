package org.sieveml.retrieval.internal.hnsw;

import java.util.Arrays;

/**
 * Scalar quantization to 7-bit codes (0..127, so products sum exactly in an int) with one pair of
 * bounds for all dimensions, as Lucene's {@code ScalarQuantizer}: {@code x ≈ lo + α·c}, {@code α = (hi -
 * lo) / 127}. Bounds are the central {@code 1 - 1/(dim+1)} of the sampled components (Lucene's default
 * confidence interval), so a few outliers do not waste the codes' range. Distances between codes:
 * squared Euclidean {@code α² Σ(a-b)²}; inner product {@code α² Σ a·b + corr(a) + corr(b)} with a
 * per-vector correction {@code corr = α·lo·Σc + dim·lo²/2}. Immutable, thread-safe.
 */
public final class Int8Quantizer {
  final float lo;
  final float hi;
  final float alpha;
  final float alpha2;
  private final int dim;

  /**
   * Bounds.
   *
   * @param lo the lower bound
   * @param hi the upper bound, at least {@code lo}
   * @param dim the dimension
   */
  public Int8Quantizer(float lo, float hi, int dim) {
    this.lo = lo;
    this.hi = hi;
    this.dim = dim;
    float a = (hi - lo) / 127f;
    this.alpha = a > 0 && Float.isFinite(a) ? a : Float.MIN_NORMAL;
    this.alpha2 = alpha * alpha;
  }

  /**
   * Bounds from sample vectors.
   *
   * @param sample vectors (at least one)
   * @param dim the dimension
   * @return the quantizer
   */
  public static Int8Quantizer fit(java.util.List<float[]> sample, int dim) {
    float[] values = new float[sample.size() * dim];
    int n = 0;
    for (float[] v : sample) {
      System.arraycopy(v, 0, values, n, dim);
      n += dim;
    }
    Arrays.sort(values);
    double tail = 1.0 / (dim + 1) / 2;
    int a = (int) Math.floor(tail * (values.length - 1));
    int b = (int) Math.ceil((1 - tail) * (values.length - 1));
    float lo = values[a];
    float hi = values[b];
    if (hi <= lo) {
      hi = lo + Math.max(Math.ulp(lo), 1e-6f);
    }
    return new Int8Quantizer(lo, hi, dim);
  }

  /** The lower bound. @return it */
  public float lo() {
    return lo;
  }

  /** The upper bound. @return it */
  public float hi() {
    return hi;
  }

  /**
   * Encodes a vector into {@code codes[off..off+dim)} and returns its correction.
   *
   * @param v the vector
   * @param codes the destination
   * @param off where to write
   * @return the inner-product correction
   */
  public float encode(float[] v, byte[] codes, int off) {
    long sum = 0;
    for (int d = 0; d < dim; d++) {
      float x = Math.min(hi, Math.max(lo, v[d]));
      int c = Math.round((x - lo) / alpha);
      c = Math.max(0, Math.min(127, c));
      codes[off + d] = (byte) c;
      sum += c;
    }
    return alpha * lo * sum + dim * lo * lo / 2f;
  }
}
