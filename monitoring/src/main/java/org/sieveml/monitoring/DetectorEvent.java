package org.sieveml.monitoring;

import java.util.Objects;

/**
 * A warning or drift signalled by a concept-drift detector.
 *
 * <p>Immutable and thread-safe.
 *
 * @param monitor the monitor's name
 * @param detector the detector's name, e.g. {@code ADWIN}
 * @param state WARNING or DRIFT
 * @param observation 0-based index of the observation that triggered it
 * @param estimate the detector's estimate of the mean (e.g. error rate) after the observation
 */
public record DetectorEvent(String monitor, String detector, DetectorState state, long observation, double estimate) {

  /**
   * Validates.
   *
   * @param monitor monitor name
   * @param detector detector name
   * @param state state
   * @param observation observation index
   * @param estimate estimate
   */
  public DetectorEvent {
    Objects.requireNonNull(monitor, "monitor");
    Objects.requireNonNull(detector, "detector");
    Objects.requireNonNull(state, "state");
  }
}
