package org.sieveml.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sieveml.serving.ServingFixture.DAY;
import static org.sieveml.serving.ServingFixture.T;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.EntityRows;
import org.sieveml.features.FeatureStatus;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.ranking.ModelRegistry;
import org.sieveml.ranking.ModelVersion;

/** Batch scoring of entities: the same scores as online, the rows it writes, bad input. */
class BatchPredictionTest {

  static final int USERS = 600;

  @Test
  void batchScoresEqualOnlineScoresOfTheSameEntitiesAtTheSameTimeBitForBit(@TempDir Path dir) {
    AtomicLong clock = new AtomicLong(T);
    try (FeatureStore store = ServingFixture.store(null, clock::get)) {
      ServingFixture.ingest(store, USERS, 0, 42);
      GbdtRanker model = ServingFixture.userModel(store, USERS);
      ModelVersion mv = ModelRegistry.open(dir.resolve("models")).register("churn", model, Map.of(),
          ServingFixture.USER_MODEL.version());
      List<EntityKey> users = new ArrayList<>(ServingFixture.users(USERS));
      Collections.shuffle(users, new java.util.Random(3)); // the run sorts them
      BatchPrediction batch = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL).ranker(model, mv)
          .outputView("churn_scores", ServingFixture.USER, Duration.ofDays(2)).chunkSize(128).clock(() -> 777L).build();
      List<BatchProgress> seen = new ArrayList<>();
      BatchResult r = batch.run(users, T, seen::add);
      assertEquals(USERS, r.entities());
      assertEquals(USERS, r.scored());
      assertEquals(0, r.skipped());
      assertEquals(5, r.chunks()); // 600 / 128, rounded up
      assertEquals(List.of(128L, 256L, 384L, 512L, 600L), seen.stream().map(BatchProgress::entitiesDone).toList());
      assertEquals(5, seen.get(4).chunksDone());

      // online: materialize the features, read them at the same time, score with the same ranker
      store.materialize("user_stats", 0, T + 1, null);
      OnlineFeatures online = store.getOnlineFeatures(users, ServingFixture.USER_MODEL);
      double[] onlineScores = model.predict(online.vectors());
      OnlineFeatures predicted = store.getOnlineFeatures(users, batch.predictionService());
      int missingActivity = 0;
      for (int i = 0; i < users.size(); i++) {
        assertEquals(FeatureStatus.PRESENT, predicted.status(i, BatchPrediction.SCORE), users.get(i).toString());
        FeatureVector p = predicted.vector(i);
        double single = model.predict(online.vector(i));
        assertEquals(Double.doubleToRawLongBits(onlineScores[i]), Double.doubleToRawLongBits(p.getDouble("score")),
            users.get(i) + ": batch " + p.getDouble("score") + " vs online " + onlineScores[i]);
        assertEquals(Double.doubleToRawLongBits(single), Double.doubleToRawLongBits(p.getDouble("score")));
        assertEquals("churn@v" + mv.version(), p.getString(BatchPrediction.MODEL_VERSION));
        assertEquals(777L, p.getLong(BatchPrediction.SCORED_AT));
        if (online.status(i, "activity") != FeatureStatus.PRESENT) {
          missingActivity++;
        }
      }
      assertTrue(missingActivity > 20, "the data exercises missing and expired features: " + missingActivity);
      // the scores differ between users (the comparison is not of constants)
      assertTrue(java.util.Arrays.stream(onlineScores).distinct().count() > 10);

      // offline: exactly one row per user, at the score time, equal to the online one
      Map<EntityKey, Integer> rows = ServingFixture.offlineRows(store, batch.predictionView());
      assertEquals(USERS, rows.size());
      assertTrue(rows.values().stream().allMatch(c -> c == 1), rows.toString());
      long[] ts = new long[users.size()];
      java.util.Arrays.fill(ts, T + 1);
      double[] offline = store.getHistoricalFeatures(EntityRows.of(users, ts, null), batch.predictionService(),
          org.sieveml.features.Visibility.EVENT_TIME_MAY_LEAK).frame().doubleColumn(BatchPrediction.SCORE);
      for (int i = 0; i < users.size(); i++) {
        assertEquals(Double.doubleToRawLongBits(onlineScores[i]), Double.doubleToRawLongBits(offline[i]));
      }

      // a rerun of the same run writes nothing; the predictions expire with their TTL
      BatchResult again = batch.run(users, T, null);
      assertEquals(USERS, again.skipped());
      assertEquals(0, again.chunks());
      assertEquals(r.runId(), again.runId());
      assertEquals(USERS, ServingFixture.offlineRows(store, batch.predictionView()).size());
      clock.set(T + 2 * DAY);
      assertEquals(FeatureStatus.EXPIRED, store.getOnlineFeatures(users.subList(0, 1), batch.predictionService())
          .status(0, BatchPrediction.SCORE));
    }
  }

  @Test
  void chunksComputedOnAnExecutorGiveTheSameRowsAsOneThread() throws Exception {
    AtomicLong clock = new AtomicLong(T);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try (FeatureStore store = ServingFixture.store(null, clock::get)) {
      ServingFixture.ingest(store, USERS, 0, 9);
      GbdtRanker model = ServingFixture.userModel(store, USERS);
      List<EntityKey> users = ServingFixture.users(USERS);
      BatchPrediction serial = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL).ranker(model, "m@v1")
          .outputView("serial_scores", ServingFixture.USER, Duration.ofDays(2)).chunkSize(50).build();
      BatchPrediction parallel = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL)
          .ranker(model, "m@v1").outputView("parallel_scores", ServingFixture.USER, Duration.ofDays(2)).chunkSize(50)
          .executor(pool, 4).build();
      serial.run(users, T, null);
      List<Long> done = Collections.synchronizedList(new ArrayList<>());
      List<String> threads = Collections.synchronizedList(new ArrayList<>());
      BatchResult r = parallel.run(users, T, p -> {
        done.add(p.entitiesDone());
        threads.add(Thread.currentThread().getName());
      });
      assertEquals(12, r.chunks());
      List<Long> sorted = new ArrayList<>(done);
      Collections.sort(sorted);
      assertEquals(sorted, done, "chunks are written in key order");
      assertTrue(threads.stream().allMatch(t -> t.equals(Thread.currentThread().getName())));
      OnlineFeatures a = store.getOnlineFeatures(users, serial.predictionService());
      OnlineFeatures b = store.getOnlineFeatures(users, parallel.predictionService());
      for (int i = 0; i < USERS; i++) {
        assertEquals(a.vector(i).getDouble("score"), b.vector(i).getDouble("score"));
      }
      assertEquals(USERS, ServingFixture.offlineRows(store, parallel.predictionView()).size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void writesBehindRunOnTheWriteExecutorInKeyOrderAndEqualWritesOnTheCallersThread(@TempDir Path dir)
      throws Exception {
    ExecutorService writer = Executors.newSingleThreadExecutor(r -> new Thread(r, "host-writer"));
    CrashingOnlineStore online = new CrashingOnlineStore(new org.sieveml.features.EmbeddedOnlineStore(),
        Integer.MAX_VALUE);
    try (FeatureStore store = ServingFixture.store(dir, () -> T, online)) {
      ServingFixture.ingest(store, USERS, 0, 5);
      GbdtRanker model = ServingFixture.userModel(store, USERS);
      List<EntityKey> users = ServingFixture.users(USERS);
      BatchPrediction inline = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL).ranker(model, "m@v1")
          .outputView("inline_scores", ServingFixture.USER, Duration.ofDays(2)).chunkSize(64).build();
      BatchPrediction behind = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL).ranker(model, "m@v1")
          .outputView("behind_scores", ServingFixture.USER, Duration.ofDays(2)).chunkSize(64).writeBehind(true)
          .writeExecutor(writer).build();
      BatchPrediction ownThread = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL)
          .ranker(model, "m@v1").outputView("own_scores", ServingFixture.USER, Duration.ofDays(2)).chunkSize(64)
          .writeBehind(true).build();
      String caller = Thread.currentThread().getName();
      online.committers.clear();
      inline.run(users, T, null);
      assertEquals(Collections.nCopies(10, caller), online.committers, "10 chunks written by the caller");
      online.committers.clear();
      List<Long> done = new ArrayList<>();
      List<String> progressThreads = new ArrayList<>();
      BatchResult r = behind.run(users, T, p -> {
        done.add(p.entitiesDone());
        progressThreads.add(Thread.currentThread().getName());
      });
      assertEquals(Collections.nCopies(10, "host-writer"), online.committers, "10 chunks by the host's writer");
      assertEquals(10, r.chunks());
      assertEquals(List.of(64L, 128L, 192L, 256L, 320L, 384L, 448L, 512L, 576L, 600L), done,
          "every chunk reported once written, in key order");
      assertEquals(Collections.nCopies(10, caller), progressThreads, "progress is reported on the caller's thread");
      online.committers.clear();
      ownThread.run(users, T, null);
      assertEquals(Collections.nCopies(10, "sieveml-batch-writer"), online.committers, "10 chunks by the run's writer");
      OnlineFeatures a = store.getOnlineFeatures(users, inline.predictionService());
      for (BatchPrediction other : List.of(behind, ownThread)) {
        OnlineFeatures b = store.getOnlineFeatures(users, other.predictionService());
        for (int i = 0; i < USERS; i++) {
          assertEquals(FeatureStatus.PRESENT, b.status(i, BatchPrediction.SCORE));
          assertEquals(a.vector(i).getDouble("score"), b.vector(i).getDouble("score"));
        }
        assertEquals(USERS, ServingFixture.offlineRows(store, other.predictionView()).size());
      }
    } finally {
      writer.shutdownNow();
    }
  }

  @Test
  void aWriteExecutorThatRefusesWorkFailsTheRunAndAFailedWriteStopsTheWritesAfterIt(@TempDir Path dir) {
    double[] expected = BatchResumeTest.prepare(dir, 400);
    List<EntityKey> users = ServingFixture.users(400);
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      BatchPrediction refused = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL)
          .ranker(BatchCrashMain.load(dir), BatchCrashMain.version(dir)).outputView("churn_scores", ServingFixture.USER,
              BatchCrashMain.ttl()).chunkSize(40).writeBehind(true).writeExecutor(task -> {
                throw new java.util.concurrent.RejectedExecutionException("full");
              }).build();
      assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> refused.run(users, T, null));
      assertEquals(Map.of(), ServingFixture.offlineRows(store, refused.predictionView()), "nothing was written");
    }
    // the fourth online commit fails on the writer thread, while the fifth chunk is being scored
    try (FeatureStore store = ServingFixture.store(dir, () -> T,
        new CrashingOnlineStore(org.sieveml.features.EmbeddedOnlineStore.open(dir.resolve("online")), 4))) {
      BatchPrediction b = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL)
          .ranker(BatchCrashMain.load(dir), BatchCrashMain.version(dir)).outputView("churn_scores", ServingFixture.USER,
              BatchCrashMain.ttl()).chunkSize(40).writeBehind(true).build();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.run(users, T, null));
      assertTrue(e.getMessage().contains("simulated crash"), e.getMessage());
      assertEquals(160, ServingFixture.offlineRows(store, b.predictionView()).size(),
          "no chunk after the failed one was written");
    }
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      BatchPrediction b = BatchResumeTest.batch(store, dir, 40, 0);
      assertEquals(120, store.streamPosition(b.predictionView().name(), b.runId(users, T)));
      assertEquals(120, b.run(users, T, null).skipped());
      BatchResumeTest.assertComplete(store, b, expected);
    }
  }

  @Test
  void keysCarryingMoreJoinKeysTakeTheGeneralPathAndAreProjectedToTheOutputEntity() {
    AtomicLong clock = new AtomicLong(T);
    try (FeatureStore store = ServingFixture.store(null, clock::get)) {
      ServingFixture.ingest(store, 200, 0, 21);
      GbdtRanker model = ServingFixture.userModel(store, 200);
      BatchPrediction batch = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL).ranker(model, "m@v1")
          .outputView("by_long", ServingFixture.USER, Duration.ofDays(2)).chunkSize(64).build();
      BatchPrediction general = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL)
          .ranker(model, "m@v1").outputView("by_pair", ServingFixture.USER, Duration.ofDays(2)).chunkSize(64).build();
      List<EntityKey> users = ServingFixture.users(200);
      List<EntityKey> pairs = new ArrayList<>();
      for (int u = 0; u < 200; u++) {
        pairs.add(ServingFixture.pair(u, 7)); // user_id and item_id: not the long path
      }
      batch.run(users, T, null);
      BatchResult r = general.run(pairs, T, null);
      assertEquals(200, r.scored());
      OnlineFeatures a = store.getOnlineFeatures(users, batch.predictionService());
      OnlineFeatures b = store.getOnlineFeatures(users, general.predictionService());
      for (int i = 0; i < 200; i++) {
        assertEquals(FeatureStatus.PRESENT, b.status(i, BatchPrediction.SCORE), users.get(i).toString());
        assertEquals(Double.doubleToRawLongBits(a.vector(i).getDouble("score")),
            Double.doubleToRawLongBits(b.vector(i).getDouble("score")), users.get(i).toString());
      }
      assertEquals(java.util.Set.copyOf(users), ServingFixture.offlineRows(store, general.predictionView()).keySet());
    }
  }

  @Test
  void anotherScoreTimeOrEntitySetIsAnotherRun() {
    AtomicLong clock = new AtomicLong(T);
    try (FeatureStore store = ServingFixture.store(null, clock::get)) {
      ServingFixture.ingest(store, 100, 0, 1);
      GbdtRanker model = ServingFixture.userModel(store, 100);
      BatchPrediction batch = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL).ranker(model, "m@v1")
          .outputView("scores", ServingFixture.USER, Duration.ofDays(2)).chunkSize(30).build();
      List<EntityKey> users = ServingFixture.users(100);
      String id = batch.runId(users, T);
      List<EntityKey> reversed = new ArrayList<>(users);
      Collections.reverse(reversed);
      reversed.add(users.get(0));
      assertEquals(id, batch.runId(reversed, T), "order and duplicates do not matter");
      assertNotEquals(id, batch.runId(users, T - 1));
      assertNotEquals(id, batch.runId(users.subList(1, 100), T));
      batch.run(users, T - DAY, null);
      BatchResult r = batch.run(users, T, null);
      assertEquals(0, r.skipped());
      assertEquals(100, r.scored());
      // two runs, two offline rows per user; online the later score time wins
      assertTrue(ServingFixture.offlineRows(store, batch.predictionView()).values().stream().allMatch(c -> c == 2));
    }
  }

  @Test
  void badConfigurationAndInputAreRefusedNamingTheValue() {
    AtomicLong clock = new AtomicLong(T);
    try (FeatureStore store = ServingFixture.store(null, clock::get)) {
      ServingFixture.ingest(store, 50, 5, 1);
      GbdtRanker model = ServingFixture.userModel(store, 50);
      BatchPrediction.Builder b = BatchPrediction.builder(store);
      assertTrue(assertThrows(IllegalArgumentException.class, () -> b.chunkSize(0)).getMessage()
          .contains("chunkSize is 0"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> b.outputView("x", ServingFixture.USER, Duration.ZERO)).getMessage().contains("PT0S"));
      assertTrue(assertThrows(IllegalArgumentException.class, () -> b.ranker(model, "")).getMessage()
          .contains("empty"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> b.pairs(ServingFixture.candidates(5), 5, 6, ServingFixture::pairOf)).getMessage()
          .contains("topN is 6"));
      assertTrue(assertThrows(IllegalArgumentException.class, () -> b.runLabel("a b")).getMessage()
          .contains("'a b'"));
      assertTrue(assertThrows(IllegalStateException.class, b::build).getMessage().contains("service"));
      // a service that does not provide the model's inputs
      org.sieveml.features.FeatureService items = org.sieveml.features.FeatureService.builder("items_only")
          .features("item_stats", "popularity").build();
      store.registry().apply(items);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchPrediction.builder(store)
          .service(items).ranker(model, "m@v1").outputView("y", ServingFixture.USER, Duration.ofDays(1)).build());
      assertTrue(e.getMessage().contains("activity"), e.getMessage());
      BatchPrediction batch = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL).ranker(model, "m@v1")
          .outputView("z", ServingFixture.USER, Duration.ofDays(1)).build();
      e = assertThrows(IllegalArgumentException.class,
          () -> batch.run(List.of(ServingFixture.ITEM.key(1L)), T, null));
      assertTrue(e.getMessage().contains("item_id") && e.getMessage().contains("user_id"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> batch.run(ServingFixture.users(3), -5, null));
      assertTrue(e.getMessage().contains("-5"), e.getMessage());
      List<EntityKey> withNull = new ArrayList<>(ServingFixture.users(3));
      withNull.add(null);
      e = assertThrows(IllegalArgumentException.class, () -> batch.run(withNull, T, null));
      assertTrue(e.getMessage().contains("entity 3 is null"), e.getMessage());
      assertEquals(Map.of(), ServingFixture.offlineRows(store, batch.predictionView()), "nothing was written");
    }
  }
}
