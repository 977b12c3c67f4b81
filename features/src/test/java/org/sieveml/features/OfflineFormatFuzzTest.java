package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.features.internal.FileIo;
import org.sieveml.features.internal.KeyDictionary;
import org.sieveml.features.internal.RecordLog;
import org.sieveml.features.internal.SegmentFile;
import org.sieveml.features.internal.ViewLog;

/**
 * Fuzz targets for the four persisted formats of the offline store, seeded with the golden files of
 * {@link OfflineFormatTest}: the segment file ({@code SegmentFile.open}), the write-ahead log (replayed
 * by {@code ViewLog.open}), the manifest ({@code ViewLog.open}) and the entity key log
 * ({@code RecordLog.open} + the store's key record decoder). Each iteration applies seeded random
 * mutations (bit flips, byte and word overwrites, length fields set to huge or negative values,
 * zeroed or deleted ranges, truncation, extension with garbage; some with every checksum recomputed
 * so the parsers behind the checksums are reached) and requires that opening either succeeds with
 * exactly the original data (or, for a record log whose tail was damaged, exactly a prefix of its
 * records with a WARN and no intact record left behind), or fails with a {@link
 * StorageCorruptedException} naming the file (or an {@link IllegalStateException} with a message),
 * never another exception or error, and that a refused file is left as it was.
 *
 * <p>The write-ahead log and the manifest are fuzzed twice: from {@code golden/offline-v1/} and from
 * {@code golden/offline-v1-sources/}, whose log records carry stream positions ({@code SVMLSRC1}) and
 * whose manifest is version 2 (a stream-source section); there the positions a log recovers must be
 * those of the same prefix of records as its rows.
 *
 * <p>A longer run, e.g. in CI:
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q -B test -pl features -Dtest=OfflineFormatFuzzTest \
 *     -Dsieveml.fuzz.iterations=200000 -Dsieveml.fuzz.seed=$RANDOM -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * A failure message names the format, seed, iteration and mutations; rerun with that seed to
 * reproduce it.
 */
class OfflineFormatFuzzTest {

  static final int ITERATIONS = Integer.getInteger("sieveml.fuzz.iterations", 2_000);
  static final long SEED = Long.getLong("sieveml.fuzz.seed", 0x5EEDL);
  static final byte[] WAL_MAGIC = "SVMLOWL1".getBytes(StandardCharsets.US_ASCII);
  static final int LOG_HEADER = 16;
  static final int RECORD_MARKER = 0x5356524C;

  static byte[] segment;
  static byte[] manifest;
  static byte[] wal;
  static byte[] keys;
  static byte[] sourcedSegment;
  static byte[] sourcedManifest;
  static byte[] sourcedWal;
  static Path work;
  static boolean ownWork;

  @BeforeAll
  static void loadGolden(@TempDir Path tmp) throws IOException {
    Path g = OfflineFormatTest.goldenSource();
    segment = Files.readAllBytes(g.resolve("views/profile/seg-000000000001.svs"));
    manifest = Files.readAllBytes(g.resolve("views/profile/MANIFEST"));
    wal = Files.readAllBytes(g.resolve("views/profile/wal.log"));
    keys = Files.readAllBytes(g.resolve("entities/user.keys"));
    Path s = OfflineFormatTest.goldenSource(OfflineFormatTest.GOLDEN_SOURCES);
    sourcedSegment = Files.readAllBytes(s.resolve("views/profile/seg-000000000001.svs"));
    sourcedManifest = Files.readAllBytes(s.resolve("views/profile/MANIFEST"));
    sourcedWal = Files.readAllBytes(s.resolve("views/profile/wal.log"));
    // thousands of small fsyncs: on a memory file system when there is one
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      work = Files.createTempDirectory(shm, "sieveml-fuzz");
      ownWork = true;
    } else {
      work = tmp;
    }
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (ownWork) {
      deleteTree(work);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }

  // ------------------------------------------------------------------ outcomes

  /** What an open did: its result or what it threw, and what it logged. */
  static final class Outcome<T> {
    T value;
    Throwable thrown;
    String log = "";

    boolean warned() {
      return log.contains(" WARN ");
    }
  }

