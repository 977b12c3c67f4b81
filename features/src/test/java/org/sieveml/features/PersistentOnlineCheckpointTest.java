package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.features.OnlineDurabilityTest.Event;
import org.sieveml.features.OnlineDurabilityTest.Kind;
import org.sieveml.features.OnlineDurabilityTest.RecordingIo;

/**
 * Automatic checkpoints of a persistent {@link EmbeddedOnlineStore} (the log stays bounded under
 * continuous writes; the checkpoint runs on the scheduler, one at a time, never on the writer's thread;
 * close skips a queued one) and the dropping of inactive keys at a checkpoint (keys none of whose
 * tiles the view's latest retention keeps leave memory and the snapshot, and a reopened store, whose
 * snapshot and log replay give the state memory had, keeps dropping with the same retention).
 */
class PersistentOnlineCheckpointTest {

  static final long MIN = OnlineWriterMain.MIN;
  static final long HOUR = OnlineWriterMain.HOUR;
  static final long HEADER = 16; // the log file's header
  static final long EMPTY = HEADER + 12 + 8 + 9; // a log holding its generation record only (numbered)

  /** A scheduler that keeps the tasks it is given at once for the test to run on a thread it chooses. */
  static final class CapturingScheduler extends ScheduledThreadPoolExecutor {
    final List<Runnable> captured = new CopyOnWriteArrayList<>();
    final List<ScheduledFuture<?>> futures = new CopyOnWriteArrayList<>();

