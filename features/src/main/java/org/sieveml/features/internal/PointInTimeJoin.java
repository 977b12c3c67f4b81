package org.sieveml.features.internal;

import java.nio.LongBuffer;

/**
 * The point-in-time join over primitive arrays. Feature rows must be sorted by (entity, event time,
 * created time, ingestion order); for each entity row (entity e, time t) the result is the index of
 * the last feature row of e with event time {@code <= t} and {@code > t - ttl} (and, with the
 * availability cut, created time {@code <= t}), or -1. Exactly one result per entity row, in input
 * order; duplicate entity rows get the same answer.
 *
 * <p>Stateless and thread-safe.
 */
public final class PointInTimeJoin {

  private PointInTimeJoin() {}

  /**
   * Checks that feature rows are sorted by (entity, event time, created time).
   *
   * @param entity entity ids
   * @param eventTime event times
   * @param createdTime created times
   * @throws IllegalArgumentException naming the first out-of-order row
   */
  public static void checkSorted(long[] entity, long[] eventTime, long[] createdTime) {
    if (entity.length != eventTime.length || entity.length != createdTime.length) {
      throw new IllegalArgumentException("feature columns must have equal lengths, were "
          + entity.length + ", " + eventTime.length + ", " + createdTime.length);
    }
    for (int i = 1; i < entity.length; i++) {
      int c = Long.compare(entity[i - 1], entity[i]);
      if (c == 0) {
        c = Long.compare(eventTime[i - 1], eventTime[i]);
      }
      if (c == 0) {
        c = Long.compare(createdTime[i - 1], createdTime[i]);
      }
      if (c > 0) {
        throw new IllegalArgumentException("feature row " + i
            + " is out of (entity, event time, created time) order");
      }
    }
  }

  /**
   * {@link #join(LongBuffer, LongBuffer, LongBuffer, long[], long[], long, boolean, long)} over arrays.
   *
   * @param fEntity feature rows' entity ids, sorted
   * @param fEvent feature rows' event times
   * @param fAvail feature rows' availability times
   * @param qEntity entity rows' ids
   * @param qTime entity rows' timestamps
   * @param ttl time to live
   * @param cut whether to apply the availability cut
   * @return for each entity row, the matching feature row index or -1
   */
  public static int[] join(long[] fEntity, long[] fEvent, long[] fAvail, long[] qEntity, long[] qTime, long ttl,
      boolean cut) {
    return join(LongBuffer.wrap(fEntity), LongBuffer.wrap(fEvent), LongBuffer.wrap(fAvail), qEntity, qTime, ttl, cut,
        Long.MIN_VALUE);
  }

  /**
   * {@link #joinSortMerge(LongBuffer, LongBuffer, LongBuffer, long[], long[], long, boolean, long)} over arrays.
   *
   * @param fEntity feature rows' entity ids, sorted
   * @param fEvent feature rows' event times
   * @param fAvail feature rows' availability times
   * @param qEntity entity rows' ids
   * @param qTime entity rows' timestamps
   * @param ttl time to live
   * @param cut whether to apply the availability cut
   * @return for each entity row, the matching feature row index or -1
   */
  public static int[] joinSortMerge(long[] fEntity, long[] fEvent, long[] fAvail, long[] qEntity, long[] qTime,
      long ttl, boolean cut) {
    return joinSortMerge(LongBuffer.wrap(fEntity), LongBuffer.wrap(fEvent), LongBuffer.wrap(fAvail), qEntity, qTime,
        ttl, cut, Long.MIN_VALUE);
  }

  /**
   * Joins.
   *
   * @param fEntity feature rows' entity ids, sorted as described above
   * @param fEvent feature rows' event times
   * @param fCreated feature rows' created times
   * @param qEntity entity rows' entity ids, any order
   * @param qTime entity rows' timestamps
   * @param ttl time to live, {@code > 0}; {@link Long#MAX_VALUE} for none
   * @param availabilityCut whether to require the availability column (the third) {@code <= t}
   * @param floor rows with event time below this are ignored (retention), {@link Long#MIN_VALUE} for none
   * @return for each entity row, the matching feature row index or -1
   */
  public static int[] join(LongBuffer fEntity, LongBuffer fEvent, LongBuffer fCreated, long[] qEntity,
      long[] qTime, long ttl, boolean availabilityCut, long floor) {
    checkArguments(qEntity, qTime, ttl);
    int[] out = new int[qEntity.length];
    int m = fEntity.limit();
    int prev = 0; // the answer's bound for the previous entity row
    for (int i = 0; i < out.length; i++) {
      long e = qEntity[i];
      long t = qTime[i];
      // last index with (entity, event) <= (e, t)
      int lo = 0;
      int hi = m;
      if (i > 0 && (e > qEntity[i - 1] || (e == qEntity[i - 1] && t >= qTime[i - 1]))) {
        // entity rows in (entity, time) order, as batch jobs pass them: gallop on from the previous bound
        lo = prev;
        int step = 1;
        while (true) {
          int probe = prev + step - 1;
          if (probe >= m) {
            hi = m;
            break;
          }
          if (fEntity.get(probe) < e || (fEntity.get(probe) == e && fEvent.get(probe) <= t)) {
            lo = probe + 1;
            step <<= 1;
          } else {
            hi = probe;
            break;
          }
        }
      }
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (fEntity.get(mid) < e || (fEntity.get(mid) == e && fEvent.get(mid) <= t)) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      prev = lo;
      out[i] = matchBefore(fEntity, fEvent, fCreated, lo, e, t, ttl, availabilityCut, floor);
    }
    return out;
  }

