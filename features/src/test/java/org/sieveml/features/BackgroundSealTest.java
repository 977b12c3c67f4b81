package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sieveml.features.OfflineWriterMain.batch;
import static org.sieveml.features.OfflineWriterMain.key;
import static org.sieveml.features.OfflineWriterMain.latestCounter;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seals of pushed rows handed to the merge executor: every row stays readable exactly once while they
 * run, with writers and readers at once, when the executor is too busy to start one, and across a
 * restart (the write-ahead log is not cut by a background seal: a reopening skips what was sealed).
 */
class BackgroundSealTest {

  private static final int SEAL = 64;

  private static FeatureStore open(FeatureRegistry reg, EmbeddedOfflineStore offline, AtomicLong now) {
    return OfflineDurabilityTest.open(reg, offline, now);
  }

  /**
   * Three writers push 1 to 20 rows at a time while a reader scans and joins: every scan holds every
   * row acknowledged before it started, and in the end (and after a restart, on files) every row is
   * there once with its values, sequence numbers unique.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void writersAndReadersSeeEveryRowOnceWhileSealsRunInTheBackground(boolean onFiles, @TempDir Path tmp)
      throws Exception {
    FeatureRegistry reg = OfflineWriterMain.registry();
    AtomicLong now = new AtomicLong(OfflineWriterMain.T0);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    AtomicInteger handedOff = new AtomicInteger();
    Path dir = onFiles ? tmp.resolve("offline") : null;
    EmbeddedOfflineStore offline = (onFiles ? EmbeddedOfflineStore.builder(dir) : inMemory())
        .mergeExecutor(r -> {
          handedOff.incrementAndGet();
          pool.execute(r);
        }).sealRows(SEAL).build();
    FeatureStore store = open(reg, offline, now);
    int writers = 3;
    int pushes = 150;
    List<TreeMap<Long, Boolean>> acked = new ArrayList<>();
    // SEAL rows of counters no writer uses (theirs stay below 3_000_000) before the threads start: they fill
    // the empty buffer to SEAL and hand off a seal, however soon the reader's scans seal the writers' rows
    TreeMap<Long, Boolean> early = new TreeMap<>();
    long earlyBase = 9_000_000L;
    store.push(OfflineWriterMain.VIEW, batch(reg, earlyBase, SEAL));
    for (long i = earlyBase; i < earlyBase + SEAL; i++) {
      early.put(i, true);
    }
    acked.add(early); // first: a scan's join check stays on the last writer's newest row
    AtomicReference<Throwable> failed = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    CountDownLatch readerRunning = new CountDownLatch(1); // the writers start once the reader does
    for (int w = 0; w < writers; w++) {
      TreeMap<Long, Boolean> mine = new TreeMap<>();
      acked.add(mine);
      long base = w * 1_000_000L;
      Random rnd = new Random(w);
      threads.add(new Thread(() -> {
        try {
          readerRunning.await();
          long c = base;
          for (int p = 0; p < pushes; p++) {
            int n = 1 + rnd.nextInt(20);
            store.push(OfflineWriterMain.VIEW, batch(reg, c, n));
            synchronized (mine) {
              for (long i = c; i < c + n; i++) {
                mine.put(i, true);
              }
            }
            c += n;
          }
        } catch (Throwable t) {
          failed.compareAndSet(null, t);
        }
      }, "writer-" + w));
    }
    AtomicInteger scans = new AtomicInteger();
    Thread reader = new Thread(() -> {
      try {
        readerRunning.countDown();
        do { // at least one scan, whatever the scheduler does; the last may start after the pushes end
          List<Long> before = new ArrayList<>();
          for (TreeMap<Long, Boolean> m : acked) {
            synchronized (m) {
              before.addAll(m.keySet());
            }
          }
          TreeMap<Long, Long> seen = OfflineDurabilityTest.readAll(store, "a scan during the pushes");
          for (long c : before) {
            assertTrue(seen.containsKey(c), "row " + c + " was acknowledged before the scan but is not in it");
          }
          if (!before.isEmpty()) {
            long c = before.get(before.size() - 1);
            assertTrue(latestCounter(store, key(c)) >= c, "the join sees row " + c);
          }
          scans.incrementAndGet();
        } while (threads.stream().anyMatch(Thread::isAlive));
      } catch (Throwable t) {
        failed.compareAndSet(null, t);
      }
    }, "reader");
    threads.forEach(Thread::start); // they wait for the reader
    reader.start();
    for (Thread t : threads) {
      t.join();
    }
    reader.join();
    if (failed.get() != null) {
      throw new AssertionError("a writer or the reader failed: " + failed.get(), failed.get());
    }
    TreeMap<Long, Boolean> all = new TreeMap<>();
    acked.forEach(all::putAll);
    assertTrue(all.size() > 10 * SEAL && scans.get() > 0, all.size() + " rows, " + scans.get() + " scans");
    assertTrue(handedOff.get() > 0, "seals were handed to the executor");
    assertEquals(all.keySet(), OfflineDurabilityTest.readAll(store, "after the pushes").keySet());
    store.close();
    pool.shutdown();
    if (onFiles) {
      FeatureStore again = open(reg, EmbeddedOfflineStore.builder(dir).build(), now);
      assertEquals(all.keySet(), OfflineDurabilityTest.readAll(again, "after a restart").keySet());
      again.close();
    }
  }

  /**
   * An executor that never gets to the seal: the next read takes the rows back and seals them itself
   * (it does not wait), writers seal on their own thread once {@code 4 x sealRows} rows are buffered,
   * and the queued task, when it finally runs, finds nothing to do.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aSealTheExecutorNeverStartsIsTakenBack(boolean onFiles, @TempDir Path tmp) {
    FeatureRegistry reg = OfflineWriterMain.registry();
    AtomicLong now = new AtomicLong(OfflineWriterMain.T0);
    ConcurrentLinkedQueue<Runnable> queued = new ConcurrentLinkedQueue<>();
    Path dir = onFiles ? tmp.resolve("offline") : null;
    EmbeddedOfflineStore offline = (onFiles ? EmbeddedOfflineStore.builder(dir) : inMemory())
        .mergeExecutor(queued::add).sealRows(SEAL).build();
    FeatureStore store = open(reg, offline, now);
    long c = 0;
    for (; c < SEAL + 6; c += 10) {
      store.push(OfflineWriterMain.VIEW, batch(reg, c, 10));
    }
    assertEquals(1, queued.size(), "one seal was handed off");
    long last = c - 1;
    long got = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> latestCounter(store, key(last)),
        "a read does not wait for a seal the executor never starts");
    assertEquals(last, got);
    for (; c < 10L * SEAL; c += 10) { // far past the bound: the writers seal themselves
      long from = c;
      assertTimeoutPreemptively(Duration.ofSeconds(20), () -> store.push(OfflineWriterMain.VIEW, batch(reg, from, 10)),
          "a push does not wait for a seal the executor never starts");
    }
    int tasks = queued.size();
    assertTrue(tasks >= 2, "more seals were handed off: " + tasks);
    Runnable r;
    while ((r = queued.poll()) != null) {
      r.run(); // the seals, late; nothing is written twice
    }
    TreeMap<Long, Long> rows = OfflineDurabilityTest.readAll(store, "after the late seals");
    assertEquals(c, rows.size(), "every row once");
    assertEquals(0L, rows.firstKey());
    assertEquals(c - 1, rows.lastKey());
    OfflineDurabilityTest.assertSequencesFollowCounters(rows, "after the late seals");
    store.close();
    if (onFiles) {
      FeatureStore again = open(reg, EmbeddedOfflineStore.builder(dir).build(), now);
      assertEquals(rows, OfflineDurabilityTest.readAll(again, "after a restart"));
      again.close();
    }
  }

  /**
   * On files, seals run on the executor leave the write-ahead log uncut (it holds the rows after
   * them); a restart without a read in between replays only what no published segment holds: every
   * row once, at the sequence numbers it had.
   */
  @Test
  void aRestartAfterBackgroundSealsReplaysOnlyTheUnsealedRows(@TempDir Path dir) {
    FeatureRegistry reg = OfflineWriterMain.registry();
    AtomicLong now = new AtomicLong(OfflineWriterMain.T0);
    AtomicInteger ran = new AtomicInteger();
    FeatureStore store = open(reg, EmbeddedOfflineStore.builder(dir).mergeExecutor(r -> {
      ran.incrementAndGet();
      r.run();
    }).sealRows(SEAL).build(), now);
    long c = 0;
    for (; c < 32 * 7; c += 7) { // seals after 70, 140 and 210 rows, the log never cut; 14 rows only logged
      store.push(OfflineWriterMain.VIEW, batch(reg, c, 7));
    }
    assertEquals(3, ran.get(), "three seals ran on the executor");
    store.offlineStore().sync();
    // no read (it would seal on this thread and cut the log): the state as a crash would leave it
    Map<Long, Long> expected = new TreeMap<>();
    store.close();
    FeatureStore again = open(reg, EmbeddedOfflineStore.builder(dir).mergeExecutor(Runnable::run).build(), now);
    TreeMap<Long, Long> rows = OfflineDurabilityTest.readAll(again, "after a restart");
    assertEquals(c, rows.size(), "every row once");
    OfflineDurabilityTest.assertSequencesFollowCounters(rows, "after a restart");
    expected.putAll(rows);
    again.close();
    FeatureStore third = open(reg, EmbeddedOfflineStore.builder(dir).mergeExecutor(Runnable::run).build(), now);
    assertEquals(expected, OfflineDurabilityTest.readAll(third, "after a second restart"));
    third.close();
  }

  private static EmbeddedOfflineStore.Builder inMemory() {
    return EmbeddedOfflineStore.inMemoryBuilder();
  }
}
