package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.features.internal.OnlineCodec;
import org.sieveml.features.internal.OnlineCodec.Op;

/**
 * Coverage-guided (Jazzer) fuzz targets, one per file loader of this module, each opening a real store
 * on a directory that holds the fuzzed file:
 *
 * <ul>
 *   <li>{@code onlineWriteAheadLog}: the online store's log ({@code online-wal.log}, format 2, with
 *       atomic commits: {@code 'T'} records), alone or after the golden snapshot;
 *   <li>{@code onlineSnapshot}: the online store's snapshot ({@code online.snap});
 *   <li>{@code onlineFormatOne}: format 1 files ({@code online.wal}, {@code online.snapshot}), which
 *       opening converts;
 *   <li>{@code offlineSegment}, {@code offlineWriteAheadLog}, {@code offlineManifest},
 *       {@code offlineEntityKeys}: one file of the golden offline store (a segment, a view's
 *       {@code wal.log}, its {@code MANIFEST}, {@code entities/user.keys}), the others intact; for the
 *       log and the manifest also of the sourced golden store ({@code golden/offline-v1-sources}: log
 *       records with stream positions, {@code SVMLSRC1}, and a version 2 manifest);
 *   <li>{@code csvIngestion}: the input as a CSV file for {@link FeatureStore#ingestCsv} into a view with
 *       a feature of every type.
 * </ul>
 *
 * <p>The contract each target checks: any input ends either in the loader's documented refusal — a
 * {@link StorageCorruptedException} whose message starts with the damaged file (inside the store's
 * directory); for the CSV loader an {@link IllegalArgumentException} saying what is wrong — or in a
 * correct load, never in any other exception or error ({@code NullPointerException},
 * {@code IndexOutOfBoundsException}, {@code ArithmeticException}, {@code NegativeArraySizeException},
 * {@code OutOfMemoryError}, {@code StackOverflowError}, ...): only the documented types are caught, so
 * Jazzer reports everything else. After a load the target reads everything back through the public API
 * (every row, tile set and mark; every offline row value by value, the stream positions, and a join),
 * closes the store, reopens it and requires the same contents: what a loader accepts must survive what
 * the store then writes (a checkpoint, a sealed segment).
 *
 * <p><b>Inputs.</b> Record checksums would stop a coverage-guided fuzzer at the first CRC check, so for
 * the checksummed formats the first input byte picks a mode: the rest of the input is the file itself
 * (raw: framing, checksums and torn-tail recovery are fuzzed), or a list of payloads (each a 4-byte
 * little-endian length and that many bytes; a length past the end takes what is left) framed into
 * records with valid checksums (for the online files also stamped with their record numbers; for the
 * offline write-ahead log each payload, a segment after its stream positions if it has them, with the
 * segment's own checksums recomputed), or, for a segment or manifest, the file with every checksum
 * recomputed — so the decoders behind the checksums
 * are reached. Each target's loading method ({@link #onlineWal}, {@link #onlineSnap}, {@link #formatOne},
 * {@link #segment}, {@link #offlineWal}, {@link #manifest}, {@link #keyLog}, {@link #csv}) documents its
 * modes. The committed seeds (in
 * {@code src/test/resources/org/sieveml/features/LoaderFuzzTestInputs/<method>/seed-*}, made by
 * {@link #seeds} from the golden files of {@link OnlineFormatTest} and {@link OfflineFormatTest} and
 * from small CSV files) all load ({@link #everySeedLoads}), so fuzzing
 * starts deep in each decoder; the {@code regression-*} files there are inputs that found a bug. A plain
 * {@code mvn verify} replays every file of the corpus (regression mode, no fuzzing; about 4 s, most of
 * it Jazzer's agent starting).
 *
 * <p><b>Fuzzing one target</b> (one JVM per target: Jazzer fuzzes the first selected fuzz test) for its
 * {@code maxDuration} of 20 s, or as long as {@code JAZZER_MAX_DURATION} says ({@code 60s}, {@code 10m}):
 *
 * <pre>
 * JAZZER_FUZZ=1 flock /tmp/sieveml-build.lock mvn -o -B test -pl features \
 *     -Dtest='LoaderFuzzTest#offlineSegment' -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Xmx256m
 * </pre>
 *
 * Jazzer prints libFuzzer's statistics ({@code Done N runs in S second(s)}) to the console, keeps the
 * corpus it grows in {@code features/.cifuzz-corpus/} (git-ignored) and writes an input that fails as
 * {@code crash-<sha1>} into the target's inputs directory: fix the loader, then keep the input there
 * under a name saying what it found ({@code regression-...}) so every later build replays it.
 * ({@code JAZZER_KEEP_GOING=N} collects up to N distinct findings in one run, but then the test passes.)
 *
 * <p>Files are written under {@code /dev/shm} when it is writable (a store's open forces files and
 * directories: on a memory file system that costs nothing), in a fresh directory per input, removed
 * afterwards. slf4j-simple's stderr is muted while a store opens (the warnings of torn tails and
 * replays would flood the console).
 */
class LoaderFuzzTest {

  static final String INPUTS = "org/sieveml/features/LoaderFuzzTestInputs";
  static final long NOW = OfflineFormatTest.PUSH2 + 60_000;
  static final int JOIN_KEYS = 32;

  // ------------------------------------------------------------------ golden bytes

  static final byte[] ONLINE_SNAPSHOT;
  static final byte[] ONLINE_WAL;
  static final byte[] LEGACY_SNAPSHOT;
  static final byte[] LEGACY_WAL;
  static final byte[] ONLINE_COMMIT_WAL;
  static final Map<String, byte[]> OFFLINE = new LinkedHashMap<>(); // relative path -> bytes
  static final Map<String, byte[]> OFFLINE_SOURCES = new LinkedHashMap<>(); // the sourced golden store
  static final String SEGMENT = "views/profile/seg-000000000001.svs";
  static final String OFFLINE_WAL = "views/profile/wal.log";
  static final String MANIFEST = "views/profile/MANIFEST";
  static final String KEYS = "entities/user.keys";
  static final byte[] OFFLINE_WAL_MAGIC = "SVMLOWL1".getBytes(StandardCharsets.US_ASCII);
  static final FeatureRegistry REGISTRY = new FeatureRegistry();
  static final FeatureView VIEW;
  static final List<String> FEATURES;

