package org.sieveml.features.redis;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.RedisServer;
import org.sieveml.features.WindowTiles;

/**
 * Issue 15: {@code clear} built a SCAN pattern from the prefix and the view name, so a store with prefix
 * {@code tenant*} clearing {@code user_stats} deleted tenantA's and tenantB's keys, and {@code clear("*")}
 * wiped every view under a prefix. Glob characters in prefixes and view names are literals now.
 */
class RedisTenantIsolationTest {

  private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of(FeatureSpec.of("x", FeatureType.DOUBLE)));
  @org.junit.jupiter.api.extension.RegisterExtension
  static final RedisServer.PerClass REDIS = new RedisServer.PerClass();



  private static void fill(RedisOnlineStore s, String view) {
    EntityKey k = EntityKey.of("user_id", 1L);
    s.write(view, List.of(new OnlineRow(k, FeatureVector.builder(SCHEMA).setDouble("x", 1).build(), 1, 1, 1, "v1")));
    s.addTiles(view, List.of(WindowTiles.of(k, "v1", 0, new long[] {60_000}, new long[] {0}, new long[] {1, 1, 1},
        new double[] {1})), WindowTiles.Retention.ALL);
  }

  private static void assertHas(RedisOnlineStore s, String view, boolean present, String why) {
    EntityKey k = EntityKey.of("user_id", 1L);
    if (present) {
      assertNotNull(s.read(view, List.of(k)).get(0), why);
      assertNotNull(s.readTiles(view, List.of(k)).get(0), why);
    } else {
      assertNull(s.read(view, List.of(k)).get(0), why);
      assertNull(s.readTiles(view, List.of(k)).get(0), why);
    }
  }

  @Test
  void globCharactersInPrefixesAndViewNamesAreLiterals() {
    try (RedisOnlineStore star = RedisOnlineStore.builder(REDIS.uri()).prefix("tenant*").nearCache(0,
        java.time.Duration.ofSeconds(1)).build();
        RedisOnlineStore a = RedisOnlineStore.builder(REDIS.uri()).prefix("tenantA").build();
        RedisOnlineStore b = RedisOnlineStore.builder(REDIS.uri()).prefix("tenant?").build()) {
      for (RedisOnlineStore s : List.of(star, a, b)) {
        fill(s, "user_stats");
        fill(s, "other");
        fill(s, "[u]ser_stats");
      }
      star.clear("user_stats");
      assertHas(star, "user_stats", false, "its own view is cleared");
      assertHas(star, "other", true, "its other views stay");
      assertHas(a, "user_stats", true, "another tenant whose prefix the glob 'tenant*' matches keeps its data");
      assertHas(b, "user_stats", true, "so does 'tenant?'");
      a.clear("*");
      a.clear("?ser_stats");
      a.clear("[u]ser_stats");
      assertHas(a, "user_stats", true, "clear(\"*\") clears only a view literally named '*'");
      assertHas(a, "other", true, "and no other view");
      assertHas(a, "[u]ser_stats", false, "a view named with brackets is cleared literally");
      assertHas(b, "[u]ser_stats", true, "only in its own prefix");
    }
  }
}
