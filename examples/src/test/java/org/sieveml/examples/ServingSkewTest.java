package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.features.ServedVsOffline;
import org.sieveml.monitoring.SkewCheck;
import org.sieveml.monitoring.SkewReport;

/**
 * Issue 20: the training/serving skew check wired by the host. {@code features} returns what was
 * served and what the point-in-time replay gives ({@link FeatureStore#servedVsOffline}); {@code
 * monitoring} compares them ({@link SkewCheck#compare}). Neither module knows the other.
 */
class ServingSkewTest {

  static final long DAY = Duration.ofDays(1).toMillis();

  @Test
  void servedEqualsTheReplayUntilTheOnlineStoreGoesStale() {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(user);
    registry.apply(FeatureView.builder("profile").entity(user)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE), -1.0)
        .feature(FeatureSpec.of("visits", FeatureType.LONG))
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .ttl(Duration.ofDays(2)).build());
    FeatureService service = FeatureService.builder("svc").features("profile").build();
    registry.apply(service);
    AtomicLong now = new AtomicLong(100 * DAY);
    try (FeatureStore store = FeatureStore.builder(registry).clock(now::get).build()) {
      EventBatch.Builder eb = EventBatch.builder(registry.view("profile").schema());
      eb.add(EntityKey.of("user_id", "a"), 99 * DAY, 99 * DAY, 3.0, 30L, "IT");
      eb.add(EntityKey.of("user_id", "b"), 97 * DAY, 97 * DAY, 5.0, null, "US"); // expired: default
      store.ingest("profile", eb.build());
      store.materializeIncremental("profile", 100 * DAY, null);
      List<EntityKey> keys = List.of(EntityKey.of("user_id", "a"), EntityKey.of("user_id", "b"),
          EntityKey.of("user_id", "zz"));

      OnlineFeatures served = store.getOnlineFeatures(keys, service);
      ServedVsOffline sample = store.servedVsOffline(served, service);
      SkewReport skew = SkewCheck.compare(sample.served(), sample.offline(), 1e-12);
      assertEquals(3, skew.pairedRows());
      assertEquals(List.of("score", "visits", "country"), List.copyOf(skew.mismatchRate().keySet()));
      for (double rate : skew.mismatchRate().values()) {
        assertEquals(0.0, rate, skew.toText());
      }

      // a newer row reaches the offline log but is never materialized: the online store is stale
      now.set(100 * DAY + 10);
      EventBatch.Builder late = EventBatch.builder(registry.view("profile").schema());
      late.add(EntityKey.of("user_id", "a"), 100 * DAY, 100 * DAY, 4.0, 40L, "IT");
      store.ingest("profile", late.build());
      now.set(100 * DAY + 20);
      served = store.getOnlineFeatures(keys, service);
      sample = store.servedVsOffline(served, service);
      skew = SkewCheck.compare(sample.served(), sample.offline(), 1e-12);
      assertEquals(1.0 / 3, skew.mismatchRate().get("score"), 1e-12, skew.toText());
      assertEquals(1.0 / 3, skew.mismatchRate().get("visits"), 1e-12, skew.toText());
      assertEquals(0.0, skew.mismatchRate().get("country"), skew.toText());
      assertTrue(skew.toText().contains("paired rows: 3"), skew.toText());
    }
  }
}
