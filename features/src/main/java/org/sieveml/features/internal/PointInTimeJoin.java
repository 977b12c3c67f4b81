package org.sieveml.features.internal;

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
   * Joins.
   *
   * @param fEntity feature rows' entity ids, sorted as described above
   * @param fEvent feature rows' event times
   * @param fCreated feature rows' created times
   * @param qEntity entity rows' entity ids, any order
   * @param qTime entity rows' timestamps
   * @param ttl time to live, {@code > 0}; {@link Long#MAX_VALUE} for none
   * @param availabilityCut whether to require created time {@code <= t}
   * @return for each entity row, the matching feature row index or -1
   */
  public static int[] join(long[] fEntity, long[] fEvent, long[] fCreated, long[] qEntity,
      long[] qTime, long ttl, boolean availabilityCut) {
    if (ttl <= 0) {
      throw new IllegalArgumentException("ttl must be > 0, was " + ttl);
    }
    if (qEntity.length != qTime.length) {
      throw new IllegalArgumentException("entity rows: " + qEntity.length + " ids but "
          + qTime.length + " timestamps");
    }
    int[] out = new int[qEntity.length];
    for (int i = 0; i < out.length; i++) {
      long e = qEntity[i];
      long t = qTime[i];
      // last index with (entity, event) <= (e, t)
      int lo = 0;
      int hi = fEntity.length;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (fEntity[mid] < e || (fEntity[mid] == e && fEvent[mid] <= t)) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      int match = -1;
      long lowExclusive = ttl == Long.MAX_VALUE || t - ttl > t ? Long.MIN_VALUE : t - ttl;
      for (int j = lo - 1; j >= 0 && fEntity[j] == e && fEvent[j] > lowExclusive; j--) {
        if (!availabilityCut || fCreated[j] <= t) {
          match = j;
          break;
        }
      }
      out[i] = match;
    }
    return out;
  }
}