  /**
   * The same join as {@link #join} by sort-merge: the entity rows are ordered by (entity, time) with a
   * radix sort, then one forward walk over the feature rows answers them all (split in two halves
   * that run in parallel for large inputs). Linear after the sort, sequential memory access.
   *
   * @param fEntity feature rows' entity ids, sorted as described in the class comment
   * @param fEvent feature rows' event times
   * @param fCreated feature rows' created times
   * @param qEntity entity rows' entity ids, any order
   * @param qTime entity rows' timestamps
   * @param ttl time to live, {@code > 0}; {@link Long#MAX_VALUE} for none
   * @param availabilityCut whether to require the availability column (the third) {@code <= t}
   * @param floor rows with event time below this are ignored (retention), {@link Long#MIN_VALUE} for none
   * @return for each entity row, the matching feature row index or -1
   */
  public static int[] joinSortMerge(LongBuffer fEntity, LongBuffer fEvent, LongBuffer fCreated, long[] qEntity,
      long[] qTime, long ttl, boolean availabilityCut, long floor) {
    checkArguments(qEntity, qTime, ttl);
    int q = qEntity.length;
    int[] out = new int[q];
    if (q > 0 && fEntity.limit() > 0) {
      Packed packed = pack(fEntity, qEntity, qTime, out);
      if (packed != null) {
        walkPacked(fEntity, fEvent, fCreated, ttl, availabilityCut, floor, packed, out);
        return out;
      }
    }
    int[] order = IntSort.orderBy(qEntity, qTime, new long[q]);
    if (q < 200_000) {
      walk(fEntity, fEvent, fCreated, qEntity, qTime, ttl, availabilityCut, floor, order, 0, q, out);
      return out;
    }
    int mid = q / 2;
    java.util.concurrent.CompletableFuture<Void> left = java.util.concurrent.CompletableFuture.runAsync(
        () -> walk(fEntity, fEvent, fCreated, qEntity, qTime, ttl, availabilityCut, floor, order, 0, mid, out));
    walk(fEntity, fEvent, fCreated, qEntity, qTime, ttl, availabilityCut, floor, order, mid, q, out);
    left.join();
    return out;
  }

  private static void walk(LongBuffer fEntity, LongBuffer fEvent, LongBuffer fCreated, long[] qEntity, long[] qTime,
      long ttl, boolean cut, long floor, int[] order, int from, int to, int[] out) {
    if (from >= to) {
      return;
    }
    int m = fEntity.limit();
    // start at the first feature row at or after the first query's entity
    long e0 = qEntity[order[from]];
    int j = firstOf(fEntity, e0);
    for (int k = from; k < to; k++) {
      int qi = order[k];
      long e = qEntity[qi];
      long t = qTime[qi];
      while (j < m && (fEntity.get(j) < e || (fEntity.get(j) == e && fEvent.get(j) <= t))) {
        j++;
      }
      out[qi] = matchBefore(fEntity, fEvent, fCreated, j, e, t, ttl, cut, floor);
    }
  }

  // ---- packed path: (entity rank, time offset, row index) in one long, radix-sorted

  /** Sorted packed entity rows and how to unpack them. */
  private record Packed(long[] keys, long[] distinct, long minT, int tb, int ib) {}

