package org.sieveml.monitoring;

import org.sieveml.monitoring.internal.AbstractDetector;

/**
 * HDDM_A (Frías-Blanco et al., 2015): drift detection with Hoeffding's bound on moving averages of a
 * bounded stream in [0, 1]. It compares the mean since the cut point with the overall mean.
 *
 * <p>Semantics and defaults match MOA's {@code HDDM_A_Test} (drift confidence 0.001, warning
 * confidence 0.005, two-sided by default). An increase beyond the drift bound is a
 * {@link DetectorState#DRIFT}; in the two-sided mode a significant decrease silently restarts the
 * statistics (a better concept arrived), exactly as in MOA, without reporting a drift. Reset
 * semantics: the statistics restart at the drift itself. Not thread-safe (see {@link ChangeDetector}).
 */
public final class HddmA extends AbstractDetector {

  private final double driftConfidence;
  private final double warningConfidence;
  private final boolean twoSided;
  private int nMin;
  private double cMin;
  private int totalN;
  private double totalC;
  private int nMax;
  private double cMax;
  private double cEst;
  private int nEst;
  private double estimation;

  /** HDDM_A with MOA's defaults: drift 0.001, warning 0.005, two-sided. */
  public HddmA() {
    this(0.001, 0.005, true);
  }

  /**
   * HDDM_A with explicit parameters.
   *
   * @param driftConfidence in (0, 1)
   * @param warningConfidence in (0, 1), usually above driftConfidence
   * @param twoSided also watch for decreases (which restart the statistics)
   */
  public HddmA(double driftConfidence, double warningConfidence, boolean twoSided) {
    if (!(driftConfidence > 0 && driftConfidence < 1) || !(warningConfidence > 0 && warningConfidence < 1)) {
      throw new IllegalArgumentException("confidences must be in (0, 1), were " + driftConfidence + ", "
          + warningConfidence);
    }
    this.driftConfidence = driftConfidence;
    this.warningConfidence = warningConfidence;
    this.twoSided = twoSided;
    resetAlgorithm();
  }

  @Override
  public String name() {
    return "HDDM_A";
  }

  @Override
  public double estimate() {
    return estimation;
  }

  @Override
  protected void resetAlgorithm() {
    nMin = 0;
    cMin = 0;
    totalN = 0;
    totalC = 0;
    nMax = 0;
    cMax = 0;
    cEst = 0;
    nEst = 0;
    estimation = 0;
  }

  @Override
  protected DetectorState step(double value) {
    DetectorState out;
    totalN++;
    totalC += value;
    if (nMin == 0) {
      nMin = totalN;
      cMin = totalC;
    }
    if (nMax == 0) {
      nMax = totalN;
      cMax = totalC;
    }
    double cota = Math.sqrt(1.0 / (2 * nMin) * Math.log(1.0 / driftConfidence));
    double cota1 = Math.sqrt(1.0 / (2 * totalN) * Math.log(1.0 / driftConfidence));
    if (cMin / nMin + cota >= totalC / totalN + cota1) {
      cMin = totalC;
      nMin = totalN;
    }
    cota = Math.sqrt(1.0 / (2 * nMax) * Math.log(1.0 / driftConfidence));
    if (cMax / nMax - cota <= totalC / totalN - cota1) {
      cMax = totalC;
      nMax = totalN;
    }
    if (meanIncr(cMin, nMin, totalC, totalN, driftConfidence)) {
      nEst = totalN - nMin;
      cEst = totalC - cMin;
      nMin = nMax = totalN = 0;
      cMin = cMax = totalC = 0;
      out = DetectorState.DRIFT;
    } else if (meanIncr(cMin, nMin, totalC, totalN, warningConfidence)) {
      out = DetectorState.WARNING;
    } else {
      out = DetectorState.STABLE;
    }
    if (twoSided && meanDecr(cMax, nMax, totalC, totalN)) {
      nEst = totalN - nMax;
      cEst = totalC - cMax;
      nMin = nMax = totalN = 0;
      cMin = cMax = totalC = 0;
    }
    if (totalN >= nEst) {
      cEst = 0;
      nEst = 0;
      estimation = totalC / totalN;
    } else {
      estimation = cEst / nEst;
    }
    return out;
  }

  private static boolean meanIncr(double cMin, int nMin, double totalC, int totalN, double confidence) {
    if (nMin == totalN) {
      return false;
    }
    double m = (double) (totalN - nMin) / nMin * (1.0 / totalN);
    double cota = Math.sqrt(m / 2 * Math.log(2.0 / confidence));
    return totalC / totalN - cMin / nMin >= cota;
  }

  private boolean meanDecr(double cMax, int nMax, double totalC, int totalN) {
    if (nMax == totalN) {
      return false;
    }
    double m = (double) (totalN - nMax) / nMax * (1.0 / totalN);
    double cota = Math.sqrt(m / 2 * Math.log(2.0 / driftConfidence));
    return cMax / nMax - totalC / totalN >= cota;
  }
}
