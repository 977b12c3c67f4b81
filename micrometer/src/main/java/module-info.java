/**
 * SieveML for Micrometer: {@link org.sieveml.micrometer.SieveMeterBinder} binds an
 * {@code InMemoryTelemetry}'s metrics (pipeline stage latencies, requests, errors, degradations, and every
 * other SieveML metric) and {@link org.sieveml.micrometer.DriftMeterBinder} drift monitoring (latest
 * statistics per feature, dataset-drift state, alarms, detector events) to a host's
 * {@code MeterRegistry}.
 *
 * <p>The only SieveML module that depends on Micrometer ({@code micrometer.core}, an automatic
 * module name); it depends on {@code org.sieveml.core} and {@code org.sieveml.monitoring}. Exports only
 * {@code org.sieveml.micrometer}; {@code org.sieveml.micrometer.internal} is not exported.
 */
// Micrometer 1.x ships no module-info, only its Automatic-Module-Name (micrometer.core)
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module org.sieveml.micrometer {
  requires transitive org.sieveml.core;
  requires transitive org.sieveml.monitoring;
  requires transitive micrometer.core;

  exports org.sieveml.micrometer;
}