  /**
   * Packs each entity row as {@code rank << (tb + ib) | (t - minT) << ib | index}, where rank is the
   * entity's position among the feature rows' distinct entities (rows of other entities get -1 in
   * {@code out} and are left out), then sorts; returns null when the three fields do not fit 63 bits.
   */
  private static Packed pack(LongBuffer fEntity, long[] qEntity, long[] qTime, int[] out) {
    int m = fEntity.limit();
    int distinctCount = 1;
    for (int i = 1; i < m; i++) {
      if (fEntity.get(i) != fEntity.get(i - 1)) {
        distinctCount++;
      }
    }
    long[] distinct = new long[distinctCount];
    distinct[0] = fEntity.get(0);
    for (int i = 1, k = 1; i < m; i++) {
      if (fEntity.get(i) != fEntity.get(i - 1)) {
        distinct[k++] = fEntity.get(i);
      }
    }
    int q = qEntity.length;
    long minT = Long.MAX_VALUE;
    long maxT = Long.MIN_VALUE;
    for (long t : qTime) {
      minT = Math.min(minT, t);
      maxT = Math.max(maxT, t);
    }
    if (maxT - minT < 0) {
      return null; // overflow: a range over 2^63
    }
    int rb = 64 - Long.numberOfLeadingZeros(distinctCount);
    int tb = 64 - Long.numberOfLeadingZeros(maxT - minT);
    int ib = 64 - Long.numberOfLeadingZeros(q);
    if (rb + tb + ib > 63) {
      return null;
    }
    long[] packed = new long[q];
    int n = 0;
    // rank lookup: a direct table when the entity ids are dense enough, else a binary search
    long span = distinct[distinctCount - 1] - distinct[0];
    int[] table = null;
    if (span >= 0 && span < (1 << 22)) {
      table = new int[(int) span + 1];
      java.util.Arrays.fill(table, -1);
      for (int k = 0; k < distinctCount; k++) {
        table[(int) (distinct[k] - distinct[0])] = k;
      }
    }
    long base = distinct[0];
    for (int i = 0; i < q; i++) {
      long off = qEntity[i] - base;
      int r = table == null ? java.util.Arrays.binarySearch(distinct, qEntity[i])
          : (off < 0 || off >= table.length) ? -1 : table[(int) off];
      if (r < 0) {
        out[i] = -1;
        continue;
      }
      packed[n++] = ((long) r << (tb + ib)) | ((qTime[i] - minT) << ib) | i;
    }
    packed = n == q ? packed : java.util.Arrays.copyOf(packed, n);
    LongRadix.sort(packed, ib, rb + tb + ib); // the index bits only ride along
    return new Packed(packed, distinct, minT, tb, ib);
  }

  private static void walkPacked(LongBuffer fEntity, LongBuffer fEvent, LongBuffer fCreated, long ttl, boolean cut, long floor,
      Packed p, int[] out) {
    long[] packed = p.keys();
    long[] distinct = p.distinct();
    long minT = p.minT();
    int tb = p.tb();
    int ib = p.ib();
    int n = packed.length;
    if (n < 200_000) {
      walkPacked(fEntity, fEvent, fCreated, ttl, cut, floor, packed, 0, n, out, distinct, minT, tb, ib);
      return;
    }
    int mid = n / 2;
    java.util.concurrent.CompletableFuture<Void> left = java.util.concurrent.CompletableFuture.runAsync(
        () -> walkPacked(fEntity, fEvent, fCreated, ttl, cut, floor, packed, 0, mid, out, distinct, minT, tb, ib));
    walkPacked(fEntity, fEvent, fCreated, ttl, cut, floor, packed, mid, n, out, distinct, minT, tb, ib);
    left.join();
  }

  private static void walkPacked(LongBuffer fEntity, LongBuffer fEvent, LongBuffer fCreated, long ttl, boolean cut, long floor,
      long[] packed, int from, int to, int[] out, long[] distinct, long minT, int tb, int ib) {
    if (from >= to) {
      return;
    }
    int m = fEntity.limit();
    long idxMask = (1L << ib) - 1;
    long tMask = (1L << tb) - 1;
    long e0 = distinct[(int) (packed[from] >>> (tb + ib))];
    int j = firstOf(fEntity, e0);
    for (int k = from; k < to; k++) {
      long key = packed[k];
      int qi = (int) (key & idxMask);
      long t = ((key >>> ib) & tMask) + minT;
      long e = distinct[(int) (key >>> (tb + ib))];
      while (j < m && (fEntity.get(j) < e || (fEntity.get(j) == e && fEvent.get(j) <= t))) {
        j++;
      }
      out[qi] = matchBefore(fEntity, fEvent, fCreated, j, e, t, ttl, cut, floor);
    }
  }

  /** The first feature row of entity {@code e} or later. */
  private static int firstOf(LongBuffer fEntity, long e) {
    int lo = 0;
    int hi = fEntity.limit();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (fEntity.get(mid) < e) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The match for (e, t) given the end of its candidates: the last row before {@code end} of entity
   * {@code e} with event time in {@code (t - ttl, t]} (rows before {@code end} have event time
   * {@code <= t}), and created time {@code <= t} with the cut; -1 if none.
   */
  private static int matchBefore(LongBuffer fEntity, LongBuffer fEvent, LongBuffer fCreated, int end, long e, long t,
      long ttl, boolean cut, long floor) {
    long lowExclusive = ttl == Long.MAX_VALUE || t - ttl > t ? Long.MIN_VALUE : t - ttl;
    if (floor != Long.MIN_VALUE && floor - 1 > lowExclusive) {
      lowExclusive = floor - 1;
    }
    for (int i = end - 1; i >= 0 && fEntity.get(i) == e && fEvent.get(i) > lowExclusive; i--) {
      if (!cut || fCreated.get(i) <= t) {
        return i;
      }
    }
    return -1;
  }

  private static void checkArguments(long[] qEntity, long[] qTime, long ttl) {
    if (ttl <= 0) {
      throw new IllegalArgumentException("ttl must be > 0, was " + ttl);
    }
    if (qEntity.length != qTime.length) {
      throw new IllegalArgumentException("entity rows: " + qEntity.length + " ids but "
          + qTime.length + " timestamps");
    }
  }
}
