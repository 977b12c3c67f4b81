package org.sieveml.monitoring.internal;

import org.sieveml.monitoring.ChangeDetector;
import org.sieveml.monitoring.DetectorState;

/** Shared bookkeeping of the change detectors. Not thread-safe. */
public abstract class AbstractDetector implements ChangeDetector {

  /** Last state. */
  protected DetectorState state = DetectorState.STABLE;
  /** Observations since reset. */
  protected long count;
  /** Drifts since reset. */
  protected long detections;

  /** Creates the bookkeeping. */
  protected AbstractDetector() {}

  @Override
  public final DetectorState update(double value) {
    if (value != value) {
      throw new IllegalArgumentException("value must not be NaN (detector " + name() + ", observation "
          + (count + 1) + ")");
    }
    count++;
    state = step(value);
    if (state == DetectorState.DRIFT) {
      detections++;
    }
    return state;
  }

  /**
   * Consumes one value.
   *
   * @param value a non-NaN value
   * @return the new state
   */
  protected abstract DetectorState step(double value);

  /** Resets the algorithm's own state. */
  protected abstract void resetAlgorithm();

  @Override
  public final DetectorState state() {
    return state;
  }

  @Override
  public final long count() {
    return count;
  }

  @Override
  public final long detections() {
    return detections;
  }

  @Override
  public final void reset() {
    state = DetectorState.STABLE;
    count = 0;
    detections = 0;
    resetAlgorithm();
  }

  @Override
  public String toString() {
    return name() + "{state=" + state + ", count=" + count + ", detections=" + detections
        + ", estimate=" + estimate() + "}";
  }
}
