package org.sieveml.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sieveml.serving.ServingFixture.T;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sieveml.core.EntityKey;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.EntityRows;
import org.sieveml.features.FeatureStatus;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.ranking.ModelRegistry;
import org.sieveml.ranking.Ranker;

/**
 * Resumption: a batch stopped at any point — by its progress callback, between the offline and the online
 * write, or by SIGKILL of its JVM — and run again ends with exactly one offline row per entity, every entity
 * online, and the scores of an uninterrupted run.
 */
class BatchResumeTest {

  /** The batch of these tests over the stores and model under {@code dir}. */
  static BatchPrediction batch(FeatureStore store, Path dir, int chunk, long slowMillis) {
    Ranker model = new SlowRanker(BatchCrashMain.load(dir), slowMillis);
    return BatchPrediction.builder(store).service(ServingFixture.USER_MODEL)
        .ranker(model, BatchCrashMain.version(dir)).outputView("churn_scores", ServingFixture.USER,
            BatchCrashMain.ttl()).chunkSize(chunk).build();
  }

  /** Stores with history under {@code dir} and a model registered there; returns the expected scores. */
  static double[] prepare(Path dir, int users) {
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      ServingFixture.ingest(store, users, 0, 5);
      GbdtRanker model = ServingFixture.userModel(store, users);
      ModelRegistry.open(dir.resolve("models")).register("churn", model, Map.of(), ServingFixture.USER_MODEL.version());
      long[] ts = new long[users];
      java.util.Arrays.fill(ts, T);
      return model.predict(store.getHistoricalFeatures(EntityRows.of(ServingFixture.users(users), ts, null),
          ServingFixture.USER_MODEL).frame());
    }
  }

  /** Exactly one offline row per user, every user online with the expected score. */
  static void assertComplete(FeatureStore store, BatchPrediction batch, double[] expected) {
    int users = expected.length;
    Map<EntityKey, Integer> rows = ServingFixture.offlineRows(store, batch.predictionView());
    assertEquals(users, rows.size(), "every entity has an offline row");
    List<String> repeated = rows.entrySet().stream().filter(e -> e.getValue() != 1).map(String::valueOf).toList();
    assertEquals(List.of(), repeated, "no entity has two");
    List<EntityKey> keys = ServingFixture.users(users);
    OnlineFeatures f = store.getOnlineFeatures(keys, batch.predictionService());
    for (int i = 0; i < users; i++) {
      assertEquals(FeatureStatus.PRESENT, f.status(i, BatchPrediction.SCORE), keys.get(i).toString());
      assertEquals(expected[i], f.vector(i).getDouble(BatchPrediction.SCORE), keys.get(i).toString());
    }
  }

  @Test
  void aRunStoppedByItsProgressCallbackResumesAfterTheLastChunkWrittenWithStoresReopened(@TempDir Path dir) {
    double[] expected = prepare(dir, 400);
    List<EntityKey> users = ServingFixture.users(400);
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      BatchPrediction b = batch(store, dir, 40, 0);
      IllegalStateException stop = assertThrows(IllegalStateException.class, () -> b.run(users, T, p -> {
        if (p.entitiesDone() == 120) {
          throw new IllegalStateException("stop");
        }
      }));
      assertEquals("stop", stop.getMessage());
    }
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      BatchPrediction b = batch(store, dir, 40, 0);
      assertEquals(120, ServingFixture.offlineRows(store, b.predictionView()).size());
      List<BatchProgress> seen = new ArrayList<>();
      BatchResult r = b.run(users, T, seen::add);
      assertEquals(120, r.skipped());
      assertEquals(280, r.scored());
      assertEquals(7, r.chunks());
      assertEquals(160, seen.get(0).entitiesDone());
      assertEquals(4, seen.get(0).chunksDone());
      assertComplete(store, b, expected);
    }
  }

  @Test
  void aCrashBetweenTheOfflineAndTheOnlineWriteLeavesNoDuplicate(@TempDir Path dir) {
    double[] expected = prepare(dir, 400);
    List<EntityKey> users = ServingFixture.users(400);
    try (FeatureStore store = ServingFixture.store(dir, () -> T,
        new CrashingOnlineStore(EmbeddedOnlineStore.open(dir.resolve("online")), 4))) {
      BatchPrediction b = batch(store, dir, 40, 0);
      assertThrows(IllegalStateException.class, () -> b.run(users, T, null));
    }
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      BatchPrediction b = batch(store, dir, 40, 0);
      String run = b.runId(users, T);
      // the offline log took the fourth chunk; the online position stayed after the third
      assertEquals(160, ServingFixture.offlineRows(store, b.predictionView()).size());
      assertEquals(120, store.streamPosition(b.predictionView().name(), run));
      BatchResult r = b.run(users, T, null);
      assertEquals(120, r.skipped());
      assertComplete(store, b, expected);
    }
  }

  @ParameterizedTest(name = "writeBehind={0}")
  @ValueSource(booleans = {false, true})
  void twoThreadsRunningTheSameRunAtOnceWriteEachEntityOnce(boolean writeBehind, @TempDir Path dir)
      throws Exception {
    double[] expected = prepare(dir, 600);
    List<EntityKey> users = ServingFixture.users(600);
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      BatchPrediction b = BatchPrediction.builder(store).service(ServingFixture.USER_MODEL)
          .ranker(BatchCrashMain.load(dir), BatchCrashMain.version(dir)).outputView("churn_scores", ServingFixture.USER,
              BatchCrashMain.ttl()).chunkSize(20).writeBehind(writeBehind).build();
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
      List<Object> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        Thread th = new Thread(() -> {
          try {
            start.await();
            outcomes.add(b.run(users, T, null));
          } catch (IllegalStateException e) {
            outcomes.add(e);
          } catch (Exception e) {
            outcomes.add(new AssertionError(e));
          }
        });
        th.start();
        threads.add(th);
      }
      for (Thread th : threads) {
        th.join();
      }
      assertEquals(2, outcomes.size());
      for (Object o : outcomes) {
        assertTrue(o instanceof BatchResult || (o instanceof IllegalStateException e
            && e.getMessage().contains("another writer")), String.valueOf(o));
      }
      assertTrue(outcomes.stream().anyMatch(o -> o instanceof BatchResult), "one of them finishes: " + outcomes);
      assertComplete(store, b, expected);
      assertEquals(0, b.run(users, T, null).chunks(), "nothing left to do");
    }
  }

  @Test
  void aBatchJvmKilledMidwayAndRestartedEndsWithExactlyOneRowPerEntity(@TempDir Path dir) throws Exception {
    int n = 2000;
    double[] expected = prepare(dir, n);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), BatchCrashMain.class.getName(),
        dir.toString(), Integer.toString(n), "50", "15", "1000").redirectErrorStream(true).start();
    long acknowledged = -1;
    List<String> output = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        output.add(line);
        if (line.startsWith("chunk ")) {
          acknowledged = Long.parseLong(line.substring(6));
          if (acknowledged >= 300) {
            break;
          }
        }
      }
      p.destroyForcibly(); // SIGKILL while it scores and writes the next chunks
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }
    assertTrue(acknowledged >= 300, "the child wrote chunks before it was killed: " + output);
    try (FeatureStore store = ServingFixture.store(dir, () -> T)) {
      BatchPrediction b = batch(store, dir, 50, 0);
      String run = b.runId(ServingFixture.users(n), T);
      long position = store.streamPosition(b.predictionView().name(), run);
      assertTrue(position >= acknowledged && position < n, "killed mid-way: position " + position);
      int offline = ServingFixture.offlineRows(store, b.predictionView()).size();
      assertTrue(offline >= position && offline <= position + 50, "offline " + offline + " vs position " + position);
      BatchResult r = b.run(ServingFixture.users(n), T, null);
      assertEquals(position, r.skipped());
      assertEquals(n - position, r.scored());
      assertComplete(store, b, expected);
    }
  }
}
