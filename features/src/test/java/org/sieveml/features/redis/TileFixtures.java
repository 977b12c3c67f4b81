package org.sieveml.features.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.sieveml.core.EntityKey;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.WindowTiles;

/**
 * Random window tiles and retentions, and a random sequence of tile operations applied to a store under
 * test and to a reference store, compared after every step.
 */
final class TileFixtures {
  static final long[] LENGTHS = {10, 100, 1_000};

  private TileFixtures() {}

  /** Awkward doubles: signed zeros, infinities, NaN, subnormals, values whose sums round. */
  static double awkward(SplittableRandom rnd) {
    switch (rnd.nextInt(12)) {
      case 0:
        return -0.0;
      case 1:
        return 0.0;
      case 2:
        return Double.MIN_VALUE;
      case 3:
        return 0.1;
      case 4:
        return -1e300;
      case 5:
        return Double.NaN;
      case 6:
        return Double.longBitsToDouble(rnd.nextLong() & 0x7fefffffffffffffL) * (rnd.nextBoolean() ? 1 : -1);
      default:
        return (rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(-5, 6));
    }
  }

  static long time(SplittableRandom rnd) {
    switch (rnd.nextInt(10)) {
      case 0:
        return Long.MAX_VALUE - rnd.nextInt(3);
      case 1:
        return Long.MIN_VALUE + rnd.nextInt(3);
      case 2:
        return (1L << 53) + rnd.nextInt(5); // beyond exact doubles: must still compare exactly
      default:
        return rnd.nextLong(-1_000, 5_000);
    }
  }

  /** Random tiles of a key (distinct (length, start), sorted), possibly none. */
  static WindowTiles tiles(SplittableRandom rnd, EntityKey key, String version, int fields, int maxTiles) {
    int n = rnd.nextInt(maxTiles + 1);
    List<long[]> ls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long len = LENGTHS[rnd.nextInt(LENGTHS.length)];
      long start = len * rnd.nextLong(-3, 25);
      ls.add(new long[] {len, start});
    }
    ls.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    List<long[]> distinct = new ArrayList<>();
    for (long[] t : ls) {
      if (distinct.isEmpty() || !Arrays.equals(distinct.get(distinct.size() - 1), t)) {
        distinct.add(t);
      }
    }
    int m = distinct.size();
    int w = 1 + 4 * fields;
    long[] lengths = new long[m];
    long[] starts = new long[m];
    long[] times = new long[m * WindowTiles.TIMES];
    double[] stats = new double[m * w];
    for (int i = 0; i < m; i++) {
      lengths[i] = distinct.get(i)[0];
      starts[i] = distinct.get(i)[1];
      for (int k = 0; k < WindowTiles.TIMES; k++) {
        times[i * WindowTiles.TIMES + k] = time(rnd);
      }
      int count = rnd.nextInt(1, 6);
      stats[i * w] = count;
      for (int f = 0; f < fields; f++) {
        int o = i * w + 1 + 4 * f;
        int present = rnd.nextInt(count + 1);
        stats[o] = present;
        if (present == 0) {
          stats[o + 1] = 0;
          stats[o + 2] = Double.POSITIVE_INFINITY;
          stats[o + 3] = Double.NEGATIVE_INFINITY;
        } else {
          double a = awkward(rnd);
          double b = awkward(rnd);
          stats[o + 1] = awkward(rnd);
          stats[o + 2] = Math.min(a, b);
          stats[o + 3] = Math.max(a, b);
        }
      }
    }
    return WindowTiles.of(key, version, fields, lengths, starts, times, stats);
  }

  static WindowTiles.Retention retention(SplittableRandom rnd) {
    if (rnd.nextInt(5) == 0) {
      return WindowTiles.Retention.ALL;
    }
    List<long[]> r = new ArrayList<>();
    for (long len : LENGTHS) {
      if (rnd.nextInt(4) > 0) {
        long keep = rnd.nextInt(8) == 0 ? Long.MIN_VALUE : len * rnd.nextLong(-3, 12) + rnd.nextInt(3) - 1;
        r.add(new long[] {len, keep});
      }
    }
    if (rnd.nextInt(6) == 0) {
      r.add(new long[] {7, 0}); // a length no tile has
    }
    long[] lengths = new long[r.size()];
    long[] keep = new long[r.size()];
    for (int i = 0; i < r.size(); i++) {
      lengths[i] = r.get(i)[0];
      keep[i] = r.get(i)[1];
    }
    return WindowTiles.Retention.of(lengths, keep);
  }

  /**
   * Applies {@code steps} random addTiles / putTiles / erase operations (mixed versions and field
   * counts) to both stores and compares readTiles over all keys after each.
   */
  static void randomOperations(OnlineStore store, OnlineStore reference, String view, List<EntityKey> keys, long seed,
      int steps) {
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int step = 0; step < steps; step++) {
      int op = rnd.nextInt(10);
      String what;
      if (op < 7) {
        List<WindowTiles> deltas = batch(rnd, keys, 6);
        WindowTiles.Retention r = retention(rnd);
        store.addTiles(view, deltas, r);
        reference.addTiles(view, deltas, r);
        what = "addTiles " + deltas + " " + r;
      } else if (op < 9) {
        List<WindowTiles> sets = batch(rnd, keys, 3);
        store.putTiles(view, sets);
        reference.putTiles(view, sets);
        what = "putTiles " + sets;
      } else {
        EntityKey k = keys.get(rnd.nextInt(keys.size()));
        store.erase(view, k);
        reference.erase(view, k);
        what = "erase " + k;
      }
      List<WindowTiles> got = store.readTiles(view, keys);
      List<WindowTiles> want = reference.readTiles(view, keys);
      for (int i = 0; i < keys.size(); i++) {
        assertEquals(want.get(i), got.get(i), "seed " + seed + ", step " + step + " (" + what + "), key " + keys.get(i)
            + ": " + detail(want.get(i)) + " vs " + detail(got.get(i)));
      }
    }
  }

  private static List<WindowTiles> batch(SplittableRandom rnd, List<EntityKey> keys, int max) {
    List<EntityKey> shuffled = new ArrayList<>(keys);
    for (int i = shuffled.size() - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      EntityKey t = shuffled.get(i);
      shuffled.set(i, shuffled.get(j));
      shuffled.set(j, t);
    }
    int n = rnd.nextInt(1, max + 1);
    List<WindowTiles> out = new ArrayList<>();
    for (int i = 0; i < n && i < shuffled.size(); i++) {
      String version = rnd.nextInt(8) == 0 ? "v2" : "v1";
      int fields = rnd.nextInt(10) == 0 ? 1 : 2;
      out.add(tiles(rnd, shuffled.get(i), version, fields, 6));
    }
    return out;
  }

  static String detail(WindowTiles t) {
    if (t == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(t.toString()).append(" times/stats:");
    for (int i = 0; i < t.size(); i++) {
      b.append(" [");
      for (int k = 0; k < WindowTiles.TIMES; k++) {
        b.append(t.time(i, k)).append(' ');
      }
      for (int k = 0; k < t.width(); k++) {
        b.append(Long.toHexString(Double.doubleToRawLongBits(t.stat(i, k)))).append(' ');
      }
      b.append(']');
    }
    return b.toString();
  }
}
