package org.sieveml.features;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongConsumer;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.internal.Values;
import org.sieveml.features.internal.WindowAggregator;

/**
 * An {@link AggregationView}'s behaviour: offline, windows computed from the log at each entity row's
 * time; online, window tiles in the {@link OnlineStore} (a push adds its events' tiles, a
 * materialization rebuilds the affected keys' tiles from the log), read with the same window rule
 * ({@link WindowAggregator}).
 *
 * <p>Pushes of one view run concurrently; a rebuild excludes pushes of the same view in this store
 * while it recomputes and replaces a group of keys, so no push is lost between its scan and its write.
 * Thread-safe.
 */
final class AggregationViewPart extends ViewPart {

  /** Keys rebuilt per scan of the log's horizon. */
  private static final int REBUILD_KEYS = 10_000;

  private final AggregationView av;
  private final WindowAggregator agg;
  private final ReentrantReadWriteLock rebuild = new ReentrantReadWriteLock();

  AggregationViewPart(AggregationView view, Context ctx) {
    super(view, ctx);
    this.av = view;
    this.agg = new WindowAggregator(view);
  }

  @Override
  FeatureSchema eventSchema() {
    return av.inputSchema();
  }

  @Override
  void push(EventBatch batch, long now) {
    checkBatch(batch, now);
    rebuild.readLock().lock();
    try {
      ctx.offline().append(av, batch, now);
      if (!av.online() || batch.size() == 0) {
        return;
      }
      ctx.online().addTiles(av.name(), deltas(batch, now), retention(now));
    } finally {
      rebuild.readLock().unlock();
    }
  }

  @Override
  java.util.concurrent.locks.Lock pushLock() {
    return rebuild.readLock();
  }

  @Override
  void stage(EventBatch batch, long now, OnlineCommit.Builder commit) {
    if (av.online() && batch.size() > 0) {
      commit.addTiles(av.name(), deltas(batch, now), retention(now));
    }
  }

  /** One tile delta per key of the batch, in order of first appearance. */
  private List<WindowTiles> deltas(EventBatch batch, long now) {
    {
      FeatureFrame values = batch.values();
      int nf = values.schema().size();
      double[][] cols = new double[nf][];
      for (int f = 0; f < nf; f++) {
        cols[f] = values.doubleColumn(values.schema().get(f).name());
      }
      double[] row = new double[nf];
      List<WindowAggregator.TileBuilder> order = new ArrayList<>();
      // long-keyed batches are grouped by id: one EntityKey per distinct id, not one per event
      Map<Long, WindowAggregator.TileBuilder> byId = batch.hasLongKeys() ? new HashMap<>() : null;
      Map<EntityKey, WindowAggregator.TileBuilder> byKey = byId == null ? new HashMap<>() : null;
      WindowAggregator.TileBuilder last = null;
      EntityKey lastKey = null;
      long lastId = 0;
      for (int i = 0; i < batch.size(); i++) {
        if (byId != null) {
          long id = batch.longKey(i);
          if (last == null || id != lastId) {
            last = byId.get(id);
            if (last == null) {
              last = agg.tiles(key(batch, i));
              byId.put(id, last);
              order.add(last);
            }
            lastId = id;
          }
        } else {
          EntityKey k = key(batch, i);
          if (last == null || !k.equals(lastKey)) {
            last = byKey.get(k);
            if (last == null) {
              last = agg.tiles(k);
              byKey.put(k, last);
              order.add(last);
            }
            lastKey = k;
          }
        }
        for (int f = 0; f < nf; f++) {
          row[f] = cols[f][i];
        }
        last.add(batch.eventTime(i), batch.createdTime(i), now, row);
      }
      List<WindowTiles> deltas = new ArrayList<>(order.size());
      for (WindowAggregator.TileBuilder b : order) {
        deltas.add(b.build());
      }
      return deltas;
    }
  }

