package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.internal.FileIo;

/**
 * Durability of a persistent {@link EmbeddedOnlineStore}, two ways. A recording {@link FileIo} sees
 * every write, force, truncation, rename and directory sync in order, so the trace can be checked
 * against what a power loss needs (a {@code kill -9} cannot see a missing fsync: the page cache
 * survives it): every write acknowledged under {@link Durability#SYNC_EVERY_WRITE} was forced before
 * it returned, and a checkpoint forces its snapshot before renaming it and syncs the directory before
 * it cuts the log. The same hook injects I/O errors: memory stays unchanged and the store refuses
 * writes (fail-stop), and a checkpoint failing after its rename does not count tile adds twice on
 * reopening. And a child JVM writing rows, tile adds, puts, erasures, marks and checkpoints is killed
 * with SIGKILL 24 times (half under sync-every-write, half under group commit): after each kill the
 * reopened store equals exactly the state after every acknowledged operation (plus perhaps the one in
 * flight), compared with an independent model.
 */
class OnlineDurabilityTest {

  // ================================================================== the recording file system

  enum Kind { CREATE, WRITE, FORCE_START, FORCE, TRUNCATE, RENAME, DIRSYNC, DELETE, BEGIN, ACK }

  /** One file operation (recorded after it succeeded; FORCE_START before the force) or a test mark. */
  static final class Event {
    final int index;
    final Kind kind;
    final String file;
    final String target;
    final long thread;
    final String threadName;
    Integer forcedAt; // for a WRITE: the first completed force that started after it

    Event(int index, Kind kind, String file, String target) {
      this.index = index;
      this.kind = kind;
      this.file = file;
      this.target = target;
      this.thread = Thread.currentThread().getId();
      this.threadName = Thread.currentThread().getName();
    }

    @Override
    public String toString() {
      return "#" + index + " " + kind + " " + file + (target != null ? " -> " + target : "") + " [" + threadName + "]";
    }
  }

  /** Records every file operation of a store in order and fails the first one an armed predicate matches. */
  static final class RecordingIo implements FileIo {
    private final List<Event> events = new ArrayList<>();
    volatile Predicate<Event> failWhen;
    volatile String injected;

    synchronized Event record(Kind kind, String file, String target) {
      Event e = new Event(events.size(), kind, file, target);
      events.add(e);
      return e;
    }

    synchronized List<Event> events() {
      return new ArrayList<>(events);
    }

    /** Throws if the armed predicate matches this operation (then disarms). */
    void maybeFail(Kind kind, String file) throws IOException {
      Predicate<Event> p = failWhen;
      if (p != null && p.test(new Event(-1, kind, file, null))) {
        failWhen = null;
        injected = kind + " " + file;
        throw new IOException("injected fault: " + injected);
      }
    }

    static String name(Path p) {
      return p.getFileName().toString();
    }

    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
      boolean existed = Files.exists(file);
      FileChannel c = FileChannel.open(file, options);
      if (!existed) {
        record(Kind.CREATE, name(file), null);
      }
      return new RecordingChannel(c, name(file), this);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
      maybeFail(Kind.RENAME, name(from));
      FileIo.super.rename(from, to);
      record(Kind.RENAME, name(from), name(to));
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
      maybeFail(Kind.DIRSYNC, "dir");
      FileIo.super.syncDirectory(dir);
      record(Kind.DIRSYNC, "dir", null);
    }

