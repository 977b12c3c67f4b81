package org.sieveml.core.telemetry;

/**
 * The SPI through which SieveML components report latencies and counts.
 *
 * <p>Components resolve their recorders once, when they are built (for example a pipeline asks for
 * {@code latency("recs.stage.scoring")}), and record on the hot path through the returned handles, so
 * an implementation may do map lookups or registration in {@link #latency} and {@link #counter} but
 * must make {@link LatencyRecorder#record} and {@link Counter#add} cheap. Asking twice for the same
 * name must return recorders that feed the same metric.
 *
 * <p>Implementations must be thread-safe: recorders are called concurrently from request threads.
 * {@link #noop()} discards everything; {@link InMemoryTelemetry} keeps everything in process.
 */
public interface Telemetry {

  /**
   * Returns the recorder of the latency metric {@code name}.
   *
   * @param name a dot-separated metric name, e.g. {@code recs.stage.scoring}
   * @return a thread-safe recorder
   */
  LatencyRecorder latency(String name);

  /**
   * Returns the counter {@code name}.
   *
   * @param name a dot-separated metric name, e.g. {@code recs.requests}
   * @return a thread-safe counter
   */
  Counter counter(String name);

  /**
   * Returns the gauge {@code name}: a value that goes up and down (a consumer's lag, the event time
   * last applied). The default discards what is set, for implementations written before gauges.
   *
   * @param name a dot-separated metric name, e.g. {@code sieveml.kafka.lag.txns.0}
   * @return a thread-safe gauge
   */
  default Gauge gauge(String name) {
    return value -> {};
  }

  /**
   * A telemetry that records nothing.
   *
   * @return the shared no-op instance
   */
  static Telemetry noop() {
    return NoopTelemetry.INSTANCE;
  }

  /** Records latencies of one metric. Thread-safe. */
  @FunctionalInterface
  interface LatencyRecorder {
    /**
     * Records one observation.
     *
     * @param nanos the latency in nanoseconds; negative values are recorded as 0
     */
    void record(long nanos);
  }

  /** The latest value of a quantity. Thread-safe. */
  @FunctionalInterface
  interface Gauge {
    /**
     * Sets the value.
     *
     * @param value the current value
     */
    void set(long value);
  }

  /** A monotonically increasing count. Thread-safe. */
  @FunctionalInterface
  interface Counter {
    /**
     * Adds to the count.
     *
     * @param delta a non-negative amount
     */
    void add(long delta);

    /** Adds one. */
    default void increment() {
      add(1);
    }
  }
}

/** The telemetry that records nothing. */
final class NoopTelemetry implements Telemetry {
  static final NoopTelemetry INSTANCE = new NoopTelemetry();
  private static final LatencyRecorder LATENCY = nanos -> {};
  private static final Counter COUNTER = delta -> {};

  private NoopTelemetry() {}

  @Override
  public LatencyRecorder latency(String name) {
    return LATENCY;
  }

  @Override
  public Counter counter(String name) {
    return COUNTER;
  }
}
