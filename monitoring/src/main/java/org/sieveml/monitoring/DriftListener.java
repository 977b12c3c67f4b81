package org.sieveml.monitoring;

/**
 * Receives drift events from a {@link StreamingDriftMonitor} or a {@link DetectorMonitor}. Every
 * method does nothing by default, so a listener implements the ones it needs.
 *
 * <p>Listeners are called synchronously on the thread that triggered the event (the thread calling
 * {@link StreamingDriftMonitor#check()} or {@link DetectorMonitor#update(double)}), so they should be
 * quick and must be thread-safe if several threads can trigger events. An exception thrown by a
 * listener is logged and does not affect the monitor or other listeners.
 */
public interface DriftListener {

  /**
   * Called with the report of every {@link StreamingDriftMonitor#check()}, drifted or not, before
   * {@link #onDrift}: for exporters that show each feature's latest statistic (a metrics gauge).
   *
   * @param monitor the monitor's name (its builder's {@code name})
   * @param report the report
   */
  default void onCheck(String monitor, DriftReport report) {}

  /**
   * Called with a check's report when at least one feature drifted.
   *
   * @param report the report
   */
  default void onDrift(DriftReport report) {}

  /**
   * Called when a concept-drift detector enters the WARNING state or signals a DRIFT.
   *
   * @param event the event
   */
  default void onDetector(DetectorEvent event) {}
}
