package org.sieveml.monitoring;

/**
 * Receives drift events from a {@link StreamingDriftMonitor} or a {@link DetectorMonitor}. Both
 * methods do nothing by default, so a listener implements the ones it needs.
 *
 * <p>Listeners are called synchronously on the thread that triggered the event (the thread calling
 * {@link StreamingDriftMonitor#check()} or {@link DetectorMonitor#update(double)}), so they should be
 * quick and must be thread-safe if several threads can trigger events. An exception thrown by a
 * listener is logged and does not affect the monitor or other listeners.
 */
public interface DriftListener {

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
