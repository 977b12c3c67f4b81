package org.sieveml.benchmarks.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.sieveml.benchmarks.retrieval.AnnContenders.Contender;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;

/**
 * The recall-QPS curve: builds SieveML's HNSW, raw hnswlib-core and Lucene's HNSW (same M and
 * efConstruction) plus the exact index on a data set, reports each build time, then sweeps the search
 * ef and measures recall@10 against exact search and single-threaded queries per second. Rounds of the
 * contenders alternate at every ef and the median round is reported, so a machine that drifts biases
 * no one. Then native C++ hnswlib ({@link NativeHnswlib}, the anchor: {@code libhnswlib-dev} compiled
 * with {@code g++ -O3 -march=native}) builds the same graph on the same threads in a child process and
 * sweeps the same ladder with the same number of rounds (its rounds run after, not between, the Java
 * contenders'); where g++ or the headers are missing it is skipped with a line saying what to install.
 * Writes {@code ann-recall-qps.csv} and {@code ann-recall-qps.html} (an SVG chart per data set).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     org.sieveml.benchmarks.retrieval.AnnSweep [--mnist DATA_DIR] [--out DIR] [--threads N]
 * </pre>
 *
 * The default data set is the seeded 100,000 x 128 clustered set; {@code --mnist} adds MNIST-10k from
 * the data directory ({@code ann-mnist-t10k}).
 */
public final class AnnSweep {

  private static final int ROUNDS = 5;

  private AnnSweep() {}

  /** One point of a curve. */
  record Point(String dataSet, String contender, int ef, double recall, double qps) {}

