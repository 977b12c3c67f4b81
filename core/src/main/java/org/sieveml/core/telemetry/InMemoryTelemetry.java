package org.sieveml.core.telemetry;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The in-process default {@link Telemetry}: a {@link LatencyHistogram} per latency metric and a
 * {@link LongAdder} per counter, read through {@link #snapshot()}.
 *
 * <p>A host exports to its own metrics system by polling {@link #snapshot()} (for example every 10
 * seconds), by reading metrics one by one ({@link #latencySummary}, {@link #counterValue},
 * {@link #gaugeValue}; {@code sieveml-micrometer} binds them to a Micrometer registry this way) or by
 * implementing {@link Telemetry} itself. Values accumulate from creation; metrics are
 * never removed.
 *
 * <p>Thread-safety: fully thread-safe. Recording is lock-free; creating a metric for a new name takes
 * a short per-bin lock in a {@link ConcurrentHashMap}.
 */
public final class InMemoryTelemetry implements Telemetry {

  private final ConcurrentHashMap<String, LatencyHistogram> latencies = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicLong> gauges = new ConcurrentHashMap<>();

  /** Creates an empty telemetry. */
  public InMemoryTelemetry() {}

  @Override
  public LatencyRecorder latency(String name) {
    return latencies.computeIfAbsent(checkName(name), n -> new LatencyHistogram())::record;
  }

  @Override
  public Counter counter(String name) {
    return counters.computeIfAbsent(checkName(name), n -> new LongAdder())::add;
  }

  @Override
  public Gauge gauge(String name) {
    return gauges.computeIfAbsent(checkName(name), n -> new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE))::set;
  }

  /**
   * The latest value of a gauge.
   *
   * @param name the gauge's name
   * @return its value, or {@code Long.MIN_VALUE} when it was never set
   */
  public long gaugeValue(String name) {
    java.util.concurrent.atomic.AtomicLong g = gauges.get(name);
    return g == null ? Long.MIN_VALUE : g.get();
  }

  /**
   * The names of every gauge created so far.
   *
   * @return the names, sorted
   */
  public java.util.SortedSet<String> gaugeNames() {
    return new java.util.TreeSet<>(gauges.keySet());
  }

  /**
   * The summary of one latency metric, reading only its own histogram (cheaper than
   * {@link #snapshot()} when an exporter polls metrics one by one).
   *
   * @param name the metric's name
   * @return its summary, or an empty one (all zeros) when it was never created
   */
  public LatencySummary latencySummary(String name) {
    LatencyHistogram h = latencies.get(name);
    return h == null ? new LatencySummary(0, 0, 0, 0, 0, 0) : h.snapshot();
  }

  /**
   * The value of one counter.
   *
   * @param name the counter's name
   * @return its value, or 0 when it was never created
   */
  public long counterValue(String name) {
    LongAdder a = counters.get(name);
    return a == null ? 0 : a.sum();
  }

  /**
   * The names of every latency metric created so far.
   *
   * @return the names, sorted
   */
  public java.util.SortedSet<String> latencyNames() {
    return new java.util.TreeSet<>(latencies.keySet());
  }

  /**
   * The names of every counter created so far.
   *
   * @return the names, sorted
   */
  public java.util.SortedSet<String> counterNames() {
    return new java.util.TreeSet<>(counters.keySet());
  }

  /**
   * Copies the current state of every metric.
   *
   * @return an immutable snapshot
   */
  public TelemetrySnapshot snapshot() {
    Map<String, LatencySummary> l = new HashMap<>();
    latencies.forEach((n, h) -> l.put(n, h.snapshot()));
    Map<String, Long> c = new HashMap<>();
    counters.forEach((n, a) -> c.put(n, a.sum()));
    return new TelemetrySnapshot(l, c);
  }

  private static String checkName(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "metric name must be a non-blank string, was " + (name == null ? "null" : "'" + name + "'"));
    }
    return name;
  }
}
