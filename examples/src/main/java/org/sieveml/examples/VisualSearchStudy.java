package org.sieveml.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.sieveml.core.FeatureFrame;
import org.sieveml.ranking.ClassificationMetrics;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.LinearRanker;
import org.sieveml.retrieval.EmbeddingModel;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.PcaEmbeddingModel;
import org.sieveml.retrieval.VectorMetric;

/**
 * The visual-search and moderation case study, on real images: the MNIST test set (10,000 handwritten
 * digits, 28 x 28 pixels) when the data directory holds it, else a seeded generator of digit-like strokes.
 *
 * <p>Every image is first re-centred on its ink (a sub-pixel shift putting the ink's centre of mass in the
 * middle, as MNIST's own preprocessing did). A seeded split puts 80 % of the images in a catalogue and keeps
 * 20 % as queries. Four representations are compared: raw pixels (784 floats), a PCA embedding fitted on the
 * catalogue only ({@link PcaEmbeddingModel}, {@value #COMPONENTS} components), the same PCA whitened, and
 * whitened with regularization (each component divided by {@code sqrt(eigenvalue + lambda_1 / 2)}). Each goes
 * into its own {@link HnswVectorIndex} (L2, fixed ef, built on one thread so the graph is a function of the
 * seed), and the study reports:
 * <ul>
 *   <li><b>search</b>: precision@10 by label (the share of a query's ten nearest catalogue images with the
 *       query's digit);
 *   <li><b>near-duplicates</b>: catalogue images shifted by one or two pixels, or with pixel noise, are
 *       re-centred like any image and searched; a copy is caught when its nearest neighbour is its original
 *       and the ratio of its two nearest distances (Lowe's ratio test) is under a threshold set so that 1 % of
 *       half of the (distinct) query images fall under it; false duplicates are counted on the other half;
 *       recall without re-centring the copies is shown beside;
 *   <li><b>moderation</b>: digits {@code 4} and {@code 9} are "disallowed"; a logistic regression
 *       ({@link LinearRanker}) on each representation is trained on 75 % of the catalogue, its threshold
 *       is the cut with the most recall at precision 0.95 on the other 25 % (validation), and PR-AUC,
 *       precision and recall at that threshold are measured on the queries (test);
 *   <li><b>latency</b>: embedding plus HNSW search per query, p50 and p99 over every query after a warm-up
 *       pass (these lines, and the fit and build times, are the only figures that vary between runs of one
 *       seed).
 * </ul>
 * The HTML report (one page, inline SVG charts, PNG thumbnails as data URIs) shows queries and their
 * results. Stateless; {@link #run} is thread-safe.
 */
public final class VisualSearchStudy {
  /** Principal components kept. */
  static final int COMPONENTS = 40;
  static final int K = 10;
  static final int EF = 100;
  static final String WHITE = "pca-whitened";
  static final String WHITE_REG = "pca-white-reg";
  static final String PCA = "pca";
  static final String RAW = "raw";
  static final List<String> KINDS = List.of("shift 1 px", "shift 2 px", "noise 0.15");

  private VisualSearchStudy() {}

  /**
   * What a run varies.
   *
   * @param components principal components
   * @param catalogueShare share of the images in the catalogue (the rest are queries)
   * @param duplicatesPerKind near-duplicate copies made per kind of edit
   * @param disallowed the labels moderation flags
   * @param precisionTarget the precision the moderation threshold aims at on validation
   * @param seed the seed of the split, the edits, the HNSW levels and the classifier
   */
  public record Config(int components, double catalogueShare, int duplicatesPerKind, Set<Integer> disallowed,
      double precisionTarget, long seed) {
    /**
     * The defaults: {@value VisualSearchStudy#COMPONENTS} components, 80 % catalogue, 300 copies per edit,
     * digits 4 and 9 disallowed, precision 0.95.
     *
     * @param seed the seed
     * @return the configuration
     */
    public static Config defaults(long seed) {
      return new Config(COMPONENTS, 0.8, 300, Set.of(4, 9), 0.95, seed);
    }
  }

  /**
   * Near-duplicate detection with one representation. An image is a duplicate of its nearest catalogue
   * neighbour when the ratio of the nearest distance to the second nearest (Lowe's ratio test) is under the
   * threshold: a copy sits far closer to its original than to anything else, while a distinct image that is
   * merely typical (a plain "1") has many neighbours at about the same distance.
   *
   * @param threshold the distance ratio under which the nearest neighbour is a duplicate (the 1 % quantile
   *     of the ratio over half the distinct queries)
   * @param recallByKind per edit, the share of (re-centred) copies whose nearest neighbour is their original
   *     under the threshold
   * @param recall over all edits
   * @param falseDuplicateRate share of the other half of the distinct queries under the threshold
   * @param recallWithoutRecentring per edit, the same for copies searched as they are, without re-centring
   */
  public record Duplicates(double threshold, Map<String, Double> recallByKind, double recall,
      double falseDuplicateRate, Map<String, Double> recallWithoutRecentring) {}

