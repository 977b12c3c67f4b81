package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.telemetry.InMemoryTelemetry;

class MonitoringTest {

  static FeatureFrame frame(long seed, int rows, double shift, double catShift) {
    Random r = new Random(seed);
    double[] a = new double[rows];
    double[] b = new double[rows];
    double[] c = new double[rows];
    String[] s = new String[rows];
    for (int i = 0; i < rows; i++) {
      a[i] = r.nextGaussian() + shift;
      b[i] = r.nextDouble() * 10;
      c[i] = i % 50 == 0 ? Double.NaN : r.nextGaussian();
      double u = r.nextDouble();
      s[i] = u < 0.5 - catShift ? "web" : u < 0.8 ? "ios" : u < 0.98 ? "android" : null;
    }
    return FeatureFrame.builder(rows).addDouble("a", a).addDouble("b", b).addDouble("c", c).addString("s", s).build();
  }

  @Test
  void datasetCheckFlagsShiftedFeaturesOnly() {
    DriftCheck check = DriftCheck.builder().build();
    DriftReport same = check.run("same", frame(1, 3000, 0, 0), frame(2, 3000, 0, 0));
    // the numeric distances stay below 0.1; the categorical chi-square at level 0.05 fires on 5 % of iid
    // pairs by design, and does on this one (p = 0.036), which one feature of four cannot turn into dataset drift
    assertEquals(List.of("s"), same.drifted().stream().map(FeatureDrift::feature).toList(), same.toText());
    assertFalse(same.datasetDrift(), same.toText());
    DriftReport shifted = check.run("shifted", frame(1, 3000, 0, 0), frame(3, 3000, 0.8, 0.3));
    assertTrue(shifted.feature("a").drifted(), shifted.toText());
    assertTrue(shifted.feature("s").drifted(), shifted.toText());
    assertFalse(shifted.feature("b").drifted(), shifted.toText());
    assertEquals(0.5, shifted.driftedShare(), 1e-12);
    assertTrue(shifted.datasetDrift());
    assertEquals(DriftMethod.WASSERSTEIN, shifted.feature("a").method());
    assertEquals(DriftMethod.CHI_SQUARE, shifted.feature("s").method());
    // small samples get p-value tests
    DriftReport small = check.run("small", frame(1, 300, 0, 0), frame(3, 300, 0.8, 0));
    assertEquals(DriftMethod.KOLMOGOROV_SMIRNOV, small.feature("a").method());
    assertEquals(DriftMethod.CHI_SQUARE, small.feature("s").method());
    assertEquals(6, small.feature("c").referenceMissing());
  }

  @Test
  void bonferroniAndBenjaminiHochbergCorrections() {
    List<FeatureDrift> in = new ArrayList<>();
    double[] p = {0.001, 0.012, 0.02, 0.04, 0.3};
    for (int i = 0; i < p.length; i++) {
      in.add(new FeatureDrift("f" + i, DriftMethod.KOLMOGOROV_SMIRNOV, 0.1, p[i], 0.05, p[i] < 0.05, 10, 10, 0, 0, ""));
    }
    in.add(new FeatureDrift("d", DriftMethod.PSI, 0.3, Double.NaN, 0.1, true, 10, 10, 0, 0, ""));
    List<FeatureDrift> bonf = DriftCheck.correct(in, Correction.BONFERRONI);
    // alpha / 5 = 0.01: only 0.001
    assertEquals(List.of(true, false, false, false, false, true), bonf.stream().map(FeatureDrift::drifted).toList());
    List<FeatureDrift> bh = DriftCheck.correct(in, Correction.BENJAMINI_HOCHBERG);
    // thresholds 0.01, 0.02, 0.03, 0.04, 0.05: largest rank with p <= i*alpha/k is 4 (0.04 <= 0.04)
    assertEquals(List.of(true, true, true, true, false, true), bh.stream().map(FeatureDrift::drifted).toList());
  }

