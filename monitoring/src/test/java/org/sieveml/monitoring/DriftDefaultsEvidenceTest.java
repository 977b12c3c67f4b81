package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The evidence behind the default dataset check, on real data: false-alarm rates on iid splits
 * (both halves drawn without replacement from one sample, so every alarm is false) and detection
 * rates of a planted shift.
 *
 * <p>Categorical: the TalkingData AdTracking sample's hashed-id columns (ip: 34,857 distinct values
 * in 100,000 rows; app 161; device 100; os 130; channel 161). Each split draws two disjoint windows of
 * {@value #WINDOW} rows. The planted shift replaces the value of {@value #SHIFT_PERCENT} % of the
 * current window's rows (chosen at random) with one category, drawn per split uniformly from the
 * column's distinct values (a surge of one id, as from a bot or a new campaign; usually a rare id).
 *
 * <p>Run alone: {@code flock /tmp/sieveml-build.lock mvn -o -B verify -pl monitoring -am
 * -Dtest=DriftDefaultsEvidenceTest -Dsurefire.failIfNoSpecifiedTests=false}; the rates are logged.
 */
class DriftDefaultsEvidenceTest {

  private static final Logger LOG = LoggerFactory.getLogger(DriftDefaultsEvidenceTest.class);
  static final String[] COLUMNS = {"ip", "app", "device", "os", "channel"};
  static final int WINDOW = 5000;
  static final int SHIFT_PERCENT = 5;
  static final int NULL_SPLITS = 200;
  static final int SHIFT_SPLITS = 50;
  static final double ALPHA = 0.05;

  private static String[][] talkingData;

  @BeforeAll
  static void load() throws IOException {
    Path file = Elec2StreamTest.dataDir().resolve("ctr-talkingdata-adtracking/train_sample.csv");
    Assumptions.assumeTrue(Files.exists(file), "skipped: real data " + file.toAbsolutePath()
        + " not found (it lives in ../shared/data beside the project; set -Dsieveml.data.dir)");
    List<String> lines = Files.readAllLines(file);
    talkingData = new String[COLUMNS.length][lines.size() - 1];
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",", -1);
      for (int c = 0; c < COLUMNS.length; c++) {
        talkingData[c][i - 1] = f[c].intern();
      }
    }
  }

  /** Row indices whose first {@code window} are the reference and next {@code window} the current window. */
  static int[] disjointWindows(int rows, int window, SplittableRandom rnd) {
    int[] order = new int[rows];
    for (int i = 0; i < rows; i++) {
      order[i] = i;
    }
    for (int i = 0; i < 2 * window; i++) {
      int j = i + rnd.nextInt(rows - i);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Per column, the share of splits in which the check flagged the column. */
  static double[] rates(DriftCheck check, int splits, int shiftPermille, long seed) {
    int rows = talkingData[0].length;
    String[][] distinct = new String[COLUMNS.length][];
    for (int c = 0; c < COLUMNS.length; c++) {
      distinct[c] = Arrays.stream(talkingData[c]).distinct().sorted().toArray(String[]::new);
    }
    int[] flagged = new int[COLUMNS.length];
    for (int s = 0; s < splits; s++) {
      SplittableRandom rnd = new SplittableRandom(seed + s);
      int[] order = disjointWindows(rows, WINDOW, rnd);
      FeatureFrame.ColumnBuilder ref = FeatureFrame.builder(WINDOW);
      FeatureFrame.ColumnBuilder cur = FeatureFrame.builder(WINDOW);
      for (int c = 0; c < COLUMNS.length; c++) {
        String[] a = new String[WINDOW];
        String[] b = new String[WINDOW];
        String surge = distinct[c][rnd.nextInt(distinct[c].length)];
        for (int i = 0; i < WINDOW; i++) {
          a[i] = talkingData[c][order[i]];
          b[i] = rnd.nextInt(1000) < shiftPermille ? surge : talkingData[c][order[WINDOW + i]];
        }
        ref.addString(COLUMNS[c], a);
        cur.addString(COLUMNS[c], b);
      }
      DriftReport report = check.run("split " + s, ref.build(), cur.build());
      for (int c = 0; c < COLUMNS.length; c++) {
        String name = COLUMNS[c];
        if (report.feature(name).drifted()) {
          flagged[c]++;
        }
      }
    }
    double[] out = new double[COLUMNS.length];
    for (int c = 0; c < COLUMNS.length; c++) {
      out[c] = (double) flagged[c] / splits;
    }
    return out;
  }

  static String show(double[] rates) {
    return show(COLUMNS, rates);
  }

  @Test
  void defaultCategoricalCheckHoldsItsLevelOnIidSplitsOfHighCardinalityColumns() {
    double[] fa = rates(DriftCheck.builder().build(), NULL_SPLITS, 0, 1000);
    LOG.info("TalkingData iid splits ({} x {} rows), default check false-alarm rate per column: {}", NULL_SPLITS,
        WINDOW, show(fa));
    for (int c = 0; c < COLUMNS.length; c++) {
      assertTrue(fa[c] <= 2 * ALPHA, COLUMNS[c] + " false-alarm rate " + fa[c] + " > 2 alpha; " + show(fa));
    }
  }

  @Test
  void defaultCategoricalCheckDetectsAPlantedShift() {
    double[] hit = rates(DriftCheck.builder().build(), SHIFT_SPLITS, 10 * SHIFT_PERCENT, 5000);
    LOG.info("TalkingData planted shift ({} % of current rows set to one category), detection rate: {}",
        SHIFT_PERCENT, show(hit));
    double[] small = rates(DriftCheck.builder().build(), SHIFT_SPLITS, 5, 5000);
    LOG.info("TalkingData planted shift (0.5 % of current rows set to one category), detection rate: {}",
        show(small));
    for (int c = 0; c < COLUMNS.length; c++) {
      assertTrue(hit[c] >= 0.8, COLUMNS[c] + " detection rate " + hit[c] + " < 0.8; " + show(hit));
    }
  }

  @Test
  void theCriteriaRejectChecksThatNeverOrAlwaysFire() {
    // a check that never fires (significance level 1e-300) fails the detection criterion ...
    DriftCheck.Builder never = DriftCheck.builder();
    DriftCheck.Builder js = DriftCheck.builder();
    for (String c : COLUMNS) {
      never.method(c, DriftMethod.CHI_SQUARE).threshold(c, 1e-300);
      js.method(c, DriftMethod.JENSEN_SHANNON).threshold(c, DriftMethod.JENSEN_SHANNON.defaultThreshold());
    }
    double[] hit = rates(never.build(), 10, 10 * SHIFT_PERCENT, 5000);
    assertTrue(Arrays.stream(hit).allMatch(h -> h < 0.8), "a check that never fires passed: " + show(hit));
    // ... and Jensen-Shannon at a fixed 0.1 (the former large-sample default) alarms on iid splits
    double[] fa = rates(js.build(), 10, 0, 1000);
    LOG.info("TalkingData iid splits, Jensen-Shannon >= 0.1 false-alarm rate per column: {}", show(fa));
    assertTrue(Arrays.stream(fa).anyMatch(r -> r > 2 * ALPHA), "JS 0.1 held its level: " + show(fa));
  }

  /** ELEC2's numeric columns (all but the label), or null when the data is absent. */
  static double[][] elec2() throws IOException {
    Path file = Elec2StreamTest.dataDir().resolve("drift-elec2/electricity.csv");
    Assumptions.assumeTrue(Files.exists(file), "skipped: real data " + file.toAbsolutePath()
        + " not found (it lives in ../shared/data beside the project; set -Dsieveml.data.dir)");
    List<String> lines = Files.readAllLines(file);
    double[][] cols = new double[ELEC2.length][lines.size() - 1];
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(",");
      for (int c = 0; c < ELEC2.length; c++) {
        cols[c][i - 1] = Double.parseDouble(f[c]);
      }
    }
    return cols;
  }

  static final String[] ELEC2 = {"date", "day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand",
      "transfer"};

  /** Per column, the share of iid splits (two disjoint random windows) the default check flags. */
  static double[] numericFalseAlarms(String[] names, double[][] cols, int window, int splits, long seed) {
    int[] flagged = new int[names.length];
    DriftCheck check = DriftCheck.builder().build();
    for (int s = 0; s < splits; s++) {
      int[] order = disjointWindows(cols[0].length, window, new SplittableRandom(seed + s));
      FeatureFrame.ColumnBuilder ref = FeatureFrame.builder(window);
      FeatureFrame.ColumnBuilder cur = FeatureFrame.builder(window);
      for (int c = 0; c < names.length; c++) {
        double[] a = new double[window];
        double[] b = new double[window];
        for (int i = 0; i < window; i++) {
          a[i] = cols[c][order[i]];
          b[i] = cols[c][order[window + i]];
        }
        ref.addDouble(names[c], a);
        cur.addDouble(names[c], b);
      }
      DriftReport report = check.run("split " + s, ref.build(), cur.build());
      for (int c = 0; c < names.length; c++) {
        if (report.feature(names[c]).drifted()) {
          flagged[c]++;
        }
      }
    }
    double[] out = new double[names.length];
    for (int c = 0; c < names.length; c++) {
      out[c] = (double) flagged[c] / splits;
    }
    return out;
  }

  static String show(String[] names, double[] rates) {
    StringBuilder b = new StringBuilder();
    for (int c = 0; c < names.length; c++) {
      b.append(String.format("%s %.3f  ", names[c], rates[c]));
    }
    return b.toString().trim();
  }

  @Test
  void defaultNumericCheckHoldsItsLevelOnIidSplitsOfElec2AndSyntheticStreams() throws IOException {
    // synthetic no-drift streams: continuous, heavy-tailed, and discrete with heavy ties
    String[] synth = {"gaussian", "lognormal", "rounded", "fiveLevels"};
    SplittableRandom g = new SplittableRandom(17);
    double[][] sc = new double[synth.length][20000];
    for (int i = 0; i < 20000; i++) {
      double z = Math.sqrt(-2 * Math.log(1 - g.nextDouble())) * Math.cos(2 * Math.PI * g.nextDouble());
      sc[0][i] = z;
      sc[1][i] = Math.exp(2 * z);
      sc[2][i] = Math.round(z * 2) / 2.0;
      sc[3][i] = g.nextInt(5);
    }
    for (int window : new int[] {500, 5000}) {
      double[] fa = numericFalseAlarms(synth, sc, window, 100, 300);
      LOG.info("synthetic iid splits (100 x {} rows), default check false-alarm rate: {}", window, show(synth, fa));
      for (double r : fa) {
        assertTrue(r <= 2 * ALPHA, window + ": " + show(synth, fa));
      }
    }
    double[][] elec = elec2();
    for (int window : new int[] {500, 5000}) {
      double[] fa = numericFalseAlarms(ELEC2, elec, window, 100, 400);
      LOG.info("ELEC2 iid splits (100 x {} rows), default check false-alarm rate: {}", window, show(ELEC2, fa));
      for (int c = 0; c < ELEC2.length; c++) {
        // known limit, documented: vicprice (a long constant stretch, then price spikes) is where the
        // Wasserstein / sigma = 0.1 rule overshoots its level on large windows (0.12 measured)
        double bound = ELEC2[c].equals("vicprice") && window > DriftTests.SMALL_SAMPLE ? 0.2 : 2 * ALPHA;
        assertTrue(fa[c] <= bound, window + ": " + show(ELEC2, fa));
      }
    }
  }
}
