package org.sieveml.features;

import java.nio.file.Path;

/** The state model over the persistent {@link EmbeddedOnlineStore} (replicas share one instance). */
class EmbeddedFeatureStoreStateTest extends FeatureStoreStateContract {

  @Override
  OnlineStore openOnline(Path dir) {
    return EmbeddedOnlineStore.open(dir);
  }

  @Override
  OnlineStore replica(OnlineStore first, Path dir) {
    return first;
  }
}
