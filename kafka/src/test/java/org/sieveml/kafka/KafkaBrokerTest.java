package org.sieveml.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test broker is a real broker: what is produced is consumed, per partition, and survives a restart. */
class KafkaBrokerTest {
  private static final String TOPIC = "events";
  private static final int PARTITIONS = 3;
  private static final String GROUP = "kafka-broker-test";

  @TempDir
  static Path dir;

  private static KafkaBroker broker;

  @BeforeAll
  static void startBroker() throws Exception {
    long started = System.nanoTime();
    broker = KafkaBroker.start(dir.resolve("broker"));
    System.out.println("KafkaBroker: first start " + (System.nanoTime() - started) / 1_000_000
        + " ms (format, then launch to ready " + broker.lastStartupTime().toMillis() + " ms) on "
        + broker.bootstrapServers());
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void recordsAreConsumedPerPartitionAndSurviveARestart() throws Exception {
    broker.createTopic(TOPIC, PARTITIONS);

    // 1,000 records, keyed: the default partitioner places each by its key's hash.
    Map<Integer, List<String>> sent = produce(0, 1000);
    assertEquals(PARTITIONS, sent.size(), "1,000 hashed keys reach every partition");
    for (var e : sent.entrySet()) {
      for (String key : e.getValue()) {
        assertEquals(expectedPartition(key), e.getKey(), key + " is in the partition of its key's hash");
      }
    }

    Map<TopicPartition, Long> endBefore;
    try (KafkaConsumer<String, String> consumer = consumer(GROUP)) {
      consumer.subscribe(List.of(TOPIC));
      Map<Integer, List<ConsumerRecord<String, String>>> got = pollUntil(consumer, 1000);
      assertSameRecords(sent, got);
      consumer.commitSync();
      endBefore = consumer.endOffsets(partitions());
    }
    assertEquals(1000L, endBefore.values().stream().mapToLong(Long::longValue).sum(),
        "the idempotent producer wrote each record once");

    long restarted = System.nanoTime();
    broker.restart();
    System.out.println("KafkaBroker: restart " + (System.nanoTime() - restarted) / 1_000_000
        + " ms (graceful stop, then launch to ready " + broker.lastStartupTime().toMillis() + " ms)");

    // The records, the log end offsets and the group's committed offsets are all still there.
    try (KafkaConsumer<String, String> fresh = consumer(GROUP + "-after-restart")) {
      fresh.subscribe(List.of(TOPIC));
      assertSameRecords(sent, pollUntil(fresh, 1000));
      assertEquals(endBefore, fresh.endOffsets(partitions()));
    }

    // A new producer and the first group: the group resumes at its committed offsets and sees only the new
    // records.
    Map<Integer, List<String>> sentAfter = produce(1000, 100);
    try (KafkaConsumer<String, String> resumed = consumer(GROUP)) {
      Map<TopicPartition, OffsetAndMetadata> committed = resumed.committed(partitions());
      for (TopicPartition tp : partitions()) {
        assertNotNull(committed.get(tp), "committed offset of " + tp + " survived the restart");
        assertEquals(endBefore.get(tp).longValue(), committed.get(tp).offset(), tp.toString());
      }
      resumed.subscribe(List.of(TOPIC));
      assertSameRecords(sentAfter, pollUntil(resumed, 100));
    }
  }

  /** Sends keys k-from .. k-(from+count-1) (value v-i each) and returns the keys by partition, in offset order. */
  private static Map<Integer, List<String>> produce(int from, int count) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      for (int i = from; i < from + count; i++) {
        acks.add(producer.send(new ProducerRecord<>(TOPIC, "k-" + i, "v-" + i)));
      }
      producer.flush();
      Map<Integer, List<String>> byPartition = new HashMap<>();
      Map<Integer, Long> lastOffset = new HashMap<>();
      for (int i = 0; i < count; i++) {
        RecordMetadata m = acks.get(i).get();
        Long previous = lastOffset.put(m.partition(), m.offset());
        assertTrue(previous == null || m.offset() > previous, "acked offsets grow in send order per partition");
        byPartition.computeIfAbsent(m.partition(), p -> new ArrayList<>()).add("k-" + (from + i));
      }
      return byPartition;
    }
  }

  private static KafkaConsumer<String, String> consumer(String group) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
  }

  /** Polls until {@code n} records came (60 s at most), then once more to catch any extra. */
  private static Map<Integer, List<ConsumerRecord<String, String>>> pollUntil(KafkaConsumer<String, String> consumer,
      int n) {
    Map<Integer, List<ConsumerRecord<String, String>>> byPartition = new HashMap<>();
    int received = 0;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (received < n && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
        byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
        received++;
      }
    }
    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
      byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
      received++;
    }
    assertEquals(n, received, "records consumed");
    return byPartition;
  }

  /** Every partition holds exactly the keys sent to it, in order, each with its value. */
  private static void assertSameRecords(Map<Integer, List<String>> sent,
      Map<Integer, List<ConsumerRecord<String, String>>> got) {
    assertEquals(sent.keySet(), got.keySet(), "partitions with records");
    Set<String> seen = new HashSet<>();
    for (var e : sent.entrySet()) {
      List<ConsumerRecord<String, String>> records = got.get(e.getKey());
      assertEquals(e.getValue(), records.stream().map(ConsumerRecord::key).collect(Collectors.toList()),
          "keys of partition " + e.getKey() + " in offset order");
      for (ConsumerRecord<String, String> r : records) {
        assertEquals("v-" + r.key().substring(2), r.value(), "value of " + r.key());
        assertTrue(seen.add(r.key()), "one copy of " + r.key());
      }
    }
  }

  private static int expectedPartition(String key) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
  }

  private static Set<TopicPartition> partitions() {
    return IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(TOPIC, p)).collect(Collectors.toSet());
  }
}
