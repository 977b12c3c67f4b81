package org.sieveml.monitoring;

import org.sieveml.monitoring.internal.AbstractDetector;

/**
 * EDDM, the early drift detection method of Baena-García et al. (2006), over a 0/1 error stream
 * (1 = mistake): it tracks the mean m and standard deviation s of the distance between consecutive
 * errors, remembers the maximum of m + 2s, and signals a warning when (m + 2s) / max falls below 0.95
 * and a drift below 0.9, once 30 observations and more than 30 errors have been seen.
 *
 * <p>Semantics and constants match MOA's {@code EDDM}; decisions happen only on errors (on a correct
 * prediction the state is {@link DetectorState#STABLE} unless the warning zone persists, as in MOA
 * where the flag keeps its value). Reset semantics: after a drift the statistics restart with the next
 * observation. Not thread-safe (see {@link ChangeDetector}).
 */
public final class Eddm extends AbstractDetector {

  private static final double OUT_CONTROL = 0.9;
  private static final double WARNING = 0.95;
  private static final double CLEARLY_STABLE = 0.951;
  private static final double MIN_INSTANCES = 30;
  private static final int MIN_ERRORS = 30;

  private double numErrors;
  /**
   * MOA's instance counter {@code n} is {@code count - nBase} (kept as an offset from the detector's
   * own count, so that an observation without error writes no field of this class).
   */
  private long nBase;
  private int d;
  private int lastD;
  private double mean;
  private double stdTemp;
  private double m2sMax;
  /**
   * {@code 0.951 * m2sMax}, rounded: at or above it the ratio {@code m2s / m2sMax} rounds to at least
   * 0.9509 &gt; 0.95 (the product's rounding error is below one part in 2^53), so neither threshold can
   * be crossed and the division is skipped. Decisions stay bit-identical to MOA's.
   */
  private double clearlyStable;
  private boolean restart;
  private boolean warning;

  /** EDDM with MOA's constants. */
  public Eddm() {
    resetAlgorithm();
  }

  @Override
  public String name() {
    return "EDDM";
  }

  @Override
  public double estimate() {
    return mean;
  }

  @Override
  protected void resetAlgorithm() {
    nBase = count - 1; // n = 1
    numErrors = 0;
    d = 0;
    lastD = 0;
    mean = 0;
    stdTemp = 0;
    m2sMax = 0;
    clearlyStable = 0;
    restart = false;
    warning = false;
  }

  @Override
  protected DetectorState step(double x) {
    // kept small: HotSpot inlines hot methods only up to 325 bytes of bytecode (FreqInlineSize), and
    // one method holding the whole update (327 bytes) ran at 0.65x MOA's for want of inlining
    if (restart) {
      boolean w = warning;
      resetAlgorithm();
      nBase--; // MOA resets n to 1 and counts this observation: n = 2
      warning = w;
    }
    if (x == 1.0 && onError()) {
      return DetectorState.DRIFT;
    }
    return warning ? DetectorState.WARNING : DetectorState.STABLE;
  }

  /** Updates the distance statistics on an error; true on a drift. */
  private boolean onError() {
    warning = false;
    numErrors += 1;
    lastD = d;
    int n = (int) (count - nBase); // as MOA's int counter
    d = n - 1;
    int distance = d - lastD;
    double oldMean = mean;
    mean = mean + ((double) distance - mean) / numErrors;
    stdTemp = stdTemp + (distance - mean) * (distance - oldMean);
    double std = Math.sqrt(stdTemp / numErrors);
    double m2s = mean + 2 * std;
    if (m2s > m2sMax) {
      if (n > MIN_INSTANCES) {
        m2sMax = m2s;
        clearlyStable = CLEARLY_STABLE * m2s;
      }
    } else if (m2s >= clearlyStable) {
      // ratio >= 0.95 for certain (see clearlyStable); with m2sMax = 0 this is m2s = 0, a NaN ratio
      warning = false;
    } else {
      double ratio = m2s / m2sMax;
      if (n > MIN_INSTANCES && numErrors > MIN_ERRORS && ratio < OUT_CONTROL) {
        restart = true;
        return true;
      } else if (n > MIN_INSTANCES && numErrors > MIN_ERRORS && ratio < WARNING) {
        warning = true;
      } else {
        warning = false;
      }
    }
    return false;
  }
}
