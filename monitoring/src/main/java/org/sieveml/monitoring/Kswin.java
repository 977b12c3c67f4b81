package org.sieveml.monitoring;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.sieveml.monitoring.internal.AbstractDetector;
import org.sieveml.monitoring.internal.KolmogorovSmirnov;

/**
 * KSWIN (Raab, Heusinger and Schleif, 2020): a Kolmogorov-Smirnov test inside a sliding window. Once
 * the window of {@code windowSize} values is full, the newest {@code statSize} values are compared,
 * with an exact two-sample KS test, with {@code statSize} values drawn without replacement (seeded)
 * from the older part of the window; a drift is signalled when the p-value is at most {@code alpha}
 * and the statistic exceeds 0.1.
 *
 * <p>MOA 2024.07.0 has no KSWIN; this follows River's and scikit-multiflow's {@code KSWIN} (defaults
 * alpha 0.005, window 100, statistic window 30). It has no warning state. Reset semantics: on a drift
 * the window is cut down to the newest {@code statSize} values, which become the start of the new
 * reference, and the sampling continues its seeded sequence (scikit-multiflow's behaviour; River assigns
 * the same shortened window but its next update calls {@code _reset()}, which empties the window and
 * reseeds). The tests check this class step for step (p-values to 1e-9, detections exactly) against a
 * transcription of River's algorithm in {@code src/test/resources/oracles/make_oracles.py}, with River's
 * sampler replaced by the same seeded partial Fisher-Yates draw: up to River's first drift, and over
 * whole streams with the reset above. Accepts any finite values. Not thread-safe (see
 * {@link ChangeDetector}).
 */
public final class Kswin extends AbstractDetector {

  private final double alpha;
  private final int windowSize;
  private final int statSize;
  private final long seed;
  private SplittableRandom random;
  private double[] window;
  private int start;
  private int size;
  private double lastPValue = Double.NaN;
  private final int[] indices;
  private final double[] sampled;
  private final double[] recent;

  /**
   * KSWIN with River's defaults (alpha 0.005, window 100, statistic window 30).
   *
   * @param seed seed of the sampling of the older values
   */
  public Kswin(long seed) {
    this(0.005, 100, 30, seed);
  }

  /**
   * KSWIN with explicit parameters.
   *
   * @param alpha significance level in (0, 1)
   * @param windowSize sliding window size, {@code >= 2 * statSize}
   * @param statSize size of both compared samples, {@code >= 2}
   * @param seed seed of the sampling
   */
  public Kswin(double alpha, int windowSize, int statSize, long seed) {
    if (!(alpha > 0 && alpha < 1)) {
      throw new IllegalArgumentException("alpha must be in (0, 1), was " + alpha);
    }
    if (statSize < 2 || windowSize < 2 * statSize) {
      throw new IllegalArgumentException("need statSize >= 2 and windowSize >= 2 * statSize, were "
          + statSize + ", " + windowSize);
    }
    this.alpha = alpha;
    this.windowSize = windowSize;
    this.statSize = statSize;
    this.seed = seed;
    this.indices = new int[windowSize - statSize];
    this.sampled = new double[statSize];
    this.recent = new double[statSize];
    resetAlgorithm();
  }

  @Override
  public String name() {
    return "KSWIN";
  }

  @Override
  public double estimate() {
    if (size == 0) {
      return 0;
    }
    double s = 0;
    for (int i = 0; i < size; i++) {
      s += window[(start + i) % windowSize];
    }
    return s / size;
  }

  /**
   * The p-value of the last test, NaN before the window first fills.
   *
   * @return the last p-value
   */
  public double lastPValue() {
    return lastPValue;
  }

  @Override
  protected void resetAlgorithm() {
    random = new SplittableRandom(seed);
    window = new double[windowSize];
    start = 0;
    size = 0;
    lastPValue = Double.NaN;
  }

  @Override
  protected DetectorState step(double value) {
    if (Double.isInfinite(value)) {
      throw new IllegalArgumentException("value must be finite (detector KSWIN), was " + value);
    }
    if (size < windowSize) {
      window[(start + size) % windowSize] = value;
      size++;
    } else {
      window[start] = value;
      start = (start + 1) % windowSize;
    }
    if (size < windowSize) {
      return DetectorState.STABLE;
    }
    int older = windowSize - statSize;
    for (int i = 0; i < older; i++) {
      indices[i] = i;
    }
    for (int i = 0; i < statSize; i++) {
      int j = i + random.nextInt(older - i);
      int t = indices[i];
      indices[i] = indices[j];
      indices[j] = t;
      sampled[i] = window[(start + indices[i]) % windowSize];
    }
    for (int i = 0; i < statSize; i++) {
      recent[i] = window[(start + older + i) % windowSize];
    }
    Arrays.sort(sampled);
    Arrays.sort(recent);
    long dnm = KolmogorovSmirnov.integralD(sampled, recent);
    double d = KolmogorovSmirnov.d(dnm, statSize, statSize);
    lastPValue = KolmogorovSmirnov.pValue(dnm, statSize, statSize);
    if (lastPValue <= alpha && d > 0.1) {
      double[] keep = recent.clone();
      // keep the newest values in arrival order
      for (int i = 0; i < statSize; i++) {
        keep[i] = window[(start + older + i) % windowSize];
      }
      window = new double[windowSize];
      System.arraycopy(keep, 0, window, 0, statSize);
      start = 0;
      size = statSize;
      return DetectorState.DRIFT;
    }
    return DetectorState.STABLE;
  }
}
