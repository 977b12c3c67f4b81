package org.sieveml.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.LatencySummary;
import org.sieveml.micrometer.internal.Checks;
import org.sieveml.micrometer.internal.MeterNames;
import org.sieveml.micrometer.internal.Registrations;

/**
 * Binds the metrics of an {@link InMemoryTelemetry} (what a {@code TwoStagePipeline}, the drift
 * monitors, the feature store and Kafka ingestion record) to a Micrometer {@link MeterRegistry}, so a
 * service sees SieveML in its existing dashboards.
 *
 * <p>Every meter is function-based: it reads the telemetry's own state when the registry publishes (a
 * scrape), so there is no second copy of the figures and no cost per request. A scrape costs one pass
 * over a latency metric's histogram (about 5,000 buckets) per meter that reads it.
 *
 * <p>Meters, all with the binder's common tags (see {@link Builder#tags}):
 * <ul>
 *   <li>per pipeline {@code p} (recognised by its {@code p.request} latency):
 *       {@code sieveml.pipeline.request.latency} (tag {@code pipeline}),
 *       {@code sieveml.pipeline.stage.latency} (tags {@code pipeline}, {@code stage}: candidates,
 *       features, scoring, reranking), {@code sieveml.pipeline.generator.latency} (tags
 *       {@code pipeline}, {@code generator}); counters {@code sieveml.pipeline.requests},
 *       {@code .errors}, {@code .empty}, {@code .degraded} (tag {@code pipeline}) and
 *       {@code sieveml.pipeline.stage.degraded} (tags {@code pipeline}, {@code stage});
 *   <li>every other telemetry metric: {@code sieveml.telemetry.latency}, {@code sieveml.telemetry.count}
 *       or {@code sieveml.telemetry.gauge} with its SieveML name in the tag {@code metric} (e.g.
 *       {@code metric=drift.ranker.alarms}); an unset gauge reads NaN.
 * </ul>
 * A latency metric {@code m} is a {@link FunctionTimer} {@code m} (count and total time since the
 * telemetry was created), {@link TimeGauge}s {@code m.percentile} with tag {@code phi} = 0.5, 0.95, 0.99
 * (upper bounds within 0.8 %, over the whole history, as the telemetry keeps it) and a {@link TimeGauge}
 * {@code m.max}.
 *
 * <p>Components create their telemetry metrics when they are built, and {@link #bindTo} registers the
 * metrics the telemetry has at that moment: bind after building the pipeline and monitors, or call
 * {@link #bindTo} again later; it only adds what is new.
 *
 * <p>Thread-safety: thread-safe. {@link #bindTo} and {@link #close} are serialised; meters read the
 * thread-safe telemetry from the registry's publishing thread. {@link #close} removes every meter this
 * binder registered from every registry it was bound to; close the binder before (or instead of)
 * closing the registry when the telemetry's owner goes away, and do not bind it again after.
 */
public final class SieveMeterBinder implements MeterBinder, AutoCloseable {

  private static final double[] PERCENTILES = {0.5, 0.95, 0.99};

  private final InMemoryTelemetry telemetry;
  private final Tags tags;
  private final Registrations registrations = new Registrations();

  private SieveMeterBinder(Builder b) {
    this.telemetry = b.telemetry;
    this.tags = b.tags;
  }

  /**
   * A builder for a binder of {@code telemetry}.
   *
   * @param telemetry the telemetry the pipeline and monitors record into
   * @return a new builder
   * @throws IllegalArgumentException if {@code telemetry} is null
   */
  public static Builder builder(InMemoryTelemetry telemetry) {
    if (telemetry == null) {
      throw new IllegalArgumentException("telemetry must be an InMemoryTelemetry, was null");
    }
    return new Builder(telemetry);
  }

  /**
   * Registers a meter for every metric the telemetry has now (again safe: only new ones are added).
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
    registrations.bind(registry, r -> {
      MeterNames names = new MeterNames(telemetry.latencyNames());
      for (String m : telemetry.latencyNames()) {
        bindLatency(r, names.latency(m), m);
      }
      for (String m : telemetry.counterNames()) {
        MeterNames.Id id = names.counter(m);
        registrations.add(r, List.of("counter", m), reg -> FunctionCounter
            .builder(id.name(), telemetry, t -> t.counterValue(m))
            .tags(tags(id)).register(reg));
      }
      for (String m : telemetry.gaugeNames()) {
        MeterNames.Id id = names.gauge(m);
        registrations.add(r, List.of("gauge", m), reg -> Gauge.builder(id.name(), telemetry, t -> {
          long v = t.gaugeValue(m);
          return v == Long.MIN_VALUE ? Double.NaN : v;
        }).tags(tags(id)).register(reg));
      }
    });
  }

  private void bindLatency(MeterRegistry r, MeterNames.Id id, String metric) {
    Tags t = tags(id);
    registrations.add(r, List.of("latency", metric), reg -> FunctionTimer.builder(id.name(), telemetry,
            tel -> tel.latencySummary(metric).count(),
            tel -> {
              LatencySummary s = tel.latencySummary(metric);
              return s.meanNanos() * s.count();
            },
            TimeUnit.NANOSECONDS)
        .tags(t).description("SieveML latency '" + metric + "' since the telemetry was created").register(reg));
    for (double phi : PERCENTILES) {
      ToLongFunction<LatencySummary> pick = phi == 0.5 ? LatencySummary::p50
          : phi == 0.95 ? LatencySummary::p95 : LatencySummary::p99;
      registrations.add(r, List.of("percentile", metric, phi), reg -> TimeGauge
          .builder(id.name() + ".percentile", telemetry, TimeUnit.NANOSECONDS,
              tel -> pick.applyAsLong(tel.latencySummary(metric)))
          .tags(t.and("phi", Double.toString(phi))).register(reg));
    }
    registrations.add(r, List.of("max", metric), reg -> TimeGauge
        .builder(id.name() + ".max", telemetry, TimeUnit.NANOSECONDS, tel -> tel.latencySummary(metric).max())
        .tags(t).register(reg));
  }

  private Tags tags(MeterNames.Id id) {
    Tags t = tags;
    List<String> kv = id.tags();
    for (int i = 0; i < kv.size(); i += 2) {
      t = t.and(kv.get(i), kv.get(i + 1));
    }
    return t;
  }

  /** Removes every meter this binder registered from the registries it was bound to; idempotent. */
  @Override
  public void close() {
    registrations.close();
  }

  /**
   * Builds a {@link SieveMeterBinder}. Not thread-safe.
   */
  public static final class Builder {
    private final InMemoryTelemetry telemetry;
    private Tags tags = Tags.empty();

    private Builder(InMemoryTelemetry telemetry) {
      this.telemetry = telemetry;
    }

    /**
     * Common tags added to every meter (default none), e.g. {@code Tags.of("service", "recs")}.
     *
     * @param tags the tags; their keys must not be a key SieveML sets ({@code pipeline}, {@code stage},
     *     {@code generator}, {@code metric}, {@code phi})
     * @return this builder
     * @throws IllegalArgumentException if {@code tags} is null or uses a reserved key
     */
    public Builder tags(Iterable<Tag> tags) {
      this.tags = Tags.of(Checks.tags(tags, List.of("pipeline", "stage", "generator", "metric", "phi")));
      return this;
    }

    /**
     * Builds the binder.
     *
     * @return the binder
     */
    public SieveMeterBinder build() {
      return new SieveMeterBinder(this);
    }
  }
}
