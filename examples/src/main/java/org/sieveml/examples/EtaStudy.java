package org.sieveml.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.monitoring.Adwin;
import org.sieveml.monitoring.ChangeDetector;
import org.sieveml.monitoring.DetectorState;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.ranking.RegressionMetrics;

/**
 * The ETA case study: predict a taxi trip's duration at pickup.
 *
 * <p>Trips are replayed in pickup order through a {@link FeatureStore}; a trip's duration becomes
 * known at dropoff, and only then is it pushed to its pickup zone's windows (completed trips in the
 * last hour and mean seconds per km over the last 24 h). The first half of the trips train a
 * {@link GbdtRanker} regression on log duration from point-in-time features (distance, hour,
 * weekday, zone windows); every later trip is predicted online at its pickup. An {@link Adwin}
 * detector watches the stream of log errors; the seeded city slows down by 35 % on day 45 (a holiday
 * season) and the study reports how long after that the detector fires. Reported: MAE and RMSLE
 * against a mean baseline. Stateless; {@link #run} is thread-safe.
 */
public final class EtaStudy {

  static final FeatureSchema MODEL = FeatureSchema.builder()
      .addDouble("distance_km")
      .addDouble("hour")
      .addDouble("weekday")
      .addDouble("zone_trips_1h")
      .addDouble("zone_sec_per_km_24h")
      .build();

  private EtaStudy() {}

  /**
   * The figures of one run.
   *
   * @param data the data set's name
   * @param testTrips trips predicted online
   * @param mae mean absolute error in seconds, model
   * @param rmsle RMSLE, model
   * @param baselineMae MAE of the mean baseline
   * @param baselineRmsle RMSLE of the mean baseline
   * @param detections when the detector fired (epoch milliseconds)
   * @param shiftMillis the planted slowdown, or {@code Long.MAX_VALUE}
   * @param errorByHour mean absolute log error per hour of day
   */
  public record Result(String data, int testTrips, double mae, double rmsle, double baselineMae,
      double baselineRmsle, List<Long> detections, long shiftMillis, double[] errorByHour) {

    /**
     * The first detection at or after the planted shift.
     *
     * @return its time, or {@code -1}
     */
    public long firstDetectionAfterShift() {
      return detections.stream().filter(t -> t >= shiftMillis).findFirst().orElse(-1L);
    }

    /**
     * Detections before the planted shift (false alarms on seeded data).
     *
     * @return the count
     */
    public long detectionsBeforeShift() {
      return detections.stream().filter(t -> t < shiftMillis).count();
    }
  }

