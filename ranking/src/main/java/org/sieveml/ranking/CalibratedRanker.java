package org.sieveml.ranking;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureVector;

/**
 * A probability model paired with its calibration, as it is deployed: the base model's probability passes
 * through a {@link Calibrator} fitted on held-out rows, then, when the training data kept negatives at a rate
 * {@code w}, through the down-sampling correction {@code q = p / (p + (1 - p) / w)} (He et al. 2014). The
 * registry stores and reloads the pair whole.
 *
 * <p>Calibrate on held-out rows sampled like the training rows; the correction then maps the sampled rate back
 * to the true one.
 *
 * <pre>{@code
 * CalibratedRanker ctr = CalibratedRanker.trainer(gbdt).method(Method.ISOTONIC).negativeSamplingRate(0.1)
 *     .train(heldOut, heldOutLabels);
 * }</pre>
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class CalibratedRanker implements Ranker {

  /** How the calibration is fitted. */
  public enum Method {
    /** Platt scaling: a logistic regression on the logit of the score. */
    PLATT,
    /** Isotonic regression (pool-adjacent-violators). */
    ISOTONIC,
    /** No fitted calibration: only the down-sampling correction, if any. */
    NONE
  }

  private final String name;
  private final Ranker base;
  private final Calibrator calibrator;
  private final double negativeSamplingRate;
  private final Calibrator correction;
  private final ModelProvenance provenance;

  private CalibratedRanker(String name, Ranker base, Calibrator calibrator, double rate, ModelProvenance p) {
    this.name = name;
    this.base = base;
    this.calibrator = calibrator;
    this.negativeSamplingRate = rate;
    this.correction = rate == 1 ? null : Calibrator.downsampling(rate);
    this.provenance = p;
  }

  /**
   * Pairs a model with a calibration fitted elsewhere.
   *
   * @param base a model whose output kind is {@link Ranker.OutputKind#PROBABILITY}
   * @param calibrator the calibration, or null for none
   * @param negativeSamplingRate the rate at which training kept negatives, in (0, 1]; 1 for none
   * @return the pair
   */
  public static CalibratedRanker of(Ranker base, Calibrator calibrator, double negativeSamplingRate) {
    checkBase(base);
    checkRate(negativeSamplingRate);
    Map<String, String> params = new TreeMap<>();
    params.put("calibrator", calibrator == null ? "none" : calibrator.toText().split(" ", 2)[0]);
    params.put("negativeSamplingRate", Double.toString(negativeSamplingRate));
    params.put("base", base.provenance().trainer());
    ModelProvenance p = ModelProvenance.of("sieveml calibration", params, base.provenance().seed(),
        base.provenance().dataFingerprint(), base.provenance().trainingRows());
    return new CalibratedRanker(base.name(), base, calibrator, negativeSamplingRate, p);
  }

  static CalibratedRanker restore(String name, Ranker base, Calibrator calibrator, double rate, ModelProvenance p) {
    checkBase(base);
    checkRate(rate);
    return new CalibratedRanker(name, base, calibrator, rate, p);
  }

  private static void checkBase(Ranker base) {
    if (base == null || base.outputKind() != OutputKind.PROBABILITY) {
      throw new IllegalArgumentException("base is " + (base == null ? "null" : base.name() + " with output "
          + base.outputKind()) + "; expected a model predicting probabilities");
    }
    if (base instanceof CalibratedRanker) {
      throw new IllegalArgumentException("base '" + base.name() + "' is already calibrated");
    }
  }

  private static void checkRate(double rate) {
    if (!(rate > 0 && rate <= 1)) {
      throw new IllegalArgumentException("negativeSamplingRate is " + rate + "; expected in (0, 1]");
    }
  }

  /**
   * Starts fitting a calibration for a model.
   *
   * @param base a model predicting probabilities
   * @return a trainer (method isotonic, no down-sampling)
   */
  public static Trainer trainer(Ranker base) {
    checkBase(base);
    return new Trainer(base);
  }

  /**
   * The calibrated model.
   *
   * @return the base model
   */
  public Ranker base() {
    return base;
  }

  /**
   * The fitted calibration, if any.
   *
   * @return the calibrator, or null
   */
  public Calibrator calibrator() {
    return calibrator;
  }

  /**
   * The rate at which training kept negatives (1 when it kept them all).
   *
   * @return the rate, in (0, 1]
   */
  public double negativeSamplingRate() {
    return negativeSamplingRate;
  }

  @Override
  public FeatureEncoder encoder() {
    return base.encoder();
  }

  @Override
  public OutputKind outputKind() {
    return OutputKind.PROBABILITY;
  }

  @Override
  public ModelProvenance provenance() {
    return provenance;
  }

  @Override
  public CalibratedRanker withName(String newName) {
    return new CalibratedRanker(newName, base, calibrator, negativeSamplingRate, provenance);
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * The calibrated probability of a raw one.
   *
   * @param p the base model's probability
   * @return the calibrated, corrected probability
   */
  public double calibrate(double p) {
    double q = calibrator == null ? p : calibrator.calibrate(p);
    return correction == null ? q : correction.calibrate(q);
  }

  private double[] calibrateAll(double[] p) {
    for (int i = 0; i < p.length; i++) {
      p[i] = calibrate(p[i]);
    }
    return p;
  }

  @Override
  public double predict(FeatureVector features) {
    return calibrate(base.predict(features));
  }

  @Override
  public double[] predict(List<FeatureVector> features) {
    return calibrateAll(base.predict(features));
  }

  @Override
  public double[] predict(FeatureFrame frame) {
    return calibrateAll(base.predict(frame));
  }

  @Override
  public String toString() {
    return "CalibratedRanker{" + name + ", " + base + ", " + (calibrator == null ? "none" : calibrator)
        + ", negativeSamplingRate=" + negativeSamplingRate + "}";
  }

  /**
   * Fits the calibration of a model on held-out rows.
   *
   * <p>Thread-safety: not thread-safe; configure and train on one thread.
   */
  public static final class Trainer implements RankerTrainer<CalibratedRanker> {
    private final Ranker base;
    private String name;
    private long seed = 42;
    private Method method = Method.ISOTONIC;
    private double rate = 1;

    private Trainer(Ranker base) {
      this.base = base;
      this.name = base.name();
    }

    @Override
    public Trainer name(String v) {
      this.name = Trainers.name(v);
      return this;
    }

    /** Recorded in the provenance; fitting is deterministic. */
    @Override
    public Trainer seed(long v) {
      this.seed = v;
      return this;
    }

    /**
     * Sets how the calibration is fitted.
     *
     * @param v the method
     * @return this trainer
     */
    public Trainer method(Method v) {
      this.method = Objects.requireNonNull(v, "method");
      return this;
    }

    /**
     * Sets the rate at which the training data kept negatives (the down-sampling correction).
     *
     * @param v in (0, 1]; 1 for none
     * @return this trainer
     */
    public Trainer negativeSamplingRate(double v) {
      checkRate(v);
      this.rate = v;
      return this;
    }

    /** Weights are not used by the calibration fits; they must be null. */
    @Override
    public CalibratedRanker train(FeatureFrame heldOut, double[] labels, double[] weights) {
      if (weights != null) {
        throw new IllegalArgumentException("weights are not supported by calibration; expected null");
      }
      if (heldOut == null) {
        throw new IllegalArgumentException("heldOut is null; expected held-out rows");
      }
      Checks.labels(heldOut.rowCount(), labels, null, true);
      double[] p = base.predict(heldOut);
      Calibrator c = method == Method.PLATT ? Calibrator.platt(p, labels)
          : method == Method.ISOTONIC ? Calibrator.isotonic(p, labels) : null;
      Map<String, String> params = new TreeMap<>();
      params.put("method", method.name());
      params.put("negativeSamplingRate", Double.toString(rate));
      params.put("base", base.provenance().trainer());
      ModelProvenance prov = ModelProvenance.of("sieveml calibration", params, seed,
          new ModelProvenance.Fingerprint().add(p).add(labels).hex(), heldOut.rowCount());
      return new CalibratedRanker(name, base, c, rate, prov);
    }
  }
}
