package org.sieveml.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import org.apache.spark.sql.functions;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampType;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.AggregationView;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRef;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.LogChunk;
import org.sieveml.features.MaterializationResult;
import org.sieveml.features.OfflineStore;
import org.sieveml.features.OnDemandFeatureView;
import org.sieveml.features.ViewDefinition;
import org.sieveml.features.Visibility;
import org.sieveml.spark.internal.Kernels;
import org.sieveml.spark.internal.ParquetCheck;
import org.sieveml.spark.internal.ParquetCheck.Kind;
import org.sieveml.spark.internal.ValueCodec;

/**
 * The feature store's offline side on Apache Spark, over Parquet datasets in a lake: the point-in-time
 * join (with windowed aggregations and on-demand views) and materialization as Spark jobs, with exactly
 * the in-process semantics, and the way in and out of the embedded offline store.
 *
 * <pre>{@code
 * SparkFeatureStore lake = SparkFeatureStore.builder(spark, MyFeatures::registry)
 *     .dataset(LakeDataset.builder("user_stats").path("s3a://lake/user_stats").eventTime("ts").build())
 *     .build();
 * Dataset<Row> training = lake.historicalFeatures(labels, "ranker_v3");   // distributed
 * lake.materialize("user_stats", from, to, System.currentTimeMillis(),
 *     OnlineStoreFactory.redis("redis://feature-cache:6379", "sieveml"));
 * }</pre>
 *
 * <p><b>How the join runs.</b> Entity rows and the feature rows of the service's views are
 * repartitioned by entity key with the same hash into the same number of partitions; each task then
 * runs the in-process kernel over its keys (an in-memory {@link EmbeddedOfflineStore} holding that
 * partition's feature rows, and {@link FeatureStore#getHistoricalFeatures}): event time {@code <= t},
 * within the TTL, equal event times to the later created time then the later ingestion order, one output
 * row per entity row, {@link Visibility#AS_SERVED} by default. Nothing is collected to the driver; a
 * task's memory holds its partition's feature rows (raise {@link Builder#partitions(int)} for larger
 * histories). A service's stored views must share one entity.
 *
 * <p>Definitions come from a {@link RegistrySource}, run on the driver and in every task; a task whose
 * definitions differ from the driver's fails naming the view. Thread-safe once built (Spark sessions
 * are). {@link #historicalFeatures} shuffles both sides when it is called (Spark's adaptive execution
 * plans the shuffles then); the join itself runs when the returned dataset is used.
 */
public final class SparkFeatureStore {

  /** The default name of the entity rows' timestamp column (as in Feast). */
  public static final String ENTITY_TIMESTAMP = "event_timestamp";
  /** Columns {@link #export} writes besides the join keys and fields. */
  public static final List<String> EXPORT_COLUMNS = List.of("event_time", "created_time", "ingestion_time",
      "sequence", "event_date");

  private final SparkSession spark;
  private final RegistrySource source;
  private final FeatureRegistry registry;
  private final Map<String, Registered> datasets;
  private final int partitions;
  private final String timestampColumn;

  /** A registered, checked dataset. */
  private record Registered(LakeDataset dataset, ViewDefinition view, FeatureSchema fields, Map<String, Kind> kinds,
      List<String> files) {}

  private SparkFeatureStore(Builder b) {
    this.spark = b.spark;
    this.source = b.source;
    this.registry = b.registry;
    this.datasets = Map.copyOf(b.datasets);
    this.partitions = b.partitions > 0 ? b.partitions : defaultPartitions(spark);
    this.timestampColumn = b.timestampColumn;
  }

  /** {@code spark.sql.shuffle.partitions} when it is a number (it may be {@code auto}), else the default parallelism. */
  private static int defaultPartitions(SparkSession spark) {
    String p = spark.conf().get("spark.sql.shuffle.partitions", "200");
    try {
      return Math.max(1, Integer.parseInt(p.trim()));
    } catch (NumberFormatException e) {
      return Math.max(1, spark.sparkContext().defaultParallelism());
    }
  }

  /**
   * Starts a store.
   *
   * @param spark the session
   * @param source builds the feature definitions (on the driver now, and in each task)
   * @return a builder
   */
  public static Builder builder(SparkSession spark, RegistrySource source) {
    if (spark == null || source == null) {
      throw new IllegalArgumentException("spark and source must not be null");
    }
    return new Builder(spark, source);
  }

  /**
   * The files of a registered dataset, as checked at registration.
   *
   * @param view the view
   * @return its files
   */
  public List<String> files(String view) {
    return registered(view).files;
  }

  // ---------------------------------------------------------------- join

  /**
   * Point-in-time-correct training data as serving could have seen it ({@link Visibility#AS_SERVED}).
   *
   * @param entityRows one row per example: the entity's join keys, the timestamp column ({@value
   *     #ENTITY_TIMESTAMP} unless {@link Builder#timestampColumn} says otherwise; a timestamp or epoch
   *     ms) and any other columns (passed through; on-demand request fields are read from them)
   * @param service the registered feature service
   * @return the entity rows' columns followed by the training frame's feature columns (null where
   *     missing; the frame's timestamp and request columns are the entity rows' own), one output row per
   *     entity row
   */
  public Dataset<Row> historicalFeatures(Dataset<Row> entityRows, String service) {
    return historicalFeatures(entityRows, service, Visibility.AS_SERVED);
  }