  /**
   * Moderation with one representation.
   *
   * @param prAuc PR-AUC (average precision) on the test queries
   * @param baseRate share of disallowed images among them
   * @param threshold the score threshold chosen on validation
   * @param validationPrecision precision at it on validation (at least the target unless unreachable)
   * @param testPrecision precision at it on the test queries
   * @param testRecall recall at it on the test queries
   * @param prCurve {recall[], precision[]} on the test queries
   */
  public record Moderation(double prAuc, double baseRate, double threshold, double validationPrecision,
      double testPrecision, double testRecall, double[][] prCurve) {}

  /**
   * Per-query latency of embedding plus search, after warm-up.
   *
   * @param p50Micros median, microseconds
   * @param p99Micros 99th percentile, microseconds
   */
  public record Latency(double p50Micros, double p99Micros) {}

  /**
   * The figures of one run; maps are keyed by representation ({@code pca}, {@code pca-whitened},
   * {@code pca-white-reg}, {@code raw}).
   *
   * @param source where the images come from
   * @param catalogue images in the catalogue
   * @param queries query images
   * @param explainedVariance share of the catalogue's (re-centred) pixel variance the kept components explain
   * @param precisionAt10 mean precision@10 over the queries
   * @param precisionByLabel precision@10 of the queries of each label 0..9
   * @param duplicates near-duplicate detection
   * @param moderation the moderation classifier
   * @param latency per-query latency (varies between runs)
   */
  public record Result(String source, int catalogue, int queries, double explainedVariance,
      Map<String, Double> precisionAt10, Map<String, double[]> precisionByLabel, Map<String, Duplicates> duplicates,
      Map<String, Moderation> moderation, Map<String, Latency> latency) {}

  /** One representation: how a query is embedded, and its index. */
  private record Rep(String name, EmbeddingModel model, HnswVectorIndex index, float[][] catalogue, float[][] queries) {
    float[] embed(float[] pixels) {
      return model == null ? pixels.clone() : model.embed(pixels);
    }
  }

