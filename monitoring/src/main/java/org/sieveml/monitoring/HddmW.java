package org.sieveml.monitoring;

import org.sieveml.monitoring.internal.AbstractDetector;

/**
 * HDDM_W (Frías-Blanco et al., 2015): drift detection with McDiarmid's bound on exponentially weighted
 * moving averages of a bounded stream in [0, 1].
 *
 * <p>Semantics and defaults match MOA's {@code HDDM_W_Test} (drift confidence 0.001, warning
 * confidence 0.005, lambda 0.05, one-sided by default: MOA's default option index 0 is "One-sided").
 * In the two-sided mode a significant decrease silently restarts the statistics. Reset semantics: the
 * statistics restart at the drift itself. Unlike MOA, whose sample statistics are static fields shared
 * by every instance in the JVM, each instance here has its own state. Not thread-safe (see
 * {@link ChangeDetector}).
 */
public final class HddmW extends AbstractDetector {

  private final double driftConfidence;
  private final double warningConfidence;
  private final double lambda;
  private final boolean twoSided;

  // EWMA estimate (negative = empty) and bounded-condition sum of each sample
  private double totalE;
  private double totalS;
  private double inc1E;
  private double inc1S;
  private double inc2E;
  private double inc2S;
  private double dec1E;
  private double dec1S;
  private double dec2E;
  private double dec2S;
  private double incrCut;
  private double decrCut;

  /** HDDM_W with MOA's defaults: drift 0.001, warning 0.005, lambda 0.05, one-sided. */
  public HddmW() {
    this(0.001, 0.005, 0.05, false);
  }

  /**
   * HDDM_W with explicit parameters.
   *
   * @param driftConfidence in (0, 1)
   * @param warningConfidence in (0, 1)
   * @param lambda weight of the newest value in (0, 1)
   * @param twoSided also watch for decreases (which restart the statistics)
   */
  public HddmW(double driftConfidence, double warningConfidence, double lambda, boolean twoSided) {
    if (!(driftConfidence > 0 && driftConfidence < 1) || !(warningConfidence > 0 && warningConfidence < 1)
        || !(lambda > 0 && lambda < 1)) {
      throw new IllegalArgumentException("confidences and lambda must be in (0, 1), were " + driftConfidence
          + ", " + warningConfidence + ", " + lambda);
    }
    this.driftConfidence = driftConfidence;
    this.warningConfidence = warningConfidence;
    this.lambda = lambda;
    this.twoSided = twoSided;
    resetAlgorithm();
  }

  @Override
  public String name() {
    return "HDDM_W";
  }

  @Override
  public double estimate() {
    return totalE < 0 ? 0 : totalE;
  }

  @Override
  protected void resetAlgorithm() {
    totalE = -1;
    totalS = 0;
    inc1E = -1;
    inc1S = 0;
    inc2E = -1;
    inc2S = 0;
    dec1E = -1;
    dec1S = 0;
    dec2E = -1;
    dec2S = 0;
    incrCut = Double.MAX_VALUE;
    decrCut = Double.MIN_VALUE;
  }

  @Override
  protected DetectorState step(double value) {
    double aux = 1.0 - lambda;
    if (totalE < 0) {
      totalE = value;
      totalS = 1;
    } else {
      totalE = lambda * value + aux * totalE;
      totalS = lambda * lambda + aux * aux * totalS;
    }
    // increase statistics
    double bound = Math.sqrt(totalS * Math.log(1.0 / driftConfidence) / 2);
    if (totalE + bound < incrCut) {
      incrCut = totalE + bound;
      inc1E = totalE;
      inc1S = totalS;
      inc2E = -1;
      inc2S = 0;
    } else if (inc2E < 0) {
      inc2E = value;
      inc2S = 1;
    } else {
      inc2E = lambda * value + aux * inc2E;
      inc2S = lambda * lambda + aux * aux * inc2S;
    }
    DetectorState out;
    if (increase(inc1E, inc1S, inc2E, inc2S, driftConfidence)) {
      resetAlgorithm();
      out = DetectorState.DRIFT;
    } else if (increase(inc1E, inc1S, inc2E, inc2S, warningConfidence)) {
      out = DetectorState.WARNING;
    } else {
      out = DetectorState.STABLE;
    }
    // decrease statistics
    double eps = Math.sqrt(totalS * Math.log(1.0 / driftConfidence) / 2);
    if (totalE - eps > decrCut) {
      decrCut = totalE - eps;
      dec1E = totalE;
      dec1S = totalS;
      dec2E = -1;
      dec2S = 0;
    } else if (dec2E < 0) {
      dec2E = value;
      dec2S = 1;
    } else {
      dec2E = lambda * value + aux * dec2E;
      dec2S = lambda * lambda + aux * aux * dec2S;
    }
    if (twoSided && increase(dec2E, dec2S, dec1E, dec1S, driftConfidence)) {
      resetAlgorithm();
    }
    return out;
  }

  private static boolean increase(double e1, double s1, double e2, double s2, double confidence) {
    if (e1 < 0 || e2 < 0) {
      return false;
    }
    double bound = Math.sqrt((s1 + s2) * Math.log(1 / confidence) / 2);
    return e2 - e1 > bound;
  }
}
