package org.sieveml.features.redis;

import org.sieveml.features.OnlineStore;
import org.sieveml.features.OnlineStoreContractAccess;
import org.sieveml.features.RedisServer;

/** The embedded store's contract suite against {@link RedisOnlineStore} on a real redis-server. */
class RedisOnlineStoreContractTest extends OnlineStoreContractAccess {
  @org.junit.jupiter.api.extension.RegisterExtension
  static final RedisServer.PerClass REDIS = new RedisServer.PerClass();
  static int prefixes;



  @Override
  protected OnlineStore createStore() {
    // a fresh prefix per test: an empty store on the shared server
    return RedisOnlineStore.builder(REDIS.uri()).prefix("contract" + (prefixes++)).build();
  }
}
