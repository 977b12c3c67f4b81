package org.sieveml.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Taxi trips for the ETA case study, from a seeded city with planted traffic patterns and a holiday
 * slowdown (the default) or from the NYC taxi trip-duration sample. Immutable; thread-safe.
 *
 * @param name where the data came from
 * @param trips trips sorted by pickup time
 * @param shiftMillis when the seeded slowdown starts, or {@code Long.MAX_VALUE}
 */
public record EtaData(String name, List<Trip> trips, long shiftMillis) {

  /**
   * One trip.
   *
   * @param pickup pickup time, epoch milliseconds
   * @param pickupZone the pickup zone (an id)
   * @param distanceKm the great-circle distance between pickup and dropoff
   * @param durationSeconds the trip's duration
   */
  public record Trip(long pickup, long pickupZone, double distanceKm, double durationSeconds) {
    /**
     * When the trip ended and its duration became known.
     *
     * @return dropoff time, epoch milliseconds
     */
    public long dropoff() {
      return pickup + (long) (durationSeconds * 1000);
    }
  }

  /**
   * Sixty days of trips in a city of 36 zones. Speed depends on the hour (rush hours at 8-9 and
   * 17-18 are slow), the weekday (weekends are faster) and the zone (a congestion factor per zone);
   * from day 45 on every trip is 35 % slower (a holiday season), which the drift monitor should see.
   *
   * @param trips number of trips
   * @param seed the seed
   * @return the data, sorted by pickup time
   */
  public static EtaData seeded(int trips, long seed) {
    if (trips < 1000) {
      throw new IllegalArgumentException("trips was " + trips + ", expected at least 1000");
    }
    SplittableRandom r = new SplittableRandom(seed);
    long start = 1_700_006_400_000L - (1_700_006_400_000L % RecData.DAY);
    long shift = start + 45 * RecData.DAY;
    double[] congestion = new double[36];
    for (int z = 0; z < 36; z++) {
      congestion[z] = 0.7 + r.nextDouble() * 0.6;
    }
    List<Trip> out = new ArrayList<>(trips);
    for (int n = 0; n < trips; n++) {
      long t = start + r.nextLong(60 * RecData.DAY);
      int zone = r.nextInt(36);
      double km = 0.5 + -Math.log(1 - r.nextDouble()) * 4;
      int hour = (int) ((t / 3_600_000L) % 24);
      int dow = (int) ((t / RecData.DAY + 3) % 7);
      double speed = 28 / congestion[zone];
      if (hour == 8 || hour == 9 || hour == 17 || hour == 18) {
        speed *= 0.6;
      } else if (hour >= 0 && hour < 6) {
        speed *= 1.4;
      }
      if (dow >= 5) {
        speed *= 1.2;
      }
      if (t >= shift) {
        speed /= 1.35;
      }
      double seconds = 120 + km / speed * 3600 * Math.exp(r.nextGaussian() * 0.2);
      out.add(new Trip(t, zone, km, Math.round(seconds)));
    }
    out.sort(Comparator.comparingLong(Trip::pickup));
    return new EtaData("seeded(trips=" + trips + ", seed=" + seed + ")", Collections.unmodifiableList(out), shift);
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /**
   * The NYC taxi trip-duration sample: {@code train.csv}, {@code val.csv} and {@code test.csv} pooled
   * and ordered by pickup time; the pickup zone is the pickup point's cell on a 0.02-degree grid.
   *
   * @param dir the {@code eta-nyc-taxi-trip-duration} directory
   * @return the data, sorted by pickup time
   * @throws UncheckedIOException when a file cannot be read
   * @throws IllegalArgumentException on a malformed line (named with its file and number)
   */
  public static EtaData nycTaxi(Path dir) {
    List<Trip> out = new ArrayList<>();
    for (String name : List.of("train.csv", "val.csv", "test.csv")) {
      Path file = dir.resolve(name);
      try {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 1; n < lines.size(); n++) {
          String line = lines.get(n);
          if (line.isBlank()) {
            continue;
          }
          String[] f = line.split(",", -1);
          if (f.length != 11) {
            throw new IllegalArgumentException(file + " line " + (n + 1) + " has " + f.length + " fields, expected 11");
          }
          try {
            long t = LocalDateTime.parse(f[2], TIME).toInstant(ZoneOffset.UTC).toEpochMilli();
            double lon1 = Double.parseDouble(f[5]);
            double lat1 = Double.parseDouble(f[6]);
            double lon2 = Double.parseDouble(f[7]);
            double lat2 = Double.parseDouble(f[8]);
            double seconds = Double.parseDouble(f[10]);
            if (seconds <= 0 || seconds > 6 * 3600) {
              continue; // the sample's few meter errors (zero or day-long trips) are dropped, as is common
            }
            long zone = (long) Math.floor((lat1 - 40) / 0.02) * 1000 + (long) Math.floor((lon1 + 75) / 0.02);
            out.add(new Trip(t, zone, haversineKm(lat1, lon1, lat2, lon2), seconds));
          } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " line " + (n + 1) + ": " + e.getMessage(), e);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    out.sort(Comparator.comparingLong(Trip::pickup));
    return new EtaData("NYC taxi trip-duration sample (" + dir + ")", Collections.unmodifiableList(out), Long.MAX_VALUE);
  }

  static double haversineKm(double lat1, double lon1, double lat2, double lon2) {
    double p1 = Math.toRadians(lat1);
    double p2 = Math.toRadians(lat2);
    double dp = p2 - p1;
    double dl = Math.toRadians(lon2 - lon1);
    double a = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
  }
}
