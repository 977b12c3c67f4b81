package org.sieveml.monitoring;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

/**
 * A finite stream of observations with its true change points, the input of a
 * {@link DetectorEvaluation}.
 *
 * <p>A change point {@code c} means that {@code values[c]} is the first observation of the new
 * concept. Change points are 0-based, strictly increasing and in {@code [1, length)} (a change at
 * 0 has no "before" and could never be told apart from the start).
 *
 * <p>Two seeded generators of piecewise-stationary streams cover the two kinds of detector: a
 * Gaussian stream whose mean jumps (for ADWIN, Page-Hinkley, KSWIN, HDDM) and a 0/1 Bernoulli error
 * stream whose rate jumps (for DDM, EDDM, HDDM_A, HDDM_W). Each segment has the same length; a change
 * point is labelled wherever a segment's parameter differs from the previous one's.
 *
 * <p>Immutable and thread-safe: arrays are copied in and out.
 */
public final class LabelledStream {

  private final double[] values;
  private final int[] changePoints;

  private LabelledStream(double[] values, int[] changePoints) {
    this.values = values;
    this.changePoints = changePoints;
  }

  /**
   * A stream with the given true change points.
   *
   * @param values the observations (none NaN)
   * @param changePoints 0-based indices of the first observation of each new concept, strictly
   *     increasing, in {@code [1, values.length)}; may be empty (a stream without change)
   * @return the stream
   * @throws IllegalArgumentException if a value is NaN or the change points are out of order or out
   *     of range
   */
  public static LabelledStream of(double[] values, int... changePoints) {
    if (values == null || changePoints == null) {
      throw new IllegalArgumentException("values and changePoints must not be null");
    }
    for (int i = 0; i < values.length; i++) {
      if (Double.isNaN(values[i])) {
        throw new IllegalArgumentException("values[" + i + "] is NaN");
      }
    }
    checkIndices("change point", changePoints, 1, values.length);
    return new LabelledStream(values.clone(), changePoints.clone());
  }

  /**
   * Gaussian observations (standard deviation {@code sd}) whose mean is {@code means[k]} in segment
   * {@code k}.
   *
   * @param seed the seed
   * @param segmentLength observations per segment, positive
   * @param means one mean per segment, at least one
   * @param sd the standard deviation, positive
   * @return the stream, labelled at every segment boundary where the mean changes
   */
  public static LabelledStream gaussian(long seed, int segmentLength, double[] means, double sd) {
    if (!(sd > 0) || Double.isInfinite(sd)) {
      throw new IllegalArgumentException("sd must be positive and finite, was " + sd);
    }
    SplittableRandom r = new SplittableRandom(seed);
    return generate(segmentLength, means, "means", mean -> mean + sd * gaussian(r));
  }

  /**
   * A 0/1 error stream (1 = mistake) whose error rate is {@code rates[k]} in segment {@code k}.
   *
   * @param seed the seed
   * @param segmentLength observations per segment, positive
   * @param rates one rate in [0, 1] per segment, at least one
   * @return the stream, labelled at every segment boundary where the rate changes
   */
  public static LabelledStream bernoulli(long seed, int segmentLength, double[] rates) {
    for (double p : rates) {
      if (!(p >= 0 && p <= 1)) {
        throw new IllegalArgumentException("rates must be in [0, 1], was " + Arrays.toString(rates));
      }
    }
    SplittableRandom r = new SplittableRandom(seed);
    return generate(segmentLength, rates, "rates", p -> r.nextDouble() < p ? 1 : 0);
  }

  private static LabelledStream generate(int segmentLength, double[] params, String what, DoubleUnaryOperator draw) {
    if (segmentLength <= 0) {
      throw new IllegalArgumentException("segmentLength must be positive, was " + segmentLength);
    }
    if (params == null || params.length == 0) {
      throw new IllegalArgumentException(what + " must hold at least one segment");
    }
    for (double p : params) {
      if (!Double.isFinite(p)) {
        throw new IllegalArgumentException(what + " must be finite, was " + Arrays.toString(params));
      }
    }
    long n = (long) segmentLength * params.length;
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("stream too long: " + n + " observations");
    }
    double[] x = new double[(int) n];
    int[] cps = new int[params.length];
    int changes = 0;
    for (int k = 0; k < params.length; k++) {
      if (k > 0 && params[k] != params[k - 1]) {
        cps[changes++] = k * segmentLength;
      }
      for (int i = k * segmentLength; i < (k + 1) * segmentLength; i++) {
        x[i] = draw.applyAsDouble(params[k]);
      }
    }
    return new LabelledStream(x, Arrays.copyOf(cps, changes));
  }

  private static double gaussian(SplittableRandom r) {
    // Marsaglia's polar method: exact, seeded, one pair per call (the second value is dropped)
    double u;
    double v;
    double s;
    do {
      u = 2 * r.nextDouble() - 1;
      v = 2 * r.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    return u * Math.sqrt(-2 * Math.log(s) / s);
  }

  static void checkIndices(String what, int[] idx, int from, int to) {
    for (int i = 0; i < idx.length; i++) {
      if (idx[i] < from || idx[i] >= to) {
        throw new IllegalArgumentException(what + " " + idx[i] + " (at " + i + ") is outside [" + from + ", " + to
            + ")");
      }
      if (i > 0 && idx[i] <= idx[i - 1]) {
        throw new IllegalArgumentException(what + "s must be strictly increasing, but " + idx[i] + " follows "
            + idx[i - 1]);
      }
    }
  }

  /**
   * The observations.
   *
   * @return a copy
   */
  public double[] values() {
    return values.clone();
  }

  /**
   * The number of observations.
   *
   * @return the length
   */
  public int length() {
    return values.length;
  }

  /**
   * The true change points.
   *
   * @return a copy
   */
  public int[] changePoints() {
    return changePoints.clone();
  }

  double value(int i) {
    return values[i];
  }

  int[] changePointsShared() {
    return changePoints;
  }

  @Override
  public String toString() {
    return "LabelledStream{length=" + values.length + ", changePoints=" + Arrays.toString(changePoints) + "}";
  }
}
