package org.sieveml.monitoring;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * How well a change detector finds labelled change points: detection delay, mean time between
 * false alarms and missed-detection rate, the three figures of the drift-detection literature
 * (Basseville and Nikiforov, <i>Detection of Abrupt Changes</i>, 1993; Bifet, "Classifier concept
 * drift detection and the illusion of progress", ICAISC 2017) that River's and CapyMOA's detector
 * evaluations report ({@code capymoa.drift.eval_detector.EvaluateDetector}, after Cerqueira, Gomes and
 * Bifet, DS 2020: {@code mean_time_to_detect}, {@code mean_time_btw_false_alarms},
 * {@code missed_detection_ratio}). Where those tools differ in details, the definitions below are the
 * ones computed here; in particular MTFA is stable time over false alarms (a rate, defined with a
 * single false alarm), not the mean gap between consecutive false alarms.
 *
 * <p><b>Definitions.</b> Observations are 0-based; an <i>alarm</i> at index {@code a} means the
 * detector's {@link ChangeDetector#update(double)} returned {@link DetectorState#DRIFT} on
 * {@code values[a]} (warnings are not alarms). A fresh detector from the factory reads each stream
 * from its start. For the true change points {@code c_1 < c_2 < ...} of a stream of length {@code n}
 * and a maximum delay {@code D}:
 * <ul>
 *   <li>the <i>detection window</i> of {@code c_i} is {@code [c_i, min(c_i + D, c_{i+1}, n))};
 *   <li>{@code c_i} is <i>detected</i> when an alarm falls in its window; its <i>delay</i> is
 *       {@code a - c_i} for the first such alarm {@code a} (0 when the detector fires on the first
 *       observation of the new concept); later alarms in the same window are <i>repeat alarms</i>,
 *       neither true nor false;
 *   <li>every alarm outside all windows is a <i>false alarm</i>, and every observation outside all
 *       windows is <i>stable time</i> (the time during which any alarm is false);
 *   <li>{@link #missedDetectionRate() MDR} = changes not detected / changes;
 *       {@link #meanDelay() mean delay} (MTD) and {@link #medianDelay() median delay} over the detected
 *       changes; {@link #meanTimeBetweenFalseAlarms() MTFA} = stable time / false alarms (infinite
 *       without false alarms; exactly 1 for a detector that fires on every observation).
 * </ul>
 * Over several streams the counts and stable time add up and the delays are pooled. Undefined figures
 * (a delay with nothing detected, an MDR without changes) are NaN.
 *
 * <p>Immutable and thread-safe. {@link #evaluate} runs the detectors on the calling thread.
 */
public final class DetectorEvaluation {

  private final String detector;
  private final int maxDelay;
  private final int streams;
  private final long observations;
  private final long changes;
  private final long detected;
  private final long falseAlarms;
  private final long repeatAlarms;
  private final long stableTime;
  private final int[] delays;

  private DetectorEvaluation(String detector, int maxDelay, int streams, long observations, long changes,
      long falseAlarms, long repeatAlarms, long stableTime, int[] delays) {
    this.detector = detector;
    this.maxDelay = maxDelay;
    this.streams = streams;
    this.observations = observations;
    this.changes = changes;
    this.detected = delays.length;
    this.falseAlarms = falseAlarms;
    this.repeatAlarms = repeatAlarms;
    this.stableTime = stableTime;
    this.delays = delays;
  }

  /**
   * Runs a fresh detector over each stream and scores its alarms.
   *
   * @param factory makes one new detector per stream
   * @param streams the labelled streams, at least one
   * @param maxDelay observations after a change within which an alarm counts as its detection, positive
   * @return the evaluation, named after the first detector's {@link ChangeDetector#name()}
   * @throws IllegalArgumentException if an argument is null, empty or not positive, or the factory
   *     returns null
   */
  public static DetectorEvaluation evaluate(Supplier<? extends ChangeDetector> factory, List<LabelledStream> streams,
      int maxDelay) {
    if (factory == null) {
      throw new IllegalArgumentException("factory must not be null");
    }
    checkStreams(streams);
    int[][] alarms = new int[streams.size()][];
    String name = null;
    for (int s = 0; s < alarms.length; s++) {
      ChangeDetector d = factory.get();
      if (d == null) {
        throw new IllegalArgumentException("factory returned null for stream " + s);
      }
      name = name == null ? d.name() : name;
      alarms[s] = alarms(d, streams.get(s));
    }
    return of(name, streams, List.of(alarms), maxDelay);
  }

  /**
   * The alarm indices of a detector over one stream: the 0-based indices of the observations on which
   * {@link ChangeDetector#update(double)} returned {@link DetectorState#DRIFT}.
   *
   * @param detector the detector, used as it is (not reset)
   * @param stream the stream
   * @return strictly increasing alarm indices
   */
  public static int[] alarms(ChangeDetector detector, LabelledStream stream) {
    if (detector == null || stream == null) {
      throw new IllegalArgumentException("detector and stream must not be null");
    }
    int[] a = new int[16];
    int k = 0;
    for (int i = 0; i < stream.length(); i++) {
      if (detector.update(stream.value(i)) == DetectorState.DRIFT) {
        if (k == a.length) {
          a = Arrays.copyOf(a, 2 * k);
        }
        a[k++] = i;
      }
    }
    return Arrays.copyOf(a, k);
  }

  /**
   * Scores alarms recorded elsewhere (for example by another library's detector) by the same
   * definitions.
   *
   * @param detector a name for the report
   * @param streams the labelled streams, at least one
   * @param alarms per stream, strictly increasing 0-based alarm indices within the stream
   * @param maxDelay observations after a change within which an alarm counts as its detection, positive
   * @return the evaluation
   * @throws IllegalArgumentException if the lists differ in size or an alarm is out of order or range
   */
  public static DetectorEvaluation of(String detector, List<LabelledStream> streams, List<int[]> alarms,
      int maxDelay) {
    if (detector == null || detector.isBlank()) {
      throw new IllegalArgumentException("detector must not be blank");
    }
    checkStreams(streams);
    if (alarms == null || alarms.size() != streams.size()) {
      throw new IllegalArgumentException("need one alarm array per stream (" + streams.size() + "), got "
          + (alarms == null ? null : alarms.size()));
    }
    if (maxDelay <= 0) {
      throw new IllegalArgumentException("maxDelay must be positive, was " + maxDelay);
    }
    long observations = 0;
    long changes = 0;
    long falseAlarms = 0;
    long repeats = 0;
    long stable = 0;
    int[] delays = new int[16];
    int nd = 0;
    for (int s = 0; s < streams.size(); s++) {
      LabelledStream stream = streams.get(s);
      int n = stream.length();
      int[] cps = stream.changePointsShared();
      int[] a = alarms.get(s);
      if (a == null) {
        throw new IllegalArgumentException("alarms of stream " + s + " must not be null");
      }
      LabelledStream.checkIndices("alarm", a, 0, n);
      observations += n;
      changes += cps.length;
      int windowed = 0;
      int inWindows = 0;
      int j = 0;
      for (int i = 0; i < cps.length; i++) {
        int from = cps[i];
        int to = (int) Math.min(Math.min((long) from + maxDelay, i + 1 < cps.length ? cps[i + 1] : n), n);
        inWindows += to - from;
        while (j < a.length && a[j] < from) {
          j++;
        }
        boolean first = true;
        while (j < a.length && a[j] < to) {
          if (first) {
            if (nd == delays.length) {
              delays = Arrays.copyOf(delays, 2 * nd);
            }
            delays[nd++] = a[j] - from;
            first = false;
          } else {
            repeats++;
          }
          windowed++;
          j++;
        }
      }
      falseAlarms += a.length - windowed;
      stable += n - inWindows;
    }
    return new DetectorEvaluation(detector, maxDelay, streams.size(), observations, changes, falseAlarms, repeats,
        stable, Arrays.copyOf(delays, nd));
  }

  private static void checkStreams(List<LabelledStream> streams) {
    if (streams == null || streams.isEmpty()) {
      throw new IllegalArgumentException("need at least one labelled stream");
    }
    for (int s = 0; s < streams.size(); s++) {
      if (streams.get(s) == null) {
        throw new IllegalArgumentException("stream " + s + " is null");
      }
    }
  }

  /**
   * The detector's name.
   *
   * @return the name
   */
  public String detector() {
    return detector;
  }

  /**
   * The maximum delay D of the detection windows.
   *
   * @return D
   */
  public int maxDelay() {
    return maxDelay;
  }

  /**
   * The number of streams evaluated.
   *
   * @return the count
   */
  public int streams() {
    return streams;
  }

  /**
   * Observations in all streams.
   *
   * @return the count
   */
  public long observations() {
    return observations;
  }

  /**
   * True change points in all streams.
   *
   * @return the count
   */
  public long changes() {
    return changes;
  }

  /**
   * Change points with an alarm in their detection window.
   *
   * @return the count
   */
  public long detected() {
    return detected;
  }

  /**
   * Alarms outside every detection window.
   *
   * @return the count
   */
  public long falseAlarms() {
    return falseAlarms;
  }

  /**
   * Alarms in a detection window after its first alarm.
   *
   * @return the count
   */
  public long repeatAlarms() {
    return repeatAlarms;
  }

  /**
   * Observations outside every detection window.
   *
   * @return the count
   */
  public long stableTime() {
    return stableTime;
  }

  /**
   * The delay of each detected change, in stream order.
   *
   * @return a copy
   */
  public int[] delays() {
    return delays.clone();
  }

  /**
   * Missed-detection rate: undetected changes / changes.
   *
   * @return the rate in [0, 1], NaN without changes
   */
  public double missedDetectionRate() {
    return changes == 0 ? Double.NaN : (double) (changes - detected) / changes;
  }

  /**
   * Mean detection delay (MTD) over the detected changes, in observations.
   *
   * @return the mean, NaN when nothing was detected
   */
  public double meanDelay() {
    if (delays.length == 0) {
      return Double.NaN;
    }
    long sum = 0;
    for (int d : delays) {
      sum += d;
    }
    return (double) sum / delays.length;
  }

  /**
   * Median detection delay over the detected changes (the mean of the two middle ones for an even
   * count), in observations.
   *
   * @return the median, NaN when nothing was detected
   */
  public double medianDelay() {
    int n = delays.length;
    if (n == 0) {
      return Double.NaN;
    }
    int[] d = delays.clone();
    Arrays.sort(d);
    return n % 2 == 1 ? d[n / 2] : (d[n / 2 - 1] + (double) d[n / 2]) / 2;
  }

  /**
   * Mean time between false alarms (MTFA): stable time / false alarms, in observations.
   *
   * @return the mean, positive infinity without false alarms
   */
  public double meanTimeBetweenFalseAlarms() {
    return falseAlarms == 0 ? Double.POSITIVE_INFINITY : (double) stableTime / falseAlarms;
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT,
        "%s{streams=%d, changes=%d, detected=%d, meanDelay=%.1f, medianDelay=%.1f, falseAlarms=%d, MTFA=%.1f,"
            + " MDR=%.3f, maxDelay=%d}", detector, streams, changes, detected, meanDelay(), medianDelay(),
        falseAlarms, meanTimeBetweenFalseAlarms(), missedDetectionRate(), maxDelay);
  }
}
