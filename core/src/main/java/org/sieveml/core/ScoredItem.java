package org.sieveml.core;

import java.util.Objects;

/**
 * A candidate with the score the ranking stage gave it.
 *
 * <p>The score is the model's output (higher ranks first). In a pipeline response whose scoring stage
 * degraded, items come in retrieval order and their score is {@link Double#NaN}; the response says so
 * explicitly. Immutable and thread-safe.
 */
public final class ScoredItem {

  private final Candidate candidate;
  private final double score;

  private ScoredItem(Candidate candidate, double score) {
    this.candidate = Objects.requireNonNull(candidate, "candidate");
    this.score = score;
  }

  /**
   * A scored candidate.
   *
   * @param candidate the candidate, not null
   * @param score the ranking score
   * @return the scored item
   * @throws IllegalArgumentException if the candidate is null
   */
  public static ScoredItem of(Candidate candidate, double score) {
    if (candidate == null) {
      throw new IllegalArgumentException("candidate must not be null");
    }
    return new ScoredItem(candidate, score);
  }

  /**
   * An item that was not scored (a fallback result), with score {@link Double#NaN}.
   *
   * @param candidate the candidate, not null
   * @return the unscored item
   */
  public static ScoredItem unscored(Candidate candidate) {
    return of(candidate, Double.NaN);
  }

  /**
   * The candidate this item came from.
   *
   * @return the candidate
   */
  public Candidate candidate() {
    return candidate;
  }

  /**
   * The item's id.
   *
   * @return the id
   */
  public String itemId() {
    return candidate.itemId();
  }

  /**
   * The source that produced the candidate.
   *
   * @return the source name
   */
  public String source() {
    return candidate.source();
  }

  /**
   * The ranking score, or NaN if the item was not scored.
   *
   * @return the score
   */
  public double score() {
    return score;
  }

  /**
   * Whether the ranking stage scored this item.
   *
   * @return false for fallback items
   */
  public boolean isScored() {
    return !Double.isNaN(score);
  }

  /**
   * A copy with another score (e.g. after a re-ranker adjusts it).
   *
   * @param newScore the new score
   * @return a new scored item of the same candidate
   */
  public ScoredItem withScore(double newScore) {
    return new ScoredItem(candidate, newScore);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ScoredItem)) {
      return false;
    }
    ScoredItem s = (ScoredItem) o;
    return Double.compare(score, s.score) == 0 && candidate.equals(s.candidate);
  }

  @Override
  public int hashCode() {
    return 31 * candidate.hashCode() + Double.hashCode(score);
  }

  @Override
  public String toString() {
    return candidate.itemId() + "@" + candidate.source() + "=" + score;
  }
}
