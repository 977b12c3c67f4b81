package org.sieveml.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.ForwardingOnlineStore;
import org.sieveml.features.OnlineCommit;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * The ingesting process of the crash and fencing tests: a {@link KafkaIngestion} of {@link TxnStream}'s
 * topic into durable stores, run until a stop file appears (then closed gracefully) or until killed.
 * It prints {@code BEGIN} when a batch's commit starts (the offline log has appended it, the online
 * commit has not run: the batch is polled but not stored) and {@code END} when it returned, and holds
 * each commit for a moment in between. While the hold file exists, the commit it names by number (1 for
 * this process's first) prints {@code HELD} after {@code BEGIN} and waits until the file is deleted, so
 * a test can kill or stop it there for certain.
 *
 * <p>Arguments: bootstrap servers, group, topic, online ({@code dir:<path>} or {@code redis:<uri>}),
 * offline directory, stop file, hold file, commit delay ms, dead-letter topic, and optionally a static
 * group member id ({@code group.instance.id}: a restarted process takes its partitions back at once
 * instead of after the dead one's session expires).
 */
public final class IngestMain {

  private IngestMain() {}

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String group = args[1];
    String topic = args[2];
    String onlineSpec = args[3];
    Path offlineDir = Path.of(args[4]);
    Path stop = Path.of(args[5]);
    Path hold = Path.of(args[6]);
    long delay = Long.parseLong(args[7]);
    String dlq = args[8];
    OnlineStore backing = onlineSpec.startsWith("dir:") ? EmbeddedOnlineStore.open(Path.of(onlineSpec.substring(4)))
        : RedisOnlineStore.builder(onlineSpec.substring(6)).build();
    FeatureRegistry r = TxnStream.registry();
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    FeatureStore store = FeatureStore.builder(r).clock(() -> TxnStream.NOW)
        .onlineStore(new Announcing(backing, hold, delay)).offlineStore(EmbeddedOfflineStore.open(offlineDir))
        .telemetry(telemetry).build();
    KafkaIngestion.Builder builder = KafkaIngestion.builder(store, bootstrap, group);
    if (args.length > 9) {
      builder.consumerProperty("group.instance.id", args[9]);
    }
    KafkaIngestion ingestion = TxnStream.bind(builder, r, topic)
        .deadLetterTopic(dlq)
        .telemetry(telemetry)
        .consumerProperty("max.poll.records", 150)
        .consumerProperty("session.timeout.ms", 6000)
        .consumerProperty("heartbeat.interval.ms", 1000)
        .pollTimeout(Duration.ofMillis(50))
        .retryBackoff(Duration.ofMillis(200))
        .build();
    ingestion.start();
    System.out.println("READY " + ProcessHandle.current().pid());
    long fenced = 0;
    for (int tick = 0; !Files.exists(stop); tick++) {
      Thread.sleep(50);
      long f = telemetry.snapshot().counters().getOrDefault("sieveml.kafka.fenced", 0L);
      if (f != fenced) {
        fenced = f;
        System.out.println("FENCED " + f);
      }
      if (tick % 5 != 0) {
        continue;
      }
      long lagSum = 0;
      long records = 0;
      long positions = 0;
      for (PartitionStatus s : ingestion.status()) {
        lagSum += s.lag() < 0 ? 1 : s.lag();
        records += s.records();
        positions += Math.max(0, s.position());
      }
      System.out.println("STATUS lag=" + lagSum + " records=" + records + " positions=" + positions + " partitions="
          + ingestion.status().size());
    }
    ingestion.close();
    store.close();
    System.out.println("CLOSED");
    System.out.flush();
  }

  /**
   * Forwards, announcing each commit and holding it for a moment before it runs, or until the hold file
   * is deleted if that file names it.
   */
  static final class Announcing extends ForwardingOnlineStore {
    private final Path hold;
    private final long delay;
    private int commits; // on the runner's one apply thread

    Announcing(OnlineStore d, Path hold, long delay) {
      super(d);
      this.hold = hold;
      this.delay = delay;
    }

    @Override
    public boolean commit(OnlineCommit commit) {
      System.out.println("BEGIN");
      System.out.flush();
      commits++;
      try {
        if (names(commits)) {
          System.out.println("HELD");
          System.out.flush();
          while (Files.exists(hold)) {
            Thread.sleep(10);
          }
        }
        Thread.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      boolean ok = d.commit(commit);
      System.out.println(ok ? "END" : "END-FENCED");
      System.out.flush();
      return ok;
    }

    /** Whether the hold file exists and names commit {@code n}. */
    private boolean names(int n) {
      try {
        return Long.parseLong(Files.readString(hold).trim()) == n;
      } catch (NoSuchFileException e) {
        return false;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
