package org.sieveml.features;

/** Opens the package-private contract suite to implementations in other packages (tests only). */
public abstract class OnlineStoreContractAccess extends OnlineStoreContract {
  @Override
  final OnlineStore newStore() throws Exception {
    return createStore();
  }

  /**
   * A new, empty store.
   *
   * @return the store
   * @throws Exception when it cannot be created
   */
  protected abstract OnlineStore createStore() throws Exception;
}