  /**
   * Point-in-time-correct training data.
   *
   * @param entityRows the entity rows (see {@link #historicalFeatures(Dataset, String)})
   * @param service the registered feature service
   * @param visibility which feature rows count
   * @return the entity rows' columns followed by the training frame's columns
   * @throws IllegalArgumentException naming the column or view when the rows or service do not fit
   */
  public Dataset<Row> historicalFeatures(Dataset<Row> entityRows, String service, Visibility visibility) {
    if (entityRows == null || visibility == null) {
      throw new IllegalArgumentException("entity rows and visibility must not be null");
    }
    FeatureService svc = registry.featureService(service);
    List<ViewDefinition> stored = new ArrayList<>();
    Map<String, FeatureSpec> request = new LinkedHashMap<>();
    Set<String> seen = new LinkedHashSet<>();
    for (FeatureService.Selection s : svc.selections()) {
      ViewDefinition v = registry.view(s.view());
      if (v instanceof OnDemandFeatureView od) {
        for (FeatureSpec r : od.requestSchema().specs()) {
          request.put(r.name(), r);
        }
        for (FeatureRef in : od.inputs()) {
          ViewDefinition iv = registry.view(in.view());
          if (!(iv instanceof OnDemandFeatureView) && seen.add(iv.name())) {
            stored.add(iv);
          }
        }
      } else if (seen.add(v.name())) {
        stored.add(v);
      }
    }
    if (stored.isEmpty()) {
      throw new IllegalArgumentException("feature service '" + service + "' reads no stored view");
    }
    List<String> joinKeys = stored.get(0).entity().joinKeys();
    for (ViewDefinition v : stored) {
      if (!v.entity().name().equals(stored.get(0).entity().name())) {
        throw new IllegalArgumentException("feature service '" + service + "' reads views of entities '"
            + stored.get(0).entity().name() + "' and '" + v.entity().name() + "'; on Spark a service's stored views "
            + "must share one entity (join one service per entity and combine the results)");
      }
    }
    boolean[] keyIsString = keyTypes(stored, joinKeys);
    StructType in = entityRows.schema();
    List<Column> cols = new ArrayList<>();
    for (String c : in.fieldNames()) {
      cols.add(col(quote(c)));
    }
    for (int k = 0; k < joinKeys.size(); k++) {
      String jk = joinKeys.get(k);
      if (!has(in, jk)) {
        throw new IllegalArgumentException("entity rows have no column '" + jk + "' (a join key of entity '"
            + stored.get(0).entity().name() + "'); they have " + List.of(in.fieldNames()));
      }
      DataType kt = in.apply(jk).dataType();
      boolean integral = kt instanceof LongType || kt instanceof IntegerType || kt instanceof ShortType
          || kt instanceof ByteType;
      if (keyIsString[k] ? !(kt instanceof StringType) : !integral) {
        throw new IllegalArgumentException("entity rows' column '" + jk + "' is " + kt.simpleString() + ", but the lake "
            + "holds join key '" + jk + "' as " + (keyIsString[k] ? "strings" : "integers") + "; cast it (a string key "
            + "never matches an integer one)");
      }
      cols.add(col(quote(jk)).cast(keyIsString[k] ? DataTypes.StringType : DataTypes.LongType).as("__k" + k));
    }
    if (!has(in, timestampColumn)) {
      throw new IllegalArgumentException("entity rows have no timestamp column '" + timestampColumn + "'; they have "
          + List.of(in.fieldNames()));
    }
    cols.add(millis(in.apply(timestampColumn).dataType(), timestampColumn, "entity rows").as("__ts"));
    String[] requestFields = request.keySet().toArray(new String[0]);
    int[] requestColumns = new int[requestFields.length];
    for (int q = 0; q < requestFields.length; q++) {
      if (!has(in, requestFields[q])) {
        throw new IllegalArgumentException("entity rows need a column '" + requestFields[q] + "' ("
            + request.get(requestFields[q]) + ") for the on-demand views of feature service '" + service + "'");
      }
      requestColumns[q] = in.fieldIndex(requestFields[q]);
    }
    Column[] keyCols = keyColumns(joinKeys.size());
    Dataset<Row> entities = entityRows.select(cols.toArray(new Column[0])).repartition(partitions, keyCols);
    List<ViewDefinition> onDemand = new ArrayList<>();
    for (FeatureService.Selection sel : svc.selections()) {
      if (registry.view(sel.view()) instanceof OnDemandFeatureView od) {
        onDemand.add(od);
      }
    }
    Kernels.Layout layout = layout(stored, joinKeys, keyIsString, onDemand);
    Dataset<Row> features = featureRows(stored, joinKeys, keyIsString).repartition(partitions, keyCols);

    // the in-process frame: the timestamp, the request (extra) columns, then the features
    FeatureSchema frame = outputSchema(svc, request);
    int skip = 1 + request.size();
    FeatureSchema out = FeatureSchema.of(frame.specs().subList(skip, frame.size()));
    List<StructField> fields = new ArrayList<>(List.of(in.fields()));
    for (FeatureSpec s : out.specs()) {
      if (has(in, s.name())) {
        throw new IllegalArgumentException("entity rows have a column '" + s.name() + "', a feature the service '"
            + service + "' returns; rename it (training frame: " + out.names() + ")");
      }
      fields.add(DataTypes.createStructField(s.name(), sparkType(s), true));
    }
    String[] expected = new String[frame.size()];
    for (int c = 0; c < expected.length; c++) {
      expected[c] = frame.get(c).toString();
    }
    String[] requestTypes = new String[requestFields.length];
    for (int q = 0; q < requestTypes.length; q++) {
      requestTypes[q] = request.get(requestFields[q]).toString();
    }
    JavaRDD<Row> joined = entities.javaRDD().zipPartitions(features.javaRDD(), new Kernels.Join(source, layout,
        service, visibility, in.size(), requestFields, requestColumns, expected, requestTypes));
    return spark.createDataFrame(joined, DataTypes.createStructType(fields));
  }

