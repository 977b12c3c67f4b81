/**
 * SieveML core: value types (entity keys, feature schemas, vectors and frames), the two-stage
 * pipeline (candidates, features, ranking, re-ranking), drift detectors and telemetry.
 *
 * <p>Exports only the public API; {@code internal} packages are not exported (an architecture test
 * in {@code examples} also forbids other modules' sources to use them on the class path).
 */
module org.sieveml.core {
  requires transitive org.slf4j;

  exports org.sieveml.core;
  exports org.sieveml.core.csv;
  exports org.sieveml.core.drift;
  exports org.sieveml.core.pipeline;
  exports org.sieveml.core.telemetry;
}