  @Override
  Historical historical(EntityRows rows, int[] featureIndex, Visibility visibility) {
    int n = rows.size();
    double[][] w = ctx.offline().windows(av, rowsFor(rows), visibility);
    List<Values.ColumnGather> cols = new ArrayList<>(featureIndex.length);
    for (int fi : featureIndex) {
      Values.ColumnGather g = new Values.ColumnGather(av.schema().get(fi), n);
      for (int r = 0; r < n; r++) {
        g.setNumber(r, w[fi][r]);
      }
      cols.add(g);
    }
    return new Historical(cols, 0);
  }

  @Override
  Fetched online(List<EntityKey> keys, long now, ResolvedService.StoredPart part, boolean asOf) {
    int n = keys.size();
    List<WindowTiles> found = asOf ? ctx.online().readTilesAsOf(av.name(), project(keys), now) : tiles(keys);
    int[] featureIndex = part.featureIndex;
    FeatureSchema slots = part.slots;
    double[] vals = new double[agg.outputs()];
    Fetched out = new Fetched(n);
    for (int i = 0; i < n; i++) {
      WindowTiles t = found.get(i);
      FeatureStatus st = status(t, now, vals, asOf);
      FeatureVector.Builder b = FeatureVector.builder(slots);
      for (int s = 0; s < featureIndex.length; s++) {
        set(b, s, slots.get(s).type(), vals[featureIndex[s]]);
      }
      out.vectors[i] = b.build();
      out.status[i] = st;
      out.eventTime[i] = t == null || st == FeatureStatus.VERSION_MISMATCH ? Long.MIN_VALUE : t.eventTime();
    }
    return out;
  }

  /** The service is this view's features in order: the part's slots are the output layout. */
  @Override
  OnlineFeatures readWhole(List<EntityKey> keys, ResolvedService rs, long now, boolean asOf) {
    Fetched f = online(keys, now, rs.stored.get(0), asOf);
    byte[] status = new byte[keys.size()];
    for (int i = 0; i < status.length; i++) {
      status[i] = (byte) f.status[i].ordinal();
    }
    return new OnlineFeatures(rs.outputSchema, keys, f.vectors, status, f.eventTime, now, true);
  }

  private List<WindowTiles> tiles(List<EntityKey> keys) {
    if (keys.size() == 1 && ctx.online() instanceof EmbeddedOnlineStore e) {
      return Collections.singletonList(e.readTiles(av.name(), project(keys.get(0), av.entity())));
    }
    return ctx.online().readTiles(av.name(), project(keys));
  }

  /** Reads a key's windows at {@code now} into {@code vals} and returns their status. */
  private FeatureStatus status(WindowTiles t, long now, double[] vals, boolean asOf) {
    if (t != null && !t.version().equals(av.version())) {
      agg.read(null, now, vals); // another definition's tiles are never read
      if (!asOf) {
        mismatch(1);
      }
      return FeatureStatus.VERSION_MISMATCH;
    }
    long horizon = agg.read(t, now, vals);
    if (t == null || t.eventTime() < horizon) {
      return FeatureStatus.NOT_FOUND; // no event in any window (a store may already have dropped the tiles)
    }
    long ttl = agg.ttl();
    return ttl != Long.MAX_VALUE && t.eventTime() <= now - ttl ? FeatureStatus.EXPIRED : FeatureStatus.PRESENT;
  }

  private static void set(FeatureVector.Builder b, int s, FeatureType type, double v) {
    if (type == FeatureType.LONG) {
      b.setLong(s, (long) v);
    } else if (v == v) {
      b.setDouble(s, v);
    }
  }

  /** Rebuilds the tiles of every key with a taken row in the scan. */
  @Override
  long[] materialize(long fromEvent, long toEvent, long afterSequence, Pass pass, LongConsumer progress) {
    Set<EntityKey> affected = new LinkedHashSet<>();
    long[] scanned = new long[1];
    ctx.offline().scan(av, fromEvent, toEvent, afterSequence, chunk -> {
      scanned[0] += chunk.size();
      for (int r = 0; r < chunk.size(); r++) {
        if (pass.take(chunk, r)) {
          affected.add(chunk.key(r));
        }
      }
    });
    long[] written = rebuild(affected, pass.now, progress);
    return new long[] {scanned[0], written[0], written[1]};
  }

