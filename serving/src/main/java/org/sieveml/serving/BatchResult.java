package org.sieveml.serving;

import java.time.Duration;

/**
 * What one call of {@link BatchPrediction#run} did.
 *
 * <p>Immutable and thread-safe.
 *
 * @param runId the run's identity ({@link BatchPrediction#runId}), the source its rows are written under
 * @param entities the run's distinct entities
 * @param skipped entities a previous call of the same run had already written (resumption), not rescored
 * @param scored entities scored and written by this call
 * @param chunks chunks written by this call
 * @param pairs rows the ranker scored: {@code scored} in entity mode, the (entity, candidate) pairs in pairs
 *     mode
 * @param elapsed wall time of the call
 */
public record BatchResult(String runId, long entities, long skipped, long scored, int chunks, long pairs,
    Duration elapsed) {

  /**
   * Ranker rows per second of this call.
   *
   * @return {@code pairs / elapsed}, 0 when nothing was scored
   */
  public double rowsPerSecond() {
    long nanos = elapsed.toNanos();
    return pairs == 0 || nanos == 0 ? 0 : pairs * 1e9 / nanos;
  }
}
