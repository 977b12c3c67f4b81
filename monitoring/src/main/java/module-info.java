/**
 * SieveML monitoring: two-sample drift tests, dataset-level drift decisions, streaming change
 * detectors and monitors, training/serving skew checks and reports (text, embeddable HTML fragments
 * and whole HTML pages).
 *
 * <p>Depends on {@code org.sieveml.core} only: it reads core's {@code FeatureFrame} and
 * {@code FeatureVector} and reports through core's telemetry SPI. It knows nothing of the feature
 * store, retrieval or ranking; a host (or {@code examples}) hands it what those modules produce.
 *
 * <p>Exports only {@code org.sieveml.monitoring}; {@code org.sieveml.monitoring.internal} is not
 * exported.
 */
module org.sieveml.monitoring {
  requires transitive org.sieveml.core;
  // optional: SimdBuckets is linked only when the JVM runs with --add-modules jdk.incubator.vector
  requires static jdk.incubator.vector;

  exports org.sieveml.monitoring;
}
