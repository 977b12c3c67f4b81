package org.sieveml.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;

/**
 * The runner in this JVM against a real broker: a known stream (late events, many events per card,
 * poison records) ends up exactly as the reference, online and in point-in-time joins; poison records
 * reach the dead-letter topic with the error in their headers; telemetry reports; a restart resumes
 * from the stored positions without counting anything twice.
 */
class KafkaIngestionTest {

  @TempDir
  static Path dir;
  @org.junit.jupiter.api.extension.RegisterExtension
  static final KafkaBroker.PerClass KAFKA = new KafkaBroker.PerClass();

  static FeatureStore open(Path stores, InMemoryTelemetry t) {
    return FeatureStore.builder(TxnStream.registry()).clock(() -> TxnStream.NOW)
        .onlineStore(EmbeddedOnlineStore.open(stores.resolve("online")))
        .offlineStore(EmbeddedOfflineStore.open(stores.resolve("offline"))).telemetry(t).build();
  }

  static void awaitRecords(InMemoryTelemetry t, long n) throws InterruptedException {
    long until = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < until) {
      if (t.snapshot().counters().getOrDefault("sieveml.kafka.records", 0L) >= n) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("only " + t.snapshot().counters() + " after 60 s, expected " + n + " records");
  }

  @Test
  void aKnownStreamEqualsItsReferenceAndPoisonGoesToTheDeadLetterTopic() throws Exception {
    KAFKA.broker().createTopic("txns", 3);
    KAFKA.broker().createTopic("txns.dlq", 1);
    List<TxnStream.Txn> first = TxnStream.generate(3000, 1, 0);
    try (KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
      TxnStream.produce(p, "txns", first);
    }
    Path stores = dir.resolve("stores");
    InMemoryTelemetry t = new InMemoryTelemetry();
    FeatureStore store = open(stores, t);
    FeatureRegistry r = store.registry();
    KafkaIngestion ingestion = TxnStream.bind(KafkaIngestion.builder(store, KAFKA.broker().bootstrapServers(), "g1"), r, "txns")
        .deadLetterTopic("txns.dlq").telemetry(t).consumerProperty("max.poll.records", 400).build();
    ingestion.start();
    awaitRecords(t, 3000);
    List<PartitionStatus> status = ingestion.status();
    ingestion.close();
    TxnStream.assertSameState(TxnStream.reference(first), store, "after the first 3000 records");
    long poison = first.stream().filter(TxnStream.Txn::poison).count();
    assertTrue(poison > 30, "the stream has poison records: " + poison);
    var counters = t.snapshot().counters();
    assertEquals(2 * poison, counters.get("sieveml.kafka.dead_letters"), "each poison record, once per view");
    assertEquals(2 * (3000 - poison), counters.get("sieveml.kafka.events"));
    assertEquals(0L, counters.getOrDefault("sieveml.kafka.fenced", 0L));
    assertEquals(3, status.size());
    for (PartitionStatus s : status) {
      assertTrue(s.lastEventTime() > TxnStream.NOW - 9 * TxnStream.DAY, s.toString());
      assertTrue(s.records() > 0, s.toString());
      assertTrue(t.gaugeValue("sieveml.kafka.last_event_time.txns." + s.partition()) > 0);
    }
    assertTrue(t.snapshot().latencies().get("sieveml.kafka.freshness").count() >= 3000);
    // the dead letters: the record as it was, the error in the headers
    List<ConsumerRecord<byte[], byte[]>> letters = readAll("txns.dlq", (int) (2 * poison));
    Set<String> fields = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> l : letters) {
      String view = header(l, "view");
      assertTrue(view.equals("txn") || view.equals("last_txn"), view);
      assertNotNull(header(l, "expected"));
      assertNotNull(header(l, "error"));
      assertEquals("txns", header(l, "topic"));
      fields.add(header(l, "field"));
      String json = new String(l.value(), StandardCharsets.UTF_8);
      assertTrue(first.stream().anyMatch(x -> x.poison() && x.json().equals(json)), json);
    }
    assertTrue(fields.contains("amount"), "a wrong type names its field: " + fields);
    assertTrue(fields.contains("eventTime"),
        "an event beyond the clock-skew tolerance names the time: " + fields);
    assertTrue(fields.contains("record"), "an undecodable record: " + fields);
    store.close();