  /** Runs an open with stderr (where slf4j-simple logs) captured, catching everything, errors included. */
  static <T> Outcome<T> capture(Callable<T> open) {
    Outcome<T> o = new Outcome<>();
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      o.value = open.call();
    } catch (Throwable t) { // NOPMD: OutOfMemoryError and friends are exactly what we look for
      o.thrown = t;
    } finally {
      System.setErr(err);
    }
    o.log = buf.toString(StandardCharsets.UTF_8);
    return o;
  }

  /** A refusal must be a StorageCorruptedException naming the file, or an IllegalStateException that says why. */
  static void requireCleanRefusal(Throwable t, Path file, String ctx) {
    if (t instanceof StorageCorruptedException) {
      StorageCorruptedException e = (StorageCorruptedException) t;
      if (file != null && !file.equals(e.file())) {
        fail(ctx + ": StorageCorruptedException names " + e.file() + ", expected " + file + ": " + e.getMessage(), e);
      }
      if (e.file() == null || !e.getMessage().startsWith(e.file().toString())) {
        fail(ctx + ": message does not start with the file: " + e.getMessage(), e);
      }
      return;
    }
    if (t instanceof IllegalStateException && t.getMessage() != null && t.getMessage().length() > 20) {
      return;
    }
    fail(ctx + ": opening failed with " + t + " instead of a StorageCorruptedException", t);
  }

  // ------------------------------------------------------------------ mutations

  /** A mutated copy of some bytes. */
  static final class Mutation {
    byte[] bytes;
    final List<String> ops = new ArrayList<>();
    boolean tailOnly = true; // only truncation and extension: a record log must recover a prefix
    int cutTo = Integer.MAX_VALUE; // the shortest length a truncation left
    boolean crcFixed;

    @Override
    public String toString() {
      return String.join(", ", ops) + (crcFixed ? " (checksums recomputed)" : "");
    }
  }

  static final long[] INTERESTING = {0, 1, -1, 2, 7, 8, 63, 64, 255, 256, 65_535, 65_536, Integer.MAX_VALUE,
      Integer.MIN_VALUE, Integer.MAX_VALUE - 7, 1L << 30, (1L << 30) + 1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40,
      -8, 0x8000_0000L, 0xFFFF_FFFFL, Long.MAX_VALUE - 7, Long.MAX_VALUE - 64, 1L << 62};

  static long interesting(Random rnd, int size) {
    switch (rnd.nextInt(4)) {
      case 0:
        return size + rnd.nextInt(3) - 1;
      case 1:
        return size / 2 + rnd.nextInt(16) - 8;
      default:
        return INTERESTING[rnd.nextInt(INTERESTING.length)];
    }
  }

  /** A field of a format: its offset and width (2, 4 or 8 bytes, little endian). */
  record Field(String name, int offset, int width) {}

  static void put(byte[] b, int at, int width, long v) {
    for (int i = 0; i < width && at + i < b.length; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  static Mutation mutate(byte[] orig, Random rnd, List<Field> fields, boolean allowTail) {
    Mutation m = new Mutation();
    byte[] b = orig.clone();
    int ops = 1 + (rnd.nextInt(4) == 0 ? rnd.nextInt(3) : 0);
    for (int k = 0; k < ops; k++) {
      int len = b.length;
      int op = rnd.nextInt(allowTail ? 10 : 8);
      if (len == 0) {
        op = 9;
      }
      int at = len == 0 ? 0 : rnd.nextInt(len);
      switch (op) {
        case 0:
        case 1: {
          int bit = rnd.nextInt(8);
          b[at] ^= (byte) (1 << bit);
          m.ops.add("flip bit " + bit + " at " + at);
          break;
        }
        case 2: {
          byte v = (byte) rnd.nextInt(256);
          b[at] = v;
          m.ops.add("byte " + at + " := " + v);
          break;
        }
        case 3: {
          long v = interesting(rnd, orig.length);
          int w = rnd.nextBoolean() ? 4 : 8;
          put(b, at, w, v);
          m.ops.add(w + " bytes at " + at + " := " + v);
          break;
        }
        case 4:
        case 5: {
          if (fields.isEmpty()) {
            b[at] ^= 1;
            m.ops.add("flip bit 0 at " + at);
            break;
          }
          Field f = fields.get(rnd.nextInt(fields.size()));
          long v = interesting(rnd, orig.length);
          put(b, f.offset, f.width, v);
          m.ops.add(f.name + " (" + f.width + " bytes at " + f.offset + ") := " + v);
          break;
        }
        case 6: {
          int n = 1 + rnd.nextInt(16);
          Arrays.fill(b, at, Math.min(len, at + n), (byte) 0);
          m.ops.add("zero " + n + " bytes at " + at);
          break;
        }
        case 7: {
          int n = 1 + rnd.nextInt(Math.min(16, len - at));
          byte[] c = new byte[len - n];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(b, at + n, c, at, len - at - n);
          b = c;
          m.ops.add("delete " + n + " bytes at " + at);
          break;
        }
        case 8: {
          int to = rnd.nextInt(len);
          b = Arrays.copyOf(b, to);
          m.cutTo = Math.min(m.cutTo, to);
          m.ops.add("truncate to " + to);
          continue; // tail op
        }
        default: {
          int n = 1 + rnd.nextInt(64);
          byte[] c = Arrays.copyOf(b, len + n);
          boolean zeros = rnd.nextInt(3) == 0;
          for (int i = len; i < c.length; i++) {
            c[i] = zeros ? 0 : (byte) rnd.nextInt(256);
          }
          b = c;
          m.ops.add("append " + n + (zeros ? " zero" : " random") + " bytes");
          continue; // tail op
        }
      }
      m.tailOnly = false;
    }
    m.bytes = b;
    return m;
  }

  static int crc(byte[] b, int from, int to) {
    CRC32C c = new CRC32C();
    c.update(b, from, to - from);
    return (int) c.getValue();
  }

  static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  // ------------------------------------------------------------------ segment

  /** Header, footer, tail and string-offset fields of a segment, from the (valid) bytes. */
  static List<Field> segmentFields(byte[] s) {
    ByteBuffer b = le(s);
    List<Field> f = new ArrayList<>();
    f.add(new Field("rows", 12, 4));
    f.add(new Field("columns", 16, 4));
    f.add(new Field("schemaBytes", 20, 4));
    f.add(new Field("minSeq", 24, 8));
    f.add(new Field("maxSeq", 32, 8));
    f.add(new Field("schema name length", 64, 2));
    int size = s.length;
    int footer = (int) b.getLong(size - 24);
    f.add(new Field("footerOffset", size - 24, 8));
    f.add(new Field("blockCount", footer, 4));
    int blocks = b.getInt(footer);
    for (int i = 0; i < blocks; i++) {
      f.add(new Field("block " + i + " offset", footer + 4 + 20 * i, 8));
      f.add(new Field("block " + i + " length", footer + 12 + 20 * i, 8));
    }
    // the schema's column 3 is STRING: blocks 5,6 | 7,8 | 9,10 | 11 offsets, 12 bytes | 13,14
    int ends = (int) b.getLong(footer + 4 + 20 * 11);
    int rows = b.getInt(12);
    for (int r = 0; r <= rows; r += 7) {
      f.add(new Field("string end " + r, ends + 4 * r, 4));
    }
    return f;
  }

  /** Recomputes every checksum of a segment that can still be located, as a writer would. */
  static void fixSegmentCrcs(byte[] s) {
    int size = s.length;
    if (size < 64 + 24 + 8) {
      return;
    }
    ByteBuffer b = le(s);
    long footer = b.getLong(size - 24);
    if (footer < 64 || footer > size - 24 - 8) {
      return;
    }
    int f = (int) footer;
    int blocks = b.getInt(f);
    long footerEnd = f + 4 + 20L * blocks + 4;
    if (blocks >= 0 && footerEnd <= size - 24) {
      for (int i = 0; i < blocks; i++) {
        long off = b.getLong(f + 4 + 20 * i);
        long len = b.getLong(f + 12 + 20 * i);
        if (off >= 0 && len >= 0 && off <= size && len <= size - off) {
          b.putInt(f + 20 + 20 * i, crc(s, (int) off, (int) (off + len)));
        }
      }
      long schemaBytes = b.getInt(20);
      if (schemaBytes >= 0 && 64 + schemaBytes <= size) {
        b.putInt((int) footerEnd - 4, crc(s, 0, (int) (64 + schemaBytes)));
      }
    }
    b.putInt(size - 16, crc(s, f, size - 24));
  }

  static final byte[] SOURCE_MAGIC = "SVMLSRC1".getBytes(StandardCharsets.US_ASCII);

  /**
   * Where the segment of a write-ahead log record starts: after its stream positions ({@code SVMLSRC1},
   * count, per source a name and a position) when it has them and they fit, else 0.
   */
  static int segmentStart(byte[] rec) {
    if (rec.length < 12 || !Arrays.equals(rec, 0, 8, SOURCE_MAGIC, 0, 8)) {
      return 0;
    }
    ByteBuffer b = le(rec);
    int n = b.getInt(8);
    int p = 12;
    for (int i = 0; i < n; i++) {
      if (p + 2 > rec.length) {
        return 0;
      }
      p += 2 + (b.getShort(p) & 0xffff) + 8;
      if (p > rec.length) {
        return 0;
      }
    }
    return n > 0 ? p : 0;
  }

  /** Recomputes the checksums of a write-ahead log record's segment (after its stream positions, if any). */
  static void fixWalRecordCrcs(byte[] rec) {
    int from = segmentStart(rec);
    if (from == 0) {
      fixSegmentCrcs(rec);
      return;
    }
    byte[] seg = Arrays.copyOfRange(rec, from, rec.length);
    fixSegmentCrcs(seg);
    System.arraycopy(seg, 0, rec, from, seg.length);
  }

  /** The fields of a write-ahead log record: its stream positions' (if any), then its segment's. */
  static List<Field> walRecordFields(byte[] rec) {
    int from = segmentStart(rec);
    List<Field> f = new ArrayList<>();
    if (from > 0) {
      ByteBuffer b = le(rec);
      f.add(new Field("source count", 8, 4));
      int p = 12;
      for (int i = 0; i < b.getInt(8); i++) {
        int len = b.getShort(p) & 0xffff;
        f.add(new Field("source " + i + " name length", p, 2));
        f.add(new Field("source " + i + " position", p + 2 + len, 8));
        p += 2 + len + 8;
      }
    }
    for (Field s : segmentFields(Arrays.copyOfRange(rec, from, rec.length))) {
      f.add(new Field(s.name(), s.offset() + from, s.width()));
    }
    return f;
  }

  /** Every row and value of a segment, bit for bit. */
  static String dump(SegmentFile.Segment s) {
    StringBuilder sb = new StringBuilder();
    FeatureSchema schema = s.schema();
    sb.append(s.size()).append(' ').append(schema).append(' ').append(s.minSeq()).append(' ').append(s.maxSeq())
        .append('\n');
    for (int r = 0; r < s.size(); r++) {
      for (int c = 0; c < 5; c++) {
        sb.append(s.key(c, r)).append(' ');
      }
      for (int c = 0; c < schema.size(); c++) {
        if (!s.isPresent(r, c)) {
          sb.append("- ");
          continue;
        }
        FeatureSpec spec = schema.get(c);
        switch (spec.type()) {
          case DOUBLE:
            sb.append(Double.doubleToRawLongBits(s.asDouble(r, c)));
            break;
          case LONG:
          case BOOLEAN:
            sb.append(s.getLong(r, c));
            break;
          case STRING:
            sb.append('"').append(s.getString(r, c)).append('"');
            break;
          default:
            for (float x : s.getEmbedding(r, c)) {
              sb.append(Float.floatToRawIntBits(x)).append(',');
            }
        }
        sb.append(' ');
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static String openSegment(byte[] bytes, Path name) {
    return dump(SegmentFile.open(ByteBuffer.wrap(bytes), name, name.getFileName().toString()));
  }

  @Test
  void segmentFile() {
    Path name = work.resolve("seg-000000000001.svs");
    String reference = openSegment(segment, name);
    assertTrue(reference.startsWith("40 "), "the golden segment holds 40 rows: " + reference.substring(0, 40));
    List<Field> fields = segmentFields(segment);
    Random rnd = new Random(SEED);
    int accepted = 0;
    int refused = 0;
    for (int it = 0; it < ITERATIONS; it++) {
      Mutation m = mutate(segment, rnd, fields, true);
      if (rnd.nextInt(3) == 0) {
        fixSegmentCrcs(m.bytes);
        m.crcFixed = true;
      }
      String ctx = "segment, seed " + SEED + " iteration " + it + ": " + m;
      Outcome<String> o = capture(() -> openSegment(m.bytes, name));
      if (o.thrown != null) {
        requireCleanRefusal(o.thrown, name, ctx);
        refused++;
      } else if (!m.crcFixed) {
        assertEquals(reference, o.value, ctx + ": opened with different data");
        accepted++;
      }
    }
    // every length, and every single-bit flip of the header, footer and tail
    for (int len = 0; len < segment.length; len++) {
      byte[] t = Arrays.copyOf(segment, len);
      Outcome<String> o = capture(() -> openSegment(t, name));
      assertNotNull(o.thrown, "segment truncated to " + len + " bytes was accepted");
      requireCleanRefusal(o.thrown, name, "segment truncated to " + len);
    }
    int footer = (int) le(segment).getLong(segment.length - 24);
    for (int at = 0; at < segment.length; at++) {
      if (at >= 64 && at < footer) {
        continue;
      }
      for (int bit = 0; bit < 8; bit++) {
        byte[] t = segment.clone();
        t[at] ^= (byte) (1 << bit);
        String ctx = "segment bit " + bit + " of byte " + at;
        Outcome<String> o = capture(() -> openSegment(t, name));
        if (o.thrown == null) {
          assertEquals(reference, o.value, ctx + ": opened with different data");
        } else {
          requireCleanRefusal(o.thrown, name, ctx);
        }
      }
    }
    assertTrue(refused > ITERATIONS / 2, "most mutations are refused: " + refused + " refused, " + accepted
        + " accepted unchanged");
  }

  // ------------------------------------------------------------------ record logs

  /** The start of each record of a record log and, last, its end. */
  static int[] recordStarts(byte[] log) {
    List<Integer> starts = new ArrayList<>();
    ByteBuffer b = le(log);
    int p = LOG_HEADER;
    while (p < log.length) {
      starts.add(p);
      p += 12 + b.getInt(p + 4);
    }
    starts.add(p);
    return starts.stream().mapToInt(Integer::intValue).toArray();
  }

  static byte[] payload(byte[] log, int[] starts, int k) {
    return Arrays.copyOfRange(log, starts[k] + 12, starts[k + 1]);
  }

  /** A record log with the given header and payloads, as RecordLog writes it. */
  static byte[] buildLog(byte[] magic, int version, List<byte[]> payloads) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    h.put(magic).putInt(version);
    h.putInt(crc(h.array(), 0, 12));
    out.writeBytes(h.array());
    for (byte[] p : payloads) {
      ByteBuffer r = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      r.putInt(RECORD_MARKER).putInt(p.length);
      CRC32C c = new CRC32C();
      c.update(r.array(), 4, 4);
      c.update(p);
      r.putInt((int) c.getValue());
      out.writeBytes(r.array());
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static List<Field> logFields(byte[] log, int[] starts) {
    List<Field> f = new ArrayList<>();
    f.add(new Field("version", 8, 4));
    for (int k = 0; k + 1 < starts.length; k++) {
      f.add(new Field("record " + k + " marker", starts[k], 4));
      f.add(new Field("record " + k + " length", starts[k] + 4, 4));
      f.add(new Field("record " + k + " crc", starts[k] + 8, 4));
    }
    return f;
  }

  /**
   * Whether the bytes are the log with whole records cut out of it. A record log has no chaining, so
   * a record removed cleanly is indistinguishable from one never written: a known limit of the format
   * (key records carry their id, which catches it there), not a recovery error.
   */
  static boolean excised(byte[] orig, int[] starts, byte[] mutated) {
    for (int j = 0; j + 1 < starts.length; j++) {
      int len = starts[j + 1] - starts[j];
      if (mutated.length == orig.length - len
          && Arrays.equals(mutated, 0, starts[j], orig, 0, starts[j])
          && Arrays.equals(mutated, starts[j], mutated.length, orig, starts[j + 1], orig.length)) {
        return true;
      }
    }
    return false;
  }

  static boolean contains(byte[] hay, int from, byte[] needle) {
    outer:
    for (int i = Math.max(0, from); i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * Checks a record log's recovery against the rule: the records read are exactly the first k of the
   * original; when k < all, no later original record survives intact in the file (damage followed by
   * an intact record must be refused), a WARN was logged if bytes were cut, and the file was cut to
   * the end of record k - 1. A refusal leaves the file unchanged and is never the answer to a
   * truncation or extension alone.
   */
  static void checkRecovery(byte[] orig, int[] starts, Mutation m, int k, boolean refused, Outcome<?> o,
      Path file, long sizeAfterOpen, String ctx) throws IOException {
    int n = starts.length - 1;
    if (refused) {
      requireCleanRefusal(o.thrown, null, ctx);
      assertFalse(m.tailOnly && !m.crcFixed && m.cutTo >= LOG_HEADER, ctx
          + ": a log truncated or extended after its header must be recovered, not refused: " + o.thrown);
      assertArrayEquals(m.bytes, Files.readAllBytes(file), ctx + ": a refused file must not be changed");
      return;
    }
    if (m.crcFixed) {
      return;
    }
    assertTrue(k <= n, ctx + ": read " + k + " records, the original has " + n);
    for (int j = k + 1; j < n; j++) {
      byte[] rec = Arrays.copyOfRange(orig, starts[j], starts[j + 1]);
      assertFalse(contains(m.bytes, starts[k] + 1, rec), ctx + ": kept " + k + " of " + n
          + " records although record " + j + " is still intact in the file (dropped silently)");
    }
    if (k < n || m.bytes.length > starts[n]) {
      int end = m.bytes.length < LOG_HEADER ? LOG_HEADER : starts[k];
      if (m.bytes.length > 0 && m.bytes.length != end) {
        assertTrue(o.warned(), ctx + ": cut " + m.bytes.length + " -> " + end + " bytes without a WARN: " + o.log);
      }
      assertEquals(end, sizeAfterOpen, ctx + ": the torn tail is cut off");
    }
  }

  // ------------------------------------------------------------------ write-ahead log

  static ViewLog.Options options() {
    return new ViewLog.Options(FileIo.DEFAULT, 1_000_000, Long.MAX_VALUE, System::currentTimeMillis, Runnable::run,
        true);
  }

  /** Replays a WAL as the store does (a view directory holding only it) and dumps the rows it held. */
  static final class Replay {
    long rows;
    long next;
    long walSize;
    String data;
    String positions; // of the sourced golden's two sources
  }

  static Replay replayWal(Path dir, byte[] bytes) throws IOException {
    deleteTree(dir);
    Files.createDirectories(dir);
    Files.write(dir.resolve("wal.log"), bytes);
    FeatureView v = OfflineFormatTest.profile();
    ViewLog log = ViewLog.open("profile", dir, v.schema(), EmbeddedOfflineStore.storageVersion(v, v.schema()),
        options());
    try {
      Replay r = new Replay();
      r.rows = log.rowCount();
      r.next = log.nextSequence();
      r.walSize = Files.size(dir.resolve("wal.log"));
      r.positions = log.sourcePosition(OfflineFormatTest.SOURCE_A) + " "
          + log.sourcePosition(OfflineFormatTest.SOURCE_B);
      ViewLog.Snapshot s = log.snapshot(); // seals the replayed rows into one segment
      StringBuilder sb = new StringBuilder();
      for (SegmentFile.Segment seg : s.segments) {
        sb.append(dump(seg));
      }
      r.data = sb.toString();
      return r;
    } finally {
      log.close();
    }
  }

  @Test
  void writeAheadLog() throws IOException {
    Replay[] prefix = fuzzWal(wal, SEED + 1, "WAL");
    assertEquals(3, prefix.length, "the golden WAL holds two pushed batches");
    assertEquals(8, prefix[2].rows);
    assertEquals(48, prefix[2].next);
  }

  /** The sourced golden WAL: two records with stream positions ({@code SVMLSRC1}), then a plain one. */
  @Test
  void writeAheadLogWithStreamPositions() throws IOException {
    Replay[] prefix = fuzzWal(sourcedWal, SEED + 4, "sourced WAL");
    assertEquals(4, prefix.length, "the sourced golden WAL holds three records");
    String none = Long.MIN_VALUE + " " + Long.MIN_VALUE;
    assertEquals(List.of(none, "114 " + Long.MIN_VALUE, "114 8", "114 8"),
        Arrays.stream(prefix).map(r -> r.positions).toList(), "each record's positions come with its rows");
    assertEquals(List.of(0L, 4L, 6L, 8L), Arrays.stream(prefix).map(r -> r.rows).toList());
    assertEquals(24, prefix[3].next);
  }

  /**
   * Mutates a WAL and replays it: refused cleanly, or exactly the rows, next sequence and stream
   * positions of a prefix of its records (see {@link #checkRecovery}). Returns the replays of every
   * prefix.
   */
  Replay[] fuzzWal(byte[] wal, long seed, String what) throws IOException {
    Path dir = work.resolve("wal-view");
    Path file = dir.resolve("wal.log");
    int[] starts = recordStarts(wal);
    int n = starts.length - 1;
    // the rows of the first k records, for every k
    Replay[] prefix = new Replay[n + 1];
    List<byte[]> payloads = new ArrayList<>();
    for (int k = 0; k <= n; k++) {
      prefix[k] = replayWal(dir, Arrays.copyOf(wal, starts[k]));
      if (k < n) {
        payloads.add(payload(wal, starts, k));
      }
    }
    assertArrayEquals(wal, buildLog(WAL_MAGIC, 1, payloads), "the test writes the WAL format as RecordLog does");
    List<Field> fields = logFields(wal, starts);
    List<List<Field>> recordFields = new ArrayList<>();
    for (byte[] p : payloads) {
      recordFields.add(walRecordFields(p));
    }
    Random rnd = new Random(seed);
    int refused = 0;
    int recovered = 0;
    for (int it = 0; it < ITERATIONS + wal.length; it++) {
      Mutation m;
      if (it >= ITERATIONS) { // truncation at every length, then the header's bits
        int len = it - ITERATIONS;
        m = new Mutation();
        m.bytes = Arrays.copyOf(wal, len);
        m.ops.add("truncate to " + len);
      } else if (rnd.nextInt(5) == 0) { // a record whose checksum is intact but whose segment is damaged
        int k = rnd.nextInt(n);
        Mutation inner = mutate(payloads.get(k), rnd, recordFields.get(k), true);
        if (rnd.nextBoolean()) {
          fixWalRecordCrcs(inner.bytes);
        }
        List<byte[]> p = new ArrayList<>(payloads);
        p.set(k, inner.bytes);
        m = new Mutation();
        m.bytes = buildLog(WAL_MAGIC, 1, p);
        m.ops.add("record " + k + " payload: " + inner);
        m.crcFixed = true;
        m.tailOnly = false;
      } else {
        m = mutate(wal, rnd, fields, true);
      }
      if (Arrays.equals(m.bytes, wal) || excised(wal, starts, m.bytes)) {
        continue;
      }
      String ctx = what + ", seed " + seed + " iteration " + it + ": " + m;
      Outcome<Replay> o = capture(() -> replayWal(dir, m.bytes));
      if (o.thrown != null) {
        if (!m.crcFixed && o.thrown instanceof StorageCorruptedException) {
          assertEquals(file, ((StorageCorruptedException) o.thrown).file(), ctx);
          assertTrue(((StorageCorruptedException) o.thrown).offset() >= 0, ctx + ": no offset: " + o.thrown);
        }
        checkRecovery(wal, starts, m, -1, true, o, file, -1, ctx);
        refused++;
        continue;
      }
      recovered++;
      if (m.crcFixed) {
        continue;
      }
      int k = -1;
      for (int j = 0; j <= n; j++) {
        if (prefix[j].rows == o.value.rows && prefix[j].data.equals(o.value.data)) {
          k = j;
        }
      }
      if (k < 0) {
        fail(ctx + ": replayed " + o.value.rows + " rows that are not a prefix of the WAL's records:\n" + o.value.data);
      }
      assertEquals(prefix[k].next, o.value.next, ctx + ": next sequence");
      assertEquals(prefix[k].positions, o.value.positions, ctx + ": stream positions of the records replayed");
      checkRecovery(wal, starts, m, k, false, o, file, o.value.walSize, ctx);
    }
    assertTrue(refused > 0 && recovered > 0, refused + " refused, " + recovered + " recovered");
    return prefix;
  }

  @Test
  void writeAheadLogRecoveryRule(@TempDir Path tmp) throws IOException {
    // three records: the golden two and one more push
    Path dir = OfflineFormatTest.copyGolden(tmp.resolve("store"));
    OfflineFormatTest.Golden g = new OfflineFormatTest.Golden(dir);
    g.now.set(OfflineFormatTest.PUSH2 + 1_000);
    g.store.push("profile", OfflineFormatTest.batch(48, 52));
    g.store.close();
    Path walFile = dir.resolve("views/profile/wal.log");
    byte[] three = Files.readAllBytes(walFile);
    int[] starts = recordStarts(three);
    assertEquals(3, starts.length - 1);
    Path copy = tmp.resolve("pristine");
    OfflineFormatTest.copyGolden(copy);
    Files.copy(walFile, copy.resolve("views/profile/wal.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    // a flipped byte in the middle record: refused, naming the file and the record's offset, file unchanged
    byte[] flipped = three.clone();
    flipped[starts[1] + 12 + 100] ^= 0x40;
    Files.write(walFile, flipped);
    OfflineFormatTest.Golden g2 = new OfflineFormatTest.Golden(dir);
    try {
      FeatureView v = g2.registry.view("profile", FeatureView.class);
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> g2.offline.nextSequence(v));
      assertEquals(walFile, e.file());
      assertEquals(starts[1], e.offset(), e.getMessage());
      assertTrue(e.getMessage().contains(walFile.toString()) && e.getMessage().contains("at byte " + starts[1])
          && e.getMessage().contains("intact record follows at byte " + starts[2]), e.getMessage());
    } finally {
      g2.store.close();
    }
    assertArrayEquals(flipped, Files.readAllBytes(walFile), "a refused WAL is left as it was");

    // the last record cut short: the earlier ones are replayed, with a WARN; nothing else is lost
    Files.write(walFile, Arrays.copyOf(three, starts[2] + 40));
    OfflineFormatTest.Golden g3 = new OfflineFormatTest.Golden(dir);
    try {
      FeatureView v = g3.registry.view("profile", FeatureView.class);
      Outcome<Long> o = capture(() -> g3.offline.nextSequence(v));
      assertEquals(48L, o.value, "sequences of the cut batch are not taken");
      assertTrue(o.warned() && o.log.contains(walFile.toString()) && o.log.contains("at byte " + starts[2]), o.log);
      assertEquals(starts[2], Files.size(walFile), "cut at the end of the last intact record");
      TreeMap<Long, String> rows = scanAll(g3);
      List<Long> expect = new ArrayList<>();
      for (int i = 0; i < OfflineFormatTest.TOTAL; i++) {
        if (OfflineFormatTest.visible(i)) {
          expect.add((long) i);
        }
      }
      assertEquals(expect, new ArrayList<>(rows.keySet()), "segment rows and both intact WAL records");
      g3.now.set(OfflineFormatTest.PUSH2 + 5_000);
      g3.store.push("profile", OfflineFormatTest.batch(60, 62));
    } finally {
      g3.store.close();
    }
    OfflineFormatTest.Golden g4 = new OfflineFormatTest.Golden(dir);
    try {
      TreeMap<Long, String> rows = scanAll(g4);
      assertTrue(rows.containsKey(48L) && rows.containsKey(49L), "appends after recovery continue the log: " + rows);
      assertEquals(OfflineFormatTest.user(60), rows.get(48L));
    } finally {
      g4.store.close();
    }
  }

  static TreeMap<Long, String> scanAll(OfflineFormatTest.Golden g) {
    TreeMap<Long, String> rows = new TreeMap<>();
    g.offline.scan(g.registry.view("profile"), 0, EventBatch.MAX_TIME, -1, c -> {
      for (int r = 0; r < c.size(); r++) {
        rows.put(c.sequence(r), (String) c.key(r).value("user_id"));
      }
    });
    return rows;
  }

  // ------------------------------------------------------------------ manifest

  static List<Field> manifestFields(byte[] mf) {
    ByteBuffer b = le(mf);
    List<Field> f = new ArrayList<>();
    f.add(new Field("format version", 8, 4));
    f.add(new Field("version length", 12, 2));
    int p = 14 + (b.getShort(12) & 0xffff);
    f.add(new Field("columns", p, 4));
    f.add(new Field("schema length", p + 4, 4));
    f.add(new Field("schema column 0 name length", p + 8, 2));
    p += 8 + b.getInt(p + 4);
    f.add(new Field("nextSeq", p, 8));
    f.add(new Field("walFloor", p + 8, 8));
    f.add(new Field("segCounter", p + 16, 8));
    f.add(new Field("segment count", p + 24, 4));
    int nseg = b.getInt(p + 24);
    p += 28;
    for (int i = 0; i < nseg; i++) {
      f.add(new Field("segment " + i + " name length", p, 2));
      p += 2 + (b.getShort(p) & 0xffff);
    }
    f.add(new Field("erasure count", p, 4));
    int nt = b.getInt(p);
    for (int i = 0; i < nt; i++) {
      f.add(new Field("erasure " + i + " id", p + 4 + 16 * i, 8));
      f.add(new Field("erasure " + i + " bound", p + 12 + 16 * i, 8));
    }
    p += 4 + 16 * nt;
    if (b.getInt(8) == 2) { // version 2: the stream sources' positions
      f.add(new Field("source count", p, 4));
      int ns = b.getInt(p);
      p += 4;
      for (int i = 0; i < ns; i++) {
        f.add(new Field("source " + i + " name length", p, 2));
        p += 2 + (b.getShort(p) & 0xffff);
        f.add(new Field("source " + i + " position", p, 8));
        p += 8;
      }
    }
    assertEquals(mf.length - 4, p, "the test parses the manifest format");
    return f;
  }

  static void fixManifestCrc(byte[] mf) {
    if (mf.length >= 4) {
      le(mf).putInt(mf.length - 4, crc(mf, 0, mf.length - 4));
    }
  }

  static final byte[] EMPTY_WAL = buildLog(WAL_MAGIC, 1, List.of());

  /** Opens a view directory with this manifest, the golden segment and an empty WAL; describes what it holds. */
  static String openManifest(Path dir, byte[] mf) throws IOException {
    return openManifest(dir, mf, segment);
  }

  /**
   * Opens a view directory with this manifest, this segment and an empty WAL; describes what it holds
   * (and the positions of the sourced golden's stream sources, when any is set).
   */
  static String openManifest(Path dir, byte[] mf, byte[] seg) throws IOException {
    deleteTree(dir);
    Files.createDirectories(dir);
    Files.write(dir.resolve("MANIFEST"), mf);
    Files.write(dir.resolve("seg-000000000001.svs"), seg);
    Files.write(dir.resolve("wal.log"), EMPTY_WAL);
    FeatureView v = OfflineFormatTest.profile();
    ViewLog log = ViewLog.open("profile", dir, v.schema(), EmbeddedOfflineStore.storageVersion(v, v.schema()),
        options());
    try {
      ViewLog.Snapshot s = log.snapshot();
      StringBuilder sb = new StringBuilder();
      sb.append("next ").append(log.nextSequence()).append(" rows ").append(log.rowCount()).append(" erasures ")
          .append(new TreeMap<>(s.tombstones));
      for (SegmentFile.Segment g : s.segments) {
        sb.append(' ').append(g.name).append(':').append(g.size());
      }
      long a = log.sourcePosition(OfflineFormatTest.SOURCE_A);
      long b = log.sourcePosition(OfflineFormatTest.SOURCE_B);
      if (a != Long.MIN_VALUE || b != Long.MIN_VALUE) {
        sb.append(" positions ").append(a).append(' ').append(b);
      }
      return sb.toString();
    } finally {
      log.close();
    }
  }

  @Test
  void manifest() throws IOException {
    fuzzManifest(manifest, segment, SEED + 2, "manifest", "next 40 rows 40 erasures {1=39} seg-000000000001.svs:40");
  }

  /** The sourced golden's manifest: version 2, with a stream-source section. */
  @Test
  void manifestWithStreamPositions() throws IOException {
    assertEquals(2, le(sourcedManifest).getInt(8), "a version 2 manifest");
    fuzzManifest(sourcedManifest, sourcedSegment, SEED + 5, "manifest v2",
        "next 16 rows 16 erasures {} seg-000000000001.svs:16 positions 110 6");
  }

  /**
   * Mutates a manifest (some with its checksum recomputed) and opens it next to its segment: a
   * damaged one is refused, never loaded, and the refusal changes no file.
   */
  void fuzzManifest(byte[] manifest, byte[] segment, long seed, String what, String expected) throws IOException {
    Path dir = work.resolve("manifest-view");
    Path file = dir.resolve("MANIFEST");
    String reference = openManifest(dir, manifest, segment);
    assertEquals(expected, reference);
    List<Field> fields = manifestFields(manifest);
    Random rnd = new Random(seed);
    int parserRefusals = 0; // refused behind an intact checksum: the decoder's own checks were reached
    for (int it = 0; it < ITERATIONS + manifest.length + 1; it++) {
      Mutation m;
      if (it >= ITERATIONS) {
        m = new Mutation();
        m.bytes = Arrays.copyOf(manifest, it - ITERATIONS);
        m.ops.add("truncate to " + m.bytes.length);
      } else {
        m = mutate(manifest, rnd, fields, true);
        if (rnd.nextInt(3) == 0) {
          fixManifestCrc(m.bytes);
          m.crcFixed = true;
        }
      }
      if (Arrays.equals(m.bytes, manifest)) {
        continue;
      }
      String ctx = what + ", seed " + seed + " iteration " + it + ": " + m;
      Outcome<String> o = capture(() -> openManifest(dir, m.bytes, segment));
      if (o.thrown == null) {
        assertTrue(m.crcFixed, ctx + ": a damaged manifest was accepted: " + o.value);
        continue;
      }
      requireCleanRefusal(o.thrown, m.crcFixed ? null : file, ctx);
      if (m.crcFixed && !o.thrown.getMessage().contains("checksum")) {
        parserRefusals++;
      }
      if (!m.crcFixed) {
        assertTrue(o.thrown instanceof StorageCorruptedException, ctx + ": " + o.thrown);
      }
      // a refused manifest changes nothing: the segment it lists and the WAL stay
      assertArrayEquals(m.bytes, Files.readAllBytes(file), ctx);
      assertArrayEquals(segment, Files.readAllBytes(dir.resolve("seg-000000000001.svs")), ctx);
      assertArrayEquals(EMPTY_WAL, Files.readAllBytes(dir.resolve("wal.log")), ctx);
    }
    assertTrue(parserRefusals > ITERATIONS / 20, "mutations behind a valid checksum reached the decoder: "
        + parserRefusals);
  }

  // ------------------------------------------------------------------ key log

  /** Decodes a key log as the store does when it opens an entity; describes the dictionary. */
  static String openKeys(Path file, byte[] bytes) throws IOException {
    Files.deleteIfExists(file);
    Files.write(file, bytes);
    List<ByteBuffer> records = new ArrayList<>();
    KeyDictionary d = new KeyDictionary("user", List.of("user_id"));
    // as the store opens it: every record decoded before a torn tail is cut
    RecordLog log = RecordLog.open(file, FileIo.DEFAULT, EmbeddedOfflineStore.KEYS_MAGIC,
        EmbeddedOfflineStore.KEYS_VERSION, records, r -> EmbeddedOfflineStore.decodeKeyRecord(r, d, file));
    log.close();
    int keyRecords = 0;
    for (ByteBuffer r : records) {
      if (r.remaining() > 0 && (r.get(0) == 'K' || r.get(0) == 'X')) {
        keyRecords++;
      }
    }
    StringBuilder sb = new StringBuilder().append(records.size()).append(" records, long mode ").append(d.longMode());
    for (int id = 0; id < keyRecords; id++) {
      EntityKey k = d.keyOf(id);
      sb.append(", ").append(id).append('=').append(k);
      if (k != null) { // null: a key forgotten after its erasure ('X' record)
        assertEquals(id, d.lookup(k), "the dictionary maps the key back to its id");
      }
    }
    return sb.toString();
  }

  /** Offsets of the length and tag fields inside a key record's payload. */
  static List<Field> keyPayloadFields(byte[] p) {
    List<Field> f = new ArrayList<>();
    f.add(new Field("kind", 0, 1));
    if (p[0] == 'K') {
      f.add(new Field("id", 1, 8));
      f.add(new Field("join key count", 9, 2));
      f.add(new Field("name length", 11, 2));
      int nl = le(p).getShort(11) & 0xffff;
      f.add(new Field("value tag", 13 + nl, 1));
      f.add(new Field("value length", 14 + nl, 4));
    } else {
      f.add(new Field("mode", 1, 1));
    }
    return f;
  }

  @Test
  void keyLog() throws IOException {
    Path dir = work.resolve("keys");
    Files.createDirectories(dir);
    Path file = dir.resolve("user.keys");
    int[] starts = recordStarts(keys);
    int n = starts.length - 1;
    String[] prefix = new String[n + 1];
    List<byte[]> payloads = new ArrayList<>();
    for (int k = 0; k <= n; k++) {
      prefix[k] = openKeys(file, Arrays.copyOf(keys, starts[k]));
      if (k < n) {
        payloads.add(payload(keys, starts, k));
      }
    }
    // u1 was erased and forgotten (an 'X' record keeps its id 1 taken); its later pushes got id 4
    assertEquals("6 records, long mode false, 0=" + EntityKey.of("user_id", "u0") + ", 1=null, 2="
        + EntityKey.of("user_id", "u2") + ", 3=" + EntityKey.of("user_id", "u3") + ", 4="
        + EntityKey.of("user_id", "u1"), prefix[n]);
    assertArrayEquals(keys, buildLog(EmbeddedOfflineStore.KEYS_MAGIC, 1, payloads));
    List<Field> fields = logFields(keys, starts);
    Random rnd = new Random(SEED + 3);
    int refused = 0;
    for (int it = 0; it < ITERATIONS + keys.length; it++) {
      Mutation m;
      if (it >= ITERATIONS) {
        m = new Mutation();
        m.bytes = Arrays.copyOf(keys, it - ITERATIONS);
        m.ops.add("truncate to " + m.bytes.length);
      } else if (rnd.nextInt(4) == 0) { // an intact checksum over a damaged key record
        int k = rnd.nextInt(n);
        Mutation inner = mutate(payloads.get(k), rnd, keyPayloadFields(payloads.get(k)), true);
        List<byte[]> p = new ArrayList<>(payloads);
        p.set(k, inner.bytes);
        m = new Mutation();
        m.bytes = buildLog(EmbeddedOfflineStore.KEYS_MAGIC, 1, p);
        m.ops.add("record " + k + " payload: " + inner);
        m.crcFixed = true;
        m.tailOnly = false;
      } else {
        m = mutate(keys, rnd, fields, true);
      }
      if (Arrays.equals(m.bytes, keys) || excised(keys, starts, m.bytes)) {
        continue;
      }
      String ctx = "key log, seed " + (SEED + 3) + " iteration " + it + ": " + m;
      Outcome<String> o = capture(() -> openKeys(file, m.bytes));
      if (o.thrown != null) {
        if (o.thrown instanceof StorageCorruptedException) {
          assertEquals(file, ((StorageCorruptedException) o.thrown).file(), ctx);
        }
        if (m.crcFixed) {
          requireCleanRefusal(o.thrown, file, ctx);
        } else {
          checkRecovery(keys, starts, m, -1, true, o, file, -1, ctx);
        }
        refused++;
        continue;
      }
      if (m.crcFixed) {
        continue;
      }
      int k = Arrays.asList(prefix).indexOf(o.value);
      if (k < 0) {
        fail(ctx + ": the dictionary is not a prefix of the key log: " + o.value);
      }
      checkRecovery(keys, starts, m, k, false, o, file, Files.size(file), ctx);
    }
    assertTrue(refused > 0);
  }

  @Test
  void keyLogRecoveryRule(@TempDir Path tmp) throws IOException {
    Path dir = OfflineFormatTest.copyGolden(tmp.resolve("store"));
    Path keyFile = dir.resolve("entities/user.keys");
    int[] starts = recordStarts(keys);
    // a flipped byte in a middle record (the key of u1): refused with the file and the record's offset
    byte[] flipped = keys.clone();
    flipped[starts[2] + 14] ^= 0x01;
    Files.write(keyFile, flipped);
    OfflineFormatTest.Golden g = new OfflineFormatTest.Golden(dir);
    try {
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> scanAll(g));
      assertEquals(keyFile, e.file());
      assertEquals(starts[2], e.offset(), e.getMessage());
      assertTrue(e.getMessage().startsWith(keyFile + " at byte " + starts[2]), e.getMessage());
    } finally {
      g.store.close();
    }
    assertArrayEquals(flipped, Files.readAllBytes(keyFile), "a refused key log is left as it was");

    // a torn last record: a key appended for rows that were never written (a crash between the key's
    // write and its fsync-before-rows). Cut off with a WARN; every key the rows use is kept.
    ByteBuffer extra = EmbeddedOfflineStore.encodeKey(4, EntityKey.of("user_id", "u4"));
    List<byte[]> payloads = new ArrayList<>();
    for (int k = 0; k + 1 < starts.length; k++) {
      payloads.add(payload(keys, starts, k));
    }
    byte[] p4 = new byte[extra.remaining()];
    extra.get(p4);
    payloads.add(p4);
    byte[] six = buildLog(EmbeddedOfflineStore.KEYS_MAGIC, 1, payloads);
    Files.write(keyFile, Arrays.copyOf(six, six.length - 3));
    OfflineFormatTest.Golden g2 = new OfflineFormatTest.Golden(dir);
    try {
      Outcome<TreeMap<Long, String>> o = capture(() -> scanAll(g2));
      assertTrue(o.thrown == null, "recovered: " + o.thrown);
      assertTrue(o.warned() && o.log.contains(keyFile.toString()), o.log);
      List<Long> expect = new ArrayList<>();
      for (int i = 0; i < OfflineFormatTest.TOTAL; i++) {
        if (OfflineFormatTest.visible(i)) {
          expect.add((long) i);
          assertEquals(OfflineFormatTest.user(i), o.value.get((long) i), "row " + i + " keeps its key");
        }
      }
      assertEquals(expect, new ArrayList<>(o.value.keySet()));
      assertEquals(keys.length, Files.size(keyFile), "cut at the end of the last intact record");
      // the cut id is free again: a new key takes it and survives a restart
      g2.now.set(OfflineFormatTest.PUSH2 + 1_000);
      g2.store.push("profile", EventBatch.builder(OfflineFormatTest.schema())
          .add(EntityKey.of("user_id", "u9"), OfflineFormatTest.T0, OfflineFormatTest.T0, OfflineFormatTest.row(0))
          .build());
    } finally {
      g2.store.close();
    }
    OfflineFormatTest.Golden g3 = new OfflineFormatTest.Golden(dir);
    try {
      assertEquals("u9", scanAll(g3).get(48L));
    } finally {
      g3.store.close();
    }
  }
}
