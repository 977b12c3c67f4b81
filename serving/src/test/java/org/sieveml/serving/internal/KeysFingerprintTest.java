package org.sieveml.serving.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;

/** The run fingerprint's hash of sorted entity ids. */
class KeysFingerprintTest {

  /**
   * MurmurHash3 x64_128 (seed 0) of the ids as little-endian words, against vectors computed with
   * Guava 33.1's {@code Hashing.murmur3_128(0).hashBytes(...)} (h1 and h2 as its little-endian halves).
   */
  @Test
  void murmur3MatchesTheReferenceImplementation() {
    assertArrayEquals(new long[] {0L, 0L}, Keys.Fingerprint.murmur3(new long[0]));
    assertArrayEquals(new long[] {0x004403b7fb05c44aL, 0x3d8acdb4d36d9c06L}, Keys.Fingerprint.murmur3(new long[] {1}));
    assertArrayEquals(new long[] {0xdeed8b2be489f006L, 0x2f85052754e1e577L},
        Keys.Fingerprint.murmur3(new long[] {1, 2}));
    assertArrayEquals(new long[] {0x2e1f43be619a92b9L, 0x328bed20d4ead5b1L},
        Keys.Fingerprint.murmur3(new long[] {0, 1, 2}));
    assertArrayEquals(new long[] {0x0da28faeb0d6f6c0L, 0x14e978c71f7827c0L},
        Keys.Fingerprint.murmur3(new long[] {-1, Long.MIN_VALUE, 42, 7, 123456789012345L}));
  }

  /** Every id list that differs in one id, one position or its length gets another fingerprint. */
  @Test
  void nearbyIdListsGetDistinctFingerprints() {
    long[] base = new long[1_000];
    for (int i = 0; i < base.length; i++) {
      base[i] = 3L * i;
    }
    Set<String> seen = new HashSet<>();
    List<long[]> variants = new ArrayList<>();
    variants.add(base);
    for (int i = 0; i < base.length; i += 7) {
      long[] v = base.clone();
      v[i]++;
      variants.add(v);
    }
    for (int n = 0; n < base.length; n += 13) {
      variants.add(java.util.Arrays.copyOf(base, n));
    }
    for (long[] v : variants) {
      String f = new Keys.Fingerprint().addLongs(v).hex16();
      assertEquals(16, f.length());
      seen.add(f);
    }
    assertEquals(variants.size(), seen.size(), "one fingerprint per list");
    assertNotEquals(new Keys.Fingerprint().addLongs(new long[] {1, 2}).hex16(),
        new Keys.Fingerprint().addLongs(new long[] {2, 1}).hex16(), "order counts (ids arrive sorted)");
    assertEquals(new Keys.Fingerprint().add(EntityKey.of("user_id", 5L)).hex16(),
        new Keys.Fingerprint().add(EntityKey.of("user_id", 5L)).hex16(), "deterministic");
  }
}
