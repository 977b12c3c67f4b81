package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import moa.classifiers.core.driftdetection.ADWIN;
import org.junit.jupiter.api.Test;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End to end on the real drift-elec2 stream (45,312 half-hourly rows of the NSW electricity market):
 * an online logistic regression predicts UP/DOWN test-then-train, its error stream is monitored by
 * every detector, and the detections are reported (and, for ADWIN, checked against MOA).
 */
class Elec2StreamTest {

  private static final Logger LOG = LoggerFactory.getLogger(Elec2StreamTest.class);

  static Path dataDir() {
    String d = System.getProperty("sieveml.data.dir");
    if (d == null) {
      d = System.getenv("SIEVEML_DATA_DIR");
    }
    return Path.of(d == null ? "../shared/data" : d);
  }

  static double[] errorStream() throws IOException {
    Path file = dataDir().resolve("drift-elec2/electricity.csv");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(file), "skipped: real data " + file.toAbsolutePath()
        + " not found (it lives in ../shared/data beside the project; set -Dsieveml.data.dir)");
    List<String> lines = Files.readAllLines(file);
    // columns: date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class
    double[] w = new double[8];
    double lr = 0.1;
    Random init = new Random(42);
    for (int j = 0; j < w.length; j++) {
      w[j] = init.nextGaussian() * 0.01;
    }
    double[] err = new double[lines.size() - 1];
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",");
      double[] x = new double[8];
      x[0] = 1;
      x[1] = Double.parseDouble(f[1]) / 7.0;
      for (int j = 2; j < 8; j++) {
        x[j] = Double.parseDouble(f[j]);
      }
      int y = "UP".equals(f[8]) ? 1 : 0;
      double z = 0;
      for (int j = 0; j < 8; j++) {
        z += w[j] * x[j];
      }
      double p = 1 / (1 + Math.exp(-z));
      err[i - 1] = (p >= 0.5 ? 1 : 0) == y ? 0 : 1;
      for (int j = 0; j < 8; j++) {
        w[j] += lr * (y - p) * x[j];
      }
    }
    return err;
  }

  @Test
  void detectorsReportDriftsOnTheRealElectricityStream() throws IOException {
    double[] err = errorStream();
    assertEquals(45312, err.length);
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    List<ChangeDetector> detectors = List.of(new Adwin(), new Ddm(), new Eddm(), new PageHinkley(), new HddmA(),
        new HddmW(), new Kswin(42));
    StringBuilder summary = new StringBuilder();
    for (ChangeDetector d : detectors) {
      DetectorMonitor m = new DetectorMonitor("elec2." + d.name(), d, telemetry);
      for (double e : err) {
        m.update(e);
      }
      List<Long> at = new ArrayList<>();
      m.drifts().forEach(ev -> at.add(ev.observation()));
      summary.append(String.format("%-8s %4d drifts, first %s%n", d.name(), at.size(), at.subList(0, Math.min(8, at.size()))));
      assertEquals(at.size(), telemetry.snapshot().counter("drift.elec2." + d.name() + ".drifts"));
    }
    LOG.info("drift-elec2 error stream ({} rows, error rate {}):\n{}", err.length,
        java.util.Arrays.stream(err).average().orElse(0), summary);
    // ADWIN agrees with MOA on this real stream, and finds the non-stationarity
    Adwin ours = new Adwin();
    ADWIN moa = new ADWIN(0.002);
    List<Integer> a = new ArrayList<>();
    List<Integer> b = new ArrayList<>();
    for (int i = 0; i < err.length; i++) {
      if (ours.update(err[i]) == DetectorState.DRIFT) {
        a.add(i);
      }
      if (moa.setInput(err[i])) {
        b.add(i);
      }
    }
    assertEquals(b, a);
    assertTrue(a.size() >= 3, "ADWIN should see several changes on elec2, saw " + a);
  }
}
