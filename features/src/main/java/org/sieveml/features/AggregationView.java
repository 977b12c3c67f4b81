package org.sieveml.features;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.internal.Definitions;
import org.sieveml.features.internal.WindowAggregator;

/**
 * Windowed aggregations (count, sum, mean, min, max over sliding windows such as 10 min, 1 h, 1 d,
 * 7 d) of an event stream keyed by an {@link Entity}: "transactions per card in the last hour",
 * "7-day click-through rate per advertiser". The analogue of a Tecton aggregation feature view.
 *
 * <pre>{@code
 * AggregationView txn = AggregationView.builder("card_txn")
 *     .entity(card)
 *     .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
 *     .count(Duration.ofHours(1))                                  // count_1h
 *     .aggregate("amount", Aggregation.SUM, Duration.ofDays(1))    // amount_sum_1d
 *     .aggregate("amount", Aggregation.MAX, Duration.ofDays(7))    // amount_max_7d
 *     .build();
 * }</pre>
 *
 * <p><b>Windows and tiles.</b> Events are aggregated into <em>tiles</em>: partial aggregates of the
 * events whose event time falls in a tile. Tile lengths are the view's {@link #bucketMillis() bucket}
 * {@code B} (default one minute), then each of one second, one minute, one hour and one day that is
 * longer than the previous length and a multiple of it. A window {@code W} <em>hops</em> by the longest
 * tile length {@code H} with {@code 6 * H <= W} (the bucket if none): minute tiles serve windows up to
 * six hours, hour tiles windows from six hours to six days, day tiles longer ones.
 *
 * <p><b>Edge rule</b> (the same for training data at any past {@code t} and for online reads at
 * {@code now}): the value of a window {@code W} at time {@code t} aggregates the events with event
 * time in {@code [s, t]}, where {@code s = floor(floor(t / B) * B + B - W, H)} and {@code floor(x, H)}
 * rounds down to a multiple of {@code H}. The window thus covers the bucket holding {@code t} and
 * reaches back to a hop boundary: its length lies in {@code (W - B, W - B + H]} (a "sawtooth", as in
 * Chronon and Tecton). An online read combines whole tiles — hop-length tiles up to the hop boundary
 * before {@code t}, then shorter ones — a few dozen rather than {@code W / B}, and an entity stores
 * only tiles that hold events. Offline and online values are equal (sums are added in tile order, so
 * they are bit-equal when partial sums are exact, e.g. integral amounts).
 *
 * <p>Definitions are checked when built: every window a positive multiple of the bucket, at most ten
 * years, and readable with at most 4,096 tiles (a one-day window over one-millisecond buckets is
 * fine: it reads hour, minute, second and millisecond tiles; a 7-millisecond bucket under a one-day
 * window is refused).
 *
 * <p><b>Statuses online:</b> NOT_FOUND when the entity has no event within the longest window (stores
 * drop tiles no window can reach, Redis expires such keys), EXPIRED when it has, but its newest event is
 * at least the view's {@link #ttlMillis() TTL} old, VERSION_MISMATCH when
 * its tiles were written under another definition. NOT_FOUND and VERSION_MISMATCH read as empty
 * windows (count and sum 0, the others missing); EXPIRED still reads the windows' values. Only PRESENT
 * values are live.
 *
 * <p>Output features, in declaration order: {@code count_<window>} (LONG) and
 * {@code <field>_<function>_<window>} (DOUBLE), with the window written in its largest exact unit
 * ({@code 10m}, {@code 1h}, {@code 7d}).
 *
 * <p>Immutable and thread-safe.
 */
public final class AggregationView implements ViewDefinition {

  /**
   * One output feature of an aggregation view.
   *
   * @param name the output feature's name
   * @param field the input field aggregated, or null for COUNT
   * @param function the aggregation
   * @param windowMillis the window length in milliseconds
   */
  public record WindowedFeature(String name, String field, Aggregation function, long windowMillis) {}

  private final String name;
  private final Entity entity;
  private final FeatureSchema inputSchema;
  private final List<WindowedFeature> features;
  private final FeatureSchema schema;
  private final long bucketMillis;
  private final long ttlMillis;
  private final boolean online;
  private final String description;
  private final String version;

