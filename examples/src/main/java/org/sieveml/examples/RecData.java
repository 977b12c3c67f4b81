package org.sieveml.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Interaction logs for the recommendation case study: {@code (user, item, time, rating)} events and
 * each item's primary genre, from a seeded generator with planted tastes (the default) or from
 * MovieLens 100k read from a directory. Immutable; thread-safe.
 *
 * @param name where the data came from
 * @param events events sorted by time
 * @param itemGenre primary genre per item id ({@code itemGenre[item]}, {@code -1} for unknown ids)
 * @param genres number of genres
 * @param favouriteGenres planted favourite genres per user id, or null for real data
 * @param shiftGenre the genre the seeded world boosts from {@code shiftStartMillis} on, or -1
 * @param shiftStartMillis when the planted shift starts, or {@code Long.MAX_VALUE}
 */
public record RecData(String name, List<Event> events, int[] itemGenre, int genres, int[][] favouriteGenres,
    int shiftGenre, long shiftStartMillis) {

  /** One day in milliseconds. */
  public static final long DAY = 86_400_000L;

  /**
   * One interaction.
   *
   * @param user user id, from 1
   * @param item item id, from 1
   * @param time event time, epoch milliseconds
   * @param rating the rating or strength, positive
   */
  public record Event(int user, int item, long time, double rating) {}

  /**
   * The number of item ids (the largest id plus one).
   *
   * @return the size of {@link #itemGenre()}
   */
  public int itemIdBound() {
    return itemGenre.length;
  }

  /**
   * A seeded world with planted tastes. Each user has two favourite genres and picks items twenty
   * times more often from them; item popularity follows a Zipf law (exponent 0.6); a fifth of the items are released
   * during the 120 simulated days and are popular for two weeks after release; from day 110 on, every
   * user turns to genre 0 (a seasonal shift the drift monitor should see).
   *
   * @param users number of users
   * @param items number of items
   * @param genres number of genres, at least 3
   * @param meanEvents mean events per user
   * @param seed the seed
   * @return the data, events sorted by time
   */
  public static RecData seeded(int users, int items, int genres, int meanEvents, long seed) {
    if (users < 10 || items < 50 || genres < 3 || meanEvents < 5) {
      throw new IllegalArgumentException("need users >= 10, items >= 50, genres >= 3, meanEvents >= 5; got users="
          + users + ", items=" + items + ", genres=" + genres + ", meanEvents=" + meanEvents);
    }
    SplittableRandom r = new SplittableRandom(seed);
    long start = 1_700_000_000_000L;
    long span = 120 * DAY;
    long shiftStart = start + 110 * DAY;
    int shiftGenre = 0;
    int[] genre = new int[items + 1];
    double[] weight = new double[items + 1];
    long[] release = new long[items + 1];
    genre[0] = -1;
    int[] rank = new int[items];
    for (int i = 0; i < items; i++) {
      rank[i] = i;
    }
    for (int i = items - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = rank[i];
      rank[i] = rank[j];
      rank[j] = t;
    }
    for (int i = 1; i <= items; i++) {
      genre[i] = r.nextInt(genres);
      weight[i] = 1.0 / Math.pow(rank[i - 1] + 1, 0.6);
      release[i] = r.nextDouble() < 0.2 ? start + (long) (r.nextDouble() * span) : start;
    }
    int[][] fav = new int[users + 1][];
    List<Event> events = new ArrayList<>();
    double[] cum = new double[items + 1];
    double[] cumShift = new double[items + 1];
    for (int u = 1; u <= users; u++) {
      int a = r.nextInt(genres);
      int b = (a + 1 + r.nextInt(genres - 1)) % genres;
      fav[u] = new int[] {a, b};
      for (int i = 1; i <= items; i++) {
        double w = weight[i] * (genre[i] == a || genre[i] == b ? 20 : 1);
        cum[i] = cum[i - 1] + w;
        cumShift[i] = cumShift[i - 1] + w * (genre[i] == shiftGenre ? 6 : 1);
      }
      int n = 5 + (int) (-Math.log(1 - r.nextDouble()) * (meanEvents - 5));
      // a user is active in one stretch of the period, as real users are
      long from = start + (long) (r.nextDouble() * span * 0.8);
      long len = (long) (DAY * (5 + r.nextDouble() * 40));
      boolean[] seen = new boolean[items + 1];
      for (int e = 0; e < n; e++) {
        long t = Math.min(start + span - 1, from + (long) (r.nextDouble() * len));
        double[] c = t >= shiftStart ? cumShift : cum;
        int item = 0;
        for (int attempt = 0; attempt < 50; attempt++) {
          int i = pick(c, r.nextDouble() * c[items]);
          if (seen[i] || release[i] > t) {
            continue;
          }
          // new releases are hot for two weeks
          if (release[i] > start && t - release[i] > 14 * DAY && r.nextDouble() < 0.7) {
            continue;
          }
          item = i;
          break;
        }
        if (item == 0) {
          continue;
        }
        seen[item] = true;
        boolean liked = genre[item] == a || genre[item] == b;
        double rating = liked ? 4 + r.nextInt(2) : 1 + r.nextInt(4);
        events.add(new Event(u, item, t, rating));
      }
    }
    events.sort(Comparator.comparingLong(Event::time).thenComparingInt(Event::user).thenComparingInt(Event::item));
    return new RecData("seeded(users=" + users + ", items=" + items + ", seed=" + seed + ")",
        Collections.unmodifiableList(events), genre, genres, fav, shiftGenre, shiftStart);
  }

  private static int pick(double[] cum, double x) {
    int i = Arrays.binarySearch(cum, x);
    if (i < 0) {
      i = -i - 1;
    }
    return Math.max(1, Math.min(cum.length - 1, i));
  }

  /**
   * MovieLens 100k ({@code u.data} and {@code u.item}); an item's primary genre is its first flagged
   * genre.
   *
   * @param dir the {@code movielens-100k} directory
   * @return the data, events sorted by time
   * @throws UncheckedIOException when the files cannot be read
   * @throws IllegalArgumentException on a malformed line (named with its number)
   */
  public static RecData movieLens(Path dir) {
    try {
      List<String> items = Files.readAllLines(dir.resolve("u.item"), StandardCharsets.ISO_8859_1);
      int maxItem = 0;
      List<int[]> genres = new ArrayList<>();
      for (int n = 0; n < items.size(); n++) {
        String line = items.get(n);
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split("\\|", -1);
        if (f.length < 24) {
          throw new IllegalArgumentException("u.item line " + (n + 1) + " has " + f.length
              + " fields, expected 24 (id|title|dates|url|19 genre flags)");
        }
        int id = Integer.parseInt(f[0]);
        int g = 0;
        for (int k = 5; k < 24; k++) {
          if (f[k].equals("1")) {
            g = k - 5;
            break;
          }
        }
        genres.add(new int[] {id, g});
        maxItem = Math.max(maxItem, id);
      }
      int[] genre = new int[maxItem + 1];
      Arrays.fill(genre, -1);
      for (int[] p : genres) {
        genre[p[0]] = p[1];
      }
      List<Event> events = new ArrayList<>();
      List<String> data = Files.readAllLines(dir.resolve("u.data"), StandardCharsets.ISO_8859_1);
      for (int n = 0; n < data.size(); n++) {
        String line = data.get(n);
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split("\t");
        if (f.length != 4) {
          throw new IllegalArgumentException("u.data line " + (n + 1) + " has " + f.length
              + " fields, expected 4 (user, item, rating, unix time)");
        }
        int item = Integer.parseInt(f[1]);
        if (item > maxItem || genre[item] < 0) {
          throw new IllegalArgumentException("u.data line " + (n + 1) + ": item " + item + " is not in u.item");
        }
        events.add(new Event(Integer.parseInt(f[0]), item, Long.parseLong(f[3]) * 1000, Double.parseDouble(f[2])));
      }
      events.sort(Comparator.comparingLong(Event::time).thenComparingInt(Event::user).thenComparingInt(Event::item));
      return new RecData("MovieLens 100k (" + dir + ")", Collections.unmodifiableList(events), genre, 19, null, -1,
          Long.MAX_VALUE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read MovieLens 100k from " + dir, e);
    }
  }
}
