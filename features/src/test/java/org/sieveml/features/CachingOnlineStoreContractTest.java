package org.sieveml.features;

import java.time.Duration;

/** The contract on the Caffeine hot tier in front of the embedded store. */
class CachingOnlineStoreContractTest extends OnlineStoreContract {
  @Override
  OnlineStore newStore() {
    return new CachingOnlineStore(new EmbeddedOnlineStore(), 10_000, Duration.ofMinutes(5));
  }
}
