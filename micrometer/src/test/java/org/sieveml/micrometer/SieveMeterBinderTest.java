package org.sieveml.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.Scorer;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.LatencySummary;
import org.sieveml.core.telemetry.TelemetrySnapshot;

/** The telemetry binder on a real pipeline: every meter reads exactly the telemetry's own figures. */
class SieveMeterBinderTest {

  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("x").build();

  /** A small real pipeline: two generators, a feature source, a linear scorer; users "u..7" fail features. */
  static TwoStagePipeline pipeline(String name, InMemoryTelemetry telemetry) {
    CandidateGenerator first = CandidateGenerator.of("first", (r, k) -> items("a", 20, k));
    CandidateGenerator second = CandidateGenerator.of("second", (r, k) -> items("b", 20, k));
    FeatureSource features = FeatureSource.of("features", SCHEMA, (r, cs) -> {
      if (((String) r.entity().value("user_id")).endsWith("7")) {
        throw new IllegalStateException("planted feature-store outage");
      }
      List<FeatureVector> out = new ArrayList<>();
      for (Candidate c : cs) {
        out.add(FeatureVector.builder(SCHEMA).setDouble("x", c.retrievalScore()).build());
      }
      return out;
    });
    Scorer scorer = Scorer.of("linear", SCHEMA, v -> 2 * v.getDouble("x"));
    return TwoStagePipeline.builder().name(name).telemetry(telemetry)
        .addCandidateGenerator(first, 10).addCandidateGenerator(second, 10)
        .featureSource(features).scorer(scorer).build();
  }

  static List<Candidate> items(String prefix, int n, int limit) {
    List<Candidate> out = new ArrayList<>();
    for (int i = 0; i < Math.min(n, limit); i++) {
      out.add(Candidate.of(prefix + i, n - i, prefix));
    }
    return out;
  }

  static void serve(TwoStagePipeline p, int requests) {
    for (int i = 0; i < requests; i++) {
      p.execute(PipelineRequest.of(EntityKey.of("user_id", "u" + i), 5));
    }
  }

  static void assertLatency(SimpleMeterRegistry registry, String meter, Tags tags, LatencySummary s) {
    FunctionTimer t = registry.get(meter).tags(tags).functionTimer();
    assertEquals(s.count(), (long) t.count(), meter + " " + tags);
    assertEquals(s.meanNanos() * s.count(), t.totalTime(TimeUnit.NANOSECONDS), 1e-6, meter + " " + tags);
    long[] expected = {s.p50(), s.p95(), s.p99()};
    String[] phi = {"0.5", "0.95", "0.99"};
    for (int i = 0; i < 3; i++) {
      TimeGauge g = registry.get(meter + ".percentile").tags(tags).tag("phi", phi[i]).timeGauge();
      assertEquals(expected[i], g.value(TimeUnit.NANOSECONDS), 1e-6, meter + " p" + phi[i]);
    }
    assertEquals(s.max(), registry.get(meter + ".max").tags(tags).timeGauge().value(TimeUnit.NANOSECONDS), 1e-6);
  }

  @Test
  void everyPipelineMeterEqualsTheTelemetrysOwnFigures() {
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    TwoStagePipeline p = pipeline("recs", telemetry);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SieveMeterBinder.builder(telemetry).tags(Tags.of("service", "shop")).build().bindTo(registry);
    serve(p, 200);

    TelemetrySnapshot snap = telemetry.snapshot();
    assertTrue(snap.latency("recs.request").count() == 200, snap.toTable());
    Tags base = Tags.of("service", "shop", "pipeline", "recs");
    assertLatency(registry, "sieveml.pipeline.request.latency", base, snap.latency("recs.request"));
    for (String stage : List.of("candidates", "features", "scoring", "reranking")) {
      assertLatency(registry, "sieveml.pipeline.stage.latency", base.and("stage", stage),
          snap.latency("recs.stage." + stage));
      FunctionCounter degraded = registry.get("sieveml.pipeline.stage.degraded").tags(base.and("stage", stage))
          .functionCounter();
      assertEquals(snap.counter("recs.degraded." + stage), (long) degraded.count(), stage);
    }
    for (String g : List.of("first", "second")) {
      assertLatency(registry, "sieveml.pipeline.generator.latency", base.and("generator", g),
          snap.latency("recs.generator." + g));
    }
    for (String c : List.of("requests", "errors", "empty", "degraded")) {
      assertEquals(snap.counter("recs." + c),
          (long) registry.get("sieveml.pipeline." + c).tags(base).functionCounter().count(), c);
    }
    assertEquals(200, (long) registry.get("sieveml.pipeline.requests").tags(base).functionCounter().count());
    assertEquals(20, snap.counter("recs.degraded.features"), "the planted outages degrade the features stage");
    // function-based: more traffic shows without binding again
    serve(p, 50);
    assertLatency(registry, "sieveml.pipeline.stage.latency", base.and("stage", "scoring"),
        telemetry.latencySummary("recs.stage.scoring"));
    assertEquals(250, (long) registry.get("sieveml.pipeline.requests").tags(base).functionCounter().count());
  }