  /**
   * Which tiles a store may drop after a write at {@code now}: those no read at {@code now} minus the
   * future tolerance or later needs. The margin keeps what a replica whose clock is up to the tolerance
   * behind (or this host after a small clock step back) still reads.
   */
  private WindowTiles.Retention retention(long now) {
    return agg.retention(now - ctx.futureToleranceMillis());
  }

  /**
   * Refuses a rebuild while the offline log holds stream events whose online commit has not happened
   * (a stream consumer crashed or failed between the two): the rebuild would count them in the tiles,
   * and the consumer, resuming from the online position, would add them again. Called under the
   * rebuild lock, which a {@link FeatureStore#pushFrom} holds from its offline append to its commit.
   */
  private void checkStreamsApplied() {
    for (Map.Entry<String, Long> e : ctx.offline().sourcePositions(av).entrySet()) {
      long online = ctx.online().readMark(FeatureStore.positionMark(av.name(), e.getKey()));
      if (online == Long.MIN_VALUE || online < e.getValue()) {
        throw new IllegalStateException("view '" + av.name() + "': the offline log holds events of stream source '"
            + e.getKey() + "' up to position " + e.getValue() + " but the online state only up to "
            + (online == Long.MIN_VALUE ? "none" : Long.toString(online)) + " (a stream consumer stopped between the "
            + "two); materializing now would count them twice once it resumes. Let the consumer catch up first");
      }
    }
  }

  /**
   * Recomputes the tiles of keys from every event in the log that a read at the clock or later can
   * need (ingested by the clock, not beyond the future tolerance), and replaces them. Returns {keys
   * written, keys with tiles}.
   */
  private long[] rebuild(Set<EntityKey> keys, long now, LongConsumer progress) {
    long[] out = new long[2];
    if (keys.isEmpty() || !av.online()) {
      return out;
    }
    List<EntityKey> all = new ArrayList<>(keys);
    for (int from = 0; from < all.size(); from += REBUILD_KEYS) {
      List<EntityKey> group = all.subList(from, Math.min(all.size(), from + REBUILD_KEYS));
      Map<EntityKey, WindowAggregator.TileBuilder> builders = new HashMap<>();
      for (EntityKey k : group) {
        builders.put(k, agg.tiles(k));
      }
      rebuild.writeLock().lock();
      try {
        checkStreamsApplied();
        // the clock once no push of this store is between its log append and its tile add: a push that
        // finished after the caller read the clock is in the log and in the tiles, and must be rebuilt too
        long at = Math.max(now, ctx.clock().getAsLong());
        long limit = futureLimit(at);
        WindowTiles.Retention keep = retention(at);
        double[] row = new double[av.inputSchema().size()];
        ctx.offline().scan(av, agg.horizon(at - ctx.futureToleranceMillis()), Long.MAX_VALUE, -1, chunk -> {
          FeatureFrame values = chunk.values();
          for (int r = 0; r < chunk.size(); r++) {
            WindowAggregator.TileBuilder b = builders.get(chunk.key(r));
            if (b == null || chunk.ingestionTime(r) > at || chunk.eventTime(r) > limit) {
              continue;
            }
            for (int f = 0; f < row.length; f++) {
              row[f] = values.asDouble(r, f);
            }
            b.add(chunk.eventTime(r), chunk.createdTime(r), chunk.ingestionTime(r), row);
          }
        });
        List<WindowTiles> sets = new ArrayList<>(group.size());
        for (EntityKey k : group) {
          WindowTiles t = builders.get(k).build().retain(keep);
          sets.add(t == null ? agg.empty(k) : t);
          out[1] += t == null ? 0 : 1;
        }
        ctx.online().putTiles(av.name(), sets);
        out[0] += sets.size();
      } finally {
        rebuild.writeLock().unlock();
      }
      if (progress != null) {
        progress.accept(out[0]);
      }
    }
    return out;
  }
}
