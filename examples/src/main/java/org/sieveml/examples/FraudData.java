package org.sieveml.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Card transactions for the fraud case study, from a seeded generator with planted fraud patterns
 * (the default) or from the ULB credit-card sample. Immutable; thread-safe.
 *
 * @param name where the data came from
 * @param txns transactions sorted by time
 * @param pcaColumns extra numeric columns per transaction (28 PCA components for the ULB sample, 0 for
 *     seeded data)
 * @param changeMillis when the seeded fraudsters change their pattern, or {@code Long.MAX_VALUE}
 */
public record FraudData(String name, List<Txn> txns, int pcaColumns, long changeMillis) {

  /**
   * One transaction.
   *
   * @param card the card (an id; {@code -1} when the data has none)
   * @param time epoch milliseconds
   * @param amount the amount
   * @param merchantCategory the merchant category (0..19)
   * @param fraud whether it was fraud
   * @param pca extra numeric columns (empty for seeded data)
   */
  public record Txn(long card, long time, double amount, int merchantCategory, boolean fraud, double[] pca) {}

  /**
   * Fourteen days of transactions. Honest cards spend a few times a day at their usual merchant
   * categories. About one card in 400 is compromised once: from then on the fraudster runs a burst
   * of 4 to 12 transactions within an hour, at online categories (15 to 19), with high amounts.
   * From day 10 on, fraudsters change tactics (a concept drift): bursts spread over a day, amounts
   * look ordinary and categories are the card's own, so a model trained before day 10 misses them.
   *
   * @param cards number of cards
   * @param seed the seed
   * @return the data, sorted by time
   */
  public static FraudData seeded(int cards, long seed) {
    if (cards < 500) {
      throw new IllegalArgumentException("cards was " + cards + ", expected at least 500");
    }
    SplittableRandom r = new SplittableRandom(seed);
    long start = 1_700_000_000_000L;
    long days = 14;
    long change = start + 10 * RecData.DAY;
    List<Txn> out = new ArrayList<>();
    for (long card = 0; card < cards; card++) {
      double perDay = 0.5 + r.nextDouble() * 4;
      double typical = Math.exp(2.5 + r.nextGaussian() * 0.7);
      int homeCategory = r.nextInt(15);
      long n = Math.round(perDay * days);
      for (long k = 0; k < n; k++) {
        long t = start + r.nextLong(days * RecData.DAY);
        int cat = r.nextDouble() < 0.7 ? homeCategory : r.nextInt(20);
        out.add(new Txn(card, t, round(typical * Math.exp(r.nextGaussian() * 0.5)), cat, false, new double[0]));
      }
      if (r.nextInt(400) == 0 || (card % 400 == 7)) {
        long t0 = start + r.nextLong(days * RecData.DAY - RecData.DAY);
        boolean late = t0 >= change;
        int burst = 4 + r.nextInt(9);
        for (int k = 0; k < burst; k++) {
          long t = late ? t0 + r.nextLong(RecData.DAY) : t0 + r.nextLong(3_600_000L);
          double amount = late ? typical * Math.exp(r.nextGaussian() * 0.5) : typical * (3 + r.nextDouble() * 8);
          int cat = late ? homeCategory : 15 + r.nextInt(5);
          out.add(new Txn(card, t, round(amount), cat, true, new double[0]));
        }
      }
    }
    out.sort(Comparator.comparingLong(Txn::time).thenComparingLong(Txn::card));
    return new FraudData("seeded(cards=" + cards + ", seed=" + seed + ")", Collections.unmodifiableList(out), 0,
        change);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /**
   * The ULB credit-card sample ({@code creditcard_sample.csv}: index, Time in seconds, V1..V28,
   * Amount, Class). It has no card ids, so there are no per-card windows on this data.
   *
   * @param dir the {@code fraud-creditcard-ulb-sample} directory
   * @return the data, sorted by time
   * @throws UncheckedIOException when the file cannot be read
   * @throws IllegalArgumentException on a malformed line (named with its number)
   */
  public static FraudData ulb(Path dir) {
    Path file = dir.resolve("creditcard_sample.csv");
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      List<Txn> out = new ArrayList<>();
      for (int n = 1; n < lines.size(); n++) {
        String line = lines.get(n);
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split(",", -1);
        if (f.length != 32) {
          throw new IllegalArgumentException(file + " line " + (n + 1) + " has " + f.length + " fields, expected 32");
        }
        double[] pca = new double[28];
        for (int k = 0; k < 28; k++) {
          pca[k] = Double.parseDouble(f[2 + k]);
        }
        long t = 1_378_000_000_000L + (long) (Double.parseDouble(f[1]) * 1000);
        out.add(new Txn(-1, t, Double.parseDouble(f[30]), 0, f[31].trim().startsWith("1"), pca));
      }
      out.sort(Comparator.comparingLong(Txn::time));
      return new FraudData("ULB credit-card sample (" + file + ")", Collections.unmodifiableList(out), 28,
          Long.MAX_VALUE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
