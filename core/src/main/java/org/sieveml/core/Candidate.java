package org.sieveml.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An item proposed by a candidate generator, with the generator's own score and the name of the
 * source that produced it.
 *
 * <p>When several sources propose the same item, the pipeline keeps one candidate: the one from the
 * source that reached it first in merge order, with the other sources recorded in
 * {@link #alsoFrom()}. Immutable and thread-safe.
 */
public final class Candidate {

  private final String itemId;
  private final double retrievalScore;
  private final String source;
  private final List<String> alsoFrom;

  private Candidate(String itemId, double retrievalScore, String source, List<String> alsoFrom) {
    if (itemId == null || itemId.isEmpty()) {
      throw new IllegalArgumentException(
          "candidate itemId must be a non-empty string, was " + (itemId == null ? "null" : "''"));
    }
    if (source == null || source.isEmpty()) {
      throw new IllegalArgumentException(
          "source of candidate '" + itemId + "' must be a non-empty string, was "
              + (source == null ? "null" : "''"));
    }
    if (Double.isNaN(retrievalScore)) {
      throw new IllegalArgumentException(
          "retrievalScore of candidate '" + itemId + "' from '" + source + "' must not be NaN");
    }
    this.itemId = itemId;
    this.retrievalScore = retrievalScore;
    this.source = source;
    this.alsoFrom = alsoFrom;
  }

  /**
   * A candidate from one source.
   *
   * @param itemId the item's id, non-empty
   * @param retrievalScore the source's score (higher is better; e.g. similarity or popularity), not NaN
   * @param source the name of the generator that produced it, non-empty
   * @return the candidate
   * @throws IllegalArgumentException naming the bad field and value
   */
  public static Candidate of(String itemId, double retrievalScore, String source) {
    return new Candidate(itemId, retrievalScore, source, List.of());
  }

  /**
   * The item's id.
   *
   * @return the id
   */
  public String itemId() {
    return itemId;
  }

  /**
   * The score its source gave it; comparable only among candidates of the same source.
   *
   * @return the retrieval score
   */
  public double retrievalScore() {
    return retrievalScore;
  }

  /**
   * The generator that produced this candidate (the first, when several did).
   *
   * @return the source name
   */
  public String source() {
    return source;
  }

  /**
   * Other sources that proposed the same item, in merge order.
   *
   * @return an unmodifiable, possibly empty list
   */
  public List<String> alsoFrom() {
    return alsoFrom;
  }

  /**
   * Whether {@code name} proposed this item, as first or additional source.
   *
   * @param name a source name
   * @return true if that source produced it
   */
  public boolean isFrom(String name) {
    return source.equals(name) || alsoFrom.contains(name);
  }

  /**
   * A copy that also records {@code otherSource}.
   *
   * @param otherSource another generator that proposed the same item
   * @return a new candidate
   */
  public Candidate withAlsoFrom(String otherSource) {
    Objects.requireNonNull(otherSource, "otherSource");
    if (isFrom(otherSource)) {
      return this;
    }
    List<String> more = new ArrayList<>(alsoFrom.size() + 1);
    more.addAll(alsoFrom);
    more.add(otherSource);
    return new Candidate(itemId, retrievalScore, source, Collections.unmodifiableList(more));
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Candidate)) {
      return false;
    }
    Candidate c = (Candidate) o;
    return Double.compare(retrievalScore, c.retrievalScore) == 0
        && itemId.equals(c.itemId)
        && source.equals(c.source)
        && alsoFrom.equals(c.alsoFrom);
  }

  @Override
  public int hashCode() {
    return Objects.hash(itemId, retrievalScore, source, alsoFrom);
  }

  @Override
  public String toString() {
    return itemId + "@" + source + (alsoFrom.isEmpty() ? "" : "+" + alsoFrom) + "(" + retrievalScore + ")";
  }
}
