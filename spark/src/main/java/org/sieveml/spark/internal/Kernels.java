package org.sieveml.spark.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapFunction2;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.features.AggregationView;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.MaterializationResult;
import org.sieveml.features.OfflineStore;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.TrainingData;
import org.sieveml.features.ViewDefinition;
import org.sieveml.features.Visibility;
import org.sieveml.spark.OnlineStoreFactory;
import org.sieveml.spark.RegistrySource;

/**
 * What runs inside Spark tasks: each partition holds every feature row of the entity keys hashed to
 * it, so the in-process kernel (an in-memory {@link EmbeddedOfflineStore} and a {@link FeatureStore}
 * over it, built in the task from the {@link RegistrySource}) gives exactly the in-process answer for
 * those keys. Everything here is serializable configuration; nothing refers to driver-side objects.
 *
 * <p>Feature rows arrive in the shared layout {@link #FEATURE_COLUMNS}: view index, the key columns,
 * event / created / ingestion time (epoch ms), three ordering columns, the encoded values.
 */
public final class Kernels {

  /** Columns of a feature row after the key columns. */
  public static final int FEATURE_COLUMNS = 7;
  /** Rows appended to the task's store per batch, at most. */
  static final int BATCH = 65_536;

  private Kernels() {}

  /** Where the key and time columns of the shuffled rows are, and how to turn them into keys. */
  public static final class Layout implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final List<String> joinKeys;
    final boolean[] keyIsString;
    final String[] views;
    final Map<String, String> versions;
    final boolean[] hasIngestion;

    /**
     * A layout.
     *
     * @param joinKeys the entity's join keys, in key column order
     * @param keyIsString per join key, whether it holds strings (else longs)
     * @param views the views, by view index
     * @param versions each view's definition version on the driver
     * @param hasIngestion per view index, whether rows carry an ingestion time column
     */
    public Layout(List<String> joinKeys, boolean[] keyIsString, String[] views, Map<String, String> versions,
        boolean[] hasIngestion) {
      this.joinKeys = List.copyOf(joinKeys);
      this.keyIsString = keyIsString.clone();
      this.views = views.clone();
      this.versions = Map.copyOf(versions);
      this.hasIngestion = hasIngestion.clone();
    }

    EntityKey key(Row r, int first) {
      for (int k = 0; k < joinKeys.size(); k++) {
        if (r.isNullAt(first + k)) {
          throw new IllegalArgumentException((r.length() > first + joinKeys.size() + 2 && !r.isNullAt(0)
              && r.get(0) instanceof Integer v && v >= 0 && v < views.length ? "view '" + views[v] + "': a lake row"
              : "an entity row") + " has a null value for join key '" + joinKeys.get(k) + "': " + r);
        }
      }
      if (joinKeys.size() == 1) {
        return keyIsString[0] ? EntityKey.of(joinKeys.get(0), r.getString(first))
            : EntityKey.of(joinKeys.get(0), r.getLong(first));
      }
      EntityKey.Builder b = EntityKey.builder();
      for (int k = 0; k < joinKeys.size(); k++) {
        b.put(joinKeys.get(k), keyIsString[k] ? r.getString(first + k) : (Object) r.getLong(first + k));
      }
      return b.build();
    }

    /** The task's registry, checked against the driver's definitions. */
    FeatureRegistry registry(RegistrySource source) {
      FeatureRegistry reg = source.get();
      for (Map.Entry<String, String> e : versions.entrySet()) {
        String have = reg.view(e.getKey()).version();
        if (!have.equals(e.getValue())) {
          throw new IllegalStateException("view '" + e.getKey() + "' has version " + have + " in this task but "
              + e.getValue() + " on the driver: the RegistrySource builds other definitions here (an older "
              + "application jar on the executors?)");
        }
      }
      return reg;
    }

    /**
     * Appends feature rows in the shuffled layout (sorted by view, then ingestion order) to a store,
     * each batch with its rows' ingestion time.
     *
     * @param reg the definitions
     * @param store the store
     * @param rows the rows
     * @return the number of rows appended
     */
    public long load(FeatureRegistry reg, OfflineStore store, Iterator<Row> unsorted) {
      int nk = joinKeys.size();
      // sorted here, not by the plan: a sort over an empty shuffle can be planned with no partitions at
      // all, and zipPartitions needs both sides to have the same number
      List<Row> all = new ArrayList<>();
      while (unsorted.hasNext()) {
        Row r = unsorted.next();
        check(r);
        all.add(r);
      }
      all.sort(java.util.Comparator.<Row>comparingInt(r -> r.getInt(0)).thenComparingLong(r -> r.getLong(nk + 4))
          .thenComparing(r -> r.getString(nk + 5)).thenComparingLong(r -> r.getLong(nk + 6)));
      return loadSorted(reg, store, all.iterator());
    }

