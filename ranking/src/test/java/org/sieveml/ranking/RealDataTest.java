package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/** Real Tribuo/XGBoost training on the shared real data sets (read in place, never copied). */
class RealDataTest {
  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /** A data set under the data directory; the test is skipped, saying so, when it is absent. */
  static Path requireData(String relative) {
    Path p = dataDir().resolve(relative);
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(p), "skipped: real data " + p.toAbsolutePath()
        + " not found (it lives in ../shared/data beside the project; set -Dsieveml.data.dir)");
    return p;
  }

  static Path dataDir() {
    String p = System.getProperty("sieveml.data.dir");
    if (p == null) {
      p = System.getenv("SIEVEML_DATA_DIR");
    }
    return Paths.get(p == null ? "../shared/data" : p);
  }

  private static double[] slice(double[] a, int from, int to) {
    return Arrays.copyOfRange(a, from, to);
  }

  private static double[][] slice(double[][] a, int from, int to) {
    return Arrays.copyOfRange(a, from, to);
  }

  @Test
  void talkingDataGbdtReachesAuc090WithTimeOrderedSplitAndCalibratedLogLossBeatsBaseRate() throws IOException {
    List<String> lines = Files.readAllLines(requireData("ctr-talkingdata-adtracking/train_sample.csv"));
    List<String[]> rows = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) {
      rows.add(l.split(",", -1));
    }
    rows.sort(Comparator.comparing((String[] r) -> r[5]));
    int n = rows.size();
    FeatureSchema schema = FeatureSchema.of(
        FeatureSpec.of("ip", FeatureType.LONG), FeatureSpec.of("app", FeatureType.LONG),
        FeatureSpec.of("device", FeatureType.LONG), FeatureSpec.of("os", FeatureType.LONG),
        FeatureSpec.of("channel", FeatureType.LONG), FeatureSpec.of("hour", FeatureType.LONG));
    long[][] cols = new long[6][n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      String[] r = rows.get(i);
      for (int c = 0; c < 5; c++) {
        cols[c][i] = Long.parseLong(r[c]);
      }
      cols[5][i] = LocalDateTime.parse(r[5], TS).getHour();
      y[i] = Double.parseDouble(r[7]);
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n);
    java.util.BitSet all = new java.util.BitSet(n);
    all.set(0, n);
    for (int c = 0; c < 6; c++) {
      fb.addLong(schema.get(c).name(), cols[c], all);
    }
    FeatureFrame frame = fb.build();
    FeatureEncoder enc = FeatureEncoder.builder(schema).build();
    double[][] x = enc.encode(frame);
    int trainEnd = (int) (n * 0.7);
    int calEnd = (int) (n * 0.8);
    GbdtRanker model = GbdtRanker.trainer(enc).rounds(200).maxDepth(6).eta(0.05).minChildWeight(1)
        .subsample(0.9, 0.9).seed(11).train(frame.rows(range(0, trainEnd)), slice(y, 0, trainEnd), null);
    double[] cal = model.predictEncoded(slice(x, trainEnd, calEnd));
    Calibrator platt = Calibrator.platt(cal, slice(y, trainEnd, calEnd));
    double[] testY = slice(y, calEnd, n);
    double[] raw = model.predictEncoded(slice(x, calEnd, n));
    double[] calibrated = platt.calibrate(raw);
    double auc = ClassificationMetrics.rocAuc(raw, testY);
    double ll = ClassificationMetrics.logLoss(calibrated, testY);
    double base = ClassificationMetrics.baseRateLogLoss(testY);
    System.out.printf("talkingdata: ROC-AUC %.4f, PR-AUC %.4f, calibrated log loss %.5f vs base rate %.5f, "
            + "NE %.3f, calibration ratio %.3f%n", auc, ClassificationMetrics.prAuc(raw, testY), ll, base,
        ClassificationMetrics.normalizedEntropy(calibrated, testY),
        ClassificationMetrics.calibrationRatio(calibrated, testY));
    assertTrue(auc >= 0.90, "ROC-AUC " + auc);
    assertTrue(ll < base, "calibrated log loss " + ll + " vs base-rate " + base);
  }

  @Test
  void fraudPrAucAtTrueBaseRateViaWeights() throws IOException {
    List<String> lines = Files.readAllLines(requireData("fraud-creditcard-ulb-sample/creditcard_sample.csv"));
    String[] header = lines.get(0).split(",");
    int f = header.length - 2; // Time, V1..V28, Amount
    List<FeatureSpec> specs = new ArrayList<>();
    for (int c = 1; c <= f; c++) {
      specs.add(FeatureSpec.of(header[c], FeatureType.DOUBLE));
    }
    FeatureSchema schema = FeatureSchema.of(specs);
    // rows sorted by Time (the file lists non-fraud first); train on the earlier 70 %, test on the rest
    List<String[]> rows = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) {
      rows.add(l.split(","));
    }
    rows.sort(Comparator.comparingDouble((String[] r) -> Double.parseDouble(r[1])));
    int n = rows.size();
    double[][] colv = new double[f][n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < f; c++) {
        colv[c][i] = Double.parseDouble(rows.get(i)[c + 1]);
      }
      y[i] = Double.parseDouble(rows.get(i)[f + 1]);
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n);
    for (int c = 0; c < f; c++) {
      fb.addDouble(schema.get(c).name(), colv[c]);
    }
    FeatureEncoder enc = FeatureEncoder.builder(schema).build();
    double[][] x = enc.encode(fb.build());
    // each sample negative stands for w negatives of the population: 492 frauds at 0.172 %
    double pos = Arrays.stream(y).sum();
    double w = (pos * (1 - 0.00172) / 0.00172) / (n - pos);
    double[] weights = new double[n];
    for (int i = 0; i < n; i++) {
      weights[i] = y[i] == 1 ? 1 : w;
    }
    int trainEnd = (int) (n * 0.7);
    GbdtRanker model = GbdtRanker.trainer(enc).rounds(150).maxDepth(4).eta(0.1).seed(5)
        .trainEncoded(slice(x, 0, trainEnd), slice(y, 0, trainEnd), slice(weights, 0, trainEnd));
    double[] p = model.predictEncoded(slice(x, trainEnd, n));
    double[] ty = slice(y, trainEnd, n);
    double[] tw = slice(weights, trainEnd, n);
    double ap = ClassificationMetrics.prAuc(p, ty, tw);
    double testBase = 0;
    double testAll = 0;
    for (int i = 0; i < ty.length; i++) {
      testBase += ty[i] * tw[i];
      testAll += tw[i];
    }
    testBase /= testAll;
    System.out.printf("fraud: weighted PR-AUC %.4f at base rate %.5f (weight per negative %.1f), ROC-AUC %.4f%n",
        ap, testBase, w, ClassificationMetrics.rocAuc(p, ty));
    assertTrue(ap > 50 * testBase, "PR-AUC " + ap + " vs base rate " + testBase);
  }

  @Test
  void taxiEtaRegressionBeatsMeanBaselineOnRmsle() throws IOException {
    Path dir = requireData("eta-nyc-taxi-trip-duration");
    Taxi train = Taxi.read(dir.resolve("train.csv"));
    Taxi test = Taxi.read(dir.resolve("test.csv"));
    FeatureEncoder enc = FeatureEncoder.builder(Taxi.SCHEMA).build();
    double[] logY = Arrays.stream(train.y).map(Math::log1p).toArray();
    GbdtRanker model = GbdtRanker.trainer(enc).objective(GbdtRanker.Objective.SQUARED_ERROR).rounds(200)
        .maxDepth(6).eta(0.05).seed(2).train(train.frame, logY, null);
    double[] pred = Arrays.stream(model.predict(test.frame)).map(v -> Math.max(0, Math.expm1(v))).toArray();
    double meanLog = Arrays.stream(logY).average().orElseThrow();
    double[] baseline = new double[test.y.length];
    Arrays.fill(baseline, Math.expm1(meanLog));
    double ours = RegressionMetrics.rmsle(pred, test.y);
    double base = RegressionMetrics.rmsle(baseline, test.y);
    System.out.printf("taxi: RMSLE %.4f vs mean baseline %.4f; MAE %.1f s; p90 abs error %.1f s%n", ours, base,
        RegressionMetrics.mae(pred, test.y), RegressionMetrics.absoluteErrorPercentile(pred, test.y, 90));
    assertTrue(ours < 0.85 * base, "RMSLE " + ours + " vs baseline " + base);

    // the linear regressor on the same split: standardized numeric inputs plus hashed hour and weekday
    double[] lin = linearEta(train, test, logY);
    double linear = RegressionMetrics.rmsle(lin, test.y);
    System.out.printf("taxi linear: RMSLE %.4f vs mean baseline %.4f%n", linear, base);
    assertTrue(linear < 0.95 * base, "linear RMSLE " + linear + " vs baseline " + base);
  }

  static double[] linearEta(Taxi train, Taxi test, double[] logY) {
    FeatureSchema s = FeatureSchema.builder().addDouble("log_km").addDouble("km").addString("hour")
        .addString("weekday").build();
    FeatureFrame tr = etaFrame(train.frame, s);
    FeatureFrame te = etaFrame(test.frame, s);
    FeatureEncoder enc = FeatureEncoder.builder(s).hashed("hour", 32).hashed("weekday", 8).build();
    LinearRegressor m = LinearRegressor.trainer(enc).name("eta-linear").epochs(30).learningRate(0.1).seed(3).train(tr, logY);
    double[] out = new double[te.rowCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.max(0, Math.expm1(m.predict(te.row(i))));
    }
    return out;
  }

  static FeatureFrame etaFrame(FeatureFrame f, FeatureSchema s) {
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(s);
    for (int i = 0; i < f.rowCount(); i++) {
      org.sieveml.core.FeatureVector v = f.row(i);
      double km = v.getDouble("haversine_km");
      b.add(org.sieveml.core.FeatureVector.builder(s).setDouble("log_km", Math.log1p(km)).setDouble("km", km / 10)
          .setString("hour", Long.toString(v.getLong("hour"))).setString("weekday", Long.toString(v.getLong("weekday")))
          .build());
    }
    return b.build();
  }

  static int[] range(int from, int to) {
    int[] r = new int[to - from];
    for (int i = 0; i < r.length; i++) {
      r[i] = from + i;
    }
    return r;
  }

  static final class Taxi {
    static final FeatureSchema SCHEMA = FeatureSchema.of(
        FeatureSpec.of("vendor", FeatureType.LONG), FeatureSpec.of("passengers", FeatureType.LONG),
        FeatureSpec.of("pickup_lon", FeatureType.DOUBLE), FeatureSpec.of("pickup_lat", FeatureType.DOUBLE),
        FeatureSpec.of("dropoff_lon", FeatureType.DOUBLE), FeatureSpec.of("dropoff_lat", FeatureType.DOUBLE),
        FeatureSpec.of("haversine_km", FeatureType.DOUBLE), FeatureSpec.of("hour", FeatureType.LONG),
        FeatureSpec.of("weekday", FeatureType.LONG));
    FeatureFrame frame;
    double[] y;

    static Taxi read(Path p) throws IOException {
      List<String> lines = Files.readAllLines(p);
      FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(SCHEMA);
      Taxi t = new Taxi();
      t.y = new double[lines.size() - 1];
      for (int i = 1; i < lines.size(); i++) {
        String[] r = lines.get(i).split(",");
        LocalDateTime ts = LocalDateTime.parse(r[2], TS);
        double lo1 = Double.parseDouble(r[5]);
        double la1 = Double.parseDouble(r[6]);
        double lo2 = Double.parseDouble(r[7]);
        double la2 = Double.parseDouble(r[8]);
        double dLat = Math.toRadians(la2 - la1);
        double dLon = Math.toRadians(lo2 - lo1);
        double a = Math.sin(dLat / 2) * Math.sin(dLat / 2)
            + Math.cos(Math.toRadians(la1)) * Math.cos(Math.toRadians(la2)) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
        double km = 2 * 6371 * Math.asin(Math.sqrt(a));
        b.add(org.sieveml.core.FeatureVector.builder(SCHEMA)
            .setLong("vendor", Long.parseLong(r[1])).setLong("passengers", Long.parseLong(r[4]))
            .setDouble("pickup_lon", lo1).setDouble("pickup_lat", la1)
            .setDouble("dropoff_lon", lo2).setDouble("dropoff_lat", la2).setDouble("haversine_km", km)
            .setLong("hour", ts.getHour()).setLong("weekday", ts.getDayOfWeek().getValue()).build());
        t.y[i - 1] = Double.parseDouble(r[10]);
      }
      t.frame = b.build();
      return t;
    }
  }
}
