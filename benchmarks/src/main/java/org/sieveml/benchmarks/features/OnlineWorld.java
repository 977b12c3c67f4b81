package org.sieveml.benchmarks.features;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineFeatures;

/**
 * Shared data for the online-read benchmarks: {@value #ENTITIES} users with {@value #FEATURES} DOUBLE
 * features each, materialized into an embedded {@link FeatureStore}, and the same values in a raw
 * {@code ConcurrentHashMap<Long,double[]>}. Not thread-safe (built once per benchmark state).
 */
final class OnlineWorld {
  static final int ENTITIES = 100_000;
  static final int FEATURES = 50;
  static final long NOW = Duration.ofDays(1000).toMillis();

  final FeatureStore store;
  final FeatureService service;
  final ConcurrentHashMap<Long, double[]> raw = new ConcurrentHashMap<>();
  final List<EntityKey> keys = new ArrayList<>();

  OnlineWorld() {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    FeatureView.Builder vb = FeatureView.builder("user_stats").entity(user).ttl(Duration.ofDays(30));
    List<FeatureSpec> specs = new ArrayList<>();
    for (int f = 0; f < FEATURES; f++) {
      FeatureSpec s = FeatureSpec.of("f" + f, FeatureType.DOUBLE);
      specs.add(s);
      vb.feature(s);
    }
    FeatureView view = vb.build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(user);
    registry.apply(view);
    service = FeatureService.builder("model").features("user_stats").build();
    registry.apply(service);
    store = FeatureStore.builder(registry).clock(() -> NOW).build();
    Random r = new Random(42);
    long[] ids = new long[ENTITIES];
    long[] ts = new long[ENTITIES];
    double[][] cols = new double[FEATURES][ENTITIES];
    for (int i = 0; i < ENTITIES; i++) {
      ids[i] = i;
      ts[i] = NOW - Duration.ofHours(1 + r.nextInt(48)).toMillis();
      double[] row = new double[FEATURES];
      for (int f = 0; f < FEATURES; f++) {
        row[f] = r.nextGaussian();
        cols[f][i] = row[f];
      }
      raw.put((long) i, row);
      keys.add(EntityKey.of("user_id", (long) i));
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(ENTITIES);
    for (int f = 0; f < FEATURES; f++) {
      fb.addDouble("f" + f, cols[f]);
    }
    store.ingest("user_stats", EventBatch.ofLongKeys(ids, ts, ts, fb.build()));
    store.materialize("user_stats", 0, NOW, null);
    // both sides must serve the same values
    OnlineFeatures check = store.getOnlineFeatures(keys.subList(0, 100), service);
    FeatureSchema schema = check.schema();
    for (int i = 0; i < 100; i++) {
      double[] row = raw.get((long) i);
      for (int f = 0; f < FEATURES; f++) {
        if (check.vector(i).asDouble(schema.indexOf("f" + f)) != row[f]) {
          throw new IllegalStateException("store and map disagree at entity " + i + " feature " + f);
        }
      }
    }
  }
}
