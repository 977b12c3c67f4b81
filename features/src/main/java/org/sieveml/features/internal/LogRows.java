package org.sieveml.features.internal;

import java.util.ArrayList;
import java.util.List;
import org.sieveml.core.FeatureFrame;

/**
 * Rows of one view's offline log in columns: entity id, event time, created time, ingestion time,
 * ingestion sequence and the values. Immutable once built; thread-safe to share.
 */
public final class LogRows {
  final long[] ids;
  final long[] event;
  final long[] created;
  final long[] ingested;
  final long[] seq;
  final FeatureFrame values;

  /**
   * Rows from columns (taken over, not copied).
   *
   * @param ids entity ids
   * @param event event times
   * @param created created times
   * @param ingested ingestion times
   * @param seq ingestion sequence numbers
   * @param values the values, one frame row per row
   */
  public LogRows(long[] ids, long[] event, long[] created, long[] ingested, long[] seq, FeatureFrame values) {
    this.ids = ids;
    this.event = event;
    this.created = created;
    this.ingested = ingested;
    this.seq = seq;
    this.values = values;
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
   * These rows sorted by (entity, event time, created time, sequence).
   *
   * @return sorted rows (this object when already sorted)
   */
  public LogRows sorted() {
    if (isSorted()) {
      return this;
    }
    // stable: equal keys keep sequence order; a created column that is the event column adds nothing
    int[] order = IntSort.orderBy(ids, event, created == event ? new long[ids.length] : created);
    long[] e = permute(event, order);
    long[] c = created == event ? e : permute(created, order);
    long[] in = ingested == created ? c : ingested == event ? e : permute(ingested, order);
    return new LogRows(permute(ids, order), e, c, in, permute(seq, order), values.rows(order));
  }

  private boolean isSorted() {
    for (int i = 1; i < ids.length; i++) {
      int k = Long.compare(ids[i - 1], ids[i]);
      if (k == 0) {
        k = Long.compare(event[i - 1], event[i]);
      }
      if (k == 0) {
        k = Long.compare(created[i - 1], created[i]);
      }
      if (k > 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Concatenates row sets of one schema in order, the values column by column.
   *
   * @param parts the parts; at least one
   * @return one set
   */
  public static LogRows concat(List<LogRows> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    int n = 0;
    for (LogRows p : parts) {
      n += p.size();
    }
    long[] ids = new long[n];
    long[] ev = new long[n];
    long[] cr = new long[n];
    long[] in = new long[n];
    long[] sq = new long[n];
    List<FeatureFrame> frames = new ArrayList<>(parts.size());
    int k = 0;
    for (LogRows p : parts) {
      int m = p.size();
      System.arraycopy(p.ids, 0, ids, k, m);
      System.arraycopy(p.event, 0, ev, k, m);
      System.arraycopy(p.created, 0, cr, k, m);
      System.arraycopy(p.ingested, 0, in, k, m);
      System.arraycopy(p.seq, 0, sq, k, m);
      frames.add(p.values);
      k += m;
    }
    return new LogRows(ids, ev, cr, in, sq, FeatureFrame.concat(frames));
  }

  static long[] permute(long[] a, int[] order) {
    long[] out = new long[order.length];
    for (int i = 0; i < order.length; i++) {
      out[i] = a[order[i]];
    }
    return out;
  }
}
