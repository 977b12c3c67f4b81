package org.sieveml.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.AggregationView;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.ranking.Calibrator;
import org.sieveml.ranking.ClassificationMetrics;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;

/**
 * The ad click/conversion case study: will this click lead to an app download?
 *
 * <p>The click stream is replayed in time order through a {@link FeatureStore}: every click is pushed
 * to windowed click counts per ip, app and channel (1 h and 1 day), and every conversion is pushed at
 * its attribution time, never earlier, to conversion counts per app and channel, from which the
 * historical conversion rate is computed at request time. The first 70 % of the clicks train a
 * {@link GbdtRanker} on point-in-time features (so no label leaks), with hashed app, channel and os
 * ids, all positives and 10 % of the negatives; the prediction is corrected for the downsampling with
 * {@code q = p / (p + (1 - p) / w)} ({@link Calibrator#downsampling}). Each later click is scored
 * online at its own time, as a server would, and the replay checks that online features equal the
 * point-in-time join. Reported: ROC-AUC, PR-AUC, log loss, normalized entropy, calibration ratio and
 * expected calibration error, with and without the correction, and the reliability curve. Stateless;
 * {@link #run} is thread-safe.
 */
public final class AdClickStudy {

  static final FeatureSchema MODEL = FeatureSchema.builder()
      .addDouble("ip_clicks_1h")
      .addDouble("ip_clicks_1d")
      .addDouble("app_clicks_1d")
      .addDouble("app_cvr_1d")
      .addDouble("channel_clicks_1d")
      .addDouble("channel_cvr_1d")
      .addDouble("hour")
      .addString("app")
      .addString("channel")
      .addString("os")
      .addString("device")
      .build();

  static final double NEGATIVE_RATE = 0.1;

  private AdClickStudy() {}

  /**
   * The figures of one run.
   *
   * @param data the data set's name
   * @param trainRows rows the model saw after downsampling
   * @param testClicks clicks scored online
   * @param baseRate the test period's conversion rate
   * @param calibrated metrics of the corrected predictions: auc, pr_auc, log_loss, ne, calibration_ratio, ece
   * @param raw the same metrics of the downsampled model's raw predictions
   * @param reliability the corrected predictions' reliability curve {@code {meanPredicted[], observed[], count[]}}
   * @param maxSkew the largest difference between an online feature and the point-in-time join
   */
  public record Result(String data, int trainRows, int testClicks, double baseRate, Map<String, Double> calibrated,
      Map<String, Double> raw, double[][] reliability, double maxSkew) {}

