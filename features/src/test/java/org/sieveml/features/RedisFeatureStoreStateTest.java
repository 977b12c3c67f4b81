package org.sieveml.features;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * The state model over a real {@code redis-server}: every replica (and every restart) is a new client
 * of the same server. Skipped, saying so, when {@code redis-server} is not installed.
 */
class RedisFeatureStoreStateTest extends FeatureStoreStateContract {

  private static RedisServer server;
  private static int prefixes;
  private String prefix;

  @BeforeAll
  static void startServer() throws IOException {
    Assumptions.assumeTrue(RedisServer.available(), "redis-server is not on the PATH: Redis state tests skipped");
    server = RedisServer.startNew();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void freshPrefix() {
    prefix = "state" + (prefixes++);
  }

  @Override
  OnlineStore openOnline(Path dir) {
    return RedisOnlineStore.builder(server.uri()).prefix(prefix).build();
  }

  @Override
  OnlineStore replica(OnlineStore first, Path dir) {
    return RedisOnlineStore.builder(server.uri()).prefix(prefix).build();
  }
}
