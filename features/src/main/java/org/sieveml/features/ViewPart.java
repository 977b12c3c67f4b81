package org.sieveml.features;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.telemetry.Telemetry;
import org.sieveml.features.internal.Values;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stored view's behaviour, offline and online together: {@link FeatureViewPart} for feature
 * views (latest row per key), {@link AggregationViewPart} for aggregation views (window tiles). The
 * {@link FeatureStore} facade checks input and dispatches; each part owns how its kind is pushed,
 * joined, served and materialized, so both paths of one kind sit side by side.
 *
 * <p>Thread-safe.
 */
abstract class ViewPart {

  private static final Logger LOG = LoggerFactory.getLogger(ViewPart.class);

  /** What every part shares with the facade. */
  record Context(OnlineStore online, OfflineStore offline, LongSupplier clock, long futureToleranceMillis,
      Telemetry.Counter versionMismatches) {}

  /** The training-data columns of one part: one per read feature, and the rows without a match. */
  record Historical(List<Values.ColumnGather> columns, long misses) {}

  /** The online answer of one part: per key the read features (slot order), a status and an event time. */
  static final class Fetched {
    final FeatureVector[] vectors;
    final FeatureStatus[] status;
    final long[] eventTime;

    Fetched(int n) {
      vectors = new FeatureVector[n];
      status = new FeatureStatus[n];
      eventTime = new long[n];
    }
  }

  final ViewDefinition view;
  final Context ctx;
  /** The name of the mark that counts drops of this view's data (see {@link #hwmMark}). */
  private final String epochMark;

  ViewPart(ViewDefinition view, Context ctx) {
    this.view = view;
    this.ctx = ctx;
    this.epochMark = "epoch:" + view.name();
  }

  /**
   * The part for a stored view.
   *
   * @param view a feature or aggregation view
   * @param ctx the store's context
   * @return its part
   */
  static ViewPart of(ViewDefinition view, Context ctx) {
    if (view instanceof FeatureView fv) {
      return new FeatureViewPart(fv, ctx);
    }
    if (view instanceof AggregationView av) {
      return new AggregationViewPart(av, ctx);
    }
    throw new IllegalArgumentException("view '" + view.name() + "' is an on-demand view: it has no stored data");
  }

  /** The schema of the events the view stores (an aggregation view's input schema). */
  abstract FeatureSchema eventSchema();

  /** Appends history to the offline log only. */
  long ingest(EventBatch batch) {
    checkBatch(batch, Long.MIN_VALUE);
    return ctx.offline().append(view, batch, OfflineStore.AT_CREATED_TIME);
  }

  /** Appends to the offline log and updates the online state (checks first). */
  abstract void push(EventBatch batch, long now);

  /** Adds the online writes a push of a checked batch makes (rows or tile deltas) to a commit. */
  abstract void stage(EventBatch batch, long now, OnlineCommit.Builder commit);

  /** A lock a push holds from its offline append to its online write, or null (aggregation views: rebuilds). */
  java.util.concurrent.locks.Lock pushLock() {
    return null;
  }

  /**
   * Checks one event as {@link #checkBatch} checks a batch's rows, for a stream consumer that sorts out
   * bad records one by one.
   */
  void checkEvent(EntityKey key, long eventTime, long createdTime, FeatureVector values, long now) {
    if (values == null || !values.schema().equals(eventSchema())) {
      String had = values == null ? null : values.schema().toString();
      throw new InvalidEventException("values", had, "the schema " + eventSchema(), "values for view '" + view.name()
          + "' have schema " + had + ", expected " + eventSchema());
    }
    checkEventTime("eventTime", eventTime);
    checkEventTime("createdTime", createdTime);
    long limit = futureLimit(now);
    if (eventTime > limit) {
      throw new InvalidEventException("eventTime", Long.toString(eventTime), "at most the store's clock plus its "
          + "future tolerance (" + limit + ")", "eventTime of an event for view '" + view.name() + "' is " + eventTime
          + ", more than the future tolerance of " + ctx.futureToleranceMillis() + " ms after the store's clock ("
          + now + "); expected at most " + limit);
    }
    Entity e = view.entity();
    if (key == null || !key.hasNames(e.joinKeys())) {
      throw new InvalidEventException("key", String.valueOf(key), "a key of entity '" + e.name() + "' "
          + e.joinKeys(), "key " + key + " of an event for view '" + view.name() + "' does not fit entity '"
          + e.name() + "', expected join keys " + e.joinKeys());
    }
    FeatureSchema schema = values.schema();
    for (int c = 0; c < schema.size(); c++) {
      FeatureSpec spec = schema.get(c);
      if (spec.type() == FeatureType.DOUBLE && values.isPresent(c) && Double.isInfinite(values.asDouble(c))) {
        throw new InvalidEventException(spec.name(), Double.toString(values.asDouble(c)), "a finite DOUBLE",
            "feature '" + spec.name() + "' of an event for view '" + view.name() + "' is " + values.asDouble(c)
            + ", expected a finite DOUBLE (NaN marks a missing value)");
      }
      if (spec.type() == FeatureType.EMBEDDING && values.isPresent(c)) {
        float[] emb = values.getEmbedding(c);
        for (int k = 0; k < emb.length; k++) {
          if (Float.isInfinite(emb[k])) {
            throw new InvalidEventException(spec.name(), Float.toString(emb[k]), "finite components",
                "feature '" + spec.name() + "' of an event for view '" + view.name() + "' has " + emb[k]
                + " at position " + k + ", expected finite components");
          }
        }
      }
    }
  }

