/**
 * SieveML core: value types (entity keys, feature schemas, vectors and frames, candidates, scored
 * items), the one CSV reader every module uses, the two-stage pipeline (candidates, features, ranking,
 * re-ranking) and telemetry. Drift and skew monitoring live in {@code org.sieveml.monitoring}, which
 * depends on this module; this module depends on no other SieveML module.
 *
 * <p>Exports only the public API; {@code internal} packages are not exported (an architecture test
 * in {@code examples} also forbids other modules' sources to use them on the class path).
 */
module org.sieveml.core {
  requires transitive org.slf4j;

  exports org.sieveml.core;
  exports org.sieveml.core.csv;
  exports org.sieveml.core.pipeline;
  exports org.sieveml.core.telemetry;
}