  @Test
  void learnedThresholdsComeFromReferenceChunks() {
    FeatureFrame ref = frame(1, 6000, 0, 0);
    DriftCheck check = DriftCheck.builder().features(List.of("a", "s")).build().withLearnedThresholds(ref, 1000);
    double ta = check.thresholds().get("a");
    assertTrue(ta > 0 && ta < 0.2, "learned " + ta);
    DriftReport same = check.run("same", ref, frame(9, 1000, 0, 0));
    DriftReport shifted = check.run("shifted", ref, frame(9, 1000, 0.3, 0));
    assertFalse(same.feature("a").drifted(), same.toText());
    assertTrue(shifted.feature("a").drifted(), shifted.toText());
    assertEquals(ta, shifted.feature("a").threshold());
    assertThrows(IllegalArgumentException.class, () -> DriftCheck.builder().build().withLearnedThresholds(ref, 5000));
    // the builder route learns the same thresholds, and keeps settings made before and after
    DriftCheck viaBuilder = DriftCheck.builder().features(List.of("a", "s")).learnThresholds(ref, 1000)
        .driftShare(0.4).build();
    assertEquals(check.thresholds(), viaBuilder.thresholds());
    assertThrows(IllegalArgumentException.class, () -> DriftCheck.builder().learnThresholds(ref, 5000));
  }

