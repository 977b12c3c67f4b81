package org.sieveml.retrieval.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Kernels on the JDK Vector API ({@code jdk.incubator.vector}) at the platform's preferred width,
 * with two accumulators to hide FMA latency and a scalar tail. Loaded only through
 * {@link VectorOps#simdOrNull()}. Thread-safe.
 */
public final class SimdVectorOps extends VectorOps {

  /** The instance. */
  public static final SimdVectorOps INSTANCE = new SimdVectorOps();

  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
  /** As many bytes as the preferred int vector has lanes: one load widens to one int vector. */
  private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(IS.length() * 8));
  private static final int BL = BS.length();

  private SimdVectorOps() {}

  @Override
  public float dot(float[] a, float[] b) {
    return dot(a, 0, b, 0, a.length);
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    int i = 0;
    float sum = 0;
    if (n >= L) {
      FloatVector acc0 = FloatVector.zero(S);
      FloatVector acc1 = FloatVector.zero(S);
      int bound2 = n - 2 * L;
      for (; i <= bound2; i += 2 * L) {
        acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        acc1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), acc1);
      }
      if (i <= n - L) {
        acc0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc0);
        i += L;
      }
      sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
    for (; i < n; i++) {
      sum += a[aOff + i] * b[bOff + i];
    }
    return sum;
  }

  @Override
  public float squareDistance(float[] a, float[] b) {
    return squareDistance(a, 0, b, 0, a.length);
  }

  @Override
  public float squareDistance(float[] a, int aOff, float[] b, int bOff, int n) {
    int i = 0;
    float sum = 0;
    if (n >= L) {
      FloatVector acc0 = FloatVector.zero(S);
      FloatVector acc1 = FloatVector.zero(S);
      int bound2 = n - 2 * L;
      for (; i <= bound2; i += 2 * L) {
        FloatVector d0 = FloatVector.fromArray(S, a, aOff + i).sub(FloatVector.fromArray(S, b, bOff + i));
        FloatVector d1 = FloatVector.fromArray(S, a, aOff + i + L).sub(FloatVector.fromArray(S, b, bOff + i + L));
        acc0 = d0.fma(d0, acc0);
        acc1 = d1.fma(d1, acc1);
      }
      if (i <= n - L) {
        FloatVector d0 = FloatVector.fromArray(S, a, aOff + i).sub(FloatVector.fromArray(S, b, bOff + i));
        acc0 = d0.fma(d0, acc0);
        i += L;
      }
      sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
    for (; i < n; i++) {
      float d = a[aOff + i] - b[bOff + i];
      sum += d * d;
    }
    return sum;
  }

  @Override
  public int dotBytes(byte[] a, int aOff, byte[] b, int bOff, int n) {
    int i = 0;
    int sum = 0;
    if (n >= BL) {
      IntVector acc = IntVector.zero(IS);
      for (; i <= n - BL; i += BL) {
        IntVector va = (IntVector) ByteVector.fromArray(BS, a, aOff + i).convertShape(VectorOperators.B2I, IS, 0);
        IntVector vb = (IntVector) ByteVector.fromArray(BS, b, bOff + i).convertShape(VectorOperators.B2I, IS, 0);
        acc = acc.add(va.mul(vb));
      }
      sum = acc.reduceLanes(VectorOperators.ADD);
    }
    for (; i < n; i++) {
      sum += a[aOff + i] * b[bOff + i];
    }
    return sum;
  }

  @Override
  public int squareDistanceBytes(byte[] a, int aOff, byte[] b, int bOff, int n) {
    int i = 0;
    int sum = 0;
    if (n >= BL) {
      IntVector acc = IntVector.zero(IS);
      for (; i <= n - BL; i += BL) {
        IntVector va = (IntVector) ByteVector.fromArray(BS, a, aOff + i).convertShape(VectorOperators.B2I, IS, 0);
        IntVector vb = (IntVector) ByteVector.fromArray(BS, b, bOff + i).convertShape(VectorOperators.B2I, IS, 0);
        IntVector d = va.sub(vb);
        acc = acc.add(d.mul(d));
      }
      sum = acc.reduceLanes(VectorOperators.ADD);
    }
    for (; i < n; i++) {
      int d = a[aOff + i] - b[bOff + i];
      sum += d * d;
    }
    return sum;
  }

  @Override
  public float cosineDistance(float[] a, float[] b) {
    int n = a.length;
    int i = 0;
    float dot = 0;
    float na = 0;
    float nb = 0;
    if (n >= L) {
      FloatVector d = FloatVector.zero(S);
      FloatVector x = FloatVector.zero(S);
      FloatVector y = FloatVector.zero(S);
      for (; i <= n - L; i += L) {
        FloatVector va = FloatVector.fromArray(S, a, i);
        FloatVector vb = FloatVector.fromArray(S, b, i);
        d = va.fma(vb, d);
        x = va.fma(va, x);
        y = vb.fma(vb, y);
      }
      dot = d.reduceLanes(VectorOperators.ADD);
      na = x.reduceLanes(VectorOperators.ADD);
      nb = y.reduceLanes(VectorOperators.ADD);
    }
    for (; i < n; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    float denom = (float) Math.sqrt((double) na * nb);
    if (denom == 0f) {
      return 1f;
    }
    return 1f - dot / denom;
  }

  @Override
  public String toString() {
    return "SIMD kernels (jdk.incubator.vector, " + L + " floats per vector)";
  }
}