  /** The training frame's schema: the in-process join of no rows. */
  private FeatureSchema outputSchema(FeatureService svc, Map<String, FeatureSpec> request) {
    FeatureFrame extra = null;
    if (!request.isEmpty()) {
      FeatureFrame.ColumnBuilder b = FeatureFrame.builder(0);
      for (FeatureSpec s : request.values()) {
        switch (s.type()) {
          case DOUBLE:
            b.addDouble(s.name(), new double[0]);
            break;
          case LONG:
            b.addLong(s.name(), new long[0], new java.util.BitSet());
            break;
          case BOOLEAN:
            b.addBoolean(s.name(), new boolean[0], new java.util.BitSet());
            break;
          case STRING:
            b.addString(s.name(), new String[0]);
            break;
          default:
            b.addEmbedding(s.name(), s.dimension(), new float[0][]);
        }
      }
      extra = b.build();
    }
    try (FeatureStore empty = FeatureStore.builder(registry).build()) {
      return empty.getHistoricalFeatures(EntityRows.of(List.of(), new long[0], extra), svc).frame().schema();
    }
  }

  // ---------------------------------------------------------------- materialization

  /**
   * Materializes a view into an online store as a Spark job, partition by partition, with the
   * in-process rule of {@link FeatureStore#materialize}: a feature view writes the latest row per key
   * with an event in {@code [from, to)}; an aggregation view rebuilds the tiles of every key with an event
   * there. Each task opens its store from {@code online}.
   *
   * @param view the view
   * @param fromMillis start, inclusive
   * @param toMillis end, exclusive
   * @param nowMillis the run's clock (rows ingested later wait; retention and the future tolerance count
   *     from it)
   * @param online opens the online store in each task
   * @return the totals over all tasks
   */
  public MaterializationResult materialize(String view, long fromMillis, long toMillis, long nowMillis,
      OnlineStoreFactory online) {
    if (online == null) {
      throw new IllegalArgumentException("online store factory must not be null");
    }
    if (toMillis <= fromMillis) {
      throw new IllegalArgumentException("materialization range of view '" + view + "' must be non-empty, was ["
          + fromMillis + ", " + toMillis + ")");
    }
    ViewDefinition v = registered(view).view;
    Dataset<Row> features = featureRows(v).repartition(partitions, keyColumns(v.entity().joinKeys().size()));
    StructType counts = DataTypes.createStructType(List.of(
        DataTypes.createStructField("scanned", DataTypes.LongType, false),
        DataTypes.createStructField("written", DataTypes.LongType, false),
        DataTypes.createStructField("applied", DataTypes.LongType, false)));
    Row total = features.mapPartitions(new Kernels.Materialize(source, layout(v), online, view, fromMillis, toMillis,
        nowMillis), Encoders.row(counts))
        .agg(expr("sum(scanned)"), expr("sum(written)"), expr("sum(applied)")).first();
    return new MaterializationResult(view, fromMillis, toMillis, total.isNullAt(0) ? 0 : total.getLong(0),
        total.isNullAt(1) ? 0 : total.getLong(1), total.isNullAt(2) ? 0 : total.getLong(2));
  }

  // ---------------------------------------------------------------- in and out of the embedded store

