package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.pipeline.FeatureFetch;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;

/**
 * The store as a pipeline's feature source: {@link FeatureSource#fetchWithStatus} returns the vectors
 * {@link FeatureSource#fetch} returns, the keys it read, each value's status under the same name, and
 * the read time, exactly as {@link FeatureStore#getOnlineFeatures} reports them.
 */
class StoreFeatureSourceTest {

  static final long DAY = Duration.ofDays(1).toMillis();

  @Test
  void fetchWithStatusReportsKeysStatusesAndReadTimeOfTheOnlineRead() {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(user);
    registry.apply(FeatureView.builder("profile").entity(user)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE), -1.0)
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .ttl(Duration.ofDays(2)).build());
    FeatureService service = FeatureService.builder("svc").features("profile").build();
    registry.apply(service);
    AtomicLong now = new AtomicLong(100 * DAY);
    try (FeatureStore store = FeatureStore.builder(registry).clock(now::get).build()) {
      EventBatch.Builder eb = EventBatch.builder(registry.view("profile").schema());
      eb.add(EntityKey.of("user_id", "a"), 99 * DAY, 99 * DAY, 3.0, "IT");
      eb.add(EntityKey.of("user_id", "b"), 97 * DAY, 97 * DAY, 5.0, "US");
      store.ingest("profile", eb.build());
      store.materializeIncremental("profile", 100 * DAY, null);
      FeatureSource source = store.featureSource(service, (req, c) -> EntityKey.of("user_id", c.itemId()));
      assertEquals("features:svc", source.name());
      PipelineRequest req = PipelineRequest.of(EntityKey.of("session", 1), 3);
      List<Candidate> cands = List.of(Candidate.of("a", 1, "g"), Candidate.of("b", 1, "g"), Candidate.of("zz", 1, "g"));

      FeatureFetch f = source.fetchWithStatus(req, cands);
      List<EntityKey> keys = List.of(EntityKey.of("user_id", "a"), EntityKey.of("user_id", "b"),
          EntityKey.of("user_id", "zz"));
      OnlineFeatures direct = store.getOnlineFeatures(keys, service);
      assertEquals(source.fetch(req, cands), f.vectors());
      assertEquals(direct.vectors(), f.vectors());
      assertEquals(keys, f.keys());
      assertEquals(100 * DAY, f.readTimeMillis());
      assertTrue(f.hasStatuses());
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 2; j++) {
          assertEquals(direct.status(i, j).name(), f.status(i, j).name(), "key " + i + " feature " + j);
        }
      }
      assertEquals("PRESENT", f.status(0, 0).name());
      assertEquals("EXPIRED", f.status(1, 0).name());
      assertEquals("NOT_FOUND", f.status(2, 1).name());
    }
  }
}
