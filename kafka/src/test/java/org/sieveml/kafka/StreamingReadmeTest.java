package org.sieveml.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.sieveml.features.ReadmeSnippets;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStatus;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OnlineFeatures;

/**
 * The README's "Streaming from Kafka" code, run as written (between the markers) against a real broker,
 * and a check that the README shows exactly this code.
 */
class StreamingReadmeTest {

  @Test
  void theReadmeSectionRuns(@TempDir Path dir) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("broker"))) {
      broker.createTopic("card_txns", 2);
      broker.createTopic("card_txns.dlq", 1);
      String bootstrapServers = broker.bootstrapServers();
      FeatureRegistry registry = TxnStream.registry();
      InMemoryTelemetry telemetry = new InMemoryTelemetry();
      long now = System.currentTimeMillis();
      try (KafkaProducer<byte[], byte[]> p = TxnStream.producer(bootstrapServers)) {
        for (int i = 0; i < 5; i++) {
          String json = "{\"card_id\": 4711, \"ts\": " + (now - i * 60_000) + ", \"amount\": 12.5, \"merchant\": \"m1\"}";
          p.send(new ProducerRecord<>("card_txns", "4711".getBytes(StandardCharsets.UTF_8),
              json.getBytes(StandardCharsets.UTF_8))).get();
        }
        p.send(new ProducerRecord<>("card_txns", "4711".getBytes(StandardCharsets.UTF_8),
            "{\"card_id\": 4711, \"amount\": 1}".getBytes(StandardCharsets.UTF_8))).get(); // no time: a dead letter
      }

      // kafka:begin
      FeatureStore store = FeatureStore.builder(registry)
          .onlineStore(EmbeddedOnlineStore.open(dir.resolve("online")))
          .offlineStore(EmbeddedOfflineStore.open(dir.resolve("offline")))
          .build();

      // each record {"card_id": 4711, "ts": "2024-05-01T12:00:00Z", "amount": 12.5, "merchant": "m1"}
      // becomes one event of every view its topic is bound to
      KafkaIngestion ingestion = KafkaIngestion.builder(store, bootstrapServers, "card-features")
          .bind("card_txns", "txn", JsonDecoder.forView(registry.view("txn")).eventTimeField("ts").build())
          .bind("card_txns", "last_txn", JsonDecoder.forView(registry.view("last_txn")).eventTimeField("ts").build())
          .deadLetterTopic("card_txns.dlq")
          .telemetry(telemetry)
          .build();
      ingestion.start(); // on its own thread, from the positions stored with the state
      // kafka:end

      long until = System.currentTimeMillis() + 60_000;
      while (telemetry.snapshot().counters().getOrDefault("sieveml.kafka.records", 0L) < 6
          && System.currentTimeMillis() < until) {
        Thread.sleep(10);
      }

      // kafka-serve:begin
      OnlineFeatures f = store.getOnlineFeatures(List.of(EntityKey.of("card_id", 4711L)),
          registry.featureService("fraud"));

      ingestion.close(); // first: applies what it polled and leaves the group
      store.close();
      // kafka-serve:end

      assertEquals(5L, f.vector(0).getLong("count_1h"));
      assertEquals(62.5, f.vector(0).getDouble("amount_sum_1d"));
      assertEquals(FeatureStatus.PRESENT, f.status(0, "merchant"));
      assertEquals(2L, telemetry.snapshot().counters().get("sieveml.kafka.dead_letters"), "one per bound view");
      assertTrue(ingestion.status().isEmpty(), "no partition assigned after close");
    }
  }

  @Test
  void readmeShowsExactlyTheTestedCode() throws IOException {
    ReadmeSnippets.assertReadmeShows("kafka/src/test/java/org/sieveml/kafka/StreamingReadmeTest.java", "kafka");
    ReadmeSnippets.assertReadmeShows("kafka/src/test/java/org/sieveml/kafka/StreamingReadmeTest.java", "kafka-serve");
  }
}
