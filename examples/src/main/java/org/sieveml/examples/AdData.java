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
 * Ad clicks for the click/conversion case study, from a seeded generator with planted effects (the
 * default) or from the TalkingData AdTracking sample. Immutable; thread-safe.
 *
 * @param name where the data came from
 * @param clicks clicks sorted by time
 * @param botIps the number of planted click-farm ips (ids {@code 0..botIps-1}), 0 for real data
 */
public record AdData(String name, List<Click> clicks, int botIps) {

  /**
   * One click.
   *
   * @param ip the clicking ip (an id)
   * @param app the advertised app
   * @param device the device type
   * @param os the operating system
   * @param channel the publisher channel
   * @param time click time, epoch milliseconds
   * @param attributedTime when the download was attributed, or {@code -1} when it never was
   */
  public record Click(long ip, long app, long device, long os, long channel, long time, long attributedTime) {
    /**
     * Whether the click converted.
     *
     * @return true when a download was attributed
     */
    public boolean converted() {
      return attributedTime >= 0;
    }
  }

  /**
   * A seeded click stream over three days. Conversion odds come from planted app and channel effects;
   * {@code botIps} click farms produce a fifth of the clicks in bursts and never convert, so the clicks
   * per ip in the last hour and day carry signal, as they do in the real data.
   *
   * @param clicks number of clicks
   * @param seed the seed
   * @return the data, sorted by time
   */
  public static AdData seeded(int clicks, long seed) {
    if (clicks < 1000) {
      throw new IllegalArgumentException("clicks was " + clicks + ", expected at least 1000");
    }
    SplittableRandom r = new SplittableRandom(seed);
    int apps = 100;
    int channels = 150;
    int ips = Math.max(1000, clicks / 10);
    int bots = 200;
    double[] appEffect = new double[apps];
    double[] channelEffect = new double[channels];
    for (int a = 0; a < apps; a++) {
      appEffect[a] = r.nextGaussian() * 1.2;
    }
    for (int c = 0; c < channels; c++) {
      channelEffect[c] = r.nextGaussian() * 0.7;
    }
    long start = 1_700_000_000_000L;
    long span = 3 * RecData.DAY;
    List<Click> out = new ArrayList<>(clicks);
    for (int n = 0; n < clicks; n++) {
      boolean bot = r.nextDouble() < 0.2;
      long ip;
      long time;
      if (bot) {
        ip = r.nextInt(bots);
        // each farm clicks in a two-hour burst per day
        long day = r.nextInt(3);
        time = start + day * RecData.DAY + (ip * 7_919_000L) % (22 * 3_600_000L) + r.nextLong(2 * 3_600_000L);
      } else {
        ip = bots + (long) Math.min(ips - 1, Math.abs(r.nextGaussian()) * ips / 3);
        time = start + r.nextLong(span);
      }
      long app = (long) Math.min(apps - 1, Math.abs(r.nextGaussian()) * apps / 3);
      long channel = r.nextInt(channels);
      long os = r.nextInt(40);
      long device = r.nextDouble() < 0.9 ? 1 : r.nextInt(5);
      double logit = -5.0 + appEffect[(int) app] + channelEffect[(int) channel] + (device == 1 ? 0 : 0.8);
      boolean converted = !bot && r.nextDouble() < 1 / (1 + Math.exp(-logit));
      long attributed = converted ? time + (long) (-Math.log(1 - r.nextDouble()) * 3_600_000) : -1;
      out.add(new Click(ip, app, device, os, channel, time, attributed));
    }
    out.sort(Comparator.comparingLong(Click::time));
    return new AdData("seeded(clicks=" + clicks + ", seed=" + seed + ")", Collections.unmodifiableList(out), bots);
  }

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  /**
   * The TalkingData AdTracking sample ({@code train_sample.csv}: ip, app, device, os, channel,
   * click_time, attributed_time, is_attributed; times in UTC).
   *
   * @param dir the {@code ctr-talkingdata-adtracking} directory
   * @return the data, sorted by time
   * @throws UncheckedIOException when the file cannot be read
   * @throws IllegalArgumentException on a malformed line (named with its number)
   */
  public static AdData talkingData(Path dir) {
    Path file = dir.resolve("train_sample.csv");
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      List<Click> out = new ArrayList<>(lines.size());
      for (int n = 1; n < lines.size(); n++) {
        String line = lines.get(n);
        if (line.isBlank()) {
          continue;
        }
        String[] f = line.split(",", -1);
        if (f.length != 8) {
          throw new IllegalArgumentException(file + " line " + (n + 1) + " has " + f.length + " fields, expected 8");
        }
        try {
          long t = LocalDateTime.parse(f[5], TIME).toInstant(ZoneOffset.UTC).toEpochMilli();
          long at = f[6].isEmpty() ? -1 : LocalDateTime.parse(f[6], TIME).toInstant(ZoneOffset.UTC).toEpochMilli();
          out.add(new Click(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
              Long.parseLong(f[4]), t, at));
        } catch (RuntimeException e) {
          throw new IllegalArgumentException(file + " line " + (n + 1) + ": " + e.getMessage(), e);
        }
      }
      out.sort(Comparator.comparingLong(Click::time));
      return new AdData("TalkingData AdTracking sample (" + file + ")", Collections.unmodifiableList(out), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
