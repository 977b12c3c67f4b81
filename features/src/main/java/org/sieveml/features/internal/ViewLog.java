package org.sieveml.features.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.features.StorageCorruptedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offline event log of one view: immutable sorted segment files ({@link SegmentFile}) listed by a
 * manifest that is replaced atomically, plus a write-ahead log ({@link RecordLog}) for streamed rows
 * not yet in a segment. Every row carries event, created and ingestion time and a sequence number that
 * increases with ingestion order and survives restarts.
 *
 * <p>Durability: {@link #appendBatch} writes a segment, forces it, renames it into place, syncs the
 * directory and publishes a manifest the same way before it returns. {@link #appendLive} appends one
 * WAL record and (when {@code syncEveryWrite}) forces it before it returns; concurrent callers share
 * one fsync. Sealing the buffered rows into a segment publishes the manifest (with the directory
 * synced) before the WAL is cut. A crash or a power loss loses only writes that had not returned.
 *
 * <p>Seals: at {@code sealRows} buffered rows (default {@value #SEAL_ROWS}) a writer hands them to the
 * executor and returns; the seal writes the segment outside the lock and publishes it with the WAL's
 * floor at the first row still buffered, leaving the WAL uncut (it holds later rows; a reopening
 * replays only records at or above the floor). A read, an erasure, a batch or {@link #seal()} seals
 * on its own thread: it waits for a seal being written, takes back one the executor has not started
 * (a busy executor never stalls a read), then seals everything and cuts the WAL. A writer seals on
 * its own thread too when {@value #SEAL_BOUND} seals' worth of rows are buffered behind a running
 * seal or written to the WAL since its last cut, or after a background seal failed (the failure is
 * logged; its rows stay buffered and logged, and the writer's seal retries them and reports its error).
 *
 * <p>Segments are merged on the given executor when there are more than {@value #MAX_SEGMENTS}; a
 * merge drops erased rows and rows older than the retention. Readers use snapshots of the segment list;
 * a merged-away file is deleted while mapped (POSIX keeps it readable until unmapped).
 *
 * <p>Thread-safe.
 */
public final class ViewLog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ViewLog.class);
  static final byte[] WAL_MAGIC = "SVMLOWL1".getBytes(StandardCharsets.US_ASCII);
  static final byte[] MANIFEST_MAGIC = "SVMLMAN1".getBytes(StandardCharsets.US_ASCII);
  /** Manifests without stream positions are written as version 1 (what earlier releases read). */
  static final int MANIFEST_VERSION = 1;
  /** Version 2 adds, after the erasures, the stream sources' positions. */
  static final int MANIFEST_VERSION_SOURCES = 2;
  /** A write-ahead log record that starts with this carries stream positions before its rows. */
  static final byte[] SOURCE_MAGIC = "SVMLSRC1".getBytes(StandardCharsets.US_ASCII);
  /** The longest stream source name, in UTF-8 bytes. */
  public static final int MAX_SOURCE_BYTES = 1024;
  static final int WAL_VERSION = 1;
  /** Merges start above this many segments. */
  public static final int MAX_SEGMENTS = 8;
  /** Buffered streamed rows are sealed into a segment at this many (the default). */
  public static final int SEAL_ROWS = 65_536;
  /**
   * A writer seals on its own thread, rather than hand the seal to the executor, once this many times
   * the seal size is buffered while a background seal still runs, or (with a write-ahead log) written
   * to the log since it was last cut: bounds on memory and on what a reopening replays.
   */
  static final int SEAL_BOUND = 4;
  /** The largest segment number: a segment's name ({@code seg-N.svs}) holds 12 digits. */
  static final long MAX_SEGMENT_NUMBER = 999_999_999_999L;
  static final String MANIFEST = "MANIFEST";
  static final String WAL = "wal.log";

  private final String view;
  private final Path dir; // null: in memory
  private final FileIo io;
  private final FeatureSchema schema;
  private final String version;
  private final int maxSegmentRows;
  private final long retentionMillis;
  private final java.util.function.LongSupplier clock;
  private final Executor mergeExecutor;
  private final boolean syncEveryWrite;
  /** Collects what a salvage-mode open of the write-ahead log skipped; null in the default mode. */
  private final Salvage salvage;

  private volatile Snapshot snapshot;
  /**
   * Per stream source (e.g. a Kafka topic partition), the position after the last row appended from it:
   * rows of that source below it are already in the log ({@link #appendFrom}).
   */
  private final Map<String, Long> sources = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<LogRows> pending = new ArrayList<>();
  private int pendingRows;
  private final int sealRows;
  /** Rows a background seal is writing (in sequence order, before every pending row), or null. */
  private List<LogRows> sealing;
  private int sealingRows;
  /** Whether a thread writes the handed-off rows (until then, anyone waiting for them takes them back). */
  private boolean sealStarted;
  /** A background seal failed: the next seal runs on a writer's thread, which sees the error. */
  private boolean sealFailed;
  /** Rows appended to the write-ahead log since it was last cut (sealed or not). */
  private long walRows;
  private volatile long nextSeq;
  private long walFloor;
  private long segCounter;
  private RecordLog wal;
  private boolean merging;
  private volatile boolean closed;
  private final Object mergeDone = new Object();

  /** An immutable view of the segments and erasures. */
  public static final class Snapshot {
    /** Segments, oldest first. */
    public final List<SegmentFile.Segment> segments;
    /** Erased entity ids and the last sequence number the erasure covers. */
    public final Map<Long, Long> tombstones;

    Snapshot(List<SegmentFile.Segment> segments, Map<Long, Long> tombstones) {
      this.segments = Collections.unmodifiableList(new ArrayList<>(segments));
      this.tombstones = Collections.unmodifiableMap(new HashMap<>(tombstones));
    }

    /**
     * Whether a row was erased.
     *
     * @param id its entity id
     * @param seq its sequence
     * @return true when hidden
     */
    public boolean erased(long id, long seq) {
      if (tombstones.isEmpty()) {
        return false;
      }
      Long bound = tombstones.get(id);
      return bound != null && seq <= bound;
    }
  }

  /** How a view log is kept. */
  public static final class Options {
    final FileIo io;
    final int maxSegmentRows;
    final long retentionMillis;
    final java.util.function.LongSupplier clock;
    final Executor mergeExecutor;
    final boolean syncEveryWrite;
    Salvage salvage;
    int sealRows = SEAL_ROWS;

    /**
     * Options.
     *
     * @param io file operations
     * @param maxSegmentRows the largest segment a merge writes
     * @param retentionMillis history older than this (by event time, against the clock) is dropped;
     *     {@link Long#MAX_VALUE} keeps everything
     * @param clock the clock for retention
     * @param mergeExecutor where merges run
     * @param syncEveryWrite whether streamed appends force the WAL before returning
     */
    public Options(FileIo io, int maxSegmentRows, long retentionMillis, java.util.function.LongSupplier clock,
        Executor mergeExecutor, boolean syncEveryWrite) {
      this.io = io;
      this.maxSegmentRows = maxSegmentRows;
      this.retentionMillis = retentionMillis;
      this.clock = clock;
      this.mergeExecutor = mergeExecutor;
      this.syncEveryWrite = syncEveryWrite;
    }

    /**
     * Opens the write-ahead log in salvage mode ({@link RecordLog#open(Path, FileIo, byte[], int,
     * List, java.util.function.Consumer, Salvage)}): damaged records and sequence gaps are skipped and
     * reported, and what was recovered is sealed into a segment at once.
     *
     * @param salvage the collector, or null for the default (refusing) mode
     * @return these options
     */
    public Options salvage(Salvage salvage) {
      this.salvage = salvage;
      return this;
    }

    /**
     * How many buffered streamed rows start a seal (default {@value #SEAL_ROWS}; tests use fewer).
     *
     * @param rows at least 1
     * @return these options
     */
    public Options sealRows(int rows) {
      if (rows < 1) {
        throw new IllegalArgumentException("sealRows is " + rows + ", expected at least 1");
      }
      this.sealRows = rows;
      return this;
    }
  }

  private ViewLog(String view, Path dir, FeatureSchema schema, String version, Options o) {
    this.view = view;
    this.dir = dir;
    this.io = o.io;
    this.schema = schema;
    this.version = version;
    this.maxSegmentRows = o.maxSegmentRows;
    this.retentionMillis = o.retentionMillis;
    this.clock = o.clock;
    this.mergeExecutor = o.mergeExecutor;
    this.syncEveryWrite = o.syncEveryWrite;
    this.salvage = o.salvage;
    this.sealRows = o.sealRows;
  }

  /**
   * Opens (or creates) a view's log.
   *
   * @param view the view's name
   * @param dir its directory, or null to keep it in memory
   * @param schema the value columns
   * @param version the view definition's version
   * @param o options
   * @return the log
   * @throws IllegalStateException when the stored log was written under another version
   * @throws StorageCorruptedException when a file is damaged
   */
  public static ViewLog open(String view, Path dir, FeatureSchema schema, String version, Options o) {
    ViewLog l = new ViewLog(view, dir, schema, version, o);
    try {
      l.load();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the offline log of view '" + view + "' in " + dir + ": "
          + e.getMessage(), e);
    }
    return l;
  }

  /**
   * The version of the view definition the log was written under, if one is stored.
   *
   * @param dir the view's directory
   * @return the version, or null when there is no log
   */
  public static String storedVersion(Path dir) {
    Path m = dir.resolve(MANIFEST);
    if (!Files.exists(m)) {
      return null;
    }
    return readManifest(m).version;
  }

  private void load() throws IOException {
    List<SegmentFile.Segment> segs = new ArrayList<>();
    Map<Long, Long> tombs = new HashMap<>();
    if (dir == null) {
      snapshot = new Snapshot(segs, tombs);
      return;
    }
    io.createDirectories(dir);
    Path mp = dir.resolve(MANIFEST);
    Set<String> live = new HashSet<>();
    if (Files.exists(mp)) {
      Manifest m = readManifest(mp);
      if (!m.version.equals(version) || !m.schema.equals(schema)) {
        throw new IllegalStateException("the offline log of view '" + view + "' in " + dir
            + " was written under definition version " + m.version + " " + m.schema + "; the registry has version "
            + version + " " + schema + ": drop the view's data or restore the old definition");
      }
      nextSeq = m.nextSeq;
      walFloor = m.walFloor;
      segCounter = m.segCounter;
      for (String name : m.segments) {
        segs.add(map(dir.resolve(name), name));
        live.add(name);
      }
      tombs.putAll(m.tombstones);
      sources.putAll(m.sources);
    }
    // files of interrupted writes or merges are not in the manifest: their rows are elsewhere
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String n = p.getFileName().toString();
        if ((n.startsWith("seg-") && !live.contains(n)) || n.endsWith(".tmp")) {
          LOG.info("view '{}': removing {}, left by an interrupted write or merge (not in the manifest)", view, n);
          io.delete(p);
        }
      }
    }
    List<SegmentFile.Segment> decoded = new ArrayList<>();
    long[] prevMaxSeq = {Long.MIN_VALUE};
    int salvagedBefore = salvage == null ? 0 : salvage.count();
    // every record is decoded and checked before a torn tail is cut: a refusal changes no file
    Map<String, Long> logged = new HashMap<>();
    wal = RecordLog.open(dir.resolve(WAL), io, WAL_MAGIC, WAL_VERSION, new ArrayList<>(), rec -> {
      // a record's positions count only with its rows: once they passed every check (salvage skips a
      // record that throws) and are replayed (a record below the floor was sealed, and the manifest
      // published then holds its positions; the log is then reset without it, so positions read from it
      // would be forgotten by the next open)
      Map<String, Long> positions = new HashMap<>();
      if (startsWith(rec, SOURCE_MAGIC)) {
        readSources(rec, dir.resolve(WAL), positions);
      }
      ByteBuffer d = ByteBuffer.allocateDirect(rec.remaining()).order(ByteOrder.LITTLE_ENDIAN);
      d.put(rec).flip();
      SegmentFile.Segment s;
      try {
        s = SegmentFile.open(d, dir.resolve(WAL), "wal-record");
      } catch (StorageCorruptedException e) {
        throw new StorageCorruptedException(dir.resolve(WAL), -1, "a record with an intact checksum does not decode: "
            + e.getMessage());
      }
      if (!s.schema().equals(schema)) {
        throw new StorageCorruptedException(dir.resolve(WAL), -1, "a record has schema " + s.schema() + ", expected "
            + schema);
      }
      if (s.size() > 0 && s.maxSeq() >= walFloor) {
        // records are appended in sequence order under the view's lock: a jump means a lost record
        // (records below the floor were sealed already; a batch segment may follow them in sequence)
        if (prevMaxSeq[0] != Long.MIN_VALUE && s.minSeq() != prevMaxSeq[0] + 1 && salvage != null
            && s.minSeq() > prevMaxSeq[0]) {
          salvage.skip(dir.resolve(WAL), -1, 0, "sequences " + (prevMaxSeq[0] + 1) + " to " + (s.minSeq() - 1)
              + " are missing before record " + decoded.size() + " of the log");
        } else if (prevMaxSeq[0] != Long.MIN_VALUE && s.minSeq() != prevMaxSeq[0] + 1) {
          throw new StorageCorruptedException(dir.resolve(WAL), -1, "record " + decoded.size()
              + " starts at sequence " + s.minSeq() + " but the record before it ended at " + prevMaxSeq[0]
              + ": a record is missing");
        }
        prevMaxSeq[0] = s.maxSeq();
      }
      decoded.add(s);
      if (s.size() > 0 && s.maxSeq() >= walFloor) {
        positions.forEach((k, v) -> logged.merge(k, v, Math::max));
      }
    }, salvage);
    logged.forEach((k, v) -> sources.merge(k, v, Math::max));
    long replayed = 0;
    for (SegmentFile.Segment s : decoded) {
      walRows += s.size(); // sealed or not, they stay in the log until a seal on a writer's thread cuts it
      if (s.size() == 0 || s.maxSeq() < walFloor) {
        continue; // already sealed into a segment before a crash cut the log
      }
      LogRows rows = toRows(s);
      pending.add(rows);
      pendingRows += rows.size();
      nextSeq = Math.max(nextSeq, s.maxSeq() + 1);
      replayed += rows.size();
    }
    if (replayed > 0) {
      LOG.info("view '{}': replayed {} rows from the write-ahead log", view, replayed);
    } else if (wal.recordBytes() > 0) {
      wal.reset(); // only records already sealed before a crash: cut them now
      walRows = 0;
    }
    snapshot = new Snapshot(segs, tombs);
    if (salvage != null && salvage.count() > salvagedBefore) {
      sealLocked(); // the salvaged log has gaps a default open refuses: a segment holds its rows now
    }
  }

  private static LogRows toRows(SegmentFile.Segment s) {
    int n = s.size();
    long[][] k = new long[5][n];
    for (int c = 0; c < 5; c++) {
      for (int r = 0; r < n; r++) {
        k[c][r] = s.key(c, r);
      }
    }
    return new LogRows(k[0], k[1], k[2], k[3], k[4], s.frame(0, n));
  }

  private SegmentFile.Segment map(Path file, String name) throws IOException {
    if (!Files.exists(file)) {
      throw new StorageCorruptedException(file, -1, "listed in the manifest of view '" + view + "' but missing");
    }
    try (FileChannel c = io.open(file, StandardOpenOption.READ)) {
      long size = c.size();
      if (size > Integer.MAX_VALUE) {
        throw new StorageCorruptedException(file, -1, "segment of " + size + " bytes exceeds the 2 GiB limit");
      }
      MappedByteBuffer b = c.map(FileChannel.MapMode.READ_ONLY, 0, size);
      return SegmentFile.open(b, file, name).requireSorted();
    }
  }

  /**
   * The value columns.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The definition version the log holds.
   *
   * @return the version
   */
  public String version() {
    return version;
  }

  /**
   * The next sequence number to be assigned (every row so far has a smaller one).
   *
   * @return the next sequence number
   */
  public long nextSequence() {
    return nextSeq;
  }

  // ------------------------------------------------------------------ writing

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the offline log of view '" + view + "' is closed");
    }
  }

  private long[] assignSeq(int n) {
    long[] seq = new long[n];
    long s = nextSeq;
    for (int i = 0; i < n; i++) {
      seq[i] = s + i;
    }
    return seq;
  }

  /**
   * Appends validated rows as one new durable segment.
   *
   * @param ids entity ids
   * @param event event times
   * @param created created times
   * @param ingested ingestion times
   * @param values the values
   * @return the first sequence number assigned
   */
  public long appendBatch(long[] ids, long[] event, long[] created, long[] ingested, FeatureFrame values) {
    long first = appendBatchLocked(ids, event, created, ingested, values);
    maybeMerge(); // outside the lock: a host's executor may run the merge on this thread
    return first;
  }

  private synchronized long appendBatchLocked(long[] ids, long[] event, long[] created, long[] ingested,
      FeatureFrame values) {
    checkOpen();
    awaitSealLocked(); // before reading any state: the wait releases the lock
    long first = nextSeq;
    if (ids.length == 0) {
      return first;
    }
    sealLocked(); // buffered streamed rows were ingested first
    LogRows rows = new LogRows(ids, event, created, ingested, assignSeq(ids.length), values).sorted();
    try {
      SegmentFile.Segment s = writeSegment(SegmentFile.of(rows));
      nextSeq = first + ids.length;
      List<SegmentFile.Segment> next = new ArrayList<>(snapshot.segments);
      next.add(s);
      publish(next, snapshot.tombstones, nextSeq);
    } catch (IOException e) {
      // nextSeq is not rolled back: a manifest that failed in its directory sync is on disk already,
      // claiming these numbers (up to its WAL floor); later rows reusing them would be skipped as
      // sealed by the next open. The batch's numbers stay unused instead.
      throw new UncheckedIOException("cannot write to the offline log of view '" + view + "': " + e.getMessage(), e);
    }
    return first;
  }

  /**
   * Appends validated streamed rows to the write-ahead log and the buffer (sealed into a segment at
   * {@value #SEAL_ROWS} rows or before the next read).
   *
   * @param ids entity ids
   * @param event event times
   * @param created created times
   * @param ingested ingestion times
   * @param values the values
   * @return the first sequence number assigned
   */
  public long appendLive(long[] ids, long[] event, long[] created, long[] ingested, FeatureFrame values) {
    long end;
    long first;
    boolean handOff;
    synchronized (this) {
      checkOpen();
      first = nextSeq;
      if (ids.length == 0) {
        return first;
      }
      end = appendLogLocked(ids, event, created, ingested, values, null, 0);
      handOff = sealIfDueLocked();
    }
    if (handOff) {
      startBackgroundSeal();
    }
    afterLogAppend(end);
    return first;
  }

  /**
   * The position after the last row appended from a stream source ({@link #appendFrom}).
   *
   * @param source the source's name
   * @return the position, or {@code Long.MIN_VALUE} when no row of the source was appended
   */
  public long sourcePosition(String source) {
    return sources.getOrDefault(source, Long.MIN_VALUE);
  }

  /**
   * Every stream source's position ({@link #appendFrom}).
   *
   * @return a copy: source name to position
   */
  public Map<String, Long> sourcePositions() {
    return new HashMap<>(sources);
  }

  /**
   * Appends the rows of a stream source that the log does not hold yet, exactly once: rows whose
   * offset is below the source's position are skipped, and the new position (the last appended
   * offset plus one) is stored in the same write-ahead log record (or, for a batch written as a
   * segment, the same manifest) as the rows, so a crash keeps both or neither.
   *
   * @param ids entity ids
   * @param event event times
   * @param created created times
   * @param ingested ingestion times
   * @param values the values
   * @param source the source's name (at most {@value #MAX_SOURCE_BYTES} UTF-8 bytes)
   * @param offsets each row's offset in its source, strictly increasing
   * @param segmentRows from this many new rows on they are written as one segment rather than a log
   *     record
   * @return the number of rows appended
   */
  public int appendFrom(long[] ids, long[] event, long[] created, long[] ingested, FeatureFrame values,
      String source, long[] offsets, int segmentRows) {
    byte[] name = source.getBytes(StandardCharsets.UTF_8);
    if (name.length > MAX_SOURCE_BYTES) {
      throw new IllegalArgumentException("stream source name of " + name.length + " UTF-8 bytes, expected at most "
          + MAX_SOURCE_BYTES);
    }
    long end = 0;
    int kept;
    boolean asSegment;
    boolean handOff = false;
    synchronized (this) {
      checkOpen();
      int from;
      while (true) {
        long pos = sources.getOrDefault(source, Long.MIN_VALUE);
        from = 0;
        while (from < offsets.length && offsets[from] < pos) {
          from++;
        }
        kept = offsets.length - from;
        if (kept == 0) {
          return 0;
        }
        asSegment = kept >= segmentRows;
        if (!asSegment || sealing == null) {
          break;
        }
        // a segment batch seals the buffer first, after the background seal: the wait releases the
        // lock, so the position is read again after it
        awaitSealLocked();
        checkOpen();
      }
      long next = offsets[offsets.length - 1] + 1;
      if (from > 0) {
        int[] idx = new int[kept];
        for (int i = 0; i < kept; i++) {
          idx[i] = from + i;
        }
        ids = Arrays.copyOfRange(ids, from, ids.length);
        event = Arrays.copyOfRange(event, from, event.length);
        created = created == event ? event : Arrays.copyOfRange(created, from, created.length);
        ingested = Arrays.copyOfRange(ingested, from, ingested.length);
        values = values.rows(idx);
      }
      if (asSegment) {
        // buffered rows first: their seal publishes a manifest, which must not yet name this batch's position
        sealLocked();
        Long before = sources.put(source, next);
        try {
          appendBatchLocked(ids, event, created, ingested, values);
        } catch (RuntimeException e) {
          if (before == null) { // the manifest naming the new position was not published
            sources.remove(source);
          } else {
            sources.put(source, before);
          }
          throw e;
        }
      } else {
        end = appendLogLocked(ids, event, created, ingested, values, name, next);
        sources.put(source, next); // log before memory: the record is written
        handOff = sealIfDueLocked();
      }
    }
    if (asSegment) {
      maybeMerge();
      return kept;
    }
    if (handOff) {
      startBackgroundSeal();
    }
    afterLogAppend(end);
    return kept;
  }

  /**
   * Appends one log record of rows (carrying a source's new position when {@code source} is not null),
   * then buffers the rows: log before memory. Returns the log's end after the record (0 in memory).
   * Called under the lock.
   */
  private long appendLogLocked(long[] ids, long[] event, long[] created, long[] ingested, FeatureFrame values,
      byte[] source, long next) {
    long first = nextSeq;
    LogRows rows = new LogRows(ids, event, created, ingested, assignSeq(ids.length), values);
    long end = 0;
    if (wal != null) {
      ByteBuffer rec = encode(rows);
      if (source != null) {
        ByteBuffer body = rec;
        rec = ByteBuffer.allocate(SOURCE_MAGIC.length + 4 + 2 + source.length + 8 + body.remaining())
            .order(ByteOrder.LITTLE_ENDIAN);
        rec.put(SOURCE_MAGIC).putInt(1).putShort((short) source.length).put(source).putLong(next).put(body).flip();
      }
      try {
        end = wal.append(rec);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append to the write-ahead log of view '" + view + "': "
            + e.getMessage(), e);
      }
    }
    nextSeq = first + ids.length; // the record is written
    pending.add(rows);
    pendingRows += rows.size();
    if (wal != null) {
      walRows += rows.size();
    }
    return end;
  }

  private static boolean startsWith(ByteBuffer b, byte[] magic) {
    if (b.remaining() < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (b.get(b.position() + i) != magic[i]) {
        return false;
      }
    }
    return true;
  }

  /** Reads a record's stream positions into {@code into} (max per source) and moves past them. */
  private static void readSources(ByteBuffer rec, Path file, Map<String, Long> into) {
    ByteBuffer b = rec.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    b.position(b.position() + SOURCE_MAGIC.length);
    if (b.remaining() < 4) {
      throw new StorageCorruptedException(file, -1, "a record's stream positions end early");
    }
    int n = b.getInt();
    if (n < 1 || n > b.remaining() / 10) {
      throw new StorageCorruptedException(file, -1, "a record names " + n + " stream sources, expected 1 to "
          + b.remaining() / 10);
    }
    for (int i = 0; i < n; i++) {
      if (b.remaining() < 2) {
        throw new StorageCorruptedException(file, -1, "a record's stream positions end early");
      }
      int len = b.getShort() & 0xffff;
      if (len > MAX_SOURCE_BYTES || len + 8 > b.remaining()) {
        throw new StorageCorruptedException(file, -1, "a record's stream source name of " + len + " bytes does not fit"
            + " (at most " + MAX_SOURCE_BYTES + ")");
      }
      byte[] name = new byte[len];
      b.get(name);
      into.merge(new String(name, StandardCharsets.UTF_8), b.getLong(), Math::max);
    }
    rec.position(b.position());
  }

  /** After a write-ahead log append returned (outside the lock): forces it if asked, merges if due. */
  private void afterLogAppend(long end) {
    if (wal != null && syncEveryWrite) {
      try {
        wal.force(end);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot force the write-ahead log of view '" + view + "': " + e.getMessage(), e);
      }
    }
    if (snapshot.segments.size() > MAX_SEGMENTS) {
      maybeMerge();
    }
  }

  /**
   * Forces every streamed row appended so far to stable storage.
   */
  public void sync() {
    RecordLog w;
    synchronized (this) {
      w = wal;
    }
    if (w != null) {
      try {
        w.force();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot force the write-ahead log of view '" + view + "': " + e.getMessage(), e);
      }
    }
  }

  private static ByteBuffer encode(LogRows rows) {
    SegmentFile.Source src = SegmentFile.of(rows);
    SegmentFile.Layout lay = SegmentFile.layout(src);
    if (lay.bytes() > RecordLog.MAX_RECORD) {
      throw new IllegalArgumentException("a pushed batch of " + rows.size() + " rows takes " + lay.bytes()
          + " bytes, more than the write-ahead log's record limit of " + RecordLog.MAX_RECORD + "; split it");
    }
    return SegmentFile.writeToBuffer(src, lay, ByteBuffer::allocate);
  }

  /** Turns buffered streamed rows into a segment. */
  public synchronized void seal() {
    checkOpen();
    sealLocked();
  }

  /**
   * Seals every buffered row on this thread, after a background seal in flight; the wait releases
   * the lock, so a caller reads the log's state only after this returns (or calls
   * {@link #awaitSealLocked} first).
   */
  private void sealLocked() {
    awaitSealLocked();
    if (pending.isEmpty()) {
      return;
    }
    LogRows rows = LogRows.concat(pending).sorted();
    try {
      SegmentFile.Segment s = writeSegment(SegmentFile.of(rows));
      List<SegmentFile.Segment> next = new ArrayList<>(snapshot.segments);
      next.add(s);
      publish(next, snapshot.tombstones, nextSeq);
      pending.clear();
      pendingRows = 0;
      sealFailed = false;
      if (wal != null) {
        wal.reset(); // the manifest (directory synced) holds the rows now, and those sealed before
        walRows = 0;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot seal streamed rows of view '" + view + "' into a segment: "
          + e.getMessage(), e);
    }
  }

  /**
   * Waits (releasing the lock) until no background seal runs; a handed-off seal no thread has started
   * yet (the executor is busy) is taken back into the buffer instead. Called under the lock.
   */
  private void awaitSealLocked() {
    boolean interrupted = false;
    while (sealing != null) {
      if (!sealStarted) {
        takeBackSealingLocked();
        break;
      }
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true; // the seal finishes soon: a log left half-sealed helps no one
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Puts the handed-off rows back in front of the buffer (they are still in the log). Under the lock. */
  private void takeBackSealingLocked() {
    pending.addAll(0, sealing);
    pendingRows += sealingRows;
    sealing = null;
    sealingRows = 0;
  }

  /**
   * After an append, under the lock: when {@link #sealRows} rows are buffered, hands them to a
   * background seal (returns true: the caller starts it once it has left the lock), or seals them on
   * this thread when a background seal cannot take them — one still runs and the buffer passed its
   * bound, the last one failed, or the write-ahead log holds {@value #SEAL_BOUND} seals' worth of rows
   * that only a seal on this thread can cut.
   */
  private boolean sealIfDueLocked() {
    if (pendingRows < sealRows) {
      return false;
    }
    if (sealing != null) {
      if (pendingRows >= (long) SEAL_BOUND * sealRows) {
        sealLocked(); // the writers outpace the sealer: wait for it, then seal here
      }
      return false;
    }
    if (sealFailed || (wal != null && walRows >= (long) SEAL_BOUND * sealRows)) {
      sealLocked();
      return false;
    }
    sealing = new ArrayList<>(pending);
    sealingRows = pendingRows;
    pending.clear();
    pendingRows = 0;
    return true;
  }

  /** Runs the seal handed off by {@link #sealIfDueLocked} on the executor (or here, if it refuses). */
  private void startBackgroundSeal() {
    try {
      mergeExecutor.execute(this::sealInBackground);
    } catch (RuntimeException rejected) {
      LOG.debug("view '{}': background seal not scheduled ({}), sealing on the writer's thread", view,
          rejected.toString());
      sealInBackground();
    }
  }

  /**
   * Writes the handed-off rows as a segment outside the lock, then publishes it with the write-ahead
   * log's floor at the first row still buffered (the log is not cut: it holds rows after them). On
   * failure the rows go back in front of the buffer, still in the log; the next seal retries them on a
   * writer's thread, which sees the error.
   */
  private void sealInBackground() {
    List<LogRows> parts;
    synchronized (this) {
      if (sealing == null || sealStarted) {
        return; // taken back by a reader or writer (or run by an earlier task)
      }
      sealStarted = true;
      parts = sealing;
    }
    Exception failure = null;
    SegmentFile.Segment seg = null;
    try {
      seg = writeSegment(SegmentFile.of(LogRows.concat(parts).sorted()));
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
    boolean publishing = false;
    synchronized (this) {
      try {
        if (failure == null) {
          List<SegmentFile.Segment> next = new ArrayList<>(snapshot.segments);
          next.add(seg);
          publishing = true;
          publish(next, snapshot.tombstones, pendingFloor());
        }
      } catch (IOException | RuntimeException e) {
        failure = e;
      }
      if (failure != null) {
        LOG.warn("view '{}': background seal of {} rows failed (they stay buffered and logged; the next seal "
            + "retries them): {}", view, sealingRows, failure.toString());
        takeBackSealingLocked();
        sealFailed = true;
        // once the manifest is being replaced, the one on disk may list the segment already (its
        // directory sync failed after the rename): keep it; the next open deletes it if it does not
        if (seg != null && dir != null && !publishing) {
          try {
            io.delete(dir.resolve(seg.name));
          } catch (IOException suppressed) {
            LOG.debug("view '{}': could not delete {}", view, seg.name, suppressed);
          }
        }
      }
      sealing = null; // published (or taken back above)
      sealingRows = 0;
      sealStarted = false;
      notifyAll();
    }
  }

  private SegmentFile.Segment writeSegment(SegmentFile.Source src) throws IOException {
    String name = String.format("seg-%012d.svs", nextSegmentNumber());
    SegmentFile.Layout lay = SegmentFile.layout(src);
    if (lay.bytes() > Integer.MAX_VALUE) {
      throw new IOException("segment of " + lay.bytes() + " bytes exceeds 2 GiB; lower maxSegmentRows");
    }
    if (dir == null) {
      ByteBuffer b = SegmentFile.writeToBuffer(src, lay, ByteBuffer::allocateDirect);
      return SegmentFile.open(b, Path.of(view, name), name);
    }
    Path file = dir.resolve(name);
    Path tmp = dir.resolve(name + ".tmp");
    try (FileChannel c = io.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      SegmentFile.write(src, lay, b -> {
        while (b.hasRemaining()) {
          c.write(b);
        }
      });
      c.force(true);
    } catch (IOException | RuntimeException e) {
      io.delete(tmp);
      throw e;
    }
    io.rename(tmp, file);
    io.syncDirectory(dir);
    return map(file, name);
  }

  private synchronized long nextSegmentNumber() throws IOException {
    if (segCounter >= MAX_SEGMENT_NUMBER) { // never in practice: a name holds 12 digits
      throw new IOException("view '" + view + "' has used every segment number up to " + MAX_SEGMENT_NUMBER);
    }
    return ++segCounter; // merges write segments outside the lock: numbers are handed out under it
  }

  /** Writes and publishes a manifest (atomically, directory synced), then the snapshot. */
  private void publish(List<SegmentFile.Segment> segs, Map<Long, Long> tombs, long floor) throws IOException {
    if (dir != null) {
      Map<String, Long> positions = new HashMap<>(sources);
      if (wal != null && !positions.isEmpty()) {
        wal.force(); // a position on disk never before its rows: those still only in the log are forced first
      }
      Manifest m = new Manifest(version, schema, nextSeq, floor, segCounter, names(segs), tombs, positions);
      io.writeAtomically(dir.resolve(MANIFEST), m.encode());
      walFloor = floor;
    }
    snapshot = new Snapshot(segs, tombs);
  }

  /** The first sequence number not yet in a segment (write-ahead log records below it are sealed). */
  private long unsealedFloor() {
    return sealing != null ? sealing.get(0).seq[0] : pendingFloor();
  }

  /** The first sequence number of the pending rows (after any handed off), {@code nextSeq} when none. */
  private long pendingFloor() {
    return pending.isEmpty() ? nextSeq : pending.get(0).seq[0];
  }

  private static List<String> names(List<SegmentFile.Segment> segs) {
    List<String> n = new ArrayList<>();
    for (SegmentFile.Segment s : segs) {
      n.add(s.name);
    }
    return n;
  }

  /**
   * Hides every row of an entity ingested so far from all later reads, durably; the rows leave the
   * files at the next merge of each segment holding them ({@link #compact} rewrites all at once).
   *
   * @param id the entity id
   * @return the number of rows hidden
   */
  public synchronized long erase(long id) {
    checkOpen();
    sealLocked(); // before reading any state (it may wait for a background seal)
    Snapshot s = snapshot;
    long count = 0;
    for (SegmentFile.Segment seg : s.segments) {
      int lo = lowerBound(seg, id, Long.MIN_VALUE);
      for (int r = lo; r < seg.size() && seg.ids.get(r) == id; r++) {
        if (!s.erased(id, seg.seq.get(r))) {
          count++;
        }
      }
    }
    Map<Long, Long> tombs = new HashMap<>(s.tombstones);
    tombs.put(id, nextSeq - 1);
    try {
      publish(s.segments, tombs, nextSeq);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the erasure in view '" + view + "': " + e.getMessage(), e);
    }
    return count;
  }

  // ------------------------------------------------------------------ merging

  private void maybeMerge() {
    synchronized (this) {
      if (merging || closed || snapshot.segments.size() <= MAX_SEGMENTS) {
        return;
      }
      merging = true;
    }
    try {
      mergeExecutor.execute(() -> {
        try {
          mergeSmallest();
        } catch (RuntimeException e) {
          LOG.error("view '{}': merge failed (the log is unchanged): {}", view, e.toString(), e);
        } finally {
          synchronized (mergeDone) {
            synchronized (this) {
              merging = false;
            }
            mergeDone.notifyAll();
          }
        }
      });
    } catch (RuntimeException rejected) {
      synchronized (this) {
        merging = false;
      }
      LOG.warn("view '{}': merge not scheduled: {}", view, rejected.toString());
    }
  }

  private void mergeSmallest() {
    List<SegmentFile.Segment> chosen;
    synchronized (this) {
      if (closed) {
        return;
      }
      List<SegmentFile.Segment> bySize = new ArrayList<>(snapshot.segments);
      bySize.sort((a, b) -> Integer.compare(a.size(), b.size()));
      chosen = new ArrayList<>();
      long rows = 0;
      for (SegmentFile.Segment s : bySize) {
        // a merge must reduce the number of segments: inputs fit in one output
        if (rows + s.size() > maxSegmentRows) {
          break;
        }
        chosen.add(s);
        rows += s.size();
        if (snapshot.segments.size() - chosen.size() + 1 <= MAX_SEGMENTS / 2) {
          break;
        }
      }
    }
    if (chosen.size() >= 2) {
      mergeInto(chosen);
    }
  }

  /**
   * Rewrites every segment, dropping erased rows and rows older than the retention, and clears the
   * erasures. Blocks until done.
   */
  public void compact() {
    awaitMergeSlot(true);
    try {
      List<SegmentFile.Segment> all = snapshot.segments;
      if (!all.isEmpty()) {
        mergeInto(all);
      }
      synchronized (this) {
        Snapshot s = snapshot;
        Map<Long, Long> tombs = new HashMap<>(s.tombstones);
        // an erasure is needed only while a segment may hold rows it covers
        long oldest = Long.MAX_VALUE;
        for (SegmentFile.Segment seg : s.segments) {
          oldest = Math.min(oldest, seg.minSeq());
        }
        final long minSeq = oldest;
        tombs.values().removeIf(bound -> bound < minSeq);
        if (tombs.size() != s.tombstones.size()) {
          publish(s.segments, tombs, unsealedFloor());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot compact view '" + view + "': " + e.getMessage(), e);
    } finally {
      synchronized (mergeDone) {
        synchronized (this) {
          merging = false;
        }
        mergeDone.notifyAll();
      }
    }
  }

  /**
   * Waits until no merge runs; with {@code claim}, also seals the buffered rows and takes the merge
   * slot in the same step, so no merge can start in between.
   */
  private void awaitMergeSlot(boolean claim) {
    synchronized (mergeDone) {
      while (true) {
        synchronized (this) {
          if (!merging) {
            if (claim) {
              checkOpen();
              sealLocked(); // may wait for a background seal, releasing the lock: a merge may start
              if (merging) {
                continue;
              }
              merging = true;
            }
            return;
          }
        }
        try {
          mergeDone.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for a merge of view '" + view + "'", e);
        }
      }
    }
  }

  /** K-way merges the given segments into new ones of at most maxSegmentRows rows and publishes. */
  private void mergeInto(List<SegmentFile.Segment> inputs) {
    Snapshot at = snapshot;
    long floor = retentionFloor();
    int k = inputs.size();
    // a binary heap of segment indices ordered by their current row
    int[] pos = new int[k];
    int[] heap = new int[k];
    int hs = 0;
    for (int i = 0; i < k; i++) {
      if (inputs.get(i).size() > 0) {
        heap[hs++] = i;
      }
    }
    for (int i = hs / 2 - 1; i >= 0; i--) {
      siftDown(heap, hs, i, inputs, pos);
    }
    List<SegmentFile.Segment> outputs = new ArrayList<>();
    long total = 0;
    for (SegmentFile.Segment s : inputs) {
      total += s.size();
    }
    int chunk = (int) Math.min(maxSegmentRows, Math.max(1, total));
    int[] segOf = new int[chunk];
    int[] rowOf = new int[chunk];
    int n = 0;
    long dropped = 0;
    boolean publishing = false;
    try {
      while (hs > 0) {
        int si = heap[0];
        SegmentFile.Segment s = inputs.get(si);
        int r = pos[si]++;
        if (pos[si] == s.size()) {
          heap[0] = heap[--hs];
        }
        siftDown(heap, hs, 0, inputs, pos);
        if (at.erased(s.ids.get(r), s.seq.get(r)) || s.event.get(r) < floor) {
          dropped++;
          continue;
        }
        segOf[n] = si;
        rowOf[n] = r;
        if (++n == chunk) {
          outputs.add(writeSegment(gather(inputs, segOf, rowOf, n)));
          n = 0;
        }
      }
      if (n > 0) {
        outputs.add(writeSegment(gather(inputs, segOf, rowOf, n)));
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        List<SegmentFile.Segment> next = new ArrayList<>();
        Set<SegmentFile.Segment> gone = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        gone.addAll(inputs);
        boolean placed = false;
        for (SegmentFile.Segment s : snapshot.segments) {
          if (gone.contains(s)) {
            if (!placed) {
              next.addAll(outputs);
              placed = true;
            }
          } else {
            next.add(s);
          }
        }
        publishing = true;
        publish(next, snapshot.tombstones, unsealedFloor());
      }
      for (SegmentFile.Segment s : inputs) {
        if (dir != null) {
          io.delete(dir.resolve(s.name)); // mapped readers keep their view of it
        }
      }
      LOG.debug("view '{}': merged {} segments ({} rows) into {}, dropped {} erased or expired rows", view, k, total,
          outputs.size(), dropped);
    } catch (IOException e) {
      // once the manifest is being replaced, the one on disk may list the outputs already (its
      // directory sync failed after the rename): keep them; the next open deletes them if it does not
      for (SegmentFile.Segment o : publishing ? List.<SegmentFile.Segment>of() : outputs) {
        try {
          if (dir != null) {
            io.delete(dir.resolve(o.name));
          }
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw new UncheckedIOException("merge of view '" + view + "' failed: " + e.getMessage(), e);
    }
  }

  private static void siftDown(int[] heap, int hs, int i, List<SegmentFile.Segment> in, int[] pos) {
    while (true) {
      int l = 2 * i + 1;
      if (l >= hs) {
        return;
      }
      int m = l;
      if (l + 1 < hs && before(in.get(heap[l + 1]), pos[heap[l + 1]], in.get(heap[l]), pos[heap[l]])) {
        m = l + 1;
      }
      if (!before(in.get(heap[m]), pos[heap[m]], in.get(heap[i]), pos[heap[i]])) {
        return;
      }
      int t = heap[m];
      heap[m] = heap[i];
      heap[i] = t;
      i = m;
    }
  }

  /** Whether row ra of a sorts before row rb of b by (entity, event, created, sequence). */
  private static boolean before(SegmentFile.Segment a, int ra, SegmentFile.Segment b, int rb) {
    for (int c = 0; c < 3; c++) {
      long x = a.key(c, ra);
      long y = b.key(c, rb);
      if (x != y) {
        return x < y;
      }
    }
    return a.seq.get(ra) < b.seq.get(rb);
  }

  private SegmentFile.Source gather(List<SegmentFile.Segment> in, int[] segOf, int[] rowOf, int n) {
    SegmentFile.Segment[] segs = in.toArray(new SegmentFile.Segment[0]);
    return new SegmentFile.Source() {
      // whole columns, gathered one at a time when the writer asks (8 bytes per row while it writes one)
      @Override
      public long[] keyColumn(int column) {
        java.nio.LongBuffer[] b = new java.nio.LongBuffer[segs.length];
        for (int s = 0; s < segs.length; s++) {
          b[s] = segs[s].keys(column);
        }
        long[] out = new long[n];
        for (int r = 0; r < n; r++) {
          out[r] = b[segOf[r]].get(rowOf[r]);
        }
        return out;
      }

      @Override
      public double[] doubleColumn(int col) {
        double[] out = new double[n];
        for (int r = 0; r < n; r++) {
          out[r] = segs[segOf[r]].doubleAt(rowOf[r], col); // NaN when missing (a present value never is)
        }
        return out;
      }

      @Override
      public long[] presenceWords(int col) {
        long[] words = new long[(n + 63) / 64];
        for (int r = 0; r < n; r++) {
          if (segs[segOf[r]].isPresent(rowOf[r], col)) {
            words[r >>> 6] |= 1L << (r & 63);
          }
        }
        return words;
      }

      @Override
      public long[] longColumn(int col) {
        long[] out = new long[n];
        for (int r = 0; r < n; r++) {
          SegmentFile.Segment g = segs[segOf[r]];
          int row = rowOf[r];
          out[r] = g.isPresent(row, col) ? g.getLong(row, col) : 0;
        }
        return out;
      }

      @Override
      public int rows() {
        return n;
      }

      @Override
      public FeatureSchema schema() {
        return schema;
      }

      @Override
      public long key(int column, int row) {
        return in.get(segOf[row]).key(column, rowOf[row]);
      }

      @Override
      public boolean present(int row, int col) {
        return in.get(segOf[row]).isPresent(rowOf[row], col);
      }

      @Override
      public double number(int row, int col) {
        return in.get(segOf[row]).asDouble(rowOf[row], col);
      }

      @Override
      public long integral(int row, int col) {
        return in.get(segOf[row]).getLong(rowOf[row], col);
      }

      @Override
      public String string(int row, int col) {
        return in.get(segOf[row]).getString(rowOf[row], col);
      }

      @Override
      public float[] embedding(int row, int col) {
        return in.get(segOf[row]).getEmbedding(rowOf[row], col);
      }

      @Override
      public SegmentFile.Segment segmentOf(int row) {
        return in.get(segOf[row]);
      }

      @Override
      public int rowIn(int row) {
        return rowOf[row];
      }
    };
  }

  // ------------------------------------------------------------------ reading

  /**
   * The rows with event time below this are hidden by the retention.
   *
   * @return the floor, {@link Long#MIN_VALUE} without retention
   */
  public long retentionFloor() {
    if (retentionMillis == Long.MAX_VALUE) {
      return Long.MIN_VALUE;
    }
    return clock.getAsLong() - retentionMillis;
  }

  /**
   * A consistent view of every row ingested so far (buffered streamed rows are sealed first).
   *
   * @return the snapshot
   */
  public Snapshot snapshot() {
    synchronized (this) {
      if (!pending.isEmpty() || sealing != null) {
        checkOpen();
        sealLocked();
      }
    }
    return snapshot;
  }

  /** The result of a join: for each entity row, the segment and row matched, or segment -1. */
  public static final class Matches {
    /** Segment index per entity row, -1 for no match. */
    public final int[] segment;
    /** Row within the segment. */
    public final int[] row;
    /** The segments the indices refer to. */
    public final List<SegmentFile.Segment> segments;

    Matches(int n, List<SegmentFile.Segment> segments) {
      this.segment = new int[n];
      this.row = new int[n];
      this.segments = segments;
      Arrays.fill(segment, -1);
    }
  }

  /**
   * The point-in-time join: for each entity row (id, t) the latest row of that id with event time in
   * {@code (t - ttl, t]} (and ingestion time {@code <= t} with the availability cut), not erased and
   * not older than the retention; ties by created time, then sequence. Runs on the common fork-join
   * pool in chunks. Heap: the entity rows' arrays and about 16 bytes per entity row; the segments are
   * read through their memory mappings.
   *
   * @param qIds entity ids ({@link KeyDictionary#UNKNOWN} never matches)
   * @param qTime timestamps
   * @param ttl TTL in milliseconds, {@link Long#MAX_VALUE} for none
   * @param cut whether to require ingestion time {@code <= t}
   * @return the matches
   */
  public Matches join(long[] qIds, long[] qTime, long ttl, boolean cut) {
    Snapshot snap = snapshot();
    long floor = retentionFloor();
    Matches m = new Matches(qIds.length, snap.segments);
    JoinTask task = new JoinTask(snap.segments, qIds, qTime, ttl, cut, floor, m, 0, qIds.length);
    if (qIds.length <= JoinTask.SPLIT) {
      task.compute(); // one piece: on this thread, without a hand-off to the pool and back
    } else {
      ForkJoinPool.commonPool().invoke(task);
    }
    if (!snap.tombstones.isEmpty()) {
      for (int q = 0; q < qIds.length; q++) {
        if (snap.tombstones.containsKey(qIds[q])) {
          slowMatch(snap, qIds[q], qTime[q], ttl, cut, floor, m, q);
        }
      }
    }
    return m;
  }

  /** The join for one entity row that skips erased rows. */
  private static void slowMatch(Snapshot snap, long id, long t, long ttl, boolean cut, long floor, Matches m, int q) {
    m.segment[q] = -1;
    long low = ttl == Long.MAX_VALUE || t - ttl > t ? Long.MIN_VALUE : t - ttl;
    if (floor != Long.MIN_VALUE) {
      low = Math.max(low, floor - 1);
    }
    for (int s = 0; s < snap.segments.size(); s++) {
      SegmentFile.Segment seg = snap.segments.get(s);
      int end = upperBound(seg, id, t);
      for (int r = end - 1; r >= 0 && seg.ids.get(r) == id && seg.event.get(r) > low; r--) {
        if (snap.erased(id, seg.seq.get(r)) || (cut && seg.ingested.get(r) > t)) {
          continue;
        }
        consider(m, q, s, r);
        break;
      }
    }
  }

  private static void consider(Matches m, int q, int s, int r) {
    int prev = m.segment[q];
    if (prev < 0) {
      m.segment[q] = s;
      m.row[q] = r;
      return;
    }
    SegmentFile.Segment a = m.segments.get(s);
    SegmentFile.Segment p = m.segments.get(prev);
    int pr = m.row[q];
    int c = Long.compare(a.event.get(r), p.event.get(pr));
    if (c == 0) {
      c = Long.compare(a.created.get(r), p.created.get(pr));
    }
    if (c == 0) {
      c = Long.compare(a.seq.get(r), p.seq.get(pr));
    }
    if (c > 0) {
      m.segment[q] = s;
      m.row[q] = r;
    }
  }

  /** The first row at or after (id, time). */
  public static int lowerBound(SegmentFile.Segment s, long id, long time) {
    int lo = 0;
    int hi = s.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      long x = s.ids.get(mid);
      if (x < id || (x == id && s.event.get(mid) < time)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The first row after (id, time). */
  static int upperBound(SegmentFile.Segment s, long id, long time) {
    int lo = 0;
    int hi = s.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      long x = s.ids.get(mid);
      if (x < id || (x == id && s.event.get(mid) <= time)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static final class JoinTask extends RecursiveAction {
    private static final long serialVersionUID = 1L;
    private final transient List<SegmentFile.Segment> segs;
    private final long[] qIds;
    private final long[] qTime;
    private final long ttl;
    private final boolean cut;
    private final long floor;
    private final transient Matches m;
    private final int from;
    private final int to;

    JoinTask(List<SegmentFile.Segment> segs, long[] qIds, long[] qTime, long ttl, boolean cut, long floor, Matches m,
        int from, int to) {
      this.segs = segs;
      this.qIds = qIds;
      this.qTime = qTime;
      this.ttl = ttl;
      this.cut = cut;
      this.floor = floor;
      this.m = m;
      this.from = from;
      this.to = to;
    }

    /** Entity rows above this are split in two. */
    static final int SPLIT = 65_536;

    @Override
    protected void compute() {
      if (to - from > SPLIT && qIds.length < 1_000_000) {
        int mid = (from + to) >>> 1;
        invokeAll(new JoinTask(segs, qIds, qTime, ttl, cut, floor, m, from, mid),
            new JoinTask(segs, qIds, qTime, ttl, cut, floor, m, mid, to));
        return;
      }
      boolean whole = from == 0 && to == qIds.length;
      long[] ids = whole ? qIds : Arrays.copyOfRange(qIds, from, to);
      long[] ts = whole ? qTime : Arrays.copyOfRange(qTime, from, to);
      for (int s = 0; s < segs.size(); s++) {
        SegmentFile.Segment seg = segs.get(s);
        int[] r = ids.length > 4_096
            ? PointInTimeJoin.joinSortMerge(seg.ids, seg.event, seg.ingested, ids, ts, ttl, cut, floor)
            : PointInTimeJoin.join(seg.ids, seg.event, seg.ingested, ids, ts, ttl, cut, floor);
        for (int i = 0; i < r.length; i++) {
          if (r[i] < 0 || ids[i] == KeyDictionary.UNKNOWN) {
            continue;
          }
          consider(m, from + i, s, r[i]);
        }
      }
    }
  }

  /** A run of rows of one segment handed to a scan. */
  public interface ScanSink {
    /**
     * Receives rows.
     *
     * @param segment the segment
     * @param rows row indices in it, sorted
     * @param count how many of {@code rows} are valid
     */
    void accept(SegmentFile.Segment segment, int[] rows, int count);
  }

  /**
   * Visits every visible row with event time in {@code [fromEvent, toEvent)} and sequence
   * {@code > afterSeq}, segment by segment in sorted order, in runs of at most {@code chunk} rows.
   *
   * @param fromEvent start, inclusive
   * @param toEvent end, exclusive
   * @param afterSeq only rows with a larger sequence ({@code -1} for all)
   * @param chunk the largest run
   * @param sink receives runs
   */
  public void scan(long fromEvent, long toEvent, long afterSeq, int chunk, ScanSink sink) {
    Snapshot snap = snapshot();
    long floor = retentionFloor();
    long from = Math.max(fromEvent, floor);
    int[] buf = new int[chunk];
    for (SegmentFile.Segment seg : snap.segments) {
      if (seg.maxSeq() <= afterSeq || seg.size() == 0) {
        continue;
      }
      int n = 0;
      for (int r = 0; r < seg.size(); r++) {
        long et = seg.event.get(r);
        if (et < from || et >= toEvent || seg.seq.get(r) <= afterSeq || snap.erased(seg.ids.get(r), seg.seq.get(r))) {
          continue;
        }
        buf[n++] = r;
        if (n == chunk) {
          sink.accept(seg, buf, n);
          n = 0;
        }
      }
      if (n > 0) {
        sink.accept(seg, buf, n);
      }
    }
  }

  /**
   * The smallest entity id stored (segments and buffered rows).
   *
   * @return the id, {@link Long#MAX_VALUE} when empty
   */
  public synchronized long minEntityId() {
    long min = Long.MAX_VALUE;
    for (SegmentFile.Segment s : snapshot.segments) {
      if (s.size() > 0) {
        min = Math.min(min, s.ids.get(0)); // segment files are checked sorted when opened
      }
    }
    for (LogRows p : buffered()) {
      for (long id : p.ids) {
        min = Math.min(min, id);
      }
    }
    return min;
  }

  /**
   * The largest entity id stored (segments and buffered rows).
   *
   * @return the id, {@link Long#MIN_VALUE} when empty
   */
  public synchronized long maxEntityId() {
    long max = Long.MIN_VALUE;
    for (SegmentFile.Segment s : snapshot.segments) {
      if (s.size() > 0) {
        max = Math.max(max, s.ids.get(s.size() - 1));
      }
    }
    for (LogRows p : buffered()) {
      for (long id : p.ids) {
        max = Math.max(max, id);
      }
    }
    return max;
  }

  /** Rows not in a segment yet: those a background seal writes, then the pending ones. Under the lock. */
  private List<LogRows> buffered() {
    if (sealing == null) {
      return pending;
    }
    List<LogRows> all = new ArrayList<>(sealing);
    all.addAll(pending);
    return all;
  }

  /**
   * The number of rows (visible or not yet merged away) including buffered ones.
   *
   * @return rows
   */
  public synchronized long rowCount() {
    long n = pendingRows + sealingRows;
    for (SegmentFile.Segment s : snapshot.segments) {
      n += s.size();
    }
    return n;
  }

  /**
   * Closes the log: waits for a running merge, then closes the write-ahead log. Streamed rows still
   * buffered stay in the (forced) write-ahead log and are replayed at the next open.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    awaitMergeSlot(false);
    synchronized (this) {
      awaitSealLocked();
      closed = true;
      try {
        if (wal != null) {
          wal.force();
          wal.close();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close the write-ahead log of view '" + view + "': " + e.getMessage(), e);
      }
    }
  }

  /**
   * Closes the log and deletes its files.
   */
  public void delete() {
    close();
    if (dir != null) {
      try (var files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          io.delete(p);
        }
        io.delete(dir);
        io.syncDirectory(dir.getParent());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the offline log of view '" + view + "': " + e.getMessage(), e);
      }
    }
  }

  // ------------------------------------------------------------------ manifest

  /** The manifest: which segments make up the log, erasures and counters. */
  static final class Manifest {
    final String version;
    final FeatureSchema schema;
    final long nextSeq;
    final long walFloor;
    final long segCounter;
    final List<String> segments;
    final Map<Long, Long> tombstones;
    final Map<String, Long> sources;

    Manifest(String version, FeatureSchema schema, long nextSeq, long walFloor, long segCounter, List<String> segments,
        Map<Long, Long> tombstones, Map<String, Long> sources) {
      this.sources = sources;
      this.version = version;
      this.schema = schema;
      this.nextSeq = nextSeq;
      this.walFloor = walFloor;
      this.segCounter = segCounter;
      this.segments = segments;
      this.tombstones = tombstones;
    }

    ByteBuffer encode() {
      byte[] v = version.getBytes(StandardCharsets.UTF_8);
      byte[] sc = SegmentFile.encodeSchema(schema);
      int size = 8 + 4 + 2 + v.length + 4 + 4 + sc.length + 24 + 4 + 4 + 16 * tombstones.size() + 4;
      List<Map.Entry<byte[], Long>> srcs = new ArrayList<>();
      for (Map.Entry<String, Long> e : new java.util.TreeMap<>(sources).entrySet()) {
        srcs.add(Map.entry(e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue()));
      }
      if (!srcs.isEmpty()) {
        size += 4;
        for (Map.Entry<byte[], Long> e : srcs) {
          size += 2 + e.getKey().length + 8;
        }
      }
      List<byte[]> names = new ArrayList<>();
      for (String s : segments) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        names.add(b);
        size += 2 + b.length;
      }
      ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
      b.put(MANIFEST_MAGIC).putInt(srcs.isEmpty() ? MANIFEST_VERSION : MANIFEST_VERSION_SOURCES)
          .putShort((short) v.length).put(v);
      b.putInt(schema.size()).putInt(sc.length).put(sc);
      b.putLong(nextSeq).putLong(walFloor).putLong(segCounter);
      b.putInt(names.size());
      for (byte[] n : names) {
        b.putShort((short) n.length).put(n);
      }
      b.putInt(tombstones.size());
      tombstones.entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> b.putLong(e.getKey()).putLong(e.getValue()));
      if (!srcs.isEmpty()) {
        b.putInt(srcs.size());
        for (Map.Entry<byte[], Long> e : srcs) {
          b.putShort((short) e.getKey().length).put(e.getKey()).putLong(e.getValue());
        }
      }
      CRC32C c = new CRC32C();
      c.update(b.array(), 0, b.position());
      b.putInt((int) c.getValue());
      b.flip();
      return b;
    }
  }

  static Manifest readManifest(Path file) {
    try {
      long size = Files.size(file);
      if (size > 64L << 20 || size < 12) {
        throw new StorageCorruptedException(file, 0, "manifest of " + size + " bytes, expected 12 bytes to 64 MiB");
      }
      ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
      return decodeManifest(b, file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  static Manifest decodeManifest(ByteBuffer b, Path file) {
    int size = b.limit();
    CRC32C c = new CRC32C();
    c.update(b.array(), 0, size - 4);
    if ((int) c.getValue() != b.getInt(size - 4)) {
      throw new StorageCorruptedException(file, size - 4, "manifest checksum mismatch");
    }
    byte[] magic = new byte[8];
    b.get(magic);
    if (!Arrays.equals(magic, MANIFEST_MAGIC)) {
      throw new StorageCorruptedException(file, 0, "expected magic SVMLMAN1");
    }
    int ver = b.getInt();
    if (ver != MANIFEST_VERSION && ver != MANIFEST_VERSION_SOURCES) {
      throw new StorageCorruptedException(file, 8, "format version " + ver + ", this library reads "
          + MANIFEST_VERSION + " and " + MANIFEST_VERSION_SOURCES);
    }
    try {
      String version = new String(bytes(b, b.getShort() & 0xffff, size - 4, file), StandardCharsets.UTF_8);
      int cols = b.getInt();
      int scLen = b.getInt();
      if (cols < 0 || cols > SegmentFile.MAX_COLUMNS || scLen < 0 || scLen > size - 4 - b.position()) {
        throw new StorageCorruptedException(file, b.position() - 8, "schema of " + cols + " columns in " + scLen
            + " bytes does not fit");
      }
      int end = b.position() + scLen;
      FeatureSchema schema = SegmentFile.decodeSchema(b, cols, end, file);
      b.position(end);
      long nextSeq = b.getLong();
      long walFloor = b.getLong();
      long segCounter = b.getLong();
      int nseg = b.getInt();
      if (nseg < 0 || nseg > (size - 4 - b.position()) / 2) {
        throw new StorageCorruptedException(file, b.position() - 4, "segment count " + nseg + " does not fit");
      }
      List<String> segs = new ArrayList<>();
      Set<String> listed = new HashSet<>();
      long highest = 0;
      for (int i = 0; i < nseg; i++) {
        String name = new String(bytes(b, b.getShort() & 0xffff, size - 4, file), StandardCharsets.UTF_8);
        if (!name.matches("seg-[0-9]{12}\\.svs")) {
          throw new StorageCorruptedException(file, b.position(), "segment name '" + name + "' is not seg-N.svs");
        }
        if (!listed.add(name)) {
          throw new StorageCorruptedException(file, b.position(), "segment " + name + " is listed twice");
        }
        segs.add(name);
        highest = Math.max(highest, Long.parseLong(name.substring(4, 16)));
      }
      // the counter names the next segment: below a listed one, the next write would replace that file
      if (segCounter < highest || segCounter > MAX_SEGMENT_NUMBER) {
        throw new StorageCorruptedException(file, b.position(), "segment counter " + segCounter + " outside ["
            + highest + ", " + MAX_SEGMENT_NUMBER + "] (the highest listed segment number, the largest a name holds)");
      }
      int nt = b.getInt();
      if (nt < 0 || nt > (size - 4 - b.position()) / 16) {
        throw new StorageCorruptedException(file, b.position() - 4, "erasure count " + nt + " does not fit");
      }
      Map<Long, Long> tombs = new HashMap<>();
      for (int i = 0; i < nt; i++) {
        tombs.put(b.getLong(), b.getLong());
      }
      Map<String, Long> srcs = new HashMap<>();
      if (ver == MANIFEST_VERSION_SOURCES) {
        int ns = b.getInt();
        if (ns < 0 || ns > (size - 4 - b.position()) / 10) {
          throw new StorageCorruptedException(file, b.position() - 4, "stream source count " + ns + " does not fit");
        }
        for (int i = 0; i < ns; i++) {
          int len = b.getShort() & 0xffff;
          if (len > MAX_SOURCE_BYTES) {
            throw new StorageCorruptedException(file, b.position() - 2, "stream source name of " + len
                + " bytes, at most " + MAX_SOURCE_BYTES);
          }
          String name = new String(bytes(b, len, size - 4, file), StandardCharsets.UTF_8);
          if (srcs.put(name, b.getLong()) != null) {
            throw new StorageCorruptedException(file, b.position(), "stream source '" + name + "' is listed twice");
          }
        }
      }
      if (b.position() != size - 4) {
        throw new StorageCorruptedException(file, b.position(), "manifest has " + (size - 4 - b.position())
            + " unexpected trailing bytes");
      }
      return new Manifest(version, schema, nextSeq, walFloor, segCounter, segs, tombs, srcs);
    } catch (java.nio.BufferUnderflowException e) {
      throw new StorageCorruptedException(file, b.position(), "manifest ends early");
    }
  }

  private static byte[] bytes(ByteBuffer b, int len, int end, Path file) {
    if (len > end - b.position()) {
      throw new StorageCorruptedException(file, b.position(), "a string of " + len + " bytes runs past the end");
    }
    byte[] out = new byte[len];
    b.get(out);
    return out;
  }
}
