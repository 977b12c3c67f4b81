/**
 * Drift and skew monitoring: is what a model sees now still what it was trained on, does serving
 * compute the same features as training, and how well does the model perform while labels are late?
 *
 * <h2>What is in it</h2>
 * <ul>
 *   <li><b>Two-sample tests</b>, one feature at a time: {@link org.sieveml.monitoring.DriftTests}
 *       runs Kolmogorov-Smirnov, chi-square, PSI, Jensen-Shannon and normalised Wasserstein
 *       ({@link org.sieveml.monitoring.DriftMethod}) between a reference sample and a current one
 *       ({@code double[]} or {@code String[]}), and picks a method by type and sample size with
 *       {@link org.sieveml.monitoring.DriftTests#auto}. Each result is a
 *       {@link org.sieveml.monitoring.FeatureDrift}.
 *   <li><b>Dataset decisions</b>: {@link org.sieveml.monitoring.DriftCheck} tests every column of two
 *       {@link org.sieveml.core.FeatureFrame}s, applies a multiple-testing
 *       {@link org.sieveml.monitoring.Correction} and decides "dataset drift" when the share of drifted
 *       features reaches a threshold; thresholds can be learned from the reference. The outcome is a
 *       {@link org.sieveml.monitoring.DriftReport}.
 *   <li><b>Streaming detectors</b> over an error or loss stream, with MOA's semantics:
 *       {@link org.sieveml.monitoring.ChangeDetector} implemented by
 *       {@link org.sieveml.monitoring.Adwin}, {@link org.sieveml.monitoring.Ddm},
 *       {@link org.sieveml.monitoring.Eddm}, {@link org.sieveml.monitoring.HddmA},
 *       {@link org.sieveml.monitoring.HddmW}, {@link org.sieveml.monitoring.PageHinkley} and
 *       {@link org.sieveml.monitoring.Kswin}; each update returns a
 *       {@link org.sieveml.monitoring.DetectorState}.
  <li><b>Detector evaluation</b>: {@link org.sieveml.monitoring.DetectorEvaluation} scores a detector
 *       on {@link org.sieveml.monitoring.LabelledStream}s with known change points (detection delay,
 *       mean time between false alarms, missed-detection rate).
 *   <li><b>Monitors</b> for the serving path: {@link org.sieveml.monitoring.StreamingDriftMonitor}
 *       (a bounded-memory reference profile against a sliding window of feature vectors or
 *       predictions) and {@link org.sieveml.monitoring.DetectorMonitor} (a detector over an error
 *       stream). Both notify {@link org.sieveml.monitoring.DriftListener}s, log through slf4j and
 *       count through core's {@link org.sieveml.core.telemetry.Telemetry}.
 *   <li><b>Skew checks</b>: {@link org.sieveml.monitoring.SkewCheck} compares features as served with
 *       the same features replayed offline (for example the two frames a feature store returns for one
 *       sample of served requests), by distribution and, for paired rows, value by value, into a
 *       {@link org.sieveml.monitoring.SkewReport}.
 *   <li><b>Performance without labels</b>: {@link org.sieveml.monitoring.Cbpe} (confidence-based
 *       performance estimation for binary classifiers: ROC-AUC, precision, recall, F1, accuracy from
 *       calibrated scores) and {@link org.sieveml.monitoring.Dle} (direct loss estimation for
 *       regression: MAE and RMSE from loss models), per {@link org.sieveml.monitoring.Chunking} chunk,
 *       as {@link org.sieveml.monitoring.ChunkEstimate}s of
 *       {@link org.sieveml.monitoring.MetricEstimate}s with confidence bands and alert thresholds.
 *   <li><b>Reports</b>: a {@link org.sieveml.monitoring.DriftReport} (and a series of them) renders as
 *       text, as an HTML fragment a host embeds in its own page
 *       ({@link org.sieveml.monitoring.DriftReport#toHtmlFragment()}: one {@code <section>}, styles
 *       scoped to it, no scripts, no external resources) or as a whole page wrapping that fragment
 *       ({@link org.sieveml.monitoring.DriftReport#toHtmlPage()}).
 * </ul>
 *
 * <h2>Thread-safety</h2>
 * Reports, results, methods and checks ({@code DriftReport}, {@code FeatureDrift}, {@code SkewReport},
 * {@code DriftCheck}, {@code DriftMethod}, {@code Correction}, {@code DetectorEvent}) are immutable
 * and thread-safe, as are the stateless {@code DriftTests} and {@code SkewCheck}; builders are not.
 * Fitted {@code Cbpe} and {@code Dle}, {@code Chunking} and the estimate value types are immutable and
 * thread-safe. {@code StreamingDriftMonitor} and {@code DetectorMonitor} are thread-safe (updates are
 * serialised, listeners run outside their lock on the calling thread). Detectors ({@code ChangeDetector} and its
 * implementations) are not thread-safe: one owner thread, or the caller's lock, or a
 * {@code DetectorMonitor}.
 *
 * <p>This package depends on {@code org.sieveml.core} only.
 */
package org.sieveml.monitoring;
