package org.sieveml.monitoring.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The buckets of one observation of many numeric features at once, one feature per Vector API lane:
 * a value's bucket is the number of its feature's edges that are {@code <=} it (as
 * {@code DriftTests.bucket}), counted by comparing a lane of values with the k-th edge of every lane's
 * feature, for every k. Edges are stored transposed ({@code edges[k * width + f]}) and padded with NaN,
 * which no comparison passes, so features with fewer edges need no special case. A NaN value gets its
 * feature's missing bucket.
 *
 * <p>Linked only when the JVM runs with {@code --add-modules jdk.incubator.vector} (see {@link #AVAILABLE});
 * the caller keeps a scalar path for the rest. Stateless and thread-safe; {@link Layout} is immutable.
 */
public final class SimdBuckets {

  /** Whether the Vector API is usable in this JVM (module present and the system property {@code sieveml.simd} not false). */
  public static final boolean AVAILABLE = available();

  private SimdBuckets() {}

  private static boolean available() {
    if (!Boolean.parseBoolean(System.getProperty("sieveml.simd", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return Class.forName("org.sieveml.monitoring.internal.SimdBuckets$Kernel").getName() != null;
    } catch (ReflectiveOperationException | LinkageError e) {
      return false;
    }
  }

  /**
   * The transposed edges of a set of numeric features.
   *
   * @param lanes how many features the vector loop covers (a multiple of the vector length, at most the
   *     number of features); the rest go through the caller's scalar path
   * @param maxEdges the largest number of edges of a feature
   * @param edges {@code edges[k * lanes + f]}: feature f's k-th edge, NaN past its last
   * @param missing feature f's missing bucket, as a double
   */
  public record Layout(int lanes, int maxEdges, double[] edges, double[] missing) {

    /**
     * Lays out features' sorted edges.
     *
     * @param featureEdges each feature's sorted edges (null for a feature the vector loop must skip)
     * @param missingBucket each feature's missing bucket
     * @return the layout, or null when the Vector API is not available, a vector does not hold eight
     *     doubles, or no full vector of numeric features leads the list
     */
    public static Layout of(double[][] featureEdges, int[] missingBucket) {
      if (!AVAILABLE) {
        return null;
      }
      return Kernel.layout(featureEdges, missingBucket);
    }
  }

  /**
   * Writes the buckets of {@code values[0 .. layout.lanes())} to {@code out[at ..]}.
   *
   * @param layout the features' layout
   * @param values the observation
   * @param out where buckets go
   * @param at the first feature's position in {@code out}
   */
  public static void buckets(Layout layout, double[] values, byte[] out, int at) {
    Kernel.buckets(layout, values, out, at);
  }

  /** The part that links against the Vector API, loaded only when {@link #AVAILABLE}. */
  static final class Kernel {

    // every Vector API constant lives here: SimdBuckets itself must initialize without the module
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final double TWO_52 = 0x1p52;
    private static final VectorShuffle<Byte> PICK =
        VectorShuffle.fromOp(ByteVector.SPECIES_512, i -> (i & 7) * 8);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private Kernel() {}

    static Layout layout(double[][] featureEdges, int[] missingBucket) {
      int n = 0;
      while (n < featureEdges.length && featureEdges[n] != null) {
        n++;
      }
      int lanes = n - n % S.length();
      // a 64-bit byte vector holds one group's buckets exactly only when a vector has eight doubles
      // (AVX-512); elsewhere the scalar path stays
      if (lanes == 0 || S.length() != ByteVector.SPECIES_64.length()) {
        return null;
      }
      int maxEdges = 0;
      for (int f = 0; f < lanes; f++) {
        maxEdges = Math.max(maxEdges, featureEdges[f].length);
      }
      double[] edges = new double[Math.max(1, maxEdges) * lanes];
      java.util.Arrays.fill(edges, Double.NaN);
      double[] missing = new double[lanes];
      for (int f = 0; f < lanes; f++) {
        double[] e = featureEdges[f];
        for (int k = 0; k < e.length; k++) {
          edges[k * lanes + f] = e[k];
        }
        missing[f] = missingBucket[f];
      }
      return new Layout(lanes, maxEdges, edges, missing);
    }

    static void buckets(Layout layout, double[] values, byte[] out, int at) {
      int lanes = layout.lanes;
      int maxEdges = layout.maxEdges;
      double[] edges = layout.edges;
      double[] missing = layout.missing;
      DoubleVector one = DoubleVector.broadcast(S, 1.0);
      for (int g = 0; g < lanes; g += S.length()) {
        DoubleVector v = DoubleVector.fromArray(S, values, g);
        // three counts, so that one comparison's addition does not wait on the one before
        DoubleVector c0 = DoubleVector.zero(S);
        DoubleVector c1 = c0;
        DoubleVector c2 = c0;
        int k = 0;
        int e = g;
        for (; k + 2 < maxEdges; k += 3, e += 3 * lanes) {
          c0 = c0.add(one, DoubleVector.fromArray(S, edges, e).compare(VectorOperators.LE, v));
          c1 = c1.add(one, DoubleVector.fromArray(S, edges, e + lanes).compare(VectorOperators.LE, v));
          c2 = c2.add(one, DoubleVector.fromArray(S, edges, e + 2 * lanes).compare(VectorOperators.LE, v));
        }
        for (; k < maxEdges; k++, e += lanes) {
          c0 = c0.add(one, DoubleVector.fromArray(S, edges, e).compare(VectorOperators.LE, v));
        }
        DoubleVector count = c0.add(c1).add(c2);
        VectorMask<Double> nan = v.compare(VectorOperators.NE, v);
        count = count.blend(DoubleVector.fromArray(S, missing, g), nan);
        // 2^52 + count has count in its low mantissa bits; one byte permutation gathers the eight low
        // bytes into the first long: the group's buckets, lane 0 lowest
        long packed = count.add(TWO_52).reinterpretAsBytes().rearrange(PICK).reinterpretAsLongs().lane(0);
        LONGS.set(out, at + g, packed);
      }
    }
  }
}