  /**
   * Runs the study.
   *
   * @param data the trips
   * @param seed the model's seed
   * @param out progress and the summary
   * @param report where to write the HTML report, or null
   * @return the figures
   */
  public static Result run(EtaData data, long seed, PrintStream out, Path report) {
    List<EtaData.Trip> trips = data.trips();
    int split = trips.size() / 2;
    out.printf(Locale.ROOT, "[data]       %s: %,d trips; training on the first %,d%n", data.name(), trips.size(), split);
    Entity zone = Entity.builder("zone").joinKey("zone_id").build();
    AggregationView zoneTrips = AggregationView.builder("zone_trips").entity(zone)
        .input(FeatureSpec.of("sec_per_km", FeatureType.DOUBLE))
        .count(Duration.ofHours(1))
        .aggregate("sec_per_km", Aggregation.MEAN, Duration.ofHours(24))
        .bucket(Duration.ofMinutes(10)).build();
    FeatureService service = FeatureService.builder("eta_v1").features("zone_trips").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(zone);
    registry.apply(zoneTrips);
    registry.apply(service);
    AtomicLong now = new AtomicLong(trips.get(0).pickup());
    FeatureStore store = FeatureStore.builder(registry).clock(now::get).build();
    PriorityQueue<EtaData.Trip> running = new PriorityQueue<>(java.util.Comparator.comparingLong(EtaData.Trip::dropoff));

    long t0 = System.nanoTime();
    GbdtRanker model = null;
    double meanLog = 0;
    List<double[]> scored = new ArrayList<>(); // {predicted, actual, pickup hour}
    List<Long> detections = new ArrayList<>();
    ChangeDetector adwin = new Adwin();
    for (int g = 0; g < trips.size(); ) {
      long time = trips.get(g).pickup();
      int end = g;
      while (end < trips.size() && trips.get(end).pickup() == time) {
        end++;
      }
      // trips that ended by now report their duration
      EventBatch.Builder done = EventBatch.builder(zoneTrips.inputSchema());
      int finished = 0;
      while (!running.isEmpty() && running.peek().dropoff() <= time) {
        EtaData.Trip t = running.poll();
        now.set(t.dropoff());
        done.add(zone.key(t.pickupZone()), t.dropoff(), t.dropoff(), secPerKm(t));
        finished++;
      }
      now.set(time);
      if (finished > 0) {
        store.push("zone_trips", done.build());
      }
      if (model == null && end > split) {
        long tt = System.nanoTime();
        List<EtaData.Trip> train = trips.subList(0, split);
        FeatureFrame frame = pointInTime(store, service, train);
        double[] y = new double[train.size()];
        for (int i = 0; i < y.length; i++) {
          y[i] = Math.log1p(train.get(i).durationSeconds());
          meanLog += y[i] / y.length;
        }
        model = GbdtRanker.trainer(FeatureEncoder.builder(MODEL).build()).name("eta-gbdt")
            .objective(GbdtRanker.Objective.SQUARED_ERROR).rounds(150).maxDepth(6).eta(0.08).seed(seed).threads(2)
            .train(frame, y, null);
        out.printf(Locale.ROOT, "[train]      point-in-time zone windows for %,d trips (durations known only at "
            + "dropoff), GBDT regression on log duration in %d ms%n", y.length, (System.nanoTime() - tt) / 1_000_000);
      }
      for (int n = g; n < end; n++) {
        EtaData.Trip t = trips.get(n);
        if (n >= split) {
          FeatureVector v = assemble(t, store.getOnlineFeatures(List.of(zone.key(t.pickupZone())), service).vector(0));
          double predLog = model.predict(v);
          double err = predLog - Math.log1p(t.durationSeconds());
          scored.add(new double[] {Math.expm1(predLog), t.durationSeconds(), (t.pickup() / 3_600_000L) % 24});
          if (adwin.update(err) == DetectorState.DRIFT) {
            detections.add(t.dropoff());
            out.printf(Locale.ROOT, "[monitor]    ADWIN: the log-error stream changed (mean now %.3f) at %s%n",
                adwin.estimate(), java.time.Instant.ofEpochMilli(t.dropoff()));
          }
        }
        running.add(t);
      }
      g = end;
    }
    store.close();
    out.printf(Locale.ROOT, "[replay]     %,d trips replayed, %,d predicted online, in %d ms%n", trips.size(),
        scored.size(), (System.nanoTime() - t0) / 1_000_000);
    double[] pred = new double[scored.size()];
    double[] actual = new double[scored.size()];
    double[] base = new double[scored.size()];
    double[] errByHour = new double[24];
    int[] nByHour = new int[24];
    for (int i = 0; i < pred.length; i++) {
      pred[i] = scored.get(i)[0];
      actual[i] = scored.get(i)[1];
      base[i] = Math.expm1(meanLog);
      int h = (int) scored.get(i)[2];
      errByHour[h] += Math.abs(Math.log1p(pred[i]) - Math.log1p(actual[i]));
      nByHour[h]++;
    }
    for (int h = 0; h < 24; h++) {
      errByHour[h] = nByHour[h] == 0 ? Double.NaN : errByHour[h] / nByHour[h];
    }
    Result r = new Result(data.name(), pred.length, RegressionMetrics.mae(pred, actual),
        RegressionMetrics.rmsle(pred, actual), RegressionMetrics.mae(base, actual), RegressionMetrics.rmsle(base, actual),
        detections, data.shiftMillis(), errByHour);
    out.println();
    out.printf(Locale.ROOT, "Test trips (%,d, predicted online at pickup):%n", r.testTrips());
    out.printf(Locale.ROOT, "  %-24s %10s %8s%n", "", "MAE (s)", "RMSLE");
    out.printf(Locale.ROOT, "  %-24s %10.1f %8.4f%n", "GBDT", r.mae(), r.rmsle());
    out.printf(Locale.ROOT, "  %-24s %10.1f %8.4f%n", "mean baseline", r.baselineMae(), r.baselineRmsle());
    if (data.shiftMillis() != Long.MAX_VALUE) {
      long first = r.firstDetectionAfterShift();
      out.printf(Locale.ROOT, "  planted slowdown on %s: ADWIN fired %s; %d alarm(s) before it%n",
          java.time.Instant.ofEpochMilli(data.shiftMillis()), first < 0 ? "never"
              : String.format(Locale.ROOT, "%.1f h later", (first - data.shiftMillis()) / 3_600_000.0),
          r.detectionsBeforeShift());
    }
    if (report != null) {
      writeReport(r, report);
      out.println("[report]     " + report.toAbsolutePath());
    }
    return r;
  }

  private static double secPerKm(EtaData.Trip t) {
    return Math.min(3600, t.durationSeconds() / Math.max(0.2, t.distanceKm()));
  }

