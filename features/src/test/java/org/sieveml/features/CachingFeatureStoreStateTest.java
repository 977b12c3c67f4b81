package org.sieveml.features;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The state model through a {@link CachingOnlineStore} hot tier per replica over one persistent
 * {@link EmbeddedOnlineStore}.
 */
class CachingFeatureStoreStateTest extends FeatureStoreStateContract {

  private EmbeddedOnlineStore backing;

  @Override
  OnlineStore openOnline(Path dir) {
    backing = EmbeddedOnlineStore.open(dir);
    return new CachingOnlineStore(backing, 10_000, Duration.ofMinutes(5));
  }

  @Override
  OnlineStore replica(OnlineStore first, Path dir) {
    return new CachingOnlineStore(backing, 10_000, Duration.ofMinutes(5));
  }
}
