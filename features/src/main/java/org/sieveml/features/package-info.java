/**
 * Feature views and the feature store: entities, typed views with TTL, windowed aggregations and
 * request-time transforms, feature services, point-in-time-correct training data from the offline
 * store, and the online store for serving.
 *
 * <p>Definitions ({@link org.sieveml.features.Entity}, {@link org.sieveml.features.FeatureView},
 * {@link org.sieveml.features.AggregationView}, {@link org.sieveml.features.OnDemandFeatureView},
 * {@link org.sieveml.features.FeatureService}) are immutable values identified by a content-hash
 * version and catalogued by a {@link org.sieveml.features.FeatureRegistry}.
 *
 * <p>State: each stored view's history is an {@link org.sieveml.features.OfflineStore} log (event,
 * created and ingestion time, ingestion sequence); what is served — a feature view's latest
 * {@link org.sieveml.features.OnlineRow} per key and an aggregation view's
 * {@link org.sieveml.features.WindowTiles} — is in an {@link org.sieveml.features.OnlineStore},
 * stamped with the definition version. The {@link org.sieveml.features.FeatureStore} facade hands
 * each view to the part for its kind, which owns both its offline and its online behaviour.
 */
package org.sieveml.features;