    /** Refuses a row without event time, created time or ingestion order, naming its file and row. */
    void check(Row r) {
      int nk = joinKeys.size();
      for (int c : new int[] {nk + 1, nk + 2, nk + 4}) {
        if (r.isNullAt(c)) {
          throw new IllegalArgumentException("view '" + views[r.getInt(0)] + "': a lake row in " + r.get(nk + 5)
              + " (row " + r.get(nk + 6) + ") has no " + (c == nk + 1 ? "event time" : c == nk + 2 ? "created time"
              : "sequence") + ", expected a value");
        }
      }
    }

    /**
     * Appends feature rows already in view and ingestion order (e.g. a globally sorted dataset streamed
     * through the driver), without buffering them.
     *
     * @param reg the definitions
     * @param store the store
     * @param rows the rows, sorted
     * @return the number of rows appended
     */
    public long loadSorted(FeatureRegistry reg, OfflineStore store, Iterator<Row> rows) {
      int nk = joinKeys.size();
      long count = 0;
      int view = -1;
      long ingested = Long.MIN_VALUE;
      ViewDefinition def = null;
      FeatureSchema schema = null;
      EventBatch.Builder batch = null;
      int inBatch = 0;
      while (rows.hasNext()) {
        Row r = rows.next();
        check(r);
        int v = r.getInt(0);
        // rows ingested at their created time (a batch load of history) share one batch whatever their times
        long ing = r.isNullAt(nk + 3) || r.getLong(nk + 3) == r.getLong(nk + 2) ? OfflineStore.AT_CREATED_TIME
            : r.getLong(nk + 3);
        if (v != view || inBatch >= BATCH || (hasIngestion[v] && ing != ingested)) {
          flush(store, def, batch, inBatch, view, ingested);
          if (v != view) {
            def = reg.view(views[v]);
            schema = def instanceof AggregationView a ? a.inputSchema() : def.schema();
          }
          view = v;
          ingested = ing;
          batch = EventBatch.builder(schema);
          inBatch = 0;
        }
        batch.add(key(r, 1), r.getLong(nk + 1), r.getLong(nk + 2), ValueCodec.decode(schema, (byte[]) r.get(nk + 7)));
        inBatch++;
        count++;
      }
      flush(store, def, batch, inBatch, view, ingested);
      return count;
    }

    /**
     * Turns feature rows in the shuffled layout (one view, in sequence order) into log chunks, as a
     * scan of the embedded store hands them out (sequence numbers from the rows' sequence column).
     *
     * @param fields the view's stored fields
     * @param rows the rows
     * @param chunk rows per chunk
     * @param sink receives the chunks
     */
    public void chunks(FeatureSchema fields, Iterator<Row> rows, int chunk,
        java.util.function.Consumer<org.sieveml.features.LogChunk> sink) {
      int nk = joinKeys.size();
      List<Row> buf = new ArrayList<>(chunk);
      java.util.Comparator<Row> order = java.util.Comparator.<Row>comparingLong(r -> r.getLong(nk + 1))
          .thenComparingLong(r -> r.getLong(nk + 2)).thenComparingLong(r -> r.getLong(nk + 4));
      while (rows.hasNext()) {
        buf.add(rows.next());
        if (buf.size() == chunk || !rows.hasNext()) {
          // as the embedded store's chunks: a key's rows together, by event, created time and sequence
          java.util.Map<EntityKey, List<Row>> byKey = new java.util.LinkedHashMap<>();
          for (Row r : buf) {
            byKey.computeIfAbsent(key(r, 1), k -> new ArrayList<>()).add(r);
          }
          buf.clear();
          for (List<Row> group : byKey.values()) {
            group.sort(order);
            buf.addAll(group);
          }
          int n = buf.size();
          EntityKey[] keys = new EntityKey[n];
          long[] ev = new long[n];
          long[] cr = new long[n];
          long[] in = new long[n];
          long[] seq = new long[n];
          FeatureFrame.RowBuilder fb = FeatureFrame.rowBuilder(fields);
          for (int i = 0; i < n; i++) {
            Row r = buf.get(i);
            keys[i] = key(r, 1);
            ev[i] = r.getLong(nk + 1);
            cr[i] = r.getLong(nk + 2);
            in[i] = r.isNullAt(nk + 3) ? cr[i] : r.getLong(nk + 3);
            seq[i] = r.getLong(nk + 4);
            fb.add(ValueCodec.decode(fields, (byte[]) r.get(nk + 7)));
          }
          sink.accept(new org.sieveml.features.LogChunk(keys, ev, cr, in, seq, fb.build()));
          buf.clear();
        }
      }
    }

