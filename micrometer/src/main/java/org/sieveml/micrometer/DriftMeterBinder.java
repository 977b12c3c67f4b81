package org.sieveml.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.Meter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.sieveml.micrometer.internal.Checks;
import org.sieveml.micrometer.internal.Registrations;
import org.sieveml.monitoring.DetectorEvent;
import org.sieveml.monitoring.DetectorMonitor;
import org.sieveml.monitoring.DriftListener;
import org.sieveml.monitoring.DriftReport;
import org.sieveml.monitoring.FeatureDrift;
import org.sieveml.monitoring.StreamingDriftMonitor;

/**
 * Drift monitoring as Micrometer meters: a {@link DriftListener} to add to any number of
 * {@link StreamingDriftMonitor}s and {@link DetectorMonitor}s, and a {@link MeterBinder} for any number of
 * registries.
 *
 * <pre>{@code
 * DriftMeterBinder drift = DriftMeterBinder.builder().tags(Tags.of("service", "recs")).build();
 * drift.bindTo(registry);
 * StreamingDriftMonitor features = StreamingDriftMonitor.builder(reference).name("ranker").listener(drift).build();
 * DetectorMonitor errors = new DetectorMonitor("ranker.errors", new Adwin(0.002), telemetry).addListener(drift);
 * }</pre>
 *
 * <p>Meters, all with the binder's common tags:
 * <ul>
 *   <li>{@code sieveml.drift.statistic} and {@code sieveml.drift.pvalue} (gauges; tags {@code monitor},
 *       {@code feature}, {@code method}): the feature's statistic and p-value in the monitor's latest
 *       check ({@link FeatureDrift#statistic()}, {@link FeatureDrift#pValue()}; NaN where undefined);
 *   <li>{@code sieveml.drift.alarms} (counter; tags {@code monitor}, {@code feature}): checks in which the
 *       feature drifted;
 *   <li>{@code sieveml.drift.dataset} (gauge, 1 or 0; tag {@code monitor}): the latest check's
 *       dataset-level decision; {@code sieveml.drift.share} (gauge): its share of drifted features;
 *       {@code sieveml.drift.checks} (counter): checks so far;
 *   <li>{@code sieveml.detector.events} (counter; tags {@code monitor}, {@code detector}, {@code state} =
 *       {@code warning} or {@code drift}): a {@link DetectorMonitor}'s events, one per
 *       {@link DetectorEvent} (a warning when entered, every drift). A separate name from
 *       {@code sieveml.drift.alarms} because the tag keys of one meter name must not vary.
 * </ul>
 * A meter appears with the first check or event that concerns it, in every registry bound so far and
 * in those bound later; figures count from when the binder became a listener.
 *
 * <p>Thread-safety: thread-safe. Listener calls may come from any number of monitors and threads; after
 * the first check of a feature they cost a few volatile writes and a {@link LongAdder} increment.
 * Registration and {@link #close} are serialised. {@link #close} removes every meter this binder
 * registered from every registry it was bound to; listener calls after it only update the binder's own
 * figures. Close it before (or instead of) closing the registry when the monitors go away, and do not
 * bind it again after.
 */
public final class DriftMeterBinder implements MeterBinder, DriftListener, AutoCloseable {

  private static final List<String> RESERVED = List.of("monitor", "feature", "method", "detector", "state");

  private final Tags tags;
  private final Registrations registrations = new Registrations();
  /** Every meter source seen so far, in order, so that a registry bound later gets them all. */
  private final List<Function<MeterRegistry, Meter>> sources = new ArrayList<>();
  private final Map<List<String>, FeatureState> features = new ConcurrentHashMap<>();
  private final Map<String, MonitorState> monitors = new ConcurrentHashMap<>();
  private final Map<List<String>, LongAdder> detectorEvents = new ConcurrentHashMap<>();

  /** The latest figures of one monitored feature. */
  private static final class FeatureState {
    final LongAdder alarms = new LongAdder();
    volatile double statistic = Double.NaN;
    volatile double pValue = Double.NaN;
  }

  /** The latest dataset-level figures of one streaming monitor. */
  private static final class MonitorState {
    final LongAdder checks = new LongAdder();
    volatile double dataset = Double.NaN;
    volatile double share = Double.NaN;
  }

  private DriftMeterBinder(Builder b) {
    this.tags = b.tags;
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers the meters of every monitor, feature and detector seen so far, and of those seen later.
   *
   * @param registry the registry
   * @throws IllegalArgumentException if {@code registry} is null
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    if (registry == null) {
      throw new IllegalArgumentException("registry must be a MeterRegistry, was null");
    }
    synchronized (this) {
      registrations.bind(registry, r -> sources.forEach(m -> registrations.add(r, m, m)));
    }
  }

