package org.sieveml.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.sieveml.features.ReadmeSnippets;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.MaterializationResult;
import org.sieveml.features.OfflineStore;
import org.sieveml.features.RedisServer;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * The README's section "When you outgrow one machine", run as written (between the markers), and a
 * check that the README shows exactly this code.
 */
class OutgrowOneMachineTest {

  @RegisterExtension
  static final RedisServer.PerClass REDIS = new RedisServer.PerClass();

  @Test
  void theReadmeSectionRuns(@TempDir Path tmp) {
    SparkSession spark = TestSpark.session();
    SparkJoinPropertyTest.History h = new SparkJoinPropertyTest.History(new Random(5), 20, 500, 800);
    FeatureRegistry registry = h.registry;
    OfflineStore embedded = h.offline;
    String lakeDir = tmp.toString();
    String redisUri = REDIS.uri();
    List<Row> raw = LakeFilesTest.rawRows(new Random(6), 400);
    LakeFilesTest.write(raw, LakeFilesTest.RAW, tmp.resolve("profile_events"));
    List<Row> rows = new ArrayList<>();
    for (Row r : SparkJoinPropertyTest.entityRows(new Random(7), h, 200)) {
      rows.add(RowFactory.create(r.get(0), r.get(1), r.get(2), r.get(3), 1.0));
    }
    Dataset<Row> labels = spark.createDataFrame(rows,
        SparkJoinPropertyTest.ENTITY_SCHEMA.add("label", org.apache.spark.sql.types.DataTypes.DoubleType));
    long now = SparkJoinPropertyTest.T0 + 3 * TestSpark.DAY;
    long from = now - TestSpark.DAY;
    long to = now;

    // lake:begin
    // 1. the history you have, moved from the embedded offline store to the lake (once)
    LakeDataset txn = SparkFeatureStore.export(spark, embedded, registry.view("txn"), lakeDir + "/txn");

    // 2. the same definitions on Spark, over the lake's datasets (every file's footer is checked here)
    SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry)
        .dataset(txn)
        .dataset(LakeDataset.builder("profile").path(lakeDir + "/profile_events")
            .keyColumn("user_id", "uid").eventTime("ts_ms").fieldColumn("score", "the_score").build())
        .build();

    // 3. point-in-time training data as a DataFrame: distributed, nothing collected to the driver
    Dataset<Row> training = lake.historicalFeatures(labels, "all");
    training.write().parquet(lakeDir + "/training/v1");

    // 4. fill the shared online store (Redis), partition by partition
    MaterializationResult done = lake.materialize("txn", from, to, now,
        OnlineStoreFactory.redis(redisUri, "sieveml"));
    // lake:end

    assertEquals(200, spark.read().parquet(lakeDir + "/training/v1").count());
    assertTrue(done.rowsWritten() > 0, done.toString());
    try (RedisOnlineStore r = RedisOnlineStore.builder(redisUri).prefix("sieveml").build()) {
      int found = 0;
      for (long k = 0; k < 20; k++) {
        found += r.readTiles("txn", List.of(EntityKey.of("user_id", k))).get(0) == null ? 0 : 1;
      }
      assertTrue(found > 5, "tiles in Redis for " + found + " users");
    }
    h.store.close();
  }

  @Test
  void readmeShowsExactlyTheTestedCode() throws IOException {
    ReadmeSnippets.assertReadmeShows("spark/src/test/java/org/sieveml/spark/OutgrowOneMachineTest.java", "lake");
  }
}
