package org.sieveml.features;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.LongConsumer;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.internal.Values;

/**
 * A {@link FeatureView}'s behaviour: offline, the point-in-time join of its log; online, the latest
 * row per key (pushed, or written by materialization), served PRESENT only when it is of the current
 * definition version and younger than the TTL. Thread-safe.
 */
final class FeatureViewPart extends ViewPart {

  static final int CHUNK = 10_000;

  private final FeatureView fv;

  FeatureViewPart(FeatureView view, Context ctx) {
    super(view, ctx);
    this.fv = view;
  }

  @Override
  FeatureSchema eventSchema() {
    return fv.schema();
  }

  @Override
  void push(EventBatch batch, long now) {
    checkBatch(batch, now);
    ctx.offline().append(fv, batch, now);
    if (!fv.online()) {
      return;
    }
    ctx.online().write(fv.name(), onlineRows(batch, now));
  }

  @Override
  void stage(EventBatch batch, long now, OnlineCommit.Builder commit) {
    if (fv.online() && batch.size() > 0) {
      commit.rows(fv.name(), onlineRows(batch, now));
    }
  }

  private List<OnlineRow> onlineRows(EventBatch batch, long now) {
    List<OnlineRow> rows = new ArrayList<>(batch.size());
    List<FeatureVector> values = batch.values().vectors(0, batch.size());
    for (int i = 0; i < batch.size(); i++) {
      rows.add(new OnlineRow(key(batch, i), values.get(i), batch.eventTime(i), batch.createdTime(i), now,
          fv.version()));
    }
    return rows;
  }

  @Override
  Historical historical(EntityRows rows, int[] featureIndex, Visibility visibility) {
    int n = rows.size();
    List<String> names = new ArrayList<>(featureIndex.length);
    for (int fi : featureIndex) {
      names.add(fv.schema().get(fi).name());
    }
    JoinedRows joined = ctx.offline().join(fv, rowsFor(rows), names, visibility);
    FeatureFrame jv = joined.values();
    List<Values.ColumnGather> cols = new ArrayList<>(featureIndex.length);
    for (int s = 0; s < featureIndex.length; s++) {
      FeatureSpec spec = fv.schema().get(featureIndex[s]);
      Object def = fv.defaultValue(spec.name());
      if (def == null) { // unmatched rows are missing already (JoinedRows): the column as it is, no copy
        cols.add(Values.ColumnGather.of(spec, jv, s));
        continue;
      }
      Values.ColumnGather g = new Values.ColumnGather(spec, n);
      for (int r = 0; r < n; r++) {
        if (!joined.matched(r)) {
          g.setDefault(r, def);
        } else {
          g.set(r, jv, r, s);
        }
      }
      cols.add(g);
    }
    return new Historical(cols, n - joined.matchCount());
  }

  /** The status of a stored row at {@code now}. */
  private FeatureStatus status(OnlineRow row, long now, boolean asOf) {
    if (row == null) {
      return FeatureStatus.NOT_FOUND;
    }
    if (!row.version().equals(fv.version())) {
      if (!asOf) {
        mismatch(1);
      }
      return FeatureStatus.VERSION_MISMATCH;
    }
    long ttl = fv.ttlMillis();
    return ttl != Long.MAX_VALUE && row.eventTime() <= now - ttl ? FeatureStatus.EXPIRED : FeatureStatus.PRESENT;
  }

