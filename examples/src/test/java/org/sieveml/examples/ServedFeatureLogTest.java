package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.CsvServedRequestSink;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.ServedLogReader;
import org.sieveml.core.pipeline.ServedRequest;
import org.sieveml.core.pipeline.ServedStatus;
import org.sieveml.core.pipeline.ServingLog;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStatus;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.LinearRanker;
import org.sieveml.ranking.ModelRegistry;
import org.sieveml.ranking.Ranker;

/**
 * Issue 21, served-feature logging wired by a host: an embedded feature store as the pipeline's feature
 * source, a model loaded from the registry as its scorer, and a {@link ServingLog} writing a CSV file
 * from a host executor while four threads serve. Every logged request is what its response returned;
 * read back from the file, each request replays exactly: the store read again for the logged keys gives
 * the logged vectors and statuses, and the logged model version, loaded again, gives the logged scores
 * bit for bit.
 */
class ServedFeatureLogTest {

  static final long DAY = Duration.ofDays(1).toMillis();

  @TempDir Path dir;

  @Test
  void aPipelineOnTheFeatureStoreLogsWhatItServedAndEachRequestReplaysExactly() throws Exception {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    Entity item = Entity.builder("item").joinKey("item_id").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(user);
    registry.apply(item);
    registry.apply(FeatureView.builder("profile").entity(user)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE), -1.0)
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .ttl(Duration.ofDays(2)).build());
    registry.apply(FeatureView.builder("item_stats").entity(item)
        .feature(FeatureSpec.of("ctr", FeatureType.DOUBLE), 0.0)
        .feature(FeatureSpec.of("price", FeatureType.DOUBLE), 0.0)
        .ttl(Duration.ofDays(2)).build());
    FeatureService service = FeatureService.builder("ranker_v1").features("profile").features("item_stats").build();
    registry.apply(service);
    AtomicLong now = new AtomicLong(100 * DAY);
    SplittableRandom rnd = new SplittableRandom(21);
    String[] countries = {"IT", "US", "a,b \"quoted\"", "", "new\nline"};
    try (FeatureStore store = FeatureStore.builder(registry).clock(now::get).build()) {
      EventBatch.Builder users = EventBatch.builder(registry.view("profile").schema());
      for (int u = 0; u < 30; u++) {
        if (u % 7 == 6) {
          continue; // never seen: NOT_FOUND
        }
        long t = (u % 5 == 4 ? 97 : 99) * DAY; // every fifth is expired: the view's default
        users.add(EntityKey.of("user_id", "u" + u), t, t, rnd.nextDouble() * 10, countries[u % countries.length]);
      }
      store.ingest("profile", users.build());
      EventBatch.Builder items = EventBatch.builder(registry.view("item_stats").schema());
      for (int i = 0; i < 40; i++) {
        if (i % 9 != 8) {
          items.add(EntityKey.of("item_id", (long) i), 99 * DAY, 99 * DAY, rnd.nextDouble() / 7, 1 + rnd.nextDouble() * 99);
        }
      }
      store.ingest("item_stats", items.build());
      store.materializeIncremental("profile", 100 * DAY, null);
      store.materializeIncremental("item_stats", 100 * DAY, null);

      FeatureSource features = store.featureSource(service, (req, c) -> EntityKey.builder()
          .put("user_id", req.entity().value("user_id")).put("item_id", Long.parseLong(c.itemId())).build());
      FeatureSchema schema = features.schema();

      // a model trained and registered as ctr@v1, promoted, and loaded back: the scorer knows its version
      FeatureSchema inputs = FeatureSchema.builder().addDouble("score").addDouble("ctr").addDouble("price").build();
      FeatureFrame.RowBuilder train = FeatureFrame.rowBuilder(inputs);
      double[] labels = new double[400];
      for (int r = 0; r < labels.length; r++) {
        double s = rnd.nextDouble() * 10;
        double ctr = rnd.nextDouble() / 7;
        train.add(org.sieveml.core.FeatureVector.builder(inputs).setDouble(0, s).setDouble(1, ctr)
            .setDouble(2, 1 + rnd.nextDouble() * 99).build());
        labels[r] = s / 10 + ctr * 3 + rnd.nextGaussian() * 0.2 > 0.6 ? 1 : 0;
      }
      LinearRanker trained = LinearRanker.trainer(FeatureEncoder.builder(inputs).build()).seed(7)
          .train(train.build(), labels);
      ModelRegistry models = ModelRegistry.open(dir.resolve("models"));
      models.register("ctr", trained, Map.of(), "ranker_v1");
      models.promote("ctr", 1);
      Ranker scorer = models.loadProduction("ctr", schema);
      assertEquals("ctr@v1", scorer.version());
      assertEquals("", trained.version(), "a model trained in this process has no registry version");

      CandidateGenerator catalog = CandidateGenerator.of("catalog", (req, limit) -> {
        int u = Integer.parseInt(((String) req.entity().value("user_id")).substring(1));
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, 12); i++) {
          out.add(Candidate.of(Integer.toString((u * 7 + i * 3) % 40), 1.0 / (i + 1), "catalog"));
        }
        return out;
      });
      Path file = dir.resolve("served-0001.csv");
      ExecutorService logThread = Executors.newSingleThreadExecutor();
      ServingLog log = ServingLog.builder(CsvServedRequestSink.create(file, schema)).sampleRate(1.0).seed(1)
          .executor(logThread).clock(now::get).build();
      TwoStagePipeline pipeline = TwoStagePipeline.builder().name("recs").addCandidateGenerator(catalog, 12)
          .featureSource(features).scorer(scorer).servingLog(log).build();

      Map<String, PipelineResponse> responses = new ConcurrentHashMap<>();
      ExecutorService serving = Executors.newFixedThreadPool(4);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int tt = t;
        done.add(serving.submit(() -> {
          for (int i = 0; i < 60; i++) {
            PipelineRequest req = PipelineRequest.builder(EntityKey.of("user_id", "u" + (tt * 60 + i) % 30))
                .requestId("t" + tt + "-" + i).k(5).build();
            responses.put(req.requestId(), pipeline.execute(req));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      serving.shutdown();
      // close order: stop serving, close the log (writes what is queued), then shut down its executor
      log.close();
      logThread.shutdown();
      assertTrue(logThread.awaitTermination(1, TimeUnit.MINUTES));
      assertEquals(240, log.writtenCount());
      assertEquals(0, log.droppedCount() + log.failedCount());

      List<ServedRequest> logged = ServedLogReader.readAll(file);
      assertEquals(240, logged.size());
      Map<ServedStatus, Integer> statuses = new EnumMap<>(ServedStatus.class);
      for (ServedRequest rec : logged) {
        PipelineResponse resp = responses.get(rec.requestId());
        assertEquals(resp.items(), rec.items(), rec.requestId() + ": the logged ranking is the response's");
        assertEquals(now.get(), rec.readTimeMillis(), "read at the store's clock");
        assertEquals("ctr@v1", rec.scorerVersion());
        // replay: read the logged keys again (the clock has not moved) and score with the logged version
        OnlineFeatures again = store.getOnlineFeatures(rec.keys(), service);
        assertEquals(again.vectors(), rec.vectors(), rec.requestId() + ": the replayed vectors");
        for (int i = 0; i < again.size(); i++) {
          for (int f = 0; f < schema.size(); f++) {
            FeatureStatus s = again.status(i, f);
            assertEquals(s.name(), rec.status(i, f).name(), rec.requestId() + " row " + i + " feature " + f);
            statuses.merge(rec.status(i, f), 1, Integer::sum);
          }
        }
        int version = Integer.parseInt(rec.scorerVersion().substring(rec.scorerVersion().indexOf("@v") + 2));
        Ranker replayModel = models.load("ctr", version, schema);
        double[] replayed = replayModel.predict(rec.vectors());
        double[] scores = rec.scores();
        for (int i = 0; i < scores.length; i++) {
          assertEquals(Double.doubleToRawLongBits(replayed[i]), Double.doubleToRawLongBits(scores[i]),
              rec.requestId() + " row " + i + ": the replayed score, bit for bit");
        }
      }
      assertTrue(statuses.getOrDefault(ServedStatus.PRESENT, 0) > 0 && statuses.getOrDefault(ServedStatus.NOT_FOUND, 0) > 0
          && statuses.getOrDefault(ServedStatus.EXPIRED, 0) > 0, "all three statuses were served: " + statuses);
      FeatureFrame training = ServedLogReader.servedFrame(logged, schema);
      assertEquals(240 * 12, training.rowCount(), "one training row per served candidate");
    }
  }
}
