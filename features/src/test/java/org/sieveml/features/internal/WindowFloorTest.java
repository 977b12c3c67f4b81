package org.sieveml.features.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The division-free floor of the window engine equals {@code Math.floorDiv(x, g) * g} everywhere. */
class WindowFloorTest {

  @Test
  void equalsFloorDivOnBoundariesAndAtRandom() {
    long[] gs = {1, 7, 1_000, 60_000, 3_600_000, 86_400_000, 86_400_000L * 3650};
    Random rnd = new Random(3);
    for (long g : gs) {
      for (long k = -3; k <= 3; k++) {
        for (long base : new long[] {0, 1L << 40, (1L << 52) - g * 10, -(1L << 52) + g * 10, 253402300799999L}) {
          long m = base - Math.floorMod(base, g) + k * g;
          for (long x : new long[] {m - 1, m, m + 1}) {
            assertEquals(Math.floorDiv(x, g) * g, WindowAggregator.floor(x, g), "x=" + x + ", g=" + g);
          }
        }
      }
      for (int i = 0; i < 200_000; i++) {
        long x = rnd.nextBoolean() ? rnd.nextLong() >> rnd.nextInt(20) : (rnd.nextLong() >> 11);
        assertEquals(Math.floorDiv(x, g) * g, WindowAggregator.floor(x, g), "x=" + x + ", g=" + g);
      }
    }
  }
}
