package org.sieveml.monitoring;

/**
 * The settings {@link Cbpe.Builder} and {@link Dle.Builder} share: how wide bands and alert thresholds
 * are, how many reference samples estimate a sampling error, and the seed. Package-private; its
 * setters are documented on both builders. Not thread-safe.
 *
 * @param <B> the concrete builder
 */
abstract class EstimatorBuilder<B extends EstimatorBuilder<B>> {
  double bandSigmas = 3;
  double alertSigmas = 3;
  int draws = 500;
  long seed = 42;

  EstimatorBuilder() {}

  abstract B self();

  /**
   * The band's half-width in sampling errors.
   *
   * @param sigmas positive; 3 by default
   * @return this builder
   */
  public final B bandSigmas(double sigmas) {
    this.bandSigmas = Bands.positiveFinite("bandSigmas", sigmas);
    return self();
  }

  /**
   * The alert thresholds' distance from the reference mean, in sampling errors.
   *
   * @param sigmas positive; 3 by default
   * @return this builder
   */
  public final B alertSigmas(double sigmas) {
    this.alertSigmas = Bands.positiveFinite("alertSigmas", sigmas);
    return self();
  }

  /**
   * How many reference samples estimate each chunk size's sampling error.
   *
   * @param draws at least 20; 500 by default
   * @return this builder
   */
  public final B draws(int draws) {
    if (draws < 20) {
      throw new IllegalArgumentException("draws must be at least 20, was " + draws);
    }
    this.draws = draws;
    return self();
  }

  /**
   * The seed of every random choice the estimator makes (reference sampling, calibration folds,
   * loss-model subsampling).
   *
   * @param seed any value; 42 by default
   * @return this builder
   */
  public final B seed(long seed) {
    this.seed = seed;
    return self();
  }
}
