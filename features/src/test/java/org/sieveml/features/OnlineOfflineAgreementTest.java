package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * "Online = point-in-time join at now", checked at random: a plain view with a TTL, an aggregation
 * view with windows from 10 minutes to 7 days (minute, hour and day tiles) and a TTL, and an on-demand
 * view over both, fed by pushes (late events included) and by ingested history materialized
 * incrementally (rows whose ingestion lies in the future wait for a later run); at many clock times
 * every online vector must equal the training row of a point-in-time join at that time, value for
 * value, across restarts of both durable stores.
 */
class OnlineOfflineAgreementTest {

  private static final long MIN = 60_000L;
  private static final long HOUR = 60 * MIN;
  private static final long DAY = 24 * HOUR;
  private static final Entity USER = Entity.builder("user").joinKey("user_id").build();

  static FeatureRegistry registry() {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(USER);
    r.apply(FeatureView.builder("profile").entity(USER)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE), -1.0)
        .feature(FeatureSpec.of("visits", FeatureType.LONG))
        .ttl(Duration.ofHours(2)).build());
    r.apply(AggregationView.builder("txn").entity(USER)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofMinutes(10))
        .aggregate("amount", Aggregation.SUM, Duration.ofHours(1))
        .aggregate("amount", Aggregation.MAX, Duration.ofDays(1))
        .aggregate("amount", Aggregation.MEAN, Duration.ofDays(7))
        .count(Duration.ofDays(7))
        .ttl(Duration.ofHours(3)).build());
    r.apply(OnDemandFeatureView.builder("combo")
        .request(FeatureSpec.of("boost", FeatureType.DOUBLE))
        .input("profile", "score")
        .input("txn", "amount_sum_1h")
        .output(FeatureSpec.of("combo", FeatureType.DOUBLE))
        .transform((in, out) -> {
          if (in.isPresent("profile:score") && in.isPresent("txn:amount_sum_1h")) {
            out.setDouble("combo", in.getDouble("profile:score") * in.getDouble("boost")
                + in.getDouble("txn:amount_sum_1h"));
          }
        }, "v1").build());
    r.apply(FeatureService.builder("all").features("profile").features("txn").features("combo").build());
    return r;
  }

  /** A feature store over durable stores in a directory, reopened as after a restart. */
  static final class World {
    final AtomicLong now;
    final FeatureRegistry registry;
    final Path dir;
    FeatureStore store;

    World(Path dir, long start) {
      this.now = new AtomicLong(start);
      this.registry = registry();
      this.dir = dir;
      open();
    }

    void open() {
      store = FeatureStore.builder(registry).clock(now::get)
          .offlineStore(EmbeddedOfflineStore.builder(dir.resolve("offline")).maxSegmentRows(1_000).build())
          .onlineStore(EmbeddedOnlineStore.open(dir.resolve("online")))
          .build();
    }

    void restart() {
      store.close();
      open();
    }
  }

  @Test
  void onlineEqualsThePointInTimeJoinAtNow(@TempDir Path tmp) {
    long checks = 0;
    long present = 0;
    for (int trial = 0; trial < 4; trial++) {
      Random rnd = new Random(100 + trial);
      World w = new World(tmp.resolve("t" + trial), 1_000 * DAY);
      FeatureService svc = w.registry.featureService("all");
      FeatureSchema profile = w.registry.view("profile").schema();
      FeatureSchema txn = ((AggregationView) w.registry.view("txn")).inputSchema();
      List<Long> lastEvents = new ArrayList<>();
      for (int step = 0; step < 160; step++) {
        long now = w.now.addAndGet(rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(40) * MIN + rnd.nextInt(3) * 1000L);
        int what = rnd.nextInt(10);
        if (what < 4) { // push events: some late, some at the same event time as earlier ones
          EventBatch.Builder b = EventBatch.builder(txn);
          for (int i = 0; i < 1 + rnd.nextInt(8); i++) {
            long event = event(rnd, now, lastEvents);
            b.add(user(rnd), event, event, rnd.nextInt(5) == 0 ? Double.NaN : rnd.nextInt(200) - 50);
          }
          w.store.push("txn", b.build());
        } else if (what < 6) {
          EventBatch.Builder b = EventBatch.builder(profile);
          for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
            long event = event(rnd, now, lastEvents);
            b.add(user(rnd), event, event + rnd.nextInt(3) * 1000L, (double) rnd.nextInt(100), (long) rnd.nextInt(9));
          }
          w.store.push("profile", b.build());
        } else if (what < 8) { // history: ingested at its created time, possibly later than now
          boolean agg = rnd.nextBoolean();
          EventBatch.Builder b = EventBatch.builder(agg ? txn : profile);
          for (int i = 0; i < 1 + rnd.nextInt(8); i++) {
            long event = event(rnd, now, lastEvents);
            long created = event + (rnd.nextInt(3) == 0 ? rnd.nextInt(90) * MIN : 0);
            if (agg) {
              b.add(user(rnd), event, created, (double) rnd.nextInt(100));
            } else {
              b.add(user(rnd), event, created, (double) rnd.nextInt(100), (long) rnd.nextInt(9));
            }
          }
          w.store.ingest(agg ? "txn" : "profile", b.build());
        } else if (what == 8 && rnd.nextInt(3) == 0) {
          w.restart();
        }
        if (rnd.nextInt(3) != 0) {
          continue;
        }
        // bring the online state up to date, then compare with the join at now
        w.store.materializeIncremental("profile", Long.MAX_VALUE, null);
        w.store.materializeIncremental("txn", Long.MAX_VALUE, null);
        if (rnd.nextInt(5) == 0) { // and an explicit rebuild of a range changes nothing
          w.store.materialize("txn", now - 2 * DAY, now, null);
        }
        List<EntityKey> keys = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
          keys.add(EntityKey.of("user_id", (long) k));
        }
        FeatureSpec boost = FeatureSpec.of("boost", FeatureType.DOUBLE);
        FeatureVector req = FeatureVector.builder(FeatureSchema.of(boost)).setDouble("boost", 2.0).build();
        OnlineFeatures on = w.store.getOnlineFeatures(keys, svc, List.of(req));
        long[] ts = new long[keys.size()];
        java.util.Arrays.fill(ts, now);
        double[] boosts = new double[keys.size()];
        java.util.Arrays.fill(boosts, 2.0);
        TrainingData off = w.store.getHistoricalFeatures(EntityRows.of(keys, ts,
            FeatureFrame.builder(keys.size()).addDouble("boost", boosts).build()), svc);
        FeatureFrame f = off.frame().select(on.schema().names());
        for (int i = 0; i < keys.size(); i++) {
          assertEquals(f.row(i), on.vector(i), "trial " + trial + " step " + step + " key " + keys.get(i) + " at "
              + now + ": online " + on.vector(i) + " vs offline " + f.row(i));
          checks++;
          if (on.status(i, "count_7d") == FeatureStatus.PRESENT && on.status(i, "score") == FeatureStatus.PRESENT) {
            present++;
            assertEquals(FeatureStatus.PRESENT, on.status(i, "combo"));
          } else {
            assertTrue(on.status(i, "combo") != FeatureStatus.PRESENT, "on-demand takes the worst input status");
          }
        }
      }
      w.store.close();
    }
    assertTrue(checks > 800 && present > 50, checks + " checks, " + present + " fully present");
  }

  private static EntityKey user(Random rnd) {
    return EntityKey.of("user_id", (long) rnd.nextInt(5)); // user 5 never gets data
  }

  /** An event time at or before now: mostly recent, some late (up to 9 days), some repeating one. */
  private static long event(Random rnd, long now, List<Long> last) {
    long t;
    int kind = rnd.nextInt(10);
    if (kind == 0 && !last.isEmpty()) {
      t = Math.min(now, last.get(rnd.nextInt(last.size())));
    } else if (kind < 3) {
      t = now - rnd.nextInt(9 * 24) * HOUR - rnd.nextInt(60) * MIN;
    } else {
      t = now - rnd.nextInt(120) * MIN - rnd.nextInt(60) * 1000L;
    }
    last.add(t);
    if (last.size() > 50) {
      last.remove(0);
    }
    return t;
  }
}
