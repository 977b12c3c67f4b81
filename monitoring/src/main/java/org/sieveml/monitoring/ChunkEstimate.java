package org.sieveml.monitoring;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The estimated performance of one chunk of rows: its key (the chunk key, or {@code "[from, to)"} for
 * chunks by size), its row count and one {@link MetricEstimate} per estimated metric.
 *
 * <p>Immutable and thread-safe.
 *
 * @param key the chunk's key
 * @param rows rows in the chunk
 * @param metrics the estimates, in {@link PerformanceMetric} order
 */
public record ChunkEstimate(String key, int rows, Map<PerformanceMetric, MetricEstimate> metrics) {

  /**
   * Validates and copies.
   *
   * @param key the chunk's key
   * @param rows rows in the chunk
   * @param metrics the estimates
   */
  public ChunkEstimate {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(metrics, "metrics");
    metrics = metrics.isEmpty()
        ? Map.of()
        : Collections.unmodifiableMap(new EnumMap<>(metrics));
  }

  /**
   * The estimate of one metric.
   *
   * @param metric the metric
   * @return its estimate
   * @throws IllegalArgumentException when the metric was not estimated for this chunk
   */
  public MetricEstimate metric(PerformanceMetric metric) {
    MetricEstimate e = metrics.get(metric);
    if (e == null) {
      throw new IllegalArgumentException("metric " + metric + " was not estimated, expected one of "
          + metrics.keySet());
    }
    return e;
  }

  /**
   * Whether any metric's estimate is outside its alert thresholds.
   *
   * @return true when some metric alerts
   */
  public boolean alert() {
    return metrics.values().stream().anyMatch(MetricEstimate::alert);
  }

  /**
   * The chunk's key and size, then one line per metric.
   *
   * @return the text
   */
  public String toText() {
    StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "chunk %s (%d rows)%n", key, rows));
    metrics.values().forEach(m -> sb.append("  ").append(m.toText()).append(System.lineSeparator()));
    return sb.toString();
  }
}