    // a restart: positions and state come back; nothing already applied is applied again
    InMemoryTelemetry t2 = new InMemoryTelemetry();
    FeatureStore again = open(stores, t2);
    for (int part = 0; part < 3; part++) {
      assertTrue(again.streamPosition("txn", "txns/" + part) > 0);
    }
    List<TxnStream.Txn> second = TxnStream.generate(1500, 2, 3000);
    try (KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
      TxnStream.produce(p, "txns", second);
    }
    KafkaIngestion resumed = TxnStream.bind(KafkaIngestion.builder(again, KAFKA.broker().bootstrapServers(), "g1"), r, "txns")
        .deadLetterTopic("txns.dlq").telemetry(t2).build();
    resumed.start();
    awaitRecords(t2, 1500);
    resumed.close();
    assertEquals(1500L, t2.snapshot().counters().get("sieveml.kafka.records"), "only the new records were read");
    List<TxnStream.Txn> all = new ArrayList<>(first);
    all.addAll(second);
    TxnStream.assertSameState(TxnStream.reference(all), again, "after a restart and 1500 more");
    again.close();
  }

  @Test
  void decodersNameTheFieldTheValueAndWhatWasExpected() {
    FeatureRegistry r = TxnStream.registry();
    JsonDecoder json = JsonDecoder.forView(r.view("last_txn")).eventTimeField("ts").build();
    PoisonRecordException e = assertThrows(PoisonRecordException.class, () -> json.decode(record(
        "{\"card_id\": 1, \"ts\": 5, \"amount\": true}")));
    assertEquals("amount", e.field());
    assertEquals("true", e.value());
    assertTrue(e.expected().contains("DOUBLE"), e.expected());
    assertEquals("card_id", assertThrows(PoisonRecordException.class, () -> json.decode(record(
        "{\"ts\": 5, \"amount\": 1}"))).field());
    assertEquals("ts", assertThrows(PoisonRecordException.class, () -> json.decode(record(
        "{\"card_id\": 1, \"ts\": \"yesterday\"}"))).field());
    assertEquals("record", assertThrows(PoisonRecordException.class, () -> json.decode(record("[1, 2]"))).field());
    assertEquals("record", assertThrows(PoisonRecordException.class, () -> json.decode(record(
        "{\"card_id\": 1, \"ts\": 5} {}"))).field());
    StringBuilder deep = new StringBuilder("{\"card_id\": 1, \"ts\": 5, \"x\": ");
    deep.append("[".repeat(5000)).append("]".repeat(5000)).append('}');
    assertEquals("record", assertThrows(PoisonRecordException.class, () -> json.decode(record(deep.toString())))
        .field(), "nesting is bounded");
    DecodedEvent ok = json.decode(record("{\"card_id\": \"007\", \"ts\": \"2024-05-01T12:00:00Z\", \"amount\": null,"
        + " \"merchant\": \"x\"}"));
    assertEquals("007", ok.key().value(0), "a string key stays a string");
    assertEquals(1_714_564_800_000L, ok.eventTime());
    assertTrue(!ok.values().isPresent("amount"), "null is a missing value");

    CsvDecoder csv = CsvDecoder.forView(r.view("last_txn")).columns("card_id", "ts", "amount", "merchant", "-")
        .eventTimeColumn("ts").build();
    DecodedEvent c = csv.decode(record("42,1700000000000,12.5,\"a, \"\"quoted\"\" name\",whatever"));
    assertEquals(42L, c.key().value(0));
    assertEquals("a, \"quoted\" name", c.values().getString("merchant"));
    PoisonRecordException ce = assertThrows(PoisonRecordException.class, () -> csv.decode(record("42,5,abc,m,x")));
    assertEquals("amount", ce.field());
    assertEquals("abc", ce.value());
    assertEquals("record", assertThrows(PoisonRecordException.class, () -> csv.decode(record("42,5,1.0"))).field());
    // core's CSV reader and value rules (issue 19: one parser): a line break inside quotes is data, one outside
    // makes two records (poison), an unclosed quote and a non-finite number are poison naming their field
    assertEquals("a\nb", csv.decode(record("42,5,1.0,\"a\nb\",x")).values().getString("merchant"));
    assertEquals("record", assertThrows(PoisonRecordException.class,
        () -> csv.decode(record("42,5,1.0,m,x\n43,5,1.0,m,x"))).field());
    assertEquals("record", assertThrows(PoisonRecordException.class, () -> csv.decode(record("42,5,1.0,\"m,x")))
        .field());
    assertEquals("amount", assertThrows(PoisonRecordException.class, () -> csv.decode(record("42,5,NaN,m,x")))
        .field());
    assertThrows(IllegalArgumentException.class, () -> CsvDecoder.forView(r.view("last_txn"))
        .columns("ts", "amount").eventTimeColumn("ts").build(), "a missing join key is refused at build");
  }

  @Test
  void aKeyOfAnotherTypeThanTheStoredKeysIsDeadLetteredAndTheStreamGoesOn() throws Exception {
    KAFKA.broker().createTopic("mixed", 1);
    KAFKA.broker().createTopic("mixed.dlq", 1);
    List<TxnStream.Txn> before = TxnStream.generate(300, 21, 0);
    List<TxnStream.Txn> after = TxnStream.generate(300, 22, 301);
    try (KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
      TxnStream.produce(p, "mixed", before);
      // the store's keys are numbers: a string key passes the decoder and the per-event check, but the
      // offline log refuses it
      p.send(new org.apache.kafka.clients.producer.ProducerRecord<>("mixed", null, ("{\"card_id\": \"7\", \"ts\": "
          + (TxnStream.NOW - 1000) + ", \"amount\": 1.0, \"merchant\": \"x\"}").getBytes(StandardCharsets.UTF_8)))
          .get();
      TxnStream.produce(p, "mixed", after);
    }
    InMemoryTelemetry t = new InMemoryTelemetry();
    FeatureStore store = open(dir.resolve("mixed-stores"), t);
    KafkaIngestion ingestion = TxnStream.bind(KafkaIngestion.builder(store, KAFKA.broker().bootstrapServers(), "mixed-g"),
        store.registry(), "mixed").deadLetterTopic("mixed.dlq").telemetry(t).build();
    ingestion.start();
    awaitRecords(t, 601);
    ingestion.close();
    List<TxnStream.Txn> valid = new ArrayList<>(before);
    valid.addAll(after);
    TxnStream.assertSameState(TxnStream.reference(valid), store, "after a record with a key of another type");
    long poison = valid.stream().filter(TxnStream.Txn::poison).count();
    assertEquals(2 * poison + 2, t.snapshot().counters().get("sieveml.kafka.dead_letters"),
        "the string-keyed record, once per view");
    List<ConsumerRecord<byte[], byte[]>> letters = readAll("mixed.dlq", (int) (2 * poison + 2));
    assertTrue(letters.stream().anyMatch(l -> new String(l.value(), StandardCharsets.UTF_8).contains("\"7\"")));
    store.close();
  }

  @Test
  void aRedisOutageHoldsTheStreamAndNothingIsLostOrDoubled() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(org.sieveml.features.RedisServer.available(),
        "redis-server is not installed");
    KAFKA.broker().createTopic("outage", 2);
    KAFKA.broker().createTopic("outage.dlq", 1);
    List<TxnStream.Txn> all = new ArrayList<>(TxnStream.generate(2000, 31, 0));
    try (org.sieveml.features.RedisServer redis = org.sieveml.features.RedisServer.startNew();
        KafkaProducer<byte[], byte[]> p = TxnStream.producer(KAFKA.broker().bootstrapServers())) {
      TxnStream.produce(p, "outage", all);
      InMemoryTelemetry t = new InMemoryTelemetry();
      FeatureStore store = FeatureStore.builder(TxnStream.registry()).clock(() -> TxnStream.NOW)
          .onlineStore(org.sieveml.features.redis.RedisOnlineStore.builder(redis.uri()).build())
          .offlineStore(EmbeddedOfflineStore.open(dir.resolve("outage-offline"))).telemetry(t).build();
      KafkaIngestion ingestion = TxnStream.bind(KafkaIngestion.builder(store, KAFKA.broker().bootstrapServers(), "outage-g"),
          store.registry(), "outage").deadLetterTopic("outage.dlq").telemetry(t)
          .consumerProperty("max.poll.records", 100).retryBackoff(Duration.ofMillis(300)).build();
      ingestion.start();
      awaitRecords(t, 300);
      String pid = new String(new ProcessBuilder("pgrep", "-f", "redis-server 127.0.0.1:" + redis.uri()
          .substring(redis.uri().lastIndexOf(':') + 1)).start().getInputStream().readAllBytes()).trim();
      assertTrue(!pid.isEmpty(), "redis-server's pid");
      new ProcessBuilder("kill", "-STOP", pid).start().waitFor(); // unreachable: every command times out
      try {
        List<TxnStream.Txn> more = TxnStream.generate(1000, 32, all.size());
        TxnStream.produce(p, "outage", more);
        all.addAll(more);
        // stopped until the runner has counted a failure, however long a loaded machine takes to get there
        long failing = System.currentTimeMillis() + 60_000;
        while (t.snapshot().counters().getOrDefault("sieveml.kafka.failures", 0L) == 0) {
          assertTrue(System.currentTimeMillis() < failing, "no failure counted in 60 s with Redis stopped; "
              + t.snapshot().counters());
          Thread.sleep(50);
        }
      } finally {
        new ProcessBuilder("kill", "-CONT", pid).start().waitFor();
      }
      // a commit that timed out may have run once Redis went on: the stored positions, not this runner's
      // count of acknowledged batches, say when everything is in
      long until = System.currentTimeMillis() + 60_000;
      while (store.streamPosition("txn", "outage/0") + store.streamPosition("txn", "outage/1") < 3000) {
        assertTrue(System.currentTimeMillis() < until, "positions " + store.streamPosition("txn", "outage/0") + " + "
            + store.streamPosition("txn", "outage/1") + " after 60 s; " + t.snapshot().counters());
        Thread.sleep(20);
      }
      ingestion.close();
      assertTrue(t.snapshot().counters().getOrDefault("sieveml.kafka.failures", 0L) > 0, "the outage was seen");
      FeatureStore ref = TxnStream.reference(all);
      var svc = ref.registry().featureService("fraud");
      assertEquals(ref.getOnlineFeatures(TxnStream.cards(), svc).vectors(),
          store.getOnlineFeatures(TxnStream.cards(), store.registry().featureService("fraud")).vectors());
      TxnStream.assertSameState(ref, store, "after a Redis outage");
      store.close();
    }
  }

  @Test
  void aRunnerStartsOnceAndClosesIdempotently() {
    FeatureStore store = FeatureStore.builder(TxnStream.registry()).build();
    KafkaIngestion ing = TxnStream.bind(KafkaIngestion.builder(store, "127.0.0.1:1", "g"), store.registry(), "t")
        .build();
    ing.start();
    IllegalStateException twice = assertThrows(IllegalStateException.class, ing::start);
    assertTrue(twice.getMessage().contains("started"), twice.getMessage());
    assertThrows(IllegalStateException.class, ing::run);
    ing.close();
    ing.close();
    assertThrows(IllegalStateException.class, ing::start);
    assertThrows(IllegalArgumentException.class, () -> KafkaIngestion.builder(store, "127.0.0.1:1", "g")
        .bind("t", "no_such_view", JsonDecoder.forView(store.registry().view("txn")).build()));
    store.close();
  }

  private static ConsumerRecord<byte[], byte[]> record(String value) {
    return new ConsumerRecord<>("t", 0, 0, null, value.getBytes(StandardCharsets.UTF_8));
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(KafkaIngestion.HEADER_PREFIX + name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.broker().bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long until = System.currentTimeMillis() + 30_000;
      while (out.size() < atLeast && System.currentTimeMillis() < until) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // and anything beyond: a short extra poll
      c.poll(Duration.ofMillis(300)).forEach(out::add);
    }
    return out;
  }
}
