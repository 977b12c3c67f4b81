/**
 * Telemetry: per-stage latency histograms and counters behind a small SPI.
 *
 * <p>{@link org.sieveml.core.telemetry.Telemetry} is the SPI that SieveML components record into; a
 * host adapts it to its metrics system (Micrometer, OpenTelemetry, Prometheus) or uses the in-process
 * default {@link org.sieveml.core.telemetry.InMemoryTelemetry} and exports its
 * {@link org.sieveml.core.telemetry.TelemetrySnapshot}s. {@link org.sieveml.core.telemetry.LatencyHistogram}
 * is the lock-free log-linear histogram behind the default.
 */
package org.sieveml.core.telemetry;
