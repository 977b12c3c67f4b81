package org.sieveml.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sieveml.core.internal.Checks;

/**
 * An ordered, immutable list of uniquely named {@link FeatureSpec}s: the typed layout of a
 * {@link FeatureVector}.
 *
 * <p>Features are addressed by name or by index (their position in the schema); index access is the
 * fast path for code that resolves names once. Two schemas are equal when they declare the same
 * specs in the same order. Immutable and thread-safe.
 */
public final class FeatureSchema {

  private static final FeatureSchema EMPTY = new FeatureSchema(new FeatureSpec[0]);

  private final FeatureSpec[] specs;
  private final Map<String, Integer> index;
  private final int hash;

  private FeatureSchema(FeatureSpec[] specs) {
    this.specs = specs;
    Map<String, Integer> idx = new HashMap<>(specs.length * 2);
    for (int i = 0; i < specs.length; i++) {
      Integer prev = idx.putIfAbsent(specs[i].name(), i);
      if (prev != null) {
        throw new IllegalArgumentException(
            "feature name '" + specs[i].name() + "' is declared twice (positions " + prev + " and " + i + ")");
      }
    }
    this.index = idx;
    this.hash = Arrays.hashCode(specs);
  }

  /**
   * A schema of the given specs, in that order.
   *
   * @param specs the features; names must be unique
   * @return the schema
   * @throws IllegalArgumentException if a spec is null or a name repeats
   */
  public static FeatureSchema of(FeatureSpec... specs) {
    Checks.notNull("specs", specs);
    return of(Arrays.asList(specs));
  }

  /**
   * A schema of the given specs, in list order.
   *
   * @param specs the features; names must be unique
   * @return the schema
   * @throws IllegalArgumentException if a spec is null or a name repeats
   */
  public static FeatureSchema of(List<FeatureSpec> specs) {
    Checks.notNull("specs", specs);
    FeatureSpec[] arr = specs.toArray(new FeatureSpec[0]);
    for (int i = 0; i < arr.length; i++) {
      if (arr[i] == null) {
        throw new IllegalArgumentException("specs[" + i + "] must not be null");
      }
    }
    return new FeatureSchema(arr);
  }

  /**
   * The schema with no features.
   *
   * @return the empty schema
   */
  public static FeatureSchema empty() {
    return EMPTY;
  }

  /**
   * Returns a builder that appends features in call order.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The number of features.
   *
   * @return the number of features
   */
  public int size() {
    return specs.length;
  }

  /**
   * The spec at a position.
   *
   * @param index {@code 0 <= index < size()}
   * @return the spec
   */
  public FeatureSpec get(int index) {
    return specs[index];
  }

  /**
   * The position of a feature, or -1 if absent.
   *
   * @param name a feature name
   * @return its index or -1
   */
  public int indexOf(String name) {
    Integer i = index.get(name);
    return i == null ? -1 : i;
  }

  /**
   * The position of a feature that must exist.
   *
   * @param name a feature name
   * @return its index
   * @throws IllegalArgumentException naming the feature and the schema's features if it is absent
   */
  public int require(String name) {
    Integer i = index.get(name);
    if (i == null) {
      throw new IllegalArgumentException("unknown feature '" + name + "'; the schema has " + names());
    }
    return i;
  }

  /**
   * Whether the schema declares a feature of this name.
   *
   * @param name a feature name
   * @return true if present
   */
  public boolean contains(String name) {
    return index.containsKey(name);
  }

  /**
   * The specs in order.
   *
   * @return an unmodifiable list
   */
  public List<FeatureSpec> specs() {
    return Collections.unmodifiableList(Arrays.asList(specs));
  }

  /**
   * The feature names in order.
   *
   * @return a new list of names
   */
  public List<String> names() {
    List<String> out = new ArrayList<>(specs.length);
    for (FeatureSpec s : specs) {
      out.add(s.name());
    }
    return out;
  }

  /**
   * Checks that every feature this schema declares is provided, with the same type and dimension, by
   * {@code provider}. Used to refuse, at wiring time, a consumer (a scorer, a model) whose inputs a
   * producer (a feature source, a feature service) does not supply.
   *
   * @param provider the schema that must supply this one's features
   * @param consumerName names this schema's owner in the message, e.g. "scorer 'ctr-model'"
   * @param providerName names the provider in the message
   * @throws IllegalArgumentException naming the first missing or mistyped feature
   */
  public void checkProvidedBy(FeatureSchema provider, String consumerName, String providerName) {
    Checks.notNull("provider", provider);
    for (FeatureSpec need : specs) {
      int i = provider.indexOf(need.name());
      if (i < 0) {
        throw new IllegalArgumentException(
            consumerName + " needs feature '" + need.name() + "' but " + providerName
                + " does not provide it; it provides " + provider.names());
      }
      FeatureSpec have = provider.get(i);
      if (!have.equals(need)) {
        throw new IllegalArgumentException(
            consumerName + " needs feature " + need + " but " + providerName + " provides " + have);
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof FeatureSchema)) {
      return false;
    }
    FeatureSchema other = (FeatureSchema) o;
    return hash == other.hash && Arrays.equals(specs, other.specs);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return Arrays.toString(specs);
  }

  /** Appends features in call order and builds a {@link FeatureSchema}. Not thread-safe. */
  public static final class Builder {
    private final List<FeatureSpec> specs = new ArrayList<>();

    private Builder() {}

    /**
     * Appends a spec.
     *
     * @param spec the feature
     * @return this builder
     */
    public Builder add(FeatureSpec spec) {
      specs.add(Checks.notNull("spec", spec));
      return this;
    }

    /**
     * Appends a {@link FeatureType#DOUBLE} feature.
     *
     * @param name the feature name
     * @return this builder
     */
    public Builder addDouble(String name) {
      return add(FeatureSpec.of(name, FeatureType.DOUBLE));
    }

    /**
     * Appends a {@link FeatureType#LONG} feature.
     *
     * @param name the feature name
     * @return this builder
     */
    public Builder addLong(String name) {
      return add(FeatureSpec.of(name, FeatureType.LONG));
    }

    /**
     * Appends a {@link FeatureType#BOOLEAN} feature.
     *
     * @param name the feature name
     * @return this builder
     */
    public Builder addBoolean(String name) {
      return add(FeatureSpec.of(name, FeatureType.BOOLEAN));
    }

    /**
     * Appends a {@link FeatureType#STRING} (categorical) feature.
     *
     * @param name the feature name
     * @return this builder
     */
    public Builder addString(String name) {
      return add(FeatureSpec.of(name, FeatureType.STRING));
    }

    /**
     * Appends an {@link FeatureType#EMBEDDING} feature.
     *
     * @param name the feature name
     * @param dimension the embedding dimension, positive
     * @return this builder
     */
    public Builder addEmbedding(String name, int dimension) {
      return add(FeatureSpec.embedding(name, dimension));
    }

    /**
     * Builds the schema.
     *
     * @return the immutable schema
     * @throws IllegalArgumentException if a name repeats
     */
    public FeatureSchema build() {
      return FeatureSchema.of(specs);
    }
  }
}