  /**
   * Runs the study.
   *
   * @param data the images
   * @param cfg the configuration
   * @param out progress and the summary
   * @param report where to write the HTML report, or null
   * @return the figures
   */
  public static Result run(VisualData data, Config cfg, PrintStream out, Path report) {
    int n = data.size();
    SplittableRandom rnd = new SplittableRandom(cfg.seed());
    int[] perm = permutation(n, rnd);
    int nc = (int) Math.round(n * cfg.catalogueShare());
    int[] cat = Arrays.copyOfRange(perm, 0, nc);
    int[] qry = Arrays.copyOfRange(perm, nc, n);
    // every image, catalogue or query, is re-centred on its ink before it is embedded
    float[][] catPx = recentred(rows(data.pixels(), cat));
    float[][] qPx = recentred(rows(data.pixels(), qry));
    out.printf(Locale.ROOT, "[data]       %s%n", data.source());
    out.printf(Locale.ROOT, "[split]      %,d catalogue images, %,d queries (seed %d)%n", nc, qry.length, cfg.seed());

    long t0 = System.nanoTime();
    PcaEmbeddingModel plain = PcaEmbeddingModel.builder(cfg.components()).seed(cfg.seed()).fit(catPx);
    PcaEmbeddingModel white = PcaEmbeddingModel.builder(cfg.components()).whiten(true).seed(cfg.seed()).fit(catPx);
    double reg = plain.eigenvalues()[0] / 2;
    PcaEmbeddingModel whiteReg = PcaEmbeddingModel.builder(cfg.components()).whiten(true).whitenRegularization(reg)
        .seed(cfg.seed()).fit(catPx);
    out.printf(Locale.ROOT, "[pca]        %s%n", plain);
    out.printf(Locale.ROOT, "[pca]        whitened: each component divided by sqrt(eigenvalue); regularized: by "
        + "sqrt(eigenvalue + %.4f), half the largest eigenvalue%n", reg);
    out.printf(Locale.ROOT, "[time]       three PCA fits (covariance + eigen-decomposition of 784 x 784) in %d ms%n",
        (System.nanoTime() - t0) / 1_000_000);

    Map<String, Rep> reps = new LinkedHashMap<>();
    Map<String, EmbeddingModel> models = new LinkedHashMap<>();
    models.put(PCA, plain);
    models.put(WHITE, white);
    models.put(WHITE_REG, whiteReg);
    models.put(RAW, null);
    for (String name : models.keySet()) {
      EmbeddingModel m = models.get(name);
      long t1 = System.nanoTime();
      float[][] ce = m == null ? catPx : m.embed(catPx);
      float[][] qe = m == null ? qPx : m.embed(qPx);
      int dim = ce[0].length;
      HnswVectorIndex index = HnswVectorIndex.builder(dim, VectorMetric.L2).m(16).efConstruction(100).ef(EF)
          .seed(cfg.seed()).initialCapacity(nc).build();
      Map<String, float[]> items = new LinkedHashMap<>();
      for (int i = 0; i < nc; i++) {
        items.put(Integer.toString(cat[i]), ce[i]);
      }
      index.addAll(items, 1, null);
      reps.put(name, new Rep(name, m, index, ce, qe));
      out.printf(Locale.ROOT, "[time]       %-13s %3d dims: embedded and indexed (HNSW M 16, efConstruction 100, one "
          + "thread) in %d ms%n", name, dim, (System.nanoTime() - t1) / 1_000_000);
    }

    // ---- search: precision@10 by label
    Map<String, Double> precision = new LinkedHashMap<>();
    Map<String, double[]> byLabel = new LinkedHashMap<>();
    Map<String, List<List<Neighbor>>> hits = new LinkedHashMap<>();
    for (Rep rep : reps.values()) {
      double[] sum = new double[10];
      int[] count = new int[10];
      double all = 0;
      List<List<Neighbor>> h = new ArrayList<>();
      for (int q = 0; q < qry.length; q++) {
        List<Neighbor> res = rep.index().search(rep.queries()[q], K, EF);
        h.add(res);
        int label = data.labels()[qry[q]];
        double p = 0;
        for (Neighbor nb : res) {
          if (data.labels()[Integer.parseInt(nb.id())] == label) {
            p++;
          }
        }
        p /= K;
        sum[label] += p;
        count[label]++;
        all += p;
      }
      for (int l = 0; l < 10; l++) {
        sum[l] = count[l] == 0 ? Double.NaN : sum[l] / count[l];
      }
      precision.put(rep.name(), all / qry.length);
      byLabel.put(rep.name(), sum);
      hits.put(rep.name(), h);
    }

    // ---- near-duplicates: edited copies of catalogue images vs distinct held-out images
    SplittableRandom er = new SplittableRandom(cfg.seed() + 17);
    int per = Math.min(cfg.duplicatesPerKind(), nc);
    int[] originals = new int[per * KINDS.size()];
    float[][] copies = new float[originals.length][];
    for (int k = 0; k < KINDS.size(); k++) {
      for (int i = 0; i < per; i++) {
        int o = er.nextInt(nc);
        originals[k * per + i] = o;
        copies[k * per + i] = edit(catPx[o], k, er);
      }
    }
    int half = qry.length / 2;
    Map<String, Duplicates> dups = new LinkedHashMap<>();
    for (Rep rep : reps.values()) {
      double[] calib = new double[half];
      for (int q = 0; q < half; q++) {
        calib[q] = ratio(rep.index().search(rep.queries()[q], 2, EF));
      }
      Arrays.sort(calib);
      double threshold = calib[(int) Math.floor(0.01 * half)];
      int falseDup = 0;
      for (int q = half; q < qry.length; q++) {
        if (ratio(rep.index().search(rep.queries()[q], 2, EF)) < threshold) {
          falseDup++;
        }
      }
      Map<String, Double> recall = new LinkedHashMap<>();
      Map<String, Double> plainRecall = new LinkedHashMap<>();
      int caughtAll = 0;
      for (int k = 0; k < KINDS.size(); k++) {
        int caught = 0;
        int caughtPlain = 0;
        for (int i = 0; i < per; i++) {
          int c = k * per + i;
          String want = Integer.toString(cat[originals[c]]);
          if (isDuplicate(rep.index().search(rep.embed(VisualData.recentre(copies[c])), 2, EF), want, threshold)) {
            caught++;
          }
          if (isDuplicate(rep.index().search(rep.embed(copies[c]), 2, EF), want, threshold)) {
            caughtPlain++;
          }
        }
        recall.put(KINDS.get(k), caught / (double) per);
        plainRecall.put(KINDS.get(k), caughtPlain / (double) per);
        caughtAll += caught;
      }
      dups.put(rep.name(), new Duplicates(threshold, recall, caughtAll / (double) copies.length,
          falseDup / (double) (qry.length - half), plainRecall));
    }

    // ---- moderation: logistic regression on each representation
    int nTrain = (int) Math.round(nc * 0.75);
    Map<String, Moderation> moderation = new LinkedHashMap<>();
    long t2 = System.nanoTime();
    for (Rep rep : reps.values()) {
      double[] yTrain = labels(data, cat, 0, nTrain, cfg.disallowed());
      double[] yVal = labels(data, cat, nTrain, nc, cfg.disallowed());
      double[] yTest = labels(data, qry, 0, qry.length, cfg.disallowed());
      FeatureFrame train = frame(rep.catalogue(), 0, nTrain);
      LinearRanker clf = LinearRanker.trainer(FeatureEncoder.builder(train.schema()).build())
          .name("moderation-" + rep.name()).epochs(10).learningRate(0.1).seed(cfg.seed()).train(train, yTrain);
      double[] sVal = clf.predict(frame(rep.catalogue(), nTrain, nc));
      double[] sTest = clf.predict(frame(rep.queries(), 0, qry.length));
      double threshold = thresholdForPrecision(sVal, yVal, cfg.precisionTarget());
      double[] pv = precisionRecall(sVal, yVal, threshold);
      double[] pt = precisionRecall(sTest, yTest, threshold);
      double base = Arrays.stream(yTest).sum() / yTest.length;
      moderation.put(rep.name(), new Moderation(ClassificationMetrics.prAuc(sTest, yTest), base, threshold, pv[0],
          pt[0], pt[1], prCurve(sTest, yTest)));
    }
    out.printf(Locale.ROOT, "[time]       moderation classifiers (logistic regression, Tribuo SGD, 10 epochs) trained "
        + "on %,d images each in %d ms%n", nTrain, (System.nanoTime() - t2) / 1_000_000);

    // ---- latency: embed + search per query, after the passes above warmed the code up
    Map<String, Latency> latency = new LinkedHashMap<>();
    for (Rep rep : reps.values()) {
      for (int q = 0; q < Math.min(qry.length, 200); q++) {
        rep.index().search(rep.embed(qPx[q]), K, EF);
      }
      long[] ns = new long[qry.length];
      long sink = 0;
      for (int q = 0; q < qry.length; q++) {
        long s = System.nanoTime();
        List<Neighbor> res = rep.index().search(rep.embed(qPx[q]), K, EF);
        ns[q] = System.nanoTime() - s;
        sink += res.size();
      }
      Arrays.sort(ns);
      latency.put(rep.name(), new Latency(ns[(int) (0.5 * (ns.length - 1))] / 1e3,
          ns[(int) Math.ceil(0.99 * (ns.length - 1))] / 1e3));
      if (sink < 0) {
        out.println(sink);
      }
    }

    Result res = new Result(data.source(), nc, qry.length, plain.explainedVarianceRatio(), precision, byLabel, dups,
        moderation, latency);
    print(res, cfg, out);
    if (report != null) {
      writeReport(res, cfg, data, cat, qry, hits, copies, originals, reps, report);
      out.println("[report]     " + report.toAbsolutePath());
    }
    return res;
  }

