package org.sieveml.core.pipeline;

/**
 * The stages of a {@link TwoStagePipeline}, in execution order, with what the pipeline does when each
 * one degrades.
 */
public enum Stage {
  /**
   * Candidate generation. A failing or late generator contributes nothing; the others' candidates
   * are still used.
   */
  CANDIDATES("candidates", "its candidates were left out"),
  /** Feature fetch. On failure the candidates are returned unscored, in retrieval order. */
  FEATURES("features", "returned candidates unscored in retrieval order"),
  /** Scoring. On failure the candidates are returned unscored, in retrieval order. */
  SCORING("scoring", "returned candidates unscored in retrieval order"),
  /** Re-ranking. On failure the scored items are returned in score order. */
  RERANKING("reranking", "returned items in score order without re-ranking");

  private final String metricName;
  private final String fallback;

  Stage(String metricName, String fallback) {
    this.metricName = metricName;
    this.fallback = fallback;
  }

  /**
   * The lower-case name used in metric names.
   *
   * @return e.g. {@code scoring}
   */
  public String metricName() {
    return metricName;
  }

  /**
   * What the pipeline does instead when this stage degrades.
   *
   * @return a human-readable description
   */
  public String fallback() {
    return fallback;
  }
}
