package org.sieveml.features;

import java.nio.file.Path;
import java.util.Random;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/**
 * Run in a child JVM with a small heap by {@link OfflineStoreRestartTest}: ingests a history several
 * times larger than the heap into a durable store, joins against it, and prints one line
 * {@code RESULT <matches> <sum> <rows on disk> <bytes on disk>}.
 */
public final class OfflineHistoryMain {

  static final int ENTITIES = 20_000;
  static final long BASE = 1_600_000_000_000L;
  static final long STEP = 60_000L;
  static final FeatureService SERVICE = FeatureService.builder("svc").features("history").build();

  private OfflineHistoryMain() {}

  /** The event time of an entity's k-th row. */
  static long eventTime(long e, long k) {
    return BASE + k * STEP + (e % 7) * 1000L;
  }

  /** The value of an entity's k-th row. */
  static double value(long e, long k) {
    return e * 1_000.0 + k;
  }

  /** Seeded entity rows: {ids, times}; some ids were never ingested, some times precede all rows. */
  static long[][] queries(int queries, int perEntity) {
    Random rnd = new Random(12);
    long[] qIds = new long[queries];
    long[] qT = new long[queries];
    for (int q = 0; q < queries; q++) {
      qIds[q] = rnd.nextInt(ENTITIES + 100);
      qT[q] = BASE + (long) (rnd.nextDouble() * (perEntity + 5) * STEP) - 30_000;
    }
    return new long[][] {qIds, qT};
  }

  static FeatureRegistry registry() {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(user);
    reg.apply(FeatureView.builder("history").entity(user).feature(FeatureSpec.of("v", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("w", FeatureType.DOUBLE)).build());
    reg.apply(SERVICE);
    return reg;
  }

  /**
   * Arguments: directory, rows per entity, queries.
   *
   * @param args the arguments
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int perEntity = Integer.parseInt(args[1]);
    int queries = Integer.parseInt(args[2]);
    FeatureRegistry reg = registry();
    EmbeddedOfflineStore offline = EmbeddedOfflineStore.builder(dir).maxSegmentRows(500_000).build();
    FeatureStore store = FeatureStore.builder(reg).offlineStore(offline).build();
    int slice = 10; // rows per entity per batch: batches of 200,000 rows
    Random rnd = new Random(11);
    for (int k0 = 0; k0 < perEntity; k0 += slice) {
      int n = ENTITIES * slice;
      long[] ids = new long[n];
      long[] ev = new long[n];
      double[] v = new double[n];
      double[] w = new double[n];
      int i = 0;
      for (int e = 0; e < ENTITIES; e++) {
        for (int k = k0; k < k0 + slice; k++) {
          ids[i] = e;
          ev[i] = eventTime(e, k);
          v[i] = value(e, k);
          w[i] = rnd.nextDouble();
          i++;
        }
      }
      store.ingest("history", EventBatch.ofLongKeys(ids, ev, ev, FeatureFrame.builder(n).addDouble("v", v)
          .addDouble("w", w).build()));
    }
    long[][] q2 = queries(queries, perEntity);
    long[] qIds = q2[0];
    TrainingData td = store.getHistoricalFeatures(EntityRows.ofLongKeys(qIds, q2[1], null), SERVICE);
    FeatureFrame f = td.frame();
    int col = f.schema().indexOf("v");
    long matches = 0;
    double sum = 0;
    for (int q = 0; q < queries; q++) {
      if (f.isPresent(q, col)) {
        matches++;
        sum += f.asDouble(q, col);
      }
    }
    long bytes;
    try (var files = java.nio.file.Files.walk(dir)) {
      bytes = files.filter(java.nio.file.Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    long rows = offline.storedRows(reg.view("history"));
    store.close();
    System.out.println("RESULT " + matches + " " + sum + " " + rows + " " + bytes + " "
        + Runtime.getRuntime().maxMemory());
  }
}
