package org.sieveml.serving;

/**
 * How far a {@link BatchPrediction#run} has come, reported after every chunk written. Entities and chunks
 * done count those a previous, interrupted call of the same run wrote as well.
 *
 * <p>Immutable and thread-safe.
 *
 * @param runId the run's identity ({@link BatchPrediction#runId})
 * @param entitiesDone entities whose results are written, offline and online
 * @param entities the run's distinct entities
 * @param chunksDone chunks written
 * @param chunks the run's chunks
 */
public record BatchProgress(String runId, long entitiesDone, long entities, int chunksDone, int chunks) {

  /**
   * The fraction done.
   *
   * @return {@code entitiesDone / entities}, 1 for an empty run
   */
  public double fraction() {
    return entities == 0 ? 1.0 : (double) entitiesDone / entities;
  }
}
