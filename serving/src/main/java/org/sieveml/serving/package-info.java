/**
 * The library's own wiring of the feature store, retrieval and ranking.
 *
 * <p>Entry points: {@link org.sieveml.serving.BatchPrediction} scores every entity of a set, or every
 * (entity, candidate) pair keeping the top N, at one time from point-in-time-correct features, and writes the
 * results to the feature store as a view of predictions (offline and online, with a TTL), in chunks, with
 * progress ({@link org.sieveml.serving.BatchProgress}), resumable after a crash with exactly one row per
 * entity and run ({@link org.sieveml.serving.BatchResult}). {@link org.sieveml.serving.PrecomputedCandidates}
 * serves the stored top-N lists as a pipeline candidate generator, falling back to an online generator when
 * an entity's list is missing or expired.
 */
package org.sieveml.serving;
