package org.sieveml.benchmarks.features;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;

/**
 * Question: how fast does a batch of 500,000 rows (long entity id, event and created time, two DOUBLE
 * features) go into the durable offline log, against appending the same rows' bytes (40 bytes a row)
 * to a plain {@link FileChannel} and forcing it once? Ours sorts the batch, writes a columnar segment
 * with checksums, forces it, renames it into place, syncs the directory and publishes a forced
 * manifest (and assigns ingestion times and sequence numbers: 56 bytes a row). Each iteration starts
 * from an empty directory. Merges (which start above 8 segments) are queued on an executor that runs
 * them after the iteration, so this measures the acknowledged write path alone; merge cost is the
 * price of a log-structured store and is not part of an append's latency.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class IngestThroughputBenchmark {
  static final int ROWS = 500_000;

  private EventBatch batch;
  private ByteBuffer raw;
  private Path dir;
  private FeatureStore store;
  private FileChannel plain;
  private FeatureRegistry reg;
  private int iteration;
  private final java.util.List<Runnable> merges = new java.util.ArrayList<>();

  /** Generates the batch once. */
  @Setup
  public void data() {
    Random r = new Random(3);
    long[] ids = new long[ROWS];
    long[] when = new long[ROWS];
    double[] a = new double[ROWS];
    double[] b = new double[ROWS];
    for (int i = 0; i < ROWS; i++) {
      ids[i] = r.nextInt(100_000);
      when[i] = 1_700_000_000_000L + i * 10L;
      a[i] = r.nextDouble();
      b[i] = r.nextGaussian();
    }
    batch = EventBatch.ofLongKeys(ids, when, when, FeatureFrame.builder(ROWS).addDouble("a", a).addDouble("b", b)
        .build());
    raw = ByteBuffer.allocateDirect(ROWS * 40).order(ByteOrder.LITTLE_ENDIAN);
    Entity user = Entity.builder("user").joinKey("user_id").build();
    reg = new FeatureRegistry();
    reg.apply(user);
    reg.apply(FeatureView.builder("events").entity(user).feature(FeatureSpec.of("a", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("b", FeatureType.DOUBLE)).build());
  }

  /** A fresh directory, store and plain file per iteration. */
  @Setup(Level.Iteration)
  public void open() throws IOException {
    dir = Files.createTempDirectory("sieveml-ingest-bench");
    merges.clear();
    store = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.builder(dir.resolve("store"))
        .mergeExecutor(merges::add).build()).build();
    plain = FileChannel.open(dir.resolve("plain-" + (iteration++)), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
  }

  /**
   * Ours: one durable batch ingest.
   *
   * @return the first sequence number
   */
  @Benchmark
  public long ingest() {
    return store.ingest("events", batch);
  }

  /**
   * The anchor: the same rows' bytes appended to a plain file and forced.
   *
   * @return bytes written
   * @throws IOException on an I/O error
   */
  @Benchmark
  public long fileChannel() throws IOException {
    raw.clear();
    FeatureFrame v = batch.values();
    for (int i = 0; i < ROWS; i++) {
      raw.putLong(batch.longKey(i)).putLong(batch.eventTime(i)).putLong(batch.createdTime(i))
          .putDouble(v.asDouble(i, 0)).putDouble(v.asDouble(i, 1));
    }
    raw.flip();
    long n = 0;
    while (raw.hasRemaining()) {
      n += plain.write(raw);
    }
    plain.force(false);
    return n;
  }

  /** Closes and deletes the iteration's files. */
  @TearDown(Level.Iteration)
  public void close() throws IOException {
    for (Runnable m : new java.util.ArrayList<>(merges)) {
      m.run();
    }
    store.close();
    plain.close();
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
