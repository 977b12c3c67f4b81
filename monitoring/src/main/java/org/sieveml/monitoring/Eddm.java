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
  private static final double MIN_INSTANCES = 30;
  private static final int MIN_ERRORS = 30;

  private double numErrors;
  private int n;
  private int d;
  private int lastD;
  private double mean;
  private double stdTemp;
  private double m2sMax;
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
    n = 1;
    numErrors = 0;
    d = 0;
    lastD = 0;
    mean = 0;
    stdTemp = 0;
    m2sMax = 0;
    restart = false;
    warning = false;
  }

  @Override
  protected DetectorState step(double x) {
    if (restart) {
      boolean w = warning;
      resetAlgorithm();
      warning = w;
    }
    n++;
    if (x == 1.0) {
      warning = false;
      numErrors += 1;
      lastD = d;
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
        }
      } else {
        double ratio = m2s / m2sMax;
        if (n > MIN_INSTANCES && numErrors > MIN_ERRORS && ratio < OUT_CONTROL) {
          restart = true;
          return DetectorState.DRIFT;
        } else if (n > MIN_INSTANCES && numErrors > MIN_ERRORS && ratio < WARNING) {
          warning = true;
        } else {
          warning = false;
        }
      }
    }
    return warning ? DetectorState.WARNING : DetectorState.STABLE;
  }
}
