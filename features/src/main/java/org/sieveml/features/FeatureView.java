package org.sieveml.features;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.features.internal.Definitions;

/**
 * A named group of typed features of one {@link Entity}, written by batch ingestion or streaming
 * pushes, read point-in-time-correct for training and latest-value for serving. The analogue of a
 * Feast {@code FeatureView}.
 *
 * <pre>{@code
 * FeatureView stats = FeatureView.builder("card_stats")
 *     .entity(card)
 *     .feature(FeatureSpec.of("avg_amount_30d", FeatureType.DOUBLE), 0.0)
 *     .feature(FeatureSpec.of("country", FeatureType.STRING))
 *     .ttl(Duration.ofDays(2))
 *     .build();
 * }</pre>
 *
 * <p>A row of this view is valid for its TTL after its event time: a point-in-time join at {@code t}
 * takes the latest row with event time in {@code (t - ttl, t]}, and an online read at {@code now}
 * reports a row whose event time is {@code <= now - ttl} as expired. A feature with no value gives its
 * declared default, or a missing value when it has none.
 *
 * <p>Immutable and thread-safe.
 */
public final class FeatureView implements ViewDefinition {

  private final String name;
  private final Entity entity;
  private final FeatureSchema schema;
  private final Object[] defaults;
  private final Duration ttl;
  private final long ttlMillis;
  private final boolean online;
  private final String source;
  private final String description;
  private final Map<String, String> tags;
  private final String version;

  private FeatureView(Builder b) {
    this.name = b.name;
    this.entity = b.entity;
    this.schema = FeatureSchema.of(b.specs);
    this.defaults = b.defaults.toArray();
    this.ttl = b.ttl;
    this.ttlMillis = b.ttl.isZero() ? Long.MAX_VALUE : b.ttl.toMillis();
    this.online = b.online;
    this.source = b.source;
    this.description = b.description;
    this.tags = Collections.unmodifiableMap(new TreeMap<>(b.tags));
    StringBuilder c = new StringBuilder("FeatureView|").append(name).append('|').append(entity.name())
        .append(entity.joinKeys()).append('|').append(schema).append('|');
    for (Object d : defaults) {
      c.append(Definitions.canonical(d)).append(',');
    }
    c.append('|').append(ttl.toMillis()).append('|').append(online).append('|').append(source).append('|')
        .append(description).append('|').append(tags);
    this.version = Definitions.hash(c.toString());
  }

