package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fraud and ETA case studies on small seeded data (planted patterns and shifts) and on the real samples. */
class FraudAndEtaStudyTest {

  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @TempDir
  Path tmp;

  static Path data(String name) {
    return Path.of(System.getProperty("sieveml.data.dir", "../shared/data"), name);
  }

  @Test
  void fraudVelocityFeaturesCatchBurstsAndTheDetectorSeesTheChangeOfTactics() throws Exception {
    FraudData data = FraudData.seeded(4000, 5);
    Path report = tmp.resolve("fraud.html");
    FraudStudy.Result r = FraudStudy.run(data, 5, QUIET, report);
    assertTrue(r.testFrauds() > 20, "frauds in the test period: " + r.testFrauds());
    double base = r.testFrauds() / (double) r.testTxns();
    assertTrue(r.prAuc() > 50 * base, "PR-AUC " + r.prAuc() + " vs base rate " + base);
    // bursts before the change are caught at the 1 % FPR threshold; the new tactics are not
    assertTrue(r.missRateBefore() < 0.2, "missed before the change: " + r.missRateBefore());
    assertTrue(r.missRateAfter() > 0.6, "missed after the change: " + r.missRateAfter());
    long first = r.firstDetectionAfterChange();
    assertTrue(first >= 0, "DDM must fire after the planted change; detections " + r.detections());
    assertTrue(first - r.changeMillis() < 3 * RecData.DAY, "detection delay " + (first - r.changeMillis()) + " ms");
    assertEquals(0, r.detections().stream().filter(t -> t < r.changeMillis()).count(), "no alarm before the change");
    assertTrue(Files.readString(report).contains("Concept drift") && Files.readString(report).contains("<path"));
    double[][] pr = r.prCurve();
    assertEquals(pr[0].length, pr[1].length);
    assertEquals(1.0, pr[0][pr[0].length - 1], 1e-9, "the curve ends at recall 1");
  }

  @Test
  void etaRegressionBeatsTheMeanAndTheHolidaySlowdownIsDetected() {
    EtaData data = EtaData.seeded(30_000, 9);
    EtaStudy.Result r = EtaStudy.run(data, 9, QUIET, tmp.resolve("eta.html"));
    assertTrue(r.rmsle() < 0.5 * r.baselineRmsle(), "RMSLE " + r.rmsle() + " vs mean " + r.baselineRmsle());
    assertTrue(r.mae() < r.baselineMae(), "MAE " + r.mae() + " vs mean " + r.baselineMae());
    long first = r.firstDetectionAfterShift();
    assertTrue(first >= 0, "ADWIN must fire after the slowdown; detections " + r.detections());
    assertTrue(first - r.shiftMillis() < 2 * RecData.DAY, "detection delay " + (first - r.shiftMillis()) + " ms");
    assertEquals(0, r.detectionsBeforeShift(), "no alarm before the slowdown");
  }

  @Test
  void realSamples() {
    Path fraud = data("fraud-creditcard-ulb-sample");
    Path taxi = data("eta-nyc-taxi-trip-duration");
    Assumptions.assumeTrue(Files.exists(fraud) && Files.exists(taxi), "real samples not found under " + fraud.getParent());
    FraudStudy.Result f = FraudStudy.run(FraudData.ulb(fraud), 42, QUIET, null);
    // PR-AUC at the true 0.172 % base rate (negatives weighted), time-ordered split
    assertTrue(f.prAuc() > 0.2, "ULB PR-AUC at the true base rate " + f.prAuc());
    assertTrue(f.rocAuc() > 0.9, "ULB ROC-AUC " + f.rocAuc());
    EtaStudy.Result e = EtaStudy.run(EtaData.nycTaxi(taxi), 42, QUIET, null);
    assertTrue(e.rmsle() < 0.8 * e.baselineRmsle(), "taxi RMSLE " + e.rmsle() + " vs mean " + e.baselineRmsle());
  }
}
