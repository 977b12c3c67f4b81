package org.sieveml.features.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.OnlineStoreUnavailableException;
import org.sieveml.features.RedisServer;
import org.sieveml.features.WindowTiles;

/** AUTH ({@code requirepass} and an ACL user) and TLS settings pass through the builder to a real server. */
class RedisAuthTest {
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("x").build();
  static RedisProcesses processes;
  static int port;

  @BeforeAll
  static void start() throws IOException {
    Assumptions.assumeTrue(RedisServer.available(), "redis-server is not installed (.ci/run installs it)");
    processes = new RedisProcesses();
    port = processes.start("--requirepass", "secret", "--user", "alice", "on", ">alicepw", "~*", "&*", "+@all");
  }

  @AfterAll
  static void stop() {
    if (processes != null) {
      processes.close();
    }
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  static void works(RedisOnlineStore s) {
    EntityKey k = EntityKey.of("user_id", 1L);
    s.write("v", List.of(new OnlineRow(k, FeatureVector.builder(SCHEMA).setDouble("x", 2.5).build(), 1, 1, 1, "v1")));
    assertEquals(2.5, s.read("v", List.of(k)).get(0).values().getDouble("x"));
    WindowTiles t = WindowTiles.of(k, "v1", 0, new long[] {10}, new long[] {0}, new long[] {1, 1, 1}, new double[] {1});
    s.addTiles("agg", List.of(t), WindowTiles.Retention.ALL);
    assertEquals(t, s.readTiles("agg", List.of(k)).get(0));
    s.advanceMark("m", 3);
    assertEquals(3, s.readMark("m"));
  }

  @Test
  void withoutTheRightPasswordBuildingFailsClearly() {
    OnlineStoreUnavailableException e = assertThrows(OnlineStoreUnavailableException.class,
        () -> RedisOnlineStore.builder(uri()).timeout(Duration.ofSeconds(2)).build());
    assertTrue(e.getMessage().contains("cannot connect to Redis at 127.0.0.1:" + port), e.getMessage());
    assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
    e = assertThrows(OnlineStoreUnavailableException.class,
        () -> RedisOnlineStore.builder(uri()).password("wrong").timeout(Duration.ofSeconds(2)).build());
    assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
    e = assertThrows(OnlineStoreUnavailableException.class,
        () -> RedisOnlineStore.builder(uri()).username("alice").password("secret").timeout(Duration.ofSeconds(2))
            .build());
    assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
  }

  @Test
  void withThePasswordEverythingWorks() {
    try (RedisOnlineStore s = RedisOnlineStore.builder(uri()).password("secret").prefix("pw").build()) {
      works(s);
      assertTrue(s.nearCacheActive(), "client-side caching works on an authenticated connection");
    }
    try (RedisOnlineStore s = RedisOnlineStore.builder(uri()).password("secret".toCharArray()).prefix("pwc").build()) {
      works(s);
    }
    try (RedisOnlineStore s = RedisOnlineStore.builder("redis://secret@127.0.0.1:" + port).prefix("uri").build()) {
      works(s);
    }
    try (RedisOnlineStore s = RedisOnlineStore.builder(uri()).username("alice").password("alicepw").prefix("acl")
        .build()) {
      works(s);
    }
  }

  @Test
  void tlsIsPassedToLettuce() {
    assertTrue(RedisOnlineStore.builder(uri()).tls(true).redisUri().isSsl());
    assertTrue(RedisOnlineStore.builder("rediss://127.0.0.1:" + port).redisUri().isSsl(), "URI syntax");
    assertTrue(!RedisOnlineStore.builder("rediss://127.0.0.1:" + port).tls(false).redisUri().isSsl());
    RedisURI u = RedisOnlineStore.builder(uri()).username("alice").password("alicepw").redisUri();
    assertEquals("alice", u.getCredentialsProvider().resolveCredentials().block().getUsername());
    // this server speaks plain TCP: a TLS handshake cannot succeed, which shows TLS is really used
    OnlineStoreUnavailableException e = assertThrows(OnlineStoreUnavailableException.class,
        () -> RedisOnlineStore.builder(uri()).tls(true).password("secret").timeout(Duration.ofSeconds(2)).build());
    assertTrue(e.getMessage().contains("cannot connect"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(uri()).password(""));
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(uri()).password((String) null));
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(uri()).username(""));
  }
}
