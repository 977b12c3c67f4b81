package org.sieveml.features.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;

/**
 * The append-only event log of one view: immutable segments, each sorted at ingest by (entity id,
 * event time, created time, ingestion order) and stored column by column, so a point-in-time join only
 * sorts (or searches with) the entity rows. Segments are merged when there are more than
 * {@value #MAX_SEGMENTS}. Equal (entity, event time, created time) rows resolve by ingestion order: a
 * later segment, or a later row in one segment, wins.
 *
 * <p>Thread-safe: appends are serialized and publish a new segment list atomically; joins and scans
 * read a consistent snapshot without locks.
 */
public final class OfflineLog {

  static final int MAX_SEGMENTS = 8;

  /** One immutable sorted segment. */
  public static final class Segment {
    final long[] ids;
    final long[] event;
    final long[] created;
    final FeatureFrame values;

    Segment(long[] ids, long[] event, long[] created, FeatureFrame values) {
      this.ids = ids;
      this.event = event;
      this.created = created;
      this.values = values;
    }

    /**
     * The values frame.
     *
     * @return the frame
     */
    public FeatureFrame values() {
      return values;
    }

    /**
     * The number of rows.
     *
     * @return rows
     */
    public int size() {
      return ids.length;
    }

    /**
     * A row's entity id.
     *
     * @param row the row
     * @return the id
     */
    public long id(int row) {
      return ids[row];
    }

    /**
     * A row's event time.
     *
     * @param row the row
     * @return the time
     */
    public long eventTime(int row) {
      return event[row];
    }

    /**
     * A row's created time.
     *
     * @param row the row
     * @return the time
     */
    public long createdTime(int row) {
      return created[row];
    }
  }

  static final int SEAL_ROWS = 65_536;

  private final FeatureSchema schema;
  private volatile List<Segment> segments = List.of();
  private volatile long rows;
  private final List<Object[]> pending = new ArrayList<>();
  private volatile int pendingRows;

  /**
   * An empty log.
   *
   * @param schema the value columns
   */
  public OfflineLog(FeatureSchema schema) {
    this.schema = schema;
  }

  /**
   * The value columns.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The number of rows.
   *
   * @return rows
   */
  public long size() {
    return rows;
  }

  /**
   * The current segments, oldest first.
   *
   * @return an immutable snapshot
   */
  public List<Segment> segments() {
    if (pendingRows > 0) {
      seal();
    }
    return segments;
  }

  /**
   * Buffers validated rows (a streaming push); they become a sorted segment when the buffer is full
   * or before the next join or scan.
   *
   * @param ids entity ids
   * @param event event times
   * @param created created times
   * @param values values, one row per id
   */
  public synchronized void appendPending(long[] ids, long[] event, long[] created, FeatureFrame values) {
    pending.add(new Object[] {ids, event, created, values});
    pendingRows += ids.length;
    rows += ids.length;
    if (pendingRows >= SEAL_ROWS) {
      seal();
    }
  }

