package org.sieveml.features;

/** The contract on the embedded store. */
class EmbeddedOnlineStoreContractTest extends OnlineStoreContract {
  @Override
  OnlineStore newStore() {
    return new EmbeddedOnlineStore();
  }
}
