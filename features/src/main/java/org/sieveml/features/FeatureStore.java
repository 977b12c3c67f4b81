package org.sieveml.features;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.telemetry.Telemetry;
import org.sieveml.features.internal.Values;

/**
 * The feature store: one object that ingests events, builds point-in-time-correct training data and
 * serves the same features online, with one code path per view kind for both. The analogue of Feast's
 * {@code FeatureStore}, in-process.
 *
 * <pre>{@code
 * FeatureStore store = FeatureStore.builder(registry).build();
 * store.ingest("card_stats", batch);                             // offline event log
 * TrainingData td = store.getHistoricalFeatures(entityRows, fraudV1);   // point-in-time join
 * store.materialize("card_stats", from, to, null);               // offline -> online
 * store.push("card_txn", events);                                // streaming: offline + online rows/tiles
 * OnlineFeatures f = store.getOnlineFeatures(List.of(card.key(4711L)), fraudV1);
 * }</pre>
 *
 * <p><b>Semantics.</b> For an entity row at time {@code t} a {@link FeatureView}'s features come from
 * the latest row of that entity with event time in {@code (t - ttl, t]}; equal event times go to the
 * later created time, then the later ingested row; no match gives the feature's default (or a missing
 * value) and is counted. An online read at {@code now} returns what that join would return at
 * {@code now} for the materialized or pushed rows, with a status per value: PRESENT, NOT_FOUND,
 * EXPIRED when the row's event time is {@code <= now - ttl}, VERSION_MISMATCH when the stored row was
 * written under another definition of the view. An {@link AggregationView}'s windows give the same
 * values offline and online (its Javadoc states the window rule). An {@link OnDemandFeatureView}'s
 * transform runs on the same inputs on both paths; online its outputs take the worst status of their
 * inputs.
 *
 * <p><b>State.</b> Everything served online — rows and window tiles — lives in the
 * {@link OnlineStore}, stamped with the definition version it was written under; a restart, or a
 * second replica on the same (e.g. Redis) store, serves the same values. Replacing a definition while
 * data is live is allowed: data of the old version is served as VERSION_MISMATCH (counted in the
 * telemetry counter {@value #VERSION_MISMATCH_COUNTER}) until it is rewritten — a feature view's row by
 * a newer row of the current version (pushed or materialized), an aggregation view's tiles only by a
 * materialization (a push holds just its own events, not the key's windows, so it never turns old
 * tiles into live ones: materialize after replacing an aggregation view). Offline, a view's log stays
 * bound to its entity and event schema (a definition changing either needs {@link #dropData}).
 *
 * <p><b>Clocks.</b> A pushed event may be dated up to {@link Builder#futureTolerance} after the store's
 * clock (hosts' clocks differ); a later one is refused. Such an event is served online as soon as it
 * is pushed (a window counts it once the bucket holding its event time has begun), while a
 * point-in-time join sees it only from its event time on. Window tiles are kept for reads down to the
 * tolerance before the writer's clock, so replicas whose clocks differ by less than it read the same
 * windows.
 *
 * <p><b>Bad input</b> (unknown views or features, keys that do not fit the entity, wrong types,
 * infinite values, times beyond the tolerance) throws an {@link IllegalArgumentException} naming the
 * field, the value and what was expected, before anything is changed.
 *
 * <p><b>Durability</b> is the stores': {@link #push} returns once both stores accepted the batch; what
 * a crash can then lose is stated by each store ({@link EmbeddedOfflineStore}, {@link EmbeddedOnlineStore}).
 * {@link #sync()} makes everything acknowledged so far durable in both. The offline log is the record:
 * a push is appended to it before the online store changes, and the incremental high-water mark lives
 * in the online store's own log after the state it covers, so after a crash that lost the online
 * store's last writes, {@link #materializeIncremental} rebuilds every key touched since the surviving
 * mark. {@link #close()} closes the online store, then the offline store.
 *
 * <p>Thread-safe: reads and writes may run concurrently from any number of threads.
 */
