package org.sieveml.kafka;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.LatencySummary;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;

/**
 * The scorecard figures of issue 17, against a real broker (a child JVM on this machine):
 * <ul>
 *   <li>{@code ingest_events_3_windows}: events per second from a 3-partition topic of JSON transactions
 *       into the {@code txn} aggregation view (count 1 h, sum 1 d, max 7 d) through {@link KafkaIngestion},
 *       exactly once, into persistent embedded stores under their default durability; anchor: a bare
 *       {@code KafkaConsumer} poll loop that only deserializes the same records (String values), same
 *       topic, same {@code max.poll.records}, same run. Medians of 5 runs after a warm-up of each.</li>
 *   <li>{@code ingest_freshness}: produce to readable online (the record's create time to the commit
 *       returning), p50 and p99, while a producer sends 2,000 records/s for 10 s.</li>
 * </ul>
 * Runs only when asked (nothing else running):
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q test -pl kafka -Dtest=IngestionBench -Dsieveml.bench=true
 * </pre>
 */
class IngestionBench {

  static final int RECORDS = 300_000;

  @Test
  void throughputAgainstABarePollLoopAndFreshness(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("sieveml.bench"), "a benchmark: run with -Dsieveml.bench=true");
    try (KafkaBroker broker = KafkaBroker.start(tmp.resolve("broker"))) {
      broker.createTopic("bench", 3);
      produce(broker.bootstrapServers(), "bench", RECORDS, 0, 0);
      double[] floor = new double[6];
      double[] ours = new double[6];
      for (int run = 0; run < 6; run++) {
        floor[run] = RECORDS / barePollLoop(broker.bootstrapServers(), "floor-" + run);
        ours[run] = RECORDS / ingest(broker.bootstrapServers(), "ours-" + run, tmp.resolve("stores-" + run));
        System.out.printf(Locale.ROOT, "run %d%s: bare poll loop %.0f records/s, ingestion %.0f events/s%n", run,
            run == 0 ? " (warm-up)" : "", floor[run], ours[run]);
      }
      double f = median(Arrays.copyOfRange(floor, 1, 6));
      double o = median(Arrays.copyOfRange(ours, 1, 6));
      System.out.printf(Locale.ROOT, "SCORE\tkafka\tingest_events_3_windows\t%.1f\t%.1f\tbare KafkaConsumer poll loop "
          + "deserializing the same records (String), same topic and max.poll.records\t%.3f\t0.5\tevents/s%n", o, f, o / f);

      broker.createTopic("fresh", 3);
      LatencySummary s = freshness(broker.bootstrapServers(), tmp.resolve("fresh-stores"));
      System.out.printf(Locale.ROOT, "FRESHNESS\tkafka\tingest_freshness\tp50=%.1f ms\tp99=%.1f ms\tmax=%.1f ms\tn=%d "
          + "(2,000 records/s for 10 s, produce to readable online)%n", s.p50() / 1e6, s.p99() / 1e6, s.max() / 1e6,
          s.count());
    }
  }

  static FeatureStore store(Path dir, InMemoryTelemetry t) {
    return FeatureStore.builder(TxnStream.registry()).clock(System::currentTimeMillis)
        .futureTolerance(Duration.ofDays(365))
        .onlineStore(EmbeddedOnlineStore.open(dir.resolve("online")))
        .offlineStore(EmbeddedOfflineStore.open(dir.resolve("offline"))).telemetry(t).build();
  }

  /** Seconds for a fresh group to read every record, values decoded as Strings. */
  static double barePollLoop(String bootstrap, String group) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    long t0 = System.nanoTime();
    long n = 0;
    long chars = 0;
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of("bench"));
      while (n < RECORDS) {
        for (var r : c.poll(Duration.ofMillis(100))) {
          n++;
          chars += r.value().length();
        }
      }
    }
    double s = (System.nanoTime() - t0) / 1e9;
    if (chars == 0) {
      throw new AssertionError("nothing read");
    }
    return s;
  }

  /** Seconds for a runner to apply every record into the three windows. */
  static double ingest(String bootstrap, String group, Path dir) throws InterruptedException {
    InMemoryTelemetry t = new InMemoryTelemetry();
    long t0 = System.nanoTime();
    try (FeatureStore store = store(dir, t)) {
      FeatureRegistry r = store.registry();
      KafkaIngestion ing = KafkaIngestion.builder(store, bootstrap, group)
          .bind("bench", "txn", JsonDecoder.forView(r.view("txn")).eventTimeField("ts").build())
          .telemetry(t).build();
      ing.start();
      while (t.snapshot().counters().getOrDefault("sieveml.kafka.records", 0L) < RECORDS) {
        Thread.sleep(2);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      ing.close();
      long events = t.snapshot().counters().getOrDefault("sieveml.kafka.events", 0L);
      if (events != RECORDS) {
        throw new AssertionError(events + " events applied, expected " + RECORDS);
      }
      return s;
    }
  }

  static LatencySummary freshness(String bootstrap, Path dir) throws Exception {
    InMemoryTelemetry t = new InMemoryTelemetry();
    try (FeatureStore store = store(dir, t)) {
      FeatureRegistry r = store.registry();
      KafkaIngestion ing = KafkaIngestion.builder(store, bootstrap, "fresh")
          .bind("fresh", "txn", JsonDecoder.forView(r.view("txn")).eventTimeField("ts").build())
          .telemetry(t).pollTimeout(Duration.ofMillis(20)).build();
      ing.start();
      Thread.sleep(2000); // joined
      produce(bootstrap, "fresh", 20_000, 2000, System.currentTimeMillis());
      while (t.snapshot().counters().getOrDefault("sieveml.kafka.records", 0L) < 20_000) {
        Thread.sleep(5);
      }
      ing.close();
      return t.snapshot().latencies().get("sieveml.kafka.freshness");
    }
  }

  /** Produces JSON transactions; {@code perSecond > 0} paces them. */
  static void produce(String bootstrap, String topic, int n, int perSecond, long now) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, perSecond > 0 ? 0 : 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 << 10);
    Random rnd = new Random(5);
    long base = now > 0 ? now : System.currentTimeMillis();
    long start = System.nanoTime();
    List<java.util.concurrent.Future<?>> pending = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(p, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (int i = 0; i < n; i++) {
        if (perSecond > 0) {
          long due = start + (long) (i * 1e9 / perSecond);
          while (System.nanoTime() < due) {
            Thread.onSpinWait();
          }
        }
        long card = rnd.nextInt(100_000);
        long ts = (perSecond > 0 ? System.currentTimeMillis() : base) - rnd.nextInt(3_600_000);
        String json = "{\"card_id\": " + card + ", \"ts\": " + ts + ", \"amount\": " + (rnd.nextInt(100_000) / 8.0)
            + "}";
        pending.add(prod.send(new ProducerRecord<>(topic, Long.toString(card).getBytes(StandardCharsets.UTF_8),
            json.getBytes(StandardCharsets.UTF_8))));
        if (pending.size() > 50_000) {
          for (var f : pending) {
            f.get();
          }
          pending.clear();
        }
      }
      prod.flush();
      for (var f : pending) {
        f.get();
      }
    }
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