    private void flush(OfflineStore store, ViewDefinition def, EventBatch.Builder batch, int n, int view, long ing) {
      if (batch != null && n > 0) {
        store.append(def, batch.build(), ing);
      }
    }
  }

  /**
   * The point-in-time join of one partition: entity rows (their own columns, then the key columns and
   * the timestamp in ms) zipped with the partition's feature rows.
   */
  public static final class Join implements FlatMapFunction2<Iterator<Row>, Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final RegistrySource source;
    private final Layout layout;
    private final String service;
    private final Visibility visibility;
    private final int entityColumns;
    private final String[] requestFields;
    private final int[] requestColumns;
    private final String[] frame;
    private final String[] requestSpecs;

    /**
     * A join.
     *
     * @param source the definitions
     * @param layout the shuffled rows' layout
     * @param service the feature service
     * @param visibility which feature rows count
     * @param entityColumns the entity rows' own columns (passed through), before the key columns
     * @param requestFields on-demand request fields, read from the entity rows' own columns
     * @param requestColumns their positions
     * @param frame the training frame's columns on the driver ({@code FeatureSpec.toString()}), checked in the task
     * @param requestSpecs the request fields' specs on the driver, likewise
     */
    public Join(RegistrySource source, Layout layout, String service, Visibility visibility, int entityColumns,
        String[] requestFields, int[] requestColumns, String[] frame, String[] requestSpecs) {
      this.frame = frame.clone();
      this.requestSpecs = requestSpecs.clone();
      this.source = source;
      this.layout = layout;
      this.service = service;
      this.visibility = visibility;
      this.entityColumns = entityColumns;
      this.requestFields = requestFields.clone();
      this.requestColumns = requestColumns.clone();
    }

    @Override
    public Iterator<Row> call(Iterator<Row> entities, Iterator<Row> features) {
      if (!entities.hasNext()) {
        return Collections.emptyIterator();
      }
      List<Row> ents = new ArrayList<>();
      entities.forEachRemaining(ents::add);
      FeatureRegistry reg = layout.registry(source);
      EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory();
      try (FeatureStore store = FeatureStore.builder(reg).offlineStore(offline).build()) {
        layout.load(reg, offline, features);
        int n = ents.size();
        List<EntityKey> keys = new ArrayList<>(n);
        long[] ts = new long[n];
        int nk = layout.joinKeys.size();
        for (int i = 0; i < n; i++) {
          Row r = ents.get(i);
          keys.add(layout.key(r, entityColumns));
          ts[i] = r.getLong(entityColumns + nk);
        }
        TrainingData td = store.getHistoricalFeatures(EntityRows.of(keys, ts, requestFrame(reg, ents)),
            reg.featureService(service), visibility);
        FeatureFrame f = td.frame();
        List<String> have = new ArrayList<>();
        for (FeatureSpec spec : f.schema().specs()) {
          have.add(spec.toString());
        }
        if (!have.equals(List.of(frame))) { // e.g. another on-demand transform or selection in this task's jar
          throw new IllegalStateException("feature service '" + service + "' gives the columns " + have
              + " in this task but " + List.of(frame) + " on the driver: the RegistrySource builds other definitions "
              + "here (an older application jar on the executors?)");
        }
        int skip = 1 + requestFields.length; // the frame's timestamp and request columns: the entity row's own
        int width = f.schema().size() - skip;
        List<Row> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          Object[] vals = new Object[entityColumns + width];
          Row r = ents.get(i);
          for (int c = 0; c < entityColumns; c++) {
            vals[c] = r.get(c);
          }
          for (int c = 0; c < width; c++) {
            vals[entityColumns + c] = value(f, i, skip + c);
          }
          out.add(RowFactory.create(vals));
        }
        return out.iterator();
      }
    }

    private FeatureFrame requestFrame(FeatureRegistry reg, List<Row> ents) {
      if (requestFields.length == 0) {
        return null;
      }
      int n = ents.size();
      FeatureFrame.ColumnBuilder b = FeatureFrame.builder(n);
      for (int q = 0; q < requestFields.length; q++) {
        FeatureSpec spec = requestSpec(reg, service, requestFields[q]);
        if (!spec.toString().equals(requestSpecs[q])) {
          throw new IllegalStateException("request field '" + requestFields[q] + "' is " + spec + " in this task but "
              + requestSpecs[q] + " on the driver");
        }
        int c = requestColumns[q];
        BitSet present = new BitSet(n);
        switch (spec.type()) {
          case DOUBLE: {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
              v[i] = ents.get(i).isNullAt(c) ? Double.NaN : ((Number) ents.get(i).get(c)).doubleValue();
            }
            b.addDouble(spec.name(), v);
            break;
          }
          case LONG: {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
              if (!ents.get(i).isNullAt(c)) {
                v[i] = ((Number) ents.get(i).get(c)).longValue();
                present.set(i);
              }
            }
            b.addLong(spec.name(), v, present);
            break;
          }
          case BOOLEAN: {
            boolean[] v = new boolean[n];
            for (int i = 0; i < n; i++) {
              if (!ents.get(i).isNullAt(c)) {
                v[i] = ents.get(i).getBoolean(c);
                present.set(i);
              }
            }
            b.addBoolean(spec.name(), v, present);
            break;
          }
          case STRING: {
            String[] v = new String[n];
            for (int i = 0; i < n; i++) {
              v[i] = ents.get(i).isNullAt(c) ? null : ents.get(i).getString(c);
            }
            b.addString(spec.name(), v);
            break;
          }
          default: {
            float[][] v = new float[n][];
            for (int i = 0; i < n; i++) {
              if (!ents.get(i).isNullAt(c)) {
                List<Object> l = ents.get(i).getList(c);
                v[i] = new float[l.size()];
                for (int k = 0; k < l.size(); k++) {
                  v[i][k] = ((Number) l.get(k)).floatValue();
                }
              }
            }
            b.addEmbedding(spec.name(), spec.dimension(), v);
          }
        }
      }
      return b.build();
    }
  }

  /** The request field's spec, from the service's on-demand views in the task's registry. */
  static FeatureSpec requestSpec(FeatureRegistry reg, String service, String field) {
    for (org.sieveml.features.FeatureService.Selection sel : reg.featureService(service).selections()) {
      if (reg.view(sel.view()) instanceof org.sieveml.features.OnDemandFeatureView od) {
        int i = od.requestSchema().indexOf(field);
        if (i >= 0) {
          return od.requestSchema().get(i);
        }
      }
    }
    throw new IllegalStateException("no on-demand view of feature service '" + service + "' has request field '"
        + field + "'");
  }

  /** A training frame cell as Spark holds it; null when missing. */
  public static Object value(FeatureFrame f, int r, int c) {
    if (!f.isPresent(r, c)) {
      return null;
    }
    FeatureSpec s = f.schema().get(c);
    switch (s.type()) {
      case DOUBLE:
        return f.asDouble(r, c);
      case LONG:
        return f.getLong(r, c, 0);
      case BOOLEAN:
        return f.asDouble(r, c) != 0;
      case STRING:
        return f.getString(r, c);
      default: {
        float[] e = f.getEmbedding(r, c);
        List<Float> l = new ArrayList<>(e.length);
        for (float x : e) {
          l.add(x);
        }
        return scala.jdk.javaapi.CollectionConverters.asScala(l); // Spark's row encoder takes Scala sequences
      }
    }
  }

  /**
   * Materializes one view from one partition's feature rows into an online store opened in the task.
   * Emits one row: rows scanned, rows written, rows applied.
   */
  public static final class Materialize implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final RegistrySource source;
    private final Layout layout;
    private final OnlineStoreFactory online;
    private final String view;
    private final long from;
    private final long to;
    private final long now;

    /**
     * A materialization.
     *
     * @param source the definitions
     * @param layout the shuffled rows' layout
     * @param online opens the online store in the task
     * @param view the view
     * @param from range start, inclusive
     * @param to range end, exclusive
     * @param now the clock of the run (the same for every task)
     */
    public Materialize(RegistrySource source, Layout layout, OnlineStoreFactory online, String view, long from,
        long to, long now) {
      this.source = source;
      this.layout = layout;
      this.online = online;
      this.view = view;
      this.from = from;
      this.to = to;
      this.now = now;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> features) {
      if (!features.hasNext()) {
        return Collections.singletonList(RowFactory.create(0L, 0L, 0L)).iterator();
      }
      FeatureRegistry reg = layout.registry(source);
      OnlineStore target = online.open();
      EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory();
      FeatureStore built;
      try {
        built = FeatureStore.builder(reg).offlineStore(offline).onlineStore(target).clock(() -> now).build();
      } catch (RuntimeException e) {
        try {
          target.close();
        } finally {
          offline.close();
        }
        throw e;
      }
      try (FeatureStore store = built) {
        layout.load(reg, offline, features);
        MaterializationResult m = store.materialize(view, from, to, null);
        return Collections.singletonList(RowFactory.create(m.rowsScanned(), m.rowsWritten(), m.rowsApplied()))
            .iterator();
      }
    }
  }

  /**
   * The offline-store contract's join or windows for one view and one partition: entity rows (row id,
   * key columns, timestamp ms) zipped with the partition's feature rows. Emits the row id, whether a
   * feature row matched (join), and the values (join: the features' cells; windows: doubles, NaN where
   * missing).
   */
  public static final class Spi implements FlatMapFunction2<Iterator<Row>, Iterator<Row>, Row> {
    private static final long serialVersionUID = 1L;
    private final RegistrySource source;
    private final Layout layout;
    private final String view;
    private final String[] features;
    private final Visibility visibility;
    private final boolean windows;

    /**
     * A join ({@code windows} false) or window computation.
     *
     * @param source the definitions
     * @param layout the shuffled rows' layout
     * @param view the view
     * @param features the features (join only)
     * @param visibility which rows count
     * @param windows whether to compute windows of an aggregation view
     */
    public Spi(RegistrySource source, Layout layout, String view, String[] features, Visibility visibility,
        boolean windows) {
      this.source = source;
      this.layout = layout;
      this.view = view;
      this.features = features.clone();
      this.visibility = visibility;
      this.windows = windows;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> entities, Iterator<Row> featureRows) {
      if (!entities.hasNext()) {
        return Collections.emptyIterator();
      }
      List<Row> ents = new ArrayList<>();
      entities.forEachRemaining(ents::add);
      FeatureRegistry reg = layout.registry(source);
      int nk = layout.joinKeys.size();
      try (EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory()) {
        layout.load(reg, offline, featureRows);
        int n = ents.size();
        List<EntityKey> keys = new ArrayList<>(n);
        long[] ts = new long[n];
        for (int i = 0; i < n; i++) {
          keys.add(layout.key(ents.get(i), 1));
          ts[i] = ents.get(i).getLong(1 + nk);
        }
        EntityRows rows = EntityRows.of(keys, ts, null);
        List<Row> out = new ArrayList<>(n);
        if (windows) {
          double[][] w = offline.windows((AggregationView) reg.view(view), rows, visibility);
          for (int i = 0; i < n; i++) {
            Object[] v = new Object[2 + w.length];
            v[0] = ents.get(i).getLong(0);
            v[1] = true;
            for (int f = 0; f < w.length; f++) {
              v[2 + f] = w[f][i];
            }
            out.add(RowFactory.create(v));
          }
        } else {
          org.sieveml.features.JoinedRows j = offline.join((org.sieveml.features.FeatureView) reg.view(view), rows,
              List.of(features), visibility);
          FeatureFrame f = j.values();
          for (int i = 0; i < n; i++) {
            Object[] v = new Object[2 + features.length];
            v[0] = ents.get(i).getLong(0);
            v[1] = j.matched(i);
            for (int c = 0; c < features.length; c++) {
              v[2 + c] = value(f, i, c);
            }
            out.add(RowFactory.create(v));
          }
        }
        return out.iterator();
      }
    }
  }
}
