package org.sieveml.benchmarks.drift;

import java.util.Random;

/** Seeded input shared by the drift benchmarks. */
final class DriftStreams {

  /** Updates per benchmark invocation. */
  static final int STREAM = 100_000;

  private DriftStreams() {}

  /** A 0/1 error stream whose rate moves 0.2 -> 0.5 -> 0.2 -> 0.4, seed 42. */
  static double[] errors() {
    Random r = new Random(42);
    double[] x = new double[STREAM];
    for (int i = 0; i < x.length; i++) {
      double p = i < 25_000 ? 0.2 : i < 50_000 ? 0.5 : i < 75_000 ? 0.2 : 0.4;
      x[i] = r.nextDouble() < p ? 1 : 0;
    }
    return x;
  }

  /** n standard normal values plus shift, seeded. */
  static double[] normal(long seed, int n, double shift) {
    Random r = new Random(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = r.nextGaussian() + shift;
    }
    return x;
  }
}