  /**
   * Writes a view's whole history from an offline store (e.g. the embedded one) to a new Parquet
   * dataset partitioned by event date ({@code event_date=YYYY-MM-DD}, UTC): the join keys, the fields,
   * {@code event_time}, {@code created_time}, {@code ingestion_time} (timestamps, UTC),
   * {@code sequence} and {@code event_date}. Rows are streamed from the store in chunks; the dataset is
   * written by this one writer and must not exist yet.
   *
   * @param spark the session
   * @param from the store
   * @param view the view
   * @param path the new dataset's directory
   * @return the dataset, ready to register
   * @throws IllegalArgumentException if the path exists, or a field is named like a written column
   */
  public static LakeDataset export(SparkSession spark, OfflineStore from, ViewDefinition view, String path) {
    FeatureSchema fields = storedSchema(view);
    List<String> joinKeys = view.entity().joinKeys();
    for (String c : EXPORT_COLUMNS) {
      if (fields.indexOf(c) >= 0 || joinKeys.contains(c)) {
        throw new IllegalArgumentException("view '" + view.name() + "' has a field or join key named '" + c
            + "', a column the export writes; expected none of " + EXPORT_COLUMNS);
      }
    }
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(path);
    try {
      if (target.getFileSystem(spark.sessionState().newHadoopConf()).exists(target)) {
        throw new IllegalArgumentException("export target " + path + " exists; expected a new directory (one writer "
            + "per dataset)");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot check the export target " + path + ": " + e.getMessage(), e);
    }
    List<Row> buffer = new ArrayList<>();
    StructType[] schema = {null};
    boolean[] written = {false};
    from.scan(view, 0, EventBatch.MAX_TIME + 1, -1, chunk -> {
      if (schema[0] == null && chunk.size() > 0) {
        schema[0] = exportSchema(fields, chunk.key(0), joinKeys);
      }
      for (int r = 0; r < chunk.size(); r++) {
        buffer.add(exportRow(chunk, r, fields, joinKeys));
      }
      if (buffer.size() >= 100_000) {
        writeExport(spark, buffer, schema[0], path, written);
      }
    });
    if (schema[0] == null) {
      schema[0] = exportSchema(fields, null, joinKeys);
    }
    writeExport(spark, buffer, schema[0], path, written);
    LakeDataset.Builder b = LakeDataset.builder(view.name()).path(path).eventTime("event_time")
        .createdTime("created_time").ingestionTime("ingestion_time").sequence("sequence");
    return b.build();
  }

  private static void writeExport(SparkSession spark, List<Row> rows, StructType schema, String path,
      boolean[] written) {
    if (rows.isEmpty() && written[0]) {
      return;
    }
    // one task per event date: one file per date and chunk, not one per date and slice of the chunk
    spark.createDataFrame(rows, schema).repartition(col("event_date")).write()
        .mode(written[0] ? SaveMode.Append : SaveMode.ErrorIfExists).partitionBy("event_date").parquet(path);
    written[0] = true;
    rows.clear();
  }

  private static StructType exportSchema(FeatureSchema fields, EntityKey sample, List<String> joinKeys) {
    List<StructField> f = new ArrayList<>();
    for (int k = 0; k < joinKeys.size(); k++) {
      boolean string = sample != null && sample.value(joinKeys.get(k)) instanceof String;
      f.add(DataTypes.createStructField(joinKeys.get(k), string ? DataTypes.StringType : DataTypes.LongType, false));
    }
    for (FeatureSpec s : fields.specs()) {
      f.add(DataTypes.createStructField(s.name(), sparkType(s), true));
    }
    f.add(DataTypes.createStructField("event_time", DataTypes.TimestampType, false));
    f.add(DataTypes.createStructField("created_time", DataTypes.TimestampType, false));
    f.add(DataTypes.createStructField("ingestion_time", DataTypes.TimestampType, false));
    f.add(DataTypes.createStructField("sequence", DataTypes.LongType, false));
    f.add(DataTypes.createStructField("event_date", DataTypes.StringType, false));
    return DataTypes.createStructType(f);
  }

  private static Row exportRow(LogChunk c, int r, FeatureSchema fields, List<String> joinKeys) {
    Object[] v = new Object[joinKeys.size() + fields.size() + 5];
    EntityKey key = c.key(r);
    int i = 0;
    for (String k : joinKeys) {
      v[i++] = key.value(k);
    }
    for (int f = 0; f < fields.size(); f++) {
      v[i++] = Kernels.value(c.values(), r, f);
    }
    v[i++] = java.time.Instant.ofEpochMilli(c.eventTime(r));
    v[i++] = java.time.Instant.ofEpochMilli(c.createdTime(r));
    v[i++] = java.time.Instant.ofEpochMilli(c.ingestionTime(r));
    v[i++] = c.sequence(r);
    v[i] = java.time.Instant.ofEpochMilli(c.eventTime(r)).atZone(java.time.ZoneOffset.UTC).toLocalDate().toString();
    return RowFactory.create(v);
  }

  /**
   * Appends a registered dataset's rows to an offline store (e.g. the embedded one), in the dataset's
   * ingestion order, each with its own event, created and ingestion time. Every row group is verified
   * first ({@link #verify}) and every value encoded and every row's times checked by a Spark job, so a
   * damaged file or a bad value changes nothing in the store. Rows then stream through the driver
   * partition by partition (the target is one machine's store).
   *
   * @param view the registered view
   * @param to the store
   * @return the number of rows appended
   */
  public long importInto(String view, OfflineStore to) {
    verify(view); // a damaged row group fails here, before the first row reaches the store
    ViewDefinition v = registered(view).view;
    Dataset<Row> all = featureRows(v);
    // every value is encoded (and checked) and every row's times are present before the first append: a
    // bad value or a missing time fails here, as a Spark job, and the store is unchanged
    long missing = all.filter(col("__event").isNull().or(col("__created").isNull()).or(col("__o1").isNull())).count();
    if (missing > 0) {
      throw new LakeDatasetException(registered(view).dataset.paths().toString(), null, missing + " rows have no event "
          + "time, created time or sequence; nothing was imported", null);
    }
    Iterator<Row> rows = all.orderBy(col("__o1"), col("__o2"), col("__o3")).toLocalIterator();
    return layout(v).loadSorted(registry, to, rows); // streamed: the dataset may not fit the driver
  }

  /**
   * Decodes every row group of every file of a registered dataset, as a Spark job over the files
   * (only the row counts come back to the driver).
   *
   * @param view the registered view
   * @return the number of rows in the dataset
   * @throws LakeDatasetException naming the file and the first row group that does not decode
   */
  public long verify(String view) {
    Registered r = registered(view);
    Map<String, String> conf = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : spark.sessionState().newHadoopConf()) {
      conf.put(e.getKey(), e.getValue());
    }
    VerifyFile check = new VerifyFile(conf);
    try {
      return spark.createDataset(r.files, Encoders.STRING()).repartition(Math.min(r.files.size(), partitions))
          .map(check, Encoders.LONG()).reduce((org.apache.spark.api.java.function.ReduceFunction<Long>) Long::sum);
    } catch (Exception e) { // SparkException is a checked exception Scala throws undeclared; rethrown as is
      LakeDatasetException l = find(e, 0);
      if (l != null) {
        throw l; // the task's own exception, naming file and row group
      }
      throw e;
    }
  }

