package org.sieveml.monitoring.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a series of drift checks as HTML with inline SVG charts: a fragment (one {@code <section>}
 * a host embeds in its own page, its styles scoped to the section by selector, no scripts, no
 * external resources) or a whole page wrapping that fragment.
 *
 * <p>Takes plain data ({@link Check}, {@link Row}) so that it depends on no public type: the public
 * report maps itself to these views and calls this class one way. Stateless, thread-safe.
 */
public final class HtmlReport {

  /** The CSS class of the fragment's {@code <section>}; every style rule is scoped under it. */
  public static final String SECTION_CLASS = "sieveml-drift";

  private static final int W = 640;
  private static final int H = 176;
  private static final int PAD = 36;
  private static final String S = "section." + SECTION_CLASS;
  private static final String STYLE = "<style>"
      + S + "{font-family:sans-serif;color:#222;margin:1em 0}"
      + S + " table{border-collapse:collapse}"
      + S + " td," + S + " th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
      + S + " td:first-child," + S + " th:first-child{text-align:left}"
      + S + " tr.drift td{background:#fde0e0}"
      + S + " .chart{margin:1em 0}"
      + S + " h3{font-size:1.1em}</style>\n";

  private HtmlReport() {}

  /**
   * One feature's result in one check.
   *
   * @param feature the feature's name
   * @param method the method's name
   * @param scoreName what {@code score} is (the method's name, or "... p-value")
   * @param statistic the test statistic
   * @param pValue the p-value (NaN for distances)
   * @param threshold the decision threshold
   * @param score the value compared with the threshold
   * @param referenceCount reference values
   * @param currentCount current values
   * @param currentMissing current missing values
   * @param drifted whether the feature drifted
   * @param note a note, or empty
   */
  public record Row(String feature, String method, String scoreName, double statistic, double pValue,
      double threshold, double score, long referenceCount, long currentCount, long currentMissing,
      boolean drifted, String note) {}

  /**
   * One check of the series.
   *
   * @param label the check's label
   * @param sequence its position in the series
   * @param drifted how many features drifted
   * @param driftedShare the share of drifted features
   * @param shareThreshold the dataset decision's share threshold
   * @param datasetDrift the dataset decision
   * @param correction the multiple-testing correction's name
   * @param rows per-feature results
   */
  public record Check(String label, long sequence, int drifted, double driftedShare, double shareThreshold,
      boolean datasetDrift, String correction, List<Row> rows) {}

