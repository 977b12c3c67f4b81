package org.sieveml.core.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void bucketsAreContiguousAndBounded() {
    long prevHigh = -1;
    for (int i = 0; i < LatencyHistogram.BUCKETS - 1; i++) {
      long high = LatencyHistogram.highestInBucket(i);
      assertEquals(i, LatencyHistogram.indexOf(prevHigh + 1), "first value of bucket " + i);
      assertEquals(i, LatencyHistogram.indexOf(high), "last value of bucket " + i);
      assertTrue(high - prevHigh <= Math.max(1, (prevHigh + 1) / 128 + 1), "bucket " + i + " too wide");
      prevHigh = high;
    }
    assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.indexOf(Long.MAX_VALUE));
  }

  @Test
  void percentilesMatchExactValuesWithinOnePercent() {
    long seed = 7L;
    SplittableRandom rnd = new SplittableRandom(seed);
    LatencyHistogram h = new LatencyHistogram();
    long[] values = new long[100_000];
    for (int i = 0; i < values.length; i++) {
      // log-normal-ish latencies between ~1us and ~50ms
      values[i] = (long) Math.exp(7 + rnd.nextDouble() * 10);
      h.record(values[i]);
    }
    Arrays.sort(values);
    LatencySummary s = h.snapshot();
    assertEquals(values.length, s.count());
    assertEquals(values[values.length - 1], s.max());
    check(values, 50, s.p50());
    check(values, 95, s.p95());
    check(values, 99, s.p99());
    double mean = Arrays.stream(values).average().orElseThrow();
    assertEquals(mean, s.meanNanos(), mean * 1e-9);
  }

  private static void check(long[] sorted, double p, long reported) {
    long exact = sorted[(int) Math.ceil(p / 100 * sorted.length) - 1];
    assertTrue(reported >= exact && reported <= exact * 1.008 + 1,
        "p" + p + ": exact " + exact + " reported " + reported);
  }

  @Test
  void concurrentRecordingLosesNothing() throws Exception {
    LatencyHistogram h = new LatencyHistogram();
    int threads = 8;
    int perThread = 50_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    Future<?>[] fs = new Future<?>[threads];
    for (int t = 0; t < threads; t++) {
      int id = t;
      fs[t] = pool.submit(() -> {
        go.await();
        for (int i = 0; i < perThread; i++) {
          h.record(1000L * (id + 1) + i % 100);
        }
        return null;
      });
    }
    go.countDown();
    for (Future<?> f : fs) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    LatencySummary s = h.snapshot();
    assertEquals((long) threads * perThread, s.count());
    assertEquals(8000 + 99, s.max());
  }

  @Test
  void inMemoryTelemetrySharesMetricsByName() {
    InMemoryTelemetry t = new InMemoryTelemetry();
    t.counter("a.requests").increment();
    t.counter("a.requests").add(4);
    t.latency("a.stage").record(1500);
    t.latency("a.stage").record(-5);
    TelemetrySnapshot snap = t.snapshot();
    assertEquals(5, snap.counter("a.requests"));
    assertEquals(0, snap.counter("never"));
    assertEquals(2, snap.latency("a.stage").count());
    assertEquals(1500, snap.latency("a.stage").max());
    assertTrue(snap.toTable().contains("a.requests"), snap.toTable());
  }
}