  /** Point-in-time columns of the read features. */
  abstract Historical historical(EntityRows rows, int[] featureIndex, Visibility visibility);

  /**
   * Online values of the read features of a service's part at {@code now}; with {@code asOf}, from the
   * online store's history at {@code now} ({@link OnlineStore#readAsOf}) instead of its current state
   * (a replay: version mismatches are not counted again).
   */
  abstract Fetched online(List<EntityKey> keys, long now, ResolvedService.StoredPart part, boolean asOf);

  /**
   * The fast path for a service that is exactly this view's features in order: one status and event
   * time per key, vectors built straight in the output layout.
   */
  abstract OnlineFeatures readWhole(List<EntityKey> keys, ResolvedService rs, long now, boolean asOf);

  /**
   * Which offline rows a materialization at {@code now} writes online: rows ingested by the clock and
   * dated at most the future tolerance after it, and, for an incremental run, with event time before
   * its {@code to}. An incremental pass remembers the highest sequence it took and the lowest it deferred,
   * which is where the high-water mark may move. Not thread-safe (one run).
   */
  static final class Pass {
    final long now;
    private final long limit;
    private final long before;
    private long highest;
    private long lowestDeferred = Long.MAX_VALUE;

    Pass(long now, long limit, long before, long hwm) {
      this.now = now;
      this.limit = limit;
      this.before = before;
      this.highest = hwm;
    }

    /** Whether row {@code r} of a chunk is materialized now; every scanned row must be offered. */
    boolean take(LogChunk c, int r) {
      boolean ok = c.ingestionTime(r) <= now && c.eventTime(r) <= limit && c.eventTime(r) < before;
      if (ok) {
        highest = Math.max(highest, c.sequence(r));
      } else {
        lowestDeferred = Math.min(lowestDeferred, c.sequence(r));
      }
      return ok;
    }

    /** The high-water mark after the run: the highest sequence taken, but below every deferred row. */
    long mark() {
      return Math.min(highest, lowestDeferred == Long.MAX_VALUE ? Long.MAX_VALUE : lowestDeferred - 1);
    }
  }

  /**
   * Writes the online state for the rows of the scan that {@code pass} takes.
   *
   * @return {scanned, written, applied}, as {@link MaterializationResult} reports them
   */
  abstract long[] materialize(long fromEvent, long toEvent, long afterSequence, Pass pass, LongConsumer progress);

  /** Rebuilds the online state from events with event time in [from, to). */
  final MaterializationResult materialize(long from, long to, LongConsumer progress) {
    long now = ctx.clock().getAsLong();
    long[] c = materialize(from, to, -1, new Pass(now, futureLimit(now), Long.MAX_VALUE, -1), progress);
    LOG.debug("materialized {} [{}, {}): {} scanned, {} written, {} applied", view.name(), from, to, c[0], c[1],
        c[2]);
    return new MaterializationResult(view.name(), from, to, c[0], c[1], c[2]);
  }

  /** Materializes what was ingested since the last incremental run, then moves the durable mark. */
  final MaterializationResult materializeIncremental(long to, LongConsumer progress) {
    long now = ctx.clock().getAsLong();
    String mark = hwmMark();
    long hwm = Math.max(-1, ctx.online().readMark(mark));
    Pass pass = new Pass(now, futureLimit(now), to, hwm);
    long[] c = materialize(Long.MIN_VALUE, Long.MAX_VALUE, hwm, pass, progress);
    if (pass.mark() > hwm) {
      ctx.online().advanceMark(mark, pass.mark());
    }
    return new MaterializationResult(view.name(), Long.MIN_VALUE, to, c[0], c[1], c[2]);
  }

  /** Erases one entity: offline rows hidden, online state removed; returns the offline rows erased. */
  long erase(EntityKey key) {
    long n = ctx.offline().erase(view, key);
    ctx.online().erase(view.name(), key);
    return n;
  }

  /** Forgets the view's data everywhere. */
  void drop() {
    ctx.offline().drop(view.name());
    ctx.online().clear(view.name());
    // sequence numbers of a new log start again: high-water marks of the old one must not apply
    long epoch = ctx.online().readMark(epochMark);
    ctx.online().advanceMark(epochMark, epoch == Long.MIN_VALUE ? 1 : epoch + 1);
  }

  /** The name of the incremental-materialization high-water mark of this view version and log. */
  String hwmMark() {
    long epoch = ctx.online().readMark(epochMark);
    return "materialized:" + view.name() + "@" + view.version() + "#" + (epoch == Long.MIN_VALUE ? 0 : epoch);
  }

  /** Counts a version mismatch served. */
  void mismatch(int n) {
    ctx.versionMismatches().add(n);
  }

