/**
 * Drift-detection benchmarks (area {@code drift}): streaming detectors against MOA, batch tests
 * against Apache Commons Statistics, and the per-request cost of the streaming monitor.
 */
package org.sieveml.benchmarks.drift;