  /** The lake exception among a failure's causes and suppressed exceptions, or null. */
  private static LakeDatasetException find(Throwable t, int depth) {
    if (t == null || depth > 20) {
      return null;
    }
    if (t instanceof LakeDatasetException l) {
      return l;
    }
    LakeDatasetException l = find(t.getCause(), depth + 1);
    for (Throwable s : t.getSuppressed()) {
      l = l != null ? l : find(s, depth + 1);
    }
    return l;
  }

  /** Verifies one file in a task, with the driver's Hadoop settings. */
  private static final class VerifyFile implements org.apache.spark.api.java.function.MapFunction<String, Long> {
    private static final long serialVersionUID = 1L;
    private final Map<String, String> conf;

    VerifyFile(Map<String, String> conf) {
      this.conf = new java.util.HashMap<>(conf);
    }

    @Override
    public Long call(String file) {
      Configuration c = new Configuration(false);
      conf.forEach(c::set);
      return ParquetCheck.verifyRowGroups(file, c);
    }
  }

  // ---------------------------------------------------------------- the offline-store contract

  /**
   * The lake as the offline side of an in-process {@link FeatureStore}
   * ({@code FeatureStore.builder(registry).offlineStore(lake.offlineStore())}): its join and window
   * reads run as Spark jobs over the registered datasets, and its scans (which the feature store's
   * {@code materialize} and {@code materializeIncremental} use) stream the rows through the driver in
   * sequence order. The contract returns in-memory results, so these results come back to the driver:
   * for training data larger than the driver, use {@link #historicalFeatures} (a DataFrame) instead.
   *
   * <p>The lake is written by its own pipelines (or {@link #export}): {@code append}, {@code erase} and
   * {@code drop} are refused with an {@link UnsupportedOperationException} saying so — erasure in a lake
   * is the table format's business (a Delta or Iceberg {@code DELETE}). {@code scan} and {@code
   * nextSequence} need a sequence column. Thread-safe.
   *
   * @return the store; closing it does nothing (the Spark session is the host's)
   */
  public OfflineStore offlineStore() {
    return new LakeOffline();
  }

  /** See {@link #offlineStore()}. */
  private final class LakeOffline implements OfflineStore {

    @Override
    public long append(ViewDefinition view, EventBatch batch, long ingestedAt) {
      throw new UnsupportedOperationException("view '" + view.name() + "': the lake is written by its own pipelines "
          + "(or SparkFeatureStore.export), not through the feature store; push to an embedded offline store instead");
    }

    @Override
    public org.sieveml.features.JoinedRows join(org.sieveml.features.FeatureView view, EntityRows rows,
        List<String> features, Visibility visibility) {
      FeatureSchema schema = view.schema();
      List<FeatureSpec> specs = new ArrayList<>();
      for (String f : features) {
        specs.add(schema.get(schema.indexOf(f)));
      }
      List<Row> got = spi(view, rows, features.toArray(new String[0]), visibility, false);
      int n = rows.size();
      java.util.BitSet matched = new java.util.BitSet(n);
      FeatureSchema out = FeatureSchema.of(specs);
      FeatureVector[] vectors = new FeatureVector[n];
      java.util.Arrays.fill(vectors, FeatureVector.builder(out).build()); // rows no task answered: unmatched
      for (Row r : got) {
        int i = (int) r.getLong(0);
        if (r.getBoolean(1)) {
          matched.set(i);
        }
        FeatureVector.Builder b = FeatureVector.builder(out);
        for (int c = 0; c < specs.size(); c++) {
          if (!r.isNullAt(2 + c)) {
            Object v = r.get(2 + c);
            if (specs.get(c).type() == org.sieveml.core.FeatureType.EMBEDDING) {
              List<Object> l = r.getList(2 + c);
              float[] e = new float[l.size()];
              for (int k = 0; k < e.length; k++) {
                e[k] = ((Number) l.get(k)).floatValue();
              }
              v = e;
            }
            b.set(specs.get(c).name(), v);
          }
        }
        vectors[i] = b.build();
      }
      FeatureFrame.RowBuilder fb = FeatureFrame.rowBuilder(out);
      for (FeatureVector v : vectors) {
        fb.add(v);
      }
      return new org.sieveml.features.JoinedRows(fb.build(), matched);
    }

