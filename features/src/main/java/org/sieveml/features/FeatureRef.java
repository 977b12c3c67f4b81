package org.sieveml.features;

import org.sieveml.features.internal.Definitions;

/**
 * A reference to one feature of one view, written {@code view:feature}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param view the view's name
 * @param feature the feature's name within the view
 */
public record FeatureRef(String view, String feature) {

  /**
   * Checks the names.
   *
   * @param view the view's name
   * @param feature the feature's name
   */
  public FeatureRef {
    Definitions.name("view name of a feature reference", view);
    if (feature == null || feature.isEmpty()) {
      throw new IllegalArgumentException(
          "feature name of a reference to view '" + view + "' must not be empty, was " + feature);
    }
  }

  /**
   * A reference.
   *
   * @param view the view's name
   * @param feature the feature's name
   * @return the reference
   */
  public static FeatureRef of(String view, String feature) {
    return new FeatureRef(view, feature);
  }

  /**
   * Parses {@code view:feature}.
   *
   * @param text the reference
   * @return the reference
   */
  public static FeatureRef parse(String text) {
    int c = text == null ? -1 : text.indexOf(':');
    if (c <= 0 || c == text.length() - 1) {
      throw new IllegalArgumentException("feature reference must look like 'view:feature', was " + text);
    }
    return new FeatureRef(text.substring(0, c), text.substring(c + 1));
  }

  @Override
  public String toString() {
    return view + ":" + feature;
  }
}
