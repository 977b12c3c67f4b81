package org.sieveml.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.telemetry.InMemoryTelemetry;

/**
 * The serving log on a real pipeline: what it records is what the responses returned, value for value;
 * sampling is deterministic by request id; a slow, throwing or refused sink never touches a request and
 * every lost record is counted.
 */
class ServingLogTest {

  @TempDir Path dir;

  /** Writes each record to a CSV file and into a map, on the log's one background thread. */
  static final class Tee implements ServedRequestSink {
    final CsvServedRequestSink csv;
    final Map<String, ServedRequest> byId = new ConcurrentHashMap<>();
    final Set<String> threads = ConcurrentHashMap.newKeySet();

    Tee(Path file) {
      csv = CsvServedRequestSink.create(file, LogFixtures.SCHEMA);
    }

    @Override
    public void write(ServedRequest r) {
      threads.add(Thread.currentThread().getName());
      csv.write(r);
      assertEquals(null, byId.put(r.requestId(), r), "each request is written once");
    }

    @Override
    public void flush() {
      csv.flush();
    }

    @Override
    public void close() {
      csv.close();
    }
  }

  @Test
  void everyRequestServedFromFourThreadsIsLoggedAsServedAndReadsBackBitForBit() throws Exception {
    Path file = dir.resolve("served.csv");
    Tee tee = new Tee(file);
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    ServingLog log = ServingLog.builder(tee).sampleRate(1.0).seed(3).queueCapacity(1_000_000)
        .clock(() -> 1_750_000_000_000L).telemetry(telemetry).build();
    TwoStagePipeline pipeline = LogFixtures.pipeline().servingLog(log).build();
    int threads = 4;
    int perThread = 150;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    Map<String, PipelineResponse> responses = new ConcurrentHashMap<>();
    Map<String, PipelineRequest> requests = new ConcurrentHashMap<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int tt = t;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < perThread; i++) {
          PipelineRequest r = LogFixtures.request("r-" + tt + "-" + i, tt * 1000 + i % 37, 1 + i % 6);
          requests.put(r.requestId(), r);
          responses.put(r.requestId(), pipeline.execute(r));
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get();
    }
    pool.shutdown();
    log.close();

    int n = threads * perThread;
    assertEquals(n, log.sampledCount());
    assertEquals(n, log.writtenCount());
    assertEquals(0, log.droppedCount() + log.failedCount());
    assertEquals(n, telemetry.snapshot().counter("servinglog.written"));
    assertEquals(Set.of("sieveml-servinglog-servinglog"), tee.threads, "the sink runs on the log's own thread");
    assertEquals(n, tee.byId.size());

    LogFixtures.TrickySource source = new LogFixtures.TrickySource();
    LogFixtures.TrickyScorer scorer = new LogFixtures.TrickyScorer();
    int withEmptyString = 0;
    int withoutCandidates = 0;
    for (Map.Entry<String, PipelineResponse> e : responses.entrySet()) {
      PipelineResponse resp = e.getValue();
      PipelineRequest req = requests.get(e.getKey());
      ServedRequest rec = tee.byId.get(e.getKey());
      assertEquals(resp.items(), rec.items(), "the logged ranking is the response's");
      assertEquals(req.entity(), rec.entity());
      assertEquals(req.k(), rec.k());
      assertEquals("tricky@v3", rec.scorerVersion());
      assertEquals("tricky-model", rec.scorer());
      assertEquals(1_750_000_000_000L, rec.servedAtMillis());
      assertEquals(resp.candidateCount(), rec.candidates().size());
      if (rec.candidates().isEmpty()) {
        withoutCandidates++;
        assertFalse(rec.hasFeatures());
        continue;
      }
      assertEquals(LogFixtures.readTime(req), rec.readTimeMillis());
      List<FeatureVector> expected = source.fetch(req, rec.candidates());
      assertEquals(expected, rec.vectors(), "the served vectors");
      double[] scores = scorer.score(req, rec.candidates(), expected);
      assertArrayEquals(bits(scores), bits(rec.scores()), "the model's scores, bit for bit");
      for (int i = 0; i < rec.candidates().size(); i++) {
        String item = rec.candidates().get(i).itemId();
        assertEquals(LogFixtures.key(LogFixtures.user(req), item), rec.keys().get(i));
        for (int f = 0; f < LogFixtures.SCHEMA.size(); f++) {
          assertEquals(LogFixtures.status(LogFixtures.user(req), item, f), rec.status(i, f));
        }
        withEmptyString += rec.vectors().get(i).isPresent(3) && rec.vectors().get(i).getString(3).isEmpty() ? 1 : 0;
      }
      assertTrue(resp.isComplete() && rec.degradedStages().isEmpty());
    }
    assertTrue(withEmptyString > 0, "some served strings are empty (not missing)");

