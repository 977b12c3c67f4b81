package org.sieveml.retrieval;

import java.util.Objects;

/**
 * One search hit: an item id and its distance to the query under the index's {@link VectorMetric}
 * (smaller is closer).
 *
 * <p>Thread-safety: immutable and thread-safe.
 */
public final class Neighbor {
  private final String id;
  private final float distance;

  /**
   * Creates a hit.
   *
   * @param id item id, not null
   * @param distance distance to the query
   */
  public Neighbor(String id, float distance) {
    this.id = Objects.requireNonNull(id, "id");
    this.distance = distance;
  }

  /**
   * Returns the item id.
   *
   * @return the id
   */
  public String id() {
    return id;
  }

  /**
   * Returns the distance to the query (smaller is closer).
   *
   * @return the distance
   */
  public float distance() {
    return distance;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Neighbor
        && ((Neighbor) o).id.equals(id)
        && Float.compare(((Neighbor) o).distance, distance) == 0;
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + Float.hashCode(distance);
  }

  @Override
  public String toString() {
    return id + "@" + distance;
  }
}