public final class FeatureStore implements AutoCloseable {

  /** The name of the timestamp column of training frames. */
  public static final String TIMESTAMP_COLUMN = "event_timestamp";
  /** The telemetry counter of values served as {@link FeatureStatus#VERSION_MISMATCH}. */
  public static final String VERSION_MISMATCH_COUNTER = "sieveml.features.version_mismatch";
  /** The longest string join key value accepted, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = EntityKey.MAX_STRING_BYTES;
  /** The default {@link Builder#futureTolerance}: one minute. */
  public static final Duration DEFAULT_FUTURE_TOLERANCE = Duration.ofMinutes(1);

  private final FeatureRegistry registry;
  private final OnlineStore online;
  private final OfflineStore offline;
  private final LongSupplier clock;
  private final ViewPart.Context ctx;
  private final ConcurrentHashMap<String, ViewPart> parts = new ConcurrentHashMap<>();

  private FeatureStore(Builder b) {
    this.registry = b.registry;
    this.online = b.online != null ? b.online : new EmbeddedOnlineStore();
    this.offline = b.offline != null ? b.offline : EmbeddedOfflineStore.inMemory();
    this.clock = b.clock;
    this.ctx = new ViewPart.Context(online, offline, clock, b.futureTolerance,
        b.telemetry.counter(VERSION_MISMATCH_COUNTER));
    if (b.historyHorizon != null) {
      online.keepHistory(b.historyHorizon, clock);
    }
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
    return part(storedView(view)).ingest(batch);
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
   * field); other columns are ignored. Values as {@link org.sieveml.core.csv.CsvFrameReader#parseValue}
   * reads them: finite decimal numbers, {@code true}/{@code false} (or {@code 1}/{@code 0}), text,
   * embeddings as space-separated floats; an empty field is a missing value. The file is read by core's
   * {@link org.sieveml.core.csv.CsvReader}, so a field or record over the default
   * {@link org.sieveml.core.csv.CsvFormat} limits is refused. The whole file is parsed
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
    ViewPart p = part(storedView(view));
    EventBatch batch = CsvLoader.read(p.view, view, p.eventSchema(), file);
    p.ingest(batch);
    return batch.size();
  }

  /**
   * Streams a batch: appends it to the offline log and updates the online state — a feature view's
   * latest row per key, an aggregation view's window tiles — through the online store, so every
   * replica on that store serves it.
   *
   * @param view a feature view or aggregation view
   * @param batch the rows
   * @throws IllegalArgumentException on bad input, including an event dated more than the future
   *     tolerance after the store's clock; nothing is written then
   */
  public void push(String view, EventBatch batch) {
    part(storedView(view)).push(batch, clock.getAsLong());
  }

  // ---------------------------------------------------------------- streams, exactly once

  /**
   * The name of the online mark holding a view's position in a stream source.
   *
   * @param view the view
   * @param source the source, e.g. {@code "txns/0"}
   * @return the mark's name
   */
  public static String positionMark(String view, String source) {
    return "stream:" + view + ":" + source;
  }

  /**
   * A view's stored position in a stream source: the offset after the last event of the source its
   * online state holds ({@link #pushFrom}), read from the online store, where every replica sees it. A
   * consumer resumes there.
   *
   * @param view a feature view or aggregation view
   * @param source the source's name
   * @return the position, or {@code Long.MIN_VALUE} when no event of the source was pushed
   */
  public long streamPosition(String view, String source) {
    storedView(view);
    if (source == null) {
      throw new IllegalArgumentException("source must not be null");
    }
    return online.readMark(positionMark(view, source));
  }