    CapturingScheduler() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
      captured.add(task);
      ScheduledFuture<?> f = super.schedule(() -> { }, 1, TimeUnit.DAYS);
      futures.add(f);
      return f;
    }
  }

  static EntityKey user(long id) {
    return EntityKey.of("user_id", id);
  }

  static long logSize(Path dir) throws IOException {
    return Files.size(dir.resolve(EmbeddedOnlineStore.WAL));
  }

  static int renames(RecordingIo io, String thread) {
    int n = 0;
    for (Event e : io.events()) {
      if (e.kind == Kind.RENAME && EmbeddedOnlineStore.SNAPSHOT.equals(e.target)
          && (thread == null || e.threadName.equals(thread))) {
        n++;
      }
    }
    return n;
  }

  static void runOn(Runnable task, String thread) throws InterruptedException {
    Thread t = new Thread(task, thread);
    t.start();
    t.join(60_000);
    assertFalse(t.isAlive(), "the checkpoint task finished");
  }

  /** Rows and tiles of the keys the tests use, as text. */
  static String describe(EmbeddedOnlineStore s, int keys) {
    StringBuilder b = new StringBuilder();
    for (long k = 0; k < keys; k++) {
      b.append(k).append(' ').append(s.read("p", user(k))).append(' ').append(s.readTiles("w", user(k))).append('\n');
    }
    return b.append(s.readMark("m")).toString();
  }

  // ================================================================== automatic checkpoints

  @Test
  void theBuilderRefusesANegativeThresholdAndDefaultsTo64MiB(@TempDir Path dir) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EmbeddedOnlineStore.builder(dir).checkpointAfterLogBytes(-1));
    assertTrue(e.getMessage().contains("checkpointAfterLogBytes") && e.getMessage().contains("-1"), e.getMessage());
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    assertEquals(64L << 20, s.checkpointAfterLogBytes());
    s.close();
    EmbeddedOnlineStore off = EmbeddedOnlineStore.builder(dir).checkpointAfterLogBytes(0).build();
    assertEquals(0, off.checkpointAfterLogBytes());
    off.close();
    assertEquals(0, new EmbeddedOnlineStore().checkpointAfterLogBytes(), "in memory");
  }

  /**
   * The write that brings the log to the threshold asks the scheduler for one checkpoint (no earlier
   * write does, and later writes do not queue a second); run on another thread it cuts the log, in
   * the order a power loss needs. Twenty rounds of writes past the threshold leave the log never
   * larger than the threshold plus the writes made while the checkpoint waited; a manual checkpoint
   * before the queued one makes it a no-op; reopening gives the state before closing.
   */
  @Test
  void theLogStaysBoundedUnderContinuousWrites(@TempDir Path dir) throws Exception {
    long threshold = 32 << 10;
    RecordingIo io = new RecordingIo();
    CapturingScheduler host = new CapturingScheduler();
    try {
      EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).fileIo(io).durability(Durability.MANUAL)
          .scheduler(host).checkpointAfterLogBytes(threshold).build();
      long written = 0;
      long largest = 0;
      long event = 0;
      int rounds = 20;
      for (int round = 0; round < rounds; round++) {
        int before = host.captured.size();
        long snapshot = Files.exists(dir.resolve(EmbeddedOnlineStore.SNAPSHOT))
            ? Files.size(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)) : 0;
        assertTrue(snapshot < threshold, "the state stays smaller than the threshold: " + snapshot);
        // up to the threshold: exactly the write that reaches it asks
        while (host.captured.size() == before) {
          long at = logSize(dir);
          assertTrue(at < EMPTY + threshold, "round " + round + ": no checkpoint asked for at " + at + " bytes");
          event++;
          s.write("p", List.of(OnlineDurabilityTest.row(user(event % 20), event)));
          if (event % 3 == 0) {
            s.addTiles("w", List.of(OnlineDurabilityTest.tile(user(event % 20), (event % 7) * MIN, 1)),
                WindowTiles.Retention.ALL);
          }
          s.advanceMark("m", event);
          written += logSize(dir) - at;
          largest = Math.max(largest, logSize(dir));
        }
        assertEquals(before + 1, host.captured.size(), "one checkpoint asked for");
        assertTrue(logSize(dir) >= EMPTY + threshold, "asked for at " + logSize(dir) + " bytes");
        // writes go on while it waits: no second one is queued
        for (int i = 0; i < 5; i++) {
          long at = logSize(dir);
          event++;
          s.write("p", List.of(OnlineDurabilityTest.row(user(event % 20), event)));
          written += logSize(dir) - at;
          largest = Math.max(largest, logSize(dir));
        }
        assertEquals(before + 1, host.captured.size(), "a queued checkpoint is not queued twice");
        int renamed = renames(io, null);
        int byHost = renames(io, "host-checkpoint");
        if (round == 7) {
          s.checkpoint(); // the host's own: the queued one then finds a short log and does nothing
          assertEquals(renamed + 1, renames(io, null));
          runOn(host.captured.get(before), "host-checkpoint");
          assertEquals(renamed + 1, renames(io, null), "the queued checkpoint did nothing after a manual one");
        } else {
          runOn(host.captured.get(before), "host-checkpoint");
          assertEquals(renamed + 1, renames(io, null), "the queued checkpoint ran");
          assertEquals(byHost + 1, renames(io, "host-checkpoint"), "on the scheduler's thread, not the writer's");
        }
        assertTrue(logSize(dir) < 64, "the log was cut: " + logSize(dir));
      }
      assertTrue(written > rounds * threshold, "written " + written);
      assertTrue(largest < EMPTY + threshold + 5 * 1024, "the log never held more than the threshold and the "
          + "writes made while the checkpoint waited: " + largest + " bytes of " + written + " written");
      OnlineDurabilityTest.check(io.events(), false); // forced before the rename, directory synced before the cut
      event++;
      s.write("p", List.of(OnlineDurabilityTest.row(user(event % 20), event)));
      String expected = describe(s, 20);
      s.close();
      EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
      assertEquals(expected, describe(r, 20), "the same after reopening");
      r.close();
    } finally {
      host.shutdownNow();
    }
  }

  /**
   * Two writers under sync-every-write on the store's own scheduler thread: checkpoints run there, by
   * themselves, every tile add is counted once across them, the log ends below the threshold once the
   * last queued checkpoint ran, and reopening gives the same state.
   */
  @Test
  void continuousWritesOnTheStoresOwnScheduler(@TempDir Path dir) throws Exception {
    long threshold = 4 << 10;
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).fileIo(io).durability(Durability.SYNC_EVERY_WRITE)
        .checkpointAfterLogBytes(threshold).build();
    int threads = 2;
    int calls = 400;
    CyclicBarrier start = new CyclicBarrier(threads);
    ConcurrentLinkedQueue<Throwable> problems = new ConcurrentLinkedQueue<>();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int me = t;
      ts.add(new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < calls; i++) {
            long k = (i * 7 + me) % 8;
            if (i % 2 == 0) {
              s.write("p", List.of(OnlineDurabilityTest.row(user(k), me * 10_000 + i)));
            } else {
              s.addTiles("w", List.of(OnlineDurabilityTest.tile(user(k), (i % 5) * MIN, 1)), WindowTiles.Retention.ALL);
            }
          }
        } catch (Throwable e) {
          problems.add(e);
        }
      }, "writer-" + t));
    }
    ts.forEach(Thread::start);
    for (Thread t : ts) {
      t.join(120_000);
    }
    assertTrue(problems.isEmpty(), problems.toString());
    // the last checkpoint asked for (if the log is past its point) runs soon; then the log is below it
    long due = 0;
    for (long deadline = System.nanoTime() + 60_000_000_000L; System.nanoTime() < deadline; Thread.sleep(10)) {
      due = EMPTY + Math.max(threshold, Files.size(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)));
      if (logSize(dir) < due) {
        break;
      }
    }
    assertTrue(logSize(dir) < due, "the queued checkpoint cut the log: " + logSize(dir) + " of " + due);
    int renamed = renames(io, null);
    // the cut log needs at least one; how many ran depends on the scheduler thread running while the
    // writers wrote (a timing matter, see below)
    assertTrue(renamed >= 1, "checkpoints ran by themselves: " + renamed);
    assertEquals(renamed, renames(io, "sieveml-online-commit"), "all of them on the store's scheduler thread");
    double adds = 0;
    for (long k = 0; k < 20; k++) {
      adds += OnlineDurabilityTest.count(s, user(k));
    }
    assertEquals(threads * calls / 2.0, adds, "every tile add counted once across the checkpoints");
    String expected = describe(s, 20);
    s.close();
    OnlineDurabilityTest.check(io.events(), true);
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(expected, describe(r, 20), "the same after reopening");
    long total = threads * calls * 100L; // each row or tile add record takes at least 100 bytes
    assertTrue(total > 10 * due, "enough written to need checkpoints: " + total);
    // how small the log stayed while writing, and how many checkpoints ran, depend on the scheduler keeping
    // up (a timing matter): the deterministic bounds are checked with a capturing scheduler above
    r.close();
  }

  /** Close with a checkpoint queued: it is cancelled, and if it runs anyway it does nothing. */
  @Test
  void closeSkipsAQueuedCheckpoint(@TempDir Path dir) throws Exception {
    RecordingIo io = new RecordingIo();
    CapturingScheduler host = new CapturingScheduler();
    try {
      EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).fileIo(io).durability(Durability.MANUAL)
          .scheduler(host).checkpointAfterLogBytes(1).build();
      s.write("p", List.of(OnlineDurabilityTest.row(user(1), 1)));
      assertEquals(1, host.captured.size());
      s.close();
      assertTrue(host.futures.get(0).isCancelled(), "close cancelled the queued checkpoint");
      int events = io.events().size();
      runOn(host.captured.get(0), "late"); // as if it had started just before close
      assertEquals(events, io.events().size(), "a checkpoint after close touches no file");
      assertFalse(host.isShutdown(), "the host's scheduler keeps running");
      EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
      assertEquals(OnlineDurabilityTest.row(user(1), 1), r.read("p", user(1)));
      r.close();
    } finally {
      host.shutdownNow();
    }
  }

  /** A host scheduler that runs the task on the writing thread would deadlock: the store refuses it. */
  @Test
  void aCheckpointRunOnTheWritingThreadIsRefused(@TempDir Path dir) {
    ScheduledThreadPoolExecutor inline = new ScheduledThreadPoolExecutor(1) {
      @Override
      public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        task.run();
        return super.schedule(() -> { }, 1, TimeUnit.DAYS);
      }
    };
    try {
      EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).durability(Durability.MANUAL).scheduler(inline)
          .checkpointAfterLogBytes(1).build();
      for (int i = 0; i < 5; i++) {
        s.write("p", List.of(OnlineDurabilityTest.row(user(1), i)));
      }
      assertFalse(Files.exists(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)), "no checkpoint on the writer's thread");
      s.checkpoint();
      s.write("p", List.of(OnlineDurabilityTest.row(user(1), 9)));
      s.close();
      EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
      assertEquals(OnlineDurabilityTest.row(user(1), 9), r.read("p", user(1)));
      r.close();
    } finally {
      inline.shutdownNow();
    }
  }

  // ================================================================== inactive keys

  /** One minute tile at {@code start} and, when {@code hourStart >= 0}, an hour tile. */
  static WindowTiles tiles(EntityKey key, long start, long hourStart) {
    if (hourStart < 0) {
      return OnlineDurabilityTest.tile(key, start, 1);
    }
    return WindowTiles.of(key, "v1", 1, new long[] {MIN, HOUR}, new long[] {start, hourStart},
        new long[] {start, start, start, hourStart, hourStart, hourStart}, new double[] {1, 1, 1, 1, 1, 2, 2, 2, 2, 2});
  }

  /** Keeps minute tiles of the last 3 hours and hour tiles of the last day before {@code now}. */
  static WindowTiles.Retention retention(long now) {
    return WindowTiles.Retention.of(new long[] {MIN, HOUR}, new long[] {now - 3 * HOUR, now - 24 * HOUR});
  }

  /**
   * Keys whose tiles the view's latest retention no longer keeps stay until a checkpoint, then leave
   * memory and the snapshot; a key with one tile kept stays whole; rows of the key stay. The retention
   * survives reopening (the reopened store drops a key with no add since); a clear forgets it; tile adds
   * after the drop replay onto the same state memory had.
   */
  @Test
  void inactiveKeysLeaveMemoryAndTheSnapshotAtACheckpoint(@TempDir Path dir) {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).durability(Durability.MANUAL).checkpointAfterLogBytes(0)
        .build();
    EntityKey old = user(0);
    EntityKey mixed = user(1);
    EntityKey active = user(2);
    EntityKey put = user(3);
    s.addTiles("w", List.of(tiles(old, 0, -1), tiles(mixed, 0, 9 * HOUR)), WindowTiles.Retention.ALL);
    s.write("w", List.of(OnlineDurabilityTest.row(old, 1))); // a row in the same view
    s.checkpoint();
    assertNotNull(s.readTiles("w", old), "retention ALL drops nothing");
    long now = 10 * HOUR;
    s.addTiles("w", List.of(tiles(active, now - MIN, -1)), retention(now));
    s.putTiles("w", List.of(tiles(put, 0, -1)));
    assertEquals(tiles(old, 0, -1), s.readTiles("w", old), "kept until a checkpoint");
    s.checkpoint();
    assertNull(s.readTiles("w", old), "no tile of the key is kept by the latest retention");
    assertNull(s.readTiles("w", put), "a put key too");
    assertEquals(tiles(mixed, 0, 9 * HOUR), s.readTiles("w", mixed), "one tile kept: the key stays whole");
    assertEquals(tiles(active, now - MIN, -1), s.readTiles("w", active));
    assertEquals(OnlineDurabilityTest.row(old, 1), s.read("w", old), "rows are not tiles");
    // adds after the drop: memory merges onto nothing, and so must the replay of the log
    s.addTiles("w", List.of(tiles(old, now, -1), tiles(active, now - MIN, -1)), WindowTiles.Retention.ALL);
    s.addTiles("w", List.of(tiles(old, now, -1)), retention(now));
    String expected = describe(s, 4);
    s.close();

    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(expected, describe(r, 4), "the snapshot and the log replay give the state memory had");
    assertEquals(2.0, OnlineDurabilityTest.count(r, old), "two adds after the drop, nothing from before");
    // no add since reopening: the retention came back with the log (and then the snapshot)
    r.putTiles("w", List.of(tiles(put, 0, -1)));
    r.checkpoint();
    assertNull(r.readTiles("w", put), "dropped with the remembered retention");
    assertEquals(tiles(mixed, 0, 9 * HOUR), r.readTiles("w", mixed));
    String afterDrop = describe(r, 4);
    r.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir); // from the snapshot alone now
    assertEquals(afterDrop, describe(again, 4));
    again.putTiles("w", List.of(tiles(put, 0, -1)));
    again.checkpoint();
    assertNull(again.readTiles("w", put), "the retention is in the snapshot");
    again.clear("w");
    again.putTiles("w", List.of(tiles(put, 0, -1)));
    again.checkpoint();
    assertEquals(tiles(put, 0, -1), again.readTiles("w", put), "a clear forgets the view's retention");
    again.close();
  }

  /**
   * A checkpoint failing before its rename drops nothing (memory still equals what reopening loads); the
   * next one drops.
   */
  @Test
  void aCheckpointFailingBeforeItsRenameDropsNothing(@TempDir Path dir) {
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).fileIo(io).durability(Durability.SYNC_EVERY_WRITE)
        .checkpointAfterLogBytes(0).build();
    EntityKey old = user(0);
    long now = 10 * HOUR;
    s.addTiles("w", List.of(tiles(old, 0, -1)), WindowTiles.Retention.ALL);
    s.addTiles("w", List.of(tiles(user(1), now, -1)), retention(now));
    io.failWhen = e -> e.kind == Kind.FORCE && e.file.equals(EmbeddedOnlineStore.SNAPSHOT + ".tmp");
    UncheckedIOException e = assertThrows(UncheckedIOException.class, s::checkpoint);
    assertTrue(e.getMessage().contains("injected fault"), e.getMessage());
    assertEquals(tiles(old, 0, -1), s.readTiles("w", old), "dropped nothing");
    s.close();
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(tiles(old, 0, -1), r.readTiles("w", old));
    r.checkpoint();
    assertNull(r.readTiles("w", old));
    r.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertNull(again.readTiles("w", old));
    assertEquals(tiles(user(1), now, -1), again.readTiles("w", user(1)));
    again.close();
  }
}
