package org.sieveml.features;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * The state model over a real {@code redis-server}: every replica (and every restart) is a new client
 * of the same server. Skipped, saying so, when {@code redis-server} is not installed.
 */
class RedisFeatureStoreStateTest extends FeatureStoreStateContract {

  @org.junit.jupiter.api.extension.RegisterExtension
  static final RedisServer.PerClass REDIS = new RedisServer.PerClass();
  private static int prefixes;
  private String prefix;



  @BeforeEach
  void freshPrefix() {
    prefix = "state" + (prefixes++);
  }

  @Override
  OnlineStore openOnline(Path dir) {
    return RedisOnlineStore.builder(REDIS.uri()).prefix(prefix).build();
  }

  @Override
  OnlineStore replica(OnlineStore first, Path dir) {
    return RedisOnlineStore.builder(REDIS.uri()).prefix(prefix).build();
  }
}
