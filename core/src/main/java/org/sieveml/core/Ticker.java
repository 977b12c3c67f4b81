package org.sieveml.core;

/**
 * A source of monotonic nanosecond time, used for latency budgets and telemetry.
 *
 * <p>The default reads {@link System#nanoTime()}; tests supply a ticker they advance by hand so that
 * budget overruns are reproducible without sleeping. Only differences between two readings are
 * meaningful. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {

  /**
   * Returns the current reading in nanoseconds.
   *
   * @return nanoseconds since an arbitrary, fixed origin
   */
  long read();

  /**
   * Returns the ticker backed by {@link System#nanoTime()}.
   *
   * @return the system ticker
   */
  static Ticker system() {
    return System::nanoTime;
  }
}