  private static void print(Result r, Config cfg, PrintStream out) {
    out.println();
    out.printf(Locale.ROOT, "Search: precision@10 by label (%,d queries; PCA %d components explain %.3f of the "
        + "variance)%n", r.queries(), cfg.components(), r.explainedVariance());
    out.printf(Locale.ROOT, "  %-13s %6s", "", "all");
    for (int l = 0; l < 10; l++) {
      out.printf(Locale.ROOT, " %6d", l);
    }
    out.println();
    for (String rep : r.precisionAt10().keySet()) {
      out.printf(Locale.ROOT, "  %-13s %6.3f", rep, r.precisionAt10().get(rep));
      for (double p : r.precisionByLabel().get(rep)) {
        out.printf(Locale.ROOT, " %6.3f", p);
      }
      out.println();
    }
    out.println();
    out.println("Near-duplicates: a copy is caught when its nearest neighbour is its original and the ratio of the "
        + "two nearest distances is under the threshold (1 % of distinct images); recall of re-centred copies "
        + "(without re-centring in brackets)");
    out.printf(Locale.ROOT, "  %-13s %17s %17s %17s %9s %10s %9s%n", "", KINDS.get(0), KINDS.get(1), KINDS.get(2),
        "all", "false dup", "ratio <");
    for (Map.Entry<String, Duplicates> e : r.duplicates().entrySet()) {
      Duplicates d = e.getValue();
      out.printf(Locale.ROOT, "  %-13s", e.getKey());
      for (String k : KINDS) {
        out.printf(Locale.ROOT, "   %6.3f (%6.3f)", d.recallByKind().get(k), d.recallWithoutRecentring().get(k));
      }
      out.printf(Locale.ROOT, " %9.3f %10.4f %9.4f%n", d.recall(), d.falseDuplicateRate(), d.threshold());
    }
    out.println();
    out.printf(Locale.ROOT, "Moderation: digits %s disallowed; threshold for precision %.2f on validation, measured "
        + "on the queries%n", new java.util.TreeSet<>(cfg.disallowed()), cfg.precisionTarget());
    out.printf(Locale.ROOT, "  %-13s %8s %9s %10s %10s %10s %9s%n", "", "PR-AUC", "baseline", "threshold",
        "val prec", "test prec", "recall");
    for (Map.Entry<String, Moderation> e : r.moderation().entrySet()) {
      Moderation m = e.getValue();
      out.printf(Locale.ROOT, "  %-13s %8.4f %9.4f %10.4f %10.4f %10.4f %9.4f%n", e.getKey(), m.prAuc(), m.baseRate(),
          m.threshold(), m.validationPrecision(), m.testPrecision(), m.testRecall());
    }
    out.println();
    out.println("Latency per query, embedding + HNSW top 10 (ef " + EF + "; re-centring not included), after warm-up "
        + "(varies between runs):");
    for (Map.Entry<String, Latency> e : r.latency().entrySet()) {
      out.printf(Locale.ROOT, "  %-13s p50 %8.1f us   p99 %8.1f us%n", e.getKey(), e.getValue().p50Micros(),
          e.getValue().p99Micros());
    }
  }

