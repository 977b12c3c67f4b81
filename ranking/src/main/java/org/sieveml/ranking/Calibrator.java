package org.sieveml.ranking;

import java.util.Arrays;

/**
 * Maps a model's raw probability to a calibrated one. Fitted on held-out data (never on the training
 * rows): {@link #platt} (a 1-D logistic regression on the logit of the score, with Platt's smoothed
 * targets) or {@link #isotonic} (pool-adjacent-violators, a monotone step function interpolated linearly
 * between block centres). {@link #downsampling} undoes negative downsampling with the correction
 * {@code q = p / (p + (1 - p) / w)} of He et al. (2014), where {@code w} is the rate at which negatives were
 * kept.
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class Calibrator {
  private enum Kind { PLATT, ISOTONIC, DOWNSAMPLING }

  private final Kind kind;
  private final double a;
  private final double b;
  private final double[] xs;
  private final double[] ys;

  private Calibrator(Kind kind, double a, double b, double[] xs, double[] ys) {
    this.kind = kind;
    this.a = a;
    this.b = b;
    this.xs = xs;
    this.ys = ys;
  }

  /**
   * The correction for negative downsampling: negatives were kept with probability {@code rate}.
   *
   * @param rate the negative sampling rate, in (0, 1]
   * @return the calibrator
   */
  public static Calibrator downsampling(double rate) {
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("rate is " + rate + "; expected in (0, 1]");
    }
    return new Calibrator(Kind.DOWNSAMPLING, rate, 0, null, null);
  }

  /**
   * Fits Platt scaling, {@code q = sigmoid(a * logit(p) + b)}, by Newton's method on the log loss with Platt's
   * targets {@code (N+ + 1)/(N+ + 2)} and {@code 1/(N- + 2)}.
   *
   * @param scores held-out raw probabilities in [0, 1]
   * @param labels 0/1 labels
   * @return the calibrator
   */
  public static Calibrator platt(double[] scores, double[] labels) {
    check(scores, labels);
    int n = scores.length;
    double np = 0;
    for (double y : labels) {
      np += y;
    }
    double nn = n - np;
    double hi = (np + 1) / (np + 2);
    double lo = 1 / (nn + 2);
    double[] x = new double[n];
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = logit(scores[i]);
      t[i] = labels[i] == 1 ? hi : lo;
    }
    double a = 1;
    double b = 0;
    for (int it = 0; it < 100; it++) {
      double ga = 0;
      double gb = 0;
      double haa = 1e-12;
      double hab = 0;
      double hbb = 1e-12;
      for (int i = 0; i < n; i++) {
        double p = sigmoid(a * x[i] + b);
        double r = p - t[i];
        double w = p * (1 - p);
        ga += r * x[i];
        gb += r;
        haa += w * x[i] * x[i];
        hab += w * x[i];
        hbb += w;
      }
      double det = haa * hbb - hab * hab;
      if (det <= 0) {
        break;
      }
      double da = (hbb * ga - hab * gb) / det;
      double db = (haa * gb - hab * ga) / det;
      double before = plattLoss(x, t, a, b);
      double step = 1;
      while (step > 1e-10 && plattLoss(x, t, a - step * da, b - step * db) > before) {
        step /= 2;
      }
      a -= step * da;
      b -= step * db;
      if (step * (Math.abs(da) + Math.abs(db)) < 1e-10) {
        break;
      }
    }
    return new Calibrator(Kind.PLATT, a, b, null, null);
  }

  /**
   * Fits isotonic regression (pool adjacent violators) of the labels on the scores.
   *
   * @param scores held-out raw scores
   * @param labels 0/1 labels
   * @return the calibrator
   */
  public static Calibrator isotonic(double[] scores, double[] labels) {
    check(scores, labels);
    int n = scores.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (p, q) -> Double.compare(scores[p], scores[q]));
    double[] sumY = new double[n];
    double[] sumX = new double[n];
    double[] cnt = new double[n];
    int blocks = 0;
    for (int k = 0; k < n; k++) {
      int i = order[k];
      sumY[blocks] = labels[i];
      sumX[blocks] = scores[i];
      cnt[blocks] = 1;
      blocks++;
      while (blocks > 1 && sumY[blocks - 2] / cnt[blocks - 2] >= sumY[blocks - 1] / cnt[blocks - 1]) {
        sumY[blocks - 2] += sumY[blocks - 1];
        sumX[blocks - 2] += sumX[blocks - 1];
        cnt[blocks - 2] += cnt[blocks - 1];
        blocks--;
      }
    }
    double[] xs = new double[blocks];
    double[] ys = new double[blocks];
    for (int k = 0; k < blocks; k++) {
      xs[k] = sumX[k] / cnt[k];
      ys[k] = sumY[k] / cnt[k];
    }
    return new Calibrator(Kind.ISOTONIC, 0, 0, xs, ys);
  }

  /**
   * Calibrates one score.
   *
   * @param p the raw probability
   * @return the calibrated probability
   */
  public double calibrate(double p) {
    switch (kind) {
      case DOWNSAMPLING:
        return p / (p + (1 - p) / a);
      case PLATT:
        return sigmoid(a * logit(p) + b);
      default:
        if (p <= xs[0]) {
          return ys[0];
        }
        if (p >= xs[xs.length - 1]) {
          return ys[ys.length - 1];
        }
        int k = Arrays.binarySearch(xs, p);
        if (k >= 0) {
          return ys[k];
        }
        int hi = -k - 1;
        int lo = hi - 1;
        double f = (p - xs[lo]) / (xs[hi] - xs[lo]);
        return ys[lo] + f * (ys[hi] - ys[lo]);
    }
  }

  /**
   * Calibrates many scores.
   *
   * @param ps raw probabilities
   * @return calibrated probabilities
   */
  public double[] calibrate(double[] ps) {
    double[] out = new double[ps.length];
    for (int i = 0; i < ps.length; i++) {
      out[i] = calibrate(ps[i]);
    }
    return out;
  }

  private static double plattLoss(double[] x, double[] t, double a, double b) {
    double l = 0;
    for (int i = 0; i < x.length; i++) {
      double z = a * x[i] + b;
      // -(t log s(z) + (1-t) log(1-s(z))) = log(1+e^z) - t z, computed stably
      l += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t[i] * z;
    }
    return l;
  }

  private static double logit(double p) {
    double q = Math.min(Math.max(p, 1e-15), 1 - 1e-15);
    return Math.log(q / (1 - q));
  }

  private static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  private static void check(double[] scores, double[] labels) {
    if (scores == null || labels == null || scores.length != labels.length || scores.length == 0) {
      throw new IllegalArgumentException("scores and labels must be non-empty and of equal length; got "
          + (scores == null ? "null" : scores.length) + " and " + (labels == null ? "null" : labels.length));
    }
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        throw new IllegalArgumentException("scores[" + i + "] is " + scores[i] + "; expected finite");
      }
      if (labels[i] != 0 && labels[i] != 1) {
        throw new IllegalArgumentException("labels[" + i + "] is " + labels[i] + "; expected 0 or 1");
      }
    }
  }

  /**
   * The calibrator as one line of text, {@link #parse}d back to an equal calibrator (doubles are written
   * so they read back exactly).
   *
   * @return e.g. {@code platt 1.02 -0.31}, {@code downsampling 0.1} or {@code isotonic 3 x1 y1 x2 y2 x3 y3}
   */
  public String toText() {
    switch (kind) {
      case DOWNSAMPLING:
        return "downsampling " + a;
      case PLATT:
        return "platt " + a + " " + b;
      default: {
        StringBuilder t = new StringBuilder("isotonic ").append(xs.length);
        for (int i = 0; i < xs.length; i++) {
          t.append(' ').append(xs[i]).append(' ').append(ys[i]);
        }
        return t.toString();
      }
    }
  }

  /** The most points an isotonic calibrator read from text may have. */
  static final int MAX_POINTS = 1 << 20;

  /**
   * Reads a calibrator written by {@link #toText()}.
   *
   * @param text the text
   * @return the calibrator
   * @throws IllegalArgumentException naming what is malformed (kind, count, a non-finite or out-of-order value)
   */
  public static Calibrator parse(String text) {
    if (text == null || text.length() > 64 * (MAX_POINTS + 1)) {
      throw new IllegalArgumentException("calibrator text is " + (text == null ? "null" : text.length() + " chars")
          + "; expected one line of at most " + 64 * (MAX_POINTS + 1) + " chars");
    }
    String[] t = text.trim().split(" ", -1);
    try {
      switch (t[0]) {
        case "downsampling":
          expectLength(t, 2, text);
          return downsampling(Double.parseDouble(t[1]));
        case "platt": {
          expectLength(t, 3, text);
          double pa = Double.parseDouble(t[1]);
          double pb = Double.parseDouble(t[2]);
          if (!Double.isFinite(pa) || !Double.isFinite(pb)) {
            throw new IllegalArgumentException("calibrator 'platt' has a=" + pa + ", b=" + pb + "; expected finite");
          }
          return new Calibrator(Kind.PLATT, pa, pb, null, null);
        }
        case "isotonic": {
          if (t.length < 2 || !t[1].matches("[1-9][0-9]{0,7}")) {
            throw new IllegalArgumentException("calibrator 'isotonic' has the count '" + (t.length < 2 ? "" : t[1])
                + "'; expected 1.." + MAX_POINTS);
          }
          int n = Integer.parseInt(t[1]);
          if (n > MAX_POINTS) {
            throw new IllegalArgumentException("calibrator 'isotonic' has " + n + " points; expected at most "
                + MAX_POINTS);
          }
          expectLength(t, 2 + 2 * n, "isotonic calibrator");
          double[] px = new double[n];
          double[] py = new double[n];
          for (int i = 0; i < n; i++) {
            px[i] = Double.parseDouble(t[2 + 2 * i]);
            py[i] = Double.parseDouble(t[3 + 2 * i]);
            if (!(px[i] >= 0 && px[i] <= 1) || !(py[i] >= 0 && py[i] <= 1) || (i > 0 && px[i] < px[i - 1])
                || (i > 0 && py[i] < py[i - 1])) {
              throw new IllegalArgumentException("calibrator 'isotonic' point " + i + " is (" + px[i] + ", " + py[i]
                  + "); expected values in [0, 1], ascending");
            }
          }
          return new Calibrator(Kind.ISOTONIC, 0, 0, px, py);
        }
        default:
          throw new IllegalArgumentException("calibrator kind is '" + abbreviate(t[0])
              + "'; expected platt, isotonic or downsampling");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("calibrator text '" + abbreviate(text) + "' holds a malformed number: "
          + e.getMessage(), e);
    }
  }

  private static void expectLength(String[] t, int n, String text) {
    if (t.length != n) {
      throw new IllegalArgumentException("calibrator '" + abbreviate(text) + "' has " + t.length + " fields; expected "
          + n);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Calibrator && ((Calibrator) o).toText().equals(toText());
  }

  @Override
  public int hashCode() {
    return toText().hashCode();
  }

  @Override
  public String toString() {
    switch (kind) {
      case DOWNSAMPLING:
        return "Calibrator{downsampling rate=" + a + "}";
      case PLATT:
        return "Calibrator{platt a=" + a + ", b=" + b + "}";
      default:
        return "Calibrator{isotonic blocks=" + xs.length + "}";
    }
  }
}