  /**
   * Checks one event as a push would, without storing it: a stream consumer sorts out bad records
   * (wrong key, wrong schema, infinite values, a time out of range or beyond the future tolerance
   * after the store's clock) one by one before it builds a {@link StreamBatch}.
   *
   * @param view a feature view or aggregation view
   * @param key the entity key
   * @param eventTime event time, epoch milliseconds
   * @param createdTime created time, epoch milliseconds
   * @param values the values, of the view's event schema (an aggregation view's input schema)
   * @throws InvalidEventException naming the field, the value and what was expected
   * @throws IllegalArgumentException when the view is unknown or on-demand
   */
  public void checkEvent(String view, EntityKey key, long eventTime, long createdTime, FeatureVector values) {
    part(storedView(view)).checkEvent(key, eventTime, createdTime, values, clock.getAsLong());
  }

  /**
   * Pushes events read from a stream, exactly once in effect. For each part (one view, one source):
   * the offline log appends the rows it does not hold yet ({@link OfflineStore#appendFrom}, which
   * skips rows below the source's position stored with them) and is made durable; then one
   * {@link OnlineStore#commit} applies the online rows or window tiles of every part's rows at or above
   * its {@code expected} position (those below were applied before) and moves each part's position
   * from {@code expected} to {@code next} by compare-and-set. So a consumer that resumes from
   * {@link #streamPosition} after a crash at any moment neither loses an event nor counts one twice,
   * offline or online; and one that lost its source to another writer (whose commits moved the
   * position) gets {@code false} instead of applying again.
   *
   * @param batch the events
   * @return true when applied; false when some part's stored position was not its {@code expected} (the
   *     online state did not change; the offline log may have appended rows it lacked). The offline log
   *     holds each event at most once per log: when two processes, each with its own log, share a
   *     source over time, an event whose online commit was refused in one may be in both logs.
   * @throws IllegalArgumentException on bad input (as {@link #push}); nothing is written then
   * @throws UnsupportedOperationException when the online store cannot commit atomically or the
   *     offline store cannot append exactly once
   */
  public boolean pushFrom(StreamBatch batch) {
    if (batch == null) {
      throw new IllegalArgumentException("batch must not be null");
    }
    long now = clock.getAsLong();
    List<ViewPart> ps = new ArrayList<>(batch.parts().size());
    for (StreamBatch.Part p : batch.parts()) {
      ViewPart part = part(storedView(p.view()));
      part.checkBatch(p.rows(), now);
      ps.add(part);
    }
    java.util.TreeMap<String, java.util.concurrent.locks.Lock> ordered = new java.util.TreeMap<>();
    for (ViewPart part : ps) {
      java.util.concurrent.locks.Lock l = part.pushLock();
      if (l != null) {
        ordered.put(part.view.name(), l);
      }
    }
    List<java.util.concurrent.locks.Lock> locks = new ArrayList<>(ordered.values()); // one order: no deadlock
    for (java.util.concurrent.locks.Lock l : locks) {
      l.lock();
    }
    try {
      for (int i = 0; i < ps.size(); i++) {
        StreamBatch.Part p = batch.parts().get(i);
        offline.appendFrom(ps.get(i).view, p.rows(), now, p.source(), p.offsets());
      }
      offline.sync(); // the log never falls behind the online position (a consumer resumes from the latter)
      OnlineCommit.Builder commit = OnlineCommit.builder();
      for (int i = 0; i < ps.size(); i++) {
        StreamBatch.Part p = batch.parts().get(i);
        int from = 0;
        if (p.expected() != Long.MIN_VALUE) {
          while (from < p.size() && p.offset(from) < p.expected()) {
            from++; // applied online before (the offline log was behind, so the consumer resumed earlier)
          }
        }
        ps.get(i).stage(p.rows().tail(from), now, commit);
        commit.mark(positionMark(p.view(), p.source()), p.expected(), p.next());
      }
      return online.commit(commit.build());
    } finally {
      for (int i = locks.size() - 1; i >= 0; i--) {
        locks.get(i).unlock();
      }
    }
  }

