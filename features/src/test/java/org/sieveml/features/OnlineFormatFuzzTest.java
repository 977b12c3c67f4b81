package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.features.internal.OnlineCodec;

/**
 * Fuzz targets for the loader of the embedded online store, seeded with the golden files of
 * {@link OnlineFormatTest}: the format 2 write-ahead log and snapshot, and the format 1 log. Each
 * iteration applies seeded random mutations (bit flips, byte and word overwrites, length fields set to
 * huge or negative values, zeroed or deleted ranges, truncation, extension with garbage; for format 2
 * some mutate one record's payload and recompute its checksum, so the decoder behind the checksum is
 * reached) and opens the store. Opening must either succeed — for a damaged log, with exactly the
 * state after a prefix of its records, the damaged record and only it (and what follows) cut, never an
 * intact record after it; a damaged snapshot never opens — or fail with a {@link
 * StorageCorruptedException} naming the damaged file, never another exception or error, and a refused
 * file is left as it was. (A payload changed behind a valid checksum may decode to other valid values:
 * then only the kind of failure is checked.)
 *
 * <p>The format 3 log and snapshot of {@code golden/online-v3-history/} (history records, see {@link
 * OnlineHistoryFormatTest}) are fuzzed the same way; the state compared includes the number of history
 * entries loaded.
 *
 * <p>The format 2 log is fuzzed twice: the golden log of every plain record, and the log of
 * {@code golden/online-v2-commit/}, whose atomic commits ({@code 'T'} records) must load whole or not
 * at all: the state after a damaged log is the state after some prefix of its records, so never part
 * of a commit.
 *
 * <p>A longer run:
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q -B test -pl features -Dtest=OnlineFormatFuzzTest \
 *     -Dsieveml.fuzz.iterations=100000 -Dsieveml.fuzz.seed=$RANDOM -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class OnlineFormatFuzzTest {

  static final int ITERATIONS = Integer.getInteger("sieveml.fuzz.iterations", 1_500);
  static final long SEED = Long.getLong("sieveml.fuzz.seed", 0x0E11EL);
  static final long[] INTERESTING = {0, 1, -1, 2, 7, 8, 12, 16, 255, 256, 65_535, 65_536, Integer.MAX_VALUE,
      Integer.MIN_VALUE, 1L << 30, (1L << 30) + 1, -8, 0x8000_0000L, 0xFFFF_FFFFL};

  static byte[] snap;
  static byte[] wal;
  static byte[] legacySnap;
  static byte[] legacyWal;
  static byte[] commitSnap;
  static byte[] commitWal;
  static byte[] historySnap;
  static byte[] historyWal;
  static Path work;
  static boolean ownWork;

  @BeforeAll
  static void load(@TempDir Path tmp) throws IOException {
    Path v2 = OnlineFormatTest.source(OnlineFormatTest.GOLDEN_V2);
    Path v1 = OnlineFormatTest.source(OnlineFormatTest.GOLDEN_V1);
    snap = Files.readAllBytes(v2.resolve(EmbeddedOnlineStore.SNAPSHOT));
    wal = Files.readAllBytes(v2.resolve(EmbeddedOnlineStore.WAL));
    legacySnap = Files.readAllBytes(v1.resolve(EmbeddedOnlineStore.LEGACY_SNAPSHOT));
    legacyWal = Files.readAllBytes(v1.resolve(EmbeddedOnlineStore.LEGACY_WAL));
    Path commit = OnlineFormatTest.source(OnlineFormatTest.GOLDEN_COMMIT);
    commitSnap = Files.readAllBytes(commit.resolve(EmbeddedOnlineStore.SNAPSHOT));
    commitWal = Files.readAllBytes(commit.resolve(EmbeddedOnlineStore.WAL));
    Path history = OnlineFormatTest.source(OnlineHistoryFormatTest.GOLDEN_V3);
    historySnap = Files.readAllBytes(history.resolve(EmbeddedOnlineStore.SNAPSHOT));
    historyWal = Files.readAllBytes(history.resolve(EmbeddedOnlineStore.WAL));
    Path shm = Path.of("/dev/shm"); // thousands of small fsyncs: on a memory file system when there is one
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      work = Files.createTempDirectory(shm, "sieveml-online-fuzz");
      ownWork = true;
    } else {
      work = tmp;
    }
  }

  @AfterAll
  static void cleanUp() throws IOException {
    if (ownWork) {
      OfflineFormatFuzzTest.deleteTree(work);
    }
  }

  // ------------------------------------------------------------------ opening

  /** What opening did: the state, or what it threw. */
  static final class Outcome {
    String state;
    Throwable thrown;
  }

  /** Writes the files into a fresh directory and opens a store there; stderr (slf4j-simple) is muted. */
  static Outcome open(Path dir, byte[][] files, String[] names) throws IOException {
    return open(dir, files, names, List.of("materialized:velocity", "other mark", "never"));
  }

  /** As {@link #open(Path, byte[][], String[])}, describing these marks. */
  static Outcome open(Path dir, byte[][] files, String[] names, List<String> marks) throws IOException {
    OfflineFormatFuzzTest.deleteTree(dir);
    Files.createDirectories(dir);
    for (int i = 0; i < files.length; i++) {
      if (files[i] != null) {
        Files.write(dir.resolve(names[i]), files[i]);
      }
    }
    Outcome o = new Outcome();
    PrintStream err = System.err;
    System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).durability(Durability.MANUAL).build();
      try {
        // with the history it loaded: format 3 files rebuild it from their stamps
        o.state = OnlineFormatTest.describe(s, marks) + "\nhistory entries " + s.historyEntries();
      } finally {
        s.close();
      }
    } catch (Throwable t) { // NOPMD: errors such as OutOfMemoryError are exactly what we look for
      o.thrown = t;
    } finally {
      System.setErr(err);
    }
    return o;
  }

  static void requireRefusal(Throwable t, Path file, String ctx) {
    if (!(t instanceof StorageCorruptedException)) {
      fail(ctx + ": opening failed with " + t + " instead of a StorageCorruptedException", t);
    }
    StorageCorruptedException e = (StorageCorruptedException) t;
    if (!file.equals(e.file()) || !e.getMessage().startsWith(file.toString())) {
      fail(ctx + ": the exception names " + e.file() + ", expected " + file + ": " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ mutations

  static final class Mutation {
    byte[] bytes;
    final List<String> ops = new ArrayList<>();
    boolean crcFixed;

    @Override
    public String toString() {
      return String.join(", ", ops) + (crcFixed ? " (checksum recomputed)" : "");
    }
  }

  static Mutation mutate(byte[] in, Random rnd, List<Integer> lengthFields, ByteOrder order) {
    Mutation m = new Mutation();
    byte[] b = in.clone();
    int n = 1 + rnd.nextInt(3);
    for (int i = 0; i < n; i++) {
      int op = rnd.nextInt(9);
      if (b.length == 0) {
        op = 7;
      }
      int at = b.length == 0 ? 0 : rnd.nextInt(b.length);
      switch (op) {
        case 0:
        case 1:
          b[at] ^= (byte) (1 << rnd.nextInt(8));
          m.ops.add("flip bit at " + at);
          break;
        case 2:
          b[at] = (byte) rnd.nextInt(256);
          m.ops.add("set byte " + at);
          break;
        case 3:
        case 4: {
          int f = !lengthFields.isEmpty() && rnd.nextBoolean() ? lengthFields.get(rnd.nextInt(lengthFields.size()))
              : at;
          long v = INTERESTING[rnd.nextInt(INTERESTING.length)];
          if (f + 4 <= b.length) {
            ByteBuffer.wrap(b).order(order).putInt(f, (int) v);
            m.ops.add("int " + v + " at " + f);
          }
          break;
        }
        case 5: {
          int len = Math.min(b.length - at, 1 + rnd.nextInt(16));
          Arrays.fill(b, at, at + len, (byte) 0);
          m.ops.add("zero " + len + " at " + at);
          break;
        }
        case 6: {
          int len = Math.min(b.length - at, 1 + rnd.nextInt(32));
          byte[] c = new byte[b.length - len];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(b, at + len, c, at, b.length - at - len);
          b = c;
          m.ops.add("delete " + len + " at " + at);
          break;
        }
        case 7: {
          byte[] extra = new byte[1 + rnd.nextInt(40)];
          rnd.nextBytes(extra);
          if (rnd.nextBoolean()) {
            Arrays.fill(extra, (byte) 0);
          }
          byte[] c = Arrays.copyOf(b, b.length + extra.length);
          System.arraycopy(extra, 0, c, b.length, extra.length);
          b = c;
          m.ops.add("append " + extra.length);
          break;
        }
        default:
          b = Arrays.copyOf(b, at);
          m.ops.add("truncate to " + at);
      }
    }
    m.bytes = b;
    return m;
  }

  /** Record starts of a format 2 file, and the file's length at the end. */
  static int[] starts(byte[] f) {
    List<Integer> s = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    int p = 16;
    while (p < f.length) {
      s.add(p);
      p += 12 + b.getInt(p + 4);
    }
    s.add(f.length);
    return s.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Record starts of a format 1 log. */
  static int[] legacyStarts(byte[] f) {
    List<Integer> s = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(f);
    int p = 12;
    while (p < f.length) {
      s.add(p);
      p += 8 + b.getInt(p);
    }
    s.add(f.length);
    return s.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A format 2 file with record k's payload mutated and every frame rebuilt with valid checksums. */
  static Mutation mutatePayload(byte[] file, int[] st, Random rnd, byte[] magic) throws IOException {
    int k = rnd.nextInt(st.length - 1);
    byte[] payload = Arrays.copyOfRange(file, st[k] + 12, st[k + 1]);
    Mutation inner = mutate(payload, rnd, List.of(), ByteOrder.BIG_ENDIAN);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(file, 0, 16); // the file's own header (format 2 or 3)
    for (int i = 0; i + 1 < st.length; i++) {
      OnlineCodec.writeRecord(out, i == k ? inner.bytes : Arrays.copyOfRange(file, st[i] + 12, st[i + 1]));
    }
    Mutation m = new Mutation();
    m.bytes = out.toByteArray();
    m.ops.add("record " + k + " payload: " + inner);
    m.crcFixed = true;
    return m;
  }

  static int firstDifference(byte[] a, byte[] b) {
    int d = Arrays.mismatch(a, b);
    return d < 0 ? Math.min(a.length, b.length) : d;
  }

  /** Whether any original record after record k is still intact somewhere after the damage. */
  static boolean intactRecordAfter(byte[] original, int[] st, int k, byte[] mutated, int from) {
    for (int j = k + 1; j + 1 < st.length; j++) {
      byte[] rec = Arrays.copyOfRange(original, st[j], st[j + 1]);
      for (int p = Math.max(from, 0); p + rec.length <= mutated.length; p++) {
        if (Arrays.equals(mutated, p, p + rec.length, rec, 0, rec.length)) {
          return true;
        }
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ targets

  @Test
  void writeAheadLog() throws IOException {
    fuzzLog(snap, wal, List.of("materialized:velocity", "other mark", "never"), SEED, "log");
  }

  /** The log of atomic commits ({@code 'T'} records) after its snapshot. */
  @Test
  void writeAheadLogOfCommits() throws IOException {
    List<String> prefix = fuzzLog(commitSnap, commitWal, OnlineFormatTest.COMMIT_MARKS, SEED + 3, "commit log");
    assertEquals(6, prefix.size(), "the states after 0..5 records: a generation, three commits and a mark");
    String position = "mark " + OnlineFormatTest.PROFILE_POSITION + " ";
    assertTrue(prefix.get(1).contains(position + 10) && prefix.get(2).contains(position + 20)
        && prefix.get(5).contains(position + 23), "each commit moves its position with its rows");
  }

  /** The format 3 log of the history golden: stamps before writes, a history rebuilt from a prefix. */
  @Test
  void writeAheadLogWithHistory() throws IOException {
    List<String> prefix = fuzzLog(historySnap, historyWal, List.of("never"), SEED + 4, "history log");
    assertTrue(!prefix.get(0).equals(prefix.get(prefix.size() - 1)), "the log changes the state");
  }

  /** The format 3 snapshot of the history golden: any damage is refused, naming it. */
  @Test
  void snapshotWithHistory() throws IOException {
    Path dir = work.resolve("snap3");
    String[] names = {EmbeddedOnlineStore.SNAPSHOT, EmbeddedOnlineStore.WAL};
    int[] st = starts(historySnap);
    String reference = open(dir, new byte[][] {historySnap, null}, names).state;
    assertTrue(reference.contains("history entries") && !reference.endsWith("history entries 0"), reference);
    List<Integer> lengths = new ArrayList<>();
    for (int k = 0; k + 1 < st.length; k++) {
      lengths.add(st[k] + 4);
    }
    Random rnd = new Random(SEED + 5);
    Path file = dir.resolve(EmbeddedOnlineStore.SNAPSHOT);
    int decoderRefusals = 0;
    for (int it = 0; it < ITERATIONS; it++) {
      Mutation m = rnd.nextInt(3) == 0 ? mutatePayload(historySnap, st, rnd, OnlineCodec.SNAP_MAGIC)
          : mutate(historySnap, rnd, lengths, ByteOrder.LITTLE_ENDIAN);
      if (Arrays.equals(m.bytes, historySnap)) {
        continue;
      }
      String ctx = "history snapshot, seed " + (SEED + 5) + " iteration " + it + ": " + m;
      Outcome o = open(dir, new byte[][] {m.bytes, null}, names);
      if (o.thrown == null) {
        assertTrue(m.crcFixed, ctx + ": a damaged snapshot was loaded:\n" + o.state);
        continue;
      }
      requireRefusal(o.thrown, file, ctx);
      assertArrayEquals(m.bytes, Files.readAllBytes(file), ctx + ": a refused snapshot is left as it was");
      if (m.crcFixed && !o.thrown.getMessage().contains("checksum")) {
        decoderRefusals++;
      }
    }
    assertTrue(decoderRefusals > ITERATIONS / 20, "mutations behind a valid checksum reached the decoder: "
        + decoderRefusals);
  }

  /**
   * Mutates a log (next to its intact snapshot) and opens it: refused, naming the log and leaving it
   * as it was, or the state after a prefix of its records, the damage in the record after it. Returns
   * the states after each prefix.
   */
  List<String> fuzzLog(byte[] snap, byte[] wal, List<String> marks, long seed, String what) throws IOException {
    Path dir = work.resolve("wal");
    String[] names = {EmbeddedOnlineStore.SNAPSHOT, EmbeddedOnlineStore.WAL};
    int[] st = starts(wal);
    List<String> prefix = new ArrayList<>(); // the state after the snapshot and the first k records
    for (int k = 0; k < st.length; k++) {
      Outcome o = open(dir, new byte[][] {snap, Arrays.copyOf(wal, st[k])}, names, marks);
      assertTrue(o.thrown == null, "prefix " + k + ": " + o.thrown);
      prefix.add(o.state);
    }
    assertEquals(prefix.get(st.length - 1), open(dir, new byte[][] {snap, wal}, names, marks).state);
    List<Integer> lengths = new ArrayList<>();
    for (int k = 0; k + 1 < st.length; k++) {
      lengths.add(st[k] + 4);
    }
    Random rnd = new Random(seed);
    Path file = dir.resolve(EmbeddedOnlineStore.WAL);
    int refused = 0;
    int cut = 0;
    for (int it = 0; it < ITERATIONS; it++) {
      Mutation m = rnd.nextInt(4) == 0 ? mutatePayload(wal, st, rnd, OnlineCodec.WAL_MAGIC)
          : mutate(wal, rnd, lengths, ByteOrder.LITTLE_ENDIAN);
      if (Arrays.equals(m.bytes, wal)) {
        continue;
      }
      String ctx = what + ", seed " + seed + " iteration " + it + ": " + m;
      Outcome o = open(dir, new byte[][] {snap, m.bytes}, names, marks);
      if (o.thrown != null) {
        requireRefusal(o.thrown, file, ctx);
        assertArrayEquals(m.bytes, Files.readAllBytes(file), ctx + ": a refused log is left as it was");
        refused++;
        continue;
      }
      if (m.crcFixed) {
        continue;
      }
      int k = prefix.lastIndexOf(o.state);
      if (k < 0) {
        fail(ctx + ": opened to a state that is no prefix of the log:\n" + o.state);
      }
      if (k < st.length - 1) {
        int d = firstDifference(wal, m.bytes);
        if (d >= st[k + 1]) {
          fail(ctx + ": records up to " + k + " loaded, but the first damage is at byte " + d + ", in a later record");
        }
        if (intactRecordAfter(wal, st, k, m.bytes, d)) {
          fail(ctx + ": an intact record after the damaged record " + k + " was dropped");
        }
        cut++;
      }
    }
    assertTrue(refused > ITERATIONS / 10 && cut > ITERATIONS / 20, "refused " + refused + ", cut " + cut);
    return prefix;
  }

  @Test
  void snapshot() throws IOException {
    Path dir = work.resolve("snap");
    String[] names = {EmbeddedOnlineStore.SNAPSHOT, EmbeddedOnlineStore.WAL};
    int[] st = starts(snap);
    String reference = open(dir, new byte[][] {snap, null}, names).state;
    List<Integer> lengths = new ArrayList<>();
    for (int k = 0; k + 1 < st.length; k++) {
      lengths.add(st[k] + 4);
    }
    Random rnd = new Random(SEED + 1);
    Path file = dir.resolve(EmbeddedOnlineStore.SNAPSHOT);
    int decoderRefusals = 0;
    for (int it = 0; it < ITERATIONS; it++) {
      Mutation m = rnd.nextInt(3) == 0 ? mutatePayload(snap, st, rnd, OnlineCodec.SNAP_MAGIC)
          : mutate(snap, rnd, lengths, ByteOrder.LITTLE_ENDIAN);
      if (Arrays.equals(m.bytes, snap)) {
        continue;
      }
      String ctx = "snapshot, seed " + (SEED + 1) + " iteration " + it + ": " + m;
      Outcome o = open(dir, new byte[][] {m.bytes, null}, names);
      if (o.thrown == null) {
        assertTrue(m.crcFixed, ctx + ": a damaged snapshot was loaded:\n" + o.state);
        continue;
      }
      requireRefusal(o.thrown, file, ctx);
      assertArrayEquals(m.bytes, Files.readAllBytes(file), ctx + ": a refused snapshot is left as it was");
      assertFalse(Files.exists(dir.resolve(EmbeddedOnlineStore.WAL)), ctx + ": nothing was started next to it");
      if (m.crcFixed && !o.thrown.getMessage().contains("checksum")) {
        decoderRefusals++;
      }
    }
    assertTrue(reference.contains("materialized:velocity " + (OnlineFormatTest.T0 + 5)), reference);
    assertTrue(decoderRefusals > ITERATIONS / 20, "mutations behind a valid checksum reached the decoder: "
        + decoderRefusals);
  }

  @Test
  void formatOneLog() throws IOException {
    Path dir = work.resolve("v1");
    String[] names = {EmbeddedOnlineStore.LEGACY_SNAPSHOT, EmbeddedOnlineStore.LEGACY_WAL};
    int[] st = legacyStarts(legacyWal);
    List<String> prefix = new ArrayList<>();
    for (int k = 0; k < st.length; k++) {
      Outcome o = open(dir, new byte[][] {legacySnap, Arrays.copyOf(legacyWal, st[k])}, names);
      assertTrue(o.thrown == null, "prefix " + k + ": " + o.thrown);
      prefix.add(o.state);
    }
    List<Integer> lengths = new ArrayList<>();
    for (int k = 0; k + 1 < st.length; k++) {
      lengths.add(st[k]);
    }
    Random rnd = new Random(SEED + 2);
    Path file = dir.resolve(EmbeddedOnlineStore.LEGACY_WAL);
    int refused = 0;
    for (int it = 0; it < ITERATIONS; it++) {
      Mutation m = mutate(legacyWal, rnd, lengths, ByteOrder.BIG_ENDIAN);
      if (Arrays.equals(m.bytes, legacyWal)) {
        continue;
      }
      String ctx = "format 1 log, seed " + (SEED + 2) + " iteration " + it + ": " + m;
      Outcome o = open(dir, new byte[][] {legacySnap, m.bytes}, names);
      if (o.thrown != null) {
        requireRefusal(o.thrown, file, ctx);
        assertArrayEquals(m.bytes, Files.readAllBytes(file), ctx + ": a refused log is left as it was");
        assertFalse(Files.exists(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)), ctx + ": nothing converted");
        refused++;
        continue;
      }
      int k = prefix.lastIndexOf(o.state);
      if (k < 0) {
        fail(ctx + ": opened to a state that is no prefix of the log:\n" + o.state);
      }
      if (k < st.length - 1) {
        int d = firstDifference(legacyWal, m.bytes);
        if (d >= st[k + 1] && d < m.bytes.length) {
          fail(ctx + ": records up to " + k + " loaded, but the first damage is at byte " + d);
        }
        if (intactRecordAfter(legacyWal, st, k, m.bytes, Math.max(d, st[k] + 1))) {
          fail(ctx + ": an intact record after the damaged record " + k + " was dropped");
        }
      }
    }
    assertTrue(refused > ITERATIONS / 10, "refused " + refused);
  }
}
