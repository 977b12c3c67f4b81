package org.sieveml.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.monitoring.Adwin;
import org.sieveml.monitoring.Ddm;
import org.sieveml.monitoring.DetectorEvent;
import org.sieveml.monitoring.DetectorMonitor;
import org.sieveml.monitoring.DetectorState;
import org.sieveml.monitoring.DriftMethod;
import org.sieveml.monitoring.DriftReport;
import org.sieveml.monitoring.FeatureDrift;
import org.sieveml.monitoring.StreamingDriftMonitor;

/** The drift binder on real monitors fed streams with planted changes (seed 20 throughout). */
class DriftMeterBinderTest {

  static final long SEED = 20;

  static FeatureFrame reference(SplittableRandom rnd, int n) {
    double[] price = new double[n];
    double[] age = new double[n];
    for (int i = 0; i < n; i++) {
      price[i] = rnd.nextGaussian();
      age[i] = 30 + 5 * rnd.nextGaussian();
    }
    return FeatureFrame.builder(n).addDouble("price", price).addDouble("age", age).build();
  }

  @Test
  void streamingGaugesShowTheLatestCheckAndAlarmsCountEveryDriftedFeature() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DriftMeterBinder drift = DriftMeterBinder.builder().tags(Tags.of("service", "shop")).build();
    drift.bindTo(registry);
    List<DriftReport> reports = new ArrayList<>();
    StreamingDriftMonitor monitor = StreamingDriftMonitor.builder(reference(rnd, 5000)).name("ranker")
        .windowSize(1000).telemetry(telemetry).listener(drift).build();
    // 3 quiet windows, then price shifts by 1.5 sigma, and from window 6 age by 2 sigma too
    for (int w = 0; w < 8; w++) {
      for (int i = 0; i < 1000; i++) {
        monitor.observe(new double[] {rnd.nextGaussian() + (w >= 3 ? 1.5 : 0),
            30 + 5 * rnd.nextGaussian() + (w >= 6 ? 10 : 0)});
      }
      reports.add(monitor.check());
    }
    System.out.println("seed " + SEED + ": " + reports.get(reports.size() - 1).toText());
    DriftReport last = reports.get(reports.size() - 1);
    Tags base = Tags.of("service", "shop", "monitor", "ranker");
    for (FeatureDrift f : last.features()) {
      Tags t = base.and("feature", f.feature()).and("method", "psi");
      assertEquals(f.statistic(), registry.get("sieveml.drift.statistic").tags(t).gauge().value(), 0, f.feature());
      assertTrue(Double.isNaN(registry.get("sieveml.drift.pvalue").tags(t).gauge().value()), "PSI has no p-value");
      long drifted = reports.stream().filter(r -> r.feature(f.feature()).drifted()).count();
      assertEquals(drifted, (long) registry.get("sieveml.drift.alarms").tags(base.and("feature", f.feature()))
          .functionCounter().count(), f.feature());
    }
    assertTrue(last.datasetDrift(), last.toText());
    assertTrue(!reports.get(0).feature("price").drifted(), reports.get(0).toText());
    assertEquals(last.datasetDrift() ? 1 : 0, registry.get("sieveml.drift.dataset").tags(base).gauge().value());
    assertEquals(last.driftedShare(), registry.get("sieveml.drift.share").tags(base).gauge().value(), 0);
    assertEquals(8, registry.get("sieveml.drift.checks").tags(base).functionCounter().count());
    // the binder's alarms add up to the monitor's own telemetry count of drifted features
    double alarms = registry.get("sieveml.drift.alarms").functionCounters().stream()
        .mapToDouble(c -> c.count()).sum();
    assertEquals(telemetry.counterValue("drift.ranker.drifted_features"), (long) alarms);
    assertTrue(alarms >= 7, "price drifted in the last five windows, age in the last two: " + alarms);
  }

  @Test
  void chiSquareExposesItsPValue() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    DriftMeterBinder drift = DriftMeterBinder.builder().build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StreamingDriftMonitor monitor = StreamingDriftMonitor.builder(reference(rnd, 3000)).name("cs")
        .features(List.of("price")).method(DriftMethod.CHI_SQUARE, 0.01).windowSize(500).listener(drift).build();
    for (int i = 0; i < 500; i++) {
      monitor.observe(new double[] {rnd.nextGaussian() + 0.8});
    }
    DriftReport r = monitor.check();
    drift.bindTo(registry); // bound after the check: the meters appear with the figures already there
    Tags t = Tags.of("monitor", "cs", "feature", "price", "method", "chi_square");
    assertEquals(r.feature("price").pValue(), registry.get("sieveml.drift.pvalue").tags(t).gauge().value(), 0);
    assertEquals(r.feature("price").statistic(), registry.get("sieveml.drift.statistic").tags(t).gauge().value(), 0);
  }

  /** A Bernoulli error stream whose rate changes from p0 to p1 at {@code change}. */
  static double[] errors(SplittableRandom rnd, int n, int change, double p0, double p1) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextDouble() < (i < change ? p0 : p1) ? 1 : 0;
    }
    return x;
  }

  @Test
  void detectorEventCountersIncrementExactlyAsOftenAsTheDetectorsOwnEvents() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DriftMeterBinder drift = DriftMeterBinder.builder().build();
    drift.bindTo(registry);
    DetectorMonitor ddm = new DetectorMonitor("errors", new Ddm(), telemetry).addListener(drift);
    DetectorMonitor adwin = new DetectorMonitor("errors.adwin", new Adwin(0.002), telemetry).addListener(drift);
    for (double e : errors(rnd, 20_000, 8_000, 0.1, 0.4)) {
      ddm.update(e);
      adwin.update(e);
    }
    for (DetectorMonitor m : List.of(ddm, adwin)) {
      List<DetectorEvent> events = m.events();
      assertTrue(events.size() < DetectorMonitor.MAX_EVENTS, "all events kept");
      String detector = events.get(0).detector();
      for (DetectorState s : List.of(DetectorState.WARNING, DetectorState.DRIFT)) {
        long expected = events.stream().filter(ev -> ev.state() == s).count();
        var found = registry.find("sieveml.detector.events").tags("monitor", m.name(), "detector", detector,
            "state", s.name().toLowerCase(java.util.Locale.ROOT)).functionCounter();
        assertEquals(expected, found == null ? 0 : (long) found.count(), m.name() + " " + s);
      }
      assertTrue(m.drifts().size() >= 1, m.name() + " detects the planted change");
      assertEquals(telemetry.counterValue("drift." + m.name() + ".drifts"), m.drifts().size());
    }
  }

  @Test
  void concurrentMonitorsCountEveryEventOnce() throws InterruptedException {
    DriftMeterBinder drift = DriftMeterBinder.builder().build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    drift.bindTo(registry);
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<DetectorMonitor> monitors = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      DetectorMonitor m = new DetectorMonitor("shared", new Ddm(), org.sieveml.core.telemetry.Telemetry.noop())
          .addListener(drift);
      monitors.add(m);
      double[] stream = errors(new SplittableRandom(SEED + t), 20_000, 5_000, 0.05, 0.5);
      pool.execute(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        for (double e : stream) {
          m.update(e);
        }
      });
    }
    start.countDown();
    pool.shutdown();
    assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
    long expected = monitors.stream().mapToLong(m -> m.events().size()).sum();
    double counted = registry.get("sieveml.detector.events").functionCounters().stream().mapToDouble(c -> c.count())
        .sum();
    assertEquals(expected, (long) counted);
    assertTrue(expected >= threads, "each stream's change is detected: " + expected);
  }

  @Test
  void closeRemovesTheMetersAndLaterEventsRegisterNothing() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DriftMeterBinder drift = DriftMeterBinder.builder().build();
    drift.bindTo(registry);
    DetectorMonitor m = new DetectorMonitor("errors", new Ddm(), org.sieveml.core.telemetry.Telemetry.noop())
        .addListener(drift);
    for (double e : errors(rnd, 10_000, 3_000, 0.05, 0.5)) {
      m.update(e);
    }
    assertTrue(registry.getMeters().size() >= 1);
    drift.close();
    assertEquals(0, registry.getMeters().size());
    for (double e : errors(rnd, 10_000, 3_000, 0.05, 0.5)) {
      m.update(e); // still a listener: harmless
    }
    assertNull(registry.find("sieveml.detector.events").meter());
    assertThrows(IllegalStateException.class, () -> drift.bindTo(registry));
  }

  @Test
  void badInputIsRejectedNamingTheFieldAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DriftMeterBinder.builder().build().bindTo(null));
    assertTrue(e.getMessage().contains("registry") && e.getMessage().contains("null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DriftMeterBinder.builder().tags(null));
    assertTrue(e.getMessage().contains("tags") && e.getMessage().contains("null"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> DriftMeterBinder.builder().tags(Tags.of("feature", "f")));
    assertTrue(e.getMessage().contains("'feature'") && e.getMessage().contains("feature=f"), e.getMessage());
  }
}