  /**
   * A whole HTML document (one {@code <html>}, one {@code <body>}) around {@code fragment}.
   *
   * @param title the document's title
   * @param fragment a fragment from {@link #fragment}
   * @return HTML
   */
  public static String page(String title, String fragment) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title)
        + "</title></head>\n<body style=\"margin:2em\">\n" + fragment + "</body></html>\n";
  }

  /**
   * The fragment: a {@code <section class="sieveml-drift">} with a heading, a summary and table of the
   * last check, and per feature an SVG timeline of the decision value across the series.
   *
   * @param title the section's heading
   * @param timeline checks in order, not empty
   * @return HTML
   */
  public static String fragment(String title, List<Check> timeline) {
    Check last = timeline.get(timeline.size() - 1);
    StringBuilder sb = new StringBuilder(8192);
    sb.append("<section class=\"").append(SECTION_CLASS).append("\">\n").append(STYLE);
    sb.append("<h2>").append(esc(title)).append("</h2>\n");
    sb.append(String.format(Locale.ROOT, "<p>Last check <b>%s</b> (#%d): %d of %d features drifted (%.1f%%, threshold %.1f%%): <b>%s</b>. Correction: %s.</p>\n",
        esc(last.label()), last.sequence(), last.drifted(), last.rows().size(), 100 * last.driftedShare(),
        100 * last.shareThreshold(), last.datasetDrift() ? "dataset drift" : "no dataset drift", esc(last.correction())));
    sb.append("<table><tr><th>feature</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th>"
        + "<th>reference n</th><th>current n</th><th>missing</th><th>drift</th></tr>\n");
    for (Row f : last.rows()) {
      sb.append(f.drifted() ? "<tr class=\"drift\">" : "<tr>")
          .append("<td>").append(esc(f.feature())).append("</td><td>").append(esc(f.method())).append("</td>")
          .append(String.format(Locale.ROOT, "<td>%.6g</td><td>%.6g</td><td>%.6g</td><td>%d</td><td>%d</td><td>%d</td>",
              f.statistic(), f.pValue(), f.threshold(), f.referenceCount(), f.currentCount(), f.currentMissing()))
          .append("<td>").append(f.drifted() ? "DRIFT" : "-").append(f.note().isEmpty() ? "" : " (" + esc(f.note()) + ")")
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
    Map<String, Boolean> names = new LinkedHashMap<>();
    for (Check r : timeline) {
      for (Row f : r.rows()) {
        names.put(f.feature(), Boolean.TRUE);
      }
    }
    for (String name : names.keySet()) {
      chart(sb, name, timeline);
    }
    sb.append("</section>\n");
    return sb.toString();
  }

  private static void chart(StringBuilder sb, String name, List<Check> timeline) {
    int n = timeline.size();
    double[] v = new double[n];
    double[] t = new double[n];
    boolean[] d = new boolean[n];
    String method = "";
    double max = 0;
    for (int i = 0; i < n; i++) {
      v[i] = Double.NaN;
      t[i] = Double.NaN;
      for (Row f : timeline.get(i).rows()) {
        if (f.feature().equals(name)) {
          v[i] = f.score();
          t[i] = f.threshold();
          d[i] = f.drifted();
          method = f.scoreName();
        }
      }
      if (Double.isFinite(v[i])) {
        max = Math.max(max, v[i]);
      }
      if (Double.isFinite(t[i])) {
        max = Math.max(max, t[i]);
      }
    }
    if (max <= 0) {
      max = 1;
    }
    max *= 1.1;
    sb.append("<div class=\"chart\"><h3>").append(esc(name)).append(" &mdash; ").append(esc(method)).append("</h3>\n");
    sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s timeline\">",
        W, H, esc(name)));
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", PAD, H - PAD, W - 8, H - PAD));
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"8\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", PAD, PAD, H - PAD));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" font-size=\"10\" text-anchor=\"end\">%.3g</text>"
        + "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">0</text>", PAD - 3, max, PAD - 3, H - PAD));
    // axis titles: the decision value (dashed: its threshold) against the checks in time order
    int mid = (8 + H - PAD) / 2;
    sb.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 10 %d)\">%s</text>", mid, mid, esc(method.isEmpty() ? "score" : method)));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">"
        + "check, in time order</text>", (PAD + W - 8) / 2, H - 4));
    StringBuilder line = new StringBuilder();
    StringBuilder thr = new StringBuilder();
    StringBuilder dots = new StringBuilder();
    for (int i = 0; i < n; i++) {
      double x = PAD + (n == 1 ? (W - PAD - 8) / 2.0 : i * (double) (W - PAD - 8) / (n - 1));
      if (Double.isFinite(v[i])) {
        double y = (H - PAD) - v[i] / max * (H - PAD - 8);
        line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s: %.4g%s</title></circle>",
            x, y, d[i] ? "#d62728" : "#1f77b4", esc(timeline.get(i).label()), v[i], d[i] ? " DRIFT" : ""));
      }
      if (Double.isFinite(t[i])) {
        double y = (H - PAD) - t[i] / max * (H - PAD - 8);
        thr.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
    }
    sb.append("<polyline fill=\"none\" stroke=\"#1f77b4\" points=\"").append(line).append("\"/>");
    sb.append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-dasharray=\"4 3\" points=\"").append(thr).append("\"/>");
    sb.append(dots);
    int labels = H - PAD + 14;
    if (n == 1) { // one check: one label, under its point
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>",
          PAD + (W - PAD - 8) / 2.0, labels, esc(timeline.get(0).label())));
    } else {
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>", PAD, labels,
          esc(timeline.get(0).label())));
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>",
          W - 8, labels, esc(timeline.get(n - 1).label())));
    }
    sb.append("</svg></div>\n");
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<': b.append("&lt;"); break;
        case '>': b.append("&gt;"); break;
        case '&': b.append("&amp;"); break;
        case '"': b.append("&quot;"); break;
        case '\'': b.append("&#39;"); break;
        default: b.append(c);
      }
    }
    return b.toString();
  }
}
