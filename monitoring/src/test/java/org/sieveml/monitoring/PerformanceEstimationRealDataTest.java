package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.sieveml.monitoring.PerformanceEstimationTest.BandStats;

/**
 * CBPE and DLE on real data with a planted covariate shift whose realized metric is known (the labels
 * are held back from the estimator and used only to score it).
 *
 * <p>Fraud (fraud-creditcard-ulb-sample, 1,722 transactions, 492 frauds): a logistic regression trained
 * in the test on 400 rows scores the rest; 600 rows are the labelled reference; the remaining 722 form
 * a pool from which 30 chunks of 250 distinct rows are drawn with weight exp(lambda z), z a
 * standardised feature, lambda rising from 0 to 2 (rows of one kind are progressively oversampled). P(label | features) is untouched, which is pure covariate shift.
 *
 * <p>ETA (eta-nyc-taxi-trip-duration, 5,000 trips of train.csv): a least-squares model trained on 2,000
 * trips predicts log trip duration from log distance; 1,500 trips are the reference, on which DLE's loss
 * models see distance, coordinates, hour, weekday, passengers, vendor and the prediction; chunks of 250
 * distinct trips are drawn from the other 1,500 in the same way, oversampling short trips.
 *
 * <p>Skipped with a message when the data directory is absent.
 */
class PerformanceEstimationRealDataTest {

  static final long SEED = 20;
  static final int CHUNKS = 30;
  static final int FRAUD_CHUNK = 300;

  static Path file(String relative) {
    Path f = Elec2StreamTest.dataDir().resolve(relative);
    Assumptions.assumeTrue(Files.exists(f), "skipped: real data " + f.toAbsolutePath()
        + " not found (it lives in ../shared/data beside the project; set -Dsieveml.data.dir)");
    return f;
  }

  static int[] shuffled(int n, SplittableRandom rnd) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /**
   * Chunk k is {@code size} distinct pool rows drawn without replacement with weight exp(lambda_k z)
   * (Efraimidis-Spirakis keys), lambda_k rising linearly from 0 to {@code maxLambda}: without repeats a
   * chunk is a genuine sample of distinct rows, so its realized metric varies as a real chunk's would.
   */
  static int[] plantedShift(double[] z, int chunks, int size, double maxLambda, SplittableRandom rnd) {
    int[] rows = new int[chunks * size];
    for (int k = 0; k < chunks; k++) {
      double lambda = maxLambda * k / (chunks - 1);
      double[] key = new double[z.length];
      Integer[] idx = new Integer[z.length];
      for (int i = 0; i < z.length; i++) {
        key[i] = Math.log(1 - rnd.nextDouble()) * Math.exp(-lambda * z[i]);
        idx[i] = i;
      }
      java.util.Arrays.sort(idx, (a, b) -> Double.compare(key[b], key[a]));
      for (int r = 0; r < size; r++) {
        rows[k * size + r] = idx[r];
      }
    }
    return rows;
  }

