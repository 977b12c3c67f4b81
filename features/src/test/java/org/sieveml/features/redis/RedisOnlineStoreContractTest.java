package org.sieveml.features.redis;

import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.OnlineStoreContractAccess;
import org.sieveml.features.RedisServer;

/** The embedded store's contract suite against {@link RedisOnlineStore} on a real redis-server. */
class RedisOnlineStoreContractTest extends OnlineStoreContractAccess {
  static RedisServer server;
  static int prefixes;

  @BeforeAll
  static void startServer() throws IOException {
    Assumptions.assumeTrue(RedisServer.available(), "redis-server is not installed (.ci/run installs it)");
    server = RedisServer.startNew();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected OnlineStore createStore() {
    // a fresh prefix per test: an empty store on the shared server
    return RedisOnlineStore.builder(server.uri()).prefix("contract" + (prefixes++)).build();
  }
}