    List<ServedRequest> back = ServedLogReader.readAll(file);
    assertEquals(n, back.size());
    for (ServedRequest r : back) {
      ServedRequest logged = tee.byId.get(r.requestId());
      assertEquals(logged, r, "read back: " + r.requestId());
      assertArrayEquals(bits(logged.scores()), bits(r.scores()));
      for (int i = 0; i < r.vectors().size(); i++) {
        for (int f : new int[] {0, 5}) {
          assertEquals(Double.doubleToRawLongBits(logged.vectors().get(i).asDouble(f)),
              Double.doubleToRawLongBits(r.vectors().get(i).asDouble(f)));
        }
      }
    }
    assertTrue(withoutCandidates < n / 2, "most requests have candidates: " + withoutCandidates);
  }

  static long[] bits(double[] d) {
    long[] b = new long[d.length];
    for (int i = 0; i < d.length; i++) {
      b[i] = Double.doubleToRawLongBits(d[i]);
    }
    return b;
  }

  @Test
  void aTenthIsSampledAndTheSampleIsAFunctionOfSeedAndRequestId() throws Exception {
    List<String> logged = new ArrayList<>();
    ServingLog log = ServingLog.builder(ServedRequestSink.callback(r -> logged.add(r.requestId())))
        .sampleRate(0.1).seed(7).executor(Runnable::run).build();
    TwoStagePipeline pipeline = LogFixtures.pipeline().servingLog(log).build();
    int n = 2000;
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < n; i++) {
      PipelineRequest r = LogFixtures.request("q-" + i, i % 50, 3);
      pipeline.execute(r);
      if (log.isSampled(r.requestId())) {
        expected.add(r.requestId());
      }
    }
    log.close();
    assertEquals(expected, new HashSet<>(logged), "exactly the sampled requests are logged");
    // Binomial(2000, 0.1): mean 200, standard deviation 13.4; 5 deviations either side
    assertTrue(logged.size() >= 133 && logged.size() <= 267, "about a tenth logged: " + logged.size());

    ServingLog same = ServingLog.builder(r -> { }).sampleRate(0.1).seed(7).build();
    ServingLog other = ServingLog.builder(r -> { }).sampleRate(0.1).seed(8).build();
    Set<String> sameSet = new HashSet<>();
    Set<String> otherSet = new HashSet<>();
    for (int i = n - 1; i >= 0; i--) {
      if (same.isSampled("q-" + i)) {
        sameSet.add("q-" + i);
      }
      if (other.isSampled("q-" + i)) {
        otherSet.add("q-" + i);
      }
    }
    same.close();
    other.close();
    assertEquals(expected, sameSet, "the same seed samples the same ids, in any order");
    assertNotEquals(expected, otherSet, "another seed samples other ids");
    ServingLog none = ServingLog.builder(r -> { }).sampleRate(0).build();
    assertFalse(none.isSampled("q-1"));
    none.close();
  }

  @Test
  void aBlockedSinkDropsWhatTheQueueCannotHoldAndNoRequestWaits() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> written = new ArrayList<>();
    ServedRequestSink slow = r -> {
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      written.add(r.requestId());
    };
    ExecutorService host = Executors.newSingleThreadExecutor();
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    ServingLog log = ServingLog.builder(slow).name("slowlog").queueCapacity(5).executor(host).telemetry(telemetry)
        .build();
    TwoStagePipeline pipeline = LogFixtures.pipeline().servingLog(log).build();
    assertTrue(pipeline.execute(LogFixtures.request("first", 1, 3)).isComplete());
    entered.await(); // the sink holds the first record and blocks
    for (int i = 0; i < 20; i++) {
      PipelineResponse r = pipeline.execute(LogFixtures.request("next-" + i, i, 3));
      assertTrue(r.isComplete(), "a blocked sink does not degrade the request");
    }
    assertEquals(5, log.queuedCount());
    assertEquals(15, log.droppedCount());
    assertEquals(15, telemetry.snapshot().counter("slowlog.dropped"));
    release.countDown();
    log.close(); // waits for the running write, then writes the 5 queued records
    host.shutdown();
    assertTrue(host.awaitTermination(1, TimeUnit.MINUTES));
    assertEquals(6, log.writtenCount());
    assertEquals(List.of("first", "next-0", "next-1", "next-2", "next-3", "next-4"), written);
    assertEquals(21, log.sampledCount());
    assertTrue(pipeline.execute(LogFixtures.request("after-close", 1, 3)).isComplete());
    assertEquals(16, log.droppedCount(), "a record offered after close is dropped");
  }

  @Test
  void aThrowingSinkOrARefusingExecutorCostsRecordsNotRequests() {
    int[] calls = {0};
    ServedRequestSink flaky = ServedRequestSink.callback(r -> {
      if (calls[0]++ % 3 == 0) {
        throw new IllegalStateException("disk full");
      }
    });
    ServingLog log = ServingLog.builder(flaky).executor(Runnable::run).build();
    TwoStagePipeline pipeline = LogFixtures.pipeline().servingLog(log).build();
    for (int i = 0; i < 30; i++) {
      assertTrue(pipeline.execute(LogFixtures.request("f-" + i, i, 4)).isComplete());
    }
    log.close();
    assertEquals(10, log.failedCount());
    assertEquals(20, log.writtenCount());
    assertEquals(10, ((InMemoryTelemetry) log.telemetry()).snapshot().counter("servinglog.failed"));

    ServingLog refused = ServingLog.builder(r -> { }).queueCapacity(4).executor(task -> {
      throw new RejectedExecutionException("shut down");
    }).build();
    TwoStagePipeline p2 = LogFixtures.pipeline().servingLog(refused).build();
    for (int i = 0; i < 10; i++) {
      assertTrue(p2.execute(LogFixtures.request("x-" + i, i, 4)).isComplete());
    }
    assertEquals(4, refused.queuedCount());
    assertEquals(6, refused.droppedCount());
    refused.close(); // writes the queued four on the closing thread
    assertEquals(4, refused.writtenCount());
  }

  @Test
  void aDegradedRequestIsLoggedWithWhatItServed() {
    List<ServedRequest> logged = new ArrayList<>();
    ServingLog log = ServingLog.builder(ServedRequestSink.callback(logged::add)).executor(Runnable::run).build();
    FeatureSource failing = FeatureSource.of("broken", LogFixtures.SCHEMA, (r, c) -> {
      throw new IllegalStateException("store down");
    });
    TwoStagePipeline pipeline = LogFixtures.pipeline().featureSource(failing).servingLog(log).build();
    PipelineResponse resp = pipeline.execute(LogFixtures.request("d-1", 4, 3));
    log.close();
    assertTrue(resp.isDegraded(Stage.FEATURES));
    ServedRequest r = logged.get(0);
    assertFalse(r.hasFeatures());
    assertFalse(r.isScored());
    assertEquals(Set.of(Stage.FEATURES, Stage.SCORING, Stage.RERANKING), r.degradedStages());
    assertEquals(resp.items(), r.items());
    assertEquals(FeatureFetch.UNKNOWN_TIME, r.readTimeMillis());
    assertTrue(r.keys().isEmpty());

    // a source that implements only fetch: statuses UNKNOWN, no keys, no read time
    List<ServedRequest> plain = new ArrayList<>();
    ServingLog log2 = ServingLog.builder(ServedRequestSink.callback(plain::add)).executor(Runnable::run).build();
    LogFixtures.TrickySource tricky = new LogFixtures.TrickySource();
    FeatureSource fetchOnly = FeatureSource.of("plain", LogFixtures.SCHEMA, tricky::fetch);
    LogFixtures.pipeline().featureSource(fetchOnly).servingLog(log2).build().execute(LogFixtures.request("d-2", 4, 3));
    log2.close();
    ServedRequest p = plain.get(0);
    assertTrue(p.hasFeatures());
    assertEquals(ServedStatus.UNKNOWN, p.status(0, 0));
    assertTrue(p.keys().isEmpty());
    assertEquals(FeatureFetch.UNKNOWN_TIME, p.readTimeMillis());
  }

  @Test
  void aFetchWhoseStatusesDoNotFitIsRefusedNamingTheArgument() {
    List<FeatureVector> v = new LogFixtures.TrickySource().fetch(LogFixtures.request("z", 1, 1),
        List.of(Candidate.of("a", 1, "g")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureFetch.of(v,
        LogFixtures.SCHEMA, List.of(EntityKey.of("id", 1)), new ServedStatus[2], 0));
    assertTrue(e.getMessage().contains("statuses has 2 entries, expected vectors x features = 1 x 6"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FeatureFetch.of(v, LogFixtures.SCHEMA, List.of(),
        new ServedStatus[6], 0));
    assertTrue(e.getMessage().startsWith("keys has 0 entries"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ServingLog.builder(r -> { }).sampleRate(1.5));
    assertEquals("sampleRate must be in [0, 1], was 1.5", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ServingLog.builder(r -> { }).queueCapacity(0));
    assertEquals("queueCapacity must be positive, was 0", e.getMessage());
    assertTrue(Files.isDirectory(dir));
  }
}
