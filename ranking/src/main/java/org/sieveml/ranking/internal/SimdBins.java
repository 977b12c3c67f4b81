package org.sieveml.ranking.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector part of {@link BitWalk}: a block's bins, counted with the JDK Vector API, and the prefix
 * masks made of them. It is loaded only when the JVM runs with {@code --add-modules jdk.incubator.vector} (see {@link TreeEnsemble}).
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
final class SimdBins {
  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;

  private SimdBins() {}

  /**
   * The prefix masks of every block column ({@link BitWalk}): per column {@code c}, entry
   * {@code prefixFrom[c] + 2j} holds the rows below condition {@code j}, entry {@code + 1} those and the
   * missing rows.
   *
   * <p>The whole column loop lives in this one method, not in the caller nor in a helper: its bytecode is
   * larger than the JIT's limit for inlining a hot callee (325 bytes), so it is compiled on its own with
   * every vector operation intrinsified. Inlined into the larger {@code BitWalk.block}, the JIT sometimes compiled the vector operations as calls on
   * boxed vectors instead (measured: 1 JVM in 5 ran the ranker 5x slower, allocating 60x more).
   *
   * @param xb the block, feature-major, -0 written as +0
   * @param m rows in the block, 1..64
   * @param used the block's columns
   * @param conditions every column's split conditions
   * @param conditionFrom per column its first condition, and one past the last column's
   * @param prefixFrom per column its first prefix entry
   * @param prefix receives the entries
   * @param bin scratch of 64 bins
   */
  static void prefixes(float[] xb, int m, int used, float[] conditions, int[] conditionFrom, int[] prefixFrom,
      long[] prefix, int[] bin) {
    for (int c = 0, x = 0; c < used; c++, x += BitWalk.BLOCK) {
      int from = prefixFrom[c];
      int count = conditionFrom[c + 1] - conditionFrom[c];
      // bin[r] = the conditions at or below xb[x + r] (meaningless for a NaN). A condition t is at or below v
      // exactly when the sign bit of v - t is clear: the difference of two unequal floats is never rounded
      // to zero, and neither value is -0 (conditions are stored and values written with -0 as +0), so the
      // difference is +0 when they are equal.
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
        for (int j = conditionFrom[c], end = j + count; j < end; j++) {
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
      // per bin its rows (at even entries), the missing rows apart
      java.util.Arrays.fill(prefix, from, from + 2 * count + 2, 0L);
      long missing = 0;
      for (int r = 0; r < m; r++) {
        float v = xb[x + r];
        if (v != v) {
          missing |= 1L << r;
        } else {
          prefix[from + 2 * bin[r]] |= 1L << r;
        }
      }
      // entry 2j: the rows below condition j; entry 2j + 1: those and the missing rows
      long acc = 0;
      for (int e = from, end = from + 2 * count + 2; e < end; e += 2) {
        acc |= prefix[e];
        prefix[e] = acc;
        prefix[e + 1] = acc | missing;
      }
    }
  }
}
