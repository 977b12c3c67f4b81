package org.sieveml.features;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.sieveml.features.internal.Definitions;

/**
 * A named, versioned selection of features for one model: what training data and serving requests ask
 * for. The analogue of a Feast {@code FeatureService}.
 *
 * <pre>{@code
 * FeatureService fraudV1 = FeatureService.builder("fraud_v1")
 *     .features("card_stats")                          // every feature of the view
 *     .features("card_txn", "count_1h", "amount_sum_1d")
 *     .build();
 * }</pre>
 *
 * <p>Output columns are named by the feature's name, or {@code view:feature} with
 * {@link Builder#fullFeatureNames(boolean)}; two selected features with one output name are rejected
 * when the service is registered. Its version is a content hash; a {@link FeatureRegistry} refuses a
 * service object whose version is no longer the registered one, so a model never silently reads a
 * changed selection.
 *
 * <p>Immutable and thread-safe.
 */
public final class FeatureService {

  /**
   * The features selected from one view.
   *
   * @param view the view's name
   * @param features the selected features' names in order; empty means every feature of the view
   */
  public record Selection(String view, List<String> features) {}

  private final String name;
  private final List<Selection> selections;
  private final boolean fullFeatureNames;
  private final String description;
  private final String version;

  private FeatureService(Builder b) {
    this.name = b.name;
    this.selections = Collections.unmodifiableList(new ArrayList<>(b.selections));
    this.fullFeatureNames = b.fullFeatureNames;
    this.description = b.description;
    this.version = Definitions.hash(
        "FeatureService|" + name + "|" + selections + "|" + fullFeatureNames + "|" + description);
  }

  /**
   * Returns a builder.
   *
   * @param name the service's name, matching {@code [A-Za-z_][A-Za-z0-9_]*}
   * @return a new builder
   */
  public static Builder builder(String name) {
    return new Builder(Definitions.name("feature service name", name));
  }

  /**
   * The service's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The selections in declaration order.
   *
   * @return an unmodifiable list
   */
  public List<Selection> selections() {
    return selections;
  }

  /**
   * Whether output columns are named {@code view:feature} rather than {@code feature}.
   *
   * @return true for full names
   */
  public boolean fullFeatureNames() {
    return fullFeatureNames;
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
   * The content-hash version (16 hex digits).
   *
   * @return the version
   */
  public String version() {
    return version;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureService && ((FeatureService) o).version.equals(version)
        && ((FeatureService) o).name.equals(name);
  }

  @Override
  public int hashCode() {
    return version.hashCode();
  }

  @Override
  public String toString() {
    return "FeatureService{" + name + "@" + version + ", " + selections + "}";
  }

  /** Assembles a {@link FeatureService}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<Selection> selections = new ArrayList<>();
    private boolean fullFeatureNames;
    private String description = "";

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Selects features of a view.
     *
     * @param view the view's name
     * @param features the features' names; none selects every feature of the view
     * @return this builder
     */
    public Builder features(String view, String... features) {
      Definitions.name("view name in feature service '" + name + "'", view);
      for (Selection s : selections) {
        if (s.view().equals(view)) {
          throw new IllegalArgumentException("view '" + view + "' is selected twice in feature service '" + name
              + "': list all its features in one call");
        }
      }
      for (String f : features) {
        if (f == null || f.isEmpty()) {
          throw new IllegalArgumentException(
              "feature of view '" + view + "' in feature service '" + name + "' must not be empty, was " + f);
        }
      }
      if (features.length != Arrays.stream(features).distinct().count()) {
        throw new IllegalArgumentException("feature service '" + name + "' selects a feature of view '" + view
            + "' twice: " + Arrays.toString(features));
      }
      selections.add(new Selection(view, List.of(features)));
      return this;
    }

    /**
     * Names output columns {@code view:feature} (default false: plain feature names).
     *
     * @param full true for full names
     * @return this builder
     */
    public Builder fullFeatureNames(boolean full) {
      this.fullFeatureNames = full;
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
        throw new IllegalArgumentException("description of feature service '" + name + "' must not be null");
      }
      this.description = description;
      return this;
    }

    /**
     * Builds the service.
     *
     * @return the service
     * @throws IllegalStateException when nothing is selected
     */
    public FeatureService build() {
      if (selections.isEmpty()) {
        throw new IllegalStateException("feature service '" + name + "' selects no view");
      }
      return new FeatureService(this);
    }
  }
}
