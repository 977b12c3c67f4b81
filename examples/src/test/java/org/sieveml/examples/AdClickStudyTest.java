package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ad conversion case study on seeded clicks and on the TalkingData sample. */
class AdClickStudyTest {

  @TempDir
  Path tmp;

  @Test
  void seededClicksAreRankedAndCalibratedAfterDownsampling() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path report = tmp.resolve("ad.html");
    AdClickStudy.Result r = AdClickStudy.run(AdData.seeded(60_000, 3), 3,
        new PrintStream(log, true, StandardCharsets.UTF_8), report);
    String printed = log.toString(StandardCharsets.UTF_8);
    assertEquals(18_000, r.testClicks());
    assertTrue(r.calibrated().get("auc") > 0.78, "ROC-AUC " + r.calibrated() + "\n" + printed);
    assertTrue(r.calibrated().get("ne") < 0.95, "normalized entropy " + r.calibrated().get("ne"));
    // the correction q = p / (p + (1 - p) / w) restores the base rate; the raw downsampled model
    // over-predicts by roughly 1 / w
    double cal = r.calibrated().get("calibration_ratio");
    assertTrue(cal > 0.8 && cal < 1.25, "corrected calibration ratio " + cal);
    assertTrue(r.raw().get("calibration_ratio") > 3, "raw calibration ratio " + r.raw().get("calibration_ratio"));
    assertTrue(r.calibrated().get("log_loss") < r.raw().get("log_loss"));
    assertEquals(r.calibrated().get("auc"), r.raw().get("auc"), 1e-12, "a monotone correction keeps the order");
    assertEquals(0.0, r.maxSkew(), 0.0, "online features equal the point-in-time join");
    String html = Files.readString(report);
    assertTrue(html.contains("<svg") && html.contains("Reliability"), "report has the reliability curve");
  }

  @Test
  void talkingDataSample() {
    Path dir = Path.of(System.getProperty("sieveml.data.dir", "../shared/data"), "ctr-talkingdata-adtracking");
    Assumptions.assumeTrue(Files.exists(dir.resolve("train_sample.csv")), "TalkingData sample not found at " + dir);
    AdClickStudy.Result r = AdClickStudy.run(AdData.talkingData(dir), 42,
        new PrintStream(OutputStream.nullOutputStream()), null);
    assertTrue(r.calibrated().get("auc") > 0.93, "ROC-AUC " + r.calibrated().get("auc"));
    assertTrue(r.calibrated().get("ne") < 0.7, "NE " + r.calibrated().get("ne"));
    double cal = r.calibrated().get("calibration_ratio");
    assertTrue(cal > 0.7 && cal < 1.4, "calibration ratio " + cal);
    assertEquals(0.0, r.maxSkew(), 0.0);
  }
}