  /** Makes everything acknowledged so far durable in the online store, then in the offline store. */
  public void sync() {
    online.sync();
    offline.sync();
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
      ViewPart part = part(p.view);
      ViewPart.Historical h = part.historical(rows, p.featureIndex, visibility);
      FeatureFrame.ColumnBuilder pf = FeatureFrame.builder(n);
      for (int s = 0; s < p.featureIndex.length; s++) {
        if (!rs.onDemand.isEmpty()) {
          h.columns().get(s).addTo(pf);
        }
        if (p.outputPosition[s] >= 0) {
          outCols.set(p.outputPosition[s], h.columns().get(s));
          unmatched[p.outputPosition[s]] = h.misses();
        }
      }
      // the part's own frame is needed only as on-demand input
      partFrames.add(rs.onDemand.isEmpty() ? null : pf.build());
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
          FeatureVector res = OnDemandViewPart.run(od, request, (part, slot, b, idx) -> Values.copy(partFrames.get(part), row,
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
        fb.addColumn(extra.schema().get(c).name(), extra, c); // shared: frames are immutable
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
   * Online features for keys: what a point-in-time join at the store's clock gives for the pushed and
   * materialized data, with a status per value ({@link FeatureStatus}). On-demand outputs take the
   * worst status of their stored inputs.
   *
   * @param keys the entity keys (each carrying every join key of the service's views' entities)
   * @param service the registered feature service
   * @param request request-time data for on-demand views: one vector per key, or a single vector for
   *     all keys, of the service's request schema; null when it has no request fields
   * @return one vector per key, with statuses
   */
  public OnlineFeatures getOnlineFeatures(List<EntityKey> keys, FeatureService service, List<FeatureVector> request) {
    return readOnline(keys, service, request, clock.getAsLong(), false);
  }

  /**
   * Online features for keys as of a past time, for a service without on-demand request fields: see
   * {@link #getOnlineFeatures(List, FeatureService, List, long)}.
   *
   * @param keys the entity keys
   * @param service the registered feature service
   * @param asOfMillis the time to read at, epoch milliseconds, within the history horizon
   * @return what {@link #getOnlineFeatures(List, FeatureService)} returned (or would have) at that time
   */
  public OnlineFeatures getOnlineFeatures(List<EntityKey> keys, FeatureService service, long asOfMillis) {
    return getOnlineFeatures(keys, service, null, asOfMillis);
  }

  /**
   * Online features for keys as of a past time: exactly what {@link #getOnlineFeatures(List,
   * FeatureService, List)} would have returned had it been called at {@code asOfMillis} by the store's
   * clock — per view the row or window tiles the online store held then (its history, kept for
   * {@link Builder#historyHorizon}), TTL, version and statuses evaluated at that time, on-demand views
   * computed from those inputs and the given request data, and {@link OnlineFeatures#readTime()}
   * {@code asOfMillis}. So a logged request replays to the vectors it was served (writes the store
   * applied in the very millisecond of the logged read, after it, are included). The time resolution is
   * the clock's millisecond and a read is not a snapshot: a write to one of the read's keys that another
   * thread or replica applies while the read is in progress can be in the replay and not in what was
   * served (or the other way round); reads that do not race a write replay exactly. Data erased since
   * ({@link #erase}, {@link #dropData}) is gone from the past too.
   *
   * @param keys the entity keys
   * @param service the registered feature service
   * @param request request-time data for on-demand views, as for a current read; null when none
   * @param asOfMillis the time to read at, epoch milliseconds: not after the store's clock and not
   *     before the history horizon (nor before history was kept)
   * @return one vector per key, with statuses, as served at {@code asOfMillis}
   * @throws IllegalArgumentException naming {@code asOf}, the horizon and the oldest time available
   *     when the time is outside the history, or when it is after the store's clock
   * @throws IllegalStateException when no history is kept ({@link Builder#historyHorizon} not set)
   * @throws UnsupportedOperationException when the online store keeps no history
   */
  public OnlineFeatures getOnlineFeatures(List<EntityKey> keys, FeatureService service, List<FeatureVector> request,
      long asOfMillis) {
    long now = clock.getAsLong();
    if (asOfMillis > now) {
      throw new IllegalArgumentException("asOf=" + asOfMillis + " is after the store's clock (" + now
          + "): an as-of read needs a past time within the history horizon");
    }
    return readOnline(keys, service, request, asOfMillis, true);
  }

  /** An online read at {@code now}: current, or from the online store's history when {@code asOf}. */
  private OnlineFeatures readOnline(List<EntityKey> keys, FeatureService service, List<FeatureVector> request,
      long now, boolean asOf) {
    if (keys == null) {
      throw new IllegalArgumentException("keys must not be null");
    }
    ResolvedService rs = registry.resolve(service);
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
    if (rs.wholeSingleView) {
      return part(rs.stored.get(0).view).readWhole(keys, rs, now, asOf);
    }
    FeatureSchema out = rs.outputSchema;
    int nf = out.size();
    byte[] status = new byte[n * nf];
    long[] eventTime = new long[n * nf];
    java.util.Arrays.fill(eventTime, Long.MIN_VALUE);
    FeatureVector.Builder[] builders = new FeatureVector.Builder[n];
    for (int i = 0; i < n; i++) {
      builders[i] = FeatureVector.builder(out);
    }
    ViewPart.Fetched[] fetched = new ViewPart.Fetched[rs.stored.size()];
    for (int pi = 0; pi < rs.stored.size(); pi++) {
      ResolvedService.StoredPart p = rs.stored.get(pi);
      ViewPart.Fetched f = part(p.view).online(keys, now, p, asOf);
      fetched[pi] = f;
      for (int i = 0; i < n; i++) {
        for (int s = 0; s < p.featureIndex.length; s++) {
          int o = p.outputPosition[s];
          if (o >= 0) {
            Values.copy(f.vectors[i], s, builders[i], o);
            status[i * nf + o] = (byte) f.status[i].ordinal();
            eventTime[i * nf + o] = f.eventTime[i];
          }
        }
      }
    }
    for (ResolvedService.OnDemandPart od : rs.onDemand) {
      for (int i = 0; i < n; i++) {
        final int key = i;
        FeatureVector req = rs.requestSchema.specs().isEmpty() ? FeatureVector.builder(rs.requestSchema).build()
            : request.get(request.size() == 1 ? 0 : i);
        FeatureVector res = OnDemandViewPart.run(od, req,
            (part, slot, b, idx) -> Values.copy(fetched[part].vectors[key], slot, b, idx));
        FeatureStatus st = OnDemandViewPart.status(od, fetched, i);
        long et = OnDemandViewPart.eventTime(od, fetched, i, now);
        for (int o = 0; o < od.outputPosition.length; o++) {
          int pos = od.outputPosition[o];
          if (pos >= 0) {
            Values.copy(res, o, builders[i], pos);
            status[i * nf + pos] = (byte) st.ordinal();
            eventTime[i * nf + pos] = et;
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

  // ---------------------------------------------------------------- materialization

  /**
   * Makes the online state of a view agree with its offline log for the events with event time in
   * {@code [from, to)}. A feature view: the latest row per entity in the range is written to the
   * online store (newest wins, in chunks of 10,000 rows, memory bounded by the chunk). An aggregation
   * view: every entity with an event in the range has its window tiles recomputed from the log and
   * replaced, so afterwards it reads exactly what a point-in-time join at the store's clock gives,
   * whatever was pushed or materialized before; running it again changes nothing. Only rows ingested
   * by the store's clock and not beyond its future tolerance are materialized. A rebuild replaces tiles
   * with what <em>this</em> store's offline log holds: with replicas sharing one online store, run it
   * where the offline store holds every replica's events (a shared offline store), or it drops the
   * other replicas' pushes from the rebuilt keys.
   *
   * @param view the view
   * @param fromMillis start, inclusive
   * @param toMillis end, exclusive, {@code > fromMillis}
   * @param progress receives the number of rows (feature view) or keys (aggregation view) written so
   *     far after every chunk, or null
   * @return what was done
   */
  public MaterializationResult materialize(String view, long fromMillis, long toMillis, LongConsumer progress) {
    ViewPart p = part(storedView(view));
    if (toMillis <= fromMillis) {
      throw new IllegalArgumentException("materialization range of view '" + view + "' must be non-empty, was ["
          + fromMillis + ", " + toMillis + ")");
    }
    return p.materialize(fromMillis, toMillis, progress);
  }

  /**
   * Materializes every row ingested into the view's offline log since the last incremental run,
   * whatever its event time (late rows included), following the log's ingestion sequence. The
   * high-water mark is kept durably in the online store (per view, definition version and log), so a
   * restart resumes where the last run stopped; rows with event time at or after {@code toMillis} (or
   * beyond the future tolerance, or not yet ingested by the clock) wait for a later run, and the mark
   * stays below them. Re-running never changes the result (materialization is idempotent). Run it in
   * one place per view: the mark counts the sequence of the offline store this store reads.
   *
   * @param view the view
   * @param toMillis rows with event time from here on wait for a later run
   * @param progress progress receiver or null
   * @return what was done ({@code fromMillis} is {@code Long.MIN_VALUE}: the range is by sequence)
   */
  public MaterializationResult materializeIncremental(String view, long toMillis, LongConsumer progress) {
    return part(storedView(view)).materializeIncremental(toMillis, progress);
  }

  /**
   * Forgets a view's stored data (offline log, online rows, tiles and its materialization mark).
   *
   * @param view the view's name
   */
  public void dropData(String view) {
    ViewDefinition v = registry.view(view);
    ViewPart p = v instanceof OnDemandFeatureView ? null : part(v);
    if (p != null) {
      p.drop();
    } else {
      offline.drop(view);
      online.clear(view);
    }
    parts.remove(view);
  }

  /**
   * Erases one entity from every stored view of its entity (a privacy request): its offline rows are
   * hidden from every later read at once and physically removed at the store's next rewrite of the
   * data (see {@link EmbeddedOfflineStore#compact}); its online rows and window tiles are removed from
   * the online store; the key is then forgotten by the offline store ({@link OfflineStore#forgetKey}:
   * a later row with the same key starts a new history).
   *
   * @param entity the entity's name
   * @param key the entity's key
   * @return the number of offline rows erased
   */
  public long erase(String entity, EntityKey key) {
    Entity e = registry.entity(entity);
    EntityKey k = ViewPart.project(key, e);
    long erased = 0;
    for (ViewDefinition v : registry.views()) {
      if (v.entity() != null && v.entity().name().equals(e.name())) {
        erased += part(v).erase(k);
      }
    }
    offline.forgetKey(e, k);
    return erased;
  }

  // ---------------------------------------------------------------- skew and pipeline

  /**
   * What was served next to what the point-in-time join at the time it was served gives for the same
   * keys: the input of a training/serving skew check. This store does not compare the two (that is
   * monitoring's job, e.g. {@code org.sieveml.monitoring.SkewCheck.compare(s.served(), s.offline(),
   * tolerance)}); by design they agree value for value.
   *
   * @param served what {@link #getOnlineFeatures} returned
   * @param service the service it was read with
   * @return the served frame and the offline replay, row {@code i} of each for key {@code i}
   */
  public ServedVsOffline servedVsOffline(OnlineFeatures served, FeatureService service) {
    long[] ts = new long[served.size()];
    java.util.Arrays.fill(ts, served.readTime());
    TrainingData offline = getHistoricalFeatures(EntityRows.of(served.keys(), ts, null), service);
    FeatureFrame.RowBuilder sb = FeatureFrame.rowBuilder(served.schema());
    for (FeatureVector v : served.vectors()) {
      sb.add(v);
    }
    return new ServedVsOffline(served.keys(), served.readTime(), sb.build(),
        offline.frame().select(served.schema().names()));
  }

  /**
   * This store as the features stage of a two-stage pipeline.
   *
   * @param service the feature service the ranker was trained on
   * @param keyOf the entity key to read for a candidate (e.g. user and item join keys together)
   * @return a thread-safe feature source; its {@link FeatureSource#fetchWithStatus} reports the keys
   *     read, each value's status and the read time (for a served-feature log)
   */
  public FeatureSource featureSource(FeatureService service, BiFunction<PipelineRequest, Candidate, EntityKey> keyOf) {
    FeatureSchema schema = registry.resolve(service).outputSchema;
    return new StoreFeatureSource(this, service, schema, keyOf);
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

  private ViewDefinition storedView(String name) {
    ViewDefinition v = registry.view(name);
    if (v instanceof OnDemandFeatureView) {
      throw new IllegalArgumentException("view '" + name + "' is an on-demand view: it has no stored data");
    }
    return v;
  }

  /** The part of a view's current definition (a replaced definition gets a new part). */
  private ViewPart part(ViewDefinition v) {
    ViewPart p = parts.get(v.name());
    if (p == null || !p.view.version().equals(v.version())) {
      p = parts.compute(v.name(), (k, old) -> old != null && old.view.version().equals(v.version()) ? old
          : ViewPart.of(v, ctx));
    }
    return p;
  }

  /** Assembles a {@link FeatureStore}. Not thread-safe. */
  public static final class Builder {
    private final FeatureRegistry registry;
    private OnlineStore online;
    private OfflineStore offline;
    private LongSupplier clock = System::currentTimeMillis;
    private long futureTolerance = DEFAULT_FUTURE_TOLERANCE.toMillis();
    private Telemetry telemetry = Telemetry.noop();
    private Duration historyHorizon;

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
     * Sets how far after the store's clock a pushed event may be dated (default
     * {@link FeatureStore#DEFAULT_FUTURE_TOLERANCE}); later events are refused. The same for every
     * view kind, and materialization leaves rows beyond it offline until the clock catches up.
     *
     * @param tolerance zero or positive
     * @return this builder
     */
    public Builder futureTolerance(Duration tolerance) {
      if (tolerance == null || tolerance.isNegative() || tolerance.compareTo(Duration.ofDays(3650)) > 0) {
        throw new IllegalArgumentException("future tolerance must be between 0 and 3650 days, was " + tolerance);
      }
      this.futureTolerance = tolerance.toMillis();
      return this;
    }

    /**
     * Keeps the online store's history for as-of reads
     * ({@link FeatureStore#getOnlineFeatures(List, FeatureService, List, long)}) reaching this far back
     * (default {@link Duration#ZERO}: no history, no cost, as-of reads refused). {@link #build()} calls
     * {@link OnlineStore#keepHistory} with it and this builder's clock, so the store stamps every write
     * it applies; what it costs is stated by each store (e.g. {@link EmbeddedOnlineStore}).
     *
     * @param horizon zero (no history) or positive, at most 3650 days
     * @return this builder
     * @throws IllegalArgumentException naming the value when it is null, negative or too long
     */
    public Builder historyHorizon(Duration horizon) {
      if (horizon == null || horizon.isNegative() || horizon.compareTo(Duration.ofDays(3650)) > 0) {
        throw new IllegalArgumentException("history horizon must be between 0 and 3650 days, was " + horizon);
      }
      this.historyHorizon = horizon.isZero() ? null : horizon;
      return this;
    }

    /**
     * Sets where counters go (default none): {@value FeatureStore#VERSION_MISMATCH_COUNTER}.
     *
     * @param telemetry the telemetry
     * @return this builder
     */
    public Builder telemetry(Telemetry telemetry) {
      if (telemetry == null) {
        throw new IllegalArgumentException("telemetry must not be null");
      }
      this.telemetry = telemetry;
      return this;
    }

    /**
     * Builds the store.
     *
     * @return the store
     * @throws UnsupportedOperationException when a history horizon is set and the online store keeps
     *     no history
     */
    public FeatureStore build() {
      return new FeatureStore(this);
    }
  }
}
