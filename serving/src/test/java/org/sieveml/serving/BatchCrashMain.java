package org.sieveml.serving;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.features.FeatureStore;
import org.sieveml.ranking.ModelRegistry;
import org.sieveml.ranking.ModelVersion;
import org.sieveml.ranking.Ranker;

/**
 * The child JVM of {@link BatchResumeTest}: opens the stores under {@code args[0]}, loads model 1 of the
 * registry there and runs the batch over {@code args[1]} users in chunks of {@code args[2]}, printing
 * {@code chunk <entitiesDone>} after each chunk, and {@code done <skipped> <scored>} at the end. The parent kills
 * it mid-way. {@code args[3]} milliseconds of work are added to every chunk's scoring (a slow model), so the
 * kill lands while chunks are being scored and written; after {@code args[4]} entities it blocks, so the kill
 * always lands before the run's end.
 */
public final class BatchCrashMain {
  private BatchCrashMain() {}

  /**
   * Runs the batch.
   *
   * @param args directory, users, chunk size, extra milliseconds per chunk, entities after which it blocks
   *     (reading standard input, which the parent never writes)
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int users = Integer.parseInt(args[1]);
    int chunk = Integer.parseInt(args[2]);
    long slow = Long.parseLong(args[3]);
    long blockAt = Long.parseLong(args[4]);
    try (FeatureStore store = ServingFixture.store(dir, () -> ServingFixture.T)) {
      BatchPrediction batch = BatchResumeTest.batch(store, dir, chunk, slow);
      List<EntityKey> keys = ServingFixture.users(users);
      BatchResult r = batch.run(keys, ServingFixture.T, p -> {
        System.out.println("chunk " + p.entitiesDone());
        System.out.flush();
        if (p.entitiesDone() >= blockAt) {
          try {
            System.in.read(); // the parent kills this process before it ever gets here in most runs
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      });
      System.out.println("done " + r.skipped() + " " + r.scored());
    }
  }

  static Ranker load(Path dir) {
    ModelRegistry reg = ModelRegistry.open(dir.resolve("models"));
    return reg.load("churn", 1, Ranker.class, null);
  }

  static ModelVersion version(Path dir) {
    return ModelRegistry.open(dir.resolve("models")).versions("churn").get(0);
  }

  static Duration ttl() {
    return Duration.ofDays(2);
  }
}
