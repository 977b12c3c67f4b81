package org.sieveml.monitoring;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.sieveml.monitoring.internal.Checks;
import org.sieveml.core.telemetry.Telemetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches an error or label stream with a {@link ChangeDetector} on the serving path: thread-safe,
 * records every warning and drift, delivers them to {@link DriftListener}s, logs them through slf4j
 * (drifts at WARN, warnings at DEBUG) and counts them through the {@link Telemetry} SPI as
 * {@code drift.<name>.observations}, {@code drift.<name>.warnings} and {@code drift.<name>.drifts}.
 *
 * <p>Thread-safe: updates are serialised on the monitor (the detector itself is not thread-safe);
 * listeners run outside the lock.
 */
public final class DetectorMonitor {

  private static final Logger LOG = LoggerFactory.getLogger(DetectorMonitor.class);

  /** Events kept in memory (the oldest are dropped beyond this). */
  public static final int MAX_EVENTS = 1024;

  private final String name;
  private final ChangeDetector detector;
  private final List<DriftListener> listeners = new CopyOnWriteArrayList<>();
  private final List<DetectorEvent> events = new ArrayList<>();
  private final Telemetry.Counter observations;
  private final Telemetry.Counter warnings;
  private final Telemetry.Counter drifts;
  private long index;
  private DetectorState last = DetectorState.STABLE;

  /**
   * Creates a monitor.
   *
   * @param name the monitor's name (telemetry and logs)
   * @param detector the detector, owned by the monitor from now on
   * @param telemetry where counters go
   */
  public DetectorMonitor(String name, ChangeDetector detector, Telemetry telemetry) {
    this.name = Checks.notBlank("name", name);
    this.detector = Checks.notNull("detector", detector);
    Checks.notNull("telemetry", telemetry);
    this.observations = telemetry.counter("drift." + name + ".observations");
    this.warnings = telemetry.counter("drift." + name + ".warnings");
    this.drifts = telemetry.counter("drift." + name + ".drifts");
  }

  /**
   * Adds a listener.
   *
   * @param listener the listener
   * @return this monitor
   */
  public DetectorMonitor addListener(DriftListener listener) {
    listeners.add(Checks.notNull("listener", listener));
    return this;
  }

  /**
   * Feeds one observation (e.g. 1 for a mistake, 0 for a correct prediction).
   *
   * @param value the observation, not NaN
   * @return the detector's state
   */
  public DetectorState update(double value) {
    DetectorEvent event = null;
    DetectorState s;
    synchronized (this) {
      s = detector.update(value);
      long i = index++;
      boolean enteringWarning = s == DetectorState.WARNING && last != DetectorState.WARNING;
      last = s;
      if (s == DetectorState.DRIFT || enteringWarning) {
        event = new DetectorEvent(name, detector.name(), s, i, detector.estimate());
        if (events.size() == MAX_EVENTS) {
          events.remove(0);
        }
        events.add(event);
      }
    }
    observations.increment();
    if (event != null) {
      if (s == DetectorState.DRIFT) {
        drifts.increment();
        LOG.warn("concept drift on '{}' ({}) at observation {}, estimate {}", name, event.detector(),
            event.observation(), event.estimate());
      } else {
        warnings.increment();
        LOG.debug("drift warning on '{}' ({}) at observation {}", name, event.detector(), event.observation());
      }
      for (DriftListener l : listeners) {
        try {
          l.onDetector(event);
        } catch (RuntimeException e) {
          LOG.error("drift listener failed on {}", event, e);
        }
      }
    }
    return s;
  }

  /**
   * Warnings (when entered) and drifts so far, in order (the last {@value #MAX_EVENTS}).
   *
   * @return a copy of the events
   */
  public synchronized List<DetectorEvent> events() {
    return List.copyOf(events);
  }

  /**
   * The drift events so far.
   *
   * @return drift events
   */
  public synchronized List<DetectorEvent> drifts() {
    List<DetectorEvent> out = new ArrayList<>();
    for (DetectorEvent e : events) {
      if (e.state() == DetectorState.DRIFT) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * Observations so far.
   *
   * @return the count
   */
  public synchronized long observations() {
    return index;
  }

  /**
   * The detector's current estimate.
   *
   * @return the estimate
   */
  public synchronized double estimate() {
    return detector.estimate();
  }

  /**
   * The monitor's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }
}
