package org.sieveml.monitoring;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.sieveml.monitoring.internal.HtmlReport;

/**
 * The outcome of one drift check: per-feature results and the dataset-level decision (drift when the
 * share of drifted features reaches {@code shareThreshold}).
 *
 * <p>Render it with {@link #toText()}, or as HTML: {@link #toHtmlFragment()} gives one
 * {@code <section>} a host embeds in its own page (no {@code <html>}, {@code <head>} or {@code <body>};
 * its styles are scoped to the section, no scripts, no external resources), {@link #toHtmlPage()} a
 * whole self-contained document wrapping that fragment. For a series of checks,
 * {@link #toHtmlFragment(String, List)} and {@link #toHtmlPage(String, List)} draw one timeline chart
 * per feature.
 *
 * <p>Immutable and thread-safe.
 *
 * @param label what was checked, e.g. a window's time range or {@code "skew"}
 * @param sequence the check's position in its series (0 for one-off checks)
 * @param features per-feature results, in check order
 * @param driftedShare share of features flagged
 * @param shareThreshold share at which the dataset counts as drifted
 * @param datasetDrift whether {@code driftedShare >= shareThreshold} (false when there are no features)
 * @param correction multiple-testing correction applied
 */
public record DriftReport(
    String label,
    long sequence,
    List<FeatureDrift> features,
    double driftedShare,
    double shareThreshold,
    boolean datasetDrift,
    Correction correction) {

  /**
   * Validates and copies.
   *
   * @param label label
   * @param sequence sequence
   * @param features results
   * @param driftedShare share
   * @param shareThreshold threshold
   * @param datasetDrift decision
   * @param correction correction
   */
  public DriftReport {
    Objects.requireNonNull(label, "label");
    features = List.copyOf(features);
    Objects.requireNonNull(correction, "correction");
  }

  /**
   * Builds a report, deriving the share and the decision.
   *
   * @param label label
   * @param sequence sequence
   * @param features results
   * @param shareThreshold share threshold in (0, 1]
   * @param correction correction applied
   * @return the report
   */
  public static DriftReport of(
      String label, long sequence, List<FeatureDrift> features, double shareThreshold, Correction correction) {
    if (!(shareThreshold > 0 && shareThreshold <= 1)) {
      throw new IllegalArgumentException("shareThreshold must be in (0, 1], was " + shareThreshold);
    }
    long drifted = features.stream().filter(FeatureDrift::drifted).count();
    double share = features.isEmpty() ? 0 : (double) drifted / features.size();
    return new DriftReport(label, sequence, features, share, shareThreshold,
        !features.isEmpty() && share >= shareThreshold, correction);
  }

  /**
   * The features flagged as drifted.
   *
   * @return drifted results
   */
  public List<FeatureDrift> drifted() {
    List<FeatureDrift> out = new ArrayList<>();
    for (FeatureDrift f : features) {
      if (f.drifted()) {
        out.add(f);
      }
    }
    return out;
  }

  /**
   * The result of one feature.
   *
   * @param feature the feature's name
   * @return the result
   * @throws IllegalArgumentException if the feature was not checked
   */
  public FeatureDrift feature(String feature) {
    for (FeatureDrift f : features) {
      if (f.feature().equals(feature)) {
        return f;
      }
    }
    throw new IllegalArgumentException("feature '" + feature + "' is not in report '" + label + "'");
  }

  /**
   * A plain-text table of the results.
   *
   * @return the text
   */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Drift report '%s' #%d: %d of %d features drifted (%.1f%%, threshold %.1f%%) -> %s%n",
        label, sequence, drifted().size(), features.size(), 100 * driftedShare, 100 * shareThreshold,
        datasetDrift ? "DATASET DRIFT" : "no dataset drift"));
    sb.append(String.format(Locale.ROOT, "  correction: %s%n", correction));
    sb.append(String.format(Locale.ROOT, "  %-24s %-18s %12s %12s %12s %8s %8s %8s  %s%n",
        "feature", "method", "statistic", "p-value", "threshold", "ref n", "cur n", "missing", "drift"));
    for (FeatureDrift f : features) {
      sb.append(String.format(Locale.ROOT, "  %-24s %-18s %12.6g %12.6g %12.6g %8d %8d %8d  %s%s%n",
          f.feature(), f.method(), f.statistic(), f.pValue(), f.threshold(), f.referenceCount(),
          f.currentCount(), f.currentMissing(), f.drifted() ? "DRIFT" : "-",
          f.note().isEmpty() ? "" : " (" + f.note() + ")"));
    }
    return sb.toString();
  }

  /**
   * This report alone as an embeddable HTML fragment (see {@link #toHtmlFragment(String, List)}).
   *
   * @return the HTML text: one {@code <section>}
   */
  public String toHtmlFragment() {
    return toHtmlFragment("Drift report " + label, List.of(this));
  }

  /**
   * This report alone as a whole HTML page (see {@link #toHtmlPage(String, List)}).
   *
   * @return the HTML text: one document
   */
  public String toHtmlPage() {
    return toHtmlPage("Drift report " + label, List.of(this));
  }

  /**
   * A series of reports as an HTML fragment a host embeds in its own page: one
   * {@code <section class="sieveml-drift">} holding its heading, a summary and table of the last
   * report, and per feature an SVG timeline of the decision value across the series with its
   * threshold, drifted checks marked in red. It has no {@code <html>}, {@code <head>} or
   * {@code <body>}; its styles apply only inside the section; it loads no script, style or font.
   *
   * @param title the section's heading
   * @param timeline reports in time order, not empty
   * @return the HTML text
   */
  public static String toHtmlFragment(String title, List<DriftReport> timeline) {
    Objects.requireNonNull(title, "title");
    if (timeline == null || timeline.isEmpty()) {
      throw new IllegalArgumentException("timeline must hold at least one report, was " + timeline);
    }
    List<HtmlReport.Check> checks = new ArrayList<>(timeline.size());
    for (DriftReport r : timeline) {
      checks.add(r.htmlView());
    }
    return HtmlReport.fragment(title, checks);
  }

  /**
   * A series of reports as one self-contained HTML page: {@link #toHtmlFragment(String, List)} inside
   * a document titled {@code title}.
   *
   * @param title the page title (and the section's heading)
   * @param timeline reports in time order, not empty
   * @return the HTML text
   */
  public static String toHtmlPage(String title, List<DriftReport> timeline) {
    return HtmlReport.page(title, toHtmlFragment(title, timeline));
  }

  /** This report as the renderer's plain view. */
  private HtmlReport.Check htmlView() {
    List<HtmlReport.Row> rows = new ArrayList<>(features.size());
    for (FeatureDrift f : features) {
      rows.add(new HtmlReport.Row(f.feature(), f.method().toString(),
          f.method().isPValueTest() ? f.method() + " p-value" : f.method().toString(), f.statistic(), f.pValue(),
          f.threshold(), f.score(), f.referenceCount(), f.currentCount(), f.currentMissing(), f.drifted(),
          f.note()));
    }
    return new HtmlReport.Check(label, sequence, drifted().size(), driftedShare, shareThreshold, datasetDrift,
        correction.toString(), rows);
  }
}
