package org.sieveml.retrieval;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.sieveml.retrieval.internal.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alternating least squares for implicit feedback (Hu, Koren and Volinsky, "Collaborative Filtering
 * for Implicit Feedback Datasets", ICDM 2008): turns an {@link Interactions} matrix into user and item
 * vectors whose inner product ranks items for a user, ready for an {@link HnswVectorIndex} under
 * {@link VectorMetric#INNER_PRODUCT}.
 *
 * <p>Every observed pair has preference 1 and confidence {@code 1 + alpha * strength}; every other
 * pair has preference 0 and confidence 1. Each half-step solves, for every user {@code u},
 * {@code (YᵀY + Yᵀ(Cᵤ - I)Y + λI) xᵤ = YᵀCᵤp(u)} exactly (Cholesky in double precision, using the
 * shared {@code YᵀY} so a row costs {@code O(nᵤ f² + f³)}), then the same for items.
 *
 * <p>Training is seeded and reproducible: the item vectors are initialised from the seed, and every
 * row's solve depends only on the other side's vectors, so the result is bit-for-bit the same for
 * any number of threads.
 *
 * <p>Thread-safety: immutable; {@link #fit} may be called concurrently (each call uses its own
 * threads, shut down before it returns).
 */
public final class ImplicitAls {

  private static final Logger LOG = LoggerFactory.getLogger(ImplicitAls.class);
  private static final int CHUNK = 32;

  private final int factors;
  private final double regularization;
  private final double alpha;
  /** The largest {@code alpha * strength} accepted by {@link #fit}. */
  static final double MAX_CONFIDENCE = 1e12;
  private final int iterations;
  private final long seed;
  private final int threads;

  private ImplicitAls(Builder b) {
    this.factors = b.factors;
    this.regularization = b.regularization;
    this.alpha = b.alpha;
    this.iterations = b.iterations;
    this.seed = b.seed;
    this.threads = b.threads;
  }

  /**
   * Starts a trainer with the defaults: 64 factors, regularization 0.1, alpha 10, 15 iterations,
   * seed 42, all available processors.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Receives training progress. */
  @FunctionalInterface
  public interface Listener {
    /**
     * Called after every iteration (both half-steps).
     *
     * @param iteration iterations done, from 1
     * @param total iterations to run
     * @param loss the full weighted objective after this iteration, including the regularization
     */
    void iterationDone(int iteration, int total, double loss);
  }

  /**
   * Trains without progress reporting.
   *
   * @param data the interactions
   * @return the trained vectors
   */
  public AlsModel fit(Interactions data) {
    return fit(data, null);
  }

  /**
   * Trains.
   *
   * @param data the interactions
   * @param listener progress receiver, or null
   * @return the trained vectors
   */
  public AlsModel fit(Interactions data, Listener listener) {
    if (data == null) {
      throw new IllegalArgumentException("interactions must not be null");
    }
    // confidences 1 + alpha * strength enter float solves: beyond this they overflow or swamp every other term
    float[] strengths = data.userValues();
    for (int k = 0; k < strengths.length; k++) {
      if (alpha * strengths[k] > MAX_CONFIDENCE) {
        throw new IllegalArgumentException("interaction strength " + strengths[k] + " with alpha " + alpha
            + " gives a confidence of " + (1 + alpha * strengths[k]) + ", expected alpha * strength <= "
            + MAX_CONFIDENCE + " (scale the strengths down, e.g. log1p)");
      }
    }
    int f = factors;
    int nu = data.users();
    int ni = data.items();
    float[] x = new float[nu * f];
    float[] y = new float[ni * f];
    Random rnd = new Random(seed);
    for (int k = 0; k < y.length; k++) {
      y[k] = (float) (rnd.nextGaussian() * 0.01);
    }
    long t0 = System.nanoTime();
    ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "sieveml-als");
      t.setDaemon(true);
      return t;
    }) : null;
    // YᵀY is computed once per item half-step and serves the loss, the next user half-step and the model
    double[] gy = gram(y, ni, f);
    try {
      double loss = Double.NaN;
      for (int it = 1; it <= iterations; it++) {
        halfStep(pool, nu, data.userStart(), data.userItems(), data.userValues(), y, gy, x);
        halfStep(pool, ni, data.itemStart(), data.itemUsers(), data.itemValues(), x, gram(x, nu, f), y);
        gy = gram(y, ni, f);
        loss = loss(data, x, y, gy);
        if (listener != null) {
          listener.iterationDone(it, iterations, loss);
        }
      }
      LOG.info("implicit ALS: {} users x {} items ({} pairs), {} factors, {} iterations in {} ms, loss {}",
          nu, ni, data.nonZeros(), f, iterations, (System.nanoTime() - t0) / 1_000_000, loss);
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
    }
    return new AlsModel(data, f, x, y, gy, regularization, alpha);
  }

  /** Solves every row of {@code out} given the fixed vectors {@code fixed} and their Gram matrix {@code g}. */
  private void halfStep(ExecutorService pool, int rows, int[] start, int[] cols, float[] vals, float[] fixed,
      double[] g, float[] out) {
    AtomicInteger next = new AtomicInteger();
    Runnable work = () -> {
      Solver s = new Solver(factors);
      for (int c = next.getAndAdd(CHUNK); c < rows; c = next.getAndAdd(CHUNK)) {
        int end = Math.min(rows, c + CHUNK);
        for (int r = c; r < end; r++) {
          s.solveRow(g, regularization, alpha, fixed, cols, vals, start[r], start[r + 1], out, r * factors);
        }
      }
    };
    if (pool == null) {
      work.run();
      return;
    }
    List<Future<?>> fs = new ArrayList<>(threads);
    for (int t = 0; t < threads; t++) {
      fs.add(pool.submit(work));
    }
    for (Future<?> fu : fs) {
      try {
        fu.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("ALS training was interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("ALS training failed: " + e.getCause(), e.getCause());
      }
    }
  }

  /** {@code VᵀV} of the row-major {@code rows x f} matrix, full symmetric, in double. */
  static double[] gram(float[] v, int rows, int f) {
    double[] g = new double[f * f];
    for (int r = 0; r < rows; r++) {
      int o = r * f;
      for (int a = 0; a < f; a++) {
        double va = v[o + a];
        if (va == 0) {
          continue;
        }
        int ga = a * f;
        for (int b = a; b < f; b++) {
          g[ga + b] += va * v[o + b];
        }
      }
    }
    for (int a = 0; a < f; a++) {
      for (int b = 0; b < a; b++) {
        g[a * f + b] = g[b * f + a];
      }
    }
    return g;
  }

  private double loss(Interactions data, float[] x, float[] y, double[] gy) {
    int f = factors;
    double total = 0;
    double norms = 0;
    int[] start = data.userStart();
    int[] items = data.userItems();
    float[] vals = data.userValues();
    for (int u = 0; u < data.users(); u++) {
      int o = u * f;
      // sum over all items of (x·y)² = xᵀ(YᵀY)x
      for (int a = 0; a < f; a++) {
        double s = 0;
        for (int b = 0; b < f; b++) {
          s += gy[a * f + b] * x[o + b];
        }
        total += x[o + a] * s;
        norms += (double) x[o + a] * x[o + a];
      }
      for (int k = start[u]; k < start[u + 1]; k++) {
        int io = items[k] * f;
        double s = 0;
        for (int a = 0; a < f; a++) {
          s += (double) x[o + a] * y[io + a];
        }
        double c = 1 + alpha * vals[k];
        total += c * (1 - s) * (1 - s) - s * s;
      }
    }
    for (float v : y) {
      norms += (double) v * v;
    }
    return total + regularization * norms;
  }

  /**
   * Number of latent factors.
   *
   * @return the dimension of the vectors
   */
  public int factors() {
    return factors;
  }

  /**
   * The L2 regularization weight.
   *
   * @return lambda
   */
  public double regularization() {
    return regularization;
  }

  /**
   * The confidence scale.
   *
   * @return alpha
   */
  public double alpha() {
    return alpha;
  }

  /**
   * Iterations to run.
   *
   * @return the iteration count
   */
  public int iterations() {
    return iterations;
  }

  @Override
  public String toString() {
    return "ImplicitAls[factors=" + factors + ", regularization=" + regularization + ", alpha=" + alpha
        + ", iterations=" + iterations + ", seed=" + seed + ", threads=" + threads + "]";
  }

  /** One thread's scratch space for the per-row normal equations. */
  static final class Solver {
    private final int f;
    private final double[] a;
    private final double[] b;

    Solver(int f) {
      this.f = f;
      this.a = new double[f * f];
      this.b = new double[f];
    }

    /**
     * Solves one row: {@code (G + λI + Σ (c-1) y yᵀ) x = Σ c y} over the row's entries, writing
     * {@code x} as floats at {@code out[outOffset..]}.
     */
    void solveRow(double[] g, double lambda, double alpha, float[] fixed, int[] cols, float[] vals, int from,
        int to, float[] out, int outOffset) {
      System.arraycopy(g, 0, a, 0, f * f);
      java.util.Arrays.fill(b, 0);
      for (int d = 0; d < f; d++) {
        a[d * f + d] += lambda;
      }
      for (int k = from; k < to; k++) {
        int o = cols[k] * f;
        double c = 1 + alpha * vals[k];
        double cm1 = c - 1;
        for (int p = 0; p < f; p++) {
          double yp = fixed[o + p];
          b[p] += c * yp;
          double w = cm1 * yp;
          int ap = p * f;
          for (int q = p; q < f; q++) {
            a[ap + q] += w * fixed[o + q];
          }
        }
      }
      choleskySolve();
      for (int p = 0; p < f; p++) {
        out[outOffset + p] = (float) b[p];
      }
    }

    /** In-place Cholesky of the upper triangle of {@code a}, then solves into {@code b}. */
    private void choleskySolve() {
      // a = Uᵀ U with U upper triangular stored in the upper triangle
      for (int j = 0; j < f; j++) {
        int jj = j * f;
        double d = a[jj + j];
        for (int k = 0; k < j; k++) {
          double u = a[k * f + j];
          d -= u * u;
        }
        if (!(d > 0)) {
          throw new IllegalStateException("ALS normal equations are not positive definite (pivot " + d
              + "); expected a positive regularization");
        }
        d = Math.sqrt(d);
        a[jj + j] = d;
        for (int i = j + 1; i < f; i++) {
          double s = a[jj + i];
          for (int k = 0; k < j; k++) {
            s -= a[k * f + j] * a[k * f + i];
          }
          a[jj + i] = s / d;
        }
      }
      // Uᵀ z = b
      for (int i = 0; i < f; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) {
          s -= a[k * f + i] * b[k];
        }
        b[i] = s / a[i * f + i];
      }
      // U x = z
      for (int i = f - 1; i >= 0; i--) {
        double s = b[i];
        int ii = i * f;
        for (int k = i + 1; k < f; k++) {
          s -= a[ii + k] * b[k];
        }
        b[i] = s / a[ii + i];
      }
    }
  }

  /** Validated ALS settings. Not thread-safe. */
  public static final class Builder {
    private int factors = 64;
    private double regularization = 0.1;
    private double alpha = 10;
    private int iterations = 15;
    private long seed = 42;
    private int threads = Runtime.getRuntime().availableProcessors();

    private Builder() {}

    /**
     * Latent factors (vector dimension).
     *
     * @param factors between 1 and 1024
     * @return this builder
     */
    public Builder factors(int factors) {
      if (factors < 1 || factors > 1024) {
        throw new IllegalArgumentException("factors was " + factors + ", expected 1..1024");
      }
      this.factors = factors;
      return this;
    }

    /**
     * L2 regularization weight.
     *
     * @param regularization finite and positive
     * @return this builder
     */
    public Builder regularization(double regularization) {
      if (!(regularization > 0) || Double.isInfinite(regularization)) {
        throw new IllegalArgumentException("regularization was " + regularization
            + ", expected a finite positive number");
      }
      this.regularization = regularization;
      return this;
    }

    /**
     * Confidence scale: an observed pair of strength {@code r} has confidence {@code 1 + alpha r}.
     *
     * @param alpha finite and non-negative
     * @return this builder
     */
    public Builder alpha(double alpha) {
      if (!(alpha >= 0) || Double.isInfinite(alpha)) {
        throw new IllegalArgumentException("alpha was " + alpha + ", expected a finite number >= 0");
      }
      this.alpha = alpha;
      return this;
    }

    /**
     * Iterations (each solves users, then items).
     *
     * @param iterations between 1 and 1000
     * @return this builder
     */
    public Builder iterations(int iterations) {
      if (iterations < 1 || iterations > 1000) {
        throw new IllegalArgumentException("iterations was " + iterations + ", expected 1..1000");
      }
      this.iterations = iterations;
      return this;
    }

    /**
     * Seed of the initial item vectors.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Training threads.
     *
     * @param threads positive
     * @return this builder
     */
    public Builder threads(int threads) {
      Checks.positive("threads", threads);
      this.threads = threads;
      return this;
    }

    /**
     * Builds the trainer.
     *
     * @return the immutable trainer
     */
    public ImplicitAls build() {
      return new ImplicitAls(this);
    }
  }
}