  @Test
  void mismatchedTypesAreRejectedWithTheFeatureName() {
    FeatureFrame ref = FeatureFrame.builder(2).addDouble("x", new double[] {1, 2}).build();
    FeatureFrame cur = FeatureFrame.builder(2).addString("x", new String[] {"1", "2"}).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DriftCheck.builder().build().run("t", ref, cur));
    assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("STRING"), e.getMessage());
  }

  @Test
  void streamingMonitorDetectsShiftNotifiesAndCounts() {
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    List<DriftReport> heard = new CopyOnWriteArrayList<>();
    FeatureFrame ref = frame(1, 5000, 0, 0);
    StreamingDriftMonitor m = StreamingDriftMonitor.builder(ref).name("ranker").windowSize(2000)
        .telemetry(telemetry).listener(new DriftListener() {
          @Override
          public void onDrift(DriftReport report) {
            heard.add(report);
          }
        }).build();
    FeatureFrame ok = frame(2, 2000, 0, 0);
    for (int r = 0; r < ok.rowCount(); r++) {
      m.observe(ok.row(r));
    }
    DriftReport quiet = m.check();
    assertTrue(quiet.drifted().isEmpty(), quiet.toText());
    assertTrue(heard.isEmpty());
    FeatureFrame bad = frame(3, 2000, 1.0, 0.3);
    for (int r = 0; r < bad.rowCount(); r++) {
      m.observe(bad.row(r));
    }
    DriftReport loud = m.check();
    assertTrue(loud.feature("a").drifted(), loud.toText());
    assertTrue(loud.feature("s").drifted(), loud.toText());
    assertFalse(loud.feature("b").drifted(), loud.toText());
    assertEquals(2000, loud.feature("a").currentCount() + loud.feature("a").currentMissing());
    assertEquals(1, heard.size());
    assertEquals(4000, telemetry.snapshot().counter("drift.ranker.observations"));
    assertEquals(2, telemetry.snapshot().counter("drift.ranker.checks"));
    assertEquals(1, telemetry.snapshot().counter("drift.ranker.alarms"));
    assertEquals(2, telemetry.snapshot().counter("drift.ranker.drifted_features"));
  }

  @Test
  void arrayPathMatchesVectorPathAndTheBatchTestOnTheLastWindow() {
    FeatureFrame ref = frame(11, 4000, 0, 0).select(List.of("a", "b", "c"));
    StreamingDriftMonitor viaArray = StreamingDriftMonitor.builder(ref).windowSize(500).build();
    StreamingDriftMonitor viaVector = StreamingDriftMonitor.builder(ref).windowSize(500).build();
    FeatureFrame cur = frame(12, 1700, 0.3, 0).select(List.of("a", "b", "c"));
    double[][] cols = {cur.doubleColumn("a").clone(), cur.doubleColumn("b").clone(), cur.doubleColumn("c").clone()};
    double[] refB = ref.doubleColumn("b");
    // edge cases on the way in: exact reference values (bin edges), -0.0, infinities, NaN
    cols[1][1690] = refB[7];
    cols[1][1691] = -0.0;
    cols[1][1692] = Double.POSITIVE_INFINITY;
    cols[1][1693] = Double.NEGATIVE_INFINITY;
    cols[0][1694] = Double.NaN;
    FeatureSchema schema = FeatureSchema.of(FeatureSpec.of("a", FeatureType.DOUBLE),
        FeatureSpec.of("b", FeatureType.DOUBLE), FeatureSpec.of("c", FeatureType.DOUBLE));
    for (int i = 0; i < cols[0].length; i++) {
      double[] row = {cols[0][i], cols[1][i], cols[2][i]};
      viaArray.observe(row);
      FeatureVector.Builder v = FeatureVector.builder(schema);
      for (int f = 0; f < 3; f++) {
        v.setDouble(f, row[f]);
      }
      viaVector.observe(v.build());
    }
    DriftReport x = viaArray.check();
    DriftReport y = viaVector.check();
    for (String f : List.of("a", "b", "c")) {
      assertEquals(y.feature(f).statistic(), x.feature(f).statistic(), f);
      assertEquals(y.feature(f).currentMissing(), x.feature(f).currentMissing(), f);
      double[] window = java.util.Arrays.copyOfRange(cols[f.charAt(0) - 'a'], 1200, 1700);
      FeatureDrift batch = DriftTests.test(DriftMethod.PSI, f, ref.doubleColumn(f), window, 0.1);
      assertEquals(batch.statistic(), x.feature(f).statistic(), 1e-12, f + ": window counts equal the batch histogram");
    }
  }

  @Test
  void theVectorApiIsLinkedExactlyWhenTheJvmHasItsModule() {
    // surefire runs this class twice: with --add-modules jdk.incubator.vector and without it (as most
    // hosts run); without it SimdBuckets must initialize, report itself unavailable and leave the scalar path
    boolean absent = "absent".equals(System.getProperty("sieveml.test.vectorModule"));
    assertEquals(!absent, ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    assertEquals(!absent, org.sieveml.monitoring.internal.SimdBuckets.AVAILABLE);
    if (absent) {
      assertEquals(null, org.sieveml.monitoring.internal.SimdBuckets.Layout.of(
          new double[][] {{1}, {1}, {1}, {1}, {1}, {1}, {1}, {1}}, new int[8]));
    }
  }

  @Test
  void eightLaneBucketsEqualTheScalarPathOnManyFeatures() {
    // 19 numeric features: two groups of eight go through SimdBuckets when the Vector API is present (the
    // test JVM runs with it), three through the scalar loop; the FeatureVector path is scalar throughout
    Random r = new Random(33);
    int nf = 19;
    int n = 3000;
    FeatureFrame.ColumnBuilder b = FeatureFrame.builder(n);
    double[][] refCols = new double[nf][n];
    FeatureSpec[] specs = new FeatureSpec[nf];
    for (int f = 0; f < nf; f++) {
      for (int i = 0; i < n; i++) {
        switch (f % 5) {
          case 0: refCols[f][i] = r.nextGaussian() * (f + 1); break;
          case 1: refCols[f][i] = r.nextInt(4) * 0.5; break; // ties: few edges
          case 2: refCols[f][i] = Math.tan(Math.PI * (r.nextDouble() - 0.5)); break;
          case 3: refCols[f][i] = 7.0; break; // constant
          default: refCols[f][i] = r.nextDouble() < 0.2 ? Double.NaN : -r.nextDouble(); break;
        }
      }
      b.addDouble("f" + f, refCols[f]);
      specs[f] = FeatureSpec.of("f" + f, FeatureType.DOUBLE);
    }
    FeatureFrame ref = b.build();
    FeatureSchema schema = FeatureSchema.of(specs);
    StreamingDriftMonitor viaArray = StreamingDriftMonitor.builder(ref).windowSize(700).build();
    StreamingDriftMonitor viaVector = StreamingDriftMonitor.builder(ref).windowSize(700).build();
    double[] special = {Double.NaN, -0.0, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 7.0, 0.5,
        Double.MIN_VALUE, -Double.MAX_VALUE, Math.nextUp(7.0)};
    for (int i = 0; i < 2500; i++) {
      double[] row = new double[nf];
      for (int f = 0; f < nf; f++) {
        double v = refCols[(f + 1) % nf][r.nextInt(n)] * 1.3; // another feature's scale: shifted
        if (r.nextInt(6) == 0) {
          v = special[r.nextInt(special.length)];
        } else if (r.nextInt(6) == 0) {
          v = refCols[f][r.nextInt(n)]; // exactly a reference value, often an edge
        }
        row[f] = v;
      }
      viaArray.observe(row);
      FeatureVector.Builder v = FeatureVector.builder(schema);
      for (int f = 0; f < nf; f++) {
        v.setDouble(f, row[f]);
      }
      viaVector.observe(v.build());
      if (i % 600 == 599 || i == 2499) {
        DriftReport x = viaArray.check();
        DriftReport y = viaVector.check();
        for (int f = 0; f < nf; f++) {
          String name = "f" + f;
          assertEquals(y.feature(name).statistic(), x.feature(name).statistic(), name + " at " + i);
          assertEquals(y.feature(name).currentMissing(), x.feature(name).currentMissing(), name + " at " + i);
          assertEquals(y.feature(name).currentCount(), x.feature(name).currentCount(), name + " at " + i);
        }
      }
    }
  }

  @Test
  void streamingBucketsEqualBatchBucketsOnDiscreteAndHeavyTailedData() {
    Random r = new Random(21);
    int n = 3000;
    double[] discrete = new double[n];
    double[] cauchy = new double[n];
    for (int i = 0; i < n; i++) {
      discrete[i] = r.nextInt(6) * 0.5;
      cauchy[i] = Math.tan(Math.PI * (r.nextDouble() - 0.5));
    }
    FeatureFrame ref = FeatureFrame.builder(n).addDouble("d", discrete).addDouble("c", cauchy).build();
    StreamingDriftMonitor m = StreamingDriftMonitor.builder(ref).windowSize(800).build();
    double[] wd = new double[800];
    double[] wc = new double[800];
    for (int i = 0; i < 800; i++) {
      wd[i] = r.nextInt(8) * 0.5;
      wc[i] = 3 * Math.tan(Math.PI * (r.nextDouble() - 0.5));
      m.observe(new double[] {wd[i], wc[i]});
    }
    DriftReport rep = m.check();
    assertEquals(DriftTests.test(DriftMethod.PSI, "d", discrete, wd, 0.1).statistic(),
        rep.feature("d").statistic(), 1e-12);
    assertEquals(DriftTests.test(DriftMethod.PSI, "c", cauchy, wc, 0.1).statistic(),
        rep.feature("c").statistic(), 1e-12);
  }

  @Test
  void predictionMonitorAndConcurrentObservers() throws Exception {
    Random r = new Random(4);
    double[] ref = new double[5000];
    for (int i = 0; i < ref.length; i++) {
      ref[i] = r.nextDouble();
    }
    StreamingDriftMonitor m = StreamingDriftMonitor.builder("prediction", ref).windowSize(1000).build();
    int threads = 4;
    int each = 25_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    for (int t = 0; t < threads; t++) {
      long seed = t;
      Thread th = new Thread(() -> {
        Random q = new Random(seed);
        try {
          start.await();
          for (int i = 0; i < each; i++) {
            m.observe(q.nextDouble() * 0.5 + 0.5);
            if (i % 5000 == 0) {
              m.check();
            }
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      ts.add(th);
      th.start();
    }
    start.countDown();
    for (Thread th : ts) {
      th.join();
    }
    assertTrue(errors.isEmpty(), errors.toString());
    assertEquals((long) threads * each, m.observations());
    DriftReport rep = m.check();
    FeatureDrift p = rep.feature("prediction");
    // the window holds exactly windowSize observations: counts stayed consistent under contention
    assertEquals(1000, p.currentCount() + p.currentMissing());
    assertTrue(p.drifted(), rep.toText());
  }

  @Test
  void skewCheckComparesServedWithOffline() {
    FeatureFrame offline = frame(5, 2000, 0, 0);
    double[] a = offline.doubleColumn("a");
    for (int i = 0; i < a.length; i += 10) {
      a[i] = a[i] + 5; // 10% of served values computed differently
    }
    String[] s = DriftCheck.strings(offline, "s");
    FeatureFrame served = FeatureFrame.builder(2000).addDouble("a", a).addDouble("b", offline.doubleColumn("b"))
        .addDouble("c", offline.doubleColumn("c")).addString("s", s).build();
    SkewReport rep = SkewCheck.compare(served, offline, DriftCheck.builder().build(), 1e-9);
    assertEquals(0.1, rep.mismatchRate().get("a"), 1e-12);
    assertEquals(0.0, rep.mismatchRate().get("b"), 0);
    assertEquals(0.0, rep.mismatchRate().get("s"), 0);
    assertTrue(rep.distribution().feature("a").drifted(), rep.toText());
    assertFalse(rep.distribution().feature("b").drifted());
    assertTrue(rep.toText().contains("mismatch"));
  }

  /** A series of default checks against one reference, window {@code w} shifted by {@code w * step}. */
  static List<DriftReport> timeline(int windows, long seed, double step) {
    DriftCheck check = DriftCheck.builder().build();
    FeatureFrame ref = frame(1, 2000, 0, 0);
    List<DriftReport> timeline = new ArrayList<>();
    for (int w = 0; w < windows; w++) {
      timeline.add(check.run("window " + w, w, ref, frame(seed + w, 2000, w * step, 0)));
    }
    return timeline;
  }

  @Test
  void reportsRenderAsTextAndSelfContainedHtml() {
    List<DriftReport> timeline = timeline(6, 10, 0.2);
    String html = DriftReport.toHtmlPage("Ranker <features>", timeline);
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertEquals(1, count(html, "<html"), html);
    assertEquals(1, count(html, "<body"), html);
    assertTrue(html.contains("Ranker &lt;features&gt;"));
    assertFalse(html.contains("<script") || html.contains("http://") && !html.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assertEquals(4, html.split("<svg ").length - 1, "one chart per feature");
    assertTrue(html.contains("fill=\"#d62728\""), "drifted points are marked");
    String text = timeline.get(5).toText();
    assertTrue(text.contains("DATASET DRIFT") || text.contains("DRIFT"), text);
  }

  /** Occurrences of {@code what} in {@code text}, case-insensitively. */
  static int count(String text, String what) {
    String t = text.toLowerCase(java.util.Locale.ROOT);
    int n = 0;
    for (int i = t.indexOf(what); i >= 0; i = t.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void aFragmentEmbedsInAHostPageWithoutASecondDocument() {
    List<DriftReport> timeline = timeline(3, 20, 0.3);
    String fragment = DriftReport.toHtmlFragment("Drift <of> the week", timeline);
    assertTrue(fragment.startsWith("<section class=\"sieveml-drift\">"), fragment);
    assertTrue(fragment.endsWith("</section>\n"), fragment);
    for (String tag : List.of("<html", "<head", "<body", "<!doctype", "<script", "<link", "<meta")) {
      assertEquals(0, count(fragment, tag), tag + " in the fragment");
    }
    // every style rule applies inside the section only
    String css = fragment.substring(fragment.indexOf("<style>") + 7, fragment.indexOf("</style>"));
    for (String rule : css.split("}")) {
      for (String selector : rule.substring(0, rule.indexOf('{')).split(",")) {
        assertTrue(selector.strip().startsWith("section.sieveml-drift"), "unscoped selector: " + selector);
      }
    }
    assertTrue(fragment.contains("Drift &lt;of&gt; the week"));
    assertEquals(4, count(fragment, "<svg "), "one chart per feature");
    // issue 22: every chart names its axes (the x title once per chart, the y title rotated)
    assertEquals(4, count(fragment, "check, in time order"), "x-axis title on every chart");
    assertEquals(4, count(fragment, "transform=\"rotate(-90"), "y-axis title on every chart");
    assertEquals(timeline.get(2).toHtmlFragment(), DriftReport.toHtmlFragment("Drift report window 2",
        List.of(timeline.get(2))));

    // a host page that embeds two fragments is still one document
    String host = "<!doctype html><html><head><title>host</title></head><body><h1>Study</h1>"
        + fragment + timeline.get(0).toHtmlFragment() + "</body></html>";
    assertEquals(1, count(host, "<html"), host);
    assertEquals(1, count(host, "<body"), host);
    assertEquals(2, count(host, "<section class=\"sieveml-drift\""));

    // the page form wraps exactly the fragment
    String page = timeline.get(2).toHtmlPage();
    assertTrue(page.contains(timeline.get(2).toHtmlFragment()), page);
    assertEquals(1, count(page, "<html"), page);
    assertEquals(1, count(page, "<body"), page);
    assertThrows(IllegalArgumentException.class, () -> DriftReport.toHtmlFragment("t", List.of()));
  }

  @Test
  void skewCheckWithTheDefaultCheckEqualsTheExplicitOne() {
    FeatureFrame served = frame(3, 500, 0, 0);
    FeatureFrame offline = frame(3, 500, 0, 0);
    SkewReport byDefault = SkewCheck.compare(served, offline, 1e-9);
    SkewReport explicit = SkewCheck.compare(served, offline, DriftCheck.builder().build(), 1e-9);
    assertEquals(explicit, byDefault);
    assertEquals(500, byDefault.pairedRows());
    byDefault.mismatchRate().values().forEach(r -> assertEquals(0.0, r));
    assertThrows(IllegalArgumentException.class, () -> SkewCheck.compare(served, offline, -1));
  }

  @Test
  void detectorMonitorDeliversEventsAndCounters() {
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    List<DetectorEvent> heard = new CopyOnWriteArrayList<>();
    DetectorMonitor m = new DetectorMonitor("errors", new Ddm(), telemetry).addListener(new DriftListener() {
      @Override
      public void onDetector(DetectorEvent event) {
        heard.add(event);
      }
    });
    double[] x = DetectorsVsMoaTest.bernoulli(42, 20000, 10000, 0.2, 0.5);
    for (double v : x) {
      m.update(v);
    }
    assertFalse(m.drifts().isEmpty());
    assertTrue(m.drifts().stream().anyMatch(e -> e.observation() >= 10000 && e.observation() < 12000),
        m.drifts().toString());
    assertEquals(heard, m.events());
    assertEquals(20000, telemetry.snapshot().counter("drift.errors.observations"));
    assertEquals(m.drifts().size(), telemetry.snapshot().counter("drift.errors.drifts"));
  }

  @Test
  void featureVectorTypeMismatchIsRejected() {
    StreamingDriftMonitor m = StreamingDriftMonitor.builder(frame(1, 100, 0, 0)).build();
    FeatureVector v = FeatureVector.builder(org.sieveml.core.FeatureSchema.of(FeatureSpec.of("a", FeatureType.STRING)))
        .setString("a", "x").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.observe(v));
    assertTrue(e.getMessage().contains("'a'"));
    assertEquals(0, m.observations());
  }
}