  @Test
  void otherMetricsKeepTheirNameInATagAndUnsetGaugesReadNaN() {
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    telemetry.counter("drift.ranker.alarms").add(3);
    telemetry.counter("foo.errors").add(2); // no "foo.request": not a pipeline
    telemetry.latency("sieveml.kafka.apply").record(1_500);
    telemetry.gauge("sieveml.kafka.lag.txns.0").set(42);
    telemetry.gauge("never.set");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SieveMeterBinder.builder(telemetry).build().bindTo(registry);

    assertEquals(3, registry.get("sieveml.telemetry.count").tag("metric", "drift.ranker.alarms")
        .functionCounter().count());
    assertEquals(2, registry.get("sieveml.telemetry.count").tag("metric", "foo.errors").functionCounter().count());
    assertNull(registry.find("sieveml.pipeline.errors").meter());
    assertLatency(registry, "sieveml.telemetry.latency", Tags.of("metric", "sieveml.kafka.apply"),
        telemetry.latencySummary("sieveml.kafka.apply"));
    Gauge lag = registry.get("sieveml.telemetry.gauge").tag("metric", "sieveml.kafka.lag.txns.0").gauge();
    assertEquals(42, lag.value());
    telemetry.gauge("sieveml.kafka.lag.txns.0").set(7);
    assertEquals(7, lag.value());
    assertTrue(Double.isNaN(registry.get("sieveml.telemetry.gauge").tag("metric", "never.set").gauge().value()));
  }

  @Test
  void bindingAgainAddsOnlyNewMetricsAndCloseRemovesEveryMeter() {
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SimpleMeterRegistry other = new SimpleMeterRegistry();
    registry.counter("host.own").increment();
    SieveMeterBinder binder = SieveMeterBinder.builder(telemetry).build();
    binder.bindTo(registry);
    assertEquals(1, registry.getMeters().size(), "an empty telemetry binds nothing");
    TwoStagePipeline p = pipeline("recs", telemetry); // built after the first bind
    serve(p, 3);
    binder.bindTo(registry);
    int bound = registry.getMeters().size();
    assertTrue(bound > 20, "meters: " + bound);
    binder.bindTo(registry);
    assertEquals(bound, registry.getMeters().size(), "binding again adds nothing new");
    binder.bindTo(other);
    assertEquals(bound - 1, other.getMeters().size());
    assertEquals(3, (long) other.get("sieveml.pipeline.requests").functionCounter().count());

    binder.close();
    assertEquals(Set.of("host.own"), registry.getMeters().stream().map(m -> m.getId().getName())
        .collect(java.util.stream.Collectors.toSet()), "the host's own meter stays");
    assertEquals(0, other.getMeters().size());
    binder.close(); // idempotent
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> binder.bindTo(registry));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  @Test
  void badInputIsRejectedNamingTheFieldAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SieveMeterBinder.builder(null));
    assertTrue(e.getMessage().contains("telemetry") && e.getMessage().contains("null"), e.getMessage());
    SieveMeterBinder binder = SieveMeterBinder.builder(new InMemoryTelemetry()).build();
    e = assertThrows(IllegalArgumentException.class, () -> binder.bindTo(null));
    assertTrue(e.getMessage().contains("registry") && e.getMessage().contains("null"), e.getMessage());
    SieveMeterBinder.Builder b = SieveMeterBinder.builder(new InMemoryTelemetry());
    e = assertThrows(IllegalArgumentException.class, () -> b.tags(null));
    assertTrue(e.getMessage().contains("tags"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.tags(Tags.of("stage", "x")));
    assertTrue(e.getMessage().contains("'stage'") && e.getMessage().contains("stage=x"), e.getMessage());
  }
}
