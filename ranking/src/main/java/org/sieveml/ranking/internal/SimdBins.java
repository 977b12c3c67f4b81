package org.sieveml.ranking.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector part of {@link BitWalk}: a block column's bins, counted with the JDK Vector API. It is loaded
 * only when the JVM runs with {@code --add-modules jdk.incubator.vector} (see {@link TreeEnsemble}).
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
final class SimdBins {
  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;

  private SimdBins() {}

  /**
   * The bins of one block column: {@code bin[r]} = the number of {@code conditions[from .. from + count)}
   * at or below {@code xb[x + r]}, for the 64 rows of the column (meaningless for a NaN). A condition
   * {@code t} is at or below {@code v} exactly when the sign bit of {@code v - t} is clear: the difference
   * of two unequal floats is never rounded to zero, and neither value is -0 (conditions are stored and
   * values written with -0 as +0), so the difference is +0 when they are equal.
   *
   * @param xb the block, feature-major, -0 written as +0
   * @param x where the column starts; 64 values are read
   * @param conditions split conditions: finite, -0 stored as +0
   * @param from the column's first condition
   * @param count its conditions
   * @param bin receives 64 bins
   */
  static void bins(float[] xb, int x, float[] conditions, int from, int count, int[] bin) {
    int lanes = FS.length();
    for (int q = 0; q < BitWalk.BLOCK; q += 4 * lanes) {
      FloatVector v0 = FloatVector.fromArray(FS, xb, x + q);
      FloatVector v1 = FloatVector.fromArray(FS, xb, x + q + lanes);
      FloatVector v2 = FloatVector.fromArray(FS, xb, x + q + 2 * lanes);
      FloatVector v3 = FloatVector.fromArray(FS, xb, x + q + 3 * lanes);
      // count minus the conditions above the value: each adds its sign bit as -1
      IntVector c0 = IntVector.broadcast(S, count);
      IntVector c1 = c0;
      IntVector c2 = c0;
      IntVector c3 = c0;
      for (int j = from, end = from + count; j < end; j++) {
        float t = conditions[j];
        c0 = c0.add(v0.sub(t).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31));
        c1 = c1.add(v1.sub(t).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31));
        c2 = c2.add(v2.sub(t).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31));
        c3 = c3.add(v3.sub(t).reinterpretAsInts().lanewise(VectorOperators.ASHR, 31));
      }
      c0.intoArray(bin, q);
      c1.intoArray(bin, q + lanes);
      c2.intoArray(bin, q + 2 * lanes);
      c3.intoArray(bin, q + 3 * lanes);
    }
  }
}
