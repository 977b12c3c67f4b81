package org.sieveml.retrieval.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distance kernels, chosen once at class initialisation: {@code SimdVectorOps} (the JDK Vector
 * API) when the JVM runs with {@code --add-modules jdk.incubator.vector}, otherwise
 * {@link ScalarVectorOps}. The choice is logged once. Set the system property
 * {@code sieveml.simd=false} to force the scalar kernels.
 *
 * <p>Thread-safety: implementations are stateless and thread-safe.
 */
public abstract class VectorOps {

  private static final Logger LOG = LoggerFactory.getLogger(VectorOps.class);

  /** The kernels this JVM uses. */
  public static final VectorOps ACTIVE = choose();

  /** Package-private: the two implementations live here. */
  VectorOps() {}

  private static VectorOps choose() {
    if (!Boolean.parseBoolean(System.getProperty("sieveml.simd", "true"))) {
      LOG.info("vector distances: scalar kernels (sieveml.simd=false)");
      return ScalarVectorOps.INSTANCE;
    }
    VectorOps simd = simdOrNull();
    if (simd == null) {
      LOG.info("vector distances: scalar kernels (run with --add-modules jdk.incubator.vector for SIMD)");
      return ScalarVectorOps.INSTANCE;
    }
    LOG.info("vector distances: {}", simd);
    return simd;
  }

  /**
   * The SIMD kernels, or null when the Vector API module is not in the boot layer.
   *
   * @return the kernels or null
   */
  public static VectorOps simdOrNull() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return null;
    }
    try {
      // loaded reflectively: the class links against jdk.incubator.vector
      return (VectorOps) Class.forName("org.sieveml.retrieval.internal.SimdVectorOps")
          .getDeclaredField("INSTANCE").get(null);
    } catch (ReflectiveOperationException | LinkageError e) {
      LOG.warn("vector distances: SIMD kernels unavailable ({}), using scalar", e.toString());
      return null;
    }
  }

  /**
   * {@code Σ a_i b_i}; the lengths are assumed equal.
   *
   * @param a a vector
   * @param b a vector of the same length
   * @return the inner product
   */
  public abstract float dot(float[] a, float[] b);

  /**
   * {@code Σ (a_i - b_i)²}; the lengths are assumed equal.
   *
   * @param a a vector
   * @param b a vector of the same length
   * @return the squared Euclidean distance
   */
  public abstract float squareDistance(float[] a, float[] b);

  /**
   * {@code Σ a[aOff+i] b[bOff+i]} over {@code i < n}: vectors stored side by side in one array.
   *
   * @param a an array
   * @param aOff where the first vector starts in it
   * @param b an array
   * @param bOff where the second vector starts in it
   * @param n the dimension
   * @return the inner product
   */
  public abstract float dot(float[] a, int aOff, float[] b, int bOff, int n);

  /**
   * {@code Σ (a[aOff+i] - b[bOff+i])²} over {@code i < n}.
   *
   * @param a an array
   * @param aOff where the first vector starts in it
   * @param b an array
   * @param bOff where the second vector starts in it
   * @param n the dimension
   * @return the squared Euclidean distance
   */
  public abstract float squareDistance(float[] a, int aOff, float[] b, int bOff, int n);

  /**
   * {@code Σ a[aOff+i] b[bOff+i]} of int8 codes over {@code i < n}, summed exactly in an int.
   *
   * @param a an array of codes
   * @param aOff where the first vector starts
   * @param b an array of codes
   * @param bOff where the second vector starts
   * @param n the dimension (at most 2^16 with 7-bit codes, so the sum cannot overflow)
   * @return the inner product
   */
  public int dotBytes(byte[] a, int aOff, byte[] b, int bOff, int n) {
    int s0 = 0;
    int s1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      s0 += a[aOff + i] * b[bOff + i];
      s1 += a[aOff + i + 1] * b[bOff + i + 1];
    }
    for (; i < n; i++) {
      s0 += a[aOff + i] * b[bOff + i];
    }
    return s0 + s1;
  }

  /**
   * {@code Σ (a[aOff+i] - b[bOff+i])²} of int8 codes over {@code i < n}, exactly in an int.
   *
   * @param a an array of codes
   * @param aOff where the first vector starts
   * @param b an array of codes
   * @param bOff where the second vector starts
   * @param n the dimension (at most 2^16 with 7-bit codes)
   * @return the squared distance
   */
  public int squareDistanceBytes(byte[] a, int aOff, byte[] b, int bOff, int n) {
    int s0 = 0;
    int s1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      int d0 = a[aOff + i] - b[bOff + i];
      int d1 = a[aOff + i + 1] - b[bOff + i + 1];
      s0 += d0 * d0;
      s1 += d1 * d1;
    }
    for (; i < n; i++) {
      int d = a[aOff + i] - b[bOff + i];
      s0 += d * d;
    }
    return s0 + s1;
  }

  /**
   * {@code 1 - cos(a, b)} without assuming unit length; {@code 1} when either vector is zero.
   *
   * @param a a vector
   * @param b a vector of the same length
   * @return the cosine distance
   */
  public abstract float cosineDistance(float[] a, float[] b);
}