  // ------------------------------------------------------------------ input checks

  /**
   * Checks a batch; with {@code now > Long.MIN_VALUE} also that no event is later than the clock plus
   * the tolerance.
   */
  void checkBatch(EventBatch batch, long now) {
    if (batch == null) {
      throw new IllegalArgumentException("batch must not be null");
    }
    FeatureSchema expected = eventSchema();
    if (!batch.schema().equals(expected)) {
      throw new IllegalArgumentException("batch for view '" + view.name() + "' has schema " + batch.schema()
          + ", expected " + expected);
    }
    if (now != Long.MIN_VALUE) {
      long limit = futureLimit(now);
      for (int i = 0; i < batch.size(); i++) {
        if (batch.eventTime(i) > limit) {
          throw new IllegalArgumentException("eventTime of row " + i + " pushed to view '" + view.name() + "' is "
              + batch.eventTime(i) + ", more than the future tolerance of " + ctx.futureToleranceMillis()
              + " ms after the store's clock (" + now + "); expected at most " + limit);
        }
      }
    }
    Entity e = view.entity();
    checkValues(batch);
    if (batch.hasLongKeys()) {
      if (e.joinKeys().size() != 1) {
        throw new IllegalArgumentException("batch for view '" + view.name() + "': long keys need an entity with one "
            + "join key; entity '" + e.name() + "' has " + e.joinKeys());
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      EntityKey k = batch.key(i);
      if (!k.hasNames(e.joinKeys())) {
        throw new IllegalArgumentException("row " + i + " of the batch for view '" + view.name() + "': key " + k
            + " does not fit entity '" + e.name() + "', expected join keys " + e.joinKeys());
      }
      // string values are 1 to EntityKey.MAX_STRING_BYTES UTF-8 bytes: EntityKey refuses others
    }
  }

  private void checkEventTime(String field, long t) {
    if (t < 0 || t > EventBatch.MAX_TIME) {
      String expected = "epoch milliseconds in [0, " + EventBatch.MAX_TIME + "]";
      throw new InvalidEventException(field, Long.toString(t), expected, field + " of an event for view '"
          + view.name() + "' is " + t + ", expected " + expected);
    }
  }

  /** Refuses infinite DOUBLE values and embedding components (NaN is how a value is missing). */
  private void checkValues(EventBatch batch) {
    FeatureFrame values = batch.values();
    FeatureSchema schema = values.schema();
    for (int c = 0; c < schema.size(); c++) {
      FeatureSpec spec = schema.get(c);
      if (spec.type() == FeatureType.DOUBLE) {
        double[] col = values.doubleColumn(spec.name());
        for (int r = 0; r < col.length; r++) {
          if (Double.isInfinite(col[r])) {
            throw new IllegalArgumentException("row " + r + " of the batch for view '" + view.name() + "': feature '"
                + spec.name() + "' is " + col[r] + ", expected a finite DOUBLE (NaN marks a missing value)");
          }
        }
      } else if (spec.type() == FeatureType.EMBEDDING) {
        for (int r = 0; r < values.rowCount(); r++) {
          if (!values.isPresent(r, c)) {
            continue;
          }
          float[] emb = values.getEmbedding(r, c);
          for (int k = 0; k < emb.length; k++) {
            if (Float.isInfinite(emb[k])) {
              throw new IllegalArgumentException("row " + r + " of the batch for view '" + view.name()
                  + "': feature '" + spec.name() + "' has " + emb[k] + " at position " + k
                  + ", expected finite components");
            }
          }
        }
      }
    }
  }

  /** The key of row i of a batch. */
  EntityKey key(EventBatch batch, int i) {
    return batch.hasLongKeys() ? EntityKey.of(view.entity().joinKeys().get(0), batch.longKey(i)) : batch.key(i);
  }

  /** The keys projected onto this view's entity. */
  List<EntityKey> project(List<EntityKey> keys) {
    List<EntityKey> out = new ArrayList<>(keys.size());
    for (EntityKey k : keys) {
      out.add(project(k, view.entity()));
    }
    return out;
  }

  /** A key projected onto an entity's join keys (the same object when it has exactly those). */
  static EntityKey project(EntityKey key, Entity entity) {
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

  /** The entity rows with keys projected onto this view's entity (same object when nothing changes). */
  EntityRows rowsFor(EntityRows rows) {
    if (rows.hasLongKeys()) {
      if (view.entity().joinKeys().size() != 1) {
        throw new IllegalArgumentException("entity rows with long ids cannot key view '" + view.name() + "' (entity '"
            + view.entity().name() + "' has join keys " + view.entity().joinKeys() + ")");
      }
      return rows;
    }
    int n = rows.size();
    List<EntityKey> keys = new ArrayList<>(n);
    boolean same = true;
    for (int i = 0; i < n; i++) {
      EntityKey k = project(rows.key(i), view.entity());
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

  /** The latest event time a materialization writes online at {@code now}. */
  long futureLimit(long now) {
    return now > Long.MAX_VALUE - ctx.futureToleranceMillis() ? Long.MAX_VALUE : now + ctx.futureToleranceMillis();
  }
}
