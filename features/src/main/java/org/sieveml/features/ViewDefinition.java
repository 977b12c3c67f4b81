package org.sieveml.features;

import org.sieveml.core.FeatureSchema;

/**
 * What every kind of view has in common: a unique name, the typed features it outputs and a
 * content-hash version. The three kinds are {@link FeatureView} (batch/stream features with a TTL),
 * {@link AggregationView} (windowed aggregations over an event stream) and {@link OnDemandFeatureView}
 * (request-time transforms).
 *
 * <p>Implementations are immutable and thread-safe.
 */
public sealed interface ViewDefinition permits FeatureView, AggregationView, OnDemandFeatureView {

  /**
   * The view's name, unique among all views in a {@link FeatureRegistry}.
   *
   * @return the name
   */
  String name();

  /**
   * The features this view outputs, in declaration order.
   *
   * @return the output schema
   */
  FeatureSchema schema();

  /**
   * The entity the view is keyed by, or null for an on-demand view (keyed by the request).
   *
   * @return the entity or null
   */
  Entity entity();

  /**
   * The content-hash version: 16 hex digits of SHA-256 over everything in the definition. Two
   * definitions with the same version are identical; any change gives a new version.
   *
   * @return the version
   */
  String version();
}
