package org.sieveml.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.monitoring.ChangeDetector;
import org.sieveml.monitoring.Ddm;
import org.sieveml.monitoring.DetectorState;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.ranking.ClassificationMetrics;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;

/**
 * The fraud case study: score every card transaction as it happens.
 *
 * <p>On seeded data the transaction stream is replayed in time order through a {@link FeatureStore}
 * with per-card velocity windows (transactions and amount in the last 1 h and 24 h); the first 60 %
 * train a weighted {@link GbdtRanker} on point-in-time features, and every later transaction is
 * scored online at its own time. The alert threshold is the score at 1 % false-positive rate on the
 * training data. Confirmed frauds feed a {@link Ddm} concept-drift detector with 1 for a missed fraud
 * and 0 for a caught one; the seeded fraudsters change tactics on day 10 and the study reports when
 * the detector fires. On the ULB sample (no card ids, so no windows) the 28 PCA components, amount
 * and hour are the features, and negatives are weighted so the base rate is the true 0.172 %.
 * Reported: PR-AUC, ROC-AUC, recall at 1 % false-positive rate. Stateless; {@link #run} is
 * thread-safe.
 */
public final class FraudStudy {

  static final FeatureSchema VELOCITY = FeatureSchema.builder()
      .addDouble("count_1h")
      .addDouble("count_24h")
      .addDouble("amount_sum_1h")
      .addDouble("amount_sum_24h")
      .addDouble("amount")
      .addDouble("amount_vs_24h_mean")
      .addDouble("hour")
      .addString("category")
      .build();

  /** The real fraud rate the ULB sample is reweighted to. */
  static final double TRUE_BASE_RATE = 0.00172;

  private FraudStudy() {}

  /**
   * The figures of one run.
   *
   * @param data the data set's name
   * @param testTxns transactions scored
   * @param testFrauds frauds among them
   * @param prAuc PR-AUC (at the true base rate for the ULB sample)
   * @param rocAuc ROC-AUC
   * @param recallAt1PctFpr recall at the score where 1 % of the test's honest transactions are flagged
   * @param detections times the detector fired (epoch milliseconds)
   * @param changeMillis the planted change, or {@code Long.MAX_VALUE}
   * @param missRateBefore share of frauds missed at the training threshold before the change
   * @param missRateAfter the same after the change
   * @param prCurve the precision-recall curve {@code {recall[], precision[]}} over the test scores (weighted
   *     to the true base rate for the ULB sample)
   */
  public record Result(String data, int testTxns, int testFrauds, double prAuc, double rocAuc, double recallAt1PctFpr,
      List<Long> detections, long changeMillis, double missRateBefore, double missRateAfter, double[][] prCurve) {

    /**
     * The first detection at or after the planted change.
     *
     * @return its time, or {@code -1} when none
     */
    public long firstDetectionAfterChange() {
      return detections.stream().filter(t -> t >= changeMillis).findFirst().orElse(-1L);
    }
  }

  /**
   * Runs the study.
   *
   * @param data the transactions
   * @param seed the model's seed
   * @param out progress and the summary
   * @param report where to write the HTML report, or null
   * @return the figures
   */
  public static Result run(FraudData data, long seed, PrintStream out, Path report) {
    long frauds = data.txns().stream().filter(FraudData.Txn::fraud).count();
    out.printf(Locale.ROOT, "[data]       %s: %,d transactions, %,d frauds (%.3f %%)%n", data.name(), data.txns().size(),
        frauds, 100.0 * frauds / data.txns().size());
    Result r = data.pcaColumns() > 0 ? runStatic(data, seed, out) : runStreaming(data, seed, out);
    out.println();
    out.printf(Locale.ROOT, "Test period: %,d transactions, %,d frauds%n", r.testTxns(), r.testFrauds());
    out.printf(Locale.ROOT, "  PR-AUC %.4f   ROC-AUC %.4f   recall at 1 %% FPR %.3f%n", r.prAuc(), r.rocAuc(),
        r.recallAt1PctFpr());
    if (r.changeMillis() != Long.MAX_VALUE) {
      long first = r.firstDetectionAfterChange();
      out.printf(Locale.ROOT, "  missed frauds at the alert threshold: %.1f %% before the planted change, %.1f %% after%n",
          100 * r.missRateBefore(), 100 * r.missRateAfter());
      out.printf(Locale.ROOT, "  DDM on the missed-fraud stream: %d detection(s); first after the change %s%n",
          r.detections().size(), first < 0 ? "none" : String.format(Locale.ROOT, "%.1f h after it",
              (first - r.changeMillis()) / 3_600_000.0));
    }
    if (report != null) {
      writeReport(r, report);
      out.println("[report]     " + report.toAbsolutePath());
    }
    return r;
  }

