package org.sieveml.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OfflineStore;
import org.sieveml.features.TrainingData;
import org.sieveml.features.Visibility;

/**
 * Issue 16: on random histories (ties of event and created times, TTL edges, late rows, several
 * partitions) the Spark join gives exactly the in-process join's rows — plain features, windowed
 * aggregations (the backfill) and an on-demand view — under both visibilities.
 */
class SparkJoinPropertyTest {

  static final long T0 = 1_700_000_000_000L;
  static final long TTL = 6 * TestSpark.HOUR;
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  /** A random history in an in-memory embedded store, appended in ingestion order. */
  static final class History {
    final FeatureRegistry registry = TestSpark.registry();
    final EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory();
    final FeatureStore store = FeatureStore.builder(registry).offlineStore(offline).build();
    final List<long[]> profileTimes = new ArrayList<>(); // key, event

    History(Random rnd, int users, int profileRows, int txnRows) {
      List<Object[]> rows = new ArrayList<>(); // view, key, event, created, ingested, values
      for (int i = 0; i < profileRows; i++) {
        long key = rnd.nextInt(users);
        long event = T0 + rnd.nextInt(3 * 24 * 6) * 10 * TestSpark.MIN; // 10-minute grid: ties
        long created = event + (rnd.nextInt(3) == 0 ? 5 * TestSpark.MIN : 0);
        long[] delays = {0, 0, 30 * TestSpark.MIN, 2 * TestSpark.DAY};
        long ingested = created + delays[rnd.nextInt(delays.length)];
        Object[] v = {
            rnd.nextInt(6) == 0 ? null : rnd.nextGaussian(),
            rnd.nextInt(7) == 0 ? null : (long) rnd.nextInt(1000) - 500,
            rnd.nextInt(5) == 0 ? null : rnd.nextBoolean(),
            rnd.nextInt(4) == 0 ? null : new String[] {"DE", "fr-\u00df", "\u65e5\u672c"}[rnd.nextInt(3)],
            rnd.nextInt(3) == 0 ? null : new float[] {rnd.nextFloat(), -rnd.nextFloat(), i}};
        rows.add(new Object[] {"profile", key, event, created, ingested, v});
        profileTimes.add(new long[] {key, event});
      }
      for (int i = 0; i < txnRows; i++) {
        long key = rnd.nextInt(users);
        long event = T0 + rnd.nextInt(3 * 24 * 60) * TestSpark.MIN;
        long[] delays = {0, 0, 10 * TestSpark.MIN, TestSpark.DAY};
        long ingested = event + delays[rnd.nextInt(delays.length)];
        rows.add(new Object[] {"txn", key, event, event, ingested,
            new Object[] {Math.round(rnd.nextDouble() * 10_000) / 100.0}});
      }
      java.util.Collections.shuffle(rows, rnd);
      rows.sort((a, b) -> Long.compare((long) a[4], (long) b[4])); // stable: equal ingestion times stay shuffled
      for (Object[] r : rows) {
        String view = (String) r[0];
        EventBatch.Builder b = EventBatch.builder(SparkFeatureStore.storedSchema(registry.view(view)));
        b.add(EntityKey.of("user_id", (long) r[1]), (long) r[2], (long) r[3], (Object[]) r[5]);
        offline.append(registry.view(view), b.build(), (long) r[4]);
      }
    }
  }

  /** A store builder over both views of a history, exported into {@code dir} (profile/, txn/). */
  static SparkFeatureStore.Builder exported(History h, Path dir, RegistrySource source) {
    SparkSession spark = TestSpark.session();
    return SparkFeatureStore.builder(spark, source)
        .dataset(SparkFeatureStore.export(spark, h.offline, h.registry.view("profile"), dir.resolve("profile").toString()))
        .dataset(SparkFeatureStore.export(spark, h.offline, h.registry.view("txn"), dir.resolve("txn").toString()));
  }