  static {
    try {
      Path v2 = OnlineFormatTest.source(OnlineFormatTest.GOLDEN_V2);
      ONLINE_SNAPSHOT = Files.readAllBytes(v2.resolve(EmbeddedOnlineStore.SNAPSHOT));
      ONLINE_WAL = Files.readAllBytes(v2.resolve(EmbeddedOnlineStore.WAL));
      Path v1 = OnlineFormatTest.source(OnlineFormatTest.GOLDEN_V1);
      LEGACY_SNAPSHOT = Files.readAllBytes(v1.resolve(EmbeddedOnlineStore.LEGACY_SNAPSHOT));
      LEGACY_WAL = Files.readAllBytes(v1.resolve(EmbeddedOnlineStore.LEGACY_WAL));
      ONLINE_COMMIT_WAL = Files.readAllBytes(OnlineFormatTest.source(OnlineFormatTest.GOLDEN_COMMIT)
          .resolve(EmbeddedOnlineStore.WAL));
      Path g = OfflineFormatTest.goldenSource();
      Path gs = OfflineFormatTest.goldenSource(OfflineFormatTest.GOLDEN_SOURCES);
      for (String f : List.of(KEYS, MANIFEST, SEGMENT, OFFLINE_WAL)) {
        OFFLINE.put(f, Files.readAllBytes(g.resolve(f)));
        OFFLINE_SOURCES.put(f, Files.readAllBytes(gs.resolve(f)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    REGISTRY.apply(OfflineFormatTest.USER);
    REGISTRY.apply(OfflineFormatTest.profile());
    VIEW = REGISTRY.view("profile", FeatureView.class);
    FEATURES = VIEW.schema().names();
  }

  // ------------------------------------------------------------------ work directories

  private static Path root;

  /** A fresh, empty directory for one input, on a memory file system when there is one. */
  static synchronized Path newDir() throws IOException {
    if (root == null) {
      Path shm = Path.of("/dev/shm");
      root = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "sieveml-loader-fuzz")
          : Files.createTempDirectory("sieveml-loader-fuzz");
      Path r = root;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          OfflineFormatFuzzTest.deleteTree(r);
        } catch (IOException ignored) {
          // best effort
        }
      }));
    }
    return Files.createTempDirectory(root, "in");
  }

  @AfterAll
  static synchronized void removeRoot() throws IOException {
    if (root != null) {
      OfflineFormatFuzzTest.deleteTree(root);
      root = null;
    }
  }

  /** Mutes stderr (slf4j-simple) until {@link #unmute}. */
  static PrintStream mute() {
    PrintStream err = System.err;
    System.setErr(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
    return err;
  }

  static void unmute(PrintStream err) {
    System.setErr(err);
  }

  // ------------------------------------------------------------------ input encodings

  /** The mode byte of an input (0 for an empty input). */
  static int mode(byte[] data, int modes) {
    return data.length == 0 ? 0 : (data[0] & 0x7f) % modes;
  }

  /** An input's bytes after its mode byte. */
  static byte[] body(byte[] data) {
    return data.length == 0 ? data : Arrays.copyOfRange(data, 1, data.length);
  }

  /**
   * The payloads of a framed input: after the mode byte, each one a 4-byte little-endian length and
   * that many bytes (fewer when the input ends first); fewer than 4 bytes left end the list.
   */
  static List<byte[]> payloads(byte[] data) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int p = Math.min(1, data.length);
    while (data.length - p >= 4) {
      long len = b.getInt(p) & 0xFFFF_FFFFL;
      p += 4;
      int n = (int) Math.min(len, data.length - p);
      out.add(Arrays.copyOfRange(data, p, p + n));
      p += n;
    }
    return out;
  }

  /** The inverse of {@link #payloads}: an input of the given mode framing these payloads. */
  static byte[] framed(int mode, List<byte[]> payloads) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(mode);
    for (byte[] p : payloads) {
      out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(p.length).array());
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] withMode(int mode, byte[] body) {
    byte[] out = new byte[body.length + 1];
    out[0] = (byte) mode;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  /** A record file ({@code RecordLog}'s framing: header, then records with valid checksums). */
  static byte[] recordFile(byte[] magic, int version, List<byte[]> payloads) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(OnlineCodec.header(magic, version));
    try {
      for (byte[] p : payloads) {
        OnlineCodec.writeRecord(out, p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The payloads of a record file that is intact (for writing seeds). */
  static List<byte[]> recordsOf(byte[] file) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int p = 16;
    while (p < file.length) {
      int len = b.getInt(p + 4);
      out.add(Arrays.copyOfRange(file, p + 12, p + 12 + len));
      p += 12 + len;
    }
    return out;
  }

  /**
   * An online store file from an input. Modes (the first byte, its low 7 bits modulo 3): 0 the bytes
   * as the file; 1 payloads framed with valid checksums; 2 the same with each payload of at least 8
   * bytes stamped with its record number (so replay's numbering check passes and the decoder and the
   * store's rules behind it are reached).
   */
  static byte[] onlineFile(byte[] data, byte[] magic) {
    int mode = mode(data, 3);
    if (mode == 0) {
      return body(data);
    }
    List<byte[]> p = payloads(data);
    if (mode == 2) {
      for (int i = 0; i < p.size(); i++) {
        if (p.get(i).length >= OnlineCodec.NUMBER_BYTES) {
          OnlineCodec.number(p.get(i), i);
        }
      }
    }
    return recordFile(magic, OnlineCodec.FORMAT, p);
  }

  // ------------------------------------------------------------------ refusals

  /** A refusal must name a file of the store's directory, its message starting with that file. */
  static void requireNamedFile(StorageCorruptedException e, Path dir, Predicate<Path> expected) {
    Path f = e.file();
    if (f == null || !f.startsWith(dir) || !e.getMessage().startsWith(f.toString()) || !expected.test(f)) {
      throw new AssertionError("the refusal does not name the damaged file: " + e.getMessage(), e);
    }
  }

  /**
   * A file may hold a counter at its very end (a log generation, a segment number; never reached in
   * practice): it loads, and the store then refuses, clearly, the write that would need the next
   * number. Any other exception is rethrown.
   *
   * @return true (the file loaded)
   */
  static boolean requireExhausted(RuntimeException e) {
    String m = e.getMessage();
    if (m != null && (m.contains("has used every log generation") || m.contains("has used every segment number"))) {
      return true;
    }
    throw e;
  }

  // ------------------------------------------------------------------ online store

  static EmbeddedOnlineStore openOnline(Path dir) {
    // MANUAL and no automatic checkpoints: the store starts no thread
    return EmbeddedOnlineStore.builder(dir).durability(Durability.MANUAL).checkpointAfterLogBytes(0).build();
  }

  /**
   * Everything an online store holds, read back: a checkpoint writes every row, tile set, retention and
   * mark to the snapshot; each of them is decoded from there, read through the public API and must be
   * what the store serves. Returns them as sorted lines (each op encoded alone), for comparison.
   */
  static String onlineContents(EmbeddedOnlineStore s, Path dir) throws IOException {
    s.checkpoint();
    Path file = dir.resolve(EmbeddedOnlineStore.SNAPSHOT);
    byte[] snap = Files.readAllBytes(file);
    OnlineCodec codec = new OnlineCodec();
    List<String> lines = new ArrayList<>();
    OnlineCodec.readStrict(new ByteArrayInputStream(snap), snap.length, file, OnlineCodec.SNAP_MAGIC,
        OnlineCodec.FORMAT_NO_HISTORY, OnlineCodec.FORMAT, (offset, payload) -> {
          Op op = codec.decode(payload);
          if (op instanceof OnlineCodec.Rows r) {
            for (OnlineRow row : r.rows()) {
              String line = encoded(codec, new OnlineCodec.Rows(r.view(), List.of(row)));
              OnlineRow served = s.read(r.view(), row.key());
              if (served == null || !line.equals(encoded(codec, new OnlineCodec.Rows(r.view(), List.of(served))))) {
                throw new AssertionError("view '" + r.view() + "' serves " + served + " for " + row.key()
                    + ", its snapshot holds " + row);
              }
              lines.add(line);
            }
          } else if (op instanceof OnlineCodec.PutTiles p) {
            for (WindowTiles t : p.sets()) {
              WindowTiles served = s.readTiles(p.view(), t.key());
              if (!t.equals(served)) {
                throw new AssertionError("view '" + p.view() + "' serves tiles " + served + " for " + t.key()
                    + ", its snapshot holds " + t);
              }
              lines.add(encoded(codec, new OnlineCodec.PutTiles(p.view(), List.of(t))));
            }
          } else if (op instanceof OnlineCodec.Mark m) {
            if (s.readMark(m.name()) != m.value()) {
              throw new AssertionError("mark '" + m.name() + "' reads " + s.readMark(m.name()) + ", its snapshot holds "
                  + m.value());
            }
            lines.add(encoded(codec, op));
          } else if (op instanceof OnlineCodec.AddTiles) {
            lines.add(encoded(codec, op)); // a view's retention
          }
        });
    lines.sort(null);
    return String.join("\n", lines);
  }

  static String encoded(OnlineCodec codec, Op op) {
    List<byte[]> p = codec.encode(op);
    StringBuilder sb = new StringBuilder();
    for (byte[] b : p) {
      sb.append(Base64.getEncoder().encodeToString(b));
    }
    return sb.toString();
  }

  /**
   * Opens an online store directory holding a fuzzed file: refused naming {@code damaged}, or loaded;
   * then everything is read back, and reopening (after the checkpoint the reading wrote) must give the
   * same contents.
   *
   * @return whether it loaded
   */
  static boolean loadOnline(Path dir, Path damaged) throws IOException {
    PrintStream err = mute();
    try {
      EmbeddedOnlineStore s;
      try {
        s = openOnline(dir);
      } catch (StorageCorruptedException e) {
        requireNamedFile(e, dir, damaged::equals);
        return false;
      }
      String contents;
      try {
        contents = onlineContents(s, dir);
      } catch (IllegalStateException e) {
        return requireExhausted(e);
      } finally {
        s.close();
      }
      EmbeddedOnlineStore again = openOnline(dir);
      try {
        String reopened = onlineContents(again, dir);
        if (!contents.equals(reopened)) {
          throw new AssertionError("reopened after a checkpoint, the store holds other contents:\n" + contents
              + "\n---\n" + reopened);
        }
      } catch (IllegalStateException e) {
        return requireExhausted(e);
      } finally {
        again.close();
      }
      return true;
    } finally {
      unmute(err);
    }
  }

  /**
   * Target 1: the online write-ahead log ({@code online-wal.log}, format 2). First byte: bit 7 set puts
   * the golden snapshot next to the log (else the log is alone), the low 7 bits modulo 3 pick the mode
   * of {@link #onlineFile}.
   */
  static boolean onlineWal(byte[] data) throws IOException {
    boolean withSnapshot = data.length > 0 && (data[0] & 0x80) != 0;
    Path dir = newDir();
    try {
      if (withSnapshot) {
        Files.write(dir.resolve(EmbeddedOnlineStore.SNAPSHOT), ONLINE_SNAPSHOT);
      }
      Path wal = dir.resolve(EmbeddedOnlineStore.WAL);
      Files.write(wal, onlineFile(data, OnlineCodec.WAL_MAGIC));
      return loadOnline(dir, wal);
    } finally {
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  @FuzzTest(maxDuration = "20s")
  void onlineWriteAheadLog(byte[] data) throws IOException {
    onlineWal(data);
  }

  /** Target 2: the online snapshot ({@code online.snap}) alone; modes of {@link #onlineFile}. */
  static boolean onlineSnap(byte[] data) throws IOException {
    Path dir = newDir();
    try {
      Path snap = dir.resolve(EmbeddedOnlineStore.SNAPSHOT);
      Files.write(snap, onlineFile(data, OnlineCodec.SNAP_MAGIC));
      return loadOnline(dir, snap);
    } finally {
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  @FuzzTest(maxDuration = "20s")
  void onlineSnapshot(byte[] data) throws IOException {
    onlineSnap(data);
  }

  /**
   * A format 1 file (big endian): magic, version 1, then per record its length, the CRC32C of its
   * payload and the payload (a log record's payload starts with its type byte); a snapshot ends with
   * -1 and its record count.
   */
  static byte[] legacyFile(byte[] magic, List<byte[]> payloads, boolean snapshot) {
    ByteBuffer b = ByteBuffer.allocate(12 + 12 + payloads.stream().mapToInt(p -> 8 + p.length).sum());
    b.put(magic).putInt(1);
    for (byte[] p : payloads) {
      java.util.zip.CRC32C c = new java.util.zip.CRC32C();
      c.update(p);
      b.putInt(p.length).putInt((int) c.getValue()).put(p);
    }
    if (snapshot) {
      b.putInt(-1).putLong(payloads.size());
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  /** The payloads of an intact format 1 file (for writing seeds). */
  static List<byte[]> legacyRecordsOf(byte[] file) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(file);
    int p = 12;
    while (p < file.length && b.getInt(p) != -1) {
      int len = b.getInt(p);
      out.add(Arrays.copyOfRange(file, p + 8, p + 8 + len));
      p += 8 + len;
    }
    return out;
  }

  /**
   * Target 3: a directory of format 1 files ({@code online.snapshot}, {@code online.wal}, written by
   * earlier versions), which opening converts to format 2. First byte: bit 7 set fuzzes the snapshot
   * (next to the golden log), else the log (next to the golden snapshot); the low 7 bits modulo 2 pick
   * the mode: 0 the bytes as the file, 1 payloads framed with valid checksums (and, for a snapshot,
   * its trailer with the right count).
   */
  static boolean formatOne(byte[] data) throws IOException {
    boolean snapshot = data.length > 0 && (data[0] & 0x80) != 0;
    byte[] fuzzed = mode(data, 2) == 0 ? body(data)
        : legacyFile(snapshot ? OnlineCodec.LEGACY_SNAP_MAGIC : OnlineCodec.LEGACY_WAL_MAGIC, payloads(data), snapshot);
    Path dir = newDir();
    try {
      Path snap = dir.resolve(EmbeddedOnlineStore.LEGACY_SNAPSHOT);
      Path wal = dir.resolve(EmbeddedOnlineStore.LEGACY_WAL);
      Files.write(snap, snapshot ? fuzzed : LEGACY_SNAPSHOT);
      Files.write(wal, snapshot ? LEGACY_WAL : fuzzed);
      return loadOnline(dir, snapshot ? snap : wal);
    } finally {
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  @FuzzTest(maxDuration = "20s")
  void onlineFormatOne(byte[] data) throws IOException {
    formatOne(data);
  }

  // ------------------------------------------------------------------ offline store

  static EmbeddedOfflineStore openOffline(Path dir) {
    return EmbeddedOfflineStore.builder(dir).mergeExecutor(Runnable::run).clock(() -> NOW).build();
  }

  /**
   * Everything the offline store holds for the golden view, read value by value: the next sequence,
   * the positions of the sourced golden's two stream sources, every row of a full scan (key, times,
   * sequence, each value) as sorted lines, and a join of the first keys at the latest time.
   */
  static String offlineContents(EmbeddedOfflineStore s) {
    StringBuilder head = new StringBuilder().append("next ").append(s.nextSequence(VIEW)).append('\n')
        .append("positions ").append(s.sourcePosition(VIEW, OfflineFormatTest.SOURCE_A)).append(' ')
        .append(s.sourcePosition(VIEW, OfflineFormatTest.SOURCE_B)).append('\n');
    s.storedRows(VIEW);
    List<String> rows = new ArrayList<>();
    Set<EntityKey> keys = new LinkedHashSet<>();
    s.scan(VIEW, Long.MIN_VALUE, Long.MAX_VALUE, -1, c -> {
      FeatureFrame f = c.values();
      for (int r = 0; r < c.size(); r++) {
        StringBuilder sb = new StringBuilder();
        sb.append(c.sequence(r)).append(' ').append(c.key(r)).append(' ').append(c.eventTime(r)).append(' ')
            .append(c.createdTime(r)).append(' ').append(c.ingestionTime(r));
        appendValues(sb, f, r);
        rows.add(sb.toString());
        if (keys.size() < JOIN_KEYS) {
          keys.add(c.key(r));
        }
      }
    });
    rows.sort(null);
    if (!keys.isEmpty()) {
      long[] at = new long[keys.size()];
      Arrays.fill(at, EventBatch.MAX_TIME);
      for (Visibility v : Visibility.values()) {
        JoinedRows j = s.join(VIEW, EntityRows.of(new ArrayList<>(keys), at, null), FEATURES, v);
        StringBuilder sb = new StringBuilder("join ").append(v);
        for (int r = 0; r < at.length; r++) {
          sb.append(j.matched(r) ? " +" : " -");
          appendValues(sb, j.values(), r);
        }
        rows.add(sb.toString());
      }
    }
    return head + String.join("\n", rows);
  }

  static void appendValues(StringBuilder sb, FeatureFrame f, int r) {
    FeatureSchema schema = f.schema();
    for (int c = 0; c < schema.size(); c++) {
      sb.append(' ');
      if (!f.isPresent(r, c)) {
        sb.append('-');
        continue;
      }
      switch (schema.get(c).type()) {
        case DOUBLE:
        case BOOLEAN:
          sb.append(Double.doubleToLongBits(f.asDouble(r, c)));
          break;
        case LONG:
          sb.append(f.getLong(r, c, 0));
          break;
        case STRING:
          sb.append('"').append(f.getString(r, c)).append('"');
          break;
        default:
          for (float x : f.getEmbedding(r, c)) {
            sb.append(Float.floatToIntBits(x)).append(',');
          }
      }
    }
  }

  /** Writes the golden offline store into a directory, one file replaced. */
  static void writeOfflineStore(Path dir, String file, byte[] bytes) throws IOException {
    writeOfflineStore(OFFLINE, dir, file, bytes);
  }

  /** Writes a golden offline store ({@link #OFFLINE} or {@link #OFFLINE_SOURCES}), one file replaced. */
  static void writeOfflineStore(Map<String, byte[]> base, Path dir, String file, byte[] bytes) throws IOException {
    for (Map.Entry<String, byte[]> e : base.entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getKey().equals(file) ? bytes : e.getValue());
    }
  }

  /**
   * Opens a copy of the golden offline store with one file replaced: refused naming a file of the
   * store, or loaded; then every row is read back, the store closed (it seals replayed rows into a
   * segment), reopened and must hold the same.
   *
   * @param file the replaced file, relative to the store
   * @param definitionRefusalAllowed whether an {@link IllegalStateException} saying the view's log was
   *     written under another definition is a valid outcome (a manifest with a valid checksum can say so)
   * @return whether it loaded
   */
  static boolean loadOffline(String file, byte[] bytes, boolean definitionRefusalAllowed) throws IOException {
    return loadOffline(OFFLINE, file, bytes, definitionRefusalAllowed);
  }

  /** As {@link #loadOffline(String, byte[], boolean)}, in a copy of the given golden store. */
  static boolean loadOffline(Map<String, byte[]> base, String file, byte[] bytes, boolean definitionRefusalAllowed)
      throws IOException {
    Path dir = newDir();
    PrintStream err = mute();
    try {
      writeOfflineStore(base, dir, file, bytes);
      String contents;
      EmbeddedOfflineStore s = openOffline(dir);
      try {
        try {
          s.nextSequence(VIEW); // opens the entity's key log and the view's log
        } catch (StorageCorruptedException e) {
          requireNamedFile(e, dir, f -> true);
          return false;
        } catch (IllegalStateException e) {
          if (definitionRefusalAllowed && e.getMessage() != null
              && (e.getMessage().contains("was written under definition version")
                  || e.getMessage().contains("was replaced with another entity or event schema"))) {
            return false;
          }
          throw e;
        }
        contents = offlineContents(s);
      } catch (UncheckedIOException e) {
        return requireExhausted(e);
      } finally {
        s.close();
      }
      EmbeddedOfflineStore again = openOffline(dir);
      try {
        String reopened = offlineContents(again);
        if (!contents.equals(reopened)) {
          throw new AssertionError("reopened, the store holds other rows:\n" + contents + "\n---\n" + reopened);
        }
      } catch (UncheckedIOException e) {
        return requireExhausted(e);
      } finally {
        again.close();
      }
      return true;
    } finally {
      unmute(err);
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  /**
   * Target 4: a segment file listed in the manifest. Modes (first byte modulo 2): 0 the bytes as the
   * file, 1 the bytes with every checksum that can be located recomputed.
   */
  static boolean segment(byte[] data) throws IOException {
    byte[] seg = body(data);
    if (mode(data, 2) == 1) {
      OfflineFormatFuzzTest.fixSegmentCrcs(seg);
    }
    return loadOffline(SEGMENT, seg, false);
  }

  @FuzzTest(maxDuration = "20s")
  void offlineSegment(byte[] data) throws IOException {
    segment(data);
  }

  /** The golden store an offline input replaces a file of: bit 7 of its first byte picks the sourced one. */
  static Map<String, byte[]> offlineBase(byte[] data) {
    return data.length > 0 && (data[0] & 0x80) != 0 ? OFFLINE_SOURCES : OFFLINE;
  }

  /**
   * Target 5: a view's write-ahead log ({@code wal.log}, each record a segment of pushed rows, after
   * the stream positions it moves when it starts with {@code SVMLSRC1}). First byte: bit 7 set puts it
   * into the sourced golden store (else the golden store); its low 7 bits modulo 3 pick the mode: 0 the
   * bytes as the file; 1 payloads framed with valid checksums; 2 the same with each payload's segment
   * checksums recomputed (after its stream positions).
   */
  static boolean offlineWal(byte[] data) throws IOException {
    int mode = mode(data, 3);
    byte[] file;
    if (mode == 0) {
      file = body(data);
    } else {
      List<byte[]> p = payloads(data);
      if (mode == 2) {
        p.forEach(OfflineFormatFuzzTest::fixWalRecordCrcs);
      }
      file = recordFile(OFFLINE_WAL_MAGIC, 1, p);
    }
    return loadOffline(offlineBase(data), OFFLINE_WAL, file, false);
  }

  @FuzzTest(maxDuration = "20s")
  void offlineWriteAheadLog(byte[] data) throws IOException {
    offlineWal(data);
  }

  /**
   * Target 6: a view's manifest (version 1, or 2 with stream positions). First byte: bit 7 set puts it
   * into the sourced golden store (else the golden store); its low 7 bits modulo 2 pick the mode: 0 the
   * bytes as the file, 1 with its checksum recomputed (a manifest with a valid checksum may name
   * another definition: refused with an {@link IllegalStateException} saying so).
   */
  static boolean manifest(byte[] data) throws IOException {
    byte[] mf = body(data);
    if (mode(data, 2) == 1) {
      OfflineFormatFuzzTest.fixManifestCrc(mf);
    }
    return loadOffline(offlineBase(data), MANIFEST, mf, true);
  }

  @FuzzTest(maxDuration = "20s")
  void offlineManifest(byte[] data) throws IOException {
    manifest(data);
  }

  /**
   * Target 7: the entity key log ({@code entities/user.keys}). Modes (first byte modulo 2): 0 the bytes
   * as the file, 1 payloads framed with valid checksums.
   */
  static boolean keyLog(byte[] data) throws IOException {
    byte[] file = mode(data, 2) == 0 ? body(data)
        : recordFile(EmbeddedOfflineStore.KEYS_MAGIC, EmbeddedOfflineStore.KEYS_VERSION, payloads(data));
    return loadOffline(KEYS, file, false);
  }

  @FuzzTest(maxDuration = "20s")
  void offlineEntityKeys(byte[] data) throws IOException {
    keyLog(data);
  }

  // ------------------------------------------------------------------ CSV

  /**
   * Target 8: {@link FeatureStore#ingestCsv} of the bytes as a file, into the golden view (one feature
   * of every type, one join key) of an in-memory store: refused with an {@link IllegalArgumentException}
   * that says why, or every row it counted is in the offline log, value by value.
   */
  static boolean csv(byte[] data) throws IOException {
    Path dir = newDir();
    Path file = dir.resolve("events.csv");
    Files.write(file, data);
    FeatureStore store = FeatureStore.builder(REGISTRY).clock(() -> NOW).build();
    try {
      int n;
      try {
        n = store.ingestCsv("profile", file);
      } catch (IllegalArgumentException e) {
        if (e.getMessage() == null || e.getMessage().isBlank()) {
          throw new AssertionError("a refusal without a message", e);
        }
        return false;
      }
      int[] seen = {0};
      store.offlineStore().scan(VIEW, 0, EventBatch.MAX_TIME + 1, -1, c -> {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < c.size(); r++) {
          sb.append(c.key(r)).append(c.eventTime(r)).append(c.createdTime(r));
          appendValues(sb, c.values(), r);
        }
        seen[0] += c.size();
      });
      if (seen[0] != n) {
        throw new AssertionError("ingestCsv counted " + n + " rows, the log holds " + seen[0]);
      }
      return true;
    } finally {
      store.close();
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  @FuzzTest(maxDuration = "20s")
  void csvIngestion(byte[] data) throws IOException {
    csv(data);
  }

  // ------------------------------------------------------------------ what fuzzing found

  /** Opens the golden offline store with one file replaced; the open must be refused. */
  static StorageCorruptedException offlineRefusal(String file, byte[] bytes) throws IOException {
    Path dir = newDir();
    PrintStream err = mute();
    try {
      writeOfflineStore(dir, file, bytes);
      EmbeddedOfflineStore s = openOffline(dir);
      try {
        return assertThrows(StorageCorruptedException.class, () -> s.nextSequence(VIEW));
      } finally {
        s.close();
      }
    } finally {
      unmute(err);
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Where block {@code i} of a segment starts. */
  static int block(byte[] seg, int i) {
    int footer = (int) le(seg).getLong(seg.length - 24);
    return (int) le(seg).getLong(footer + 4 + 20 * i);
  }

  /**
   * A segment whose checksums were recomputed over changed rows is checked against its format: the
   * header's sequence and event ranges are the rows' own, the rows are sorted, and the entity ids of a
   * dictionary entity are not negative (a negative one reached the key dictionary's list; ids out of
   * order defeat the join's binary search and the key log's range check).
   */
  @Test
  void segmentsWithValidChecksumsAreCheckedAgainstTheirRows() throws IOException {
    byte[] golden = OFFLINE.get(SEGMENT);
    Path name = Path.of("seg-000000000001.svs");

    byte[] range = golden.clone();
    le(range).putLong(32, le(range).getLong(32) + 1); // maxSeq
    OfflineFormatFuzzTest.fixSegmentCrcs(range);
    StorageCorruptedException e = assertThrows(StorageCorruptedException.class,
        () -> org.sieveml.features.internal.SegmentFile.open(ByteBuffer.wrap(range), name, name.toString()));
    assertTrue(e.getMessage().contains("header says sequences 0..40") && e.getMessage().contains("rows hold 0..39"),
        e.getMessage());
    assertFalse(segment(withMode(0, range)));

    byte[] unsorted = golden.clone();
    int ids = block(unsorted, 0);
    long first = le(unsorted).getLong(ids);
    le(unsorted).putLong(ids, le(unsorted).getLong(ids + 8 * 39)).putLong(ids + 8 * 39, first);
    OfflineFormatFuzzTest.fixSegmentCrcs(unsorted);
    e = offlineRefusal(SEGMENT, unsorted);
    assertEquals(SEGMENT, relative(e), e.getMessage());
    assertEquals(ids + 8, e.offset(), e.getMessage());
    assertTrue(e.getMessage().contains("row 1 (entity id 0") && e.getMessage().contains("must be sorted"),
        e.getMessage());

    byte[] negative = golden.clone();
    le(negative).putLong(block(negative, 0), -1_962_868_736L); // row 0: still sorted first
    OfflineFormatFuzzTest.fixSegmentCrcs(negative);
    e = offlineRefusal(SEGMENT, negative);
    assertEquals("views/profile", relative(e), e.getMessage());
    assertTrue(e.getMessage().contains("entity id -1962868736") && e.getMessage().contains("numbers its keys from 0"),
        e.getMessage());
  }

  /** The refused file, relative to the store's directory. */
  static String relative(StorageCorruptedException e) {
    String f = e.file().toString().replace('\\', '/');
    return f.substring(Math.max(f.lastIndexOf("/views/"), f.lastIndexOf("/entities/")) + 1);
  }

  static int manifestField(byte[] mf, String field) {
    for (OfflineFormatFuzzTest.Field f : OfflineFormatFuzzTest.manifestFields(mf)) {
      if (f.name().equals(field)) {
        return f.offset();
      }
    }
    throw new AssertionError("no manifest field " + field);
  }

  /**
   * The manifest's segment counter names the next segment: a counter below a listed segment's number
   * (the next seal would replace that file) or negative (the next seal wrote {@code seg--5.svs}, a name
   * the next open refused) is refused, as is a segment listed twice; a counter at the largest number a
   * name holds loads, and the write that would need the next one is refused saying so.
   */
  @Test
  void theManifestsSegmentCounterIsChecked() throws IOException {
    byte[] golden = OFFLINE.get(MANIFEST);
    int counter = manifestField(golden, "segCounter");
    for (long bad : new long[] {0, -5_188_146_770_730_811_390L, 1_000_000_000_000L}) {
      byte[] mf = golden.clone();
      le(mf).putLong(counter, bad);
      OfflineFormatFuzzTest.fixManifestCrc(mf);
      StorageCorruptedException e = offlineRefusal(MANIFEST, mf);
      assertEquals(MANIFEST, relative(e), e.getMessage());
      assertTrue(e.getMessage().contains("segment counter " + bad + " outside [1, 999999999999]"), e.getMessage());
    }
    // the segment listed twice: count 2, the name repeated
    int count = manifestField(golden, "segment count");
    int nameLength = manifestField(golden, "segment 0 name length");
    int end = nameLength + 2 + (le(golden).getShort(nameLength) & 0xffff);
    ByteArrayOutputStream twice = new ByteArrayOutputStream();
    twice.write(golden, 0, nameLength);
    twice.write(golden, nameLength, end - nameLength);
    twice.write(golden, nameLength, golden.length - nameLength);
    byte[] mf = twice.toByteArray();
    le(mf).putInt(count, 2);
    OfflineFormatFuzzTest.fixManifestCrc(mf);
    StorageCorruptedException e = offlineRefusal(MANIFEST, mf);
    assertTrue(e.getMessage().contains("segment seg-000000000001.svs is listed twice"), e.getMessage());

    byte[] last = golden.clone();
    le(last).putLong(counter, 999_999_999_999L);
    OfflineFormatFuzzTest.fixManifestCrc(last);
    Path dir = newDir();
    PrintStream err = mute();
    try {
      writeOfflineStore(dir, MANIFEST, last);
      EmbeddedOfflineStore s = openOffline(dir);
      try {
        assertEquals(OfflineFormatTest.TOTAL, s.nextSequence(VIEW), "it loads");
        UncheckedIOException u = assertThrows(UncheckedIOException.class, () -> offlineContents(s));
        assertTrue(u.getMessage().contains("has used every segment number up to 999999999999"), u.getMessage());
      } finally {
        s.close();
      }
    } finally {
      unmute(err);
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  /** A key log whose mode record switches the entity to long ids after its keys is refused. */
  @Test
  void aKeyLogSwitchingModeIsRefused() throws IOException {
    List<byte[]> records = recordsOf(OFFLINE.get(KEYS));
    records.add(new byte[] {'M', 1});
    StorageCorruptedException e = offlineRefusal(KEYS,
        recordFile(EmbeddedOfflineStore.KEYS_MAGIC, EmbeddedOfflineStore.KEYS_VERSION, records));
    assertEquals(KEYS, relative(e), e.getMessage());
    assertTrue(e.getMessage().contains("mode long after mode dictionary"), e.getMessage());
  }

  /**
   * Log generations: a snapshot covering the last one (its successor overflowed to a negative
   * generation, which the next open refused) and a log of a negative generation (it was skipped as
   * covered, its records dropped silently) are refused; a snapshot covering the one before loads, and
   * the checkpoint that would need a generation after the last is refused saying so.
   */
  @Test
  void logGenerationsAreCheckedAtTheirLimits() throws IOException {
    OnlineCodec codec = new OnlineCodec();
    List<byte[]> snap = recordsOf(ONLINE_SNAPSHOT);
    snap.set(0, codec.encode(new OnlineCodec.Generation(Long.MAX_VALUE)).get(0));
    Path dir = newDir();
    PrintStream err = mute();
    try {
      Files.write(dir.resolve(EmbeddedOnlineStore.SNAPSHOT), onlineFile(framed(2, snap), OnlineCodec.SNAP_MAGIC));
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> openOnline(dir));
      assertEquals(dir.resolve(EmbeddedOnlineStore.SNAPSHOT), e.file());
      assertTrue(e.getMessage().contains("which nothing can follow"), e.getMessage());

      snap.set(0, codec.encode(new OnlineCodec.Generation(Long.MAX_VALUE - 1)).get(0));
      Files.write(dir.resolve(EmbeddedOnlineStore.SNAPSHOT), onlineFile(framed(2, snap), OnlineCodec.SNAP_MAGIC));
      EmbeddedOnlineStore s = openOnline(dir);
      try {
        assertEquals(OnlineFormatTest.T0 + 5, s.readMark("materialized:velocity"), "it loads");
        IllegalStateException x = assertThrows(IllegalStateException.class, s::checkpoint);
        assertTrue(x.getMessage().contains("has used every log generation"), x.getMessage());
      } finally {
        s.close();
      }
    } finally {
      unmute(err);
      OfflineFormatFuzzTest.deleteTree(dir);
    }
    List<byte[]> wal = recordsOf(ONLINE_WAL);
    wal.set(0, codec.encode(new OnlineCodec.Generation(-3)).get(0));
    assertFalse(onlineWal(framed(2, wal)), "a log of a negative generation is refused");
  }

  /**
   * A CSV file with a quoted field that never closes, or with bytes that are not UTF-8, is refused with
   * an {@link IllegalArgumentException} naming the file and the line (it was an
   * {@code UncheckedIOException} "cannot read", naming no line, or only the reader's buffer).
   */
  @Test
  void badCsvTextIsRefusedNamingTheLine() throws IOException {
    String header = "user_id,event_timestamp,score,visits,active,country,emb\n";
    String row = "u1,1,1.5,2,true,DE,1 2 3\n";
    byte[] quote = utf8(header + row + row + "u2,1,1.5,2,true,\"DE,1 2 3\n" + row);
    byte[] latin1 = (header + row + row + "u2,1,1.5,2,true,Fran\u00e7e,1 2 3\n" + row).getBytes(
        StandardCharsets.ISO_8859_1);
    for (byte[] csv : List.of(quote, latin1)) {
      Path dir = newDir();
      Path file = dir.resolve("events.csv");
      Files.write(file, csv);
      FeatureStore store = FeatureStore.builder(REGISTRY).clock(() -> NOW).build();
      try {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> store.ingestCsv("profile", file));
        assertTrue(e.getMessage().startsWith("events.csv line 4") && (csv == quote
            ? e.getMessage().contains("a quoted field is never closed")
            : e.getMessage().contains("(byte " + (header.length() + 2 * row.length() + 20) + "): bytes that are not "
                + "UTF-8")), e.getMessage());
      } finally {
        store.close();
        OfflineFormatFuzzTest.deleteTree(dir);
      }
      assertFalse(csv(csv));
    }
  }

  // ------------------------------------------------------------------ seeds

  /** A target: how it loads an input (true when the input loaded). */
  interface Target {
    boolean load(byte[] data) throws IOException;
  }

  static final Map<String, Target> TARGETS = new LinkedHashMap<>();

  static {
    TARGETS.put("onlineWriteAheadLog", LoaderFuzzTest::onlineWal);
    TARGETS.put("onlineSnapshot", LoaderFuzzTest::onlineSnap);
    TARGETS.put("onlineFormatOne", LoaderFuzzTest::formatOne);
    TARGETS.put("offlineSegment", LoaderFuzzTest::segment);
    TARGETS.put("offlineWriteAheadLog", LoaderFuzzTest::offlineWal);
    TARGETS.put("offlineManifest", LoaderFuzzTest::manifest);
    TARGETS.put("offlineEntityKeys", LoaderFuzzTest::keyLog);
    TARGETS.put("csvIngestion", LoaderFuzzTest::csv);
  }

  /** The seeds of every target, by target and file name, made from the golden files. */
  static Map<String, Map<String, byte[]>> seeds() throws IOException {
    Map<String, Map<String, byte[]>> s = new TreeMap<>();
    // online write-ahead log: the golden log after the golden snapshot, in every mode; alone (as
    // generation 1); and a log of every kind of record (rows, tile adds and puts, erasures, clears, marks)
    Map<String, byte[]> wal = new TreeMap<>();
    List<byte[]> walRecords = recordsOf(ONLINE_WAL);
    wal.put("seed-golden-raw-with-snapshot", withMode(0x80, ONLINE_WAL));
    wal.put("seed-golden-framed-with-snapshot", framed(0x80 | 1, walRecords));
    wal.put("seed-golden-numbered-with-snapshot", framed(0x80 | 2, walRecords));
    List<byte[]> alone = new ArrayList<>(walRecords);
    alone.set(0, new OnlineCodec().encode(new OnlineCodec.Generation(1)).get(0));
    wal.put("seed-golden-numbered-alone", framed(2, alone));
    List<byte[]> numbered = new ArrayList<>();
    for (int i = 0; i < alone.size(); i++) {
      numbered.add(OnlineCodec.number(alone.get(i).clone(), i));
    }
    wal.put("seed-golden-raw-alone", withMode(0, recordFile(OnlineCodec.WAL_MAGIC, OnlineCodec.FORMAT_NO_HISTORY, numbered)));
    byte[] every = everyOpLog();
    wal.put("seed-every-op-raw-alone", withMode(0, every));
    wal.put("seed-every-op-numbered-alone", framed(2, recordsOf(every)));
    // the commit golden's log ('T' records): alone (as generation 1), and after the golden snapshot
    List<byte[]> commitAlone = new ArrayList<>(recordsOf(ONLINE_COMMIT_WAL));
    commitAlone.set(0, new OnlineCodec().encode(new OnlineCodec.Generation(1)).get(0));
    wal.put("seed-commit-numbered-alone", framed(2, commitAlone));
    wal.put("seed-commit-raw-alone", withMode(0, recordFile(OnlineCodec.WAL_MAGIC, OnlineCodec.FORMAT_NO_HISTORY, commitAlone)));
    List<byte[]> commitAfter = new ArrayList<>(commitAlone);
    commitAfter.set(0, walRecords.get(0));
    wal.put("seed-commit-numbered-with-snapshot", framed(0x80 | 2, commitAfter));
    s.put("onlineWriteAheadLog", wal);

    Map<String, byte[]> snap = new TreeMap<>();
    snap.put("seed-golden-raw", withMode(0, ONLINE_SNAPSHOT));
    snap.put("seed-golden-framed", framed(1, recordsOf(ONLINE_SNAPSHOT)));
    snap.put("seed-golden-numbered", framed(2, recordsOf(ONLINE_SNAPSHOT)));
    s.put("onlineSnapshot", snap);

    Map<String, byte[]> v1 = new TreeMap<>();
    v1.put("seed-golden-log-raw", withMode(0, LEGACY_WAL));
    v1.put("seed-golden-log-framed", framed(1, legacyRecordsOf(LEGACY_WAL)));
    v1.put("seed-golden-snapshot-raw", withMode(0x80, LEGACY_SNAPSHOT));
    v1.put("seed-golden-snapshot-framed", framed(0x80 | 1, legacyRecordsOf(LEGACY_SNAPSHOT)));
    s.put("onlineFormatOne", v1);

    Map<String, byte[]> seg = new TreeMap<>();
    seg.put("seed-golden-raw", withMode(0, OFFLINE.get(SEGMENT)));
    seg.put("seed-golden-checksums-fixed", withMode(1, OFFLINE.get(SEGMENT)));
    s.put("offlineSegment", seg);

    Map<String, byte[]> owal = new TreeMap<>();
    List<byte[]> owalRecords = recordsOf(OFFLINE.get(OFFLINE_WAL));
    owal.put("seed-golden-raw", withMode(0, OFFLINE.get(OFFLINE_WAL)));
    owal.put("seed-golden-framed", framed(1, owalRecords));
    owal.put("seed-golden-framed-segment-checksums-fixed", framed(2, owalRecords));
    owal.put("seed-empty-raw", withMode(0, recordFile(OFFLINE_WAL_MAGIC, 1, List.of())));
    owal.put("seed-golden-first-record-framed", framed(1, owalRecords.subList(0, 1)));
    // the sourced golden store's log: records with stream positions (SVMLSRC1) and a plain one
    List<byte[]> sourcedRecords = recordsOf(OFFLINE_SOURCES.get(OFFLINE_WAL));
    owal.put("seed-sources-raw", withMode(0x80, OFFLINE_SOURCES.get(OFFLINE_WAL)));
    owal.put("seed-sources-framed", framed(0x80 | 1, sourcedRecords));
    owal.put("seed-sources-framed-segment-checksums-fixed", framed(0x80 | 2, sourcedRecords));
    s.put("offlineWriteAheadLog", owal);

    Map<String, byte[]> mf = new TreeMap<>();
    mf.put("seed-golden-raw", withMode(0, OFFLINE.get(MANIFEST)));
    mf.put("seed-golden-checksum-fixed", withMode(1, OFFLINE.get(MANIFEST)));
    Path legacy = OfflineFormatTest.goldenSource().resolveSibling("offline-v1-definition-version").resolve("MANIFEST");
    mf.put("seed-definition-version-raw", withMode(0, Files.readAllBytes(legacy)));
    // the sourced golden store's manifest: version 2, with the stream sources' positions
    mf.put("seed-sources-raw", withMode(0x80, OFFLINE_SOURCES.get(MANIFEST)));
    mf.put("seed-sources-checksum-fixed", withMode(0x80 | 1, OFFLINE_SOURCES.get(MANIFEST)));
    s.put("offlineManifest", mf);

    Map<String, byte[]> keys = new TreeMap<>();
    keys.put("seed-golden-raw", withMode(0, OFFLINE.get(KEYS)));
    keys.put("seed-golden-framed", framed(1, recordsOf(OFFLINE.get(KEYS))));
    s.put("offlineEntityKeys", keys);

    Map<String, byte[]> csv = new TreeMap<>();
    csv.put("seed-every-type.csv", utf8(String.join("\n",
        "user_id,event_timestamp,created_timestamp,score,visits,active,country,emb",
        "u1,2024-05-01T00:00:00Z,,1.5,3,true,\"Germany, Berlin\",1 2 3",
        "u2,1714521600000,1714521600005,,7,FALSE,\"say \"\"hi\"\"\",-0.5 1e3 0",
        "u1,1714521600001,,-2e-3,-9,,,",
        "")));
    csv.put("seed-long-keys-crlf.csv", utf8("event_timestamp,user_id,emb,score,visits,active,country,extra\r\n"
        + "0,42,0 0 0,0,0,false,DE,x\r\n\r\n"
        + "253402300799999,-7,1.5 -2 3,1e300,9223372036854775807,True,\"multi\nline\",\r\n"));
    csv.put("seed-quoted-header-unicode.csv", utf8("\"user_id\", event_timestamp ,score,visits,active,country,emb,"
        + "created_timestamp\n\u65e5\u672c,1970-01-01T00:00:00.001Z,3,4,true,Fr-\u00df,\" 1  2 3 \","
        + "1970-01-01T00:00:01Z\n"));
    s.put("csvIngestion", csv);
    return s;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A format 2 log (generation 1, no snapshot) holding every kind of record: the golden calls, no checkpoint. */
  static byte[] everyOpLog() throws IOException {
    Path dir = newDir();
    try {
      EmbeddedOnlineStore s = openOnline(dir);
      try {
        OnlineFormatTest.generate(s, false);
      } finally {
        s.close();
      }
      return Files.readAllBytes(dir.resolve(EmbeddedOnlineStore.WAL));
    } finally {
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  /**
   * Writes the seeds into the source tree (only when the formats or the targets' encodings change):
   *
   * <pre>
   * flock /tmp/sieveml-build.lock mvn -o -B test -pl features -Dtest='LoaderFuzzTest#writeSeeds' \
   *     -Dsieveml.fuzz.writeSeeds=true -Dsurefire.failIfNoSpecifiedTests=false
   * </pre>
   */
  @Test
  @EnabledIfSystemProperty(named = "sieveml.fuzz.writeSeeds", matches = "true")
  void writeSeeds() throws IOException {
    Path base = Path.of("src/test/resources").resolve(INPUTS).toAbsolutePath();
    for (Map.Entry<String, Map<String, byte[]>> t : seeds().entrySet()) {
      Path d = base.resolve(t.getKey());
      Files.createDirectories(d);
      try (Stream<Path> old = Files.list(d)) {
        for (Path p : (Iterable<Path>) old::iterator) {
          if (p.getFileName().toString().startsWith("seed-")) {
            Files.delete(p);
          }
        }
      }
      for (Map.Entry<String, byte[]> e : t.getValue().entrySet()) {
        Files.write(d.resolve(e.getKey()), e.getValue());
      }
      System.out.println("wrote " + t.getValue().size() + " seeds to " + d);
    }
  }

  static Path inputs() {
    URL u = LoaderFuzzTest.class.getClassLoader().getResource(INPUTS);
    assertNotNull(u, INPUTS + " is not on the test class path");
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every committed seed of every target loads (so fuzzing starts deep in each decoder, and a format
   * change that silently invalidates the corpus fails here), each is small and the corpus too; and the
   * committed seeds are the ones {@link #seeds} makes from today's golden files.
   */
  @Test
  void everySeedLoads() throws IOException {
    Path in = inputs();
    Map<String, Map<String, byte[]>> expected = seeds();
    assertEquals(TARGETS.keySet(), expected.keySet());
    long total = 0;
    for (Map.Entry<String, Target> t : TARGETS.entrySet()) {
      Path d = in.resolve(t.getKey());
      assertTrue(Files.isDirectory(d), "no inputs directory " + d);
      List<Path> files;
      try (Stream<Path> list = Files.list(d)) {
        files = list.sorted().toList();
      }
      int seeds = 0;
      for (Path f : files) {
        byte[] data = Files.readAllBytes(f);
        String name = t.getKey() + "/" + f.getFileName();
        assertTrue(data.length < 64 << 10, name + " takes " + data.length + " bytes");
        total += data.length;
        if (!f.getFileName().toString().startsWith("seed-")) {
          continue; // regression inputs: replayed by the fuzz test, refused or loaded
        }
        seeds++;
        byte[] want = expected.get(t.getKey()).get(f.getFileName().toString());
        assertNotNull(want, name + " is no longer made by seeds(): rewrite the seeds (see writeSeeds)");
        assertTrue(Arrays.equals(want, data), name + " differs from what seeds() makes: rewrite the seeds");
        assertTrue(t.getValue().load(data), name + " must load");
      }
      assertEquals(expected.get(t.getKey()).size(), seeds, t.getKey() + ": committed seeds vs seeds()");
    }
    assertTrue(total < 1 << 20, "the corpus takes " + total + " bytes");
  }
}