  static double[] standardised(double[] v) {
    double m = 0;
    for (double x : v) {
      m += x;
    }
    m /= v.length;
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    s = Math.sqrt(s / v.length);
    double[] z = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      z[i] = (v[i] - m) / s;
    }
    return z;
  }

  /** Fraud rows: V1..V28, log1p(Amount); labels in {@code y}. */
  record Fraud(double[][] x, int[] y) {}

  static Fraud fraud() throws IOException {
    List<String> lines = Files.readAllLines(file("fraud-creditcard-ulb-sample/creditcard_sample.csv"));
    // columns: index,Time,V1..V28,Amount,Class
    int n = lines.size() - 1;
    double[][] x = new double[n][29];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      String[] f = lines.get(i + 1).split(",");
      for (int j = 0; j < 28; j++) {
        x[i][j] = Double.parseDouble(f[2 + j]);
      }
      x[i][28] = Math.log1p(Double.parseDouble(f[30]));
      y[i] = (int) Double.parseDouble(f[31]);
    }
    return new Fraud(x, y);
  }

  /** Logistic regression by full-batch gradient descent on standardised features (small L2). */
  static double[] logistic(double[][] x, int[] y, int[] rows) {
    int d = x[0].length;
    double[] w = new double[d + 1];
    double lr = 0.5;
    for (int it = 0; it < 300; it++) {
      double[] g = new double[d + 1];
      for (int i : rows) {
        double e = score(w, x[i]) - y[i];
        g[d] += e;
        for (int j = 0; j < d; j++) {
          g[j] += e * x[i][j];
        }
      }
      for (int j = 0; j <= d; j++) {
        w[j] -= lr * (g[j] / rows.length + (j < d ? 1e-2 * w[j] : 0));
      }
    }
    return w;
  }

  static double score(double[] w, double[] x) {
    double z = w[x.length];
    for (int j = 0; j < x.length; j++) {
      z += w[j] * x[j];
    }
    return PerformanceEstimationTest.sigmoid(z);
  }

  static void standardiseColumns(double[][] x, int[] rows) {
    int d = x[0].length;
    for (int j = 0; j < d; j++) {
      double m = 0;
      for (int i : rows) {
        m += x[i][j];
      }
      m /= rows.length;
      double s = 0;
      for (int i : rows) {
        s += (x[i][j] - m) * (x[i][j] - m);
      }
      s = Math.sqrt(s / rows.length);
      for (double[] r : x) {
        r[j] = (r[j] - m) / s;
      }
    }
  }

  /** Fits on fraud, plants a shift on column {@code shiftColumn} and returns the CBPE chunks. */
  static List<ChunkEstimate> fraudChunks(long seed, int shiftColumn, double maxLambda) throws IOException {
    return fraudChunks(seed, shiftColumn, maxLambda, Cbpe.SamplingError.REFERENCE);
  }

  static List<ChunkEstimate> fraudChunks(long seed, int shiftColumn, double maxLambda, Cbpe.SamplingError se)
      throws IOException {
    Fraud data = fraud();
    int n = data.y().length;
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] perm = shuffled(n, rnd);
    int[] train = java.util.Arrays.copyOfRange(perm, 0, 400);
    int[] ref = java.util.Arrays.copyOfRange(perm, 400, 1000);
    int[] pool = java.util.Arrays.copyOfRange(perm, 1000, n);
    double[][] x = data.x();
    standardiseColumns(x, train);
    double[] w = logistic(x, data.y(), train);
    double[] refScores = new double[ref.length];
    int[] refLabels = new int[ref.length];
    for (int i = 0; i < ref.length; i++) {
      refScores[i] = score(w, x[ref[i]]);
      refLabels[i] = data.y()[ref[i]];
    }
    Cbpe cbpe = Cbpe.builder().samplingError(se).seed(seed).fit(refScores, refLabels);
    System.out.println("fraud: " + cbpe);
    double[] z = new double[pool.length];
    for (int i = 0; i < pool.length; i++) {
      z[i] = x[pool[i]][shiftColumn];
    }
    int[] drawn = plantedShift(standardised(z), CHUNKS, FRAUD_CHUNK, maxLambda, rnd);
    double[] scores = new double[drawn.length];
    int[] labels = new int[drawn.length];
    for (int i = 0; i < drawn.length; i++) {
      scores[i] = score(w, x[pool[drawn[i]]]);
      labels[i] = data.y()[pool[drawn[i]]];
    }
    return cbpe.evaluate(scores, labels, Chunking.bySize(FRAUD_CHUNK));
  }

  /**
   * The acceptance test of issue 20 item 5: oversampling transactions with high V14 (V14 is strongly
   * negative for fraud, so chunks hold fewer and less obvious frauds) moves the realized ROC-AUC from
   * 0.99 down to 0.86; CBPE's estimate must be within its band in at least 90 % of chunks, track better
   * than "nothing changed", and the band must stay narrower than 0.11 AUC (6 sampling errors at 300
   * rows is 0.10; bands are clipped at 1, so most are narrower). This holds on this split (seed 20, the
   * issue's number, chosen before any run); {@link #withinBandRatesAcrossTenSplits} shows it does not
   * on every split.
   */
  /**
   * How much the result above owes to the split: the same three experiments on ten other seeded splits
   * of the data (the model, reference, pool and chunks all change). Prints one line per split and
   * guards the measured state: with NannyML's reference sampling error the fraud V14 estimate is within
   * its band in at least 90 % of chunks on only about half the splits, with the chunk's own sampling
   * error on about seven in ten (wider bands); the failing splits are those where a 600-row reference
   * gives an over-confident isotonic calibration; adding the calibration's own error (the estimate's spread
   * over calibrators refitted on bootstrap resamples of the reference, {@code CHUNK_AND_CALIBRATION}) brings
   * it to eight in ten at the price of wider bands (mean 0.07-0.17 AUC, widest 0.33). The two splits left are
   * where V14's shift changes P(label | score) itself (the model is not the true one), which CBPE assumes
   * away and no band repairs. DLE on taxi trips holds on nine in ten.
   */
  @Test
  void withinBandRatesAcrossTenSplits() throws IOException {
    int refOk = 0;
    int chunkOk = 0;
    int calOk = 0;
    double calMaxWidth = 0;
    int taxiOk = 0;
    for (long sd = 1; sd <= 10; sd++) {
      BandStats ref = PerformanceEstimationTest.stats(fraudChunks(sd, 13, 1.5), PerformanceMetric.ROC_AUC);
      BandStats chunk = PerformanceEstimationTest.stats(fraudChunks(sd, 13, 1.5, Cbpe.SamplingError.CHUNK),
          PerformanceMetric.ROC_AUC);
      BandStats cal = PerformanceEstimationTest.stats(fraudChunks(sd, 13, 1.5,
          Cbpe.SamplingError.CHUNK_AND_CALIBRATION), PerformanceMetric.ROC_AUC);
      BandStats taxi = PerformanceEstimationTest.stats(taxi(sd, 250, -1.5), PerformanceMetric.MAE);
      System.out.printf(Locale.ROOT, "split %2d: CBPE V14 REFERENCE %s%n          CBPE V14 CHUNK     %s%n"
          + "          CBPE V14 CHUNK+CAL %s%n          DLE taxi MAE       %s%n", sd, ref, chunk, cal, taxi);
      refOk += ref.withinRate() >= 0.9 ? 1 : 0;
      chunkOk += chunk.withinRate() >= 0.9 ? 1 : 0;
      calOk += cal.withinRate() >= 0.9 ? 1 : 0;
      calMaxWidth = Math.max(calMaxWidth, cal.maxWidth());
      taxiOk += taxi.withinRate() >= 0.9 ? 1 : 0;
    }
    System.out.printf(Locale.ROOT, "splits with >= 90 %% of chunks within band: CBPE REFERENCE %d/10, CHUNK %d/10,"
        + " CHUNK_AND_CALIBRATION %d/10 (widest band %.3f), DLE %d/10%n", refOk, chunkOk, calOk, calMaxWidth, taxiOk);
    assertTrue(refOk >= 5 && chunkOk >= 7 && calOk >= 8 && taxiOk >= 9, refOk + " " + chunkOk + " " + calOk + " "
        + taxiOk);
  }

  /**
   * The acceptance test of issue 20 item 5: oversampling transactions with high V14 (V14 is strongly
   * negative for fraud, so chunks hold fewer and less obvious frauds) moves the realized ROC-AUC from
   * 0.99 down to 0.86; CBPE's estimate must be within its band in at least 90 % of chunks, track better
   * than "nothing changed", and the band must stay narrower than 0.11 AUC (6 sampling errors at 300
   * rows is 0.10; bands are clipped at 1, so most are narrower).
   */
  @Test
  void cbpeTracksRocAucOnFraudWithPlantedV14Shift() throws IOException {
    BandStats auc = check("V14", fraudChunks(SEED, 13, 1.5));
    assertTrue(auc.estimateError() < auc.baselineError(), auc.toString());
  }

  /**
   * Oversampling large amounts barely moves the realized ROC-AUC (0.95 to 0.99): the estimate stays
   * within its band, though here "nothing changed" would do as well.
   */
  @Test
  void cbpeStaysWithinBandOnFraudWithPlantedAmountShift() throws IOException {
    check("amount (log1p)", fraudChunks(SEED, 28, 2.0));
  }

  private static BandStats check(String shift, List<ChunkEstimate> chunks) {
    for (PerformanceMetric m : List.of(PerformanceMetric.ROC_AUC, PerformanceMetric.PRECISION,
        PerformanceMetric.RECALL, PerformanceMetric.F1, PerformanceMetric.ACCURACY)) {
      System.out.printf(Locale.ROOT, "CBPE fraud, shift on %s, %d x %d rows, %-9s %s%n", shift, CHUNKS, FRAUD_CHUNK, m,
          PerformanceEstimationTest.stats(chunks, m));
    }
    BandStats auc = PerformanceEstimationTest.stats(chunks, PerformanceMetric.ROC_AUC);
    assertTrue(auc.withinRate() >= 0.9, auc.toString());
    assertTrue(auc.maxWidth() < 0.11, auc.toString());
    return auc;
  }

  /**
   * Oversampling short trips (lambda down to -1.5) raises the realized MAE of log duration from 0.38 to
   * 0.52; the estimate must stay within its band and beat "nothing changed". (Oversampling long trips
   * barely moves the MAE, which makes it no test of tracking.)
   */
  @Test
  void dleTracksMaeOnTaxiTripsWithPlantedDistanceShift() throws IOException {
    List<ChunkEstimate> chunks = taxi(SEED, 250, -1.5);
    for (PerformanceMetric m : List.of(PerformanceMetric.MAE, PerformanceMetric.RMSE)) {
      BandStats s = PerformanceEstimationTest.stats(chunks, m);
      assertTrue(s.withinRate() >= 0.9, m + ": " + s);
      assertTrue(s.estimateError() < s.baselineError(), m + " must track better than the reference mean: " + s);
    }
  }

  static List<ChunkEstimate> taxi(long seed, int size, double maxLambda) throws IOException {
    List<String> lines = Files.readAllLines(file("eta-nyc-taxi-trip-duration/train.csv"));
    // id,vendor_id,pickup_datetime,dropoff_datetime,passenger_count,pickup_longitude,pickup_latitude,
    // dropoff_longitude,dropoff_latitude,store_and_fwd_flag,trip_duration
    int n = lines.size() - 1;
    double[][] x = new double[n][];
    double[] target = new double[n];
    for (int i = 0; i < n; i++) {
      String[] f = lines.get(i + 1).split(",");
      double lon1 = Double.parseDouble(f[5]);
      double lat1 = Double.parseDouble(f[6]);
      double lon2 = Double.parseDouble(f[7]);
      double lat2 = Double.parseDouble(f[8]);
      java.time.LocalDateTime t = java.time.LocalDateTime.parse(f[2].replace(' ', 'T'));
      double km = haversineKm(lat1, lon1, lat2, lon2);
      x[i] = new double[] {Math.log1p(km), lat1, lon1, lat2, lon2, t.getHour() + t.getMinute() / 60.0,
          t.getDayOfWeek().getValue(), Double.parseDouble(f[4]), Double.parseDouble(f[1])};
      target[i] = Math.log1p(Double.parseDouble(f[10]));
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    int[] perm = shuffled(n, rnd);
    int[] train = java.util.Arrays.copyOfRange(perm, 0, 2000);
    int[] ref = java.util.Arrays.copyOfRange(perm, 2000, 3500);
    int[] pool = java.util.Arrays.copyOfRange(perm, 3500, n);
    // least squares of log duration on log distance
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (int i : train) {
      sx += x[i][0];
      sy += target[i];
      sxx += x[i][0] * x[i][0];
      sxy += x[i][0] * target[i];
    }
    double slope = (train.length * sxy - sx * sy) / (train.length * sxx - sx * sx);
    double intercept = (sy - slope * sx) / train.length;
    double[][] refX = new double[ref.length][];
    double[] refPred = new double[ref.length];
    double[] refY = new double[ref.length];
    for (int i = 0; i < ref.length; i++) {
      refX[i] = x[ref[i]];
      refPred[i] = intercept + slope * x[ref[i]][0];
      refY[i] = target[ref[i]];
    }
    Dle dle = Dle.builder().seed(seed).fit(refX, refPred, refY);
    System.out.println("taxi: " + dle);
    double[] z = new double[pool.length];
    for (int i = 0; i < pool.length; i++) {
      z[i] = x[pool[i]][0];
    }
    int[] drawn = plantedShift(standardised(z), CHUNKS, size, maxLambda, rnd);
    double[][] cx = new double[drawn.length][];
    double[] cp = new double[drawn.length];
    double[] cy = new double[drawn.length];
    for (int i = 0; i < drawn.length; i++) {
      int r = pool[drawn[i]];
      cx[i] = x[r];
      cp[i] = intercept + slope * x[r][0];
      cy[i] = target[r];
    }
    List<ChunkEstimate> chunks = dle.evaluate(cx, cp, cy, Chunking.bySize(size));
    for (PerformanceMetric m : List.of(PerformanceMetric.MAE, PerformanceMetric.RMSE)) {
      BandStats s = PerformanceEstimationTest.stats(chunks, m);
      System.out.printf(Locale.ROOT, "DLE taxi (log duration), shift on distance (lambda %s), %d x %d rows, %-4s %s%n",
          maxLambda, CHUNKS, size, m, s);
    }
    return chunks;
  }

  static double haversineKm(double lat1, double lon1, double lat2, double lon2) {
    double dLat = Math.toRadians(lat2 - lat1);
    double dLon = Math.toRadians(lon2 - lon1);
    double a = Math.sin(dLat / 2) * Math.sin(dLat / 2)
        + Math.cos(Math.toRadians(lat1)) * Math.cos(Math.toRadians(lat2)) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 6371 * 2 * Math.asin(Math.sqrt(a));
  }
}
