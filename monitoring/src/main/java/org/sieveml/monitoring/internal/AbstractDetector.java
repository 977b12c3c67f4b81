package org.sieveml.monitoring.internal;

import org.sieveml.monitoring.ChangeDetector;
import org.sieveml.monitoring.DetectorState;

/** Shared bookkeeping of the change detectors. Not thread-safe. */
public abstract class AbstractDetector implements ChangeDetector {

  private static final DetectorState[] STATES = DetectorState.values();

  /**
   * Ordinal of the last state: a byte rather than the enum reference, so that an update stores no
   * reference (no GC write barrier on the hot path, which made EDDM slower than MOA's).
   */
  private byte state;
  /** Observations since reset. */
  protected long count;
  /** Drifts since reset. */
  protected long detections;

  /** Creates the bookkeeping. */
  protected AbstractDetector() {}

  @Override
  public final DetectorState update(double value) {
    if (value != value) {
      throw notANumber(); // out of line: keeps this method small enough to inline into callers' loops
    }
    count++;
    DetectorState s = step(value);
    state = (byte) s.ordinal();
    if (s == DetectorState.DRIFT) {
      detections++;
    }
    return s;
  }

  private IllegalArgumentException notANumber() {
    return new IllegalArgumentException("value must not be NaN (detector " + name() + ", observation "
        + (count + 1) + ")");
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
    return STATES[state];
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
    state = (byte) DetectorState.STABLE.ordinal();
    count = 0;
    detections = 0;
    resetAlgorithm();
  }

  @Override
  public String toString() {
    return name() + "{state=" + state() + ", count=" + count + ", detections=" + detections
        + ", estimate=" + estimate() + "}";
  }
}