  /**
   * Records a streaming monitor's check: every feature's latest figures and alarms.
   *
   * @param monitor the monitor's name
   * @param report the check's report
   */
  @Override
  public void onCheck(String monitor, DriftReport report) {
    MonitorState m = monitors.get(monitor);
    if (m == null) {
      m = newMonitor(monitor);
    }
    for (FeatureDrift f : report.features()) {
      List<String> key = List.of(monitor, f.feature());
      FeatureState s = features.get(key);
      if (s == null) {
        s = newFeature(key, f);
      }
      s.statistic = f.statistic();
      s.pValue = f.pValue();
      if (f.drifted()) {
        s.alarms.increment();
      }
    }
    m.dataset = report.datasetDrift() ? 1 : 0;
    m.share = report.driftedShare();
    m.checks.increment();
  }

  /**
   * Counts a detector's warning or drift.
   *
   * @param event the event
   */
  @Override
  public void onDetector(DetectorEvent event) {
    List<String> key = List.of(event.monitor(), event.detector(), event.state().name().toLowerCase(Locale.ROOT));
    LongAdder n = detectorEvents.get(key);
    if (n == null) {
      n = newDetector(key);
    }
    n.increment();
  }

  /** Remembers a meter source and registers it in every registry bound so far. Holds the lock. */
  private void add(Function<MeterRegistry, Meter> source) {
    sources.add(source);
    registrations.addEverywhere(source, source);
  }

  private <T> void gauge(String name, T state, ToDoubleFunction<T> value, Tags t, String description) {
    add(r -> Gauge.builder(name, state, value).tags(t).description(description).register(r));
  }

  private void counter(String name, LongAdder count, Tags t, String description) {
    add(r -> FunctionCounter.builder(name, count, LongAdder::sum).tags(t).description(description).register(r));
  }

  private synchronized MonitorState newMonitor(String monitor) {
    MonitorState m = monitors.get(monitor);
    if (m != null) {
      return m;
    }
    MonitorState s = new MonitorState();
    Tags t = tags.and("monitor", monitor);
    gauge("sieveml.drift.dataset", s, x -> x.dataset, t, "1 when the latest drift check found dataset drift, else 0");
    gauge("sieveml.drift.share", s, x -> x.share, t, "share of features drifted in the latest drift check");
    counter("sieveml.drift.checks", s.checks, t, "drift checks");
    monitors.put(monitor, s);
    return s;
  }

  private synchronized FeatureState newFeature(List<String> key, FeatureDrift f) {
    FeatureState existing = features.get(key);
    if (existing != null) {
      return existing;
    }
    FeatureState s = new FeatureState();
    Tags t = tags.and("monitor", key.get(0)).and("feature", key.get(1));
    Tags withMethod = t.and("method", f.method().name().toLowerCase(Locale.ROOT));
    gauge("sieveml.drift.statistic", s, x -> x.statistic, withMethod, "the feature's drift statistic, latest check");
    gauge("sieveml.drift.pvalue", s, x -> x.pValue, withMethod, "the feature's p-value, latest check (NaN: none)");
    counter("sieveml.drift.alarms", s.alarms, t, "drift checks in which the feature drifted");
    features.put(key, s);
    return s;
  }

  private synchronized LongAdder newDetector(List<String> key) {
    LongAdder existing = detectorEvents.get(key);
    if (existing != null) {
      return existing;
    }
    LongAdder n = new LongAdder();
    Tags t = tags.and("monitor", key.get(0)).and("detector", key.get(1)).and("state", key.get(2));
    counter("sieveml.detector.events", n, t, "concept-drift detector warnings (when entered) and drifts");
    detectorEvents.put(key, n);
    return n;
  }

  /** Removes every meter this binder registered from the registries it was bound to; idempotent. */
  @Override
  public void close() {
    registrations.close();
  }

  /**
   * Builds a {@link DriftMeterBinder}. Not thread-safe.
   */
  public static final class Builder {
    private Tags tags = Tags.empty();

    private Builder() {}

    /**
     * Common tags added to every meter (default none).
     *
     * @param tags the tags; their keys must not be one SieveML sets ({@code monitor}, {@code feature},
     *     {@code method}, {@code detector}, {@code state})
     * @return this builder
     * @throws IllegalArgumentException if {@code tags} is null or uses a reserved key
     */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = Tags.of(Checks.tags(tags, RESERVED));
      return this;
    }

    /**
     * Builds the binder.
     *
     * @return the binder
     */
    public DriftMeterBinder build() {
      return new DriftMeterBinder(this);
    }
  }
}