  private AggregationView(Builder b) {
    this.name = b.name;
    this.entity = b.entity;
    this.inputSchema = FeatureSchema.of(b.inputs);
    this.features = Collections.unmodifiableList(new ArrayList<>(b.features));
    List<FeatureSpec> out = new ArrayList<>();
    for (WindowedFeature f : features) {
      out.add(FeatureSpec.of(f.name(), f.function() == Aggregation.COUNT ? FeatureType.LONG : FeatureType.DOUBLE));
    }
    this.schema = FeatureSchema.of(out);
    this.bucketMillis = b.bucketMillis;
    this.ttlMillis = b.ttlMillis;
    this.online = b.online;
    this.description = b.description;
    this.version = Definitions.hash("AggregationView|" + name + "|" + entity.name() + entity.joinKeys() + "|"
        + inputSchema + "|" + features + "|" + bucketMillis + "|" + online + "|" + description
        + (ttlMillis == Long.MAX_VALUE ? "" : "|ttl=" + ttlMillis));
  }

  /**
   * Returns a builder.
   *
   * @param name the view's name, matching {@code [A-Za-z_][A-Za-z0-9_]*}
   * @return a new builder
   */
  public static Builder builder(String name) {
    return new Builder(Definitions.name("aggregation view name", name));
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Entity entity() {
    return entity;
  }

  /**
   * The output features: one per declared aggregation, in declaration order.
   *
   * @return the output schema
   */
  @Override
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The raw event fields (numeric or boolean) that events of this view carry.
   *
   * @return the input schema
   */
  public FeatureSchema inputSchema() {
    return inputSchema;
  }

  /**
   * The aggregations, aligned with {@link #schema()}.
   *
   * @return an unmodifiable list
   */
  public List<WindowedFeature> features() {
    return features;
  }

  /**
   * The bucket granularity.
   *
   * @return milliseconds per bucket
   */
  public long bucketMillis() {
    return bucketMillis;
  }

  /**
   * The TTL: an entity whose newest event is at least this old reads EXPIRED online.
   *
   * @return milliseconds, {@code Long.MAX_VALUE} when the view has none (the default)
   */
  public long ttlMillis() {
    return ttlMillis;
  }

  /**
   * The longest window: events older than this before the newest event of an entity no longer
   * contribute to any value.
   *
   * @return milliseconds
   */
  public long maxWindowMillis() {
    long m = 0;
    for (WindowedFeature f : features) {
      m = Math.max(m, f.windowMillis());
    }
    return m;
  }

  /**
   * Whether the view is served online (default true).
   *
   * @return true if online
   */
  public boolean online() {
    return online;
  }

  /**
   * Free-text description.
   *
   * @return the description, empty if not set
   */
  public String description() {
    return description;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AggregationView && ((AggregationView) o).version.equals(version)
        && ((AggregationView) o).name.equals(name);
  }

  @Override
  public int hashCode() {
    return version.hashCode();
  }

  @Override
  public String toString() {
    return "AggregationView{" + name + "@" + version + ", entity=" + entity.name() + ", " + schema + "}";
  }

  /** Assembles an {@link AggregationView}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private Entity entity;
    private final List<FeatureSpec> inputs = new ArrayList<>();
    private final List<WindowedFeature> features = new ArrayList<>();
    private long bucketMillis = 60_000L;
    private long ttlMillis = Long.MAX_VALUE;
    private boolean online = true;
    private String description = "";

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Sets the entity events are keyed by.
     *
     * @param entity the entity
     * @return this builder
     */
    public Builder entity(Entity entity) {
      if (entity == null) {
        throw new IllegalArgumentException("entity of aggregation view '" + name + "' must not be null");
      }
      this.entity = entity;
      return this;
    }

    /**
     * Declares a raw event field.
     *
     * @param field a DOUBLE, LONG or BOOLEAN field
     * @return this builder
     */
    public Builder input(FeatureSpec field) {
      if (field == null || !Definitions.aggregatable(field.type())) {
        throw new IllegalArgumentException("input of aggregation view '" + name
            + "' must be a DOUBLE, LONG or BOOLEAN field, was " + field);
      }
      for (FeatureSpec s : inputs) {
        if (s.name().equals(field.name())) {
          throw new IllegalArgumentException(
              "input '" + field.name() + "' is declared twice in aggregation view '" + name + "'");
        }
      }
      inputs.add(field);
      return this;
    }

    /**
     * Adds an event count over a window, named {@code count_<window>}.
     *
     * @param window the window, a positive multiple of the bucket
     * @return this builder
     */
    public Builder count(Duration window) {
      long w = Definitions.positiveMillis("count window of aggregation view '" + name + "'", window);
      return add(new WindowedFeature("count_" + Definitions.durationName(w), null, Aggregation.COUNT, w));
    }

    /**
     * Adds an aggregation of an input field over a window, named {@code <field>_<function>_<window>}.
     *
     * @param field a declared input field
     * @param function the aggregation (COUNT counts events and ignores the field's value)
     * @param window the window, a positive multiple of the bucket
     * @return this builder
     */
    public Builder aggregate(String field, Aggregation function, Duration window) {
      if (function == null) {
        throw new IllegalArgumentException("aggregation function of view '" + name + "' must not be null");
      }
      if (function == Aggregation.COUNT) {
        return count(window);
      }
      boolean known = false;
      for (FeatureSpec s : inputs) {
        known |= s.name().equals(field);
      }
      if (!known) {
        List<String> names = new ArrayList<>();
        inputs.forEach(s -> names.add(s.name()));
        throw new IllegalArgumentException("field of aggregation in view '" + name + "' must be a declared input "
            + names + ", was " + (field == null ? "null" : "'" + field + "'"));
      }
      long w = Definitions.positiveMillis("window of " + field + " " + function + " in view '" + name + "'", window);
      return add(new WindowedFeature(
          field + "_" + function.shortName() + "_" + Definitions.durationName(w), field, function, w));
    }

    /**
     * Sets the bucket granularity (default one minute).
     *
     * @param bucket a positive duration that divides every window
     * @return this builder
     */
    public Builder bucket(Duration bucket) {
      this.bucketMillis = Definitions.positiveMillis("bucket of aggregation view '" + name + "'", bucket);
      return this;
    }

    /**
     * Sets the TTL: online reads of an entity whose newest event is at least this old are EXPIRED
     * (default: none).
     *
     * @param ttl a positive duration
     * @return this builder
     */
    public Builder ttl(Duration ttl) {
      this.ttlMillis = Definitions.positiveMillis("ttl of aggregation view '" + name + "'", ttl);
      return this;
    }

    /**
     * Sets whether the view is served online (default true).
     *
     * @param online true to serve it
     * @return this builder
     */
    public Builder online(boolean online) {
      this.online = online;
      return this;
    }

    /**
     * Sets the description.
     *
     * @param description free text, not null
     * @return this builder
     */
    public Builder description(String description) {
      if (description == null) {
        throw new IllegalArgumentException("description of aggregation view '" + name + "' must not be null");
      }
      this.description = description;
      return this;
    }

    /**
     * Builds the view.
     *
     * @return the view
     * @throws IllegalStateException without an entity or an aggregation, or when a window is not a
     *     multiple of the bucket, longer than ten years or needs more than 4,096 tiles per read
     */
    public AggregationView build() {
      if (entity == null) {
        throw new IllegalStateException("aggregation view '" + name + "' needs an entity");
      }
      if (features.isEmpty()) {
        throw new IllegalStateException("aggregation view '" + name + "' needs at least one aggregation");
      }
      for (WindowedFeature f : features) {
        String problem = WindowAggregator.check(name, bucketMillis, f.name(), f.windowMillis());
        if (problem != null) {
          throw new IllegalStateException(problem);
        }
      }
      return new AggregationView(this);
    }

    private Builder add(WindowedFeature f) {
      for (WindowedFeature g : features) {
        if (g.name().equals(f.name())) {
          throw new IllegalArgumentException(
              "aggregation '" + f.name() + "' is declared twice in aggregation view '" + name + "'");
        }
      }
      features.add(f);
      return this;
    }
  }
}
