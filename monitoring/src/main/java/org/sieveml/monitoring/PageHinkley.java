package org.sieveml.monitoring;

import org.sieveml.monitoring.internal.AbstractDetector;

/**
 * The Page-Hinkley test for an increase of the mean: it accumulates
 * {@code sum = alpha * sum + (x - mean - delta)} and signals a drift when the sum exceeds lambda.
 *
 * <p>Semantics and defaults match MOA's {@code PageHinkleyDM} (30 minimum instances, delta 0.005,
 * lambda 50, alpha 1 - 0.0001). It detects increases only and has no warning state. Reset semantics:
 * after a drift the statistics restart with the next observation. Not thread-safe (see
 * {@link ChangeDetector}).
 */
public final class PageHinkley extends AbstractDetector {

  private final int minInstances;
  private final double delta;
  private final double lambda;
  private final double alpha;
  private int n;
  private double sum;
  private double mean;
  private boolean restart;

  /** Page-Hinkley with MOA's defaults. */
  public PageHinkley() {
    this(30, 0.005, 50, 1 - 0.0001);
  }

  /**
   * Page-Hinkley with explicit parameters.
   *
   * @param minInstances observations before a decision, {@code >= 0}
   * @param delta tolerated magnitude of change, {@code >= 0}
   * @param lambda detection threshold, {@code > 0}
   * @param alpha forgetting factor in (0, 1]
   */
  public PageHinkley(int minInstances, double delta, double lambda, double alpha) {
    if (minInstances < 0 || !(delta >= 0) || !(lambda > 0) || !(alpha > 0 && alpha <= 1)) {
      throw new IllegalArgumentException("need minInstances >= 0, delta >= 0, lambda > 0, alpha in (0, 1]; was "
          + minInstances + ", " + delta + ", " + lambda + ", " + alpha);
    }
    this.minInstances = minInstances;
    this.delta = delta;
    this.lambda = lambda;
    this.alpha = alpha;
    resetAlgorithm();
  }

  @Override
  public String name() {
    return "PageHinkley";
  }

  @Override
  public double estimate() {
    return mean;
  }

  @Override
  protected void resetAlgorithm() {
    n = 1;
    mean = 0;
    sum = 0;
    restart = false;
  }

  @Override
  protected DetectorState step(double x) {
    if (restart) {
      resetAlgorithm();
    }
    mean = mean + (x - mean) / (double) n;
    sum = alpha * sum + (x - mean - delta);
    n++;
    if (n < minInstances) {
      return DetectorState.STABLE;
    }
    if (sum > lambda) {
      restart = true;
      return DetectorState.DRIFT;
    }
    return DetectorState.STABLE;
  }
}
