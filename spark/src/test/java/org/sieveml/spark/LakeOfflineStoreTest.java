package org.sieveml.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.EntityRows;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.MaterializationResult;
import org.sieveml.features.Visibility;

/**
 * Issue 16: the lake as the offline side of an in-process {@link FeatureStore}. Training data and
 * materialization (by range and incremental) through {@link SparkFeatureStore#offlineStore()} equal
 * those of the same history in the embedded offline store; writes are refused saying why.
 */
class LakeOfflineStoreTest {

  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  static void assertFrames(FeatureFrame want, FeatureFrame got, String ctx) {
    assertEquals(want.schema(), got.schema(), ctx);
    assertEquals(want.rowCount(), got.rowCount(), ctx);
    for (int r = 0; r < want.rowCount(); r++) {
      assertEquals(want.row(r), got.row(r), ctx + ": row " + r);
    }
  }

  @Test
  void aFeatureStoreOverTheLakeAnswersAsOverTheEmbeddedStore(@TempDir Path tmp) {
    Random rnd = new Random(31);
    SparkJoinPropertyTest.History h = new SparkJoinPropertyTest.History(rnd, 30, 1_000, 2_000);
    SparkFeatureStore lake = SparkJoinPropertyTest.exported(h, tmp, TestSpark::registry).partitions(3).build();
    long now = SparkJoinPropertyTest.T0 + 3 * TestSpark.DAY;
    EmbeddedOnlineStore lakeOnline = new EmbeddedOnlineStore();
    EmbeddedOnlineStore localOnline = new EmbeddedOnlineStore();
    try (FeatureStore overLake = FeatureStore.builder(h.registry).offlineStore(lake.offlineStore())
        .onlineStore(lakeOnline).clock(() -> now).build();
        FeatureStore local = FeatureStore.builder(h.registry).offlineStore(h.offline).onlineStore(localOnline)
            .clock(() -> now).build()) {
      List<Row> ents = SparkJoinPropertyTest.entityRows(rnd, h, 300);
      EntityRows rows = SparkJoinPropertyTest.entityRows(ents);
      for (Visibility vis : Visibility.values()) {
        assertFrames(local.getHistoricalFeatures(rows, h.registry.featureService("all"), vis).frame(),
            overLake.getHistoricalFeatures(rows, h.registry.featureService("all"), vis).frame(), vis.toString());
      }

      List<EntityKey> all = new ArrayList<>();
      for (long k = 0; k < 31; k++) {
        all.add(EntityKey.of("user_id", k));
      }
      for (String view : List.of("profile", "txn")) {
        MaterializationResult a = local.materializeIncremental(view, now, null);
        MaterializationResult b = overLake.materializeIncremental(view, now, null);
        assertEquals(a.rowsWritten(), b.rowsWritten(), view + ": " + a + " / " + b);
        assertTrue(b.rowsWritten() > 0, view);
      }
      assertEquals(localOnline.read("profile", all), lakeOnline.read("profile", all));
      assertEquals(localOnline.readTiles("txn", all), lakeOnline.readTiles("txn", all));
      long from = now - TestSpark.DAY;
      assertEquals(local.materialize("profile", from, now, null).rowsWritten(),
          overLake.materialize("profile", from, now, null).rowsWritten());
      assertEquals(localOnline.read("profile", all), lakeOnline.read("profile", all));

      UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
          () -> overLake.push("txn", org.sieveml.features.EventBatch.builder(
              SparkFeatureStore.storedSchema(h.registry.view("txn"))).add(EntityKey.of("user_id", 1L), now, now, 1.0)
              .build()));
      assertTrue(e.getMessage().contains("written by its own pipelines"), e.getMessage());
    }
  }
}
