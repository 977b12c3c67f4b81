package org.sieveml.core.pipeline;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.sieveml.core.ScoredItem;

/**
 * The result of one {@link TwoStagePipeline} request: the top items, and an honest account of how
 * they were produced.
 *
 * <p>{@link #isComplete()} is true only when every stage ran within budget and returned valid output.
 * Otherwise {@link #degradations()} names each stage that degraded, why, and the fallback taken;
 * {@link #isScored()} tells whether the items carry model scores or come in retrieval order.
 * Immutable and thread-safe.
 */
public final class PipelineResponse {

  private final String requestId;
  private final List<ScoredItem> items;
  private final List<Degradation> degradations;
  private final int candidateCount;
  private final boolean scored;
  private final boolean reranked;
  private final long totalNanos;
  private final long[] stageNanos;

  PipelineResponse(
      String requestId, List<ScoredItem> items, List<Degradation> degradations, int candidateCount,
      boolean scored, boolean reranked, long totalNanos, long[] stageNanos) {
    this.requestId = requestId;
    this.items = List.copyOf(items);
    this.degradations = List.copyOf(degradations);
    this.candidateCount = candidateCount;
    this.scored = scored;
    this.reranked = reranked;
    this.totalNanos = totalNanos;
    this.stageNanos = stageNanos.clone();
  }

  /**
   * The id of the request this answers.
   *
   * @return the request id
   */
  public String requestId() {
    return requestId;
  }

  /**
   * At most k items, best first.
   *
   * @return an unmodifiable list
   */
  public List<ScoredItem> items() {
    return items;
  }

  /**
   * Every degradation that happened while serving the request, in stage order.
   *
   * @return an unmodifiable list, empty when the response is complete
   */
  public List<Degradation> degradations() {
    return degradations;
  }

  /**
   * Whether every stage did its job.
   *
   * @return true when there were no degradations
   */
  public boolean isComplete() {
    return degradations.isEmpty();
  }

  /**
   * Whether a given stage degraded.
   *
   * @param stage the stage
   * @return true if any degradation names it
   */
  public boolean isDegraded(Stage stage) {
    for (Degradation d : degradations) {
      if (d.stage() == stage) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the items carry model scores (false: they are in retrieval order with NaN scores).
   *
   * @return true if the scoring stage succeeded
   */
  public boolean isScored() {
    return scored;
  }

  /**
   * Whether a re-ranker ordered the items.
   *
   * @return true if a re-ranker is configured and succeeded
   */
  public boolean isReranked() {
    return reranked;
  }

  /**
   * The number of distinct candidates after merging, before scoring.
   *
   * @return the candidate count
   */
  public int candidateCount() {
    return candidateCount;
  }

  /**
   * Wall time of the whole request, by the pipeline's ticker.
   *
   * @return nanoseconds
   */
  public long totalNanos() {
    return totalNanos;
  }

  /**
   * Time spent per stage (0 for stages that did not run).
   *
   * @return a new map from each stage to nanoseconds
   */
  public Map<Stage, Long> stageNanos() {
    Map<Stage, Long> m = new EnumMap<>(Stage.class);
    for (Stage s : Stage.values()) {
      m.put(s, stageNanos[s.ordinal()]);
    }
    return m;
  }

  @Override
  public String toString() {
    return "PipelineResponse{" + requestId + ", items=" + items.size() + ", candidates=" + candidateCount
        + (isComplete() ? ", complete" : ", degraded=" + degradations) + "}";
  }
}