  /**
   * Runs the sweep.
   *
   * @param args {@code [--mnist DATA_DIR] [--out DIR] [--threads N]}
   */
  public static void main(String[] args) {
    Path out = Path.of("benchmarks");
    Path mnist = null;
    int threads = 2;
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + args[i]);
      }
      switch (args[i]) {
        case "--out":
          out = Path.of(args[i + 1]);
          break;
        case "--mnist":
          mnist = Path.of(args[i + 1]);
          break;
        case "--threads":
          threads = Integer.parseInt(args[i + 1]);
          break;
        default:
          throw new IllegalArgumentException("unknown option " + args[i]
              + "; usage: AnnSweep [--mnist DATA_DIR] [--out DIR] [--threads N]");
      }
    }
    List<DataSet> sets = new ArrayList<>();
    if (mnist != null) {
      sets.add(AnnContenders.mnist(mnist));
    }
    sets.add(AnnContenders.seeded(100_000, 128, 1000, 1000, 42));
    List<Point> points = new ArrayList<>();
    List<String> builds = new ArrayList<>();
    for (DataSet d : sets) {
      sweep(d, threads, points, builds);
    }
    write(out, points, builds);
  }

  static void sweep(DataSet data, int threads, List<Point> points, List<String> builds) {
    System.out.printf(Locale.ROOT, "%n== %s: %d base vectors, %d queries, M=%d, efConstruction=%d%n", data.name(),
        data.base().length, data.queries().length, AnnContenders.M, AnnContenders.EF_CONSTRUCTION);
    long t = System.nanoTime();
    int[][] truth = AnnContenders.groundTruth(data);
    System.out.printf(Locale.ROOT, "ground truth (exact, 1 thread): %.1f s%n", (System.nanoTime() - t) / 1e9);
    List<Contender> cs = new ArrayList<>();
    for (String name : List.of("sieveml", "hnswlib", "lucene")) {
      Contender c = AnnContenders.named(name);
      long b = System.nanoTime();
      c.build(data, threads);
      double secs = (System.nanoTime() - b) / 1e9;
      String line = String.format(Locale.ROOT, "%s\t%s\t%.2f\t%d", data.name(), name, secs, c.buildThreads(threads));
      builds.add(line);
      System.out.printf(Locale.ROOT, "build %-8s %7.2f s (%d threads)%n", name, secs, c.buildThreads(threads));
      cs.add(c);
    }
    Contender exact = AnnContenders.named("exact");
    exact.build(data, 1);
    // warm every contender's search path before measuring
    for (Contender c : cs) {
      AnnContenders.recall(c, data, truth, 64);
    }
    System.out.printf(Locale.ROOT, "%-8s %5s %8s %10s%n", "index", "ef", "recall", "qps");
    for (int ef : AnnContenders.EF_LADDER) {
      double[][] qps = new double[cs.size()][ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        for (int ci = 0; ci < cs.size(); ci++) {
          int c = (r % 2 == 0) ? ci : cs.size() - 1 - ci;
          qps[c][r] = qps(cs.get(c), data, ef);
        }
      }
      for (int c = 0; c < cs.size(); c++) {
        double recall = AnnContenders.recall(cs.get(c), data, truth, ef);
        double q = median(qps[c]);
        points.add(new Point(data.name(), cs.get(c).name(), ef, recall, q));
        System.out.printf(Locale.ROOT, "%-8s %5d %8.4f %10.0f%n", cs.get(c).name(), ef, recall, q);
      }
    }
    double[] eq = new double[3];
    for (int r = 0; r < 3; r++) {
      eq[r] = qps(exact, data, 0);
    }
    points.add(new Point(data.name(), "exact", 0, 1.0, median(eq)));
    System.out.printf(Locale.ROOT, "%-8s %5s %8.4f %10.0f%n", "exact", "-", 1.0, median(eq));
    List<String> names = new ArrayList<>(List.of("sieveml", "hnswlib", "lucene", "exact"));
    Optional<String> unavailable = NativeHnswlib.unavailable();
    if (unavailable.isPresent()) {
      System.out.println("skip " + NativeHnswlib.NAME + ": " + unavailable.get());
    } else {
      NativeHnswlib.Result r = NativeHnswlib.run(data, truth, AnnContenders.M, AnnContenders.EF_CONSTRUCTION, threads,
          AnnContenders.EF_LADDER, ROUNDS, Double.NaN);
      builds.add(String.format(Locale.ROOT, "%s\t%s\t%.2f\t%d", data.name(), NativeHnswlib.NAME, r.buildSeconds(),
          r.buildThreads()));
      System.out.print(NativeHnswlib.describe(r));
      for (NativeHnswlib.Point p : r.points()) {
        points.add(new Point(data.name(), NativeHnswlib.NAME, p.ef(), p.recall(), p.qps()));
      }
      names.add(3, NativeHnswlib.NAME);
    }
    System.out.println("best QPS at recall@10 >= 0.95:");
    double oursBest = bestAt(points, data.name(), "sieveml", 0.95);
    for (String name : names) {
      double best = bestAt(points, data.name(), name, 0.95);
      System.out.printf(Locale.ROOT, "  %-14s %10.0f qps   sieveml / %s = %.3f%n", name, best, name,
          oursBest / best);
    }
  }

  static double bestAt(List<Point> points, String set, String contender, double recall) {
    double best = 0;
    for (Point p : points) {
      if (p.dataSet().equals(set) && p.contender().equals(contender) && p.recall() >= recall) {
        best = Math.max(best, p.qps());
      }
    }
    return best;
  }

  private static double qps(Contender c, DataSet data, int ef) {
    float[][] qs = data.queries();
    long t = System.nanoTime();
    int sink = 0;
    for (float[] q : qs) {
      sink += c.search(q, AnnContenders.K, ef).length;
    }
    long ns = System.nanoTime() - t;
    if (sink < 0) {
      throw new AssertionError();
    }
    return qs.length / (ns / 1e9);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static void write(Path dir, List<Point> points, List<String> builds) {
    StringBuilder csv = new StringBuilder("data_set,index,ef,recall_at_10,qps\n");
    for (Point p : points) {
      csv.append(String.format(Locale.ROOT, "%s,%s,%d,%.4f,%.1f%n", p.dataSet(), p.contender(), p.ef(), p.recall(),
          p.qps()));
    }
    StringBuilder html = new StringBuilder();
    html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>SieveML recall-QPS</title>")
        .append("<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 8px;text-align:right}</style>")
        .append("</head><body><h1>Recall@10 vs queries per second (single thread)</h1>")
        .append("<p>Produced by <code>org.sieveml.benchmarks.retrieval.AnnSweep</code>; same M=")
        .append(AnnContenders.M).append(", efConstruction=").append(AnnContenders.EF_CONSTRUCTION)
        .append("; the dashed line is recall 0.95. Up and right is better. <code>hnswlib</code> is the Java ")
        .append("hnswlib-core; <code>").append(NativeHnswlib.NAME).append("</code> is C++ hnswlib (libhnswlib-dev) ")
        .append("compiled with <code>g++ ").append(String.join(" ", NativeHnswlib.FLAGS)).append("</code>.</p>");
    List<String> sets = points.stream().map(Point::dataSet).distinct().toList();
    for (String set : sets) {
      html.append("<h2>").append(set).append("</h2>").append(svg(points, set));
      html.append("<table><tr><th>index</th><th>build s</th><th>threads</th></tr>");
      for (String b : builds) {
        String[] f = b.split("\t");
        if (f[0].equals(set)) {
          html.append("<tr><td>").append(f[1]).append("</td><td>").append(f[2]).append("</td><td>").append(f[3])
              .append("</td></tr>");
        }
      }
      html.append("</table>");
    }
    html.append("<h2>Points</h2><pre>").append(csv).append("</pre></body></html>\n");
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("ann-recall-qps.csv"), csv, StandardCharsets.UTF_8);
      Files.writeString(dir.resolve("ann-recall-qps.html"), html, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println("\nwrote " + dir.resolve("ann-recall-qps.csv") + " and " + dir.resolve("ann-recall-qps.html"));
  }

  private static String svg(List<Point> points, String set) {
    int w = 720;
    int h = 420;
    int left = 70;
    int right = 150;
    int top = 20;
    int bottom = 50;
    double xmin = 0.80;
    double xmax = 1.0;
    double ymin = Double.MAX_VALUE;
    double ymax = 0;
    for (Point p : points) {
      if (p.dataSet().equals(set)) {
        ymin = Math.min(ymin, p.qps());
        ymax = Math.max(ymax, p.qps());
      }
    }
    double ly0 = Math.floor(Math.log10(ymin));
    double ly1 = Math.ceil(Math.log10(ymax));
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">", w, h));
    int pw = w - left - right;
    int ph = h - top - bottom;
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>",
        left, top, pw, ph));
    for (double x = xmin; x <= xmax + 1e-9; x += 0.05) {
      double px = left + (x - xmin) / (xmax - xmin) * pw;
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.2f</text>",
          px, h - bottom + 15, x));
    }
    for (double e = ly0; e <= ly1; e++) {
      double py = top + ph - (e - ly0) / (ly1 - ly0) * ph;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>", left,
          left + pw, py, py));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.0f</text>",
          left - 5, py + 4, Math.pow(10, e)));
    }
    double px95 = left + (0.95 - xmin) / (xmax - xmin) * pw;
    s.append(String.format(Locale.ROOT,
        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>", px95, px95,
        top, top + ph));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">recall@10</text>",
        left + pw / 2, h - 10));
    s.append(String.format(Locale.ROOT,
        "<text x=\"15\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 15 %d)\" text-anchor=\"middle\">queries/s (log)</text>",
        top + ph / 2, top + ph / 2));
    String[] names = {"sieveml", "hnswlib", "lucene", NativeHnswlib.NAME, "exact"};
    String[] colors = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#555"};
    int legend = 0;
    for (int n = 0; n < names.length; n++) {
      String name = names[n];
      if (points.stream().noneMatch(p -> p.dataSet().equals(set) && p.contender().equals(name))) {
        continue; // e.g. native hnswlib where it is not installed
      }
      StringBuilder path = new StringBuilder();
      for (Point p : points) {
        if (!p.dataSet().equals(set) || !p.contender().equals(names[n])) {
          continue;
        }
        double x = Math.max(xmin, p.recall());
        double px = left + (x - xmin) / (xmax - xmin) * pw;
        double py = top + ph - (Math.log10(p.qps()) - ly0) / (ly1 - ly0) * ph;
        path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s ef=%d recall=%.4f qps=%.0f</title></circle>",
            px, py, colors[n], names[n], p.ef(), p.recall(), p.qps()));
      }
      s.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(colors[n]).append("\"/>");
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>", left + pw + 10,
          top + 20 + 18 * legend++, colors[n], names[n]));
    }
    return s.append("</svg>").toString();
  }
}
