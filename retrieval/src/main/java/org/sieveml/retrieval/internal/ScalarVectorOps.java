package org.sieveml.retrieval.internal;

/** Scalar kernels with independent accumulators (so the JIT can pipeline them). Thread-safe. */
public final class ScalarVectorOps extends VectorOps {

  /** The instance. */
  public static final ScalarVectorOps INSTANCE = new ScalarVectorOps();

  private ScalarVectorOps() {}

  @Override
  public float dot(float[] a, float[] b) {
    return dot(a, 0, b, 0, a.length);
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int i = 0;
    int bound = n & ~3;
    for (; i < bound; i += 4) {
      s0 += a[aOff + i] * b[bOff + i];
      s1 += a[aOff + i + 1] * b[bOff + i + 1];
      s2 += a[aOff + i + 2] * b[bOff + i + 2];
      s3 += a[aOff + i + 3] * b[bOff + i + 3];
    }
    for (; i < n; i++) {
      s0 += a[aOff + i] * b[bOff + i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float squareDistance(float[] a, float[] b) {
    return squareDistance(a, 0, b, 0, a.length);
  }

  @Override
  public float squareDistance(float[] a, int aOff, float[] b, int bOff, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int i = 0;
    int bound = n & ~3;
    for (; i < bound; i += 4) {
      float d0 = a[aOff + i] - b[bOff + i];
      float d1 = a[aOff + i + 1] - b[bOff + i + 1];
      float d2 = a[aOff + i + 2] - b[bOff + i + 2];
      float d3 = a[aOff + i + 3] - b[bOff + i + 3];
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < n; i++) {
      float d = a[aOff + i] - b[bOff + i];
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }

  @Override
  public float cosineDistance(float[] a, float[] b) {
    float dot0 = 0;
    float dot1 = 0;
    float na0 = 0;
    float na1 = 0;
    float nb0 = 0;
    float nb1 = 0;
    int i = 0;
    int bound = a.length & ~1;
    for (; i < bound; i += 2) {
      dot0 += a[i] * b[i];
      dot1 += a[i + 1] * b[i + 1];
      na0 += a[i] * a[i];
      na1 += a[i + 1] * a[i + 1];
      nb0 += b[i] * b[i];
      nb1 += b[i + 1] * b[i + 1];
    }
    for (; i < a.length; i++) {
      dot0 += a[i] * b[i];
      na0 += a[i] * a[i];
      nb0 += b[i] * b[i];
    }
    float denom = (float) Math.sqrt((double) (na0 + na1) * (nb0 + nb1));
    if (denom == 0f) {
      return 1f;
    }
    return 1f - (dot0 + dot1) / denom;
  }

  @Override
  public String toString() {
    return "scalar kernels";
  }
}
