package org.sieveml.features;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.features.internal.Definitions;

/**
 * Features computed at request time by a Java function of request data and other views' features, run
 * identically when building training data and when serving. The analogue of a Feast
 * {@code OnDemandFeatureView}.
 *
 * <pre>{@code
 * OnDemandFeatureView ratio = OnDemandFeatureView.builder("amount_ratio")
 *     .request(FeatureSpec.of("amount", FeatureType.DOUBLE))
 *     .input("card_stats", "avg_amount_30d")
 *     .output(FeatureSpec.of("amount_to_avg", FeatureType.DOUBLE))
 *     .transform((in, out) -> {
 *         if (in.isPresent("amount") && in.isPresent("card_stats:avg_amount_30d")) {
 *           out.setDouble("amount_to_avg",
 *               in.getDouble("amount") / Math.max(1.0, in.getDouble("card_stats:avg_amount_30d")));
 *         }
 *       }, "v1")
 *     .build();
 * }</pre>
 *
 * <p>A function cannot be hashed, so its version is the {@code transformVersion} string you give: change
 * it whenever the function's behaviour changes, and the view's content-hash version changes with it.
 *
 * <p>Immutable and thread-safe if the transform is.
 */
public final class OnDemandFeatureView implements ViewDefinition {

  private final String name;
  private final FeatureSchema requestSchema;
  private final List<FeatureRef> inputs;
  private final FeatureSchema schema;
  private final OnDemandTransform transform;
  private final String transformVersion;
  private final String description;
  private final String version;

  private OnDemandFeatureView(Builder b) {
    this.name = b.name;
    this.requestSchema = FeatureSchema.of(b.request);
    this.inputs = Collections.unmodifiableList(new ArrayList<>(b.inputs));
    this.schema = FeatureSchema.of(b.outputs);
    this.transform = b.transform;
    this.transformVersion = b.transformVersion;
    this.description = b.description;
    this.version = Definitions.hash("OnDemandFeatureView|" + name + "|" + requestSchema + "|" + inputs + "|" + schema
        + "|" + transformVersion + "|" + description);
  }

  /**
   * Returns a builder.
   *
   * @param name the view's name, matching {@code [A-Za-z_][A-Za-z0-9_]*}
   * @return a new builder
   */
  public static Builder builder(String name) {
    return new Builder(Definitions.name("on-demand view name", name));
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * Always null: an on-demand view is keyed by the request, not by an entity.
   *
   * @return null
   */
  @Override
  public Entity entity() {
    return null;
  }

  @Override
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The request-time fields the transform reads.
   *
   * @return the request schema (possibly empty)
   */
  public FeatureSchema requestSchema() {
    return requestSchema;
  }

  /**
   * The other views' features the transform reads, passed to it as {@code view:feature}.
   *
   * @return an unmodifiable list
   */
  public List<FeatureRef> inputs() {
    return inputs;
  }

  /**
   * The transform.
   *
   * @return the function
   */
  public OnDemandTransform transform() {
    return transform;
  }

  /**
   * The version you gave the transform.
   *
   * @return the transform version
   */
  public String transformVersion() {
    return transformVersion;
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
    return o instanceof OnDemandFeatureView && ((OnDemandFeatureView) o).version.equals(version)
        && ((OnDemandFeatureView) o).name.equals(name);
  }

  @Override
  public int hashCode() {
    return version.hashCode();
  }

  @Override
  public String toString() {
    return "OnDemandFeatureView{" + name + "@" + version + ", inputs=" + inputs + ", " + schema + "}";
  }

  /** Assembles an {@link OnDemandFeatureView}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<FeatureSpec> request = new ArrayList<>();
    private final List<FeatureRef> inputs = new ArrayList<>();
    private final List<FeatureSpec> outputs = new ArrayList<>();
    private OnDemandTransform transform;
    private String transformVersion;
    private String description = "";

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Declares request-time fields.
     *
     * @param fields the fields
     * @return this builder
     */
    public Builder request(FeatureSpec... fields) {
      for (FeatureSpec f : fields) {
        if (f == null) {
          throw new IllegalArgumentException("request field of on-demand view '" + name + "' must not be null");
        }
        request.add(f);
      }
      return this;
    }

    /**
     * Declares a feature of another (feature or aggregation) view as an input.
     *
     * @param view the view's name
     * @param feature the feature's name
     * @return this builder
     */
    public Builder input(String view, String feature) {
      FeatureRef ref = FeatureRef.of(view, feature);
      if (inputs.contains(ref)) {
        throw new IllegalArgumentException("input " + ref + " is declared twice in on-demand view '" + name + "'");
      }
      inputs.add(ref);
      return this;
    }

    /**
     * Declares output features.
     *
     * @param features the outputs
     * @return this builder
     */
    public Builder output(FeatureSpec... features) {
      for (FeatureSpec f : features) {
        if (f == null) {
          throw new IllegalArgumentException("output of on-demand view '" + name + "' must not be null");
        }
        outputs.add(f);
      }
      return this;
    }

    /**
     * Sets the transform and its version.
     *
     * @param fn the function
     * @param version a label that changes whenever the function's behaviour does, not empty
     * @return this builder
     */
    public Builder transform(OnDemandTransform fn, String version) {
      if (fn == null) {
        throw new IllegalArgumentException("transform of on-demand view '" + name + "' must not be null");
      }
      if (version == null || version.isEmpty()) {
        throw new IllegalArgumentException(
            "transform version of on-demand view '" + name + "' must not be empty, was " + version);
      }
      this.transform = fn;
      this.transformVersion = version;
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
        throw new IllegalArgumentException("description of on-demand view '" + name + "' must not be null");
      }
      this.description = description;
      return this;
    }

    /**
     * Builds the view.
     *
     * @return the view
     * @throws IllegalStateException without a transform or an output, or when a request field and an
     *     input or two names clash
     */
    public OnDemandFeatureView build() {
      if (transform == null) {
        throw new IllegalStateException("on-demand view '" + name + "' needs a transform");
      }
      if (outputs.isEmpty()) {
        throw new IllegalStateException("on-demand view '" + name + "' needs at least one output");
      }
      FeatureSchema.of(outputs); // rejects duplicate output names
      FeatureSchema.of(request);
      return new OnDemandFeatureView(this);
    }
  }
}
