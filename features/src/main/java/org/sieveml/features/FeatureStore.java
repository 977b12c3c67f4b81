package org.sieveml.features;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.drift.DriftCheck;
import org.sieveml.core.drift.SkewCheck;
import org.sieveml.core.drift.SkewReport;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.features.internal.KeyDictionary;
import org.sieveml.features.internal.Values;
import org.sieveml.features.internal.WindowAggregator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature store: one object that ingests events, builds point-in-time-correct training data and
 * serves the same features online, with one code path for both. The analogue of Feast's
 * {@code FeatureStore}, in-process.
 *
 * <pre>{@code
 * FeatureStore store = FeatureStore.builder(registry).build();
 * store.ingest("card_stats", batch);                             // offline event log
 * TrainingData td = store.getHistoricalFeatures(entityRows, fraudV1);   // point-in-time join
 * store.materialize("card_stats", from, to);                    // offline -> online
 * store.push("card_txn", events);                                // streaming: online + offline + windows
 * OnlineFeatures f = store.getOnlineFeatures(List.of(card.key(4711L)), fraudV1);
 * }</pre>
 *
 * <p><b>Semantics.</b> For an entity row at time {@code t} a {@link FeatureView}'s features come from
 * the latest row of that entity with event time in {@code (t - ttl, t]}; equal event times go to the
 * later created time, then the later ingested row; no match gives the feature's default (or a missing
 * value) and is counted. An online read at {@code now} returns what that join would return at
 * {@code now} for the materialized or pushed rows, with a status per value: PRESENT, NOT_FOUND, or
 * EXPIRED when the row's event time is {@code <= now - ttl} (checked on every read). An
 * {@link AggregationView}'s windows give the same values offline and online (see
 * {@code WindowAggregator} in the internal package for the exact window rule). An
 * {@link OnDemandFeatureView}'s transform runs on the same inputs on both paths.
 *
 * <p><b>Definitions.</b> Every call checks that the feature service it is given is the registered
 * version; data ingested under a view version that has since been replaced is refused until the view
 * is cleared with {@link #dropData}, never silently served.
 *
 * <p><b>Bad input</b> (unknown views or features, keys that do not fit the entity, wrong types, times
 * out of range, pushes from the future) throws an {@link IllegalArgumentException} naming the field,
 * the value and what was expected, before anything is changed.
 *
 * <p>Thread-safe: reads and writes may run concurrently from any number of threads.
 */
public final class FeatureStore implements AutoCloseable {

  /** The name of the timestamp column of training frames. */
  public static final String TIMESTAMP_COLUMN = "event_timestamp";

  private static final Logger LOG = LoggerFactory.getLogger(FeatureStore.class);
  private static final int CHUNK = 10_000;
  /** The longest string join key value accepted, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 4_096;

  private final FeatureRegistry registry;
  private final OnlineStore online;
  private final OfflineStore offline;
  private final LongSupplier clock;
  private final ConcurrentHashMap<String, KeyDictionary> dictionaries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ViewData> data = new ConcurrentHashMap<>();

  /** The online state of one view kept by this store (windows, until they move into the online store). */
  private static final class ViewData {
    final String version;
    final WindowAggregator windows;
    final ConcurrentHashMap<Long, WindowAggregator.State> states = new ConcurrentHashMap<>();
    volatile long materializedUntil = 0;

    ViewData(ViewDefinition view) {
      this.version = view.version();
      this.windows = view instanceof AggregationView ? new WindowAggregator((AggregationView) view) : null;
    }
  }

  private FeatureStore(Builder b) {
    this.registry = b.registry;
    this.online = b.online != null ? b.online : new EmbeddedOnlineStore();
    this.offline = b.offline != null ? b.offline : EmbeddedOfflineStore.inMemory();
    this.clock = b.clock;
  }

  /**
   * A builder over a registry.
   *
   * @param registry the definitions
   * @return a new builder
   */
  public static Builder builder(FeatureRegistry registry) {
    if (registry == null) {
      throw new IllegalArgumentException("registry must not be null");
    }
    return new Builder(registry);
  }

  /**
   * The registry.
   *
   * @return the registry
   */
  public FeatureRegistry registry() {
    return registry;
  }

  /**
   * The online store.
   *
   * @return the store
   */
  public OnlineStore onlineStore() {
    return online;
  }

  /**
   * The offline store.
   *
   * @return the store
   */
  public OfflineStore offlineStore() {
    return offline;
  }

  // ---------------------------------------------------------------- ingestion

  /**
   * Appends a batch of history to a view's offline event log (not to the online store: see
   * {@link #materialize} and {@link #push}). Each row counts as ingested at its created time: a batch
   * load states when its rows became available, and training data built with
   * {@link Visibility#AS_SERVED} uses a row only from then on.
   *
   * @param view a feature view or aggregation view
   * @param batch rows of the view's schema (an aggregation view's input schema)
   * @return the ingestion sequence number of the batch's first row
   * @throws IllegalArgumentException on bad input; nothing is appended then
   */
  public long ingest(String view, EventBatch batch) {
    ViewDefinition v = storedView(view);
    checkBatch(v, batch);
    dataOf(v);
    return offline.append(v, batch, OfflineStore.AT_CREATED_TIME);
  }

  /** The header of the event-time column of CSV files. */
  public static final String CSV_EVENT_TIME = "event_timestamp";
  /** The header of the optional created-time column of CSV files (defaults to the event time). */
  public static final String CSV_CREATED_TIME = "created_timestamp";

  /**
   * Loads a CSV file (RFC 4180, UTF-8, with a header) into a view's offline log. Columns: the entity's
   * join keys (integral values become {@code Long}, others {@code String}), {@value #CSV_EVENT_TIME},
   * optionally {@value #CSV_CREATED_TIME} (epoch milliseconds or ISO-8601 instants such as
   * {@code 2024-05-01T12:00:00Z}), and every feature of the view (an aggregation view: every input
   * field); other columns are ignored. Values: decimal numbers, {@code true}/{@code false}, text,
   * embeddings as space-separated floats; an empty field is a missing value. The whole file is parsed
   * and checked before anything is appended. Like {@link #ingest}, each row counts as ingested at its
   * created time.
   *
   * @param view a feature or aggregation view
   * @param file the file
   * @return the number of rows appended
   * @throws IllegalArgumentException naming the line, the column, the value and what was expected
   * @throws java.io.UncheckedIOException when the file cannot be read
   */
  public int ingestCsv(String view, java.nio.file.Path file) {
    ViewDefinition v = storedView(view);
    FeatureSchema schema = v instanceof AggregationView ? ((AggregationView) v).inputSchema() : v.schema();
    EventBatch.Builder b = EventBatch.builder(schema);
    try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(file,
        java.nio.charset.StandardCharsets.UTF_8)) {
      org.sieveml.features.internal.Csv csv = new org.sieveml.features.internal.Csv(r);
      List<String> header = csv.next();
      if (header == null) {
        throw new IllegalArgumentException(file + ": empty file, expected a header line");
      }
      List<String> keys = v.entity().joinKeys();
      int[] keyCol = new int[keys.size()];
      for (int k = 0; k < keyCol.length; k++) {
        keyCol[k] = requireColumn(file, header, keys.get(k), "join key of entity '" + v.entity().name() + "'");
      }
      int eventCol = requireColumn(file, header, CSV_EVENT_TIME, "event time");
      int createdCol = header.indexOf(CSV_CREATED_TIME);
      int[] featCol = new int[schema.size()];
      for (int f = 0; f < featCol.length; f++) {
        featCol[f] = requireColumn(file, header, schema.get(f).name(), "feature of view '" + view + "'");
      }
      List<String> rec;
      while ((rec = csv.next()) != null) {
        String where = file.getFileName() + " line " + csv.line();
        if (rec.size() != header.size()) {
          throw new IllegalArgumentException(where + ": expected " + header.size() + " fields like the header, got "
              + rec.size());
        }
        EntityKey.Builder kb = EntityKey.builder();
        for (int k = 0; k < keyCol.length; k++) {
          String raw = rec.get(keyCol[k]);
          if (raw.isEmpty()) {
            throw new IllegalArgumentException(where + ": column '" + keys.get(k) + "': a join key must not be empty");
          }
          kb.put(keys.get(k), raw.matches("-?\\d{1,18}") ? (Object) Long.parseLong(raw) : raw);
        }
        long event = parseTime(where, CSV_EVENT_TIME, rec.get(eventCol));
        long created = createdCol < 0 || rec.get(createdCol).isEmpty() ? event
            : parseTime(where, CSV_CREATED_TIME, rec.get(createdCol));
        Object[] values = new Object[featCol.length];
        for (int f = 0; f < featCol.length; f++) {
          values[f] = parseValue(where, schema.get(f), rec.get(featCol[f]));
        }
        try {
          b.add(kb.build(), event, created, values);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    EventBatch batch = b.build();
    ingest(view, batch);
    return batch.size();
  }

  private static int requireColumn(java.nio.file.Path file, List<String> header, String name, String what) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(file.getFileName() + " line 1: missing column '" + name + "' (" + what
          + "); the header has " + header);
    }
    return i;
  }

  private static long parseTime(String where, String column, String raw) {
    try {
      if (raw.matches("-?\\d+")) {
        return Long.parseLong(raw);
      }
      return java.time.Instant.parse(raw).toEpochMilli();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + ": column '" + column + "': value '" + raw
          + "' is not epoch milliseconds or an ISO-8601 instant");
    }
  }

  private static Object parseValue(String where, FeatureSpec spec, String raw) {
    if (raw.isEmpty()) {
      return null;
    }
    try {
      switch (spec.type()) {
        case DOUBLE:
          double d = Double.parseDouble(raw);
          if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(where + ": column '" + spec.name() + "': value '" + raw
                + "' is not a finite DOUBLE (leave the field empty for a missing value)");
          }
          return d;
        case LONG:
          return Long.parseLong(raw);
        case BOOLEAN:
          if (raw.equalsIgnoreCase("true") || raw.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(raw);
          }
          throw new IllegalArgumentException();
        case STRING:
          return raw;
        default:
          String[] parts = raw.trim().split("\\s+");
          if (parts.length != spec.dimension()) {
            throw new IllegalArgumentException();
          }
          float[] e = new float[parts.length];
          for (int i = 0; i < parts.length; i++) {
            e[i] = Float.parseFloat(parts[i]);
          }
          return e;
      }
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(where)) {
        throw e;
      }
      String expected = spec.type() == FeatureType.EMBEDDING ? spec.dimension() + " space-separated floats"
          : spec.type() == FeatureType.BOOLEAN ? "true or false" : "a " + spec.type();
      throw new IllegalArgumentException(where + ": column '" + spec.name() + "': value '" + raw + "' is not "
          + expected);
    }
  }

  /**
   * Streams a batch: appends it to the offline log and, for a feature view, writes the newest row per
   * key to the online store; for an aggregation view, adds the events to the online windows.
   *
   * @param view a feature view or aggregation view
   * @param batch the rows
   * @throws IllegalArgumentException on bad input (for aggregation views also events later than the
   *     store's clock); nothing is written then
   */
  public void push(String view, EventBatch batch) {
    ViewDefinition v = storedView(view);
    long now = clock.getAsLong();
    if (v instanceof AggregationView) {
      for (int i = 0; i < batch.size(); i++) {
        if (batch.eventTime(i) > now) {
          throw new IllegalArgumentException("eventTime of row " + i + " pushed to aggregation view '" + view
              + "' must not be later than the store's clock (" + now + "), was " + batch.eventTime(i));
        }
      }
    }
    checkBatch(v, batch);
    ViewData d = dataOf(v);
    offline.append(v, batch, now);
    if (v instanceof AggregationView) {
      long[] ids = encode(v, batch);
      FeatureFrame values = batch.values();
      double[][] cols = new double[values.schema().size()][];
      for (int f = 0; f < cols.length; f++) {
        cols[f] = values.doubleColumn(values.schema().get(f).name());
      }
      double[] row = new double[cols.length];
      WindowAggregator.State last = null;
      long lastId = 0;
      for (int i = 0; i < ids.length; i++) {
        for (int f = 0; f < row.length; f++) {
          row[f] = cols[f][i];
        }
        if (last == null || ids[i] != lastId) {
          last = d.states.computeIfAbsent(ids[i], k -> d.windows.newState());
          lastId = ids[i];
        }
        last.add(batch.eventTime(i), row);
      }
    } else if (((FeatureView) v).online()) {
      List<OnlineRow> rows = new ArrayList<>(batch.size());
      String keyName = batch.hasLongKeys() ? v.entity().joinKeys().get(0) : null;
      for (int i = 0; i < batch.size(); i++) {
        EntityKey key = batch.hasLongKeys() ? EntityKey.of(keyName, batch.longKey(i)) : batch.key(i);
        rows.add(new OnlineRow(key, batch.values().row(i), batch.eventTime(i), batch.createdTime(i), now, v.version()));
      }
      online.write(view, rows);
    }
  }

  // ---------------------------------------------------------------- training data

  /**
   * Point-in-time-correct training data as serving could have seen it ({@link Visibility#AS_SERVED}):
   * for an entity row at time {@code t}, only feature rows with event time {@code <= t} that had been
   * ingested by {@code t}.
   *
   * @param rows the entity rows
   * @param service the registered feature service
   * @return one output row per entity row, in order
   */
  public TrainingData getHistoricalFeatures(EntityRows rows, FeatureService service) {
    return getHistoricalFeatures(rows, service, Visibility.AS_SERVED);
  }

  /**
   * Point-in-time-correct training data.
   *
   * @param rows the entity rows; keys must carry every join key of the service's views' entities, and
   *     request fields of on-demand views come from the rows' extra columns of the same name
   * @param service the registered feature service
   * @param visibility which feature rows count: {@link Visibility#AS_SERVED} (the default: what
   *     serving could have seen) or {@link Visibility#EVENT_TIME_MAY_LEAK}
   * @return one output row per entity row, in order
   */
  public TrainingData getHistoricalFeatures(EntityRows rows, FeatureService service, Visibility visibility) {
    if (rows == null) {
      throw new IllegalArgumentException("entity rows must not be null");
    }
    if (visibility == null) {
      throw new IllegalArgumentException("visibility must not be null");
    }
    ResolvedService rs = registry.resolve(service);
    int n = rows.size();
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = rows.timestamp(i);
    }
    FeatureSchema out = rs.outputSchema;
    List<Values.ColumnGather> outCols = new ArrayList<>();
    for (FeatureSpec s : out.specs()) {
      outCols.add(new Values.ColumnGather(s, n));
    }
    long[] unmatched = new long[out.size()];
    // every read feature of every stored part, for on-demand inputs
    List<FeatureFrame> partFrames = new ArrayList<>();
    for (ResolvedService.StoredPart p : rs.stored) {
      dataOf(p.view);
      EntityRows viewRows = rowsFor(p.view, rows);
      FeatureFrame.ColumnBuilder pf = FeatureFrame.builder(n);
      List<Values.ColumnGather> gathered = new ArrayList<>();
      if (p.view instanceof FeatureView) {
        FeatureView fv = (FeatureView) p.view;
        List<String> names = new ArrayList<>();
        for (int fi : p.featureIndex) {
          names.add(fv.schema().get(fi).name());
        }
        JoinedRows joined = offline.join(fv, viewRows, names, visibility);
        FeatureFrame jv = joined.values();
        for (int s = 0; s < p.featureIndex.length; s++) {
          int fi = p.featureIndex[s];
          FeatureSpec spec = fv.schema().get(fi);
          Values.ColumnGather g = new Values.ColumnGather(spec, n);
          Object def = fv.defaultValue(spec.name());
          long misses = n - joined.matchCount();
          if (spec.type() == FeatureType.DOUBLE && def == null) {
            g.setDoubles(jv.doubleColumn(spec.name())); // unmatched rows are already missing
          } else {
            for (int r = 0; r < n; r++) {
              if (!joined.matched(r)) {
                g.setDefault(r, def);
              } else {
                g.set(r, jv, r, s);
              }
            }
          }
          if (!rs.onDemand.isEmpty()) {
            g.addTo(pf);
          }
          gathered.add(g);
          if (p.outputPosition[s] >= 0) {
            unmatched[p.outputPosition[s]] = misses;
          }
        }
      } else {
        AggregationView av = (AggregationView) p.view;
        double[][] w = offline.windows(av, viewRows, visibility);
        for (int s = 0; s < p.featureIndex.length; s++) {
          int fi = p.featureIndex[s];
          Values.ColumnGather g = new Values.ColumnGather(av.schema().get(fi), n);
          for (int r = 0; r < n; r++) {
            g.setNumber(r, w[fi][r]);
          }
          if (!rs.onDemand.isEmpty()) {
            g.addTo(pf);
          }
          gathered.add(g);
        }
      }
      // the part's own frame is needed only as on-demand input
      partFrames.add(rs.onDemand.isEmpty() ? null : pf.build());
      for (int s = 0; s < p.featureIndex.length; s++) {
        if (p.outputPosition[s] >= 0) {
          outCols.set(p.outputPosition[s], gathered.get(s));
        }
      }
    }
    if (!rs.onDemand.isEmpty()) {
      FeatureFrame extra = rows.extra();
      int[] reqCol = new int[rs.requestSchema.size()];
      for (int q = 0; q < reqCol.length; q++) {
        FeatureSpec spec = rs.requestSchema.get(q);
        reqCol[q] = extra == null ? -1 : extra.schema().indexOf(spec.name());
        if (reqCol[q] < 0) {
          throw new IllegalArgumentException("entity rows need an extra column '" + spec.name() + "' (" + spec
              + ") for the on-demand views of feature service '" + service.name() + "'");
        }
        if (!extra.schema().get(reqCol[q]).equals(spec)) {
          throw new IllegalArgumentException("extra column '" + spec.name() + "' is " + extra.schema().get(reqCol[q])
              + ", expected " + spec);
        }
      }
      for (int r = 0; r < n; r++) {
        FeatureVector.Builder req = FeatureVector.builder(rs.requestSchema);
        for (int q = 0; q < reqCol.length; q++) {
          Values.copy(extra, r, reqCol[q], req, q);
        }
        FeatureVector request = req.build();
        final int row = r;
        for (ResolvedService.OnDemandPart od : rs.onDemand) {
          FeatureVector res = runOnDemand(od, request, (part, slot, b, idx) -> Values.copy(partFrames.get(part), row,
              slot, b, idx));
          for (int o = 0; o < od.outputPosition.length; o++) {
            if (od.outputPosition[o] >= 0) {
              outCols.get(od.outputPosition[o]).set(r, res, o);
            }
          }
        }
      }
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n).addLong(TIMESTAMP_COLUMN, ts, null);
    FeatureFrame extra = rows.extra();
    if (extra != null) {
      for (int c = 0; c < extra.schema().size(); c++) {
        if (out.contains(extra.schema().get(c).name()) || extra.schema().get(c).name().equals(TIMESTAMP_COLUMN)) {
          throw new IllegalArgumentException("extra column '" + extra.schema().get(c).name()
              + "' clashes with a feature or the timestamp column of the training frame");
        }
        Values.ColumnGather g = new Values.ColumnGather(extra.schema().get(c), n);
        for (int r = 0; r < n; r++) {
          g.set(r, extra, r, c);
        }
        g.addTo(fb);
      }
    }
    Map<String, Long> misses = new LinkedHashMap<>();
    for (int c = 0; c < out.size(); c++) {
      outCols.get(c).addTo(fb, out.get(c).name());
      misses.put(out.get(c).name(), unmatched[c]);
    }
    return new TrainingData(fb.build(), misses);
  }

  // ---------------------------------------------------------------- serving

  /**
   * Online features for keys, for a service without on-demand request fields.
   *
   * @param keys the entity keys
   * @param service the registered feature service
   * @return one vector per key, with statuses
   */
  public OnlineFeatures getOnlineFeatures(List<EntityKey> keys, FeatureService service) {
    return getOnlineFeatures(keys, service, null);
  }

  /**
   * Online features for keys.
   *
   * @param keys the entity keys (each carrying every join key of the service's views' entities)
   * @param service the registered feature service
   * @param request request-time data for on-demand views: one vector per key, or a single vector for
   *     all keys, of the service's request schema; null when it has no request fields
   * @return one vector per key, with statuses
   */
  public OnlineFeatures getOnlineFeatures(List<EntityKey> keys, FeatureService service, List<FeatureVector> request) {
    if (keys == null) {
      throw new IllegalArgumentException("keys must not be null");
    }
    ResolvedService rs = registry.resolve(service);
    long now = clock.getAsLong();
    int n = keys.size();
    for (int i = 0; i < n; i++) {
      if (keys.get(i) == null) {
        throw new IllegalArgumentException("key " + i + " must not be null");
      }
    }
    if (!rs.requestSchema.specs().isEmpty()) {
      if (request == null || (request.size() != 1 && request.size() != n)) {
        throw new IllegalArgumentException("feature service '" + service.name() + "' needs request data "
            + rs.requestSchema + ": one vector, or one per key (" + n + "), got "
            + (request == null ? "none" : request.size()));
      }
      for (FeatureVector v : request) {
        if (v == null || !v.schema().equals(rs.requestSchema)) {
          throw new IllegalArgumentException("request data must have schema " + rs.requestSchema + ", had "
              + (v == null ? "null" : v.schema()));
        }
      }
    }
    FeatureSchema out = rs.outputSchema;
    int nf = out.size();
    if (rs.wholeSingleView) {
      return readWholeView(keys, rs, now);
    }
    byte[] status = new byte[n * nf];
    long[] eventTime = new long[n * nf];
    java.util.Arrays.fill(eventTime, Long.MIN_VALUE);
    FeatureVector.Builder[] builders = new FeatureVector.Builder[n];
    for (int i = 0; i < n; i++) {
      builders[i] = FeatureVector.builder(out);
    }
    // per stored part, per key: the fetched values of the part's features (slot order)
    FeatureVector[][] fetched = new FeatureVector[rs.stored.size()][n];
    for (int pi = 0; pi < rs.stored.size(); pi++) {
      ResolvedService.StoredPart p = rs.stored.get(pi);
      ViewData d = dataOf(p.view);
      FeatureSchema slots = slotSchema(p);
      if (p.view instanceof FeatureView) {
        FeatureView fv = (FeatureView) p.view;
        List<EntityKey> viewKeys = new ArrayList<>(n);
        for (EntityKey k : keys) {
          viewKeys.add(project(k, fv.entity()));
        }
        List<OnlineRow> found = online.read(fv.name(), viewKeys);
        long ttl = fv.ttlMillis();
        for (int i = 0; i < n; i++) {
          OnlineRow row = found.get(i);
          FeatureStatus st = row == null ? FeatureStatus.NOT_FOUND
              : (ttl != Long.MAX_VALUE && row.eventTime() <= now - ttl) ? FeatureStatus.EXPIRED : FeatureStatus.PRESENT;
          FeatureVector.Builder b = FeatureVector.builder(slots);
          for (int s = 0; s < p.featureIndex.length; s++) {
            int fi = p.featureIndex[s];
            if (st == FeatureStatus.PRESENT) {
              Values.copy(row.values(), fi, b, s);
            } else {
              Values.setDefault(b, s, fv.defaultValue(fv.schema().get(fi).name()));
            }
            int o = p.outputPosition[s];
            if (o >= 0) {
              status[i * nf + o] = (byte) st.ordinal();
              eventTime[i * nf + o] = row == null ? Long.MIN_VALUE : row.eventTime();
            }
          }
          fetched[pi][i] = b.build();
        }
      } else {
        AggregationView av = (AggregationView) p.view;
        KeyDictionary dict = dictionary(av.entity());
        double[] vals = new double[av.schema().size()];
        for (int i = 0; i < n; i++) {
          long id = dict.lookup(project(keys.get(i), av.entity()));
          WindowAggregator.State state = id == KeyDictionary.UNKNOWN ? null : d.states.get(id);
          if (state == null) {
            java.util.Arrays.fill(vals, Double.NaN);
            for (int f = 0; f < vals.length; f++) {
              Aggregation fn = av.features().get(f).function();
              vals[f] = fn == Aggregation.COUNT || fn == Aggregation.SUM ? 0 : Double.NaN;
            }
          } else {
            state.read(now, vals);
          }
          FeatureVector.Builder b = FeatureVector.builder(slots);
          for (int s = 0; s < p.featureIndex.length; s++) {
            double v = vals[p.featureIndex[s]];
            if (slots.get(s).type() == FeatureType.LONG) {
              b.setLong(s, (long) v);
            } else if (v == v) {
              b.setDouble(s, v);
            }
            int o = p.outputPosition[s];
            if (o >= 0) {
              status[i * nf + o] = (byte) (state == null ? FeatureStatus.NOT_FOUND : FeatureStatus.PRESENT).ordinal();
              eventTime[i * nf + o] = now;
            }
          }
          fetched[pi][i] = b.build();
        }
      }
      for (int i = 0; i < n; i++) {
        for (int s = 0; s < p.featureIndex.length; s++) {
          if (p.outputPosition[s] >= 0) {
            Values.copy(fetched[pi][i], s, builders[i], p.outputPosition[s]);
          }
        }
      }
    }
    for (ResolvedService.OnDemandPart od : rs.onDemand) {
      for (int i = 0; i < n; i++) {
        final int key = i;
        FeatureVector req = rs.requestSchema.specs().isEmpty() ? FeatureVector.builder(rs.requestSchema).build()
            : request.get(request.size() == 1 ? 0 : i);
        FeatureVector res = runOnDemand(od, req, (part, slot, b, idx) -> Values.copy(fetched[part][key], slot, b, idx));
        for (int o = 0; o < od.outputPosition.length; o++) {
          int pos = od.outputPosition[o];
          if (pos >= 0) {
            Values.copy(res, o, builders[i], pos);
            status[i * nf + pos] = (byte) FeatureStatus.PRESENT.ordinal();
            eventTime[i * nf + pos] = now;
          }
        }
      }
    }
    FeatureVector[] vectors = new FeatureVector[n];
    for (int i = 0; i < n; i++) {
      vectors[i] = builders[i].build();
    }
    return new OnlineFeatures(out, keys, vectors, status, eventTime, now);
  }

  /**
   * The fast path for a service that is exactly one feature view's features in order: a PRESENT row's
   * stored vector is immutable and already has the output layout, so it is returned as is.
   */
  private OnlineFeatures readWholeView(List<EntityKey> keys, ResolvedService rs, long now) {
    FeatureView fv = (FeatureView) rs.stored.get(0).view;
    dataOf(fv);
    int n = keys.size();
    byte[] status = new byte[n];
    long[] eventTime = new long[n];
    FeatureVector[] vectors = new FeatureVector[n];
    long ttl = fv.ttlMillis();
    List<OnlineRow> found;
    if (n == 1 && online instanceof EmbeddedOnlineStore) {
      found = java.util.Collections.singletonList(((EmbeddedOnlineStore) online).read(fv.name(),
          project(keys.get(0), fv.entity())));
    } else {
      List<EntityKey> viewKeys = new ArrayList<>(n);
      for (EntityKey k : keys) {
        viewKeys.add(project(k, fv.entity()));
      }
      found = online.read(fv.name(), viewKeys);
    }
    for (int i = 0; i < n; i++) {
      OnlineRow row = found.get(i);
      FeatureStatus st = row == null ? FeatureStatus.NOT_FOUND
          : (ttl != Long.MAX_VALUE && row.eventTime() <= now - ttl) ? FeatureStatus.EXPIRED : FeatureStatus.PRESENT;
      if (st == FeatureStatus.PRESENT) {
        vectors[i] = row.values();
      } else {
        vectors[i] = rs.defaults();
      }
      status[i] = (byte) st.ordinal();
      eventTime[i] = row == null ? Long.MIN_VALUE : row.eventTime();
    }
    return new OnlineFeatures(rs.outputSchema, keys, vectors, status, eventTime, now, true);
  }

  // ---------------------------------------------------------------- materialization

  /**
   * Writes the latest offline row per entity with event time in {@code [from, to)} of a feature view
   * to the online store, in chunks of {@value #CHUNK} rows (memory stays bounded by the chunk, not the
   * range). For an aggregation view, rebuilds its online windows from the events in the range.
   *
   * @param view the view
   * @param fromMillis start, inclusive
   * @param toMillis end, exclusive, {@code > fromMillis}
   * @param progress receives the number of rows written so far after every chunk, or null
   * @return what was done
   */
  public MaterializationResult materialize(String view, long fromMillis, long toMillis, LongConsumer progress) {
    ViewDefinition v = storedView(view);
    if (toMillis <= fromMillis) {
      throw new IllegalArgumentException("materialization range of view '" + view + "' must be non-empty, was ["
          + fromMillis + ", " + toMillis + ")");
    }
    ViewData d = dataOf(v);
    long[] counts = new long[3]; // scanned, written, applied
    List<OnlineRow> out = new ArrayList<>(CHUNK);
    boolean aggregation = v instanceof AggregationView;
    KeyDictionary dict = dictionary(v.entity());
    offline.scan(v, fromMillis, toMillis, -1, chunk -> {
      int size = chunk.size();
      counts[0] += size;
      FeatureFrame values = chunk.values();
      if (aggregation) {
        double[] row = new double[values.schema().size()];
        for (int r = 0; r < size; r++) {
          for (int f = 0; f < row.length; f++) {
            row[f] = values.asDouble(r, f);
          }
          long id = dict.idOf(chunk.key(r), "materialized row");
          d.states.computeIfAbsent(id, k -> d.windows.newState()).add(chunk.eventTime(r), row);
        }
        counts[1] += size;
        return;
      }
      for (int r = 0; r < size; r++) {
        // rows are sorted by key then time: the last row of a key in the chunk is its latest
        if (r + 1 < size && chunk.key(r + 1).equals(chunk.key(r))) {
          continue;
        }
        out.add(new OnlineRow(chunk.key(r), values.row(r), chunk.eventTime(r), chunk.createdTime(r), clock.getAsLong(), v.version()));
        if (out.size() == CHUNK) {
          counts[2] += online.write(view, out);
          counts[1] += out.size();
          out.clear();
          if (progress != null) {
            progress.accept(counts[1]);
          }
        }
      }
    });
    if (!out.isEmpty()) {
      counts[2] += online.write(view, out);
      counts[1] += out.size();
      if (progress != null) {
        progress.accept(counts[1]);
      }
    }
    long scanned = counts[0];
    long written = counts[1];
    long applied = counts[2];
    d.materializedUntil = Math.max(d.materializedUntil, toMillis);
    LOG.debug("materialized {} [{}, {}): {} scanned, {} written, {} applied", view, fromMillis, toMillis, scanned,
        written, applied);
    return new MaterializationResult(view, fromMillis, toMillis, scanned, written, applied);
  }

  /**
   * Materializes from where the last materialization of the view ended (or the epoch) up to
   * {@code toMillis}.
   *
   * @param view the view
   * @param toMillis end, exclusive
   * @param progress progress receiver or null
   * @return what was done; an empty range does nothing
   */
  public MaterializationResult materializeIncremental(String view, long toMillis, LongConsumer progress) {
    ViewDefinition v = storedView(view);
    long from = dataOf(v).materializedUntil;
    if (toMillis <= from) {
      return new MaterializationResult(view, from, toMillis, 0, 0, 0);
    }
    return materialize(view, from, toMillis, progress);
  }

  /**
   * Forgets a view's stored data (offline log, online rows and windows), e.g. after its definition was
   * replaced.
   *
   * @param view the view's name
   */
  public void dropData(String view) {
    data.remove(view);
    offline.drop(view);
    online.clear(view);
  }

  /**
   * Erases one entity's history from every stored view of its entity (a privacy request): its rows
   * are hidden from every later read of the offline store at once and physically removed at its next
   * rewrite of the data (see {@link EmbeddedOfflineStore#compact}); the key itself is then forgotten
   * ({@link OfflineStore#forgetKey}: it leaves the key log at once, and a later row with the same key
   * starts a new history); its online windows are dropped. Rows the online store holds for the key
   * are not yet removed by this call.
   *
   * @param entity the entity's name
   * @param key the entity's key
   * @return the number of offline rows erased
   */
  public long erase(String entity, EntityKey key) {
    Entity e = registry.entity(entity);
    long erased = 0;
    for (ViewDefinition v : registry.views()) {
      if (v instanceof OnDemandFeatureView || !v.entity().name().equals(e.name())) {
        continue;
      }
      dataOf(v);
      erased += offline.erase(v, project(key, e));
      ViewData d = data.get(v.name());
      if (d != null && d.states != null) {
        long id = dictionary(e).lookup(project(key, e));
        if (id != KeyDictionary.UNKNOWN) {
          d.states.remove(id);
        }
      }
    }
    offline.forgetKey(e, project(key, e));
    return erased;
  }

  // ---------------------------------------------------------------- skew and pipeline

  /**
   * Compares served vectors with the point-in-time join at the time they were served, value by value.
   *
   * @param served what {@link #getOnlineFeatures} returned
   * @param service the service it was read with
   * @param tolerance absolute tolerance for numeric values
   * @return per-feature mismatch counts and drift tests of served vs offline
   */
  public SkewReport checkSkew(OnlineFeatures served, FeatureService service, double tolerance) {
    long[] ts = new long[served.size()];
    java.util.Arrays.fill(ts, served.readTime());
    TrainingData offline = getHistoricalFeatures(EntityRows.of(served.keys(), ts, null), service);
    FeatureFrame.RowBuilder sb = FeatureFrame.rowBuilder(served.schema());
    for (FeatureVector v : served.vectors()) {
      sb.add(v);
    }
    return SkewCheck.compare(sb.build(), offline.frame().select(served.schema().names()),
        DriftCheck.builder().build(), tolerance);
  }

  /**
   * This store as the features stage of a two-stage pipeline.
   *
   * @param service the feature service the ranker was trained on
   * @param keyOf the entity key to read for a candidate (e.g. user and item join keys together)
   * @return a thread-safe feature source
   */
  public FeatureSource featureSource(FeatureService service, BiFunction<PipelineRequest, Candidate, EntityKey> keyOf) {
    FeatureSchema schema = registry.resolve(service).outputSchema;
    return FeatureSource.of("features:" + service.name(), schema, (req, cands) -> {
      List<EntityKey> keys = new ArrayList<>(cands.size());
      for (Candidate c : cands) {
        keys.add(keyOf.apply(req, c));
      }
      return getOnlineFeatures(keys, service).vectors();
    });
  }

  /** Closes the online store, then the offline store (both, even if the first fails). */
  @Override
  public void close() {
    try {
      online.close();
    } finally {
      offline.close();
    }
  }

  // ---------------------------------------------------------------- internals

  @FunctionalInterface
  private interface SlotCopier {
    void copy(int part, int slot, FeatureVector.Builder b, int idx);
  }

  private static FeatureVector runOnDemand(ResolvedService.OnDemandPart od, FeatureVector request, SlotCopier copier) {
    FeatureVector.Builder in = FeatureVector.builder(od.inputSchema);
    for (int k = 0; k < od.requestIndex.length; k++) {
      if (od.requestIndex[k] >= 0) {
        Values.copy(request, od.requestIndex[k], in, k);
      } else {
        copier.copy(od.partIndex[k], od.partSlot[k], in, k);
      }
    }
    FeatureVector.Builder outB = FeatureVector.builder(od.view.schema());
    od.view.transform().apply(in.build(), outB);
    return outB.build();
  }

  private static FeatureSchema slotSchema(ResolvedService.StoredPart p) {
    List<FeatureSpec> specs = new ArrayList<>();
    for (int fi : p.featureIndex) {
      specs.add(p.view.schema().get(fi));
    }
    return FeatureSchema.of(specs);
  }

  private ViewDefinition storedView(String name) {
    ViewDefinition v = registry.view(name);
    if (v instanceof OnDemandFeatureView) {
      throw new IllegalArgumentException("view '" + name + "' is an on-demand view: it has no stored data");
    }
    return v;
  }

  private ViewData dataOf(ViewDefinition v) {
    ViewData d = data.computeIfAbsent(v.name(), k -> new ViewData(v));
    if (!d.version.equals(v.version())) {
      throw new IllegalStateException("view '" + v.name() + "' was replaced (data written under version " + d.version
          + ", registry has " + v.version() + "): call dropData(\"" + v.name() + "\") and ingest again");
    }
    return d;
  }

  private KeyDictionary dictionary(Entity e) {
    return dictionaries.computeIfAbsent(e.name(), k -> new KeyDictionary(e.name(), e.joinKeys()));
  }

  private static void checkBatch(ViewDefinition v, EventBatch batch) {
    if (batch == null) {
      throw new IllegalArgumentException("batch must not be null");
    }
    FeatureSchema expected = v instanceof AggregationView ? ((AggregationView) v).inputSchema() : v.schema();
    if (!batch.schema().equals(expected)) {
      throw new IllegalArgumentException("batch for view '" + v.name() + "' has schema " + batch.schema()
          + ", expected " + expected);
    }
    Entity e = v.entity();
    checkValues(v, batch);
    if (batch.hasLongKeys()) {
      if (e.joinKeys().size() != 1) {
        throw new IllegalArgumentException("batch for view '" + v.name() + "': long keys need an entity with one join "
            + "key; entity '" + e.name() + "' has " + e.joinKeys());
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      EntityKey k = batch.key(i);
      if (!k.hasNames(e.joinKeys())) {
        throw new IllegalArgumentException("row " + i + " of the batch for view '" + v.name() + "': key " + k
            + " does not fit entity '" + e.name() + "', expected join keys " + e.joinKeys());
      }
      for (int j = 0; j < k.size(); j++) {
        if (k.value(j) instanceof String) {
          String sv = (String) k.value(j);
          int bytes = sv.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
          if (bytes == 0 || bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("row " + i + " of the batch for view '" + v.name() + "': join key '"
                + k.names().get(j) + "' has " + bytes + " UTF-8 bytes, expected 1 to " + MAX_KEY_BYTES);
          }
        }
      }
    }
  }

  /** Refuses infinite DOUBLE values and embedding components (NaN is how a value is missing). */
  private static void checkValues(ViewDefinition v, EventBatch batch) {
    FeatureFrame values = batch.values();
    FeatureSchema schema = values.schema();
    for (int c = 0; c < schema.size(); c++) {
      FeatureSpec spec = schema.get(c);
      if (spec.type() != FeatureType.DOUBLE && spec.type() != FeatureType.EMBEDDING) {
        continue;
      }
      if (spec.type() == FeatureType.DOUBLE) {
        double[] col = values.doubleColumn(spec.name());
        for (int r = 0; r < col.length; r++) {
          if (Double.isInfinite(col[r])) {
            throw new IllegalArgumentException("row " + r + " of the batch for view '" + v.name() + "': feature '"
                + spec.name() + "' is " + col[r] + ", expected a finite DOUBLE (NaN marks a missing value)");
          }
        }
        continue;
      }
      for (int r = 0; r < values.rowCount(); r++) {
        if (!values.isPresent(r, c)) {
          continue;
        }
        float[] emb = values.getEmbedding(r, c);
        for (int k = 0; k < emb.length; k++) {
          if (Float.isInfinite(emb[k])) {
            throw new IllegalArgumentException("row " + r + " of the batch for view '" + v.name() + "': feature '"
                + spec.name() + "' has " + emb[k] + " at position " + k + ", expected finite components");
          }
        }
      }
    }
  }

  private long[] encode(ViewDefinition v, EventBatch batch) {
    KeyDictionary dict = dictionary(v.entity());
    int n = batch.size();
    long[] ids = new long[n];
    if (batch.hasLongKeys()) {
      dict.requireLongMode("batch for view '" + v.name() + "'");
      for (int i = 0; i < n; i++) {
        ids[i] = batch.longKey(i);
      }
      return ids;
    }
    for (int i = 0; i < n; i++) {
      dict.check(batch.key(i), "row " + i + " of the batch for view '" + v.name() + "'");
    }
    for (int i = 0; i < n; i++) {
      ids[i] = dict.idOf(batch.key(i), "row " + i + " of the batch for view '" + v.name() + "'");
    }
    return ids;
  }

  /** The entity rows with keys projected onto the view's entity (same object when nothing changes). */
  private static EntityRows rowsFor(ViewDefinition v, EntityRows rows) {
    if (rows.hasLongKeys()) {
      if (v.entity().joinKeys().size() != 1) {
        throw new IllegalArgumentException("entity rows with long ids cannot key view '" + v.name() + "' (entity '"
            + v.entity().name() + "' has join keys " + v.entity().joinKeys() + ")");
      }
      return rows;
    }
    int n = rows.size();
    List<EntityKey> keys = new ArrayList<>(n);
    boolean same = true;
    for (int i = 0; i < n; i++) {
      EntityKey k = project(rows.key(i), v.entity());
      same &= k == rows.key(i);
      keys.add(k);
    }
    if (same) {
      return rows;
    }
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      ts[i] = rows.timestamp(i);
    }
    return EntityRows.of(keys, ts, null);
  }

  private static EntityKey project(EntityKey key, Entity entity) {
    if (key.hasNames(entity.joinKeys())) {
      return key;
    }
    EntityKey.Builder b = EntityKey.builder();
    for (String jk : entity.joinKeys()) {
      Object v;
      try {
        v = key.value(jk);
      } catch (IllegalArgumentException e) {
        v = null;
      }
      if (v == null) {
        throw new IllegalArgumentException("key " + key + " lacks join key '" + jk + "' of entity '" + entity.name()
            + "'");
      }
      b.put(jk, v);
    }
    return b.build();
  }

  /** Assembles a {@link FeatureStore}. Not thread-safe. */
  public static final class Builder {
    private final FeatureRegistry registry;
    private OnlineStore online;
    private OfflineStore offline;
    private LongSupplier clock = System::currentTimeMillis;

    private Builder(FeatureRegistry registry) {
      this.registry = registry;
    }

    /**
     * Sets the online store (default: a new {@link EmbeddedOnlineStore}).
     *
     * @param store the store
     * @return this builder
     */
    public Builder onlineStore(OnlineStore store) {
      if (store == null) {
        throw new IllegalArgumentException("online store must not be null");
      }
      this.online = store;
      return this;
    }

    /**
     * Sets the offline store that keeps each view's history (default: a new in-memory
     * {@link EmbeddedOfflineStore}; use {@link EmbeddedOfflineStore#open} for history that survives
     * restarts). {@link FeatureStore#close()} closes it.
     *
     * @param store the store
     * @return this builder
     */
    public Builder offlineStore(OfflineStore store) {
      if (store == null) {
        throw new IllegalArgumentException("offline store must not be null");
      }
      this.offline = store;
      return this;
    }

    /**
     * Sets the clock for TTL checks and online windows (default the system clock).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = clock::millis;
      return this;
    }

    /**
     * Sets the clock as a supplier of epoch milliseconds (e.g. a test's controllable time).
     *
     * @param nowMillis the clock
     * @return this builder
     */
    public Builder clock(LongSupplier nowMillis) {
      if (nowMillis == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = nowMillis;
      return this;
    }

    /**
     * Builds the store.
     *
     * @return the store
     */
    public FeatureStore build() {
      return new FeatureStore(this);
    }
  }
}