    @Override
    public double[][] windows(AggregationView view, EntityRows rows, Visibility visibility) {
      List<Row> got = spi(view, rows, new String[0], visibility, true);
      int nf = view.schema().size();
      double[][] out = new double[nf][rows.size()];
      for (double[] column : out) {
        java.util.Arrays.fill(column, Double.NaN); // rows no task answered: missing
      }
      for (Row r : got) {
        int i = (int) r.getLong(0);
        for (int f = 0; f < nf; f++) {
          out[f][i] = r.getDouble(2 + f);
        }
      }
      return out;
    }

    private List<Row> spi(ViewDefinition v, EntityRows rows, String[] features, Visibility visibility,
        boolean windows) {
      List<String> joinKeys = v.entity().joinKeys();
      boolean[] keyIsString = keyTypes(List.of(v), joinKeys);
      List<StructField> f = new ArrayList<>();
      f.add(DataTypes.createStructField("__rid", DataTypes.LongType, false));
      for (int k = 0; k < joinKeys.size(); k++) {
        f.add(DataTypes.createStructField("__k" + k, keyIsString[k] ? DataTypes.StringType : DataTypes.LongType,
            false));
      }
      f.add(DataTypes.createStructField("__ts", DataTypes.LongType, false));
      List<Row> local = new ArrayList<>(rows.size());
      rowLoop:
      for (int i = 0; i < rows.size(); i++) {
        Object[] r = new Object[joinKeys.size() + 2];
        r[0] = (long) i;
        if (rows.hasLongKeys()) {
          if (joinKeys.size() != 1 || keyIsString[0]) {
            continue; // an integer key never matches string or composite keys: unmatched, as in process
          }
          r[1] = rows.longKey(i);
        } else {
          EntityKey key = rows.key(i);
          for (int k = 0; k < joinKeys.size(); k++) {
            Object kv = key.value(joinKeys.get(k));
            if (kv == null || (kv instanceof String) != keyIsString[k]) {
              continue rowLoop; // a key of another type never matches: unmatched, as in process
            }
            r[1 + k] = kv;
          }
        }
        r[joinKeys.size() + 1] = rows.timestamp(i);
        local.add(RowFactory.create(r));
      }
      Column[] keyCols = keyColumns(joinKeys.size());
      Dataset<Row> entities = spark.createDataFrame(local, DataTypes.createStructType(f))
          .repartition(partitions, keyCols);
      Dataset<Row> feats = featureRows(v).repartition(partitions, keyCols);
      List<StructField> of = new ArrayList<>();
      of.add(DataTypes.createStructField("__rid", DataTypes.LongType, false));
      of.add(DataTypes.createStructField("__matched", DataTypes.BooleanType, false));
      if (windows) {
        for (FeatureSpec s : v.schema().specs()) {
          of.add(DataTypes.createStructField(s.name(), DataTypes.DoubleType, false));
        }
      } else {
        for (String name : features) {
          of.add(DataTypes.createStructField(name, sparkType(v.schema().get(v.schema().indexOf(name))), true));
        }
      }
      JavaRDD<Row> out = entities.javaRDD().zipPartitions(feats.javaRDD(), new Kernels.Spi(source,
          layout(v), v.name(), features, visibility, windows));
      return spark.createDataFrame(out, DataTypes.createStructType(of)).collectAsList();
    }

    @Override
    public void scan(ViewDefinition view, long fromEventTime, long toEventTime, long afterSequence,
        java.util.function.Consumer<LogChunk> sink) {
      Registered r = sequenced(view);
      Iterator<Row> rows = featureRows(view)
          .filter(col("__event").geq(fromEventTime).and(col("__event").lt(toEventTime))
              .and(col("__o1").gt(afterSequence)))
          .orderBy(col("__o1")).toLocalIterator();
      layout(view).chunks(r.fields, rows, 4_096, sink);
    }

    @Override
    public long erase(ViewDefinition view, EntityKey key) {
      throw new UnsupportedOperationException("view '" + view.name() + "': erasure in a lake is the table format's "
          + "(e.g. a Delta or Iceberg DELETE), not the feature store's");
    }

    @Override
    public long nextSequence(ViewDefinition view) {
      Registered r = sequenced(view);
      Row max = spark.read().parquet(r.files.toArray(new String[0]))
          .agg(org.apache.spark.sql.functions.max(col(quote(r.dataset.sequence())))).first();
      return max.isNullAt(0) ? 0 : ((Number) max.get(0)).longValue() + 1;
    }

    @Override
    public void drop(String view) {
      throw new UnsupportedOperationException("view '" + view + "': the lake's datasets are not the feature "
          + "store's to drop");
    }

    @Override
    public void close() {
      // the Spark session is the host's
    }

    private Registered sequenced(ViewDefinition view) {
      Registered r = registered(view.name());
      if (r.dataset.sequence() == null) {
        throw new UnsupportedOperationException("view '" + view.name() + "': the dataset has no sequence column, "
            + "which scans (materialization) follow; map one with LakeDataset.Builder.sequence");
      }
      return r;
    }
  }

  // ---------------------------------------------------------------- internals

  private Registered registered(String view) {
    Registered r = datasets.get(view);
    if (r == null) {
      throw new IllegalArgumentException("view '" + view + "' has no registered dataset; registered: "
          + datasets.keySet());
    }
    return r;
  }

