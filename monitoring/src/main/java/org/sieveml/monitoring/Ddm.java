package org.sieveml.monitoring;

import org.sieveml.monitoring.internal.AbstractDetector;

/**
 * DDM, the drift detection method of Gama et al. (2004), over a 0/1 error stream: it tracks the error
 * rate p and its standard deviation s = sqrt(p(1-p)/n), remembers the minimum of p + s, and signals a
 * warning when p + s exceeds p_min + 2 s_min and a drift when it exceeds p_min + 3 s_min.
 *
 * <p>Semantics and defaults match MOA's {@code DDM} (30 minimum instances, warning level 2, drift
 * level 3). Reset semantics: after a {@link DetectorState#DRIFT} the statistics restart with the next
 * observation (which is the first of the new concept). Not thread-safe (see {@link ChangeDetector}).
 */
public final class Ddm extends AbstractDetector {

  private final int minInstances;
  private final double warningLevel;
  private final double driftLevel;
  private int n;
  private double p;
  private double s;
  private double psMin;
  private double pMin;
  private double sMin;
  private boolean restart;

  /** DDM with MOA's defaults: 30 instances, warning 2.0, drift 3.0. */
  public Ddm() {
    this(30, 2.0, 3.0);
  }

  /**
   * DDM with explicit parameters.
   *
   * @param minInstances observations before a decision, {@code >= 0}
   * @param warningLevel warning multiple of s_min, {@code > 0}
   * @param driftLevel drift multiple of s_min, {@code >= warningLevel}
   */
  public Ddm(int minInstances, double warningLevel, double driftLevel) {
    if (minInstances < 0) {
      throw new IllegalArgumentException("minInstances must be >= 0, was " + minInstances);
    }
    if (!(warningLevel > 0) || !(driftLevel >= warningLevel)) {
      throw new IllegalArgumentException("need 0 < warningLevel <= driftLevel, was " + warningLevel + ", " + driftLevel);
    }
    this.minInstances = minInstances;
    this.warningLevel = warningLevel;
    this.driftLevel = driftLevel;
    resetAlgorithm();
  }

  @Override
  public String name() {
    return "DDM";
  }

  @Override
  public double estimate() {
    return p;
  }

  @Override
  protected void resetAlgorithm() {
    n = 1;
    p = 1;
    s = 0;
    psMin = Double.MAX_VALUE;
    pMin = Double.MAX_VALUE;
    sMin = Double.MAX_VALUE;
    restart = false;
  }

  @Override
  protected DetectorState step(double x) {
    if (restart) {
      resetAlgorithm();
    }
    p = p + (x - p) / (double) n;
    s = Math.sqrt(p * (1 - p) / (double) n);
    n++;
    if (n < minInstances) {
      return DetectorState.STABLE;
    }
    if (p + s <= psMin) {
      pMin = p;
      sMin = s;
      psMin = p + s;
    }
    if (n > minInstances && p + s > pMin + driftLevel * sMin) {
      restart = true;
      return DetectorState.DRIFT;
    }
    if (p + s > pMin + warningLevel * sMin) {
      return DetectorState.WARNING;
    }
    return DetectorState.STABLE;
  }
}
