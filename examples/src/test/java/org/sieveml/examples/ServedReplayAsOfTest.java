package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.CsvServedRequestSink;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.ServedLogReader;
import org.sieveml.core.pipeline.ServedRequest;
import org.sieveml.core.pipeline.ServingLog;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OfflineStore;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.RedisServer;
import org.sieveml.features.redis.RedisOnlineStore;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.LinearRanker;
import org.sieveml.ranking.ModelRegistry;
import org.sieveml.ranking.Ranker;

/**
 * Issue 21's replay, wired as a host would: a pipeline serves a stream of requests from a feature store
 * with a 48 h history horizon while pushes continue (profile rows, late and superseded ones included,
 * click events into windows, item statistics); a {@link ServingLog} writes every request to a CSV file.
 * Afterwards the store is reopened (embedded: from its files; Redis: a second replica on the same
 * prefix, then the first one closed) and every logged request is replayed as of its read time: the
 * feature vectors and statuses are the logged ones, and the logged model version, loaded from the
 * registry, gives the logged scores bit for bit. The same requests read at the end (not as of their time)
 * differ in many cases, so the test would fail if as-of reads returned current state.
 */
class ServedReplayAsOfTest {

  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;
  static final long DAY = 24 * HOUR;
  static final Duration HORIZON = Duration.ofHours(48);

  @TempDir Path dir;