  private static Result runStreaming(FraudData data, long seed, PrintStream out) {
    List<FraudData.Txn> txns = data.txns();
    int split = (int) (txns.size() * 0.6);
    Entity card = Entity.builder("card").joinKey("card_id").build();
    AggregationView velocity = AggregationView.builder("card_velocity").entity(card)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofHours(1)).count(Duration.ofHours(24))
        .aggregate("amount", Aggregation.SUM, Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofHours(24))
        .bucket(Duration.ofMinutes(5)).build();
    FeatureService service = FeatureService.builder("fraud_v1").features("card_velocity").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(card);
    registry.apply(velocity);
    registry.apply(service);
    AtomicLong now = new AtomicLong(txns.get(0).time());
    FeatureStore store = FeatureStore.builder(registry).clock(now::get).build();

    long t0 = System.nanoTime();
    GbdtRanker model = null;
    double threshold = Double.NaN;
    List<Double> scores = new ArrayList<>();
    List<Double> labels = new ArrayList<>();
    List<Long> detections = new ArrayList<>();
    ChangeDetector ddm = new Ddm();
    int[] missed = new int[2];
    int[] seen = new int[2];
    boolean trained = false;
    for (int g = 0; g < txns.size(); ) {
      long time = txns.get(g).time();
      int end = g;
      EventBatch.Builder batch = EventBatch.builder(velocity.inputSchema());
      while (end < txns.size() && txns.get(end).time() == time) {
        batch.add(card.key(txns.get(end).card()), time, time, txns.get(end).amount());
        end++;
      }
      now.set(time);
      store.push("card_velocity", batch.build());
      if (!trained && end > split) {
        long tt = System.nanoTime();
        List<FraudData.Txn> train = txns.subList(0, split);
        FeatureFrame frame = pointInTime(store, service, train);
        double[] y = new double[train.size()];
        int pos = 0;
        for (int i = 0; i < y.length; i++) {
          y[i] = train.get(i).fraud() ? 1 : 0;
          pos += (int) y[i];
        }
        double[] w = new double[y.length];
        double posWeight = (y.length - pos) / (double) Math.max(1, pos);
        for (int i = 0; i < y.length; i++) {
          w[i] = y[i] > 0 ? posWeight : 1;
        }
        model = GbdtRanker.trainer(FeatureEncoder.builder(VELOCITY).hashed("category", 32).build()).name("fraud-gbdt")
            .rounds(120).maxDepth(5).eta(0.1).seed(seed).threads(2).train(frame, y, w);
        threshold = thresholdAtFpr(model.predict(frame), y, 0.01);
        trained = true;
        out.printf(Locale.ROOT, "[train]      point-in-time velocity features for %,d transactions (%d frauds, "
            + "weight %.0f each), GBDT in %d ms; alert threshold at 1 %% FPR: %.4f%n", y.length, pos, posWeight,
            (System.nanoTime() - tt) / 1_000_000, threshold);
      }
      for (int n = Math.max(g, split); n < end; n++) {
        FraudData.Txn t = txns.get(n);
        FeatureVector v = assemble(t, store.getOnlineFeatures(List.of(card.key(t.card())), service).vector(0));
        double p = model.predict(v);
        scores.add(p);
        labels.add(t.fraud() ? 1.0 : 0.0);
        if (t.fraud()) {
          // a confirmed fraud (chargeback): 1 when the alert missed it
          boolean miss = p < threshold;
          int phase = t.time() >= data.changeMillis() ? 1 : 0;
          seen[phase]++;
          missed[phase] += miss ? 1 : 0;
          if (ddm.update(miss ? 1 : 0) == DetectorState.DRIFT) {
            detections.add(t.time());
            out.printf(Locale.ROOT, "[monitor]    DDM: concept drift on the missed-fraud stream at %s%n",
                java.time.Instant.ofEpochMilli(t.time()));
          }
        }
      }
      g = end;
    }
    out.printf(Locale.ROOT, "[replay]     %,d transactions pushed to card_velocity (count and amount over 1 h and "
        + "24 h), %,d scored online, in %d ms%n", txns.size(), scores.size(), (System.nanoTime() - t0) / 1_000_000);
    store.close();
    double[] p = scores.stream().mapToDouble(Double::doubleValue).toArray();
    double[] y = labels.stream().mapToDouble(Double::doubleValue).toArray();
    return new Result(data.name(), p.length, (int) Arrays.stream(y).sum(), ClassificationMetrics.prAuc(p, y),
        ClassificationMetrics.rocAuc(p, y), recallAtFpr(p, y, 0.01), detections, data.changeMillis(),
        seen[0] == 0 ? Double.NaN : missed[0] / (double) seen[0], seen[1] == 0 ? Double.NaN : missed[1] / (double) seen[1],
        prCurve(p, y, null));
  }

  private static FeatureFrame pointInTime(FeatureStore store, FeatureService service, List<FraudData.Txn> txns) {
    long[] ids = new long[txns.size()];
    long[] times = new long[txns.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = txns.get(i).card();
      times[i] = txns.get(i).time();
    }
    FeatureFrame f = store.getHistoricalFeatures(EntityRows.ofLongKeys(ids, times, null), service).frame();
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(VELOCITY);
    for (int i = 0; i < ids.length; i++) {
      b.add(assemble(txns.get(i), f.row(i)));
    }
    return b.build();
  }

  /** The request-time transform shared by training and scoring. */
  private static FeatureVector assemble(FraudData.Txn t, FeatureVector windows) {
    double count24 = RecommendationStudy.num(windows, "count_1d");
    double sum24 = RecommendationStudy.num(windows, "amount_sum_1d");
    return FeatureVector.builder(VELOCITY)
        .setDouble(0, RecommendationStudy.num(windows, "count_1h"))
        .setDouble(1, count24)
        .setDouble(2, RecommendationStudy.num(windows, "amount_sum_1h"))
        .setDouble(3, sum24)
        .setDouble(4, t.amount())
        .setDouble(5, count24 > 0 ? t.amount() / (sum24 / count24) : 1)
        .setDouble(6, (t.time() / 3_600_000L) % 24)
        .setString(7, Integer.toString(t.merchantCategory()))
        .build();
  }

  private static Result runStatic(FraudData data, long seed, PrintStream out) {
    List<FraudData.Txn> txns = data.txns();
    int split = (int) (txns.size() * 0.7);
    List<FeatureSpec> specs = new ArrayList<>();
    for (int k = 1; k <= data.pcaColumns(); k++) {
      specs.add(FeatureSpec.of("v" + k, FeatureType.DOUBLE));
    }
    specs.add(FeatureSpec.of("amount", FeatureType.DOUBLE));
    specs.add(FeatureSpec.of("hour", FeatureType.DOUBLE));
    FeatureSchema schema = FeatureSchema.of(specs);
    long pos = txns.stream().filter(FraudData.Txn::fraud).count();
    long neg = txns.size() - pos;
    // weight negatives so that frauds are 0.172 % of the weighted total
    double negWeight = pos * (1 - TRUE_BASE_RATE) / TRUE_BASE_RATE / neg;
    FeatureFrame train = frame(schema, txns.subList(0, split));
    FeatureFrame test = frame(schema, txns.subList(split, txns.size()));
    double[] y = labels(txns.subList(0, split));
    double[] w = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      w[i] = y[i] > 0 ? 1 : negWeight;
    }
    long tt = System.nanoTime();
    GbdtRanker model = GbdtRanker.trainer(FeatureEncoder.builder(schema).build()).name("fraud-gbdt").rounds(120)
        .maxDepth(4).eta(0.1).seed(seed).threads(2).train(train, y, w);
    out.printf(Locale.ROOT, "[train]      no card ids in this data, so no velocity windows: 28 PCA components, amount "
        + "and hour; negatives weighted %.1f (true base rate %.3f %%); time-ordered split; GBDT in %d ms%n", negWeight,
        100 * TRUE_BASE_RATE, (System.nanoTime() - tt) / 1_000_000);
    double[] p = model.predict(test);
    double[] yt = labels(txns.subList(split, txns.size()));
    double[] wt = new double[yt.length];
    for (int i = 0; i < yt.length; i++) {
      wt[i] = yt[i] > 0 ? 1 : negWeight;
    }
    return new Result(data.name(), p.length, (int) Arrays.stream(yt).sum(), ClassificationMetrics.prAuc(p, yt, wt),
        ClassificationMetrics.rocAuc(p, yt), recallAtFpr(p, yt, 0.01), List.of(), Long.MAX_VALUE, Double.NaN,
        Double.NaN, prCurve(p, yt, wt));
  }

  private static FeatureFrame frame(FeatureSchema schema, List<FraudData.Txn> txns) {
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(schema);
    FeatureVector.Builder v = FeatureVector.builder(schema);
    for (FraudData.Txn t : txns) {
      for (int k = 0; k < t.pca().length; k++) {
        v.setDouble(k, t.pca()[k]);
      }
      v.setDouble(t.pca().length, t.amount());
      v.setDouble(t.pca().length + 1, (t.time() / 3_600_000L) % 24);
      b.add(v.build());
    }
    return b.build();
  }

  private static double[] labels(List<FraudData.Txn> txns) {
    double[] y = new double[txns.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = txns.get(i).fraud() ? 1 : 0;
    }
    return y;
  }

  /** Recall and precision at every distinct score, highest first, thinned to at most 200 points. */
  static double[][] prCurve(double[] p, double[] y, double[] w) {
    Integer[] order = new Integer[p.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
    double pos = 0;
    for (int i = 0; i < y.length; i++) {
      pos += y[i] > 0 ? (w == null ? 1 : w[i]) : 0;
    }
    List<double[]> pts = new ArrayList<>();
    double tp = 0;
    double fp = 0;
    for (int r = 0; r < order.length; r++) {
      int i = order[r];
      double wi = w == null ? 1 : w[i];
      if (y[i] > 0) {
        tp += wi;
      } else {
        fp += wi;
      }
      if (r + 1 == order.length || p[order[r + 1]] != p[i]) {
        pts.add(new double[] {tp / pos, tp / (tp + fp)});
      }
    }
    int step = Math.max(1, pts.size() / 200);
    List<double[]> thin = new ArrayList<>();
    for (int k = 0; k < pts.size(); k += step) {
      thin.add(pts.get(k));
    }
    thin.add(pts.get(pts.size() - 1));
    double[][] out = new double[2][thin.size()];
    for (int k = 0; k < thin.size(); k++) {
      out[0][k] = thin.get(k)[0];
      out[1][k] = thin.get(k)[1];
    }
    return out;
  }

  /** The score above which a share {@code fpr} of the negatives lie. */
  static double thresholdAtFpr(double[] p, double[] y, double fpr) {
    double[] neg = new double[p.length];
    int n = 0;
    for (int i = 0; i < p.length; i++) {
      if (y[i] == 0) {
        neg[n++] = p[i];
      }
    }
    double[] s = Arrays.copyOf(neg, n);
    Arrays.sort(s);
    int idx = Math.min(n - 1, (int) Math.ceil((1 - fpr) * n));
    return n == 0 ? 0.5 : s[Math.max(0, idx)];
  }

  /** Recall at the threshold where a share {@code fpr} of the negatives are flagged. */
  static double recallAtFpr(double[] p, double[] y, double fpr) {
    double t = thresholdAtFpr(p, y, fpr);
    int pos = 0;
    int hit = 0;
    for (int i = 0; i < p.length; i++) {
      if (y[i] > 0) {
        pos++;
        hit += p[i] > t ? 1 : 0;
      }
    }
    return pos == 0 ? Double.NaN : hit / (double) pos;
  }

  private static void writeReport(Result r, Path file) {
    StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>SieveML fraud "
        + "study</title><style>body{font-family:sans-serif;margin:2em}</style></head><body><h1>Fraud case study</h1>");
    h.append(String.format(Locale.ROOT, "<p>%s: %d test transactions, %d frauds. PR-AUC %.4f, ROC-AUC %.4f, recall at "
        + "1 %% FPR %.3f.</p>", r.data().replace("<", "&lt;"), r.testTxns(), r.testFrauds(), r.prAuc(), r.rocAuc(),
        r.recallAt1PctFpr()));
    if (r.changeMillis() != Long.MAX_VALUE) {
      h.append(String.format(Locale.ROOT, "<h2>Concept drift</h2><p>Missed frauds at the alert threshold: %.1f %% "
          + "before the planted change, %.1f %% after. DDM detections on the missed-fraud stream (hours after the "
          + "change): %s</p>", 100 * r.missRateBefore(), 100 * r.missRateAfter(), r.detections().stream()
          .map(t -> String.format(Locale.ROOT, "%.1f", (t - r.changeMillis()) / 3_600_000.0)).toList()));
    }
    h.append("<h2>Precision-recall curve</h2>").append(prSvg(r.prCurve()));
    h.append("</body></html>\n");
    Cli.writeReport(file, h);
  }

  static String prSvg(double[][] pr) {
    int size = 360;
    int l = 50;
    int top = 15;
    int pw = size - l - 15;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\"><rect x=\"%d\" y=\"%d\" "
            + "width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>", size, size, l, top, pw, pw));
    for (int t = 0; t <= 4; t++) {
      double v = t / 4.0;
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%.2f"
          + "</text><text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%.2f</text>", l + v * pw,
          top + pw + 13, v, l - 4, top + pw - v * pw + 3, v));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">recall</text>", l + pw / 2 - 15,
        size - 3));
    s.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 12 %d)\">precision</text>", top + pw / 2, top + pw / 2));
    StringBuilder path = new StringBuilder();
    for (int k = 0; k < pr[0].length; k++) {
      path.append(k == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", l + pr[0][k] * pw,
          top + pw - pr[1][k] * pw));
    }
    return s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"#d62728\"/></svg>").toString();
  }

  /**
   * Runs the study from the command line: {@code [--data DIR] [--cards N] [--seed S] [--report FILE]}.
   *
   * @param args the options; {@code --data} names the shared data directory (ULB sample)
   */
  public static void main(String[] args) {
    Map<String, String> o = Cli.options(args, "--data", "--cards", "--seed", "--report");
    long seed = Long.parseLong(o.getOrDefault("--seed", "42"));
    FraudData data = o.containsKey("--data")
        ? FraudData.ulb(Path.of(o.get("--data")).resolve("fraud-creditcard-ulb-sample"))
        : FraudData.seeded(Integer.parseInt(o.getOrDefault("--cards", "8000")), seed);
    System.out.println("SieveML case study: card fraud (velocity windows, imbalance, concept drift)");
    run(data, seed, System.out, Path.of(o.getOrDefault("--report", "target/fraud-report.html")));
  }
}