  /**
   * Returns a builder.
   *
   * @param name the view's name, matching {@code [A-Za-z_][A-Za-z0-9_]*}
   * @return a new builder
   */
  public static Builder builder(String name) {
    return new Builder(Definitions.name("feature view name", name));
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Entity entity() {
    return entity;
  }

  @Override
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The time-to-live: how long after its event time a row is still served and joined.
   *
   * @return the TTL, {@link Duration#ZERO} when rows never expire
   */
  public Duration ttl() {
    return ttl;
  }

  /**
   * The TTL in milliseconds.
   *
   * @return the TTL, or {@link Long#MAX_VALUE} when rows never expire
   */
  public long ttlMillis() {
    return ttlMillis;
  }

  /**
   * Whether the view is materialized to and served from the online store.
   *
   * @return true if online
   */
  public boolean online() {
    return online;
  }

  /**
   * The default of a feature: what a join or a read gives when there is no (live) value.
   *
   * @param feature a feature of this view
   * @return the default ({@code Double}, {@code Long}, {@code Boolean}, {@code String} or a copy of the
   *     {@code float[]}), or null when the value is then missing
   * @throws IllegalArgumentException if the view has no such feature
   */
  public Object defaultValue(String feature) {
    Object d = defaults[schema.require(feature)];
    return d instanceof float[] ? ((float[]) d).clone() : d;
  }

  /**
   * Where the data comes from, free text (e.g. a table or topic name).
   *
   * @return the source, empty if not set
   */
  public String source() {
    return source;
  }

  /**
   * Free-text description.
   *
   * @return the description, empty if not set
   */
  public String description() {
    return description;
  }

  /**
   * Tags, sorted by key.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> tags() {
    return tags;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureView && ((FeatureView) o).version.equals(version)
        && ((FeatureView) o).name.equals(name);
  }

  @Override
  public int hashCode() {
    return version.hashCode();
  }

  @Override
  public String toString() {
    return "FeatureView{" + name + "@" + version + ", entity=" + entity.name() + ", " + schema + ", ttl=" + ttl + "}";
  }

  /** Assembles a {@link FeatureView}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private Entity entity;
    private final List<FeatureSpec> specs = new ArrayList<>();
    private final List<Object> defaults = new ArrayList<>();
    private Duration ttl = Duration.ZERO;
    private boolean online = true;
    private String source = "";
    private String description = "";
    private final Map<String, String> tags = new TreeMap<>();

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Sets the entity the view is keyed by.
     *
     * @param entity the entity
     * @return this builder
     */
    public Builder entity(Entity entity) {
      if (entity == null) {
        throw new IllegalArgumentException("entity of feature view '" + name + "' must not be null");
      }
      this.entity = entity;
      return this;
    }

    /**
     * Adds a feature with no default (a missing value when there is no row).
     *
     * @param spec the feature
     * @return this builder
     */
    public Builder feature(FeatureSpec spec) {
      return feature(spec, null);
    }

    /**
     * Adds a feature with a default.
     *
     * @param spec the feature
     * @param defaultValue a value of the feature's type ({@code Number} for DOUBLE, an integral
     *     {@code Number} for LONG, {@code Boolean}, {@code String}, {@code float[]} of the dimension),
     *     or null for none
     * @return this builder
     */
    public Builder feature(FeatureSpec spec, Object defaultValue) {
      if (spec == null) {
        throw new IllegalArgumentException("feature of view '" + name + "' must not be null");
      }
      for (FeatureSpec s : specs) {
        if (s.name().equals(spec.name())) {
          throw new IllegalArgumentException(
              "feature '" + spec.name() + "' is declared twice in feature view '" + name + "'");
        }
      }
      Object d = Definitions.checkDefault("feature view '" + name + "'", spec, defaultValue);
      specs.add(spec);
      defaults.add(d);
      return this;
    }

    /**
     * Sets the TTL.
     *
     * @param ttl zero for "never expires", else positive
     * @return this builder
     */
    public Builder ttl(Duration ttl) {
      if (ttl == null || ttl.isNegative() || ttl.compareTo(Duration.ofDays(365L * 1000)) > 0
          || (!ttl.isZero() && ttl.toMillis() <= 0)) {
        throw new IllegalArgumentException("ttl of feature view '" + name + "' must be zero (no expiry) or 1 ms to "
            + "1000 years, was " + ttl);
      }
      this.ttl = ttl;
      return this;
    }

    /**
     * Sets whether the view is served online (default true).
     *
     * @param online true to materialize and serve it
     * @return this builder
     */
    public Builder online(boolean online) {
      this.online = online;
      return this;
    }

    /**
     * Describes the data source.
     *
     * @param source free text, not null
     * @return this builder
     */
    public Builder source(String source) {
      this.source = text("source", source);
      return this;
    }

    /**
     * Sets the description.
     *
     * @param description free text, not null
     * @return this builder
     */
    public Builder description(String description) {
      this.description = text("description", description);
      return this;
    }

    /**
     * Adds a tag.
     *
     * @param key the tag's key, not empty
     * @param value the tag's value, not null
     * @return this builder
     */
    public Builder tag(String key, String value) {
      if (key == null || key.isEmpty()) {
        throw new IllegalArgumentException("tag key of feature view '" + name + "' must not be empty, was " + key);
      }
      tags.put(key, text("tag '" + key + "'", value));
      return this;
    }

    /**
     * Builds the view.
     *
     * @return the view
     * @throws IllegalStateException without an entity or a feature
     */
    public FeatureView build() {
      if (entity == null) {
        throw new IllegalStateException("feature view '" + name + "' needs an entity");
      }
      if (specs.isEmpty()) {
        throw new IllegalStateException("feature view '" + name + "' needs at least one feature");
      }
      return new FeatureView(this);
    }

    private String text(String field, String v) {
      if (v == null) {
        throw new IllegalArgumentException(field + " of feature view '" + name + "' must not be null");
      }
      return v;
    }
  }
}