  static int[] permutation(int n, SplittableRandom r) {
    int[] p = new int[n];
    Arrays.setAll(p, i -> i);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private static float[][] recentred(float[][] images) {
    float[][] out = new float[images.length][];
    for (int i = 0; i < images.length; i++) {
      out[i] = VisualData.recentre(images[i]);
    }
    return out;
  }

  private static float[][] rows(float[][] all, int[] idx) {
    float[][] out = new float[idx.length][];
    for (int i = 0; i < idx.length; i++) {
      out[i] = all[idx[i]];
    }
    return out;
  }

  /** Edit {@code kind} of {@link #KINDS}: a shift by one pixel, by two, or noise. */
  static float[] edit(float[] img, int kind, SplittableRandom r) {
    if (kind == 2) {
      return VisualData.noise(img, 0.15, r);
    }
    int size = kind + 1;
    int dx;
    int dy;
    do {
      dx = r.nextInt(2 * size + 1) - size;
      dy = r.nextInt(2 * size + 1) - size;
    } while (Math.max(Math.abs(dx), Math.abs(dy)) != size);
    return VisualData.shift(img, dx, dy);
  }

  /** Lowe's ratio: the nearest distance over the second nearest (0 for an exact copy, 1 without two). */
  static double ratio(List<Neighbor> res) {
    if (res.size() < 2) {
      return 1;
    }
    double d1 = res.get(0).distance();
    return d1 == 0 ? 0 : d1 / Math.max(d1, res.get(1).distance());
  }

  private static boolean isDuplicate(List<Neighbor> res, String original, double threshold) {
    return !res.isEmpty() && res.get(0).id().equals(original) && ratio(res) < threshold;
  }

  private static double[] labels(VisualData data, int[] idx, int from, int to, Set<Integer> disallowed) {
    double[] y = new double[to - from];
    for (int i = from; i < to; i++) {
      y[i - from] = disallowed.contains(data.labels()[idx[i]]) ? 1 : 0;
    }
    return y;
  }

  private static FeatureFrame frame(float[][] x, int from, int to) {
    int dim = x[0].length;
    FeatureFrame.ColumnBuilder b = FeatureFrame.builder(to - from);
    for (int c = 0; c < dim; c++) {
      double[] col = new double[to - from];
      for (int i = from; i < to; i++) {
        col[i - from] = x[i][c];
      }
      b.addDouble("e" + c, col);
    }
    return b.build();
  }

  /**
   * The threshold of the most recall at the target precision: among the cuts (flag every row scored at or
   * above it) whose precision reaches the target, the highest one that catches the most positives; the
   * highest score when no cut reaches the target.
   */
  static double thresholdForPrecision(double[] scores, double[] labels, double target) {
    Integer[] idx = new Integer[scores.length];
    Arrays.setAll(idx, i -> i);
    Arrays.sort(idx, (a, b) -> Double.compare(scores[b], scores[a]));
    double best = scores[idx[0]];
    double bestTp = -1;
    double tp = 0;
    int i = 0;
    while (i < idx.length) {
      int j = i;
      while (j + 1 < idx.length && scores[idx[j + 1]] == scores[idx[i]]) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        tp += labels[idx[k]];
      }
      if (tp / (j + 1) >= target && tp > bestTp) {
        best = scores[idx[i]];
        bestTp = tp;
      }
      i = j + 1;
    }
    return best;
  }

