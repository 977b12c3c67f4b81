package org.sieveml.features;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.features.internal.FileIo;
import org.sieveml.features.internal.KeyDictionary;
import org.sieveml.features.internal.RecordLog;
import org.sieveml.features.internal.Salvage;
import org.sieveml.features.internal.SegmentFile;
import org.sieveml.features.internal.Values;
import org.sieveml.features.internal.ViewLog;
import org.sieveml.features.internal.WindowAggregator;

/**
 * The default {@link OfflineStore}: each view's history as immutable, sorted, columnar segment files
 * plus a write-ahead log, in a directory ({@link #open}) or in memory ({@link #inMemory}).
 *
 * <pre>{@code
 * OfflineStore history = EmbeddedOfflineStore.builder(Path.of("/var/lib/recs/offline"))
 *     .retention("card_txn", Duration.ofDays(400))
 *     .build();
 * FeatureStore store = FeatureStore.builder(registry).offlineStore(history).build();
 * }</pre>
 *
 * <p><b>Layout.</b> {@code LOCK} (held while open: a second store on the same directory is refused),
 * {@code entities/<entity>.keys} (the entity keys' ids, a checksummed record log),
 * {@code views/<view>/MANIFEST} (the view's definition version and schema, its segments, erasures and
 * sequence counter; replaced atomically), {@code views/<view>/seg-N.svs} (immutable sorted columnar
 * segments, see the format in {@code SegmentFile}) and {@code views/<view>/wal.log} (streamed rows not
 * yet in a segment). Our own format rather than Parquet: the join reads its sort columns straight
 * from memory-mapped files with no decoding step, and a host carries no Hadoop or Parquet jars;
 * Parquet import and export come with the lake store.
 *
 * <p><b>Durability.</b> A batch of at least {@value #SEGMENT_BATCH} rows becomes a segment that is
 * forced, renamed into place and listed in a forced manifest (the directory synced after each rename)
 * before {@code append} returns. A smaller batch is appended to the write-ahead log and forced before
 * {@code append} returns (concurrent appenders share one fsync), unless
 * {@link Builder#syncEveryWrite(boolean) syncEveryWrite(false)}: then {@link #sync()} forces it, and
 * a crash or power loss can lose what was appended since the last sync. New entity keys are forced
 * before the rows that use them. A crash ({@code kill -9}) or a power loss loses no append that
 * returned (with the default); a write torn by the crash is cut off at reopening, and damage anywhere
 * else is refused with a {@link StorageCorruptedException} rather than dropped.
 *
 * <p><b>Memory.</b> Segments are memory-mapped; a join's heap is about 40 bytes per entity row plus
 * the gathered values, independent of the history's length (the operating system pages segment data
 * in and out). Streamed rows are buffered on the heap until {@value ViewLog#SEAL_ROWS}, then sealed
 * into a segment on the merge executor while writers go on (at most four seals' worth are buffered
 * behind a running seal before a writer seals itself), or by the next read on its own thread. A merge
 * holds 16 bytes per row of the segment it writes ({@link Builder#maxSegmentRows}): the rows' order, and
 * one column at a time while it is written.
 *
 * <p><b>Merges, retention, erasure.</b> With more than {@value ViewLog#MAX_SEGMENTS} segments a view's
 * smallest segments are merged on the merge executor. Rows older than a view's retention (by event
 * time against the clock) are hidden from reads at once and dropped by merges. {@link #erase} hides an
 * entity's rows from every later read at once (the erasure is in the manifest) and merges drop them;
 * {@link #compact} rewrites a view's segments at once, physically removing them.
 *
 * <p>Thread-safe. {@link #close()} waits for running merges and seals (a seal not started yet is left in
 * the forced write-ahead log, replayed at the next open), forces and closes every log, shuts down
 * the merge executor if the store created it, and releases the directory lock, in that order.
 */
