package org.sieveml.ranking.internal;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD walk of {@link TreeEnsemble}'s complete trees (the JDK Vector API): as many rows as a vector
 * has lanes descend one tree together, one level at a time. On the upper levels, which have few nodes,
 * every node of the level is tested for all lanes with one contiguous load of its column from the
 * feature-major block buffer, and each lane keeps the outcome of its own node (no gathers); on the lower
 * levels each lane's test is read with gathers. It is loaded only when the JVM runs with
 * {@code --add-modules jdk.incubator.vector} (see {@link TreeEnsemble}). Each lane computes exactly the
 * leaf the scalar walk reaches for its row, and leaf values are added lanewise in tree order, so the
 * sums are bit for bit the scalar ones.
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
final class SimdTreeWalk {
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
  /** Levels from this one down read their tests with gathers (measured: 4 or 5 beat 3 and 6). */
  private static final int GATHER_FROM_LEVEL = 4;

  private SimdTreeWalk() {}

  /**
   * Adds, for rows {@code 0 .. done - 1} of a feature-major block buffer, every complete tree's leaf in
   * model order to {@code sums}, where {@code done} is {@code m} rounded down to a multiple of the lane
   * count; the caller walks the rest.
   *
   * @param fo per node: the buffer offset of the test's column ({@code compact index * block rows})
   * @param thr per node: the threshold key; a lane's test passes (the non-default child) when its key is
   *     below it
   * @param leaf per node: the leaf value
   * @param start per tree: its first node; the tree is complete, children of position {@code p} at
   *     {@code 2p + 1} (default) and {@code 2p + 2}
   * @param depth per tree: its depth
   * @param buf the block buffer, {@code buf[fo + row]}
   * @param m the rows in the block
   * @param sums per row: the running sum
   * @return {@code done}, the rows walked (0 when the int and float species differ in length)
   */
  static int walk(int[] fo, int[] thr, float[] leaf, int[] start, int[] depth, int[] buf, int m, float[] sums) {
    int lanes = S.length();
    int done = m / lanes * lanes;
    if (FS.length() != lanes || done == 0) {
      return 0;
    }
    int[] nodeAt = new int[lanes];
    int[] valueAt = new int[lanes];
    IntVector iota = IntVector.zero(S).addIndex(1); // lane j reads row r + j
    IntVector one = IntVector.broadcast(S, 1);
    for (int t = 0; t < start.length; t++) {
      int o = start[t];
      int d = depth[t];
      for (int r = 0; r < done; r += lanes) {
        IntVector g = IntVector.zero(S); // each lane's node, as its index within the level
        for (int l = 0, first = o; l < d; l++, first = 2 * first - o + 1) { // first: the level's first node
          VectorMask<Integer> pass;
          if (l < GATHER_FROM_LEVEL) {
            pass = S.maskAll(false);
            for (int n = 0, width = 1 << l; n < width; n++) {
              int at = first + n;
              pass = pass.or(IntVector.fromArray(S, buf, fo[at] + r).lt(thr[at]).and(g.eq(n)));
            }
          } else {
            g.intoArray(nodeAt, 0);
            IntVector th = IntVector.fromArray(S, thr, first, nodeAt, 0);
            IntVector.fromArray(S, fo, first, nodeAt, 0).add(iota).intoArray(valueAt, 0);
            pass = IntVector.fromArray(S, buf, r, valueAt, 0).lt(th);
          }
          g = g.add(g).add(one, pass); // the default child is 2g, the other 2g + 1
        }
        g.intoArray(nodeAt, 0);
        FloatVector.fromArray(FS, sums, r).add(FloatVector.fromArray(FS, leaf, (1 << d) - 1 + o, nodeAt, 0))
            .intoArray(sums, r);
      }
    }
    return done;
  }
}
