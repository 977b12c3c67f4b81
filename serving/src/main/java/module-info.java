/**
 * SieveML serving: the library's own wiring of the feature store, retrieval and ranking —
 * {@link org.sieveml.serving.BatchPrediction} (score every entity, or every (user, candidate) pair, at a
 * time and write the results back to the feature store as a view of predictions) and
 * {@link org.sieveml.serving.PrecomputedCandidates} (serve those lists as a candidate generator with an
 * online fallback).
 *
 * <p>The one library module allowed to know {@code org.sieveml.features}, {@code org.sieveml.retrieval}
 * and {@code org.sieveml.ranking} together. Retrieval and ranking ship no module descriptor of their own
 * (see their poms): they are required by their {@code Automatic-Module-Name}. Exports only
 * {@code org.sieveml.serving}; {@code org.sieveml.serving.internal} is not exported.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module org.sieveml.serving {
  requires transitive org.sieveml.core;
  requires transitive org.sieveml.features;
  requires transitive org.sieveml.retrieval;
  requires transitive org.sieveml.ranking;

  exports org.sieveml.serving;
}