    @Override
    public void delete(Path file) throws IOException {
      boolean existed = Files.exists(file);
      FileIo.super.delete(file);
      if (existed) {
        record(Kind.DELETE, name(file), null);
      }
    }
  }

  /** A channel that reports writes, forces and truncations to a {@link RecordingIo}. */
  static final class RecordingChannel extends FileChannel {
    private final FileChannel d;
    private final String file;
    private final RecordingIo io;

    RecordingChannel(FileChannel d, String file, RecordingIo io) {
      this.d = d;
      this.file = file;
      this.io = io;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      io.maybeFail(Kind.WRITE, file);
      int n = d.write(src);
      io.record(Kind.WRITE, file, null);
      return n;
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      io.maybeFail(Kind.WRITE, file);
      int n = d.write(src, position);
      io.record(Kind.WRITE, file, null);
      return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      io.maybeFail(Kind.WRITE, file);
      long n = d.write(srcs, offset, length);
      io.record(Kind.WRITE, file, null);
      return n;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      io.maybeFail(Kind.FORCE, file);
      Event start = io.record(Kind.FORCE_START, file, null);
      d.force(metaData);
      io.record(Kind.FORCE, file, String.valueOf(start.index));
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      io.maybeFail(Kind.TRUNCATE, file);
      d.truncate(size);
      io.record(Kind.TRUNCATE, file, String.valueOf(size));
      return this;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return d.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return d.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return d.read(dst, position);
    }

    @Override
    public long position() throws IOException {
      return d.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      d.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return d.size();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      throw new UnsupportedOperationException("not used by the store");
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      throw new UnsupportedOperationException("not used by the store");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      throw new UnsupportedOperationException("not used by the store");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return d.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return d.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      d.close();
    }
  }

  // ================================================================== the rules a trace must follow

  /**
   * Checks a trace: (a) at each {@code ACK} of a thread, every write that thread made to the log since
   * its {@code BEGIN} is covered by a force that started after the write and completed before the
   * {@code ACK}; (b) the snapshot's temporary file is forced after its last write before it is renamed;
   * (c) after each rename of the snapshot into place the directory is synced before the log is next
   * truncated, and the log is truncated after every rename. Returns counts of what it saw.
   */
  static Map<String, Integer> check(List<Event> trace, boolean everyAckDurable) {
    Map<String, Integer> seen = new TreeMap<>();
    Map<Integer, Event> byIndex = new HashMap<>();
    for (Event e : trace) {
      byIndex.put(e.index, e);
    }
    // which writes each completed force covers (writes recorded before the force started)
    for (Event e : trace) {
      if (e.kind == Kind.FORCE) {
        int start = Integer.parseInt(e.target);
        for (Event w : trace) {
          if (w.index >= start) {
            break;
          }
          if (w.kind == Kind.WRITE && w.file.equals(e.file) && w.forcedAt == null) {
            w.forcedAt = e.index;
          }
        }
      }
    }
    Map<Long, Integer> begun = new HashMap<>();
    int renamedAt = -1;
    int dirSyncedAt = -1;
    for (Event e : trace) {
      switch (e.kind) {
        case BEGIN:
          begun.put(e.thread, e.index);
          break;
        case ACK: {
          int b = begun.remove(e.thread);
          if (!everyAckDurable) {
            break;
          }
          for (int i = b + 1; i < e.index; i++) {
            Event w = byIndex.get(i);
            if (w.kind == Kind.WRITE && w.thread == e.thread && w.file.equals(EmbeddedOnlineStore.WAL)) {
              if (w.forcedAt == null || w.forcedAt > e.index) {
                fail("acknowledged " + e + " before its log write " + w + " was forced"
                    + (w.forcedAt == null ? " (never)" : " (only at #" + w.forcedAt + ")") + window(trace, e.index));
              }
              seen.merge("acknowledged log writes", 1, Integer::sum);
            }
          }
          seen.merge("acknowledgements", 1, Integer::sum);
          break;
        }
        case RENAME:
          if (e.target.equals(EmbeddedOnlineStore.SNAPSHOT)) {
            for (Event w : trace) {
              if (w.index >= e.index) {
                break;
              }
              if (w.kind == Kind.WRITE && w.file.equals(e.file) && (w.forcedAt == null || w.forcedAt > e.index)) {
                fail("renamed the snapshot before forcing its write " + w + window(trace, e.index));
              }
            }
            if (renamedAt >= 0) {
              fail("a second snapshot rename before the log was truncated" + window(trace, e.index));
            }
            renamedAt = e.index;
            dirSyncedAt = -1;
            seen.merge("snapshot renames", 1, Integer::sum);
          }
          break;
        case DIRSYNC:
          if (renamedAt >= 0 && dirSyncedAt < 0) {
            dirSyncedAt = e.index;
          }
          break;
        case TRUNCATE:
          if (e.file.equals(EmbeddedOnlineStore.WAL) && renamedAt >= 0) {
            if (dirSyncedAt < 0) {
              fail("the log was truncated after the snapshot rename at #" + renamedAt + " without a directory sync "
                  + "between them" + window(trace, e.index));
            }
            seen.merge("log cuts after a durable rename", 1, Integer::sum);
            renamedAt = -1;
          }
          break;
        default:
          break;
      }
    }
    if (renamedAt >= 0) {
      fail("the snapshot renamed at #" + renamedAt + " was never followed by a log truncation");
    }
    return seen;
  }

  static String window(List<Event> trace, int at) {
    StringBuilder sb = new StringBuilder("\n  trace:");
    for (int i = Math.max(0, at - 30); i <= Math.min(trace.size() - 1, at + 3); i++) {
      sb.append("\n    ").append(trace.get(i));
    }
    return sb.toString();
  }

  // ================================================================== helpers

  static final EntityKey A = EntityKey.of("user_id", 1L);
  static final EntityKey B = EntityKey.of("user_id", "b");

  static OnlineRow row(EntityKey key, long event) {
    FeatureVector v = FeatureVector.builder(OnlineWriterMain.SCHEMA).setDouble("d", event).setString("s", "e" + event)
        .build();
    return new OnlineRow(key, v, event, event, event, "v1");
  }

  /** One tile of a minute at {@code start} with {@code n} events. */
  static WindowTiles tile(EntityKey key, long start, int n) {
    return WindowTiles.of(key, "v1", 1, new long[] {OnlineWriterMain.MIN}, new long[] {start},
        new long[] {start, start, start}, new double[] {n, n, n, 1, 1});
  }

  static double count(EmbeddedOnlineStore s, EntityKey key) {
    WindowTiles t = s.readTiles("w", key);
    double c = 0;
    for (int i = 0; t != null && i < t.size(); i++) {
      c += t.stat(i, 0);
    }
    return c;
  }

  static EmbeddedOnlineStore open(Path dir, RecordingIo io, Durability d) {
    return EmbeddedOnlineStore.builder(dir).fileIo(io).durability(d).build();
  }

  // ================================================================== tests: the order of file operations

  /**
   * Three threads write rows, tile adds and marks under {@link Durability#SYNC_EVERY_WRITE} while a
   * fourth checkpoints now and then: every acknowledged write was forced first, every snapshot was
   * forced before its rename, and the directory was synced before the log was cut.
   */
  @Test
  void syncEveryWriteForcesBeforeAcknowledgingAndCheckpointSyncsTheDirectoryBeforeCuttingTheLog(@TempDir Path dir)
      throws Exception {
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = open(dir, io, Durability.SYNC_EVERY_WRITE);
    int threads = 3;
    int calls = 60;
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    ConcurrentLinkedQueue<Throwable> problems = new ConcurrentLinkedQueue<>();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int me = t;
      ts.add(new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < calls; i++) {
            io.record(Kind.BEGIN, "call", null);
            EntityKey k = EntityKey.of("user_id", (long) (i % 5));
            switch (i % 3) {
              case 0:
                s.write("p", List.of(row(k, me * 1000 + i)));
                break;
              case 1:
                s.addTiles("w", List.of(tile(k, 0, 1)), WindowTiles.Retention.ALL);
                break;
              default:
                s.advanceMark("m" + me, i);
            }
            io.record(Kind.ACK, "call", null);
          }
        } catch (Throwable e) {
          problems.add(e);
        }
      }, "writer-" + t));
    }
    ts.forEach(Thread::start);
    start.await();
    for (int c = 0; c < 4; c++) {
      Thread.sleep(5);
      io.record(Kind.BEGIN, "checkpoint", null);
      s.checkpoint();
      io.record(Kind.ACK, "checkpoint", null);
    }
    for (Thread t : ts) {
      t.join(60_000);
    }
    assertTrue(problems.isEmpty(), problems.toString());
    io.record(Kind.BEGIN, "checkpoint", null);
    s.checkpoint();
    io.record(Kind.ACK, "checkpoint", null);
    double[] counts = new double[5];
    for (int k = 0; k < 5; k++) {
      counts[k] = count(s, EntityKey.of("user_id", (long) k));
    }
    s.close();
    Map<String, Integer> seen = check(io.events(), true);
    assertEquals(threads * calls + 5, seen.get("acknowledgements"), seen.toString());
    assertTrue(seen.getOrDefault("acknowledged log writes", 0) >= threads * calls * 2 / 3 - threads, seen.toString());
    assertEquals(5, seen.get("snapshot renames"), seen.toString());
    assertEquals(5, seen.get("log cuts after a durable rename"), seen.toString());
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    for (int k = 0; k < 5; k++) {
      assertEquals(counts[k], count(r, EntityKey.of("user_id", (long) k)), "tiles of key " + k + " after reopening");
    }
    assertEquals(threads * calls / 3.0, counts[0] + counts[1] + counts[2] + counts[3] + counts[4], "every add counted");
    r.close();
  }

  /**
   * Under group commit nothing is forced by the write itself; the background task forces the log
   * within the interval, on the store's own thread or on a scheduler the host supplies, which close
   * leaves running. {@code sync()} forces everything before it returns; MANUAL never forces by itself.
   */
  @Test
  void groupCommitForcesInTheBackgroundAndSyncForcesEverything(@TempDir Path dir) throws Exception {
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = open(dir, io, Durability.groupCommit(Duration.ofMillis(20)));
    io.record(Kind.BEGIN, "writes", null);
    for (int i = 0; i < 10; i++) {
      s.write("p", List.of(row(A, i)));
    }
    int lastWrite = io.events().size() - 1;
    Event background = null;
    for (long deadline = System.nanoTime() + 60_000_000_000L; background == null && System.nanoTime() < deadline; ) {
      Thread.sleep(5);
      for (Event e : io.events()) {
        if (e.kind == Kind.FORCE && e.file.equals(EmbeddedOnlineStore.WAL) && Integer.parseInt(e.target) > lastWrite) {
          background = e;
        }
      }
    }
    assertNotNull(background, "the group commit task forced the log");
    assertEquals("sieveml-online-commit", background.threadName);
    io.record(Kind.BEGIN, "sync", null);
    s.write("p", List.of(row(A, 100)));
    s.sync();
    io.record(Kind.ACK, "sync", null);
    check(io.events(), true); // the write + sync pair is acknowledged only after a force covering it
    s.close();

    ScheduledExecutorService host = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "host-scheduler"));
    try {
      RecordingIo io3 = new RecordingIo();
      EmbeddedOnlineStore g = EmbeddedOnlineStore.builder(dir).fileIo(io3).scheduler(host)
          .durability(Durability.groupCommit(Duration.ofMillis(10))).build();
      int mark = io3.events().size();
      g.write("p", List.of(row(A, 200)));
      Event hosted = null;
      for (long deadline = System.nanoTime() + 60_000_000_000L; hosted == null && System.nanoTime() < deadline; ) {
        Thread.sleep(5);
        for (Event e : io3.events()) {
          if (e.index > mark && e.kind == Kind.FORCE && e.threadName.equals("host-scheduler")) {
            hosted = e;
          }
        }
      }
      assertNotNull(hosted, "the host's scheduler ran the group commit");
      g.close();
      assertFalse(host.isShutdown(), "close leaves the host's scheduler running");
    } finally {
      host.shutdownNow();
    }

    RecordingIo io4 = new RecordingIo();
    EmbeddedOnlineStore m = open(dir, io4, Durability.MANUAL);
    int before = io4.events().size();
    m.write("p", List.of(row(A, 300)));
    Thread.sleep(100);
    assertTrue(io4.events().subList(before, io4.events().size()).stream().noneMatch(e -> e.kind == Kind.FORCE_START),
        "MANUAL does not force by itself");
    m.close();
    assertTrue(io4.events().stream().skip(before).anyMatch(e -> e.kind == Kind.FORCE), "close forces");
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(row(A, 300), r.read("p", A));
    r.close();
  }

  // ================================================================== tests: injected I/O errors

  /**
   * A force that fails under SYNC_EVERY_WRITE: the write throws, memory is unchanged, later writes
   * are refused naming the error, reads keep working; reopening recovers a consistent state.
   */
  @Test
  void aFailedForceLeavesMemoryUnchangedAndTheStoreRefusesWrites(@TempDir Path dir) {
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = open(dir, io, Durability.SYNC_EVERY_WRITE);
    s.write("p", List.of(row(A, 10)));
    s.addTiles("w", List.of(tile(A, 0, 2)), WindowTiles.Retention.ALL);
    io.failWhen = e -> e.kind == Kind.FORCE && e.file.equals(EmbeddedOnlineStore.WAL);
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> s.write("p", List.of(row(A, 20))));
    assertTrue(e.getMessage().contains("injected fault"), e.getMessage());
    assertEquals(row(A, 10), s.read("p", A), "memory unchanged by the failed write");
    UncheckedIOException refused = assertThrows(UncheckedIOException.class,
        () -> s.addTiles("w", List.of(tile(A, 0, 1)), WindowTiles.Retention.ALL));
    assertTrue(refused.getMessage().contains("refuses writes") && refused.getMessage().contains("injected fault"),
        refused.getMessage());
    assertThrows(UncheckedIOException.class, s::checkpoint);
    assertThrows(UncheckedIOException.class, s::sync);
    assertEquals(2.0, count(s, A), "reads still served");
    s.close();
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    OnlineRow got = r.read("p", A);
    assertTrue(got.equals(row(A, 10)) || got.equals(row(A, 20)), "the failed write is there or not, nothing else: "
        + got);
    assertEquals(2.0, count(r, A));
    r.write("p", List.of(row(A, 30)));
    assertEquals(row(A, 30), r.read("p", A), "the reopened store writes again");
    r.close();
  }

  /** An append that fails (group commit): memory unchanged, nothing of it in the log after reopening. */
  @Test
  void aFailedAppendLeavesMemoryAndLogUnchanged(@TempDir Path dir) {
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = open(dir, io, Durability.DEFAULT);
    s.addTiles("w", List.of(tile(A, 0, 2), tile(B, 0, 3)), WindowTiles.Retention.ALL);
    s.advanceMark("m", 5);
    io.failWhen = e -> e.kind == Kind.WRITE && e.file.equals(EmbeddedOnlineStore.WAL);
    assertThrows(UncheckedIOException.class,
        () -> s.addTiles("w", List.of(tile(A, 0, 10), tile(B, 0, 10)), WindowTiles.Retention.ALL));
    assertEquals(2.0, count(s, A));
    assertEquals(3.0, count(s, B));
    assertThrows(UncheckedIOException.class, () -> s.advanceMark("m", 9));
    assertEquals(5, s.readMark("m"));
    s.close();
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(2.0, count(r, A));
    assertEquals(3.0, count(r, B));
    assertEquals(5, r.readMark("m"));
    r.close();
  }

  /** A checkpoint failing before its rename leaves the store usable and the files as they were. */
  @Test
  void aCheckpointFailingBeforeItsRenameLeavesTheStoreUsable(@TempDir Path dir) {
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = open(dir, io, Durability.SYNC_EVERY_WRITE);
    s.addTiles("w", List.of(tile(A, 0, 2)), WindowTiles.Retention.ALL);
    s.checkpoint();
    s.addTiles("w", List.of(tile(A, 0, 3)), WindowTiles.Retention.ALL);
    io.failWhen = e -> e.kind == Kind.FORCE && e.file.equals(EmbeddedOnlineStore.SNAPSHOT + ".tmp");
    assertThrows(UncheckedIOException.class, s::checkpoint);
    assertFalse(Files.exists(dir.resolve(EmbeddedOnlineStore.SNAPSHOT + ".tmp")), "the temporary file is gone");
    s.addTiles("w", List.of(tile(A, 0, 4)), WindowTiles.Retention.ALL);
    assertEquals(9.0, count(s, A));
    s.close();
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(9.0, count(r, A), "snapshot + log, each add once");
    r.close();
  }

  /**
   * A checkpoint whose directory sync fails after the rename (the snapshot holds the log's adds and
   * the log is not cut): the store is fail-stop, and reopening counts every tile add exactly once, as
   * it does when a crash lands between the rename and the cut.
   */
  @Test
  void aCheckpointFailingAfterItsRenameNeverCountsAddsTwice(@TempDir Path dir) {
    RecordingIo io = new RecordingIo();
    EmbeddedOnlineStore s = open(dir, io, Durability.SYNC_EVERY_WRITE);
    for (int i = 0; i < 5; i++) {
      s.addTiles("w", List.of(tile(A, 0, 1), tile(B, OnlineWriterMain.MIN * i, 2)), WindowTiles.Retention.ALL);
    }
    s.write("p", List.of(row(A, 1)));
    s.clear("gone");
    io.failWhen = e -> e.kind == Kind.DIRSYNC;
    assertThrows(UncheckedIOException.class, s::checkpoint);
    assertTrue(Files.exists(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)), "renamed before the failure");
    assertThrows(UncheckedIOException.class, () -> s.write("p", List.of(row(A, 2))));
    s.close();
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(5.0, count(r, A), "adds of the log the snapshot covers are not applied again");
    assertEquals(10.0, count(r, B));
    assertEquals(row(A, 1), r.read("p", A));
    r.addTiles("w", List.of(tile(A, 0, 1)), WindowTiles.Retention.ALL);
    r.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(6.0, count(again, A), "the next log generation replays");
    again.close();
  }

  /** The same crash without injection: a log the snapshot covers, left next to it, is skipped. */
  @Test
  void aLogCoveredByTheSnapshotIsSkipped(@TempDir Path dir) throws IOException {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).durability(Durability.SYNC_EVERY_WRITE).build();
    s.addTiles("w", List.of(tile(A, 0, 1)), WindowTiles.Retention.ALL);
    s.addTiles("w", List.of(tile(A, 0, 1)), WindowTiles.Retention.ALL);
    s.close();
    byte[] log = Files.readAllBytes(dir.resolve(EmbeddedOnlineStore.WAL));
    EmbeddedOnlineStore c = EmbeddedOnlineStore.open(dir);
    c.checkpoint();
    c.close();
    Files.write(dir.resolve(EmbeddedOnlineStore.WAL), log); // as if the crash came before the cut
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(2.0, count(r, A));
    r.close();
    Files.delete(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)); // a snapshot lost: the next log cannot be applied alone
    StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertTrue(e.getMessage().contains("generation"), e.getMessage());
  }

  /** One store per directory, in this process (and, through a file lock, in others). */
  @Test
  void aDirectoryIsOpenedOnce(@TempDir Path dir) {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedOnlineStore.open(dir));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    s.close();
    s.close(); // idempotent
    assertThrows(IllegalStateException.class, () -> s.write("p", List.of(row(A, 1))));
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertNull(r.read("p", A));
    r.close();
  }

  // ================================================================== tests: kill -9

  /**
   * A child JVM runs the {@link OnlineWriterMain} workload on one directory and is killed with SIGKILL
   * 24 times, alternating {@link Durability#SYNC_EVERY_WRITE} and group commit, at seeded points (after
   * some acknowledgement, or just after beginning a checkpoint, a tile add or a row write). After each
   * kill the reopened store must equal an independent model after every acknowledged operation, or
   * after those and the one in flight: nothing acknowledged is lost (under both policies: a process
   * crash leaves the page cache), no older row replaced a newer one, every tile equals exactly the merge
   * of the adds, never an add counted twice, however the kill cut a checkpoint; keys a checkpoint
   * dropped as inactive (see {@link ExpiringModel}) stay dropped.
   */
  @Test
  void killedWriterLosesNothingAcknowledged(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("store");
    Path childLog = tmp.resolve("child.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    long seed = 20_240_612L;
    Random rnd = new Random(seed);
    ExpiringModel model = new ExpiringModel(); // after every operation before `next`
    long next = 0;
    Map<String, Integer> killedIn = new TreeMap<>();
    int runs = 24;
    int inFlightLanded = 0;
    for (int run = 0; run < runs; run++) {
      String policy = run % 2 == 0 ? "sync" : "group";
      int mode = (run / 2) % 4;
      String aim = mode == 0 ? "ACK" : mode == 1 ? "CHECKPOINT" : mode == 2 ? "ADD" : "ROWS";
      int target = 1 + rnd.nextInt(mode == 0 ? 120 : mode == 1 ? 3 : 40);
      long delayNanos = rnd.nextInt(mode == 1 ? 3_000_000 : 1_000_000);
      Process p = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp",
          System.getProperty("java.class.path"), OnlineWriterMain.class.getName(), dir.toString(), policy,
          Long.toString(next), Long.toString(seed))
          .redirectError(ProcessBuilder.Redirect.appendTo(childLog.toFile())).start();
      String where = "run " + run + " (" + policy + ", kill after " + (mode == 0 ? "" : "BEGIN ") + aim + " #"
          + target + " + " + delayNanos / 1000 + " us)";
      long acked = next - 1;
      long begun = -1;
      String beganKind = null;
      boolean killed = false;
      int seen = 0;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) { // after the kill: what it printed before dying
          String[] f = line.split(" ");
          boolean hit = false;
          if (f[0].equals("READY")) {
            assertEquals(next, Long.parseLong(f[1]), where);
            continue;
          } else if (f[0].equals("BEGIN")) {
            begun = Long.parseLong(f[1]);
            beganKind = f[2];
            assertEquals(acked + 1, begun, where + ": " + line);
            hit = mode > 0 && f[2].equals(aim);
          } else if (f[0].equals("ACK")) {
            assertEquals(begun, Long.parseLong(f[1]), where + ": " + line);
            acked = begun;
            begun = -1;
            hit = mode == 0;
          } else {
            assertEquals("SYNCED", f[0], where + ": " + line);
          }
          if (!killed && hit && ++seen == target) {
            LockSupport.parkNanos(delayNanos);
            // SIGKILL, as Process.destroyForcibly sends; on the handle, so that our end of the pipe
            // stays open and we still read the lines the child printed before it died
            p.toHandle().destroyForcibly();
            killed = true;
            killedIn.merge(begun >= 0 ? "during " + beganKind : "between operations", 1, Integer::sum);
          }
        }
      }
      int exit = p.waitFor();
      assertTrue(killed, where + ": the child exited by itself with " + exit + "; its log:\n" + tail(childLog));
      for (long i = next; i <= acked; i++) {
        model.apply(OnlineWriterMain.op(seed, i));
      }
      EmbeddedOnlineStore store = EmbeddedOnlineStore.open(dir);
      try {
        String diff = model.differenceFrom(store);
        if (diff == null) {
          next = acked + 1;
        } else if (begun >= 0) {
          ExpiringModel withInFlight = model.copy();
          withInFlight.apply(OnlineWriterMain.op(seed, begun));
          String diff2 = withInFlight.differenceFrom(store);
          if (diff2 != null) {
            fail("after " + where + ": the store is neither the state after the acknowledged operations 0.." + acked
                + " (" + diff + ") nor that plus the one in flight, #" + begun + " " + beganKind + " (" + diff2 + ")");
          }
          model = withInFlight;
          next = begun + 1;
          inFlightLanded++;
        } else {
          fail("after " + where + ": the store differs from the state after the acknowledged operations 0.." + acked
              + ": " + diff);
        }
      } finally {
        store.close();
      }
    }
    assertTrue(killedIn.getOrDefault("during CHECKPOINT", 0) >= 2 && killedIn.getOrDefault("during ADD", 0) >= 2,
        "kills landed in checkpoints and tile adds: " + killedIn);
    assertTrue(next > 300, "the children made progress: " + next + " operations; kills " + killedIn
        + ", in-flight operations that landed " + inFlightLanded + ", inactive keys dropped " + model.dropped);
  }

  /**
   * The workload's model plus what a checkpoint does to inactive keys: the store remembers the
   * retention of the view's latest tile add (forgotten by a clear, kept across reopening), and a
   * checkpoint drops the keys none of whose tiles it keeps.
   */
  static final class ExpiringModel {
    final OnlineWriterMain.Model model;
    WindowTiles.Retention retention;
    int dropped; // keys checkpoints dropped so far

    ExpiringModel() {
      this(new OnlineWriterMain.Model(), null);
    }

    private ExpiringModel(OnlineWriterMain.Model model, WindowTiles.Retention retention) {
      this.model = model;
      this.retention = retention;
    }

    ExpiringModel copy() {
      ExpiringModel m = new ExpiringModel(model.copy(), retention);
      m.dropped = dropped;
      return m;
    }

    void apply(OnlineWriterMain.Op op) {
      model.apply(op);
      if (op.kind == OnlineWriterMain.Kind.ADD) {
        retention = op.retention;
      } else if (op.kind == OnlineWriterMain.Kind.CLEAR && op.view.equals(OnlineWriterMain.TILES)) {
        retention = null;
      } else if (op.kind == OnlineWriterMain.Kind.CHECKPOINT && retention != null) {
        WindowTiles.Retention keep = retention;
        int before = model.tiles.size();
        model.tiles.values().removeIf(t -> t.retain(keep) == null);
        dropped += before - model.tiles.size();
      }
    }

    String differenceFrom(EmbeddedOnlineStore s) {
      return model.differenceFrom(s);
    }
  }

  private static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "(no output)";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