  /** Entity rows: random times, exact event times, TTL edges, a user without data. */
  static List<Row> entityRows(Random rnd, History h, int n) {
    List<Row> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long key;
      long t;
      int kind = rnd.nextInt(5);
      if (kind == 0) {
        key = 999;
        t = T0 + TestSpark.DAY;
      } else if (kind == 1) {
        key = rnd.nextInt(40);
        t = T0 + (long) (rnd.nextDouble() * 4 * TestSpark.DAY);
      } else {
        long[] p = h.profileTimes.get(rnd.nextInt(h.profileTimes.size()));
        key = p[0];
        long[] offsets = {0, -1, TTL, TTL - 1, TTL + 1, 5 * TestSpark.MIN};
        t = p[1] + offsets[rnd.nextInt(offsets.length)];
      }
      out.add(RowFactory.create((long) i, key, Instant.ofEpochMilli(t), rnd.nextDouble() * 2));
    }
    return out;
  }

  static final StructType ENTITY_SCHEMA = DataTypes.createStructType(List.of(
      DataTypes.createStructField("rid", DataTypes.LongType, false),
      DataTypes.createStructField("user_id", DataTypes.LongType, false),
      DataTypes.createStructField("event_timestamp", DataTypes.TimestampType, false),
      DataTypes.createStructField("boost", DataTypes.DoubleType, false)));

  /** The in-process training data for the same entity rows. */
  static TrainingData inProcess(History h, List<Row> ents, String service, Visibility vis) {
    return h.store.getHistoricalFeatures(entityRows(ents), h.registry.featureService(service), vis);
  }

  /** Spark entity rows ({@link #ENTITY_SCHEMA}) as the in-process join takes them, boost as request column. */
  static EntityRows entityRows(List<Row> ents) {
    List<EntityKey> keys = new ArrayList<>();
    long[] ts = new long[ents.size()];
    double[] boost = new double[ents.size()];
    for (int i = 0; i < ents.size(); i++) {
      keys.add(EntityKey.of("user_id", ents.get(i).getLong(1)));
      ts[i] = ((Instant) ents.get(i).get(2)).toEpochMilli();
      boost[i] = ents.get(i).getDouble(3);
    }
    return EntityRows.of(keys, ts, FeatureFrame.builder(ents.size()).addDouble("boost", boost).build());
  }

  /** Compares Spark's rows (found by rid) with the in-process frame, cell by cell. */
  static void assertSame(TrainingData want, List<Row> got, int entityColumns, String ctx) {
    FeatureFrame all = want.frame(); // the timestamp and request columns lead; Spark rows carry them as entity columns
    List<String> names = new ArrayList<>(all.schema().names());
    names.remove("event_timestamp");
    names.remove("boost");
    FeatureFrame f = all.select(names);
    assertEquals(f.rowCount(), got.size(), ctx + ": one output row per entity row");
    Map<Long, Row> byId = new HashMap<>();
    for (Row r : got) {
      assertEquals(null, byId.put(r.getLong(0), r), ctx + ": row " + r.getLong(0) + " twice");
    }
    int present = 0;
    for (int i = 0; i < f.rowCount(); i++) {
      Row r = byId.get((long) i);
      for (int c = 0; c < f.schema().size(); c++) {
        FeatureSpec s = f.schema().get(c);
        Object g = r.get(entityColumns + c);
        String at = ctx + ": row " + i + " " + s.name();
        if (!f.isPresent(i, c)) {
          assertEquals(null, g, at);
          continue;
        }
        present++;
        switch (s.type()) {
          case DOUBLE:
            assertEquals(Double.doubleToLongBits(f.asDouble(i, c)), Double.doubleToLongBits((Double) g), at);
            break;
          case LONG:
            assertEquals(f.getLong(i, c, 0), (Long) g, at);
            break;
          case BOOLEAN:
            assertEquals(f.asDouble(i, c) != 0, g, at);
            break;
          case STRING:
            assertEquals(f.getString(i, c), g, at);
            break;
          default: {
            List<Object> l = r.getList(entityColumns + c);
            float[] e = new float[l.size()];
            for (int k = 0; k < e.length; k++) {
              e[k] = (Float) l.get(k);
            }
            assertTrue(Arrays.equals(f.getEmbedding(i, c), e), at);
          }
        }
      }
    }
    assertTrue(present > f.rowCount(), ctx + ": the comparison saw values (" + present + ")");
  }

  @Test
  void sparkJoinEqualsTheInProcessJoinOnRandomHistories(@TempDir Path tmp) {
    for (int seed = 1; seed <= 3; seed++) {
      Random rnd = new Random(seed);
      History h = new History(rnd, 40, 1_500, 3_000);
      SparkFeatureStore lake = exported(h, tmp.resolve("s" + seed), TestSpark::registry).partitions(2 + seed).build();
      assertTrue(lake.files("profile").size() > 1, "partitioned by event date into several files");
      List<Row> ents = entityRows(rnd, h, 600);
      Dataset<Row> entities = spark.createDataFrame(ents, ENTITY_SCHEMA);
      for (Visibility vis : Visibility.values()) {
        String ctx = "seed " + seed + ", " + vis;
        List<Row> got = lake.historicalFeatures(entities, "all", vis).collectAsList();
        assertSame(inProcess(h, ents, "all", vis), got, ENTITY_SCHEMA.size(), ctx);
      }
      h.store.close();
    }
  }

  @Test
  void outputSchemaIsTheEntityColumnsThenTheTrainingFrame(@TempDir Path tmp) {
    History h = new History(new Random(7), 5, 50, 50);
    SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry)
        .dataset(SparkFeatureStore.export(spark, h.offline, h.registry.view("profile"), tmp.resolve("p").toString()))
        .build();
    Dataset<Row> out = lake.historicalFeatures(spark.createDataFrame(entityRows(new Random(1), h, 10), ENTITY_SCHEMA),
        "plain");
    assertEquals(List.of("rid", "user_id", "event_timestamp", "boost", "score", "visits"),
        List.of(out.schema().fieldNames()));
    assertEquals(DataTypes.DoubleType, out.schema().apply("score").dataType());
    assertEquals(DataTypes.LongType, out.schema().apply("visits").dataType());
    h.store.close();
  }

  @Test
  void exportThenImportIsLossless(@TempDir Path tmp) {
    History h = new History(new Random(11), 30, 800, 1_200);
    for (String view : List.of("profile", "txn")) {
      LakeDataset ds = SparkFeatureStore.export(spark, h.offline, h.registry.view(view), tmp.resolve(view).toString());
      SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry).dataset(ds).build();
      EmbeddedOfflineStore back = EmbeddedOfflineStore.inMemory();
      long n = lake.importInto(view, back);
      assertEquals(h.offline.storedRows(h.registry.view(view)), n);
      assertEquals(scan(h.offline, h.registry, view), scan(back, h.registry, view), view);
      back.close();
    }
    h.store.close();
  }

  /** Every row of a view as text: key, times, sequence, values. */
  static List<String> scan(OfflineStore s, FeatureRegistry reg, String view) {
    List<String> out = new ArrayList<>();
    s.scan(reg.view(view), 0, EventBatch.MAX_TIME + 1, -1, c -> {
      for (int r = 0; r < c.size(); r++) {
        StringBuilder sb = new StringBuilder().append(c.key(r)).append(' ').append(c.eventTime(r)).append(' ')
            .append(c.createdTime(r)).append(' ').append(c.ingestionTime(r)).append(' ').append(c.sequence(r));
        FeatureFrame f = c.values();
        for (int col = 0; col < f.schema().size(); col++) {
          sb.append(' ').append(f.isPresent(r, col) ? String.valueOf(f.row(r).get(col) instanceof float[] e
              ? Arrays.toString(e) : f.row(r).get(col)) : "-");
        }
        out.add(sb.toString());
      }
    });
    return out;
  }
}