  /** Per join key, whether every dataset of these views holds it as strings (else integers). */
  private boolean[] keyTypes(List<ViewDefinition> views, List<String> joinKeys) {
    boolean[] isString = new boolean[joinKeys.size()];
    for (int k = 0; k < joinKeys.size(); k++) {
      Kind first = null;
      for (ViewDefinition v : views) {
        Registered r = registered(v.name());
        Kind kind = r.kinds.get(r.dataset.keyColumn(joinKeys.get(k)));
        if (first != null && kind != first) {
          throw new IllegalArgumentException("join key '" + joinKeys.get(k) + "' is " + kind + " in the dataset of "
              + v.name() + " but " + first + " in another view's dataset");
        }
        first = kind;
      }
      isString[k] = first == Kind.STRING;
    }
    return isString;
  }

  private Kernels.Layout layout(List<ViewDefinition> views, List<String> joinKeys, boolean[] keyIsString) {
    return layout(views, joinKeys, keyIsString, List.of());
  }

  /** A layout whose tasks also check the versions of {@code alsoChecked} (e.g. on-demand views). */
  private Kernels.Layout layout(List<ViewDefinition> views, List<String> joinKeys, boolean[] keyIsString,
      List<ViewDefinition> alsoChecked) {
    String[] names = new String[views.size()];
    Map<String, String> versions = new LinkedHashMap<>();
    for (ViewDefinition v : alsoChecked) {
      versions.put(v.name(), v.version());
    }
    boolean[] ingestion = new boolean[views.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = views.get(i).name();
      versions.put(names[i], views.get(i).version());
      ingestion[i] = registered(names[i]).dataset.ingestionTime() != null;
    }
    return new Kernels.Layout(joinKeys, keyIsString, names, versions, ingestion);
  }

  /** One view's feature rows in the shuffled layout, keyed as its datasets hold the keys. */
  private Dataset<Row> featureRows(ViewDefinition v) {
    List<String> joinKeys = v.entity().joinKeys();
    return featureRows(List.of(v), joinKeys, keyTypes(List.of(v), joinKeys));
  }

  /** One view's layout, keyed as its datasets hold the keys. */
  private Kernels.Layout layout(ViewDefinition v) {
    List<String> joinKeys = v.entity().joinKeys();
    return layout(List.of(v), joinKeys, keyTypes(List.of(v), joinKeys));
  }

  /** The feature rows of the views in the shuffled layout (see {@link Kernels}). */
  private Dataset<Row> featureRows(List<ViewDefinition> views, List<String> joinKeys, boolean[] keyIsString) {
    Dataset<Row> all = null;
    StructType layout = null;
    for (int i = 0; i < views.size(); i++) {
      Registered r = registered(views.get(i).name());
      LakeDataset ds = r.dataset;
      Dataset<Row> raw = spark.read().parquet(r.files.toArray(new String[0]));
      StructType rs = raw.schema();
      List<Column> cols = new ArrayList<>();
      cols.add(lit(i).as("__view"));
      for (int k = 0; k < joinKeys.size(); k++) {
        cols.add(col(quote(ds.keyColumn(joinKeys.get(k)))).cast(keyIsString[k] ? DataTypes.StringType
            : DataTypes.LongType).as("__k" + k));
      }
      Column event = millis(rs.apply(ds.eventTime()).dataType(), ds.eventTime(), r.files.get(0));
      Column created = ds.createdTime() == null ? event
          : millis(rs.apply(ds.createdTime()).dataType(), ds.createdTime(), r.files.get(0));
      Column ingested = ds.ingestionTime() == null ? lit(null).cast(DataTypes.LongType)
          : millis(rs.apply(ds.ingestionTime()).dataType(), ds.ingestionTime(), r.files.get(0));
      cols.add(event.as("__event"));
      cols.add(created.as("__created"));
      cols.add(ingested.as("__ingested"));
      // ingestion order: the sequence, else the ingestion time (the created time where it is null); then
      // file and row position, so that equal keys still order the same way in every run
      cols.add((ds.sequence() != null ? col(quote(ds.sequence())).cast(DataTypes.LongType)
          : functions.coalesce(ingested, created)).as("__o1"));
      cols.add(col("_metadata.file_path").as("__o2"));
      cols.add(col("_metadata.row_index").cast(DataTypes.LongType).as("__o3"));
      int first = cols.size();
      for (FeatureSpec f : r.fields.specs()) {
        cols.add(col(quote(ds.fieldColumn(f.name()))).as("__f_" + f.name()));
      }
      Dataset<Row> picked = raw.select(cols.toArray(new Column[0]));
      List<StructField> lf = new ArrayList<>(List.of(picked.schema().fields()).subList(0, first));
      lf.add(DataTypes.createStructField("__values", DataTypes.BinaryType, false));
      layout = DataTypes.createStructType(lf);
      Dataset<Row> encoded = picked.mapPartitions(new Encode(r.fields, first, views.get(i).name()),
          Encoders.row(layout));
      all = all == null ? encoded : all.union(encoded);
    }
    return all;
  }

  /** Packs a picked row's field columns into the values column. */
  private static final class Encode implements org.apache.spark.api.java.function.MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String[] names;
    private final org.sieveml.core.FeatureType[] types;
    private final int[] dims;
    private final int first;
    private final String view;