  static FeatureRegistry registry() {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    Entity item = Entity.builder("item").joinKey("item_id").build();
    FeatureRegistry r = new FeatureRegistry();
    r.apply(user);
    r.apply(item);
    r.apply(FeatureView.builder("profile").entity(user)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE), -1.0)
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .ttl(Duration.ofHours(6)).build());
    r.apply(AggregationView.builder("clicks").entity(user)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofHours(1))
        .ttl(Duration.ofHours(3)).build());
    r.apply(FeatureView.builder("item_stats").entity(item)
        .feature(FeatureSpec.of("ctr", FeatureType.DOUBLE), 0.0)
        .feature(FeatureSpec.of("price", FeatureType.DOUBLE), 0.0)
        .ttl(Duration.ofDays(1)).build());
    r.apply(FeatureService.builder("ranker_v1").features("profile").features("clicks").features("item_stats")
        .build());
    return r;
  }

  @Test
  void embeddedStoreReplaysEveryLoggedRequestAfterARestart() throws Exception {
    Path online = dir.resolve("online");
    Path offline = dir.resolve("offline");
    int replayed = serveThenReplay(() -> EmbeddedOnlineStore.open(online),
        () -> EmbeddedOfflineStore.builder(offline).build(), true);
    assertTrue(replayed > 100, "requests replayed: " + replayed);
  }

  @Test
  void redisStoreReplaysEveryLoggedRequestOnASecondReplica() throws Exception {
    Assumptions.assumeTrue(RedisServer.available(), "redis-server is not installed (.ci/run installs it): skipped");
    try (RedisServer redis = RedisServer.startNew()) {
      Path offline = dir.resolve("offline");
      int replayed = serveThenReplay(() -> RedisOnlineStore.builder(redis.uri()).prefix("replay").build(),
          () -> EmbeddedOfflineStore.builder(offline).build(), false);
      assertTrue(replayed > 100, "requests replayed: " + replayed);
    }
  }

  /**
   * Serves and logs, then replays from a new feature store over the same data; returns how many logged
   * requests were replayed.
   */
  int serveThenReplay(Supplier<OnlineStore> onlineStores, Supplier<OfflineStore> offlineStores, boolean restart)
      throws Exception {
    FeatureRegistry registry = registry();
    FeatureService service = registry.featureService("ranker_v1");
    AtomicLong now = new AtomicLong(1_000 * DAY);
    SplittableRandom rnd = new SplittableRandom(2112);
    FeatureStore store = FeatureStore.builder(registry).clock(now::get).onlineStore(onlineStores.get())
        .offlineStore(offlineStores.get()).historyHorizon(HORIZON).build();
    FeatureStore replica = null;
    try {
      FeatureSchema profile = registry.view("profile").schema();
      FeatureSchema clicks = ((AggregationView) registry.view("clicks")).inputSchema();
      FeatureSchema items = registry.view("item_stats").schema();
      EventBatch.Builder first = EventBatch.builder(items);
      for (int i = 0; i < 30; i++) {
        first.add(EntityKey.of("item_id", (long) i), now.get() - HOUR, now.get() - HOUR, rnd.nextDouble() / 5,
            1 + rnd.nextDouble() * 50);
      }
      store.push("item_stats", first.build());

      FeatureSource features = store.featureSource(service, (req, c) -> EntityKey.builder()
          .put("user_id", req.entity().value("user_id")).put("item_id", Long.parseLong(c.itemId())).build());
      FeatureSchema schema = features.schema();
      ModelRegistry models = ModelRegistry.open(dir.resolve("models"));
      models.register("ctr", trainModel(rnd), Map.of(), "ranker_v1");
      models.promote("ctr", 1);
      Ranker scorer = models.loadProduction("ctr", schema);

      CandidateGenerator catalog = CandidateGenerator.of("catalog", (req, limit) -> {
        long u = (Long) req.entity().value("user_id");
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, 8); i++) {
          out.add(Candidate.of(Long.toString((u * 7 + i * 3) % 30), 1.0 / (i + 1), "catalog"));
        }
        return out;
      });
      Path file = dir.resolve("served.csv");
      ExecutorService logThread = Executors.newSingleThreadExecutor();
      ServingLog log = ServingLog.builder(CsvServedRequestSink.create(file, schema)).sampleRate(1.0).seed(3)
          .executor(logThread).clock(now::get).build();
      TwoStagePipeline pipeline = TwoStagePipeline.builder().name("recs").addCandidateGenerator(catalog, 8)
          .featureSource(features).scorer(scorer).servingLog(log).build();

      int requests = 0;
      for (int step = 0; step < 400; step++) {
        // the clock moves at least 1 ms each step, so no write lands in a logged read's own millisecond
        long t = now.addAndGet(1 + (rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(20) * MIN));
        int what = rnd.nextInt(10);
        if (what < 3) { // profile rows; some late (superseded: no history), some expire before being read
          EventBatch.Builder b = EventBatch.builder(profile);
          for (int i = 0; i < 1 + rnd.nextInt(3); i++) {
            long event = t - (rnd.nextInt(4) == 0 ? rnd.nextInt(8) * HOUR : rnd.nextInt(30) * MIN);
            b.add(user(rnd), event, event, (double) rnd.nextInt(100), rnd.nextInt(3) == 0 ? null : "c" + rnd.nextInt(4));
          }
          store.push("profile", b.build());
        } else if (what < 6) { // click events into the hour windows
          EventBatch.Builder b = EventBatch.builder(clicks);
          for (int i = 0; i < 1 + rnd.nextInt(5); i++) {
            long event = t - rnd.nextInt(90) * MIN;
            b.add(user(rnd), event, event, rnd.nextDouble() * 20);
          }
          store.push("clicks", b.build());
        } else if (what == 6) { // item statistics move
          EventBatch.Builder b = EventBatch.builder(items);
          for (int i = 0; i < 3; i++) {
            b.add(EntityKey.of("item_id", (long) rnd.nextInt(30)), t, t, rnd.nextDouble() / 5, 1 + rnd.nextDouble() * 50);
          }
          store.push("item_stats", b.build());
        } else {
          pipeline.execute(PipelineRequest.builder(user(rnd)).requestId("r" + requests++).k(5).build());
        }
      }
      log.close();
      logThread.shutdown();
      assertTrue(logThread.awaitTermination(1, TimeUnit.MINUTES));
      assertEquals(requests, log.writtenCount(), "every request logged");

      FeatureStore reader;
      if (restart) {
        store.close();
        store = FeatureStore.builder(registry).clock(now::get).onlineStore(onlineStores.get())
            .offlineStore(offlineStores.get()).historyHorizon(HORIZON).build();
        reader = store;
      } else {
        // a second replica on the same online store answers for what the first one served
        replica = FeatureStore.builder(registry).clock(now::get).onlineStore(onlineStores.get())
            .offlineStore(EmbeddedOfflineStore.inMemory()).historyHorizon(HORIZON).build();
        reader = replica;
      }
      List<ServedRequest> logged = ServedLogReader.readAll(file);
      assertEquals(requests, logged.size());
      int replayed = 0;
      int changedSince = 0;
      for (ServedRequest rec : logged) {
        OnlineFeatures asOf = reader.getOnlineFeatures(rec.keys(), service, rec.readTimeMillis());
        assertEquals(rec.readTimeMillis(), asOf.readTime());
        for (int i = 0; i < asOf.size(); i++) {
          assertEquals(rec.vectors().get(i), asOf.vector(i), rec.requestId() + " row " + i + ": the replayed vector");
          for (int f = 0; f < schema.size(); f++) {
            assertEquals(rec.status(i, f).name(), asOf.status(i, f).name(),
                rec.requestId() + " row " + i + " feature " + schema.get(f).name());
          }
        }
        int version = Integer.parseInt(rec.scorerVersion().substring(rec.scorerVersion().indexOf("@v") + 2));
        double[] scores = models.load("ctr", version, schema).predict(asOf.vectors());
        for (int i = 0; i < scores.length; i++) {
          assertEquals(Double.doubleToRawLongBits(rec.scores()[i]), Double.doubleToRawLongBits(scores[i]),
              rec.requestId() + " row " + i + ": the replayed score, bit for bit");
        }
        if (!reader.getOnlineFeatures(rec.keys(), service).vectors().equals(rec.vectors())) {
          changedSince++;
        }
        replayed++;
      }
      assertTrue(changedSince > replayed / 4, "requests whose features changed since they were served: "
          + changedSince + " of " + replayed + " (a current read would not replay them)");
      return replayed;
    } finally {
      if (replica != null) {
        replica.close();
      }
      store.close();
    }
  }

  static EntityKey user(SplittableRandom rnd) {
    return EntityKey.of("user_id", (long) rnd.nextInt(8));
  }

  static Ranker trainModel(SplittableRandom rnd) {
    FeatureSchema inputs = FeatureSchema.builder().addDouble("score").addDouble("amount_sum_1h").addDouble("ctr")
        .addDouble("price").build();
    FeatureFrame.RowBuilder train = FeatureFrame.rowBuilder(inputs);
    double[] labels = new double[400];
    for (int r = 0; r < labels.length; r++) {
      double s = rnd.nextDouble() * 100;
      double a = rnd.nextDouble() * 60;
      double ctr = rnd.nextDouble() / 5;
      train.add(FeatureVector.builder(inputs).setDouble(0, s).setDouble(1, a).setDouble(2, ctr)
          .setDouble(3, 1 + rnd.nextDouble() * 50).build());
      labels[r] = s / 100 + a / 120 + ctr * 2 + rnd.nextGaussian() * 0.2 > 0.8 ? 1 : 0;
    }
    return LinearRanker.trainer(FeatureEncoder.builder(inputs).build()).seed(7).train(train.build(), labels);
  }
}
