/**
 * Feature views and the feature store: entities, typed views with TTL, windowed aggregations and
 * request-time transforms, feature services, point-in-time-correct training data from the offline
 * store, and the online store for serving.
 *
 * <p>Definitions ({@link org.sieveml.features.Entity}, {@link org.sieveml.features.FeatureView},
 * {@link org.sieveml.features.AggregationView}, {@link org.sieveml.features.OnDemandFeatureView},
 * {@link org.sieveml.features.FeatureService}) are immutable values identified by a content-hash
 * version and catalogued by a {@link org.sieveml.features.FeatureRegistry}.
 */
package org.sieveml.features;
