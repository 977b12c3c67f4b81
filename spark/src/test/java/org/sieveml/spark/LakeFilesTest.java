package org.sieveml.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
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
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.Visibility;

/**
 * Issue 16: files as a lake holds them. Bad files are refused at registration naming file and column;
 * a damaged row group is named by {@link SparkFeatureStore#verify} and an import of it changes
 * nothing; DuckDB reads what {@link SparkFeatureStore#export} writes; a dataset written by someone
 * else (epoch-ms times, no created/ingestion/sequence columns, renamed columns) joins as the
 * in-process store does with the same rows loaded in file order.
 */
class LakeFilesTest {

  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  static final StructType RAW = DataTypes.createStructType(List.of(
      DataTypes.createStructField("uid", DataTypes.LongType, false),
      DataTypes.createStructField("ts_ms", DataTypes.LongType, false),
      DataTypes.createStructField("the_score", DataTypes.DoubleType, true),
      DataTypes.createStructField("visits", DataTypes.IntegerType, true),
      DataTypes.createStructField("active", DataTypes.BooleanType, true),
      DataTypes.createStructField("country", DataTypes.StringType, true),
      DataTypes.createStructField("emb", DataTypes.createArrayType(DataTypes.FloatType), true)));

  static List<Row> rawRows(Random rnd, int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t = SparkJoinPropertyTest.T0 + rnd.nextInt(200) * TestSpark.MIN * 10; // ties of (key, time)
      rows.add(RowFactory.create((long) rnd.nextInt(20), t, rnd.nextInt(5) == 0 ? null : rnd.nextGaussian(),
          rnd.nextInt(1000), rnd.nextBoolean(), "c" + rnd.nextInt(3),
          scala.jdk.javaapi.CollectionConverters.asScala(List.of(rnd.nextFloat(), (float) i, -1f))));
    }
    return rows;
  }

  static LakeDataset.Builder raw(String path) {
    return LakeDataset.builder("profile").path(path).keyColumn("user_id", "uid").eventTime("ts_ms")
        .fieldColumn("score", "the_score");
  }

  /** Writes rows as one Parquet file, in order. */
  static String write(List<Row> rows, StructType schema, Path dir) {
    TestSpark.session().createDataFrame(rows, schema).coalesce(1).write().parquet(dir.toString());
    return dir.toString();
  }

  static Path onlyFile(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
  }

  @Test
  void aDatasetWrittenElsewhereJoinsAsTheSameRowsLoadedInFileOrder(@TempDir Path tmp) {
    Random rnd = new Random(5);
    List<Row> rows = rawRows(rnd, 1_000);
    String path = write(rows, RAW, tmp.resolve("raw"));
    SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry).dataset(raw(path).build())
        .partitions(3).build();

    FeatureRegistry reg = TestSpark.registry();
    EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory();
    try (FeatureStore local = FeatureStore.builder(reg).offlineStore(offline).build()) {
      EventBatch.Builder b = EventBatch.builder(reg.view("profile").schema());
      for (Row r : rows) {
        List<Float> e = r.getList(6);
        b.add(EntityKey.of("user_id", r.getLong(0)), r.getLong(1), r.getLong(1), r.isNullAt(2) ? null : r.getDouble(2),
            (long) r.getInt(3), r.getBoolean(4), r.getString(5), new float[] {e.get(0), e.get(1), e.get(2)});
      }
      local.ingest("profile", b.build());

      List<Row> ents = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        Row src = rows.get(rnd.nextInt(rows.size()));
        long t = src.getLong(1) + new long[] {0, -1, 6 * TestSpark.HOUR, 6 * TestSpark.HOUR - 1}[rnd.nextInt(4)];
        ents.add(RowFactory.create((long) i, src.getLong(0), Instant.ofEpochMilli(t), 1.0));
      }
      for (Visibility vis : Visibility.values()) {
        List<Row> got = lake.historicalFeatures(spark.createDataFrame(ents, SparkJoinPropertyTest.ENTITY_SCHEMA),
            "plain", vis).collectAsList();
        SparkJoinPropertyTest.assertSame(inProcess(local, reg, ents, vis), got, 4, "raw lake, " + vis);
      }
    }
  }

  static org.sieveml.features.TrainingData inProcess(FeatureStore store, FeatureRegistry reg, List<Row> ents,
      Visibility vis) {
    List<EntityKey> keys = new ArrayList<>();
    long[] ts = new long[ents.size()];
    for (int i = 0; i < ents.size(); i++) {
      keys.add(EntityKey.of("user_id", ents.get(i).getLong(1)));
      ts[i] = ((Instant) ents.get(i).get(2)).toEpochMilli();
    }
    return store.getHistoricalFeatures(org.sieveml.features.EntityRows.of(keys, ts, null), reg.featureService("plain"),
        vis);
  }

  @Test
  void badFilesAreRefusedAtRegistrationNamingFileAndColumn(@TempDir Path tmp) throws IOException {
    Random rnd = new Random(3);
    String good = write(rawRows(rnd, 50), RAW, tmp.resolve("good"));

    LakeDatasetException missing = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(good).keyColumn("user_id", "user").build()));
    assertEquals("user", missing.column());
    assertTrue(missing.file().endsWith(".parquet") && missing.getMessage().contains("missing"), missing.getMessage());

    StructType wrongType = DataTypes.createStructType(List.of(RAW.fields()[0], RAW.fields()[1],
        DataTypes.createStructField("the_score", DataTypes.StringType, true), RAW.fields()[3], RAW.fields()[4],
        RAW.fields()[5], RAW.fields()[6]));
    List<Row> strings = new ArrayList<>();
    for (Row r : rawRows(rnd, 5)) {
      strings.add(RowFactory.create(r.get(0), r.get(1), "x", r.get(3), r.get(4), r.get(5), r.get(6)));
    }
    String typed = write(strings, wrongType, tmp.resolve("typed"));
    LakeDatasetException wrong = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(typed).build()));
    assertEquals("the_score", wrong.column());
    assertTrue(wrong.getMessage().contains("DOUBLE field 'score'"), wrong.getMessage());

    // a second file that disagrees with the first on a column's kind
    Path mixed = tmp.resolve("mixed");
    Files.createDirectories(mixed);
    Files.copy(onlyFile(Path.of(good)), mixed.resolve("a.parquet"));
    Files.copy(onlyFile(Path.of(typed)), mixed.resolve("b.parquet"));
    LakeDatasetException disagree = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(mixed.toString()).build()));
    assertTrue(disagree.file().endsWith("b.parquet"), disagree.getMessage());

    Path footer = tmp.resolve("footer");
    Files.createDirectories(footer);
    byte[] bytes = Files.readAllBytes(onlyFile(Path.of(good)));
    java.util.Arrays.fill(bytes, bytes.length - 60, bytes.length - 8, (byte) 0x7F); // the footer's end
    Files.write(footer.resolve("part-0.parquet"), bytes);
    LakeDatasetException corrupt = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(footer.toString()).build()));
    assertTrue(corrupt.file().endsWith("part-0.parquet") && corrupt.getMessage().contains("footer"),
        corrupt.getMessage());

    LakeDatasetException absent = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(tmp.resolve("nowhere").toString()).build()));
    assertTrue(absent.getMessage().contains("does not exist"), absent.getMessage());
  }

  @Test
  void aDamagedRowGroupIsNamedAndItsImportChangesNothing(@TempDir Path tmp) throws IOException {
    List<Row> rows = rawRows(new Random(9), 3_000);
    String path = write(rows, RAW, tmp.resolve("pages"));
    Path file = onlyFile(Path.of(path));
    byte[] bytes = Files.readAllBytes(file);
    for (int i = 100; i < 400; i++) { // column chunk bytes after the magic, before the footer
      bytes[i] = (byte) 0xFF;
    }
    Files.write(file, bytes);
    // a damaged object store file has no local .crc beside it: without it the Parquet reader sees the damage
    try (Stream<Path> crc = Files.list(Path.of(path))) {
      for (Path p : (Iterable<Path>) crc.filter(p -> p.getFileName().toString().endsWith(".crc"))::iterator) {
        Files.delete(p);
      }
    }
    SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry).dataset(raw(path).build()).build();
    LakeDatasetException e = assertThrows(LakeDatasetException.class, () -> lake.verify("profile"));
    assertEquals(file.toUri().toString().replace("file:///", "file:/"), e.file().replace("file:///", "file:/"));
    assertTrue(e.getMessage().contains("row group 0 of 1"), e.getMessage());

    FeatureRegistry reg = TestSpark.registry();
    EmbeddedOfflineStore target = EmbeddedOfflineStore.inMemory();
    assertThrows(LakeDatasetException.class, () -> lake.importInto("profile", target));
    assertEquals(0, target.storedRows(reg.view("profile")), "nothing reached the store");
    target.close();
  }

  @Test
  void duckDbReadsWhatExportWrites(@TempDir Path tmp) throws Exception {
    SparkJoinPropertyTest.History h = new SparkJoinPropertyTest.History(new Random(21), 10, 300, 10);
    LakeDataset ds = SparkFeatureStore.export(spark, h.offline, h.registry.view("profile"),
        tmp.resolve("export").toString());
    List<String> mine = SparkJoinPropertyTest.scan(h.offline, h.registry, "profile");
    List<String> duck = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT user_id, epoch_ms(event_time), epoch_ms(created_time), "
            + "epoch_ms(ingestion_time), sequence, score, visits, active, country, emb, event_date FROM read_parquet('"
            + ds.paths().get(0) + "/**/*.parquet', hive_partitioning = true) ORDER BY sequence")) {
      while (rs.next()) {
        StringBuilder sb = new StringBuilder("user_id=" + rs.getLong(1) + " " + rs.getLong(2) + " " + rs.getLong(3)
            + " " + rs.getLong(4) + " " + rs.getLong(5));
        sb.append(' ').append(rs.getObject(6) == null ? "-" : String.valueOf(rs.getDouble(6)));
        sb.append(' ').append(rs.getObject(7) == null ? "-" : String.valueOf(rs.getLong(7)));
        sb.append(' ').append(rs.getObject(8) == null ? "-" : String.valueOf(rs.getBoolean(8)));
        sb.append(' ').append(rs.getObject(9) == null ? "-" : rs.getString(9));
        Object emb = rs.getObject(10);
        if (emb == null) {
          sb.append(" -");
        } else {
          Object[] a = (Object[]) ((java.sql.Array) emb).getArray();
          float[] f = new float[a.length];
          for (int i = 0; i < a.length; i++) {
            f[i] = ((Number) a[i]).floatValue();
          }
          sb.append(' ').append(java.util.Arrays.toString(f));
        }
        assertEquals(Instant.ofEpochMilli(rs.getLong(2)).toString().substring(0, 10), rs.getString(11),
            "event_date partition in UTC");
        duck.add(sb.toString());
      }
    }
    assertEquals(mine.size(), duck.size());
    mine.sort(null);
    duck.sort(null);
    assertArrayEquals(mine.toArray(), duck.toArray());
    h.store.close();
  }

  @Test
  void theEdgesOfRealLakes(@TempDir Path tmp) throws IOException {
    // an empty dataset (files without rows): every feature missing, as in process; no crash under AQE
    String empty = write(List.of(), RAW, tmp.resolve("empty"));
    SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry).dataset(raw(empty).build())
        .partitions(3).build();
    List<Row> ents = List.of(RowFactory.create(0L, 1L, Instant.ofEpochMilli(SparkJoinPropertyTest.T0), 1.0),
        RowFactory.create(1L, 2L, Instant.ofEpochMilli(SparkJoinPropertyTest.T0), 1.0));
    List<Row> got = lake.historicalFeatures(spark.createDataFrame(ents, SparkJoinPropertyTest.ENTITY_SCHEMA), "plain")
        .collectAsList();
    assertEquals(2, got.size());
    for (Row r : got) {
      assertTrue(r.isNullAt(4) && r.isNullAt(5), r.toString());
    }

    // NaN in a DOUBLE column is missing, as in process
    List<Row> nan = new ArrayList<>();
    for (Row r : rawRows(new Random(2), 20)) {
      nan.add(RowFactory.create(1L, SparkJoinPropertyTest.T0, Double.NaN, r.get(3), r.get(4), r.get(5), r.get(6)));
    }
    SparkFeatureStore withNan = SparkFeatureStore.builder(spark, TestSpark::registry)
        .dataset(raw(write(nan, RAW, tmp.resolve("nan"))).build()).build();
    Row one = withNan.historicalFeatures(spark.createDataFrame(ents, SparkJoinPropertyTest.ENTITY_SCHEMA), "plain")
        .filter("user_id = 1").first();
    assertTrue(one.isNullAt(4) && !one.isNullAt(5), "score missing, visits present: " + one);

    // entity key columns of another type than the lake's are refused on the driver, naming the column
    StructType stringKeys = DataTypes.createStructType(List.of(SparkJoinPropertyTest.ENTITY_SCHEMA.fields()[0],
        DataTypes.createStructField("user_id", DataTypes.StringType, false),
        SparkJoinPropertyTest.ENTITY_SCHEMA.fields()[2], SparkJoinPropertyTest.ENTITY_SCHEMA.fields()[3]));
    IllegalArgumentException typed = assertThrows(IllegalArgumentException.class, () -> lake.historicalFeatures(
        spark.createDataFrame(List.of(RowFactory.create(0L, "1", Instant.ofEpochMilli(SparkJoinPropertyTest.T0),
            1.0)), stringKeys), "plain"));
    assertTrue(typed.getMessage().contains("'user_id' is string"), typed.getMessage());

    // a Delta table's directory holds files the table deleted: refused
    Path delta = tmp.resolve("delta");
    Files.createDirectories(delta.resolve("_delta_log"));
    Files.copy(onlyFile(Path.of(empty)), delta.resolve("part-0.parquet"));
    LakeDatasetException d = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(delta.toString()).build()));
    assertTrue(d.getMessage().contains("Delta table"), d.getMessage());

    // overlapping paths would count rows twice
    LakeDatasetException twice = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(empty).path(onlyFile(Path.of(empty)).toUri().toString()).build()));
    assertTrue(twice.getMessage().contains("named twice"), twice.getMessage());

    // 32-bit times are not epoch milliseconds
    StructType int32 = DataTypes.createStructType(List.of(RAW.fields()[0],
        DataTypes.createStructField("ts_ms", DataTypes.IntegerType, false), RAW.fields()[2], RAW.fields()[3],
        RAW.fields()[4], RAW.fields()[5], RAW.fields()[6]));
    List<Row> secs = new ArrayList<>();
    for (Row r : rawRows(new Random(4), 3)) {
      secs.add(RowFactory.create(r.get(0), 1_700_000_000, r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)));
    }
    String seconds = write(secs, int32, tmp.resolve("seconds"));
    LakeDatasetException s32 = assertThrows(LakeDatasetException.class, () -> SparkFeatureStore.builder(spark,
        TestSpark::registry).dataset(raw(seconds).build()));
    assertEquals("ts_ms", s32.column());
  }

  /** The definitions, with another on-demand transform version inside Spark tasks (a stale executor jar). */
  static FeatureRegistry staleInTasks() {
    if (org.apache.spark.TaskContext.get() == null) {
      return TestSpark.registry();
    }
    FeatureRegistry r = TestSpark.registry();
    r.replace(org.sieveml.features.OnDemandFeatureView.builder("combo")
        .request(org.sieveml.core.FeatureSpec.of("boost", org.sieveml.core.FeatureType.DOUBLE))
        .input("profile", "score").input("txn", "amount_sum_2h")
        .output(org.sieveml.core.FeatureSpec.of("combo", org.sieveml.core.FeatureType.DOUBLE))
        .transform((in, out) -> { }, "v2").build());
    return r;
  }

  @Test
  void tasksWithOtherDefinitionsFailNamingTheView(@TempDir Path tmp) {
    SparkJoinPropertyTest.History h = new SparkJoinPropertyTest.History(new Random(8), 5, 50, 50);
    SparkFeatureStore lake = SparkJoinPropertyTest.exported(h, tmp, LakeFilesTest::staleInTasks).build();
    Exception e = assertThrows(Exception.class, () -> lake.historicalFeatures(spark.createDataFrame(
        SparkJoinPropertyTest.entityRows(new Random(1), h, 5), SparkJoinPropertyTest.ENTITY_SCHEMA), "all")
        .collectAsList());
    assertTrue(String.valueOf(e.getMessage()).contains("view 'combo' has version"), String.valueOf(e.getMessage()));
    h.store.close();
  }

  @Test
  void anImportWithABadValueChangesNothing(@TempDir Path tmp) {
    List<Row> rows = new ArrayList<>(rawRows(new Random(12), 500));
    Row r = rows.get(400);
    rows.set(400, RowFactory.create(r.get(0), r.get(1), Double.POSITIVE_INFINITY, r.get(3), r.get(4), r.get(5), r.get(6)));
    SparkFeatureStore lake = SparkFeatureStore.builder(spark, TestSpark::registry)
        .dataset(raw(write(rows, RAW, tmp.resolve("inf"))).build()).build();
    EmbeddedOfflineStore target = EmbeddedOfflineStore.inMemory();
    Exception e = assertThrows(Exception.class, () -> lake.importInto("profile", target));
    assertTrue(String.valueOf(e.getMessage()).contains("expected a finite number"), String.valueOf(e.getMessage()));
    assertEquals(0, target.storedRows(TestSpark.registry().view("profile")), "nothing was appended");
    target.close();
  }
}
