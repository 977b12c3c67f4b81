package org.sieveml.features;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;
import org.sieveml.core.EntityKey;
import org.sieveml.features.internal.FileIo;
import org.sieveml.features.internal.History;
import org.sieveml.features.internal.OnlineCodec;
import org.sieveml.features.internal.OnlineCodec.AddTiles;
import org.sieveml.features.internal.OnlineCodec.Clear;
import org.sieveml.features.internal.OnlineCodec.Commit;
import org.sieveml.features.internal.OnlineCodec.End;
import org.sieveml.features.internal.OnlineCodec.Erase;
import org.sieveml.features.internal.OnlineCodec.Generation;
import org.sieveml.features.internal.OnlineCodec.HistoryStart;
import org.sieveml.features.internal.OnlineCodec.Mark;
import org.sieveml.features.internal.OnlineCodec.Op;
import org.sieveml.features.internal.OnlineCodec.PutTiles;
import org.sieveml.features.internal.OnlineCodec.Rows;
import org.sieveml.features.internal.OnlineCodec.Stamp;
import org.sieveml.features.internal.RecordLog;
import org.sieveml.features.internal.Salvage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process {@link OnlineStore}: per view, concurrent hash maps from entity key to its latest
 * {@link OnlineRow} and to its {@link WindowTiles}, plus the named marks. Reads take no lock (rows and
 * tiles are immutable objects published through the maps); every write is atomic per key.
 *
 * <p><b>Persistence</b> ({@link #open(Path)}, {@link #builder(Path)}): everything the store holds —
 * rows, tile adds (each delta with its retention), tile puts, erasures, clears and marks — goes through
 * a write-ahead log ({@code online-wal.log}) and a snapshot ({@code online.snap}) in the directory,
 * format version {@value org.sieveml.features.internal.OnlineCodec#FORMAT_NO_HISTORY}, or
 * {@value org.sieveml.features.internal.OnlineCodec#FORMAT} with history: CRC32C-checked records of
 * primitives and UTF-8 text, never Java-serialized objects (see {@code OnlineCodec}). <b>Log before
 * memory:</b> a write is appended to the log before memory changes, in the same order for both, so
 * replaying the log rebuilds exactly what was served. When the log is forced is the store's
 * {@link Durability} policy (default {@link Durability#DEFAULT}: group commit every 50 ms); that class
 * states what a process crash and a power loss can lose under each policy. In short: a
 * {@code kill -9} loses no write whose call returned, under every policy.
 *
 * <p>{@link #checkpoint()} writes the whole state to {@code online.snap.tmp}, forces it, renames it over
 * {@code online.snap}, forces the directory, and only then empties the log. The log and the snapshot
 * carry a generation number, so a crash anywhere in between is recovered exactly: a log the snapshot
 * already covers is skipped, never applied twice (tile adds are not idempotent). Erased and cleared
 * values leave the disk at the next checkpoint.
 *
 * <p><b>Automatic checkpoints</b> ({@link Builder#checkpointAfterLogBytes(long)}, default
 * {@value #DEFAULT_CHECKPOINT_LOG_BYTES} bytes = 64 MiB): the write that makes the log hold at least
 * that many bytes, and at least as many as the last snapshot, asks for a checkpoint; it runs on the
 * store's scheduler (the one {@link Builder#scheduler} supplies, else the store's own daemon thread),
 * never on a writer's thread, and at most one is queued or running at a time (a checkpoint runs under
 * the exclusive lock, so never two at once, manual or automatic). The second bound keeps the cost
 * proportional: a large state is rewritten only after about as many bytes were logged, as Redis's
 * {@code auto-aof-rewrite-percentage 100} does. This bounds the log, and so the disk it takes and the
 * replay on reopening, to about the larger of the threshold and the snapshot, plus the writes that
 * arrive while a checkpoint waits for its turn. <b>What it costs:</b> every write (not the reads) waits
 * for the exclusive lock while the whole state is written and forced ({@code online.snap.tmp}), so
 * writes pause for about the time of writing the snapshot, at each checkpoint; on a host's scheduler
 * the checkpoint occupies one of its threads for as long. {@code 0} turns this off (the log then
 * grows until the host calls {@code checkpoint()}). An automatic checkpoint that fails before its
 * rename is logged and retried once the log has grown by the threshold again; after its rename the
 * store is fail-stop as after a manual one.
 *
 * <p><b>Inactive entities</b>: a key's tiles are pruned by {@link WindowTiles#merge} only when the key
 * is written again, so an entity active once would keep its tiles forever (Redis expires such keys).
 * The store therefore remembers, per view, the {@link WindowTiles.Retention} of the latest
 * {@link #addTiles} (forgotten by {@link #clear}); each checkpoint leaves out of the snapshot every key
 * of the view none of whose tiles that retention keeps (those {@link WindowTiles#retain} would turn to
 * null), and once the snapshot has its name removes the same keys from memory, under the same
 * exclusive lock, so memory and what reopening loads agree. Keys with some tile still kept are left as
 * they are. The retentions are part of the state: logged with each add and written to the snapshot
 * (as tile-add records without deltas), so a reopened store drops what the closed one would have. A
 * checkpoint failing before its rename drops nothing.
 *
 * <p><b>Recovery</b> on opening: the snapshot must be intact (it was forced before it got its name):
 * any damage is refused with a {@link StorageCorruptedException} naming the file and byte. The log is
 * replayed; a torn record at its very end (a write the crash cut, never acknowledged) is cut off with
 * a warning; damage followed by an intact record is refused, never dropped. Every record of the log
 * (and of the snapshot) carries its number in the file, the generation record being 0 and each next
 * record one more, and replay requires them to follow each other: a whole record cut cleanly out of
 * the middle of the log, which no record checksum can notice, is refused naming the log and the offset
 * of the first record after the gap (never replayed past, which would load a state that never existed).
 * Every record is decoded and checked before a torn tail is cut, so a refused file is left as it was.
 * A directory of format 1 ({@code online.snapshot}, {@code online.wal}, written by earlier versions)
 * is loaded (its rows get the empty version, which no view has, so they are not served as live until
 * rewritten), written as a format 2 snapshot, and its format 1 files are then deleted.
 *
 * <p><b>I/O errors</b>: a write whose append fails throws {@link UncheckedIOException} and leaves
 * memory unchanged; under {@link Durability#SYNC_EVERY_WRITE} so does a write whose force fails (memory
 * changes only after the force). After any I/O error on the log (an append, a force, the background
 * force, or a checkpoint after its rename) the store is <em>fail-stop</em>: reads keep serving memory,
 * every later write, {@code sync} and {@code checkpoint} throws {@link UncheckedIOException} naming
 * the first error, and the host reopens the store to recover what the disk holds. (After a failed
 * {@code fsync} the kernel may have dropped the unwritten pages, so nothing the process believes can be
 * trusted.) A write that threw may or may not be present after reopening; a checkpoint that fails
 * before its rename leaves the store usable.
 *
 * <p><b>History for as-of reads</b> ({@link #keepHistory}, set by
 * {@link FeatureStore.Builder#historyHorizon}; off by default, and then free): each applied write is
 * stamped with the history clock (never below the previous stamp), and per (view, key) the store keeps
 * the states the key took within the horizon plus the one current at the horizon's start, so
 * {@link #readAsOf} and {@link #readTilesAsOf} return exactly what {@link #read} and
 * {@link #readTiles} returned at any time within it. A key not changed within the horizon has no
 * history (its current value answers); a changed key costs one reference per change to the row or tile
 * set it then held (a row is shared with the current value; a tile add makes a new tile set, so a key's
 * tile history costs a whole tile set per add). Histories are trimmed when their key is written.
 * Superseded rows leave no history; {@link #erase} and {@link #clear} drop the history with the value.
 * Memory: each retained change keeps the row (or tile set) it wrote alive plus about 16 bytes of
 * history arrays; measured ({@code AsOfHistoryBytesBenchmark}, 20 DOUBLE features, 20 writes per key in a
 * 48 h horizon): 356 bytes per retained row version, 7.9 KB per entity against 0.44 KB without history.
 *
 * <p><b>History on disk</b> (format 3): in the log, each write of a store keeping history follows a
 * stamp record with its time, in the same append under the same lock; the snapshot holds where the
 * history starts and each key's kept states, each after its stamp, before the current state. Replay
 * and loading rebuild the history through the same path as the live write, so a reopened store
 * answers as-of reads as the closed one did. A crash or a power loss loses exactly the history of the
 * writes it loses (a write is never replayed without its stamp, which precedes it in the log; a stamp
 * without its write, torn off the log's end, changes nothing) and nothing else. A store opened with
 * history and written without it (no {@link #keepHistory}) drops the history, and logs that it did,
 * so a later open cannot answer for times it did not record. Files without history records stay
 * format {@value org.sieveml.features.internal.OnlineCodec#FORMAT_NO_HISTORY} (readable by earlier
 * releases); starting a history ({@link #keepHistory} on a store without one) checkpoints, so the new
 * log starts in format 3. Both formats are read.
 *
 * <p><b>Thread-safety</b>: thread-safe. Writers append in one order and share forces; a checkpoint
 * waits for writes in progress and blocks writers (not readers) while it writes the snapshot.
 * {@link #close()}, in this order: waits for a running checkpoint to finish (it holds the exclusive
 * lock close takes) and for writes in progress, refuses new writes, cancels the group-commit task and
 * a queued automatic checkpoint (one already started finds the store closed under the lock and does
 * nothing), forces the log, closes it, shuts down the store's own scheduler thread and waits for it (a
 * host's scheduler keeps running), and releases the directory lock. It does not checkpoint. Reads
 * after close serve memory.
 * One store per directory: a second open, in this or another process, is refused.
 */
public final class EmbeddedOnlineStore implements OnlineStore {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedOnlineStore.class);
  /** The write-ahead log's file name. */
  static final String WAL = "online-wal.log";
  /** The snapshot's file name. */
  static final String SNAPSHOT = "online.snap";
  static final String LEGACY_WAL = "online.wal";
  static final String LEGACY_SNAPSHOT = "online.snapshot";
  static final String LOCK = "online.lock";
  /** The default of {@link Builder#checkpointAfterLogBytes(long)}: 64 MiB. */
  public static final long DEFAULT_CHECKPOINT_LOG_BYTES = 64L << 20;
  /** Bytes of the log file's header, before its records. */
  private static final long LOG_HEADER = 16;
  /** Bytes of a log holding only its generation record (header, record header, number, 'G' and a long). */
  private static final long EMPTY_LOG = LOG_HEADER + 12 + OnlineCodec.NUMBER_BYTES + 9;
  private static final int SNAPSHOT_BATCH = 512;
  private static final Set<Path> OPEN_DIRS = ConcurrentHashMap.newKeySet();
  /** The stamp of a write that records no history. */
  private static final long NO_STAMP = Long.MIN_VALUE;

  private final ConcurrentHashMap<String, ConcurrentHashMap<Object, OnlineRow>> views = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConcurrentHashMap<Object, WindowTiles>> tiles = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> marks = new ConcurrentHashMap<>();
  /** Per view, the retention of its latest tile add (part of the state: logged and snapshotted). */
  private final ConcurrentHashMap<String, WindowTiles.Retention> retentions = new ConcurrentHashMap<>();
  /** Per view and key, the recent rows (as-of reads); only keys changed within the horizon have one. */
  private final ConcurrentHashMap<String, ConcurrentHashMap<Object, History<OnlineRow>>> rowHistory =
      new ConcurrentHashMap<>();
  /** Per view and key, the recent tile sets (as-of reads). */
  private final ConcurrentHashMap<String, ConcurrentHashMap<Object, History<WindowTiles>>> tileHistory =
      new ConcurrentHashMap<>();
  /** How far back as-of reads reach, milliseconds; 0: no history is kept. */
  private volatile long horizonMillis;
  /** Stamps applied writes (set with the horizon). */
  private volatile LongSupplier historyClock;
  /** From when on the history is complete ({@link #NO_STAMP}: never). */
  private volatile long historySince = NO_STAMP;
  /** The stamp of the latest write appended; guarded by order. */
  private long lastStamp = NO_STAMP;
  /** The stamp of the records being replayed (recovery only, single-threaded). */
  private long replayStamp = NO_STAMP;
  /** Whether the file being loaded holds history records (recovery only). */
  private boolean sawHistory;

  private final Path dir;
  /** What a salvage-mode open skipped; null in the default mode. */
  private final Salvage salvage;
  private final FileIo io;
  private final Durability durability;
  private final OnlineCodec codec = new OnlineCodec();
  /** Writes hold it shared over append, force and apply; a checkpoint and close hold it exclusively. */
  private final ReentrantReadWriteLock cut = new ReentrantReadWriteLock();
  /** Appends (and, unless syncing every write, applies) happen under it: log order is apply order. */
  private final Object order = new Object();
  /** Appended, not yet applied (SYNC_EVERY_WRITE only); guarded by {@link #order}. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long appendedSeq; // guarded by order
  private final Object applyLock = new Object();
  /** Serializes commits: the compare-and-set of their marks, their log record and their apply. */
  private final Object commitLock = new Object();
  private long appliedSeq; // guarded by applyLock
  private RecordLog log;
  private long generation; // of the open log; guarded by cut (exclusive to change)
  /** The number of the next record appended to the log (its generation record is 0); guarded by order. */
  private long nextRecord;
  private volatile IOException failure;
  private volatile boolean closed;
  private ScheduledExecutorService ownScheduler;
  /** Runs group commits and automatic checkpoints; null when neither is on. */
  private ScheduledExecutorService scheduler;
  private ScheduledFuture<?> commitTask;
  /** 0: no automatic checkpoints. */
  private final long checkpointLogBytes;
  /** The log file size at which a write asks for a checkpoint ({@code Long.MAX_VALUE}: never). */
  private volatile long checkpointAt = Long.MAX_VALUE;
  /** The size of the last snapshot written or loaded; guarded by cut (exclusive to change). */
  private long snapshotBytes;
  /** Set when the host's scheduler ran a checkpoint on a writing thread: no more automatic ones. */
  private volatile boolean automaticOff;
  /** An automatic checkpoint is queued or running. */
  private final AtomicBoolean checkpointQueued = new AtomicBoolean();
  private volatile Future<?> checkpointTask;
  private Path lockKey;
  private FileChannel lockChannel;
  private FileLock lock;

  /** A key a checkpoint left out of its snapshot, to be removed from memory once the snapshot is in place. */
  private record Dropped(ConcurrentHashMap<Object, WindowTiles> map, Object key, WindowTiles tiles) {}

  /** A write appended to the log, waiting for its force before memory changes. */
  private static final class Pending {
    final long seq;
    final Op op;
    final long stamp;
    int result;

    Pending(long seq, Op op, long stamp) {
      this.seq = seq;
      this.op = op;
      this.stamp = stamp;
    }
  }

  /** Creates an empty in-memory store (nothing persisted). */
  public EmbeddedOnlineStore() {
    this.dir = null;
    this.salvage = null;
    this.io = null;
    this.durability = Durability.MANUAL;
    this.checkpointLogBytes = 0;
  }

  private EmbeddedOnlineStore(Builder b) throws IOException {
    this.dir = b.dir;
    this.salvage = b.salvage ? new Salvage() : null;
    this.io = b.io;
    this.durability = b.durability;
    this.checkpointLogBytes = b.checkpointLogBytes;
    io.createDirectories(dir);
    lockDirectory();
    try {
      recover();
    } catch (IOException | RuntimeException e) {
      if (log != null) {
        try {
          log.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      unlockDirectory();
      throw e;
    }
    boolean groupCommit = durability.mode() == Durability.Mode.GROUP_COMMIT;
    if (groupCommit || checkpointLogBytes > 0) {
      scheduler = b.scheduler;
      if (scheduler == null) {
        ownScheduler = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "sieveml-online-commit");
          t.setDaemon(true);
          return t;
        });
        scheduler = ownScheduler;
      }
    }
    if (groupCommit) {
      long ms = durability.interval().toMillis();
      commitTask = scheduler.scheduleWithFixedDelay(this::groupCommit, ms, ms, TimeUnit.MILLISECONDS);
    }
    checkpointAt = checkpointDue(EMPTY_LOG);
    if (salvage != null && salvage.count() > 0) {
      checkpoint(); // the salvaged log has gaps a default open refuses: the snapshot holds its records now
    } else if (LOG_HEADER + log.recordBytes() >= checkpointAt) { // a long log replayed: cut it soon
      requestCheckpoint();
    }
  }

  /**
   * What opening in salvage mode skipped ({@link Builder#salvage(boolean)}).
   *
   * @return the report; {@link SalvageReport#CLEAN} when nothing was skipped or not in salvage mode
   */
  public SalvageReport salvageReport() {
    return salvage == null ? SalvageReport.CLEAN : salvage.report();
  }

  /**
   * Opens (or creates) a persistent store in a directory with the default {@link Durability}, recovering
   * its snapshot and log.
   *
   * @param dir the directory (created if absent); one store per directory
   * @return the store
   * @throws IllegalArgumentException if {@code dir} is null
   * @throws IllegalStateException if another store has the directory open
   * @throws StorageCorruptedException naming the file and byte if a file is damaged
   * @throws UncheckedIOException if the directory cannot be used
   */
  public static EmbeddedOnlineStore open(Path dir) {
    return builder(dir).build();
  }

  /**
   * Configures a persistent store in a directory.
   *
   * @param dir the directory (created if absent)
   * @return a builder
   * @throws IllegalArgumentException if {@code dir} is null
   */
  public static Builder builder(Path dir) {
    if (dir == null) {
      throw new IllegalArgumentException("directory is null, expected the store's directory");
    }
    return new Builder(dir);
  }

  // ================================================================== recovery

  private void lockDirectory() throws IOException {
    Path key = dir.toAbsolutePath().normalize();
    if (!OPEN_DIRS.add(key)) {
      throw new IllegalStateException("online store directory " + dir + " is already open in this process");
    }
    lockKey = key;
    try {
      lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      lock = lockChannel.tryLock();
      if (lock == null) {
        throw new IllegalStateException("online store directory " + dir + " is open in another process");
      }
    } catch (IOException | RuntimeException e) {
      unlockDirectory();
      throw e;
    }
  }

  private void unlockDirectory() {
    try {
      if (lock != null) {
        lock.release();
      }
      if (lockChannel != null) {
        lockChannel.close();
      }
    } catch (IOException e) {
      LOG.warn("cannot release the lock of {}: {}", dir, e.toString());
    } finally {
      lock = null;
      lockChannel = null;
      if (lockKey != null) {
        OPEN_DIRS.remove(lockKey);
        lockKey = null;
      }
    }
  }

  private void recover() throws IOException {
    Path snap = dir.resolve(SNAPSHOT);
    Path walFile = dir.resolve(WAL);
    Path orphan = dir.resolve(SNAPSHOT + ".tmp");
    if (Files.exists(orphan)) { // a checkpoint interrupted before its rename: never the live snapshot
      LOG.info("{}: removing {} left by an interrupted checkpoint", dir, orphan.getFileName());
      io.delete(orphan);
    }
    Path legacySnap = dir.resolve(LEGACY_SNAPSHOT);
    Path legacyWal = dir.resolve(LEGACY_WAL);
    boolean legacy = Files.exists(legacySnap) || Files.exists(legacyWal);
    long covered = 0;
    if (Files.exists(snap)) {
      covered = loadSnapshot(snap);
      if (legacy) { // a migration stopped after its snapshot was in place: the snapshot holds them
        LOG.warn("{}: deleting format 1 files left by an interrupted migration; {} holds their rows", dir, snap);
        deleteLegacy(legacySnap, legacyWal);
      }
    } else if (legacy) {
      if (Files.exists(walFile) && Files.size(walFile) > EMPTY_LOG) {
        throw new StorageCorruptedException(walFile, -1, "a format 2 log with records next to format 1 files "
            + "and no format 2 snapshot: refusing to guess which holds the data");
      }
      migrate(legacySnap, legacyWal, snap);
    }
    List<Op> ops = new ArrayList<>();
    long[] at = {16};
    long[] expectedNumber = {0};
    final long snapshotCovers = covered;
    // every check runs before the log file changes (a torn tail is cut only after all records passed)
    log = RecordLog.open(walFile, io, OnlineCodec.WAL_MAGIC, OnlineCodec.FORMAT, OnlineCodec.FORMAT_NO_HISTORY,
        new ArrayList<>(), r -> {
      Op op;
      long number;
      try {
        number = OnlineCodec.number(r);
        op = codec.decode(r);
      } catch (IOException e) {
        throw new StorageCorruptedException(walFile, at[0], e.getMessage());
      }
      if (ops.isEmpty() && salvage != null && !(op instanceof Generation)) {
        salvage.skip(walFile, 16, 0, "the log's generation record is lost; assuming generation "
            + (snapshotCovers + 1) + ", the one after the snapshot");
        ops.add(new Generation(snapshotCovers + 1));
        expectedNumber[0] = number;
      }
      if (ops.isEmpty()) {
        if (!(op instanceof Generation g)) {
          throw new StorageCorruptedException(walFile, at[0], "the log does not start with its generation record");
        }
        if (g.generation() < 0) {
          throw new StorageCorruptedException(walFile, at[0], "log generation " + g.generation() + " is negative");
        }
        if (g.generation() > snapshotCovers + 1) {
          throw new StorageCorruptedException(walFile, at[0], "log generation " + g.generation() + " does not "
              + "follow the snapshot, which covers generations up to " + snapshotCovers + " ("
              + (snapshotCovers == 0 ? "no snapshot" : snap) + "): the records of the generations between are missing");
        }
      } else if (op instanceof Generation || op instanceof End) {
        throw new StorageCorruptedException(walFile, at[0], "a " + op.getClass().getSimpleName() + " record inside "
            + "the log, where only its first record names a generation");
      }
      long expected = expectedNumber[0];
      if (number > expected && salvage != null) {
        salvage.skip(walFile, -1, 0, (number - expected == 1 ? "record " + expected + " is"
            : "records " + expected + " to " + (number - 1) + " are") + " missing before record " + number);
      } else if (number != expected) {
        // each record's checksum covers only itself: the numbers chain them, so a record cut cleanly out
        // of the middle (or repeated) is refused here instead of replaying the records after it
        throw new StorageCorruptedException(walFile, at[0], number > expected && expected > 0
            ? "record number " + number + " follows record " + (expected - 1) + ": "
                + (number - expected == 1 ? "record " + expected + " is" : "records " + expected + " to " + (number - 1)
                + " are") + " missing from the middle of the log; refusing to replay the records after the gap"
            : "record number " + number + " where record " + expected + " was expected (records out of order)");
      }
      ops.add(op);
      expectedNumber[0] = number + 1;
      at[0] += 12 + r.remaining();
    }, salvage);
    if (ops.isEmpty()) {
      startGeneration(covered + 1, false);
      return;
    }
    nextRecord = ops.size();
    Generation g = (Generation) ops.get(0);
    if (g.generation() <= covered) {
      LOG.info("{}: log generation {} is covered by the snapshot (a checkpoint stopped before emptying the log); "
          + "skipping its {} records", walFile, g.generation(), ops.size() - 1);
      startGeneration(covered + 1, true);
      return;
    }
    generation = g.generation();
    sawHistory = false;
    for (int i = 1; i < ops.size(); i++) {
      replay(ops.get(i));
    }
    if (sawHistory && log.version() < OnlineCodec.FORMAT) {
      throw new StorageCorruptedException(walFile, 8, "history records in a log of format " + log.version()
          + ", which has none (format " + OnlineCodec.FORMAT + " added them)");
    }
    if (ops.size() > 1) {
      LOG.info("{}: replayed {} records of log generation {}", walFile, ops.size() - 1, generation);
    }
  }

  /**
   * Empties the log (if asked, or when its format must change: format 3 while history is kept, else
   * format 2) and starts it with a generation record, forced.
   */
  private void startGeneration(long gen, boolean reset) throws IOException {
    int format = fileFormat();
    if (reset || log.version() != format) {
      log.reset(format);
    }
    long n = 0;
    for (byte[] p : codec.encode(new Generation(gen))) {
      log.append(ByteBuffer.wrap(OnlineCodec.number(p, n++)));
    }
    nextRecord = n;
    log.force();
    generation = gen;
  }

  /** Loads a snapshot; returns the log generation it covers. */
  private long loadSnapshot(Path snap) throws IOException {
    long[] covered = {-1};
    long[] counts = new long[3];
    boolean[] ended = {false};
    long size;
    try (FileChannel ch = io.open(snap, StandardOpenOption.READ);
        InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 1 << 16)) {
      size = ch.size();
      long[] records = {0};
      sawHistory = false;
      int format = OnlineCodec.readStrict(in, size, snap, OnlineCodec.SNAP_MAGIC, OnlineCodec.FORMAT_NO_HISTORY,
          OnlineCodec.FORMAT, (offset, payload) -> {
        long number = OnlineCodec.number(payload);
        Op op = codec.decode(payload);
        if (number != records[0]) {
          throw new IOException("record number " + number + " where record " + records[0] + " was expected (a record "
              + "cut out of the snapshot or out of order)");
        }
        records[0]++;
        if (ended[0]) {
          throw new IOException("a record follows the end record");
        }
        if (covered[0] < 0) {
          if (!(op instanceof Generation g) || g.generation() < 0) {
            throw new IOException("the snapshot does not start with its generation record");
          }
          if (g.generation() == Long.MAX_VALUE) {
            throw new IOException("the snapshot covers log generation " + Long.MAX_VALUE + ", which nothing can follow");
          }
          covered[0] = g.generation();
        } else if (op instanceof End e) {
          if (e.rows() != counts[0] || e.tileSets() != counts[1] || e.marks() != counts[2]) {
            throw new IOException("the end record counts " + e.rows() + " rows, " + e.tileSets() + " tile sets and "
                + e.marks() + " marks, the snapshot holds " + counts[0] + ", " + counts[1] + " and " + counts[2]);
          }
          ended[0] = true;
        } else if (op instanceof Rows r) {
          counts[0] += r.rows().size();
          replay(op);
        } else if (op instanceof PutTiles p) {
          counts[1] += p.sets().size();
          replay(op);
        } else if (op instanceof Stamp || op instanceof HistoryStart) {
          replay(op);
        } else if (op instanceof Mark) {
          counts[2]++;
          apply(op);
        } else if (op instanceof AddTiles a && a.deltas().isEmpty()) { // a view's latest retention
          apply(op);
        } else {
          throw new IOException("a snapshot holds no " + op.getClass().getSimpleName() + " records");
        }
      });
      if (sawHistory && format < OnlineCodec.FORMAT) {
        throw new StorageCorruptedException(snap, 8, "history records in a snapshot of format " + format
            + ", which has none (format " + OnlineCodec.FORMAT + " added them)");
      }
    }
    replayStamp = NO_STAMP;
    if (!ended[0]) {
      throw new StorageCorruptedException(snap, size, "the snapshot has no end record (cut short)");
    }
    snapshotBytes = size;
    LOG.debug("{}: loaded a snapshot covering log generation {}", snap, covered[0]);
    return covered[0];
  }

  private void migrate(Path legacySnap, Path legacyWal, Path snap) throws IOException {
    OnlineCodec.OpSink sink = this::apply;
    if (Files.exists(legacySnap)) {
      OnlineCodec.readLegacySnapshot(Files.readAllBytes(legacySnap), legacySnap, sink);
    }
    if (Files.exists(legacyWal)) {
      long torn = OnlineCodec.readLegacyWal(Files.readAllBytes(legacyWal), legacyWal, sink);
      if (torn > 0) {
        LOG.warn("{}: ignoring a torn last record of {} bytes (a write cut by a crash)", legacyWal, torn);
      }
    }
    writeSnapshotInPlace(snap, 0);
    io.delete(dir.resolve(WAL)); // an empty log of an earlier attempt: started afresh after the snapshot
    deleteLegacy(legacySnap, legacyWal);
    LOG.info("{}: converted format 1 files ({} rows) to format {}", dir, size(), OnlineCodec.FORMAT);
  }

  private void deleteLegacy(Path legacySnap, Path legacyWal) throws IOException {
    io.delete(legacyWal);
    io.delete(legacySnap);
    io.syncDirectory(dir);
  }

  private long size() {
    long n = 0;
    for (ConcurrentHashMap<Object, OnlineRow> m : views.values()) {
      n += m.size();
    }
    return n;
  }

  // ================================================================== writing

  /** Appends an op and applies it, under the store's durability policy; returns what apply returned. */
  private int submit(Op op) {
    if (dir == null) {
      return apply(op, op instanceof Mark ? NO_STAMP : stamp());
    }
    List<byte[]> payloads = codec.encode(op); // a bad name or key is refused here, before anything changes
    cut.readLock().lock();
    try {
      Pending p = null;
      long end = 0;
      synchronized (order) {
        checkWritable();
        long stamp = op instanceof Mark ? NO_STAMP : stamp();
        boolean dropHistory = stamp == NO_STAMP && !(op instanceof Mark) && historySince != NO_STAMP;
        try {
          // the stamp (or the end of a loaded history no longer kept) goes before the write it dates
          Op pre = stamp != NO_STAMP ? new Stamp(stamp) : dropHistory ? new HistoryStart(NO_STAMP) : null;
          if (pre != null) {
            for (byte[] b : codec.encode(pre)) {
              end = log.append(ByteBuffer.wrap(OnlineCodec.number(b, nextRecord)));
              nextRecord++;
            }
          }
          for (byte[] b : payloads) {
            end = log.append(ByteBuffer.wrap(OnlineCodec.number(b, nextRecord)));
            nextRecord++; // after the append: a failed one leaves the store fail-stop, appending nothing more
          }
        } catch (IOException e) {
          throw fail("append to the write-ahead log", e);
        }
        if (dropHistory) { // a store opened with history and written without: what it kept no longer holds
          historySince = NO_STAMP;
          rowHistory.clear();
          tileHistory.clear();
        }
        if (end >= checkpointAt) {
          requestCheckpoint();
        }
        if (durability.mode() != Durability.Mode.SYNC_EVERY_WRITE) {
          return apply(op, stamp);
        }
        p = new Pending(++appendedSeq, op, stamp);
        pending.add(p);
      }
      force(end);
      synchronized (applyLock) { // in log order: whoever gets here first applies every forced record before it
        while (appliedSeq < p.seq) {
          Pending q;
          synchronized (order) {
            q = pending.poll();
          }
          q.result = apply(q.op, q.stamp);
          appliedSeq = q.seq;
        }
      }
      return p.result;
    } finally {
      cut.readLock().unlock();
    }
  }

  private void checkWritable() {
    if (closed) {
      throw new IllegalStateException("the online store in " + dir + " is closed");
    }
    IOException f = failure;
    if (f != null) {
      throw new UncheckedIOException("the online store in " + dir + " refuses writes after an I/O error on its log ("
          + f.getMessage() + "); reopen it to recover what the disk holds", f);
    }
  }

  private void force(long upTo) {
    checkWritable();
    try {
      log.force(upTo);
    } catch (IOException e) {
      throw fail("force the write-ahead log", e);
    }
  }

  private UncheckedIOException fail(String what, IOException e) {
    if (failure == null) {
      failure = e;
      LOG.error("online store in {}: cannot {}; refusing further writes until it is reopened", dir, what, e);
    }
    return new UncheckedIOException("cannot " + what + " of the online store in " + dir + ": " + e.getMessage(), e);
  }

  private void groupCommit() {
    if (!cut.readLock().tryLock()) {
      return; // a checkpoint or close holds the log; both force it themselves
    }
    try {
      if (closed || failure != null || !log.dirty()) {
        return;
      }
      log.force();
    } catch (IOException e) {
      fail("force the write-ahead log (group commit)", e);
    } catch (RuntimeException e) { // never let the periodic task die silently
      LOG.error("online store in {}: group commit failed", dir, e);
    } finally {
      cut.readLock().unlock();
    }
  }

  /**
   * The stamp of a write applied now: the history clock, never below the previous stamp (so a key's
   * history stays in order when the clock steps back); {@link #NO_STAMP} when no history is kept.
   * Persistent stores call it under {@link #order}.
   */
  private long stamp() {
    if (horizonMillis == 0) {
      return NO_STAMP;
    }
    long s = historyClock.getAsLong();
    if (dir != null) {
      s = Math.max(s, lastStamp);
      lastStamp = s;
    }
    return s;
  }

  /** Applies an op to memory without history (format 1 migration and marks). */
  private int apply(Op op) {
    return apply(op, NO_STAMP);
  }

  /**
   * Applies a record read back from the log or the snapshot: a stamp sets the time of the writes after
   * it, a history start sets (or, with none, drops) the history, a write is applied with the current
   * stamp, so the history is rebuilt as it was recorded (untrimmed until the horizon is known again).
   */
  private void replay(Op op) {
    if (op instanceof Stamp st) {
      sawHistory = true;
      replayStamp = st.at();
      lastStamp = Math.max(lastStamp, st.at());
      return;
    }
    if (op instanceof HistoryStart h) {
      sawHistory = true;
      historySince = h.since();
      if (h.since() == NO_STAMP) {
        rowHistory.clear();
        tileHistory.clear();
        replayStamp = NO_STAMP;
      }
      return;
    }
    apply(op, op instanceof Mark ? NO_STAMP : replayStamp);
  }

  /** The format files are written in: 3 while history is kept (or was loaded), else 2. */
  private int fileFormat() {
    return historySince != NO_STAMP ? OnlineCodec.FORMAT : OnlineCodec.FORMAT_NO_HISTORY;
  }

  /**
   * Applies an op to memory; with a stamp, records each change in its key's history (inside the
   * key's atomic update, before the new value is published, so a reader that sees the new value finds
   * the history that explains it).
   */
  private int apply(Op op, long stamp) {
    long horizon = horizonMillis;
    // replayed before the horizon is known again: nothing is trimmed yet
    long cutoff = stamp == NO_STAMP || horizon == 0 ? Long.MIN_VALUE : stamp - horizon;
    if (op instanceof Rows r) {
      ConcurrentHashMap<Object, OnlineRow> m = views.computeIfAbsent(r.view(), v -> new ConcurrentHashMap<>());
      ConcurrentHashMap<Object, History<OnlineRow>> hist = stamp == NO_STAMP ? null
          : rowHistory.computeIfAbsent(r.view(), v -> new ConcurrentHashMap<>());
      int applied = 0;
      if (hist == null) { // no history to record: compare-and-set, without a lambda per row
        for (OnlineRow row : r.rows()) {
          Object k = mapKey(row.key());
          OnlineRow old = m.get(k);
          while (row.isNewerThan(old)) {
            OnlineRow seen = old == null ? m.putIfAbsent(k, row) : m.replace(k, old, row) ? old : m.get(k);
            if (seen == old) {
              applied++;
              break;
            }
            old = seen; // another writer's row came in between: compare with it
          }
        }
        return applied;
      }
      for (OnlineRow row : r.rows()) {
        boolean[] won = new boolean[1];
        m.compute(mapKey(row.key()), (k, old) -> {
          if (row.isNewerThan(old)) {
            won[0] = true;
            if (hist != null) {
              hist.compute(k, (kk, h) -> History.record(h, old, stamp, row, cutoff));
            }
            return row;
          }
          return old;
        });
        if (won[0]) {
          applied++;
        }
      }
      return applied;
    }
    if (op instanceof AddTiles a) {
      retentions.put(a.view(), a.retention()); // in log order: replay remembers the same one
      if (a.deltas().isEmpty()) {
        return 0; // a snapshot's record of the retention
      }
      ConcurrentHashMap<Object, WindowTiles> m = tiles.computeIfAbsent(a.view(), v -> new ConcurrentHashMap<>());
      ConcurrentHashMap<Object, History<WindowTiles>> hist = stamp == NO_STAMP ? null
          : tileHistory.computeIfAbsent(a.view(), v -> new ConcurrentHashMap<>());
      for (WindowTiles d : a.deltas()) {
        m.compute(mapKey(d.key()), (k, old) -> {
          WindowTiles merged = WindowTiles.merge(old, d, a.retention());
          if (hist != null && merged != old) {
            hist.compute(k, (kk, h) -> History.record(h, old, stamp, merged, cutoff));
          }
          return merged;
        });
      }
      return a.deltas().size();
    }
    if (op instanceof PutTiles p) {
      ConcurrentHashMap<Object, WindowTiles> m = tiles.computeIfAbsent(p.view(), v -> new ConcurrentHashMap<>());
      ConcurrentHashMap<Object, History<WindowTiles>> hist = stamp == NO_STAMP ? null
          : tileHistory.computeIfAbsent(p.view(), v -> new ConcurrentHashMap<>());
      for (WindowTiles t : p.sets()) {
        WindowTiles put = t.size() == 0 ? null : t;
        m.compute(mapKey(t.key()), (k, old) -> {
          if (hist != null && put != old) {
            hist.compute(k, (kk, h) -> History.record(h, old, stamp, put, cutoff));
          }
          return put;
        });
      }
      return p.sets().size();
    }
    if (op instanceof Erase e) {
      Object k = mapKey(e.key());
      ConcurrentHashMap<Object, OnlineRow> r = views.get(e.view());
      ConcurrentHashMap<Object, History<OnlineRow>> rh = rowHistory.get(e.view());
      if (r != null) {
        r.compute(k, (kk, old) -> { // the history goes with the value (a privacy erasure erases the past too)
          if (rh != null) {
            rh.remove(kk);
          }
          return null;
        });
      }
      ConcurrentHashMap<Object, WindowTiles> t = tiles.get(e.view());
      ConcurrentHashMap<Object, History<WindowTiles>> th = tileHistory.get(e.view());
      if (t != null) {
        t.compute(k, (kk, old) -> {
          if (th != null) {
            th.remove(kk);
          }
          return null;
        });
      }
      return 1;
    }
    if (op instanceof Clear c) {
      views.remove(c.view());
      tiles.remove(c.view());
      rowHistory.remove(c.view());
      tileHistory.remove(c.view());
      retentions.remove(c.view());
      return 1;
    }
    if (op instanceof Mark m) {
      marks.merge(m.name(), m.value(), Math::max);
      return 1;
    }
    if (op instanceof Commit t) {
      int applied = 0;
      for (Op w : t.writes()) {
        applied += apply(w, stamp);
      }
      for (Mark m : t.marks()) {
        marks.put(m.name(), m.value()); // the compare-and-set was checked before the record was logged
      }
      return applied;
    }
    throw new IllegalStateException("not a write: " + op);
  }

  // ================================================================== the SPI

  /**
   * {@inheritDoc}
   *
   * <p>Atomic per key; the batch is checked whole before anything is written. Thread-safe.
   *
   * @throws IllegalArgumentException naming the field when {@code view}, {@code rows} or a row is null
   *     (nothing is written)
   * @throws UncheckedIOException when the log cannot be written (see the class comment)
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public int write(String view, List<OnlineRow> rows) {
    checkName("view", view);
    if (rows == null) {
      throw new IllegalArgumentException("rows of view '" + view + "' is null, expected a list of rows");
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i) == null) {
        throw new IllegalArgumentException("rows[" + i + "] of view '" + view + "' is null, expected a row");
      }
    }
    if (rows.isEmpty()) {
      return 0;
    }
    return submit(new Rows(view, List.copyOf(rows)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes no lock. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code view}, {@code keys} or a key is null
   */
  @Override
  public List<OnlineRow> read(String view, List<EntityKey> keys) {
    checkKeys(view, keys);
    ConcurrentHashMap<Object, OnlineRow> m = views.get(view);
    List<OnlineRow> out = new ArrayList<>(keys.size());
    for (EntityKey k : keys) {
      out.add(m == null ? null : m.get(mapKey(k)));
    }
    return out;
  }

  /**
   * Reads one key without allocating a list. Takes no lock; thread-safe.
   *
   * @param view the view's name
   * @param key the key
   * @return the row or null
   */
  public OnlineRow read(String view, EntityKey key) {
    ConcurrentHashMap<Object, OnlineRow> m = views.get(view);
    return m == null ? null : m.get(mapKey(key));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Atomic per key (each delta merged in one step; concurrent adds to a key all count); the batch is
   * checked whole first. Persisted with its retention, so replay merges exactly as the live write did.
   * Thread-safe.
   *
   * @throws IllegalArgumentException naming the field when {@code view}, {@code deltas}, a delta or
   *     {@code retention} is null (nothing is written)
   * @throws UncheckedIOException when the log cannot be written
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public void addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
    checkTiles(view, deltas, "deltas");
    if (retention == null) {
      throw new IllegalArgumentException("retention of view '" + view + "' is null, expected a retention "
          + "(WindowTiles.Retention.ALL keeps everything)");
    }
    if (!deltas.isEmpty()) {
      submit(new AddTiles(view, List.copyOf(deltas), retention));
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Atomic per key; the batch is checked whole first. Thread-safe.
   *
   * @throws IllegalArgumentException naming the field when {@code view}, {@code tiles} or a set is null
   * @throws UncheckedIOException when the log cannot be written
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public void putTiles(String view, List<WindowTiles> tiles) {
    checkTiles(view, tiles, "tiles");
    if (!tiles.isEmpty()) {
      submit(new PutTiles(view, List.copyOf(tiles)));
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes no lock. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code view}, {@code keys} or a key is null
   */
  @Override
  public List<WindowTiles> readTiles(String view, List<EntityKey> keys) {
    checkKeys(view, keys);
    ConcurrentHashMap<Object, WindowTiles> m = tiles.get(view);
    List<WindowTiles> out = new ArrayList<>(keys.size());
    for (EntityKey k : keys) {
      out.add(m == null ? null : m.get(mapKey(k)));
    }
    return out;
  }

  /**
   * Reads one key's tiles without allocating a list. Takes no lock; thread-safe.
   *
   * @param view the view's name
   * @param key the key
   * @return the tiles or null
   */
  public WindowTiles readTiles(String view, EntityKey key) {
    ConcurrentHashMap<Object, WindowTiles> m = tiles.get(view);
    return m == null ? null : m.get(mapKey(key));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Each key's history lives next to its value: a key changed within the horizon keeps its changes
   * since the horizon's start plus the state before them; a key not changed within it costs nothing
   * (its current value is its state at every time in the horizon). A history is trimmed when its key is
   * written. Calling it again changes the horizon and the clock; history already kept stays. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code horizon} is null, zero, negative or above 3650 days,
   *     or {@code clock} is null
   */
  @Override
  public void keepHistory(java.time.Duration horizon, LongSupplier clock) {
    checkHorizon(horizon);
    if (clock == null) {
      throw new IllegalArgumentException("history clock is null, expected a supplier of epoch milliseconds");
    }
    if (dir == null) {
      synchronized (order) {
        historyClock = clock;
        horizonMillis = horizon.toMillis();
        if (historySince == NO_STAMP) {
          historySince = clock.getAsLong();
        }
      }
      return;
    }
    cut.writeLock().lock(); // no write in between: every write after this is stamped in a format 3 log
    try {
      checkWritable();
      boolean start = historySince == NO_STAMP;
      synchronized (order) {
        historyClock = clock;
        horizonMillis = horizon.toMillis();
        if (start) {
          historySince = clock.getAsLong();
        }
      }
      if (start) {
        checkpoint(false); // the snapshot records where the history starts; the log restarts in format 3
      }
    } finally {
      cut.writeLock().unlock();
    }
  }

  /** Checks a history horizon. */
  static void checkHorizon(java.time.Duration horizon) {
    if (horizon == null || horizon.isNegative() || horizon.isZero() || horizon.compareTo(MAX_HORIZON) > 0) {
      throw new IllegalArgumentException("history horizon is " + horizon + ", expected a positive duration of at "
          + "most " + MAX_HORIZON);
    }
  }

  /** The longest history horizon accepted. */
  static final java.time.Duration MAX_HORIZON = java.time.Duration.ofDays(3650);

  /**
   * {@inheritDoc}
   *
   * <p>Takes no lock. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code view}, {@code keys} or a key is null, or {@code asOf}
   *     is outside the history (naming it, the horizon and the oldest time available)
   * @throws IllegalStateException when no history is kept ({@link #keepHistory} was not called)
   */
  @Override
  public List<OnlineRow> readAsOf(String view, List<EntityKey> keys, long asOf) {
    checkKeys(view, keys);
    checkAsOf(view, asOf);
    ConcurrentHashMap<Object, OnlineRow> m = views.get(view);
    ConcurrentHashMap<Object, History<OnlineRow>> h = rowHistory.get(view);
    @SuppressWarnings("unchecked")
    List<OnlineRow> rows = (List<OnlineRow>) (List<?>) Arrays.asList(statesAt(keys, m, h, asOf));
    return rows;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes no lock. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code view}, {@code keys} or a key is null, or {@code asOf}
   *     is outside the history (naming it, the horizon and the oldest time available)
   * @throws IllegalStateException when no history is kept ({@link #keepHistory} was not called)
   */
  @Override
  public List<WindowTiles> readTilesAsOf(String view, List<EntityKey> keys, long asOf) {
    checkKeys(view, keys);
    checkAsOf(view, asOf);
    ConcurrentHashMap<Object, WindowTiles> m = tiles.get(view);
    ConcurrentHashMap<Object, History<WindowTiles>> h = tileHistory.get(view);
    @SuppressWarnings("unchecked")
    List<WindowTiles> sets = (List<WindowTiles>) (List<?>) Arrays.asList(statesAt(keys, m, h, asOf));
    return sets;
  }

  /**
   * The states of keys at {@code asOf}, one per key, in order (uncast: a cast would load each state,
   * most of them old and uncached, inside this method's loops, one miss at a time; the caller's short
   * loop over them overlaps those misses).
   *
   * <p>A key with a history is answered from it alone: a change publishes its history (inside the
   * value's atomic update) before its value, and a history's last entry is the value it published. A key
   * without one is read value first, history second, so a reader that sees a new value finds the history
   * that dates it. Two passes: the first looks up every key's history (and answers keys without one, and
   * reads at or after a history's newest change); the second searches the histories left, whose memory
   * the first pass has brought in for all keys at once, where one pass would wait on each key's history
   * before looking up the next.
   */
  private static <T> Object[] statesAt(List<EntityKey> keys, ConcurrentHashMap<Object, T> values,
      ConcurrentHashMap<Object, History<T>> histories, long asOf) {
    int n = keys.size();
    Object[] out = new Object[n];
    Object[] search = new Object[n];
    for (int i = 0; i < n; i++) {
      Object k = mapKey(keys.get(i));
      History<T> past = histories == null ? null : histories.get(k);
      if (past == null) {
        T current = values == null ? null : values.get(k);
        past = histories == null ? null : histories.get(k);
        if (past == null) {
          out[i] = current;
          continue;
        }
      }
      int newest = past.size() - 1;
      if (asOf >= past.time(newest)) {
        out[i] = past.state(newest);
      } else {
        search[i] = past;
      }
    }
    for (int i = 0; i < n; i++) {
      if (search[i] != null) {
        out[i] = ((History<?>) search[i]).at(asOf);
      }
    }
    return out;
  }

  /**
   * The number of past states kept for as-of reads, over every key and view (rows and tile sets; the
   * state before a key's oldest kept change counts). For sizing the history horizon. Thread-safe.
   *
   * @return the number of history entries
   */
  public long historyEntries() {
    long n = 0;
    for (ConcurrentHashMap<Object, History<OnlineRow>> m : rowHistory.values()) {
      for (History<OnlineRow> h : m.values()) {
        n += h.size();
      }
    }
    for (ConcurrentHashMap<Object, History<WindowTiles>> m : tileHistory.values()) {
      for (History<WindowTiles> h : m.values()) {
        n += h.size();
      }
    }
    return n;
  }

  private void checkAsOf(String view, long asOf) {
    long horizon = horizonMillis;
    if (horizon == 0) {
      throw new IllegalStateException("as-of read of view '" + view + "' at asOf=" + asOf + ": this store keeps no "
          + "history (history horizon 0); set FeatureStore.Builder.historyHorizon (or call keepHistory)");
    }
    long now = historyClock.getAsLong();
    if (asOf > now) {
      throw new IllegalArgumentException("asOf=" + asOf + " of an as-of read of view '" + view + "' is after the "
          + "store's clock (" + now + "), expected a time in the history horizon of " + horizon + " ms");
    }
    long oldest = Math.max(historySince, now - horizon);
    if (asOf < oldest) {
      throw new IllegalArgumentException("asOf=" + asOf + " of an as-of read of view '" + view + "' is older than the "
          + "history kept: the history horizon is " + horizon + " ms and the oldest time available is " + oldest
          + (oldest == historySince ? " (history is kept since then)" : " (the clock " + now + " minus the horizon)"));
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The erased values stay in the log and snapshot files until the next {@link #checkpoint()}.
   * Thread-safe.
   *
   * @throws IllegalArgumentException when {@code view} or {@code key} is null
   * @throws UncheckedIOException when the log cannot be written
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public void erase(String view, EntityKey key) {
    checkName("view", view);
    if (key == null) {
      throw new IllegalArgumentException("key to erase from view '" + view + "' is null, expected an entity key");
    }
    submit(new Erase(view, key));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Takes no lock. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code name} is null
   */
  @Override
  public long readMark(String name) {
    checkName("mark name", name);
    return marks.getOrDefault(name, Long.MIN_VALUE);
  }

  /**
   * {@inheritDoc}
   *
   * <p>A value not above the mark writes nothing. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code name} is null
   * @throws UncheckedIOException when the log cannot be written
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public void advanceMark(String name, long value) {
    checkName("mark name", name);
    Long current = marks.get(name);
    if (current != null && current >= value) {
      return; // memory never runs ahead of the log: the mark is already logged at least this high
    }
    submit(new Mark(name, value));
  }

  /**
   * {@inheritDoc}
   *
   * <p>One record of the write-ahead log holds the whole commit (at most
   * {@value org.sieveml.features.internal.OnlineCodec#COMMIT_LIMIT} bytes), so a crash keeps all of it
   * or none: a torn last record is a write that never returned. Commits run one at a time (checking
   * the marks, logging, applying); plain writes run alongside. Thread-safe.
   *
   * @throws IllegalArgumentException when the commit is null, names a view or mark that cannot be
   *     encoded, or is too large (nothing is written)
   * @throws UncheckedIOException when the log cannot be written (see the class comment)
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public boolean commit(OnlineCommit commit) {
    if (commit == null) {
      throw new IllegalArgumentException("commit must not be null");
    }
    List<Op> writes = new ArrayList<>();
    for (OnlineCommit.RowWrite w : commit.rows()) {
      checkName("view", w.view());
      writes.add(new Rows(w.view(), w.rows()));
    }
    for (OnlineCommit.TileAdd a : commit.tiles()) {
      checkName("view", a.view());
      checkTiles(a.view(), a.deltas(), "deltas");
      writes.add(new AddTiles(a.view(), a.deltas(), a.retention()));
    }
    List<Mark> set = new ArrayList<>(commit.marks().size());
    for (OnlineCommit.MarkUpdate m : commit.marks()) {
      checkName("mark name", m.name());
      set.add(new Mark(m.name(), m.value()));
    }
    synchronized (commitLock) {
      for (OnlineCommit.MarkUpdate m : commit.marks()) {
        if (marks.getOrDefault(m.name(), Long.MIN_VALUE) != m.expected()) {
          return false;
        }
      }
      if (writes.isEmpty() && set.isEmpty()) {
        return true;
      }
      submit(new Commit(writes, set));
      return true;
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Marks are not affected. The cleared values stay in the files until the next
   * {@link #checkpoint()}. Thread-safe.
   *
   * @throws IllegalArgumentException when {@code view} is null
   * @throws UncheckedIOException when the log cannot be written
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public void clear(String view) {
    checkName("view", view);
    submit(new Clear(view));
  }

  /**
   * Forces the write-ahead log: every write that returned before this call is durable, whatever the
   * {@link Durability}. A no-op in memory or after {@link #close()}. Thread-safe.
   *
   * @throws UncheckedIOException when the log cannot be forced (the store is then fail-stop)
   */
  @Override
  public void sync() {
    if (dir == null) {
      return;
    }
    cut.readLock().lock();
    try {
      if (closed) {
        return; // close forced everything
      }
      checkWritable();
      try {
        log.force();
      } catch (IOException e) {
        throw fail("force the write-ahead log", e);
      }
    } finally {
      cut.readLock().unlock();
    }
  }

  /**
   * Writes a snapshot of the whole state and empties the write-ahead log (a no-op in memory): the
   * snapshot goes to a temporary file that is forced, renamed into place, and the directory is forced
   * before the log is emptied. Everything written before is then durable. Keys of a view none of whose
   * tiles the view's latest retention keeps are left out of the snapshot and, once it is in place,
   * removed from memory (see the class comment). Blocks writers (not readers) while it runs; never
   * runs at the same time as another checkpoint, manual or automatic. Thread-safe.
   *
   * @throws UncheckedIOException on an I/O error: before the rename the store stays usable (the old
   *     snapshot and the log are untouched, memory drops nothing); after it the store is fail-stop
   * @throws IllegalStateException after {@link #close()}
   */
  public void checkpoint() {
    if (dir == null) {
      return;
    }
    checkpoint(false);
  }

  /**
   * A checkpoint; an automatic one does nothing when the store is closed or fail-stop, or when the log
   * is below its threshold again (a checkpoint ran since it was asked for).
   */
  private void checkpoint(boolean automatic) {
    cut.writeLock().lock();
    try {
      if (automatic && (closed || failure != null || LOG_HEADER + log.recordBytes() < checkpointAt)) {
        return;
      }
      checkWritable();
      if (generation == Long.MAX_VALUE) { // never in practice; refused before a snapshot nothing could follow
        throw new IllegalStateException("the online store in " + dir + " has used every log generation");
      }
      Path snap = dir.resolve(SNAPSHOT);
      Path tmp = dir.resolve(SNAPSHOT + ".tmp");
      List<Dropped> dropped = new ArrayList<>();
      long bytes;
      try {
        bytes = writeSnapshot(tmp, generation, dropped);
        io.rename(tmp, snap);
      } catch (IOException e) {
        try {
          io.delete(tmp);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        checkpointAt = checkpointDue(LOG_HEADER + log.recordBytes()); // retry after as many bytes again
        throw new UncheckedIOException("cannot write a snapshot of the online store in " + dir + ": "
            + e.getMessage(), e);
      }
      // the snapshot under the name is what reopening loads: memory drops the keys it left out, before
      // any write can touch them (writers wait for this lock), so the two agree
      for (Dropped d : dropped) {
        d.map().remove(d.key(), d.tiles());
      }
      snapshotBytes = bytes;
      // the new snapshot covers this log generation: the log must now move to the next one before
      // anything else is appended, and only after the new name is durable
      try {
        io.syncDirectory(dir);
        startGeneration(generation + 1, true);
      } catch (IOException e) {
        throw fail("finish a checkpoint", e);
      }
      checkpointAt = checkpointDue(EMPTY_LOG);
      LOG.debug("online store checkpoint in {} ({}): {} snapshot bytes, {} inactive keys dropped, log generation {}",
          dir, automatic ? "automatic" : "manual", bytes, dropped.size(), generation);
    } finally {
      cut.writeLock().unlock();
    }
  }

  /**
   * The log file size at which a write asks for an automatic checkpoint, for a log now {@code from}
   * bytes long: the threshold or the last snapshot's size further, whichever is larger.
   */
  private long checkpointDue(long from) {
    if (checkpointLogBytes == 0 || automaticOff) {
      return Long.MAX_VALUE;
    }
    long grow = Math.max(checkpointLogBytes, snapshotBytes);
    return grow > Long.MAX_VALUE - from ? Long.MAX_VALUE : from + grow;
  }

  /** Queues an automatic checkpoint on the scheduler unless one is queued or running already. */
  private void requestCheckpoint() {
    if (scheduler == null || !checkpointQueued.compareAndSet(false, true)) {
      return;
    }
    try {
      checkpointTask = scheduler.schedule(this::automaticCheckpoint, 0, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      checkpointQueued.set(false);
      checkpointAt = checkpointDue(checkpointAt); // do not ask again on every write
      LOG.warn("online store in {}: the scheduler refused an automatic checkpoint ({}); the log grows until "
          + "checkpoint() is called", dir, e.toString());
    }
  }

  private void automaticCheckpoint() {
    try {
      if (cut.getReadHoldCount() > 0) { // the host's executor ran the task inline, on a writer's thread
        automaticOff = true;
        checkpointAt = Long.MAX_VALUE;
        LOG.error("online store in {}: the scheduler ran an automatic checkpoint on the writing thread, which "
            + "holds the store's shared lock; automatic checkpoints are off, call checkpoint()", dir);
        return;
      }
      checkpoint(true);
    } catch (RuntimeException e) { // never let the task die silently; the next write past the threshold asks again
      LOG.warn("online store in {}: automatic checkpoint failed: {}", dir, e.toString(), e);
    } finally {
      checkpointQueued.set(false);
    }
  }

  /** Writes a snapshot under its final name (tmp, force, rename, directory sync). */
  private void writeSnapshotInPlace(Path snap, long covers) throws IOException {
    Path tmp = snap.resolveSibling(SNAPSHOT + ".tmp");
    snapshotBytes = writeSnapshot(tmp, covers, null);
    io.rename(tmp, snap);
    io.syncDirectory(dir);
  }

  /**
   * Writes every row, tile set, retention and mark to a file and forces it; the caller excludes writers.
   * With {@code dropped}, keys none of whose tiles their view's retention keeps are left out and listed
   * there. Returns the file's size.
   */
  private long writeSnapshot(Path file, long covers, List<Dropped> dropped) throws IOException {
    try (FileChannel ch = io.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
      out.write(OnlineCodec.header(OnlineCodec.SNAP_MAGIC, fileFormat()));
      long[] number = {0};
      writeOp(out, number, new Generation(covers));
      long rows = 0;
      long sets = 0;
      if (historySince != NO_STAMP) {
        long[] counted = writeHistory(out, number);
        rows += counted[0];
        sets += counted[1];
      }
      for (Map.Entry<String, ConcurrentHashMap<Object, OnlineRow>> v : views.entrySet()) {
        List<OnlineRow> batch = new ArrayList<>(SNAPSHOT_BATCH);
        for (OnlineRow r : v.getValue().values()) {
          batch.add(r);
          if (batch.size() == SNAPSHOT_BATCH) {
            writeOp(out, number, new Rows(v.getKey(), batch));
            rows += batch.size();
            batch = new ArrayList<>(SNAPSHOT_BATCH);
          }
        }
        if (!batch.isEmpty()) {
          writeOp(out, number, new Rows(v.getKey(), batch));
          rows += batch.size();
        }
      }
      for (Map.Entry<String, ConcurrentHashMap<Object, WindowTiles>> v : tiles.entrySet()) {
        List<WindowTiles> batch = new ArrayList<>(SNAPSHOT_BATCH);
        WindowTiles.Retention keep = dropped == null ? null : retentions.get(v.getKey());
        for (Map.Entry<Object, WindowTiles> e : v.getValue().entrySet()) {
          WindowTiles t = e.getValue();
          if (keep != null && !keepsAny(keep, t)) {
            dropped.add(new Dropped(v.getValue(), e.getKey(), t));
            continue;
          }
          batch.add(t);
          if (batch.size() == SNAPSHOT_BATCH) {
            writeOp(out, number, new PutTiles(v.getKey(), batch));
            sets += batch.size();
            batch = new ArrayList<>(SNAPSHOT_BATCH);
          }
        }
        if (!batch.isEmpty()) {
          writeOp(out, number, new PutTiles(v.getKey(), batch));
          sets += batch.size();
        }
      }
      for (Map.Entry<String, WindowTiles.Retention> r : retentions.entrySet()) {
        writeOp(out, number, new AddTiles(r.getKey(), List.of(), r.getValue()));
      }
      long markCount = 0;
      for (Map.Entry<String, Long> m : marks.entrySet()) {
        writeOp(out, number, new Mark(m.getKey(), m.getValue()));
        markCount++;
      }
      writeOp(out, number, new End(rows, sets, markCount));
      out.flush();
      ch.force(true);
      return ch.size();
    }
  }

  /**
   * Writes where the history starts and every kept past state (trimmed to the horizon first, in memory
   * too), each after the stamp of when it was applied, ending with an empty stamp so the current state
   * that follows records no history. Loading replays them through the same path as the log. Returns
   * {rows, tile sets} written.
   */
  private long[] writeHistory(OutputStream out, long[] number) throws IOException {
    writeOp(out, number, new HistoryStart(historySince));
    long horizon = horizonMillis;
    long cutoff = horizon == 0 ? Long.MIN_VALUE : historyClock.getAsLong() - horizon;
    long[] counts = new long[2];
    for (Map.Entry<String, ConcurrentHashMap<Object, History<OnlineRow>>> v : rowHistory.entrySet()) {
      for (Object k : v.getValue().keySet()) {
        History<OnlineRow> h = v.getValue().computeIfPresent(k, (kk, old) -> old.trim(cutoff));
        if (h == null) {
          continue;
        }
        for (int i = 0; i < h.size(); i++) {
          if (h.state(i) != null) { // only the state before a key's first row is ever null
            writeOp(out, number, new Stamp(h.time(i)));
            writeOp(out, number, new Rows(v.getKey(), List.of(h.state(i))));
            counts[0]++;
          }
        }
      }
    }
    for (Map.Entry<String, ConcurrentHashMap<Object, History<WindowTiles>>> v : tileHistory.entrySet()) {
      for (Object k : v.getValue().keySet()) {
        History<WindowTiles> h = v.getValue().computeIfPresent(k, (kk, old) -> old.trim(cutoff));
        if (h == null) {
          continue;
        }
        EntityKey key = null;
        for (int i = 0; i < h.size() && key == null; i++) {
          key = h.state(i) == null ? null : h.state(i).key(); // consecutive states differ: one is not null
        }
        for (int i = 0; i < h.size(); i++) {
          WindowTiles t = h.state(i);
          if (t == null && i == 0) {
            continue; // loading starts from no tiles
          }
          writeOp(out, number, new Stamp(h.time(i)));
          writeOp(out, number, new PutTiles(v.getKey(), List.of(t != null ? t
              : WindowTiles.of(key, "", 0, new long[0], new long[0], new long[0], new double[0]))));
          counts[1]++;
        }
      }
    }
    writeOp(out, number, new Stamp(NO_STAMP));
    return counts;
  }

  /** Whether a retention keeps any of the tiles ({@code tiles.retain(keep) != null}, without a copy). */
  private static boolean keepsAny(WindowTiles.Retention keep, WindowTiles tiles) {
    for (int i = 0; i < tiles.size(); i++) {
      if (keep.keeps(tiles.length(i), tiles.start(i))) {
        return true;
      }
    }
    return false;
  }

  /** Writes an op's records, numbering them from {@code number[0]} on (advanced past them). */
  private void writeOp(OutputStream out, long[] number, Op op) throws IOException {
    for (byte[] p : codec.encode(op)) {
      OnlineCodec.writeRecord(out, OnlineCodec.number(p, number[0]++));
    }
  }

  /**
   * Closes a persistent store (a no-op in memory), in this order: waits for a running checkpoint and
   * for writes in progress, refuses new writes, cancels the group-commit task and a queued automatic
   * checkpoint (one that already started does nothing once it gets the lock: the store is closed),
   * forces and closes the log, shuts down the store's own scheduler and waits for it (a host's
   * scheduler keeps running), releases the directory. Idempotent; thread-safe. Reads keep serving
   * memory afterwards.
   *
   * @throws UncheckedIOException when the final force fails (nothing more is written either way)
   */
  @Override
  public void close() {
    if (dir == null) {
      return;
    }
    IOException error = null;
    cut.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      if (commitTask != null) {
        commitTask.cancel(false);
      }
      Future<?> queued = checkpointTask;
      if (queued != null) {
        queued.cancel(false);
      }
      if (failure == null) {
        try {
          log.force();
        } catch (IOException e) {
          error = e;
        }
      }
      try {
        log.close();
      } catch (IOException e) {
        error = error == null ? e : error;
      }
    } finally {
      cut.writeLock().unlock();
    }
    if (ownScheduler != null) {
      ownScheduler.shutdown();
      try {
        ownScheduler.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    unlockDirectory();
    if (error != null) {
      throw new UncheckedIOException("cannot close the online store in " + dir + ": " + error.getMessage(), error);
    }
  }

  /**
   * The number of rows of a view. Thread-safe.
   *
   * @param view the view's name
   * @return rows stored
   */
  public int size(String view) {
    ConcurrentHashMap<Object, OnlineRow> m = views.get(view);
    return m == null ? 0 : m.size();
  }

  /**
   * The store's durability policy ({@link Durability#MANUAL} in memory, where nothing is persisted).
   *
   * @return the policy
   */
  public Durability durability() {
    return durability;
  }

  /**
   * The log size past which a checkpoint runs by itself (see {@link Builder#checkpointAfterLogBytes});
   * {@code 0} when only the host checkpoints, and always in memory.
   *
   * @return bytes, or 0
   */
  public long checkpointAfterLogBytes() {
    return checkpointLogBytes;
  }

  // ================================================================== checks

  private static void checkName(String field, String value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " is null, expected a name");
    }
  }

  private static void checkKeys(String view, List<EntityKey> keys) {
    checkName("view", view);
    if (keys == null) {
      throw new IllegalArgumentException("keys of view '" + view + "' is null, expected a list of keys");
    }
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i) == null) {
        throw new IllegalArgumentException("keys[" + i + "] of view '" + view + "' is null, expected an entity key");
      }
    }
  }

  private static void checkTiles(String view, List<WindowTiles> sets, String field) {
    checkName("view", view);
    if (sets == null) {
      throw new IllegalArgumentException(field + " of view '" + view + "' is null, expected a list of tile sets");
    }
    for (int i = 0; i < sets.size(); i++) {
      if (sets.get(i) == null) {
        throw new IllegalArgumentException(field + "[" + i + "] of view '" + view + "' is null, expected tiles");
      }
    }
  }

  /**
   * The map key of an entity key: the {@code Long} itself for a single integral key (cheaper to hash
   * and compare than the key object), else the key.
   */
  private static Object mapKey(EntityKey key) {
    if (key.size() == 1) {
      Object v = key.value(0);
      if (v instanceof Long) {
        return v;
      }
    }
    return key;
  }

  /**
   * Configures a persistent {@link EmbeddedOnlineStore}. Not thread-safe; use from one thread, then
   * {@link #build()}.
   */
  public static final class Builder {
    private final Path dir;
    private Durability durability = Durability.DEFAULT;
    private ScheduledExecutorService scheduler;
    private long checkpointLogBytes = DEFAULT_CHECKPOINT_LOG_BYTES;
    private FileIo io = FileIo.DEFAULT;
    private boolean salvage;

    private Builder(Path dir) {
      this.dir = dir;
    }

    /**
     * Opens in salvage mode (default off): a write-ahead log damaged in the middle is not refused; every
     * intact record is kept, each damaged range is skipped and reported in {@link
     * EmbeddedOnlineStore#salvageReport()}, the damaged log is first copied aside byte for byte, and the
     * recovered state is checkpointed at once so the next default open succeeds. A damaged snapshot is
     * still refused (rebuild the online state from the offline log with {@code
     * FeatureStore.materialize}). Use it as a deliberate repair step, after reading the refusal.
     *
     * @param salvage whether to salvage
     * @return this builder
     */
    public Builder salvage(boolean salvage) {
      this.salvage = salvage;
      return this;
    }

    /**
     * When the log is forced, and so what a crash can lose (default {@link Durability#DEFAULT}, group
     * commit every 50 ms; see {@link Durability}).
     *
     * @param durability the policy
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder durability(Durability durability) {
      if (durability == null) {
        throw new IllegalArgumentException("durability is null, expected a Durability policy");
      }
      this.durability = durability;
      return this;
    }

    /**
     * When a checkpoint runs by itself: once the write-ahead log holds at least {@code logBytes} bytes
     * and at least as many as the last snapshot (default
     * {@link EmbeddedOnlineStore#DEFAULT_CHECKPOINT_LOG_BYTES}, 64 MiB).
     * It runs on the {@link #scheduler(ScheduledExecutorService) scheduler}, never on a writer's thread,
     * one at a time; writes wait while it writes the snapshot (see the class comment for what it
     * costs). {@code 0} turns automatic checkpoints off: the log then grows until the host calls
     * {@link EmbeddedOnlineStore#checkpoint()}.
     *
     * @param logBytes bytes of log records, or 0 for none
     * @return this builder
     * @throws IllegalArgumentException naming the value if negative
     */
    public Builder checkpointAfterLogBytes(long logBytes) {
      if (logBytes < 0) {
        throw new IllegalArgumentException("checkpointAfterLogBytes was " + logBytes + ", expected 0 (only manual "
            + "checkpoints) or a positive number of log bytes");
      }
      this.checkpointLogBytes = logBytes;
      return this;
    }

    /**
     * Where the group-commit task and automatic checkpoints run (default: a daemon thread owned by the
     * store, started when either is on and stopped by {@link EmbeddedOnlineStore#close()}). The host
     * keeps ownership of a scheduler it supplies: close cancels the store's tasks on it and leaves it
     * running. A checkpoint occupies one of its threads while it writes the snapshot; the scheduler must
     * run tasks on its own threads (a checkpoint run on a writing thread is refused and turns automatic
     * checkpoints off).
     *
     * @param scheduler the scheduler
     * @return this builder
     * @throws IllegalArgumentException if null
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      if (scheduler == null) {
        throw new IllegalArgumentException("scheduler is null, expected a ScheduledExecutorService");
      }
      this.scheduler = scheduler;
      return this;
    }

    /** File operations (tests inject faults and record their order). */
    Builder fileIo(FileIo io) {
      this.io = io;
      return this;
    }

    /**
     * Opens the store, recovering its files.
     *
     * @return the store
     * @throws IllegalStateException if another store has the directory open
     * @throws StorageCorruptedException naming the file and byte if a file is damaged
     * @throws UncheckedIOException if the directory cannot be used
     */
    public EmbeddedOnlineStore build() {
      try {
        return new EmbeddedOnlineStore(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the online store in " + dir + ": " + e.getMessage(), e);
      }
    }
  }
}
