package org.sieveml.monitoring.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sieveml.monitoring.DriftReport;
import org.sieveml.monitoring.FeatureDrift;

/** Renders drift reports as a self-contained HTML page with inline SVG charts. Stateless, thread-safe. */
public final class HtmlReport {

  private static final int W = 640;
  private static final int H = 160;
  private static final int PAD = 36;

  private HtmlReport() {}

  /**
   * Renders the page.
   *
   * @param title page title
   * @param timeline reports in order
   * @return HTML
   */
  public static String render(String title, List<DriftReport> timeline) {
    DriftReport last = timeline.get(timeline.size() - 1);
    StringBuilder sb = new StringBuilder(8192);
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
        .append("</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
            + "tr.drift td{background:#fde0e0}.chart{margin:1em 0}h2{font-size:1.1em}</style></head><body>\n");
    sb.append("<h1>").append(esc(title)).append("</h1>\n");
    sb.append(String.format(Locale.ROOT, "<p>Last check <b>%s</b> (#%d): %d of %d features drifted (%.1f%%, threshold %.1f%%): <b>%s</b>. Correction: %s.</p>\n",
        esc(last.label()), last.sequence(), last.drifted().size(), last.features().size(), 100 * last.driftedShare(),
        100 * last.shareThreshold(), last.datasetDrift() ? "dataset drift" : "no dataset drift", last.correction()));
    sb.append("<table><tr><th>feature</th><th>method</th><th>statistic</th><th>p-value</th><th>threshold</th>"
        + "<th>reference n</th><th>current n</th><th>missing</th><th>drift</th></tr>\n");
    for (FeatureDrift f : last.features()) {
      sb.append(f.drifted() ? "<tr class=\"drift\">" : "<tr>")
          .append("<td>").append(esc(f.feature())).append("</td><td>").append(f.method()).append("</td>")
          .append(String.format(Locale.ROOT, "<td>%.6g</td><td>%.6g</td><td>%.6g</td><td>%d</td><td>%d</td><td>%d</td>",
              f.statistic(), f.pValue(), f.threshold(), f.referenceCount(), f.currentCount(), f.currentMissing()))
          .append("<td>").append(f.drifted() ? "DRIFT" : "-").append(f.note().isEmpty() ? "" : " (" + esc(f.note()) + ")")
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
    Map<String, Boolean> names = new LinkedHashMap<>();
    for (DriftReport r : timeline) {
      for (FeatureDrift f : r.features()) {
        names.put(f.feature(), Boolean.TRUE);
      }
    }
    for (String name : names.keySet()) {
      chart(sb, name, timeline);
    }
    sb.append("</body></html>\n");
    return sb.toString();
  }

  private static void chart(StringBuilder sb, String name, List<DriftReport> timeline) {
    int n = timeline.size();
    double[] v = new double[n];
    double[] t = new double[n];
    boolean[] d = new boolean[n];
    String method = "";
    double max = 0;
    for (int i = 0; i < n; i++) {
      v[i] = Double.NaN;
      t[i] = Double.NaN;
      for (FeatureDrift f : timeline.get(i).features()) {
        if (f.feature().equals(name)) {
          v[i] = f.score();
          t[i] = f.threshold();
          d[i] = f.drifted();
          method = f.method().isPValueTest() ? f.method() + " p-value" : f.method().toString();
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
    sb.append("<div class=\"chart\"><h2>").append(esc(name)).append(" &mdash; ").append(esc(method)).append("</h2>\n");
    sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s timeline\">",
        W, H, esc(name)));
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", PAD, H - PAD, W - 8, H - PAD));
    sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"8\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>", PAD, PAD, H - PAD));
    sb.append(String.format(Locale.ROOT, "<text x=\"2\" y=\"16\" font-size=\"10\">%.3g</text><text x=\"2\" y=\"%d\" font-size=\"10\">0</text>",
        max, H - PAD));
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
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>", PAD, H - 12, esc(timeline.get(0).label())));
    sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>", W - 8, H - 12,
        esc(timeline.get(n - 1).label())));
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
