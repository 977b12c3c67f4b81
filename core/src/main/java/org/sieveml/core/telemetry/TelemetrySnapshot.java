package org.sieveml.core.telemetry;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable, point-in-time copy of an {@link InMemoryTelemetry}'s metrics, for export or display.
 * Metric names are sorted.
 */
public final class TelemetrySnapshot {
  private final Map<String, LatencySummary> latencies;
  private final Map<String, Long> counters;

  TelemetrySnapshot(Map<String, LatencySummary> latencies, Map<String, Long> counters) {
    this.latencies = Collections.unmodifiableMap(new TreeMap<>(latencies));
    this.counters = Collections.unmodifiableMap(new TreeMap<>(counters));
  }

  /**
   * Latency summaries by metric name.
   *
   * @return an unmodifiable sorted map
   */
  public Map<String, LatencySummary> latencies() {
    return latencies;
  }

  /**
   * Counter values by metric name.
   *
   * @return an unmodifiable sorted map
   */
  public Map<String, Long> counters() {
    return counters;
  }

  /**
   * The value of a counter, or 0 if it was never created.
   *
   * @param name the counter's name
   * @return its value
   */
  public long counter(String name) {
    return counters.getOrDefault(name, 0L);
  }

  /**
   * The summary of a latency metric, or an empty summary if it was never created.
   *
   * @param name the metric's name
   * @return its summary
   */
  public LatencySummary latency(String name) {
    LatencySummary s = latencies.get(name);
    return s != null ? s : new LatencySummary(0, 0, 0, 0, 0, 0);
  }

  /**
   * Renders a fixed-width text table: one line per latency metric, then one per counter.
   *
   * @return the table
   */
  public String toTable() {
    int w = 10;
    for (String n : latencies.keySet()) {
      w = Math.max(w, n.length());
    }
    for (String n : counters.keySet()) {
      w = Math.max(w, n.length());
    }
    StringBuilder sb = new StringBuilder();
    String fmt = "%-" + w + "s %10s %10s %10s %10s %10s%n";
    sb.append(String.format(java.util.Locale.ROOT, fmt, "latency", "count", "p50", "p95", "p99", "max"));
    latencies.forEach(
        (n, s) ->
            sb.append(
                String.format(
                    java.util.Locale.ROOT, fmt, n, s.count(), LatencySummary.fmt(s.p50()),
                    LatencySummary.fmt(s.p95()), LatencySummary.fmt(s.p99()), LatencySummary.fmt(s.max()))));
    String cfmt = "%-" + w + "s %10d%n";
    sb.append(String.format(java.util.Locale.ROOT, "%-" + w + "s %10s%n", "counter", "value"));
    counters.forEach((n, v) -> sb.append(String.format(java.util.Locale.ROOT, cfmt, n, v)));
    return sb.toString();
  }

  @Override
  public String toString() {
    return toTable();
  }
}