  private static FeatureFrame pointInTime(FeatureStore store, FeatureService service, List<EtaData.Trip> trips) {
    long[] ids = new long[trips.size()];
    long[] times = new long[trips.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = trips.get(i).pickupZone();
      times[i] = trips.get(i).pickup();
    }
    FeatureFrame f = store.getHistoricalFeatures(EntityRows.ofLongKeys(ids, times, null), service).frame();
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(MODEL);
    for (int i = 0; i < ids.length; i++) {
      b.add(assemble(trips.get(i), f.row(i)));
    }
    return b.build();
  }

  private static FeatureVector assemble(EtaData.Trip t, FeatureVector zone) {
    double secPerKm = RecommendationStudy.num(zone, "sec_per_km_mean_1d");
    return FeatureVector.builder(MODEL)
        .setDouble(0, t.distanceKm())
        .setDouble(1, (t.pickup() / 3_600_000L) % 24)
        .setDouble(2, (t.pickup() / RecData.DAY + 3) % 7)
        .setDouble(3, RecommendationStudy.num(zone, "count_1h"))
        .setDouble(4, secPerKm)
        .build();
  }

  private static void writeReport(Result r, Path file) {
    StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>SieveML ETA study"
        + "</title><style>body{font-family:sans-serif;margin:2em}</style></head><body><h1>ETA case study</h1>");
    h.append(String.format(Locale.ROOT, "<p>%s: %d trips predicted online. MAE %.1f s (mean baseline %.1f s), RMSLE "
        + "%.4f (baseline %.4f).</p>", r.data().replace("<", "&lt;"), r.testTrips(), r.mae(), r.baselineMae(), r.rmsle(),
        r.baselineRmsle()));
    if (r.shiftMillis() != Long.MAX_VALUE) {
      h.append(String.format(Locale.ROOT, "<p>Planted slowdown; ADWIN detections (hours after it): %s</p>",
          r.detections().stream().map(t -> String.format(Locale.ROOT, "%.1f", (t - r.shiftMillis()) / 3_600_000.0))
              .toList()));
    }
    // bars over a 150 px tall plot from x = 60; y axis from 0 to the largest hour's error
    h.append("<h2>Mean absolute log error by pickup hour</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" "
        + "height=\"206\">");
    double max = 0;
    for (double e : r.errorByHour()) {
      max = Double.isNaN(e) ? max : Math.max(max, e);
    }
    h.append(String.format(Locale.ROOT, "<line x1=\"56\" y1=\"10\" x2=\"56\" y2=\"160\" stroke=\"#888\"/>"
        + "<line x1=\"56\" y1=\"160\" x2=\"540\" y2=\"160\" stroke=\"#888\"/>"
        + "<text x=\"52\" y=\"14\" font-size=\"10\" text-anchor=\"end\">%.3f</text>"
        + "<text x=\"52\" y=\"163\" font-size=\"10\" text-anchor=\"end\">0</text>"
        + "<text x=\"14\" y=\"85\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 85)\">"
        + "mean |log error|</text>"
        + "<text x=\"298\" y=\"200\" font-size=\"11\" text-anchor=\"middle\">pickup hour</text>", max));
    for (int hr = 0; hr < 24; hr++) {
      double e = Double.isNaN(r.errorByHour()[hr]) ? 0 : r.errorByHour()[hr];
      double hgt = max == 0 ? 0 : 150 * e / max;
      h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"16\" height=\"%.1f\" fill=\"#1f77b4\">"
          + "<title>%02d h: %.3f</title></rect><text x=\"%d\" y=\"175\" font-size=\"9\" text-anchor=\"middle\">%d"
          + "</text>", 60 + hr * 20, 160 - hgt, hgt, hr, e, 68 + hr * 20, hr));
    }
    h.append("</svg></body></html>\n");
    Cli.writeReport(file, h);
  }

  /**
   * Runs the study from the command line: {@code [--data DIR] [--trips N] [--seed S] [--report FILE]}.
   *
   * @param args the options; {@code --data} names the shared data directory (NYC taxi sample)
   */
  public static void main(String[] args) {
    Map<String, String> o = Cli.options(args, "--data", "--trips", "--seed", "--report");
    long seed = Long.parseLong(o.getOrDefault("--seed", "42"));
    EtaData data = o.containsKey("--data")
        ? EtaData.nycTaxi(Path.of(o.get("--data")).resolve("eta-nyc-taxi-trip-duration"))
        : EtaData.seeded(Integer.parseInt(o.getOrDefault("--trips", "100000")), seed);
    System.out.println("SieveML case study: ETA (zone windows known at dropoff, regression, drift on the error stream)");
    run(data, seed, System.out, Path.of(o.getOrDefault("--report", "target/eta-report.html")));
  }
}
