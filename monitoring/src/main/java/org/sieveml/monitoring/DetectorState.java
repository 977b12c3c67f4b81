package org.sieveml.monitoring;

/**
 * The state a {@link ChangeDetector} reports after each observation.
 *
 * <p>Immutable and thread-safe.
 */
public enum DetectorState {
  /** No evidence of change. */
  STABLE,
  /** The warning level was crossed: a change may be starting (start collecting data for a new model). */
  WARNING,
  /** A change was detected at this observation. */
  DRIFT
}