  /**
   * Runs the study.
   *
   * @param data the clicks
   * @param seed the model's seed
   * @param out progress and the summary
   * @param report where to write the HTML report, or null
   * @return the figures
   */
  public static Result run(AdData data, long seed, PrintStream out, Path report) {
    List<AdData.Click> clicks = data.clicks();
    int split = (int) (clicks.size() * 0.7);
    long tSplit = clicks.get(split).time();
    out.printf(Locale.ROOT, "[data]       %s: %,d clicks, %.3f %% converted; training on the first %,d%n", data.name(),
        clicks.size(), 100.0 * clicks.stream().filter(AdData.Click::converted).count() / clicks.size(), split);

    Entity ip = Entity.builder("ip").joinKey("ip").build();
    Entity app = Entity.builder("app").joinKey("app").build();
    Entity channel = Entity.builder("channel").joinKey("channel").build();
    FeatureSpec one = FeatureSpec.of("n", FeatureType.DOUBLE);
    AggregationView ipClicks = AggregationView.builder("ip_clicks").entity(ip).input(one)
        .count(Duration.ofHours(1)).count(Duration.ofDays(1)).bucket(Duration.ofMinutes(5)).build();
    AggregationView appClicks = AggregationView.builder("app_clicks").entity(app).input(one)
        .count(Duration.ofDays(1)).bucket(Duration.ofMinutes(5)).build();
    AggregationView appConversions = AggregationView.builder("app_conversions").entity(app).input(one)
        .count(Duration.ofDays(1)).bucket(Duration.ofMinutes(5)).build();
    AggregationView channelClicks = AggregationView.builder("channel_clicks").entity(channel).input(one)
        .count(Duration.ofDays(1)).bucket(Duration.ofMinutes(5)).build();
    AggregationView channelConversions = AggregationView.builder("channel_conversions").entity(channel).input(one)
        .count(Duration.ofDays(1)).bucket(Duration.ofMinutes(5)).build();
    FeatureService ipService = FeatureService.builder("ip_activity").features("ip_clicks").build();
    FeatureService appService = FeatureService.builder("app_activity").fullFeatureNames(true)
        .features("app_clicks").features("app_conversions").build();
    FeatureService channelService = FeatureService.builder("channel_activity").fullFeatureNames(true)
        .features("channel_clicks").features("channel_conversions").build();
    FeatureRegistry registry = new FeatureRegistry();
    for (Object d : List.of(ip, app, channel, ipClicks, appClicks, appConversions, channelClicks, channelConversions,
        ipService, appService, channelService)) {
      if (d instanceof Entity e) {
        registry.apply(e);
      } else if (d instanceof AggregationView v) {
        registry.apply(v);
      } else {
        registry.apply((FeatureService) d);
      }
    }
    AtomicLong now = new AtomicLong(clicks.get(0).time());
    FeatureStore store = FeatureStore.builder(registry).clock(now::get).build();

    // ---- replay: pushes in time order; conversions become visible at their attribution time
    long t0 = System.nanoTime();
    java.util.PriorityQueue<AdData.Click> pending = new java.util.PriorityQueue<>(
        java.util.Comparator.comparingLong(AdData.Click::attributedTime));
    GbdtRanker model = null;
    int trainRows = 0;
    List<Double> testP = new ArrayList<>();
    List<Double> testY = new ArrayList<>();
    List<AdData.Click> sampled = new ArrayList<>();
    List<FeatureVector> sampledOnline = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(seed);
    int progressStep = Math.max(1, clicks.size() / 10);
    boolean trained = false;
    int reported = 0;
    for (int g = 0; g < clicks.size(); ) {
      // clicks of one timestamp are pushed together, then scored: the point-in-time join also sees
      // every event with event time <= t
      long time = clicks.get(g).time();
      int end = g;
      while (end < clicks.size() && clicks.get(end).time() == time) {
        end++;
      }
      now.set(time);
      while (!pending.isEmpty() && pending.peek().attributedTime() <= time) {
        AdData.Click conv = pending.poll();
        store.push("app_conversions", single(appConversions, app.key(conv.app()), conv.attributedTime()));
        store.push("channel_conversions", single(channelConversions, channel.key(conv.channel()),
            conv.attributedTime()));
      }
      for (int n = g; n < end; n++) {
        AdData.Click c = clicks.get(n);
        store.push("ip_clicks", single(ipClicks, ip.key(c.ip()), c.time()));
        store.push("app_clicks", single(appClicks, app.key(c.app()), c.time()));
        store.push("channel_clicks", single(channelClicks, channel.key(c.channel()), c.time()));
        if (c.converted()) {
          pending.add(c);
        }
      }
      if (!trained && end > split) {
        long tt = System.nanoTime();
        Trained t = train(store, clicks.subList(0, split), ipService, appService, channelService, seed, rnd);
        model = t.model();
        trainRows = t.rows();
        trained = true;
        out.printf(Locale.ROOT, "[train]      point-in-time features for %,d clicks, GBDT on %,d rows (all positives, "
            + "%.0f %% of negatives) in %d ms%n", split, trainRows, 100 * NEGATIVE_RATE, (System.nanoTime() - tt) / 1_000_000);
      }
      for (int n = Math.max(g, split); n < end; n++) {
        AdData.Click c = clicks.get(n);
        FeatureVector v = online(store, c, ip, app, channel, ipService, appService, channelService);
        testP.add(model.predict(v));
        testY.add(c.converted() ? 1.0 : 0.0);
        if (rnd.nextDouble() < 0.02 && sampled.size() < 1000) {
          sampled.add(c);
          sampledOnline.add(v);
        }
      }
      g = end;
      if (g / progressStep > reported) {
        reported = g / progressStep;
        out.printf(Locale.ROOT, "[replay]     %,d / %,d clicks (%d %%)%n", g, clicks.size(), 100L * g / clicks.size());
      }
    }
    out.printf(Locale.ROOT, "[replay]     %,d clicks pushed to 5 windowed views, %,d scored online, in %d ms%n",
        clicks.size(), testP.size(), (System.nanoTime() - t0) / 1_000_000);

    // ---- online == offline on a sample of the scored clicks
    FeatureFrame offline = features(store, sampled, ipService, appService, channelService);
    double maxSkew = 0;
    for (int i = 0; i < sampled.size(); i++) {
      FeatureVector a = sampledOnline.get(i);
      FeatureVector b = offline.row(i);
      for (int f = 0; f < 7; f++) {
        maxSkew = Math.max(maxSkew, Math.abs(a.asDouble(f) - b.asDouble(f)));
      }
    }
    out.printf(Locale.ROOT, "[skew]       %d sampled clicks: online features vs point-in-time join, largest "
        + "difference %.3g%n", sampled.size(), maxSkew);

    double[] p = testP.stream().mapToDouble(Double::doubleValue).toArray();
    double[] y = testY.stream().mapToDouble(Double::doubleValue).toArray();
    double[] q = Calibrator.downsampling(NEGATIVE_RATE).calibrate(p);
    Map<String, Double> cal = metrics(q, y);
    Map<String, Double> raw = metrics(p, y);
    double[][] rel = ClassificationMetrics.reliabilityCurve(q, y, 10);
    double base = java.util.Arrays.stream(y).average().orElse(0);
    Result r = new Result(data.name(), trainRows, p.length, base, cal, raw, rel, maxSkew);
    out.println();
    out.printf(Locale.ROOT, "Test period (%,d clicks scored online, conversion rate %.3f %%):%n", p.length, 100 * base);
    out.printf(Locale.ROOT, "  %-34s %8s %8s %9s %7s %10s %7s%n", "", "ROC-AUC", "PR-AUC", "log loss", "NE",
        "calib.", "ECE");
    row(out, "GBDT, downsampling corrected", cal);
    row(out, "GBDT, raw (downsampled scale)", raw);
    out.printf(Locale.ROOT, "  %-34s %8s %8s %9.5f %7.3f %10s %7s%n", "base rate", "0.5", "-",
        ClassificationMetrics.baseRateLogLoss(y), 1.0, "1.000", "-");
    if (report != null) {
      writeReport(r, report);
      out.println("[report]     " + report.toAbsolutePath());
    }
    store.close();
    return r;
  }

