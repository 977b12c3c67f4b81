package org.sieveml.spark;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;

/**
 * Context figure for the README (not a speed target): the point-in-time join of 100,000 entity rows
 * against a 1,000,000-row history of the {@code profile} view (100,000 users), in process (the embedded
 * store in memory) and as a Spark {@code local[2]} job over the same history exported to Parquet
 * (output written to Spark's {@code noop} sink). Medians of 3 runs after one warm-up each, same JVM.
 * Runs only when asked:
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q test -pl spark -Dtest=LakeJoinBench -Dsieveml.bench=true
 * </pre>
 */
class LakeJoinBench {

  @Test
  void sparkJoinAgainstTheInProcessJoin(@TempDir Path tmp) {
    Assumptions.assumeTrue(Boolean.getBoolean("sieveml.bench"), "a benchmark: run with -Dsieveml.bench=true");
    int users = 100_000;
    int history = 1_000_000;
    int entities = 100_000;
    long t0 = SparkJoinPropertyTest.T0;
    Random rnd = new Random(1);
    FeatureRegistry reg = TestSpark.registry();
    EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory();
    FeatureStore local = FeatureStore.builder(reg).offlineStore(offline).build();
    EventBatch.Builder b = EventBatch.builder(reg.view("profile").schema());
    for (int i = 0; i < history; i++) {
      long t = t0 + (long) (rnd.nextDouble() * 30 * TestSpark.DAY);
      b.add(EntityKey.of("user_id", (long) rnd.nextInt(users)), t, t, rnd.nextGaussian(), (long) i, i % 2 == 0,
          "c" + (i % 7), new float[] {i, 1, 2});
      if ((i + 1) % 200_000 == 0) {
        local.ingest("profile", b.build());
        b = EventBatch.builder(reg.view("profile").schema());
      }
    }
    List<EntityKey> keys = new ArrayList<>();
    long[] ts = new long[entities];
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < entities; i++) {
      long k = rnd.nextInt(users);
      ts[i] = t0 + (long) (rnd.nextDouble() * 31 * TestSpark.DAY);
      keys.add(EntityKey.of("user_id", k));
      rows.add(RowFactory.create((long) i, k, Instant.ofEpochMilli(ts[i]), 1.0));
    }
    EntityRows er = EntityRows.of(keys, ts, null);

    // this JVM's session, made before the tests' one: a result-size limit for 1M rows of write tasks
    SparkSession spark = SparkSession.builder().master("local[2]").appName("sieveml-bench")
        .config("spark.driver.maxResultSize", "256m").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry)
        .dataset(SparkFeatureStore.export(spark, offline, reg.view("profile"), tmp.resolve("profile").toString()))
        .partitions(8).build();
    Dataset<Row> ents = spark.createDataFrame(rows, SparkJoinPropertyTest.ENTITY_SCHEMA).cache();
    ents.count();

    double[] inProcess = new double[3];
    double[] onSpark = new double[3];
    for (int run = -1; run < 3; run++) {
      long s = System.nanoTime();
      long matched = entities - local.getHistoricalFeatures(er, reg.featureService("plain")).unmatched("score");
      double a = (System.nanoTime() - s) / 1e9;
      s = System.nanoTime();
      lake.historicalFeatures(ents, "plain").write().format("noop").mode("overwrite").save();
      double c = (System.nanoTime() - s) / 1e9;
      if (run >= 0) {
        inProcess[run] = a;
        onSpark[run] = c;
      }
      System.out.printf("run %d: in-process %.3f s (%d matched), Spark local[2] %.3f s%n", run, a, matched, c);
    }
    Arrays.sort(inProcess);
    Arrays.sort(onSpark);
    System.out.printf("SCORE spark_join_1m_history in_process_median_s=%.3f spark_local2_median_s=%.3f "
        + "ratio(in_process/spark)=%.3f%n", inProcess[1], onSpark[1], inProcess[1] / onSpark[1]);
    local.close();
  }
}