  /** {precision, recall} of flagging the rows scored at or above the threshold. */
  static double[] precisionRecall(double[] scores, double[] labels, double threshold) {
    double tp = 0;
    double flagged = 0;
    double pos = 0;
    for (int i = 0; i < scores.length; i++) {
      pos += labels[i];
      if (scores[i] >= threshold) {
        flagged++;
        tp += labels[i];
      }
    }
    return new double[] {flagged == 0 ? Double.NaN : tp / flagged, pos == 0 ? Double.NaN : tp / pos};
  }

  private static double[][] prCurve(double[] scores, double[] labels) {
    Integer[] idx = new Integer[scores.length];
    Arrays.setAll(idx, i -> i);
    Arrays.sort(idx, (a, b) -> Double.compare(scores[b], scores[a]));
    double pos = Arrays.stream(labels).sum();
    List<double[]> pts = new ArrayList<>();
    double tp = 0;
    for (int i = 0; i < idx.length; i++) {
      tp += labels[idx[i]];
      if (i + 1 == idx.length || scores[idx[i + 1]] != scores[idx[i]]) {
        pts.add(new double[] {tp / pos, tp / (i + 1)});
      }
    }
    double[][] c = new double[2][pts.size()];
    for (int i = 0; i < pts.size(); i++) {
      c[0][i] = pts.get(i)[0];
      c[1][i] = pts.get(i)[1];
    }
    return c;
  }

  // ---------------------------------------------------------------------------------------------- report

  private static final String[] COLORS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f"};

