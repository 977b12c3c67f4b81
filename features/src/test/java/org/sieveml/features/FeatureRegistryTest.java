package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

class FeatureRegistryTest {

  static final Entity CARD = Entity.builder("card").joinKey("card_id").build();

  static FeatureView stats(Duration ttl) {
    return FeatureView.builder("card_stats").entity(CARD)
        .feature(FeatureSpec.of("avg_amount", FeatureType.DOUBLE), 0.0)
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .ttl(ttl).build();
  }

  static AggregationView txn() {
    return AggregationView.builder("card_txn").entity(CARD)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofDays(1))
        .aggregate("amount", Aggregation.MEAN, Duration.ofDays(7))
        .build();
  }

  static FeatureRegistry registry() {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(CARD);
    r.apply(stats(Duration.ofDays(2)));
    r.apply(txn());
    return r;
  }

  @Test
  void versionsAreContentHashes() {
    FeatureView a = stats(Duration.ofDays(2));
    FeatureView b = stats(Duration.ofDays(2));
    FeatureView c = stats(Duration.ofDays(3));
    assertEquals(a.version(), b.version());
    assertEquals(16, a.version().length());
    assertNotEquals(a.version(), c.version());
    FeatureView d = FeatureView.builder("card_stats").entity(CARD)
        .feature(FeatureSpec.of("avg_amount", FeatureType.DOUBLE), 1.0)
        .feature(FeatureSpec.of("country", FeatureType.STRING)).ttl(Duration.ofDays(2)).build();
    assertNotEquals(a.version(), d.version(), "a changed default is a changed definition");
    assertEquals(0.0, a.defaultValue("avg_amount"));
    assertNull(a.defaultValue("country"));
    assertEquals(Duration.ofDays(2).toMillis(), a.ttlMillis());
    assertEquals(Long.MAX_VALUE, stats(Duration.ZERO).ttlMillis());
  }

  @Test
  void aggregationViewNamesAndTypesItsOutputs() {
    AggregationView v = txn();
    assertEquals(List.of("count_1h", "amount_sum_1d", "amount_mean_7d"), v.schema().names());
    assertEquals(FeatureType.LONG, v.schema().get(0).type());
    assertEquals(FeatureType.DOUBLE, v.schema().get(2).type());
    assertEquals(Duration.ofDays(7).toMillis(), v.maxWindowMillis());
    assertEquals(60_000L, v.bucketMillis());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> AggregationView.builder("x")
        .entity(CARD).count(Duration.ofSeconds(90)).build());
    assertTrue(e.getMessage().contains("multiple of the bucket"), e.getMessage());
    IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> AggregationView.builder("x")
        .entity(CARD).aggregate("amount", Aggregation.SUM, Duration.ofHours(1)));
    assertTrue(f.getMessage().contains("'amount'"), f.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AggregationView.builder("x")
        .input(FeatureSpec.of("s", FeatureType.STRING)));
    assertEquals("10m", AggregationView.builder("y").entity(CARD).count(Duration.ofMinutes(10)).build()
        .schema().get(0).name().substring(6));
  }

  @Test
  void defaultsMustMatchTheFeatureType() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureView.builder("v")
        .entity(CARD).feature(FeatureSpec.of("n", FeatureType.LONG), 1.5));
    assertTrue(e.getMessage().contains("'n'") && e.getMessage().contains("1.5"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FeatureView.builder("v")
        .entity(CARD).feature(FeatureSpec.of("d", FeatureType.DOUBLE), Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> FeatureView.builder("v")
        .entity(CARD).feature(FeatureSpec.embedding("e", 3), new float[2]));
    float[] def = {1, 2, 3};
    FeatureView v = FeatureView.builder("v").entity(CARD).feature(FeatureSpec.embedding("e", 3), def).build();
    def[0] = 9;
    assertArrayEquals(new float[] {1, 2, 3}, (float[]) v.defaultValue("e"), "defaults are copied");
    assertThrows(IllegalArgumentException.class, () -> FeatureView.builder("v").entity(CARD).ttl(Duration.ofDays(-1)));
    // issue 15: an overflowing TTL threw ArithmeticException; it is refused naming the field and the value
    IllegalArgumentException ttl = assertThrows(IllegalArgumentException.class,
        () -> FeatureView.builder("v").entity(CARD).ttl(Duration.ofSeconds(Long.MAX_VALUE)));
    assertTrue(ttl.getMessage().contains("ttl of feature view 'v'") && ttl.getMessage().contains("PT"), ttl.getMessage());
    IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
        () -> AggregationView.builder("w").entity(CARD).count(Duration.ofSeconds(Long.MAX_VALUE)));
    assertTrue(window.getMessage().contains("count window of aggregation view 'w'"), window.getMessage());
    assertThrows(IllegalStateException.class, () -> FeatureView.builder("v").entity(CARD).build());
    assertThrows(IllegalArgumentException.class, () -> FeatureView.builder("bad name"));
  }

  @Test
  void changingADefinitionIsExplicit() {
    FeatureRegistry r = registry();
    long g = r.generation();
    assertEquals(stats(Duration.ofDays(2)).version(), r.apply(stats(Duration.ofDays(2))), "identical apply is a no-op");
    assertEquals(g, r.generation());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.apply(stats(Duration.ofDays(3))));
    assertTrue(e.getMessage().contains("replace"), e.getMessage());
    assertEquals(stats(Duration.ofDays(2)).version(), r.view("card_stats").version(), "refused apply changes nothing");

    FeatureService svc = FeatureService.builder("fraud").features("card_stats").features("card_txn", "count_1h").build();
    r.apply(svc);
    r.checkCurrent(svc);
    r.replace(stats(Duration.ofDays(3)));
    assertEquals(stats(Duration.ofDays(3)).version(), r.view("card_stats").version());
    assertThrows(IllegalStateException.class, () -> r.checkCurrent(stats(Duration.ofDays(2))));
    r.checkCurrent(stats(Duration.ofDays(3)));

    FeatureService svc2 = FeatureService.builder("fraud").features("card_stats", "avg_amount").build();
    r.replace(svc2);
    IllegalStateException stale = assertThrows(IllegalStateException.class, () -> r.checkCurrent(svc));
    assertTrue(stale.getMessage().contains("stale") && stale.getMessage().contains(svc.version()), stale.getMessage());
    assertEquals(List.of("avg_amount"), r.resolve(svc2).outputSchema.names());
  }

  @Test
  void replaceThatWouldBreakADependentIsRefusedAndChangesNothing() {
    FeatureRegistry r = registry();
    r.apply(FeatureService.builder("s").features("card_stats", "country").build());
    FeatureView withoutCountry = FeatureView.builder("card_stats").entity(CARD)
        .feature(FeatureSpec.of("avg_amount", FeatureType.DOUBLE)).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.replace(withoutCountry));
    assertTrue(e.getMessage().contains("'country'"), e.getMessage());
    assertEquals(stats(Duration.ofDays(2)).version(), r.view("card_stats").version());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> r.replace(
        FeatureView.builder("nope").entity(CARD).feature(FeatureSpec.of("x", FeatureType.LONG)).build()));
    assertTrue(unknown.getMessage().contains("not registered"), unknown.getMessage());
  }

  @Test
  void validatesReferences() {
    FeatureRegistry r = new FeatureRegistry();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.apply(stats(Duration.ZERO)));
    assertTrue(e.getMessage().contains("unknown entity 'card'"), e.getMessage());
    r.apply(CARD);
    Entity other = Entity.builder("card").joinKey("pan").build();
    assertThrows(IllegalStateException.class, () -> r.apply(other));
    r.apply(stats(Duration.ZERO));
    r.apply(txn());
    e = assertThrows(IllegalArgumentException.class,
        () -> r.apply(FeatureService.builder("s").features("card_stats", "nope").build()));
    assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("card_stats"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> r.apply(FeatureService.builder("s").features("missing_view").build()));
    assertTrue(e.getMessage().contains("'missing_view'"), e.getMessage());
    FeatureView stats2 = FeatureView.builder("card_stats2").entity(CARD)
        .feature(FeatureSpec.of("avg_amount", FeatureType.DOUBLE)).build();
    r.apply(stats2);
    e = assertThrows(IllegalArgumentException.class,
        () -> r.apply(FeatureService.builder("s").features("card_stats").features("card_stats2").build()));
    assertTrue(e.getMessage().contains("fullFeatureNames"), e.getMessage());
    FeatureService full = FeatureService.builder("s").features("card_stats").features("card_stats2")
        .fullFeatureNames(true).build();
    r.apply(full);
    assertEquals(List.of("card_stats:avg_amount", "card_stats:country", "card_stats2:avg_amount"),
        r.resolve(full).outputSchema.names());
    e = assertThrows(IllegalArgumentException.class, () -> r.apply(OnDemandFeatureView.builder("od")
        .input("card_stats", "nope").output(FeatureSpec.of("o", FeatureType.DOUBLE))
        .transform((in, out) -> { }, "v1").build()));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
  }

  @Test
  void resolvesOnDemandInputsThatAreNotSelected() {
    FeatureRegistry r = registry();
    OnDemandFeatureView ratio = OnDemandFeatureView.builder("ratio")
        .request(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .input("card_stats", "avg_amount")
        .output(FeatureSpec.of("amount_to_avg", FeatureType.DOUBLE))
        .transform((in, out) -> out.setDouble("amount_to_avg", in.getDouble("amount")
            / in.getDouble("card_stats:avg_amount")), "v1")
        .build();
    r.apply(ratio);
    FeatureService svc = FeatureService.builder("s").features("card_txn", "count_1h").features("ratio").build();
    r.apply(svc);
    ResolvedService rs = r.resolve(svc);
    assertEquals(List.of("count_1h", "amount_to_avg"), rs.outputSchema.names());
    assertEquals(List.of("amount"), rs.requestSchema.names());
    assertEquals(2, rs.stored.size());
    ResolvedService.StoredPart statsPart = rs.stored.get(1);
    assertEquals("card_stats", statsPart.view.name());
    assertArrayEquals(new int[] {0}, statsPart.featureIndex);
    assertArrayEquals(new int[] {-1}, statsPart.outputPosition, "an input that is not selected has no column");
    ResolvedService.OnDemandPart od = rs.onDemand.get(0);
    assertEquals(List.of("amount", "card_stats:avg_amount"), od.inputSchema.names());
    assertArrayEquals(new int[] {0, -1}, od.requestIndex);
    assertArrayEquals(new int[] {-1, 1}, od.partIndex);
    assertArrayEquals(new int[] {1}, od.outputPosition);
    assertSame(rs, r.resolve(svc), "resolution is cached per snapshot");
    OnDemandFeatureView v2 = OnDemandFeatureView.builder("ratio")
        .request(FeatureSpec.of("amount", FeatureType.DOUBLE)).input("card_stats", "avg_amount")
        .output(FeatureSpec.of("amount_to_avg", FeatureType.DOUBLE)).transform((in, out) -> { }, "v2").build();
    assertNotEquals(ratio.version(), v2.version(), "the transform version is part of the content hash");
  }

  @Test
  void concurrentReadersSeeWholeSnapshots() throws Exception {
    FeatureRegistry r = registry();
    FeatureService svc = FeatureService.builder("s").features("card_stats").build();
    r.apply(svc);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < 20_000; i++) {
            FeatureView v = r.view("card_stats", FeatureView.class);
            long ttl = v.ttlMillis();
            if (ttl % Duration.ofDays(1).toMillis() != 0) {
              throw new AssertionError("torn view " + v);
            }
            ResolvedService rs = r.resolve(r.featureService("s"));
            if (rs.outputSchema.size() != 2) {
              throw new AssertionError("bad resolution " + rs.outputSchema);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      });
      th.start();
      readers.add(th);
    }
    start.countDown();
    for (int i = 0; i < 200; i++) {
      r.replace(stats(Duration.ofDays(2 + (i % 5))));
    }
    for (Thread th : readers) {
      th.join();
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertEquals(stats(Duration.ofDays(2 + (199 % 5))).version(), r.view("card_stats").version());
  }
}
