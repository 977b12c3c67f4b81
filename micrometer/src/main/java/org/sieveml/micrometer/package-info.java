/**
 * Micrometer meter binders for SieveML, so a Java service sees its pipelines and drift monitors in its
 * existing dashboards.
 *
 * <p>Entry points: {@link org.sieveml.micrometer.SieveMeterBinder} (the metrics of an
 * {@code InMemoryTelemetry}: per-stage latency timers and percentiles, request, error and degradation
 * counts, read at scrape time) and {@link org.sieveml.micrometer.DriftMeterBinder} (a
 * {@code DriftListener}: per-feature drift statistics and p-values, dataset-drift state, alarm and
 * detector-event counters). Both are {@code MeterBinder}s and {@code AutoCloseable}: closing removes
 * their meters from every registry they were bound to.
 */
package org.sieveml.micrometer;