  private static void row(PrintStream out, String label, Map<String, Double> m) {
    out.printf(Locale.ROOT, "  %-34s %8.4f %8.4f %9.5f %7.3f %10.3f %7.4f%n", label, m.get("auc"), m.get("pr_auc"),
        m.get("log_loss"), m.get("ne"), m.get("calibration_ratio"), m.get("ece"));
  }

  static Map<String, Double> metrics(double[] p, double[] y) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("auc", ClassificationMetrics.rocAuc(p, y));
    m.put("pr_auc", ClassificationMetrics.prAuc(p, y));
    m.put("log_loss", ClassificationMetrics.logLoss(p, y));
    m.put("ne", ClassificationMetrics.normalizedEntropy(p, y));
    m.put("calibration_ratio", ClassificationMetrics.calibrationRatio(p, y));
    m.put("ece", ClassificationMetrics.expectedCalibrationError(p, y, 10));
    return m;
  }

  private static EventBatch single(AggregationView view, EntityKey key, long time) {
    return EventBatch.builder(view.inputSchema()).add(key, time, time, 1.0).build();
  }

  record Trained(GbdtRanker model, int rows) {}

  private static Trained train(FeatureStore store, List<AdData.Click> train, FeatureService ipService,
      FeatureService appService, FeatureService channelService, long seed, SplittableRandom rnd) {
    List<AdData.Click> kept = new ArrayList<>();
    for (AdData.Click c : train) {
      if (c.converted() || rnd.nextDouble() < NEGATIVE_RATE) {
        kept.add(c);
      }
    }
    FeatureFrame frame = features(store, kept, ipService, appService, channelService);
    double[] y = new double[kept.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = kept.get(i).converted() ? 1 : 0;
    }
    FeatureEncoder enc = FeatureEncoder.builder(MODEL).hashed("app", 64).hashed("channel", 64).hashed("os", 32)
        .hashed("device", 8).build();
    GbdtRanker model = GbdtRanker.trainer(enc).name("ad-cvr").rounds(150).maxDepth(6).eta(0.1).seed(seed).threads(2)
        .train(frame, y, null);
    return new Trained(model, kept.size());
  }

  /** Point-in-time features of clicks at their own click times: one join per service. */
  static FeatureFrame features(FeatureStore store, List<AdData.Click> cs, FeatureService ipService,
      FeatureService appService, FeatureService channelService) {
    int n = cs.size();
    long[] t = new long[n];
    long[] ips = new long[n];
    long[] apps = new long[n];
    long[] channels = new long[n];
    for (int i = 0; i < n; i++) {
      AdData.Click c = cs.get(i);
      t[i] = c.time();
      ips[i] = c.ip();
      apps[i] = c.app();
      channels[i] = c.channel();
    }
    FeatureFrame fi = store.getHistoricalFeatures(EntityRows.ofLongKeys(ips, t, null), ipService).frame();
    FeatureFrame fa = store.getHistoricalFeatures(EntityRows.ofLongKeys(apps, t, null), appService).frame();
    FeatureFrame fc = store.getHistoricalFeatures(EntityRows.ofLongKeys(channels, t, null), channelService).frame();
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(MODEL);
    for (int i = 0; i < n; i++) {
      b.add(assemble(cs.get(i), fi.row(i), fa.row(i), fc.row(i)));
    }
    return b.build();
  }

  private static FeatureVector online(FeatureStore store, AdData.Click c, Entity ip, Entity app, Entity channel,
      FeatureService ipService, FeatureService appService, FeatureService channelService) {
    OnlineFeatures fi = store.getOnlineFeatures(List.of(ip.key(c.ip())), ipService);
    OnlineFeatures fa = store.getOnlineFeatures(List.of(app.key(c.app())), appService);
    OnlineFeatures fc = store.getOnlineFeatures(List.of(channel.key(c.channel())), channelService);
    return assemble(c, fi.vector(0), fa.vector(0), fc.vector(0));
  }

  /** The request-time transform shared by training and serving: rates with a weak prior. */
  private static FeatureVector assemble(AdData.Click c, FeatureVector ip, FeatureVector app, FeatureVector channel) {
    double appClicks = RecommendationStudy.num(app, "app_clicks:count_1d");
    double appConv = RecommendationStudy.num(app, "app_conversions:count_1d");
    double chClicks = RecommendationStudy.num(channel, "channel_clicks:count_1d");
    double chConv = RecommendationStudy.num(channel, "channel_conversions:count_1d");
    return FeatureVector.builder(MODEL)
        .setDouble(0, RecommendationStudy.num(ip, "count_1h"))
        .setDouble(1, RecommendationStudy.num(ip, "count_1d"))
        .setDouble(2, appClicks)
        .setDouble(3, (appConv + 0.1) / (appClicks + 50))
        .setDouble(4, chClicks)
        .setDouble(5, (chConv + 0.1) / (chClicks + 50))
        .setDouble(6, (c.time() / 3_600_000L) % 24)
        .setString(7, Long.toString(c.app()))
        .setString(8, Long.toString(c.channel()))
        .setString(9, Long.toString(c.os()))
        .setString(10, Long.toString(c.device()))
        .build();
  }

  private static void writeReport(Result r, Path file) {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>SieveML ad conversion study</title>")
        .append("<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style>")
        .append("</head><body><h1>Ad click/conversion case study</h1><p>").append(r.data().replace("<", "&lt;"))
        .append(String.format(Locale.ROOT, "; %d clicks scored online, conversion rate %.3f %%.</p>", r.testClicks(),
            100 * r.baseRate()))
        .append("<table><tr><th></th><th>ROC-AUC</th><th>PR-AUC</th><th>log loss</th><th>NE</th>")
        .append("<th>calibration ratio</th><th>ECE</th></tr>");
    for (Map.Entry<String, Map<String, Double>> e : Map.of("corrected", r.calibrated(), "raw (downsampled)",
        r.raw()).entrySet()) {
      Map<String, Double> m = e.getValue();
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td>%.4f</td><td>%.5f</td><td>%.3f</td>"
          + "<td>%.3f</td><td>%.4f</td></tr>", e.getKey(), m.get("auc"), m.get("pr_auc"), m.get("log_loss"),
          m.get("ne"), m.get("calibration_ratio"), m.get("ece")));
    }
    h.append("</table><h2>Reliability curve (corrected predictions)</h2>").append(reliabilitySvg(r.reliability()));
    h.append("</body></html>\n");
    Cli.writeReport(file, h);
  }

  /** Observed rate against mean prediction per bin, log-log, with the diagonal. */
  static String reliabilitySvg(double[][] rel) {
    int w = 420;
    int l = 60;
    int top = 20;
    int pw = w - l - 20;
    double lo = -4;
    double hi = 0;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
            + "height=\"%d\" fill=\"none\" stroke=\"#888\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
            + "stroke=\"#bbb\" stroke-dasharray=\"4 4\"/>", w, w, l, top, pw, pw, l, top + pw, l + pw, top));
    for (int e = (int) lo; e <= hi; e++) {
      double x = l + (e - lo) / (hi - lo) * pw;
      double y = top + pw - (e - lo) / (hi - lo) * pw;
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">1e%d</text>",
          x, top + pw + 14, e));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">1e%d</text>",
          l - 4, y + 3, e));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\">mean predicted (log)</text>",
        l + 80, top + pw + 32));
    s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 14 %d)\">observed conversion rate (log)</text>", top + pw / 2, top + pw / 2));
    for (int b = 0; b < rel[0].length; b++) {
      if (rel[2][b] == 0 || rel[1][b] <= 0 || rel[0][b] <= 0) {
        continue;
      }
      double x = l + (Math.max(lo, Math.log10(rel[0][b])) - lo) / (hi - lo) * pw;
      double y = top + pw - (Math.max(lo, Math.log10(rel[1][b])) - lo) / (hi - lo) * pw;
      s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#d62728\"><title>bin %d: "
          + "predicted %.4f, observed %.4f, %d clicks</title></circle>", x, y, 2 + Math.log10(1 + rel[2][b]), b,
          rel[0][b], rel[1][b], (long) rel[2][b]));
    }
    return s.append("</svg>").toString();
  }

  /**
   * Runs the study from the command line: {@code [--data DIR] [--clicks N] [--seed S] [--report FILE]}.
   *
   * @param args the options; {@code --data} names the shared data directory (TalkingData sample)
   */
  public static void main(String[] args) {
    Map<String, String> o = Cli.options(args, "--data", "--clicks", "--seed", "--report");
    long seed = Long.parseLong(o.getOrDefault("--seed", "42"));
    AdData data = o.containsKey("--data")
        ? AdData.talkingData(Path.of(o.get("--data")).resolve("ctr-talkingdata-adtracking"))
        : AdData.seeded(Integer.parseInt(o.getOrDefault("--clicks", "200000")), seed);
    System.out.println("SieveML case study: ad click -> conversion (windowed features, downsampling, calibration)");
    run(data, seed, System.out, Path.of(o.getOrDefault("--report", "target/adclick-report.html")));
  }
}
