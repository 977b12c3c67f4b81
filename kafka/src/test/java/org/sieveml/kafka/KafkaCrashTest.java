package org.sieveml.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.RedisServer;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * Crashes, broker restarts and fencing, with the ingesting runner in child JVMs ({@link IngestMain})
 * against a real broker: after every disturbance the state equals the reference exactly — no event
 * lost, none counted twice — online and in point-in-time joins.
 */
class KafkaCrashTest {

  @TempDir
  static Path dir;
  @org.junit.jupiter.api.extension.RegisterExtension
  static final KafkaBroker.PerClass KAFKA = new KafkaBroker.PerClass();

  static String[] args(String group, String topic, String online, Path offline, Path stop, Path hold, long delay) {
    return new String[] {KAFKA.broker().bootstrapServers(), group, topic, online, offline.toString(), stop.toString(),
        hold.toString(), Long.toString(delay), topic + ".dlq"};
  }

  /** As {@link #args}, as a static group member: a restart takes the partitions back without waiting. */
  static String[] staticMember(String group, String topic, String online, Path offline, Path stop, Path hold,
      long delay) {
    String[] a = args(group, topic, online, offline, stop, hold, delay);
    String[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = "ingest-1";
    return out;
  }

  static FeatureStore openEmbedded(Path stores) {
    return FeatureStore.builder(TxnStream.registry()).clock(() -> TxnStream.NOW)
        .onlineStore(EmbeddedOnlineStore.open(stores.resolve("online")))
        .offlineStore(EmbeddedOfflineStore.open(stores.resolve("offline"))).build();
  }

  /** Starts a child, lets it apply until caught up, stops it gracefully. */
  static void drain(String[] a, Path stop, Path log) throws Exception {
    Files.deleteIfExists(stop);
    try (Child c = Child.start(log, a)) {
      c.await(0, l -> l.startsWith("READY"), 60_000, "READY");
      c.awaitCaughtUp(120_000);
      Files.createFile(stop);
      c.await(0, l -> l.equals("CLOSED"), 60_000, "CLOSED");
      assertEquals(0, c.process.waitFor(), "graceful exit");
    }
    Files.deleteIfExists(stop);
  }

  @Test
  void killedMidStreamTwelveTimesTheStateEqualsTheReference() throws Exception {
    KAFKA.broker().createTopic("crash", 3);
    KAFKA.broker().createTopic("crash.dlq", 1);
    Path stores = dir.resolve("crash-stores");
    Path stop = dir.resolve("crash-stop");
    Path hold = dir.resolve("crash-hold");
    String[] a = staticMember("crash-g", "crash", "dir:" + stores.resolve("online"), stores.resolve("offline"), stop,
        hold, 40);
    List<TxnStream.Txn> all = new ArrayList<>();
    Random rnd = new Random(42);
    int kills = 0;
    int betweenPollAndStore = 0;
    try (KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
      for (int round = 0; round < 12; round++) {
        List<TxnStream.Txn> wave = TxnStream.generate(800, 100 + round, all.size());
        TxnStream.produce(p, "crash", wave);
        all.addAll(wave);
        // let it store a few batches, then kill it: on even rounds while a batch is polled and appended
        // offline but its online commit has not run (the hold file names that commit: it waits there, HELD,
        // until killed), on odd rounds at a random moment
        int skip = 1 + rnd.nextInt(3);
        boolean held = round % 2 == 0;
        if (held) {
          Files.writeString(hold, Integer.toString(1 + skip)); // the first commit, then skip more
        }
        try (Child c = Child.start(dir.resolve("crash-" + round + ".log"), a)) {
          c.await(0, l -> l.startsWith("READY"), 60_000, "READY");
          int from = c.await(0, l -> l.equals("END"), 60_000, "a first stored batch");
          for (int i = 0; i < skip; i++) {
            from = c.await(from + 1, l -> l.equals("BEGIN"), 60_000, "a batch being stored") ;
          }
          if (held) {
            c.await(from, l -> l.equals("HELD"), 60_000, "HELD");
            betweenPollAndStore++;
          } else {
            Thread.sleep(rnd.nextInt(60));
          }
          c.kill();
          kills++;
        } finally {
          Files.deleteIfExists(hold);
        }
      }
    }
    assertEquals(12, kills);
    assertTrue(betweenPollAndStore >= 6, "kills between poll and store: " + betweenPollAndStore);
    drain(a, stop, dir.resolve("crash-final.log"));
    try (FeatureStore s = openEmbedded(stores)) {
      TxnStream.assertSameState(TxnStream.reference(all), s, "after 12 kills");
      long end = 0;
      for (int part = 0; part < 3; part++) {
        end += s.streamPosition("txn", "crash/" + part);
        assertEquals(s.streamPosition("txn", "crash/" + part), s.streamPosition("last_txn", "crash/" + part));
      }
      assertEquals(all.size(), end, "the stored positions are the ends of the partitions");
    }
  }

  @Test
  void aBrokerRestartMidStreamLosesAndDoublesNothing() throws Exception {
    KAFKA.broker().createTopic("restart", 2);
    KAFKA.broker().createTopic("restart.dlq", 1);
    Path stores = dir.resolve("restart-stores");
    Path stop = dir.resolve("restart-stop");
    String[] a = args("restart-g", "restart", "dir:" + stores.resolve("online"), stores.resolve("offline"), stop,
        dir.resolve("restart-hold"), 5); // never created
    List<TxnStream.Txn> all = new ArrayList<>(TxnStream.generate(2000, 7, 0));
    try (KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
      TxnStream.produce(p, "restart", all);
    }
    try (Child c = Child.start(dir.resolve("restart.log"), a)) {
      c.await(0, l -> l.startsWith("READY"), 60_000, "READY");
      c.await(0, l -> l.equals("END"), 60_000, "a stored batch");
      KAFKA.broker().restart();
      List<TxnStream.Txn> more = TxnStream.generate(1000, 8, all.size());
      try (KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
        TxnStream.produce(p, "restart", more);
      }
      all.addAll(more);
      c.awaitCaughtUp(120_000, all.size()); // no Kafka transactions: the end offsets sum to the records sent
      Files.createFile(stop);
      c.await(0, l -> l.equals("CLOSED"), 60_000, "CLOSED");
    }
    try (FeatureStore s = openEmbedded(stores)) {
      TxnStream.assertSameState(TxnStream.reference(all), s, "after a broker restart");
    }
  }

  @Test
  void aRunnerPausedPastItsSessionIsFencedAndNothingIsAppliedTwice() throws Exception {
    Assumptions.assumeTrue(RedisServer.available(), "redis-server is not installed: the fencing test needs a shared "
        + "online store");
    KAFKA.broker().createTopic("fence", 2);
    KAFKA.broker().createTopic("fence.dlq", 1);
    List<TxnStream.Txn> all = new ArrayList<>(TxnStream.generate(3000, 9, 0));
    try (RedisServer redis = RedisServer.startNew();
        KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
      TxnStream.produce(p, "fence", all);
      Path stopA = dir.resolve("fence-stop-a");
      Path stopB = dir.resolve("fence-stop-b");
      Path holdA = dir.resolve("fence-hold-a");
      String online = "redis:" + redis.uri();
      // A's second commit waits while holdA exists: A is stopped inside it, after its read of the position
      Files.writeString(holdA, "2");
      try (Child runnerA = Child.start(dir.resolve("fence-a.log"), args("fence-g", "fence", online,
          dir.resolve("fence-offline-a"), stopA, holdA, 5))) {
        runnerA.await(0, l -> l.startsWith("READY"), 60_000, "A READY");
        runnerA.await(0, l -> l.equals("END"), 60_000, "A stored a batch");
        int held = runnerA.await(0, l -> l.equals("HELD"), 60_000, "A held inside a commit");
        runnerA.signal("STOP"); // paused inside a commit, past its session timeout (6 s)
        try (Child runnerB = Child.start(dir.resolve("fence-b.log"), args("fence-g", "fence", online,
            dir.resolve("fence-offline-b"), stopB, dir.resolve("fence-hold-b"), 5))) { // B's is never created
          runnerB.await(0, l -> l.startsWith("READY"), 60_000, "B READY");
          runnerB.awaitCaughtUp(120_000); // B got both partitions once A's session expired, and applied the rest
          Files.delete(holdA); // released: A's commit goes on once it runs again
          runnerA.signal("CONT");
          runnerA.await(held, l -> l.startsWith("FENCED") || l.equals("END-FENCED"), 60_000, "A fenced");
          Files.createFile(stopB);
          runnerB.await(0, l -> l.equals("CLOSED"), 60_000, "B CLOSED");
        }
        Files.createFile(stopA);
        runnerA.await(0, l -> l.equals("CLOSED"), 60_000, "A CLOSED");
        assertTrue(runnerA.lines.contains("END-FENCED"), "A's commit was refused: " + runnerA.tail());
      }
      FeatureStore s = FeatureStore.builder(TxnStream.registry()).clock(() -> TxnStream.NOW)
          .onlineStore(RedisOnlineStore.builder(redis.uri()).build()).offlineStore(EmbeddedOfflineStore.inMemory())
          .build();
      try (s) {
        FeatureStore ref = TxnStream.reference(all);
        var svc = ref.registry().featureService("fraud");
        assertEquals(ref.getOnlineFeatures(TxnStream.cards(), svc).vectors(),
            s.getOnlineFeatures(TxnStream.cards(), s.registry().featureService("fraud")).vectors(),
            "the shared online state counts every event once");
      }
    }
  }
}
