package org.sieveml.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The declaration of one feature: its name, its {@link FeatureType} and, for embeddings, its dimension.
 *
 * <p>Names match {@code [A-Za-z_][A-Za-z0-9_.:\-]*} (for example {@code user.ctr_7d}). Immutable and
 * thread-safe.
 */
public final class FeatureSpec {

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.:\\-]*");

  private final String name;
  private final FeatureType type;
  private final int dimension;

  private FeatureSpec(String name, FeatureType type, int dimension) {
    if (name == null) {
      throw new IllegalArgumentException("feature name must not be null");
    }
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "feature name must match " + NAME.pattern() + ", was '" + name + "'");
    }
    if (type == null) {
      throw new IllegalArgumentException("type of feature '" + name + "' must not be null");
    }
    if (type == FeatureType.EMBEDDING && dimension <= 0) {
      throw new IllegalArgumentException(
          "dimension of embedding feature '" + name + "' must be positive, was " + dimension);
    }
    this.name = name;
    this.type = type;
    this.dimension = dimension;
  }

  /**
   * A scalar feature.
   *
   * @param name the feature's name
   * @param type any type but {@link FeatureType#EMBEDDING}
   * @return the spec
   * @throws IllegalArgumentException for a bad name, or for EMBEDDING (use {@link #embedding})
   */
  public static FeatureSpec of(String name, FeatureType type) {
    if (type == FeatureType.EMBEDDING) {
      throw new IllegalArgumentException(
          "feature '" + name + "' is an EMBEDDING: declare it with FeatureSpec.embedding(name, dimension)");
    }
    return new FeatureSpec(name, type, 0);
  }

  /**
   * An embedding feature of a fixed dimension.
   *
   * @param name the feature's name
   * @param dimension the number of floats, positive
   * @return the spec
   * @throws IllegalArgumentException for a bad name or a dimension {@code <= 0}
   */
  public static FeatureSpec embedding(String name, int dimension) {
    return new FeatureSpec(name, FeatureType.EMBEDDING, dimension);
  }

  /**
   * The feature's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The feature's type.
   *
   * @return the type
   */
  public FeatureType type() {
    return type;
  }

  /**
   * The embedding dimension, or 0 for scalar features.
   *
   * @return the dimension
   */
  public int dimension() {
    return dimension;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof FeatureSpec)) {
      return false;
    }
    FeatureSpec other = (FeatureSpec) o;
    return dimension == other.dimension && type == other.type && name.equals(other.name);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, dimension);
  }

  /** Renders as {@code name:TYPE} or {@code name:EMBEDDING[64]}. */
  @Override
  public String toString() {
    return type == FeatureType.EMBEDDING ? name + ":EMBEDDING[" + dimension + "]" : name + ":" + type;
  }
}