    Encode(FeatureSchema fields, int first, String view) {
      int n = fields.size();
      this.names = new String[n];
      this.types = new org.sieveml.core.FeatureType[n];
      this.dims = new int[n];
      for (int f = 0; f < n; f++) {
        names[f] = fields.get(f).name();
        types[f] = fields.get(f).type();
        dims[f] = fields.get(f).dimension();
      }
      this.first = first;
      this.view = view;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      List<FeatureSpec> specs = new ArrayList<>();
      for (int f = 0; f < names.length; f++) {
        specs.add(types[f] == org.sieveml.core.FeatureType.EMBEDDING ? FeatureSpec.embedding(names[f], dims[f])
            : FeatureSpec.of(names[f], types[f]));
      }
      FeatureSchema fields = FeatureSchema.of(specs);
      int[] at = new int[fields.size()];
      for (int f = 0; f < at.length; f++) {
        at[f] = first + f;
      }
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return rows.hasNext();
        }

        @Override
        public Row next() {
          Row r = rows.next();
          Object[] v = new Object[first + 1];
          for (int c = 0; c < first; c++) {
            v[c] = r.get(c);
          }
          v[first] = ValueCodec.encode(fields, r, at, view);
          return RowFactory.create(v);
        }
      };
    }
  }

  private static Column[] keyColumns(int n) {
    Column[] c = new Column[n];
    for (int k = 0; k < n; k++) {
      c[k] = col("__k" + k);
    }
    return c;
  }

  /** Epoch milliseconds of a timestamp or integer column. */
  private static Column millis(DataType t, String column, String where) {
    if (t instanceof TimestampType) {
      return expr("unix_millis(" + quote(column) + ")");
    }
    if (t instanceof LongType || t instanceof IntegerType) {
      return col(quote(column)).cast(DataTypes.LongType);
    }
    throw new IllegalArgumentException(where + ": column '" + column + "' is " + t.simpleString()
        + ", expected a timestamp or epoch milliseconds (bigint)");
  }

  private static boolean has(StructType s, String name) {
    for (String f : s.fieldNames()) {
      if (f.equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  static DataType sparkType(FeatureSpec s) {
    switch (s.type()) {
      case DOUBLE:
        return DataTypes.DoubleType;
      case LONG:
        return DataTypes.LongType;
      case BOOLEAN:
        return DataTypes.BooleanType;
      case STRING:
        return DataTypes.StringType;
      default:
        return new ArrayType(DataTypes.FloatType, false);
    }
  }

  static FeatureSchema storedSchema(ViewDefinition v) {
    if (v instanceof OnDemandFeatureView) {
      throw new IllegalArgumentException("view '" + v.name() + "' is an on-demand view: it has no stored data");
    }
    return v instanceof AggregationView a ? a.inputSchema() : v.schema();
  }

  /** Builds a {@link SparkFeatureStore}. Not thread-safe. */
  public static final class Builder {
    private final SparkSession spark;
    private final RegistrySource source;
    private final FeatureRegistry registry;
    private final Map<String, Registered> datasets = new LinkedHashMap<>();
    private int partitions;
    private String timestampColumn = ENTITY_TIMESTAMP;

    private Builder(SparkSession spark, RegistrySource source) {
      this.spark = spark;
      this.source = source;
      this.registry = source.get();
    }

    /**
     * Registers a view's dataset, checking every file's footer now: a missing path, a corrupt footer, a
     * missing mapped column or one of a type the view cannot read is refused naming file and column.
     *
     * @param dataset the dataset
     * @return this builder
     * @throws LakeDatasetException naming the file and column
     * @throws IllegalArgumentException if the view is unknown or on-demand
     */
    public Builder dataset(LakeDataset dataset) {
      ViewDefinition v = registry.view(dataset.view());
      FeatureSchema fields = storedSchema(v);
      Configuration conf = spark.sessionState().newHadoopConf();
      List<String> files = ParquetCheck.files(dataset, conf);
      Map<String, Kind> kinds = ParquetCheck.check(dataset, v.entity().joinKeys(), fields, files, conf);
      datasets.put(v.name(), new Registered(dataset, v, fields, kinds, files));
      return this;
    }

    /**
     * How many partitions the join and materialization shuffle into (default
     * {@code spark.sql.shuffle.partitions}). Each task holds one partition's feature rows.
     *
     * @param partitions a positive count
     * @return this builder
     */
    public Builder partitions(int partitions) {
      if (partitions <= 0) {
        throw new IllegalArgumentException("partitions was " + partitions + ", expected a positive count");
      }
      this.partitions = partitions;
      return this;
    }

    /**
     * The entity rows' timestamp column (default {@value SparkFeatureStore#ENTITY_TIMESTAMP}).
     *
     * @param column its name
     * @return this builder
     */
    public Builder timestampColumn(String column) {
      if (column == null || column.isEmpty()) {
        throw new IllegalArgumentException("timestamp column was '" + column + "', expected a name");
      }
      this.timestampColumn = column;
      return this;
    }

    /**
     * Builds the store.
     *
     * @return the store
     */
    public SparkFeatureStore build() {
      return new SparkFeatureStore(this);
    }
  }
}