public final class EmbeddedOfflineStore implements OfflineStore {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EmbeddedOfflineStore.class);

  /** Batches of at least this many rows are written as a segment; smaller ones go to the write-ahead log. */
  public static final int SEGMENT_BATCH = 4096;
  static final byte[] KEYS_MAGIC = "SVMLKEY1".getBytes(StandardCharsets.US_ASCII);
  static final int KEYS_VERSION = 1;

  private final Path dir;
  private final FileIo io;
  private final Map<String, Long> retention;
  private final int maxSegmentRows;
  private final boolean syncEveryWrite;
  private final LongSupplier clock;
  private final Executor mergeExecutor;
  private final int sealRows;
  /** What a salvage-mode open skipped; null in the default mode. */
  private final Salvage salvage;
  private final ExecutorService ownExecutor;
  private final ConcurrentHashMap<String, ViewLog> views = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Dictionary> dictionaries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, WindowAggregator> aggregators = new ConcurrentHashMap<>();
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Path lockKey;
  private volatile boolean closed;

  /**
   * Directories (real paths) a store of this JVM holds open. Checked before the lock file is opened:
   * on POSIX, closing any channel of the locked file (as a refused second open would) drops the
   * process's lock, leaving the directory open to other processes.
   */
  private static final java.util.Set<Path> OPEN_DIRS = ConcurrentHashMap.newKeySet();

  /** An entity's dictionary and, for a durable store, its key log. */
  private static final class Dictionary {
    final KeyDictionary dict;
    final RecordLog log;

    Dictionary(KeyDictionary dict, RecordLog log) {
      this.dict = dict;
      this.log = log;
    }
  }

  private EmbeddedOfflineStore(Builder b) {
    this.dir = b.dir;
    this.io = b.io;
    this.retention = Map.copyOf(b.retention);
    this.maxSegmentRows = b.maxSegmentRows;
    this.syncEveryWrite = b.syncEveryWrite;
    this.salvage = b.salvage ? new Salvage() : null;
    this.clock = b.clock;
    this.sealRows = b.sealRows;
    if (b.mergeExecutor != null) {
      this.mergeExecutor = b.mergeExecutor;
      this.ownExecutor = null;
    } else {
      this.ownExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sieveml-offline-merge");
        t.setDaemon(true);
        return t;
      });
      this.mergeExecutor = ownExecutor;
    }
    if (dir == null) {
      lockChannel = null;
      lock = null;
      lockKey = null;
      return;
    }
    FileChannel ch = null;
    Path key = null;
    try {
      Files.createDirectories(dir);
      Path real = dir.toRealPath();
      if (!OPEN_DIRS.add(real)) {
        throw new IllegalStateException("offline store directory " + dir
            + " is already open (by another store in this process); close it first");
      }
      key = real;
      ch = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (OverlappingFileLockException e) {
        l = null;
      }
      if (l == null) {
        throw new IllegalStateException("offline store directory " + dir
            + " is already open (by another store in this or another process); close it first");
      }
      lockChannel = ch;
      lock = l;
      lockKey = real;
    } catch (IOException e) {
      closeQuietly(ch);
      release(key);
      shutdownOwn();
      throw new UncheckedIOException("cannot open offline store directory " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      release(key);
      shutdownOwn();
      throw e;
    }
  }

  private static void release(Path key) {
    if (key != null) {
      OPEN_DIRS.remove(key);
    }
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  private void shutdownOwn() {
    if (ownExecutor != null) {
      ownExecutor.shutdown();
    }
  }

  /**
   * A durable store in a directory with the defaults.
   *
   * @param dir the directory (created if absent)
   * @return the open store
   * @throws IllegalStateException when another store has the directory open
   * @throws StorageCorruptedException when a stored file is damaged
   */
  public static EmbeddedOfflineStore open(Path dir) {
    return builder(dir).build();
  }

  /**
   * A store that keeps everything in memory (off the heap) and forgets it when closed.
   *
   * @return the store
   */
  public static EmbeddedOfflineStore inMemory() {
    return new Builder(null).build();
  }

  /**
   * A builder for a store that keeps everything in memory (for a host's own executor, clock or
   * retention); options that concern files have no effect.
   *
   * @return a new builder
   */
  public static Builder inMemoryBuilder() {
    return new Builder(null);
  }

  /**
   * What opening views in salvage mode skipped so far ({@link Builder#salvage(boolean)}); a view's log
   * is opened, and salvaged, when the view is first used.
   *
   * @return the report; {@link SalvageReport#CLEAN} when nothing was skipped or not in salvage mode
   */
  public SalvageReport salvageReport() {
    return salvage == null ? SalvageReport.CLEAN : salvage.report();
  }

  /**
   * A builder for a durable store in a directory.
   *
   * @param dir the directory
   * @return a new builder
   */
  public static Builder builder(Path dir) {
    if (dir == null) {
      throw new IllegalArgumentException("directory must not be null (use inMemory() for a store without one)");
    }
    return new Builder(dir);
  }

  /**
   * The directory, or null for an in-memory store.
   *
   * @return the directory
   */
  public Path directory() {
    return dir;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the offline store is closed");
    }
  }

  private ViewLog log(ViewDefinition v) {
    checkOpen();
    FeatureSchema schema = v instanceof AggregationView ? ((AggregationView) v).inputSchema() : v.schema();
    String storage = storageVersion(v, schema);
    ViewLog l = views.computeIfAbsent(v.name(), name -> {
      KeyDictionary dict = dictionary(v.entity());
      Path viewDir = dir == null ? null : dir.resolve("views").resolve(name);
      // logs written before storage versions carried the full definition version: still theirs
      String bound = viewDir != null && v.version().equals(ViewLog.storedVersion(viewDir)) ? v.version() : storage;
      ViewLog opened = ViewLog.open(name, viewDir, schema,
          bound, new ViewLog.Options(io, maxSegmentRows, retention.getOrDefault(name, Long.MAX_VALUE), clock,
              mergeExecutor, syncEveryWrite).salvage(salvage).sealRows(sealRows));
      long maxId = opened.maxEntityId();
      if (maxId != Long.MIN_VALUE && !dict.longMode() && maxId >= dict.size()) {
        opened.close();
        throw new StorageCorruptedException(dir.resolve("entities").resolve(v.entity().name() + ".keys"), -1,
            "view '" + name + "' holds rows of entity id " + maxId + " but the key log has only " + dict.size()
                + " keys: the key log was cut or lost; restore it");
      }
      long minId = opened.minEntityId();
      if (minId < 0 && !dict.longMode()) { // ids a dictionary gives are never negative: a row is damaged
        opened.close();
        throw new StorageCorruptedException(viewDir, -1, "view '" + name + "' holds rows of entity id " + minId
            + ", but entity '" + v.entity().name() + "' numbers its keys from 0: a segment or the write-ahead log "
            + "of the view is damaged");
      }
      return opened;
    });
    if (!l.version().equals(storage) && !l.version().equals(v.version())) {
      throw new IllegalStateException("view '" + v.name() + "' was replaced with another entity or event schema "
          + "(its log holds " + l.schema() + ", the registry's definition " + v.version() + " has " + schema
          + "): drop its data (FeatureStore.dropData(\"" + v.name() + "\")) and ingest again");
    }
    return l;
  }

  /**
   * What binds a log to definitions: the entity and the schema of the stored rows. Definitions that
   * change only how rows are served (TTL, windows, descriptions) share the log.
   */
  static String storageVersion(ViewDefinition v, FeatureSchema schema) {
    return "s" + org.sieveml.features.internal.Definitions.hash("storage|" + v.entity().name()
        + v.entity().joinKeys() + "|" + schema).substring(1);
  }

  private KeyDictionary dictionary(Entity e) {
    checkOpen();
    return dictionaries.computeIfAbsent(e.name(), n -> openDictionary(e)).dict;
  }

  private Dictionary openDictionary(Entity e) {
    KeyDictionary d = new KeyDictionary(e.name(), e.joinKeys());
    if (dir == null) {
      return new Dictionary(d, null);
    }
    Path file = dir.resolve("entities").resolve(e.name() + ".keys");
    try {
      io.createDirectories(file.getParent());
      // a rewrite (forgetKey) interrupted before its rename: the log itself is intact
      io.delete(file.resolveSibling(file.getFileName() + ".rewrite"));
      RecordLog log = RecordLog.open(file, io, KEYS_MAGIC, KEYS_VERSION, new ArrayList<>(),
          r -> decodeKeyRecord(r, d, file)); // decoded before a torn tail is cut: a refusal changes nothing
      d.journal(new KeyDictionary.Journal() {
        @Override
        public void mode(boolean longMode) {
          append(log, ByteBuffer.allocate(2).put((byte) 'M').put((byte) (longMode ? 1 : 2)).flip(), file);
        }

        @Override
        public void key(long id, EntityKey key) {
          append(log, encodeKey(id, key), file);
        }
      });
      return new Dictionary(d, log);
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot open the key log " + file + ": " + ex.getMessage(), ex);
    }
  }

  private static void append(RecordLog log, ByteBuffer b, Path file) {
    try {
      log.append(b);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the key log " + file + ": " + e.getMessage(), e);
    }
  }

  static ByteBuffer encodeKey(long id, EntityKey key) {
    List<byte[]> parts = new ArrayList<>();
    int size = 1 + 8 + 2;
    for (int i = 0; i < key.size(); i++) {
      byte[] name = key.names().get(i).getBytes(StandardCharsets.UTF_8);
      Object v = key.value(i);
      byte[] val = v instanceof Long ? null : ((String) v).getBytes(StandardCharsets.UTF_8);
      parts.add(name);
      parts.add(val);
      size += 2 + name.length + 1 + (val == null ? 8 : 4 + val.length);
    }
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 'K').putLong(id).putShort((short) key.size());
    for (int i = 0; i < key.size(); i++) {
      byte[] name = parts.get(2 * i);
      byte[] val = parts.get(2 * i + 1);
      b.putShort((short) name.length).put(name);
      if (val == null) {
        b.put((byte) 'L').putLong((Long) key.value(i));
      } else {
        b.put((byte) 'S').putInt(val.length).put(val);
      }
    }
    return b.flip();
  }

  static void decodeKeyRecord(ByteBuffer r, KeyDictionary d, Path file) {
    r.order(ByteOrder.LITTLE_ENDIAN);
    try {
      byte kind = r.get();
      if (kind == 'M') {
        byte m = r.get();
        if (m != 1 && m != 2) {
          throw new StorageCorruptedException(file, -1, "key log mode record has mode " + m + ", expected 1 or 2");
        }
        d.restoreMode(m == 1);
        return;
      }
      if ((kind == 'X' || kind == 'K') && !d.dictionaryMode()) {
        // the mode is journaled before the first key: a key without it means a record was lost
        throw new StorageCorruptedException(file, -1, "a key record comes before the record that puts the entity "
            + "in dictionary mode: a record is missing");
      }
      if (kind == 'X') { // a key forgotten after its erasure: the id stays taken
        d.restoreKey(r.getLong(), null);
        return;
      }
      if (kind != 'K') {
        throw new StorageCorruptedException(file, -1, "key log record of kind " + kind
            + ", expected 'M', 'K' or 'X'");
      }
      long id = r.getLong();
      int n = r.getShort() & 0xffff;
      if (n == 0 || n > 64) {
        throw new StorageCorruptedException(file, -1, "key record with " + n + " join keys, expected 1..64");
      }
      EntityKey.Builder kb = EntityKey.builder();
      for (int i = 0; i < n; i++) {
        int nl = r.getShort() & 0xffff;
        if (nl > r.remaining()) {
          throw new StorageCorruptedException(file, -1, "key record name of " + nl + " bytes runs past the record");
        }
        byte[] name = new byte[nl];
        r.get(name);
        byte tag = r.get();
        Object value;
        if (tag == 'L') {
          value = r.getLong();
        } else if (tag == 'S') {
          int vl = r.getInt();
          if (vl < 0 || vl > r.remaining()) {
            throw new StorageCorruptedException(file, -1, "key record value of " + vl + " bytes runs past the record");
          }
          byte[] val = new byte[vl];
          r.get(val);
          value = new String(val, StandardCharsets.UTF_8);
        } else {
          throw new StorageCorruptedException(file, -1, "key record value tag " + tag + ", expected 'L' or 'S'");
        }
        kb.put(new String(name, StandardCharsets.UTF_8), value);
      }
      d.restoreKey(id, kb.build());
    } catch (java.nio.BufferUnderflowException | IllegalArgumentException | IllegalStateException e) {
      throw new StorageCorruptedException(file, -1, "key record does not decode: " + e.getMessage());
    }
  }

  private void forceKeys(Entity e) {
    Dictionary d = dictionaries.get(e.name());
    if (d != null && d.log != null && d.log.dirty()) {
      try {
        d.log.force();
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot force the key log of entity '" + e.name() + "': " + ex.getMessage(),
            ex);
      }
    }
  }

  // ------------------------------------------------------------------ OfflineStore

  @Override
  public long append(ViewDefinition view, EventBatch batch, long ingestedAt) {
    ViewLog log = log(view);
    Columns c = columns(view, batch, ingestedAt);
    if (batch.size() >= SEGMENT_BATCH) {
      return log.appendBatch(c.ids, c.event, c.created, c.ingested, batch.values());
    }
    return log.appendLive(c.ids, c.event, c.created, c.ingested, batch.values());
  }

  /**
   * {@inheritDoc}
   *
   * <p>The source's position is kept per view in the same write-ahead log record as the rows (or, for a
   * batch of at least {@value #SEGMENT_BATCH} new rows, the same manifest as their segment), so a crash
   * keeps both or neither; durability as for {@link #append}.
   */
  @Override
  public int appendFrom(ViewDefinition view, EventBatch batch, long ingestedAt, String source, long[] offsets) {
    OfflineStore.checkSource(view, batch, source, offsets);
    ViewLog log = log(view);
    long pos = log.sourcePosition(source);
    if (offsets.length == 0 || offsets[offsets.length - 1] < pos) {
      return 0; // every row is stored already
    }
    Columns c = columns(view, batch, ingestedAt);
    return log.appendFrom(c.ids, c.event, c.created, c.ingested, batch.values(), source, offsets, SEGMENT_BATCH);
  }

  @Override
  public long sourcePosition(ViewDefinition view, String source) {
    if (source == null) {
      throw new IllegalArgumentException("source must not be null");
    }
    return log(view).sourcePosition(source);
  }

  @Override
  public Map<String, Long> sourcePositions(ViewDefinition view) {
    return log(view).sourcePositions();
  }

  private record Columns(long[] ids, long[] event, long[] created, long[] ingested) {}

  /** A batch's entity ids (new keys forced to the key log first) and time columns. */
  private Columns columns(ViewDefinition view, EventBatch batch, long ingestedAt) {
    KeyDictionary dict = dictionary(view.entity());
    int n = batch.size();
    long[] ids = new long[n];
    String where = "batch for view '" + view.name() + "'";
    if (batch.hasLongKeys()) {
      dict.requireLongMode(where);
      for (int i = 0; i < n; i++) {
        ids[i] = batch.longKey(i);
      }
    } else {
      for (int i = 0; i < n; i++) {
        dict.check(batch.key(i), "row " + i + " of the " + where);
      }
      for (int i = 0; i < n; i++) {
        ids[i] = dict.idOf(batch.key(i), "row " + i + " of the " + where);
      }
    }
    forceKeys(view.entity()); // keys before the rows that use them
    long[] event = new long[n];
    long[] created = new long[n];
    boolean createdIsEvent = true;
    for (int i = 0; i < n; i++) {
      event[i] = batch.eventTime(i);
      created[i] = batch.createdTime(i);
      createdIsEvent &= created[i] == event[i];
    }
    if (createdIsEvent) {
      created = event; // columns are immutable once appended: equal columns share one array
    }
    long[] ingested;
    if (ingestedAt == AT_CREATED_TIME) {
      ingested = created;
    } else {
      ingested = new long[n];
      java.util.Arrays.fill(ingested, ingestedAt);
    }
    return new Columns(ids, event, created, ingested);
  }

  private long[] queryIds(Entity e, EntityRows rows) {
    KeyDictionary dict = dictionary(e);
    int n = rows.size();
    long[] ids = new long[n];
    if (rows.hasLongKeys()) {
      for (int i = 0; i < n; i++) {
        ids[i] = dict.longMode() ? rows.longKey(i) : KeyDictionary.UNKNOWN;
      }
      return ids;
    }
    Map<EntityKey, Long> memo = new HashMap<>();
    for (int i = 0; i < n; i++) {
      ids[i] = memo.computeIfAbsent(rows.key(i), dict::lookup);
    }
    return ids;
  }

  private static long[] times(EntityRows rows) {
    long[] ts = new long[rows.size()];
    for (int i = 0; i < ts.length; i++) {
      ts[i] = rows.timestamp(i);
    }
    return ts;
  }

  @Override
  public JoinedRows join(FeatureView view, EntityRows rows, List<String> features, Visibility visibility) {
    ViewLog log = log(view);
    long[] ids = queryIds(view.entity(), rows);
    int n = ids.length;
    ViewLog.Matches m = log.join(ids, times(rows), view.ttlMillis(), visibility == Visibility.AS_SERVED);
    BitSet matched = new BitSet(n);
    for (int r = 0; r < n; r++) {
      if (m.segment[r] >= 0) {
        matched.set(r);
      }
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n);
    SegmentFile.GatherScratch scratch = new SegmentFile.GatherScratch();
    SegmentFile.Picks[] picks = SegmentFile.Picks.of(m.segments.size(), m.segment, m.row);
    for (String f : features) {
      int fi = view.schema().indexOf(f);
      if (fi < 0) {
        throw new IllegalArgumentException("view '" + view.name() + "' has no feature '" + f + "'");
      }
      FeatureSpec spec = view.schema().get(fi);
      if (spec.type() == org.sieveml.core.FeatureType.DOUBLE) {
        fb.addDouble(f, out -> { // gathered in place: unmatched rows stay NaN (missing)
          for (int s = 0; s < m.segments.size(); s++) {
            m.segments.get(s).gatherDoubles(fi, picks[s], out, scratch);
          }
        });
        continue;
      }
      if (spec.type() == org.sieveml.core.FeatureType.STRING) {
        String[] out = new String[n];
        for (int s = 0; s < m.segments.size(); s++) {
          m.segments.get(s).gatherStrings(fi, picks[s], out);
        }
        fb.addString(f, out);
        continue;
      }
      Values.ColumnGather g = new Values.ColumnGather(spec, n);
      for (int r = 0; r < n; r++) {
        int s = m.segment[r];
        if (s >= 0) {
          m.segments.get(s).set(g, r, m.row[r], fi);
        }
      }
      g.addTo(fb);
    }
    return new JoinedRows(fb.build(), matched);
  }

  @Override
  public double[][] windows(AggregationView view, EntityRows rows, Visibility visibility) {
    ViewLog log = log(view);
    WindowAggregator agg = aggregators.computeIfAbsent(view.name() + "@" + view.version(),
        k -> new WindowAggregator(view));
    return agg.offline(log, queryIds(view.entity(), rows), times(rows), visibility == Visibility.AS_SERVED);
  }

  @Override
  public void scan(ViewDefinition view, long fromEventTime, long toEventTime, long afterSequence,
      Consumer<LogChunk> sink) {
    ViewLog log = log(view);
    KeyDictionary dict = dictionary(view.entity());
    log.scan(fromEventTime, toEventTime, afterSequence, 10_000, (seg, rows, count) -> {
      int[] idx = Arrays.copyOf(rows, count);
      EntityKey[] keys = new EntityKey[count];
      long[][] k = new long[5][count];
      long prevId = 0;
      for (int i = 0; i < count; i++) {
        for (int c = 0; c < 5; c++) {
          k[c][i] = seg.key(c, idx[i]);
        }
        keys[i] = i > 0 && k[0][i] == prevId ? keys[i - 1] : dict.keyOf(k[0][i]);
        prevId = k[0][i];
      }
      int kept = 0;
      for (int i = 0; i < count; i++) {
        if (keys[i] != null) {
          kept++;
        }
      }
      if (kept < count) {
        // rows written under a key while that key was being forgotten after an erasure
        LOG.warn("view '{}': {} rows of a forgotten (erased) key are not returned by the scan", view.name(),
            count - kept);
        int j = 0;
        int[] keep = new int[kept];
        for (int i = 0; i < count; i++) {
          if (keys[i] != null) {
            keys[j] = keys[i];
            for (int c = 0; c < 5; c++) {
              k[c][j] = k[c][i];
            }
            keep[j++] = idx[i];
          }
        }
        idx = keep;
        keys = Arrays.copyOf(keys, kept);
        for (int c = 0; c < 5; c++) {
          k[c] = Arrays.copyOf(k[c], kept);
        }
      }
      sink.accept(new LogChunk(keys, k[1], k[2], k[3], k[4], seg.frame(idx)));
    });
  }

  @Override
  public long erase(ViewDefinition view, EntityKey key) {
    ViewLog log = log(view);
    KeyDictionary dict = dictionary(view.entity());
    dict.check(key, "key erased from view '" + view.name() + "'");
    long id = dict.lookup(key);
    if (id == KeyDictionary.UNKNOWN) {
      return 0;
    }
    return log.erase(id);
  }

  @Override
  public void forgetKey(Entity entity, EntityKey key) {
    KeyDictionary dict = dictionary(entity);
    Dictionary d = dictionaries.get(entity.name());
    synchronized (dict) { // no new key is journaled while the log is rewritten
      if (!dict.dictionaryMode() || dict.lookup(key) == KeyDictionary.UNKNOWN) {
        return;
      }
      if (d.log != null) { // the file first: memory forgets the key only once the disk has
        List<ByteBuffer> records = new ArrayList<>();
        records.add(ByteBuffer.allocate(2).put((byte) 'M').put((byte) 2).flip());
        List<EntityKey> keys = dict.keysById();
        for (int i = 0; i < keys.size(); i++) {
          records.add(keys.get(i) == null || keys.get(i).equals(key)
              ? ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).put((byte) 'X').putLong(i).flip()
              : encodeKey(i, keys.get(i)));
        }
        try {
          d.log.replaceWith(records);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot rewrite the key log of entity '" + entity.name() + "' without the "
              + "erased key: " + e.getMessage(), e);
        }
      }
      dict.forget(key);
    }
  }

  @Override
  public long nextSequence(ViewDefinition view) {
    return log(view).nextSequence();
  }

  /**
   * Rewrites a view's segments now: erased rows and rows older than the retention leave the files.
   *
   * @param view the view
   */
  public void compact(ViewDefinition view) {
    log(view).compact();
  }

  /**
   * The number of rows held for a view, including erased or expired rows not yet merged away.
   *
   * @param view the view
   * @return rows
   */
  public long storedRows(ViewDefinition view) {
    return log(view).rowCount();
  }

  @Override
  public void drop(String view) {
    checkOpen();
    ViewLog l = views.remove(view);
    if (l != null) {
      l.delete();
    } else if (dir != null) {
      Path d = dir.resolve("views").resolve(view);
      if (Files.isDirectory(d)) {
        try (var files = Files.list(d)) {
          for (Path p : (Iterable<Path>) files::iterator) {
            io.delete(p);
          }
          io.delete(d);
          io.syncDirectory(d.getParent());
        } catch (IOException e) {
          throw new UncheckedIOException("cannot delete " + d + ": " + e.getMessage(), e);
        }
      }
    }
  }

  @Override
  public void sync() {
    checkOpen();
    for (Dictionary d : dictionaries.values()) {
      if (d.log != null) {
        try {
          d.log.force();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot force a key log: " + e.getMessage(), e);
        }
      }
    }
    for (ViewLog l : views.values()) {
      l.sync();
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException failure = null;
    for (ViewLog l : views.values()) {
      try {
        l.close();
      } catch (RuntimeException e) {
        failure = failure == null ? e : failure;
      }
    }
    for (Dictionary d : dictionaries.values()) {
      if (d.log != null) {
        try {
          d.log.force();
          d.log.close();
        } catch (IOException e) {
          failure = failure == null ? new UncheckedIOException(e) : failure;
        }
      }
    }
    shutdownOwn();
    if (lock != null) {
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException e) {
        failure = failure == null ? new UncheckedIOException(e) : failure;
      } finally {
        release(lockKey);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Configures an {@link EmbeddedOfflineStore}. Not thread-safe. */
  public static final class Builder {
    private final Path dir;
    private FileIo io = FileIo.DEFAULT;
    private final Map<String, Long> retention = new HashMap<>();
    private int maxSegmentRows = 4_000_000;
    private boolean syncEveryWrite = true;
    private LongSupplier clock = System::currentTimeMillis;
    private Executor mergeExecutor;
    private int sealRows = ViewLog.SEAL_ROWS;
    private boolean salvage;

    private Builder(Path dir) {
      this.dir = dir;
    }

    /**
     * Opens in salvage mode (default off): a view's write-ahead log damaged in the middle is not
     * refused when the view is first used; every intact record is kept, each damaged range (and each
     * gap in the sequence numbers) is skipped and reported in {@link
     * EmbeddedOfflineStore#salvageReport()}, the damaged log is first copied aside byte for byte, and
     * what was recovered is sealed into a segment at once so the next default open succeeds. Damaged
     * segments, manifests and entity key logs are still refused (each row names its key by its
     * position in the key log, so a lost key record cannot be skipped safely): restore them from a
     * backup. Use it as a deliberate repair step, after reading the refusal.
     *
     * @param salvage whether to salvage
     * @return this builder
     */
    public Builder salvage(boolean salvage) {
      this.salvage = salvage;
      return this;
    }

    /**
     * Keeps a view's history for this long (by event time, against the clock); older rows are hidden
     * from reads and dropped by merges. Default: forever.
     *
     * @param view the view's name
     * @param keep how long, positive
     * @return this builder
     */
    public Builder retention(String view, Duration keep) {
      if (view == null || keep == null || keep.isNegative() || keep.isZero()) {
        throw new IllegalArgumentException("retention of view '" + view + "' must be a positive duration, was "
            + keep);
      }
      retention.put(view, keep.toMillis());
      return this;
    }

    /**
     * The largest segment a merge writes (default 4,000,000 rows); a merge's heap is 8 bytes per row.
     *
     * @param rows at least 1,000
     * @return this builder
     */
    public Builder maxSegmentRows(int rows) {
      if (rows < 1_000) {
        throw new IllegalArgumentException("maxSegmentRows must be >= 1000, was " + rows);
      }
      this.maxSegmentRows = rows;
      return this;
    }

    /**
     * Whether every append forces the write-ahead log before it returns (default true). With false,
     * call {@link EmbeddedOfflineStore#sync()}; a crash can lose what was appended since.
     *
     * @param sync the setting
     * @return this builder
     */
    public Builder syncEveryWrite(boolean sync) {
      this.syncEveryWrite = sync;
      return this;
    }

    /**
     * The clock retention is measured against (default the system clock).
     *
     * @param nowMillis epoch milliseconds
     * @return this builder
     */
    public Builder clock(LongSupplier nowMillis) {
      if (nowMillis == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = nowMillis;
      return this;
    }

    /**
     * Where merges and the seals of buffered streamed rows run (default: one daemon thread owned by
     * the store). The host keeps ownership of an executor it supplies; a task it rejects runs on the
     * writer's thread, and a seal it has not started when a read comes is done by the read.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder mergeExecutor(Executor executor) {
      if (executor == null) {
        throw new IllegalArgumentException("merge executor must not be null");
      }
      this.mergeExecutor = executor;
      return this;
    }

    /** How many buffered streamed rows start a seal (tests seal sooner than {@value ViewLog#SEAL_ROWS}). */
    Builder sealRows(int rows) {
      this.sealRows = rows;
      return this;
    }

    Builder fileIo(FileIo io) {
      this.io = io;
      return this;
    }

    /**
     * Opens the store.
     *
     * @return the store
     */
    public EmbeddedOfflineStore build() {
      return new EmbeddedOfflineStore(this);
    }
  }
}