  private static void writeReport(Result r, Config cfg, VisualData data, int[] cat, int[] qry,
      Map<String, List<List<Neighbor>>> hits, float[][] copies, int[] originals, Map<String, Rep> reps, Path file) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SieveML visual search and "
        + "moderation study</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
        + "td,th{padding:2px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
        + "table{border-collapse:collapse;margin:1em 0}tr:nth-child(even){background:#f4f4f4}"
        + "img{image-rendering:pixelated;border:2px solid #ccc;margin:1px}img.ok{border-color:#2ca02c}"
        + "img.bad{border-color:#d62728}img.q{border-color:#000}.grid td{text-align:left;white-space:nowrap}"
        + "</style></head><body>\n<h1>Visual search and moderation</h1>\n");
    h.append("<p>").append(esc(r.source())).append(String.format(Locale.ROOT, ". %,d catalogue images, %,d queries, "
        + "seed %d. PCA with %d components (fitted on the catalogue only) explains %.3f of the pixel variance.</p>\n",
        r.catalogue(), r.queries(), cfg.seed(), cfg.components(), r.explainedVariance()));

    h.append("<h2>Search: precision@10 by label</h2>\n<table><tr><th>representation</th><th>all</th>");
    for (int l = 0; l < 10; l++) {
      h.append("<th>").append(l).append("</th>");
    }
    h.append("</tr>\n");
    for (String rep : r.precisionAt10().keySet()) {
      h.append("<tr><td>").append(rep).append(String.format(Locale.ROOT, "</td><td>%.3f</td>",
          r.precisionAt10().get(rep)));
      for (double p : r.precisionByLabel().get(rep)) {
        h.append(String.format(Locale.ROOT, "<td>%.3f</td>", p));
      }
      h.append("</tr>\n");
    }
    h.append("</table>\n").append(barChart(r)).append('\n');

    h.append("<h2>Queries and their ten nearest catalogue images</h2>\n<p>Green border: same digit as the query; "
        + "red: another digit. One row per representation.</p>\n<table class=\"grid\">\n");
    SplittableRandom pick = new SplittableRandom(cfg.seed() + 5);
    for (int shown = 0; shown < 8; shown++) {
      int q = pick.nextInt(qry.length);
      int label = data.labels()[qry[q]];
      for (String rep : List.of(PCA, RAW)) {
        h.append("<tr><td>").append(rep).append("</td><td>");
        h.append(img(data.pixels()[qry[q]], "query, digit " + label, "q"));
        h.append(" &rarr; ");
        for (Neighbor nb : hits.get(rep).get(q)) {
          int id = Integer.parseInt(nb.id());
          int l = data.labels()[id];
          h.append(img(data.pixels()[id], "result, digit " + l, l == label ? "ok" : "bad"));
        }
        h.append("</td></tr>\n");
      }
    }
    h.append("</table>\n");

    h.append("<h2>Near-duplicates</h2>\n<p>Copies of catalogue images, shifted by one or two pixels or with "
        + "Gaussian pixel noise (&sigma; 0.15), are re-centred on their ink like every image and searched. A copy "
        + "is caught when its nearest neighbour is its original and the ratio of its two nearest distances is under "
        + "the threshold, set at the 1&nbsp;% quantile of that ratio over half the (distinct) queries; the false "
        + "duplicate rate is measured on the other half. In brackets: the copies searched without re-centring."
        + "</p>\n<table><tr><th>representation</th>");
    for (String k : KINDS) {
      h.append("<th>recall, ").append(k).append("</th>");
    }
    h.append("<th>recall, all</th><th>false duplicate rate</th><th>ratio threshold</th></tr>\n");
    for (Map.Entry<String, Duplicates> e : r.duplicates().entrySet()) {
      Duplicates d = e.getValue();
      h.append("<tr><td>").append(e.getKey()).append("</td>");
      for (String k : KINDS) {
        h.append(String.format(Locale.ROOT, "<td>%.3f (%.3f)</td>", d.recallByKind().get(k),
            d.recallWithoutRecentring().get(k)));
      }
      h.append(String.format(Locale.ROOT, "<td>%.3f</td><td>%.4f</td><td>%.4g</td></tr>\n", d.recall(),
          d.falseDuplicateRate(), d.threshold()));
    }
    h.append("</table>\n<table class=\"grid\"><tr><th>edit</th><th>original, copy, nearest neighbour of the "
        + "re-centred copy (pca)</th></tr>\n");
    Rep pcaRep = reps.get(PCA);
    int per = copies.length / KINDS.size();
    for (int k = 0; k < KINDS.size(); k++) {
      h.append("<tr><td>").append(KINDS.get(k)).append("</td><td>");
      for (int i = 0; i < 4; i++) {
        int c = k * per + i;
        int original = cat[originals[c]];
        List<Neighbor> res = pcaRep.index().search(pcaRep.embed(VisualData.recentre(copies[c])), 2, EF);
        int found = Integer.parseInt(res.get(0).id());
        boolean caught = isDuplicate(res, Integer.toString(original), r.duplicates().get(PCA).threshold());
        h.append(img(data.pixels()[original], "original", "q")).append(img(copies[c], "edited copy", "q"))
            .append(img(data.pixels()[found], caught ? "caught: its original" : "missed", caught ? "ok" : "bad"))
            .append(" &nbsp; ");
      }
      h.append("</td></tr>\n");
    }
    h.append("</table>\n");

    h.append(String.format(Locale.ROOT, "<h2>Moderation</h2>\n<p>Digits %s are disallowed. Logistic regression on "
        + "each representation; the threshold gives the most validation recall at validation precision %.2f (the "
        + "highest such cut); figures on the test queries.</p>\n", new java.util.TreeSet<>(cfg.disallowed()), cfg.precisionTarget()));
    h.append("<table><tr><th>representation</th><th>PR-AUC</th><th>baseline (base rate)</th><th>threshold</th>"
        + "<th>validation precision</th><th>test precision</th><th>test recall</th></tr>\n");
    for (Map.Entry<String, Moderation> e : r.moderation().entrySet()) {
      Moderation m = e.getValue();
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td>"
          + "<td>%.4f</td><td>%.4f</td></tr>\n", e.getKey(), m.prAuc(), m.baseRate(), m.threshold(),
          m.validationPrecision(), m.testPrecision(), m.testRecall()));
    }
    h.append("</table>\n").append(prChart(r, cfg)).append('\n');

    h.append("<h2>Latency</h2>\n<p>Embedding plus HNSW top 10 (ef ").append(EF).append("), per query, after a "
        + "warm-up pass; this machine, this run.</p>\n<table><tr><th>representation</th><th>p50 (&micro;s)</th>"
        + "<th>p99 (&micro;s)</th></tr>\n");
    for (Map.Entry<String, Latency> e : r.latency().entrySet()) {
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.1f</td><td>%.1f</td></tr>\n", e.getKey(),
          e.getValue().p50Micros(), e.getValue().p99Micros()));
    }
    h.append("</table>\n</body></html>\n");
    Cli.writeReport(file, h);
  }

  private static String img(float[] px, String alt, String cls) {
    return "<img class=\"" + cls + "\" width=\"42\" height=\"42\" alt=\"" + alt + "\" src=\"" + VisualData.pngDataUri(px)
        + "\">";
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Grouped bars: precision@10 per label and representation, with axes and a legend. */
  private static String barChart(Result r) {
    int w = 760;
    int ht = 300;
    int left = 60;
    int top = 20;
    int plotW = w - left - 150;
    int plotH = ht - top - 60;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
        + "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"precision at 10 by label\">", w, ht));
    axes(s, left, top, plotW, plotH, "digit label of the query", "precision@10");
    List<String> names = new ArrayList<>(r.precisionByLabel().keySet());
    double group = plotW / 10.0;
    double bw = group * 0.8 / names.size();
    for (int l = 0; l < 10; l++) {
      for (int k = 0; k < names.size(); k++) {
        double p = r.precisionByLabel().get(names.get(k))[l];
        if (Double.isNaN(p)) {
          continue;
        }
        double x = left + l * group + group * 0.1 + k * bw;
        double bh = p * plotH;
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
            + "<title>%s, digit %d: %.3f</title></rect>", x, top + plotH - bh, bw, bh, COLORS[k], names.get(k), l, p));
      }
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d</text>",
          left + (l + 0.5) * group, top + plotH + 14, l));
    }
    legend(s, names, left + plotW + 15, top + 10);
    return s.append("</svg>").toString();
  }

  /** Precision-recall curves of the moderation classifiers on the test queries. */
  private static String prChart(Result r, Config cfg) {
    int w = 560;
    int ht = 340;
    int left = 60;
    int top = 20;
    int plotW = w - left - 150;
    int plotH = ht - top - 60;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
        + "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"precision-recall curves\">", w, ht));
    axes(s, left, top, plotW, plotH, "recall (disallowed images flagged)", "precision");
    for (int l = 0; l <= 5; l++) {
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.1f"
          + "</text>", left + plotW * l / 5.0, top + plotH + 14, l / 5.0));
    }
    double ty = top + plotH * (1 - cfg.precisionTarget());
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\" "
        + "stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#666\">target %.2f</text>",
        left, ty, left + plotW, ty, left + 4, ty - 3, cfg.precisionTarget()));
    List<String> names = new ArrayList<>(r.moderation().keySet());
    for (int k = 0; k < names.size(); k++) {
      double[][] c = r.moderation().get(names.get(k)).prCurve();
      StringBuilder pts = new StringBuilder();
      int step = Math.max(1, c[0].length / 400);
      for (int i = 0; i < c[0].length; i += step) {
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + c[0][i] * plotW, top + (1 - c[1][i]) * plotH));
      }
      s.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(COLORS[k]).append("\" points=\"")
          .append(pts.toString().trim()).append("\"/>");
    }
    legend(s, names, left + plotW + 15, top + 10);
    return s.append("</svg>").toString();
  }

  /** Axes from 0 to 1 on y with ticks, and the two axis labels. */
  private static void axes(StringBuilder s, int left, int top, int plotW, int plotH, String xLabel, String yLabel) {
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>", left, top,
        left, top + plotH));
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>", left,
        top + plotH, left + plotW, top + plotH));
    for (int t = 0; t <= 5; t++) {
      double y = top + plotH * (1 - t / 5.0);
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
          + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.1f</text>", left, y, left + plotW, y,
          left - 5, y + 4, t / 5.0));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>",
        left + plotW / 2, top + plotH + 36, xLabel));
    s.append(String.format(Locale.ROOT, "<text x=\"15\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 15 %d)\">%s</text>", top + plotH / 2, top + plotH / 2, yLabel));
  }

  private static void legend(StringBuilder s, List<String> names, int x, int y) {
    for (int k = 0; k < names.size(); k++) {
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>", x, y + 18 * k, COLORS[k], x + 17, y + 18 * k + 10,
          names.get(k)));
    }
  }

  /**
   * Runs the study from the command line: {@code [--data DIR] [--report FILE] [--seed S] [--images N]}. The
   * data directory defaults to {@code sieveml.data.dir}, {@code SIEVEML_DATA_DIR} or {@code ../shared/data};
   * without {@value VisualData#MNIST_DIR} in it the study says so and runs on seeded synthetic images.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    Map<String, String> o = Cli.options(args, "--data", "--report", "--seed", "--images");
    System.out.println("SieveML case study: visual search and moderation (PCA embeddings vs raw pixels, HNSW, "
        + "near-duplicates, a moderation classifier)");
    long seed = Long.parseLong(o.getOrDefault("--seed", "42"));
    Path dir = o.containsKey("--data") ? Path.of(o.get("--data")) : VisualData.defaultDataDir();
    VisualData data;
    if (VisualData.hasMnist(dir)) {
      data = VisualData.mnist(dir, Integer.parseInt(o.getOrDefault("--images", "10000")));
    } else {
      System.out.println("[data]       MNIST not found at " + dir.resolve(VisualData.MNIST_DIR).toAbsolutePath()
          + " (pass --data DIR or -Dsieveml.data.dir); using the seeded synthetic image generator instead");
      data = VisualData.synthetic(Integer.parseInt(o.getOrDefault("--images", "6000")), seed);
    }
    run(data, Config.defaults(seed), System.out, Path.of(o.getOrDefault("--report",
        "target/visual-search-report.html")));
  }
}