  /** Turns buffered pushes into a segment. */
  public synchronized void seal() {
    if (pending.isEmpty()) {
      return;
    }
    int n = pendingRows;
    long[] ids = new long[n];
    long[] ev = new long[n];
    long[] cr = new long[n];
    List<Values.ColumnGather> cols = new ArrayList<>();
    for (int c = 0; c < schema.size(); c++) {
      cols.add(new Values.ColumnGather(schema.get(c), n));
    }
    int k = 0;
    for (Object[] p : pending) {
      long[] pi = (long[]) p[0];
      long[] pe = (long[]) p[1];
      long[] pc = (long[]) p[2];
      FeatureFrame pv = (FeatureFrame) p[3];
      for (int r = 0; r < pi.length; r++, k++) {
        ids[k] = pi[r];
        ev[k] = pe[r];
        cr[k] = pc[r];
        for (int c = 0; c < cols.size(); c++) {
          cols.get(c).set(k, pv, r, c);
        }
      }
    }
    pending.clear();
    pendingRows = 0;
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n);
    for (Values.ColumnGather g : cols) {
      g.addTo(fb);
    }
    rows -= n;
    appendSegment(ids, ev, cr, fb.build());
  }

  /**
   * Appends validated rows as one new segment (sorted here).
   *
   * @param ids entity ids
   * @param event event times
   * @param created created times
   * @param values values, one row per id, of this log's schema
   */
  public synchronized void append(long[] ids, long[] event, long[] created, FeatureFrame values) {
    seal(); // buffered pushes were ingested first: keep ingestion order
    appendSegment(ids, event, created, values);
  }

  private void appendSegment(long[] ids, long[] event, long[] created, FeatureFrame values) {
    int n = ids.length;
    if (n == 0) {
      return;
    }
    int[] order = IntSort.orderBy(ids, event, created);
    Segment s = new Segment(permute(ids, order), permute(event, order), permute(created, order),
        values.rows(order));
    List<Segment> next = new ArrayList<>(segments);
    next.add(s);
    if (next.size() > MAX_SEGMENTS) {
      next = new ArrayList<>(List.of(merge(next)));
    }
    segments = Collections.unmodifiableList(next);
    rows += n;
  }

  private Segment merge(List<Segment> segs) {
    int total = 0;
    for (Segment s : segs) {
      total += s.size();
    }
    // every segment is sorted: a k-way merge, reading each sequentially; on equal keys the earlier
    // segment goes first, which keeps ingestion order
    int[] seg = new int[total];
    int[] row = new int[total];
    int[] pos = new int[segs.size()];
    for (int k = 0; k < total; k++) {
      int best = -1;
      for (int si = 0; si < segs.size(); si++) {
        if (pos[si] == segs.get(si).size()) {
          continue;
        }
        if (best < 0 || before(segs.get(si), pos[si], segs.get(best), pos[best])) {
          best = si;
        }
      }
      seg[k] = best;
      row[k] = pos[best]++;
    }
    long[] ids = new long[total];
    long[] ev = new long[total];
    long[] cr = new long[total];
    List<Values.ColumnGather> cols = new ArrayList<>();
    for (int c = 0; c < schema.size(); c++) {
      cols.add(new Values.ColumnGather(schema.get(c), total));
    }
    for (int i = 0; i < total; i++) {
      Segment s = segs.get(seg[i]);
      int r = row[i];
      ids[i] = s.ids[r];
      ev[i] = s.event[r];
      cr[i] = s.created[r];
      for (int c = 0; c < cols.size(); c++) {
        cols.get(c).set(i, s.values, r, c);
      }
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(total);
    for (Values.ColumnGather g : cols) {
      g.addTo(fb);
    }
    return new Segment(ids, ev, cr, fb.build());
  }

  /** Whether row ra of a sorts strictly before row rb of b by (entity, event time, created time). */
  private static boolean before(Segment a, int ra, Segment b, int rb) {
    if (a.ids[ra] != b.ids[rb]) {
      return a.ids[ra] < b.ids[rb];
    }
    if (a.event[ra] != b.event[rb]) {
      return a.event[ra] < b.event[rb];
    }
    return a.created[ra] < b.created[rb];
  }

  private static long[] permute(long[] a, int[] order) {
    long[] out = new long[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[order[i]];
    }
    return out;
  }

  /** The result of a join: for each entity row, the segment and row matched, or segment -1. */
  public static final class Matches {
    /** Segment index per entity row, -1 for no match. */
    public final int[] segment;
    /** Row within the segment. */
    public final int[] row;
    /** The segments the indices refer to. */
    public final List<Segment> segments;

    Matches(int n, List<Segment> segments) {
      this.segment = new int[n];
      this.row = new int[n];
      this.segments = segments;
    }
  }

  /**
   * The point-in-time join: for each entity row (id, t) the latest row of that id with event time in
   * {@code (t - ttl, t]} (and created time {@code <= t} with the availability cut); ties by created
   * time, then ingestion order. Runs on the common fork-join pool in chunks.
   *
   * @param qIds entity ids ({@link KeyDictionary#UNKNOWN} never matches)
   * @param qTime timestamps
   * @param ttl TTL in milliseconds, {@link Long#MAX_VALUE} for none
   * @param availabilityCut whether to require created time {@code <= t}
   * @return the matches
   */
  public Matches join(long[] qIds, long[] qTime, long ttl, boolean availabilityCut) {
    List<Segment> segs = segments();
    Matches m = new Matches(qIds.length, segs);
    java.util.Arrays.fill(m.segment, -1);
    ForkJoinPool.commonPool().invoke(new JoinTask(segs, qIds, qTime, ttl, availabilityCut, m, 0, qIds.length));
    return m;
  }

  private static final class JoinTask extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient List<Segment> segs;
    private final long[] qIds;
    private final long[] qTime;
    private final long ttl;
    private final boolean cut;
    private final transient Matches m;
    private final int from;
    private final int to;

    JoinTask(List<Segment> segs, long[] qIds, long[] qTime, long ttl, boolean cut, Matches m, int from, int to) {
      this.segs = segs;
      this.qIds = qIds;
      this.qTime = qTime;
      this.ttl = ttl;
      this.cut = cut;
      this.m = m;
      this.from = from;
      this.to = to;
    }

    @Override
    protected void compute() {
      if (to - from > 65_536 && qIds.length < 1_000_000) {
        int mid = (from + to) >>> 1;
        invokeAll(new JoinTask(segs, qIds, qTime, ttl, cut, m, from, mid),
            new JoinTask(segs, qIds, qTime, ttl, cut, m, mid, to));
        return;
      }
      boolean whole = from == 0 && to == qIds.length;
      long[] ids = whole ? qIds : java.util.Arrays.copyOfRange(qIds, from, to);
      long[] ts = whole ? qTime : java.util.Arrays.copyOfRange(qTime, from, to);
      for (int s = 0; s < segs.size(); s++) {
        Segment seg = segs.get(s);
        int[] r = ids.length > 4_096
            ? PointInTimeJoin.joinSortMerge(seg.ids, seg.event, seg.created, ids, ts, ttl, cut)
            : PointInTimeJoin.join(seg.ids, seg.event, seg.created, ids, ts, ttl, cut);
        for (int i = 0; i < r.length; i++) {
          if (r[i] < 0 || ids[i] == KeyDictionary.UNKNOWN) {
            continue;
          }
          int q = from + i;
          int prevSeg = m.segment[q];
          if (prevSeg < 0) {
            m.segment[q] = s;
            m.row[q] = r[i];
            continue;
          }
          Segment p = segs.get(prevSeg);
          int pr = m.row[q];
          int c = Long.compare(seg.event[r[i]], p.event[pr]);
          if (c == 0) {
            c = Long.compare(seg.created[r[i]], p.created[pr]);
          }
          if (c >= 0) { // later segment wins a full tie: ingestion order
            m.segment[q] = s;
            m.row[q] = r[i];
          }
        }
      }
    }
  }
}
