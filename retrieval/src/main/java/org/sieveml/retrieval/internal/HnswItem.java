package org.sieveml.retrieval.internal;

import com.github.jelmerk.hnswlib.core.Item;

/** An hnswlib item: id, vector and version. Immutable; the vector is never mutated. */
public final class HnswItem implements Item<String, float[]> {
  private static final long serialVersionUID = 1L;
  private final String id;
  private final float[] vector;
  private final long version;

  /**
   * Creates an item.
   *
   * @param id id
   * @param vector vector (owned, not copied)
   * @param version monotonically increasing version
   */
  public HnswItem(String id, float[] vector, long version) {
    this.id = id;
    this.vector = vector;
    this.version = version;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public float[] vector() {
    return vector;
  }

  @Override
  public int dimensions() {
    return vector.length;
  }

  @Override
  public long version() {
    return version;
  }
}
