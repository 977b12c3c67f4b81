package org.sieveml.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.features.Visibility;

/**
 * The card-transaction stream of the Kafka tests: one topic of JSON transactions feeding an aggregation
 * view with three windows ({@code txn}: count 1 h, sum of amounts 1 d, max 7 d) and a feature view of
 * the last transaction ({@code last_txn}); a seeded generator with late events, many events per card
 * and poison records; and the reference — the same valid events pushed once into an in-memory store —
 * that the ingested state must equal, online at the fixed clock and in point-in-time joins.
 */
final class TxnStream {

  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;
  static final long DAY = 24 * HOUR;
  /** The stores' fixed clock. */
  static final long NOW = 1_700_000_000_000L;
  static final Entity CARD = Entity.builder("card").joinKey("card_id").build();
  static final int CARDS = 40;

  private TxnStream() {}

  static AggregationView txn() {
    return AggregationView.builder("txn").entity(CARD)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofDays(1))
        .aggregate("amount", Aggregation.MAX, Duration.ofDays(7))
        .build();
  }

  static FeatureView lastTxn() {
    return FeatureView.builder("last_txn").entity(CARD)
        .feature(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("merchant", FeatureType.STRING))
        .ttl(Duration.ofDays(30)).build();
  }

  static FeatureRegistry registry() {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(CARD);
    r.apply(txn());
    r.apply(lastTxn());
    r.apply(FeatureService.builder("fraud").features("txn").features("last_txn").build());
    return r;
  }

  /** One produced record: its JSON and, for a valid one, the event. */
  record Txn(int index, long card, long eventTime, double amount, String merchant, String json, boolean poison) {}

  /**
   * A seeded stream: events of {@value #CARDS} cards over the last 8 days (most within hours, some
   * late: older than records before them), about 3 % poison records of several kinds.
   */
  static List<Txn> generate(int n, long seed, int firstIndex) {
    Random rnd = new Random(seed);
    List<Txn> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int index = firstIndex + i;
      long card = rnd.nextInt(CARDS);
      long age = rnd.nextInt(10) == 0 ? (long) (rnd.nextDouble() * 8 * DAY) : (long) (rnd.nextDouble() * 3 * HOUR);
      long event = NOW - age - index % 1000; // distinct times per card are not needed; ties are resolved alike
      double amount = rnd.nextInt(400_000) / 8.0; // binary fractions: sums are exact in any order
      String merchant = "m" + rnd.nextInt(7) + "-\u00e9\"\\";
      int kind = rnd.nextInt(100);
      if (kind < 3) {
        String json = switch (kind) {
          case 0 -> "{\"card_id\": " + card + ", \"ts\": " + event + ", \"amount\": \"twelve\"}";
          case 1 -> "{\"card_id\": " + card + ", \"ts\": " + (NOW + 2 * HOUR) + ", \"amount\": 1.0}"; // beyond skew
          default -> "{\"card_id\": " + card + ", \"ts\": " + event + ", \"amount\": 1.0"; // truncated
        };
        out.add(new Txn(index, card, event, amount, merchant, json, true));
        continue;
      }
      String json = String.format(Locale.ROOT, "{\"card_id\": %d, \"ts\": %d, \"amount\": %s, \"merchant\": \"%s\","
          + " \"ignored\": {\"nested\": [1, 2]}}", card, event, Double.toString(amount),
          merchant.replace("\\", "\\\\").replace("\"", "\\\""));
      out.add(new Txn(index, card, event, amount, merchant, json, false));
    }
    return out;
  }

  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Produces records keyed by card (so one card's records stay in order in one partition). */
  static void produce(KafkaProducer<byte[], byte[]> producer, String topic, List<Txn> txns) throws Exception {
    List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
    for (Txn t : txns) {
      sent.add(producer.send(new ProducerRecord<>(topic, Long.toString(t.card()).getBytes(StandardCharsets.UTF_8),
          t.json().getBytes(StandardCharsets.UTF_8))));
    }
    producer.flush();
    for (java.util.concurrent.Future<?> f : sent) {
      f.get();
    }
  }

  static KafkaIngestion.Builder bind(KafkaIngestion.Builder b, FeatureRegistry r, String topic) {
    return b.bind(topic, "txn", JsonDecoder.forView(r.view("txn")).eventTimeField("ts").build())
        .bind(topic, "last_txn", JsonDecoder.forView(r.view("last_txn")).eventTimeField("ts").build());
  }

  /** The reference: every valid event pushed once, in order, into in-memory stores at the fixed clock. */
  static FeatureStore reference(List<Txn> txns) {
    FeatureRegistry r = registry();
    FeatureStore s = FeatureStore.builder(r).clock(() -> NOW).onlineStore(new EmbeddedOnlineStore())
        .offlineStore(EmbeddedOfflineStore.inMemory()).build();
    EventBatch.Builder a = EventBatch.builder(txn().inputSchema());
    EventBatch.Builder l = EventBatch.builder(lastTxn().schema());
    for (Txn t : txns) {
      if (!t.poison()) {
        a.add(EntityKey.of("card_id", t.card()), t.eventTime(), t.eventTime(), t.amount());
        l.add(EntityKey.of("card_id", t.card()), t.eventTime(), t.eventTime(), t.amount(), t.merchant());
      }
    }
    s.push("txn", a.build());
    s.push("last_txn", l.build());
    return s;
  }

  static List<EntityKey> cards() {
    List<EntityKey> keys = new ArrayList<>();
    for (long c = 0; c <= CARDS; c++) { // one card more than produced: NOT_FOUND on both sides
      keys.add(EntityKey.of("card_id", c));
    }
    return keys;
  }

  /** Entity rows at several past times, for the point-in-time joins. */
  static EntityRows entityRows() {
    List<EntityKey> keys = new ArrayList<>();
    List<Long> ts = new ArrayList<>();
    long[] ages = {0, 20 * MIN, 2 * HOUR, DAY + 3 * HOUR, 5 * DAY};
    for (EntityKey k : cards()) {
      for (long a : ages) {
        keys.add(k);
        ts.add(NOW - a);
      }
    }
    return EntityRows.of(keys, ts.stream().mapToLong(Long::longValue).toArray(), null);
  }

  /**
   * Asserts that a store holds exactly the reference's state: online windows and last rows at the
   * clock (values and statuses), and point-in-time joins at several times.
   */
  static void assertSameState(FeatureStore reference, FeatureStore got, String what) {
    FeatureService svc = reference.registry().featureService("fraud");
    OnlineFeatures want = reference.getOnlineFeatures(cards(), svc);
    OnlineFeatures have = got.getOnlineFeatures(cards(), got.registry().featureService("fraud"));
    for (int i = 0; i < want.size(); i++) {
      assertEquals(want.vector(i), have.vector(i), what + ": online values of " + cards().get(i));
      for (String f : want.schema().names()) {
        assertEquals(want.status(i, f), have.status(i, f), what + ": status of " + f + " of " + cards().get(i));
      }
    }
    assertTrue(want.vector(0).getLong("count_1h") + want.vector(1).getLong("count_1h") > 0, "the reference counts");
    EntityRows rows = entityRows();
    org.sieveml.core.FeatureFrame a = reference.getHistoricalFeatures(rows, svc, Visibility.EVENT_TIME_MAY_LEAK)
        .frame();
    org.sieveml.core.FeatureFrame b = got.getHistoricalFeatures(rows, got.registry().featureService("fraud"),
        Visibility.EVENT_TIME_MAY_LEAK).frame();
    assertEquals(a.rowCount(), b.rowCount());
    assertEquals(a.schema(), b.schema());
    for (int i = 0; i < a.rowCount(); i++) {
      assertEquals(a.row(i), b.row(i), what + ": point-in-time join row " + i);
    }
  }
}