  @Override
  Fetched online(List<EntityKey> keys, long now, ResolvedService.StoredPart part, boolean asOf) {
    int n = keys.size();
    int[] featureIndex = part.featureIndex;
    List<OnlineRow> found = asOf ? ctx.online().readAsOf(fv.name(), project(keys), now) : read(keys);
    FeatureSchema slots = part.slots;
    Fetched out = new Fetched(n);
    for (int i = 0; i < n; i++) {
      OnlineRow row = found.get(i);
      FeatureStatus st = status(row, now, asOf);
      FeatureVector.Builder b = FeatureVector.builder(slots);
      for (int s = 0; s < featureIndex.length; s++) {
        int fi = featureIndex[s];
        if (st == FeatureStatus.PRESENT) {
          Values.copy(row.values(), fi, b, s);
        } else {
          Values.setDefault(b, s, fv.defaultValue(fv.schema().get(fi).name()));
        }
      }
      out.vectors[i] = b.build();
      out.status[i] = st;
      out.eventTime[i] = row == null || st == FeatureStatus.VERSION_MISMATCH ? Long.MIN_VALUE : row.eventTime();
    }
    return out;
  }

  private List<OnlineRow> read(List<EntityKey> keys) {
    if (keys.size() == 1 && ctx.online() instanceof EmbeddedOnlineStore e) {
      return Collections.singletonList(e.read(fv.name(), project(keys.get(0), fv.entity())));
    }
    return ctx.online().read(fv.name(), project(keys));
  }

  /** A PRESENT row's stored vector is immutable and already has the output layout: returned as is. */
  @Override
  OnlineFeatures readWhole(List<EntityKey> keys, ResolvedService rs, long now, boolean asOf) {
    int n = keys.size();
    byte[] status = new byte[n];
    long[] eventTime = new long[n];
    FeatureVector[] vectors = new FeatureVector[n];
    List<OnlineRow> found = asOf ? ctx.online().readAsOf(fv.name(), project(keys), now) : read(keys);
    for (int i = 0; i < n; i++) {
      OnlineRow row = found.get(i);
      FeatureStatus st = status(row, now, asOf);
      vectors[i] = st == FeatureStatus.PRESENT ? row.values() : rs.defaults();
      status[i] = (byte) st.ordinal();
      eventTime[i] = row == null || st == FeatureStatus.VERSION_MISMATCH ? Long.MIN_VALUE : row.eventTime();
    }
    return new OnlineFeatures(rs.outputSchema, keys, vectors, status, eventTime, now, true);
  }

  /** Writes the latest taken row per key of the scan (rows come sorted by key within a chunk). */
  @Override
  long[] materialize(long fromEvent, long toEvent, long afterSequence, Pass pass, LongConsumer progress) {
    long[] counts = new long[3]; // scanned, written, applied
    List<OnlineRow> out = new ArrayList<>(CHUNK);
    ctx.offline().scan(fv, fromEvent, toEvent, afterSequence, chunk -> {
      int size = chunk.size();
      counts[0] += size;
      FeatureFrame values = chunk.values();
      int best = -1;
      for (int r = 0; r < size; r++) {
        boolean taken = pass.take(chunk, r);
        if (taken && (best < 0 || !chunk.key(best).equals(chunk.key(r)) || newer(chunk, r, best))) {
          best = r;
        }
        // at the end of a key's run, write its latest taken row
        boolean last = r + 1 == size || !chunk.key(r + 1).equals(chunk.key(r));
        if (last && best >= 0 && chunk.key(best).equals(chunk.key(r))) {
          out.add(new OnlineRow(chunk.key(best), values.row(best), chunk.eventTime(best), chunk.createdTime(best),
              chunk.ingestionTime(best), fv.version()));
          best = -1;
          if (out.size() == CHUNK) {
            flush(out, counts, progress);
          }
        }
      }
    });
    if (!out.isEmpty()) {
      flush(out, counts, progress);
    }
    return counts;
  }

  private static boolean newer(LogChunk c, int r, int than) {
    return c.eventTime(r) > c.eventTime(than)
        || (c.eventTime(r) == c.eventTime(than) && c.createdTime(r) >= c.createdTime(than));
  }

  private void flush(List<OnlineRow> out, long[] counts, LongConsumer progress) {
    counts[2] += ctx.online().write(fv.name(), out);
    counts[1] += out.size();
    out.clear();
    if (progress != null) {
      progress.accept(counts[1]);
    }
  }
}
