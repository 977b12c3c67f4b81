package org.sieveml.monitoring;

/**
 * A streaming concept-drift detector over a stream of numbers, typically a learner's 0/1 error
 * stream (1 = mistake) or a loss.
 *
 * <p>Each call to {@link #update(double)} consumes one observation and returns the state at that
 * observation. Reset semantics follow MOA's detector of the same name and are stated on each
 * implementation: DDM, EDDM and Page-Hinkley restart their statistics at the observation after a
 * {@link DetectorState#DRIFT}; ADWIN shrinks its window (dropping the old sub-window) and keeps
 * going; HDDM_A and HDDM_W restart their statistics at the drift itself.
 *
 * <p>Implementations are not thread-safe: a detector is a small mutable state machine meant to be
 * owned by one thread (or guarded by the caller's lock). NaN input is rejected with an
 * {@link IllegalArgumentException} and leaves the state unchanged.
 */
public interface ChangeDetector {

  /**
   * Consumes one observation.
   *
   * @param value the observation (0/1 for error-rate detectors DDM, EDDM, HDDM; any finite value for
   *     ADWIN, Page-Hinkley and KSWIN)
   * @return the state at this observation
   * @throws IllegalArgumentException if {@code value} is NaN
   */
  DetectorState update(double value);

  /**
   * The state returned by the last {@link #update(double)}.
   *
   * @return the current state
   */
  DetectorState state();

  /**
   * The detector's current estimate of the stream's mean (e.g. the error rate).
   *
   * @return the estimate
   */
  double estimate();

  /**
   * Observations consumed since construction or {@link #reset()}.
   *
   * @return the count
   */
  long count();

  /**
   * Drifts detected since construction or {@link #reset()}.
   *
   * @return the count
   */
  long detections();

  /** Forgets everything, as if newly built. */
  void reset();

  /**
   * The detector's name, e.g. {@code ADWIN}.
   *
   * @return the name
   */
  String name();
}
