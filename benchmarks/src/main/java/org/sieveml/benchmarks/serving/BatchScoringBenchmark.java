package org.sieveml.benchmarks.serving;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.serving.BatchPrediction;
import org.sieveml.serving.BatchResult;

/**
 * Question: how close does {@link BatchPrediction} come to the ranker alone when it scores
 * {@value #USERS} users — point-in-time join, scoring, and writing every result offline and online with the
 * run's position — against scoring the same, already fetched rows directly with the ranker (the floor; the
 * goal is batch throughput of at least 0.7x the floor's)?
 *
 * <p>The world: an in-memory feature store (embedded offline log and online store, as a batch job on a
 * host's machine would use) with {@value #USERS} users, 3 history rows each over 20 days, of 10 DOUBLE
 * features and a STRING plan; a seeded GBDT of 100 depth-6 trees over them (the plan hashed). Every method
 * processes the same {@value #USERS} rows per call; the join and the ranker run on the calling thread:
 * <ul>
 *   <li>{@link #batch()}: {@code BatchPrediction.run} as built by default, in chunks of {@value #CHUNK} — a
 *       new run per call (the score time moves back 1 ms per call, so nothing is skipped as already done): the
 *       join, the ranker, the prediction rows, {@code pushFrom} offline and online, all on the caller's thread
 *       (besides the store's background seals and merges, as for every method).
 *   <li>{@link #batchWritesBehind()}: the same with {@code writeBehind(true)}: each chunk's rows made and
 *       written on the run's writer thread while the caller joins and scores the next.
 *   <li>{@link #joinAndScore()}: the join and the ranker, nothing written (where the rest of the time goes).
 *   <li>{@link #rankerOnly()}: the floor — {@code Ranker.predict(FeatureFrame)} on the join's frame, fetched
 *       once in setup.
 * </ul>
 * Rows per second are {@value #USERS} divided by the time per call; the ratio is
 * {@code rankerOnly / batch} time. Setup checks that the batch's stored scores equal the floor's bit for bit.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar BatchScoringBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class BatchScoringBenchmark {
  /** Users scored per call. */
  public static final int USERS = 20_000;
  /** Users per chunk of the batch (the default). */
  public static final int CHUNK = 2_000;

  /** Users per chunk of the batch ({@code -p chunk=...}). */
  @Param({"" + CHUNK})
  public int chunk;
  private static final long DAY = 86_400_000L;
  private static final long T = 400 * DAY;

  private FeatureStore store;
  private FeatureService service;
  private GbdtRanker ranker;
  private BatchPrediction batch;
  private BatchPrediction behind;
  private List<EntityKey> users;
  private EntityRows rows;
  private FeatureFrame fetched;
  private long nextScoreTime = T;

  /** Builds the store, its history and the model (seeded), and checks batch scores against the floor's. */
  @Setup(Level.Trial)
  public void setup() {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    FeatureView.Builder vb = FeatureView.builder("user_stats").entity(user).ttl(Duration.ofDays(30));
    for (int j = 0; j < 10; j++) {
      vb.feature(FeatureSpec.of("f" + j, FeatureType.DOUBLE));
    }
    FeatureView view = vb.feature(FeatureSpec.of("plan", FeatureType.STRING)).build();
    List<String> names = view.schema().names();
    service = FeatureService.builder("user_model").features("user_stats", names.toArray(new String[0])).build();
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(user);
    reg.apply(view);
    reg.apply(service);
    store = FeatureStore.builder(reg).clock(() -> T).build();
    SplittableRandom r = new SplittableRandom(42);
    String[] plans = {"free", "plus", "pro", "team"};
    EventBatch.Builder b = EventBatch.builder(view.schema());
    users = new ArrayList<>();
    for (long u = 0; u < USERS; u++) {
      EntityKey k = user.key(u);
      users.add(k);
      for (int e = 0; e < 3; e++) {
        long t = T - 1 - r.nextLong(20 * DAY);
        Object[] values = new Object[11];
        for (int j = 0; j < 10; j++) {
          values[j] = r.nextGaussian();
        }
        values[10] = plans[r.nextInt(plans.length)];
        b.add(k, t, t, values);
      }
    }
    store.ingest("user_stats", b.build());
    long[] ts = new long[USERS];
    java.util.Arrays.fill(ts, T);
    rows = EntityRows.of(users, ts, null);
    fetched = store.getHistoricalFeatures(rows, service).frame().select(names);
    double[] y = new double[USERS];
    for (int i = 0; i < USERS; i++) {
      double z = fetched.asDouble(i, 0) - fetched.asDouble(i, 1) + 0.5 * fetched.asDouble(i, 2)
          + (fetched.getString(i, 10).equals("pro") ? 1 : 0);
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    ranker = GbdtRanker.trainer(FeatureEncoder.builder(fetched.schema()).hashed("plan", 8).build()).rounds(100)
        .maxDepth(6).seed(1).threads(1).train(fetched, y, null);
    batch = BatchPrediction.builder(store).service(service).ranker(ranker, "bench@v1")
        .outputView("bench_scores", user, Duration.ofDays(1)).chunkSize(chunk).clock(() -> T).build();
    behind = BatchPrediction.builder(store).service(service).ranker(ranker, "bench@v1")
        .outputView("bench_scores_behind", user, Duration.ofDays(1)).chunkSize(chunk).clock(() -> T)
        .writeBehind(true).build();
    BatchResult first = batch.run(users, T, null);
    if (first.scored() != USERS) {
      throw new IllegalStateException("the batch scored " + first.scored() + " of " + USERS);
    }
    if (behind.run(users, T, null).scored() != USERS) {
      throw new IllegalStateException("the write-behind batch did not score every user");
    }
    double[] floor = rankerOnly();
    for (BatchPrediction p : List.of(batch, behind)) {
      OnlineFeatures stored = store.getOnlineFeatures(users, p.predictionService());
      for (int i = 0; i < USERS; i++) {
        if (Double.doubleToRawLongBits(stored.vector(i).getDouble(BatchPrediction.SCORE))
            != Double.doubleToRawLongBits(floor[i])) {
          throw new IllegalStateException(p.predictionView().name() + ", user " + i + ": batch "
              + stored.vector(i).getDouble(BatchPrediction.SCORE) + " vs ranker " + floor[i]);
        }
      }
    }
    nextScoreTime = T - 1;
  }

  /** Forgets the prediction rows written so far, so memory stays flat across iterations. */
  @Setup(Level.Iteration)
  public void dropPredictions() {
    store.dropData("bench_scores");
    store.dropData("bench_scores_behind");
  }

  /** Closes the store. */
  @TearDown(Level.Trial)
  public void tearDown() {
    store.close();
  }

  /**
   * Batch prediction of every user: join, score, write offline and online.
   *
   * @return what the run did
   */
  @Benchmark
  public BatchResult batch() {
    return newRun(batch);
  }

  /**
   * Batch prediction of every user, each chunk written behind the next one's join and scoring.
   *
   * @return what the run did
   */
  @Benchmark
  public BatchResult batchWritesBehind() {
    return newRun(behind);
  }

  /** A run of every user at a score time not used before, checked to score them all. */
  private BatchResult newRun(BatchPrediction p) {
    BatchResult r = p.run(users, nextScoreTime--, null);
    if (r.scored() != USERS) {
      throw new IllegalStateException("a new run scored " + r.scored() + " of " + USERS);
    }
    return r;
  }

  /**
   * The point-in-time join and the ranker, nothing written.
   *
   * @return the scores
   */
  @Benchmark
  public double[] joinAndScore() {
    return ranker.predict(store.getHistoricalFeatures(rows, service).frame());
  }

  /**
   * The floor: the ranker alone on the rows the join fetched once in setup.
   *
   * @return the scores
   */
  @Benchmark
  public double[] rankerOnly() {
    return ranker.predict(fetched);
  }
}
