package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.internal.OnlineCodec;

/**
 * The committed golden directories of the embedded online store still open with the current code and
 * hold exactly what their generators wrote:
 *
 * <ul>
 *   <li>{@code golden/online-v1/} ({@code online.snapshot}, {@code online.wal}, format 1) was written by
 *       the store of commit a8c2c5b (rows only, of {@link #key} and {@link #values}: rows 0..19 and a
 *       row of view {@code scratch} in the snapshot, rows 20..27 and the clear of {@code scratch} in
 *       the log). It loads with version {@code ""} and the created time as ingestion time, and is
 *       converted to format 2.
 *   <li>{@code golden/online-v2/} ({@code online.snap}, {@code online-wal.log}, format 2) is written by
 *       {@link #generate}: rows, tile adds with and without retention, a tile put and marks in the
 *       snapshot; more rows, a tile add of another version, two erasures, a clear and marks in the log.
 *   <li>{@code golden/online-v2-commit/} ({@code online.snap}, {@code online-wal.log}, format 2 with
 *       atomic commits, {@link OnlineStore#commit}) is written by {@link #generateCommits}: two commits
 *       (rows of the feature view {@code profile}, tile adds of the aggregation view {@code velocity},
 *       stream positions as {@link FeatureStore#pushFrom} names them) and a fenced one in the
 *       snapshot, which holds their effect as rows, tile sets and marks (a snapshot has no commit
 *       record); in the log, between its generation record and a plain mark, three {@code 'T'}
 *       records: rows, tile adds with a retention and two marks; marks only; rows (one older than
 *       the stored row), tile adds (one of another version) and two marks. The fenced commits
 *       (a stale expected position) wrote nothing.
 * </ul>
 *
 * <p>Regenerate the format 2 directory (only when the format version changes on purpose, into a new
 * {@code online-vN} directory; {@code .gitignore} ignores {@code *.log}, so add it with
 * {@code git add -f}):
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q -B test -pl features -Dtest=OnlineFormatTest#regenerateGoldenFiles \
 *     -Dsieveml.golden.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * and the commit directory the same way with {@code -Dtest=OnlineFormatTest#regenerateCommitGoldenFiles}
 * (only when the commit record changes on purpose: its bytes are checked against what the writer
 * makes today).
 */
class OnlineFormatTest {

  static final String GOLDEN_V1 = "golden/online-v1";
  static final String GOLDEN_V2 = "golden/online-v2";
  static final String GOLDEN_COMMIT = "golden/online-v2-commit";
  static final long T0 = 1_700_000_000_000L;
  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("score").addLong("visits")
      .addBoolean("active").addString("country").add(FeatureSpec.embedding("emb", 3)).build();

  static EntityKey key(int i) {
    int k = i % 5;
    if (k < 3) {
      return EntityKey.of("user_id", (long) k);
    }
    if (k == 3) {
      return EntityKey.of("user_id", "u\u00df3");
    }
    return EntityKey.builder().put("user_id", "u4").put("item_id", 9L).build();
  }

  static List<EntityKey> keys() {
    List<EntityKey> out = new ArrayList<>();
    for (int k = 0; k < 5; k++) {
      out.add(key(k));
    }
    return out;
  }

  static FeatureVector values(int i) {
    FeatureVector.Builder b = FeatureVector.builder(SCHEMA);
    if (i % 5 != 0) {
      b.setDouble("score", i * 0.25 - 3);
    }
    b.setLong("visits", i * 1000L - 5);
    b.setBoolean("active", i % 2 == 0);
    if (i % 4 != 2) {
      b.setString("country", "na\u00efve-\u65e5" + i);
    }
    if (i % 3 != 1) {
      b.setEmbedding("emb", new float[] {i, -0.5f * i, 1f / (i + 1)});
    }
    return b.build();
  }

  /** Row i as format 2 writes it. */
  static OnlineRow row(int i, String version) {
    long event = T0 + i * MIN;
    return new OnlineRow(key(i), values(i), event, event + 10 + i % 3, T0 + 100 * MIN + i, version);
  }

  /** Row i as a format 1 file holds it: no version, the created time as ingestion time. */
  static OnlineRow v1Row(int i) {
    long event = T0 + i * MIN;
    return new OnlineRow(key(i), values(i), event, event + 10 + i % 3, event + 10 + i % 3, "");
  }

  /** Tiles of two input fields (the second never present): a minute tile and an hour tile. */
  static WindowTiles tiles(EntityKey key, int i, String version) {
    long minute = T0 + (i % 3) * MIN;
    return WindowTiles.of(key, version, 2, new long[] {MIN, HOUR}, new long[] {minute, T0},
        new long[] {minute + 5, minute + 6, minute + 7, T0 + 5, T0 + 6, T0 + 7},
        new double[] {i + 1, i + 1, 2.5 * i, -i, i, 0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            1, 1, 0.5, 0.5, 0.5, 0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
  }

  /** The golden calls of format 2 (the checkpoint only on a persistent store). */
  static void generate(EmbeddedOnlineStore s, boolean persistent) {
    List<OnlineRow> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rows.add(row(i, "v1"));
    }
    s.write("profile", rows);
    s.write("scratch", List.of(row(3, "v1")));
    s.addTiles("velocity", List.of(tiles(key(0), 0, "v1"), tiles(key(1), 1, "v1"), tiles(key(3), 3, "v1")),
        WindowTiles.Retention.ALL);
    s.addTiles("velocity", List.of(tiles(key(0), 4, "v1"), tiles(key(4), 5, "v1")),
        WindowTiles.Retention.of(new long[] {MIN}, new long[] {T0 + 2 * MIN}));
    s.putTiles("velocity", List.of(tiles(key(2), 7, "v1")));
    s.advanceMark("materialized:velocity", T0 + 5);
    if (persistent) {
      s.checkpoint();
    }
    for (int i = 20; i < 28; i++) {
      s.write("profile", List.of(row(i, "v1")));
    }
    s.write("profile", List.of(new OnlineRow(key(0), values(0), T0 - 1, T0, T0, "v1"))); // older: refused
    s.addTiles("velocity", List.of(tiles(key(1), 8, "v2")), WindowTiles.Retention.ALL); // another version: ignored
    s.erase("profile", key(1));
    s.erase("velocity", key(3));
    s.clear("scratch");
    s.advanceMark("materialized:velocity", T0 + 9);
    s.advanceMark("other mark", -3);
  }

  // ------------------------------------------------------------------ atomic commits ('T' records)

  /** Stream positions, named as {@link FeatureStore#pushFrom} names them. */
  static final String PROFILE_POSITION = FeatureStore.positionMark("profile", "txns/0");
  static final String VELOCITY_POSITION = FeatureStore.positionMark("velocity", "txns/0");
  static final String PROFILE_POSITION_2 = FeatureStore.positionMark("profile", "t\u00fcr/1");
  /** The marks the commit golden holds (and one never set). */
  static final List<String> COMMIT_MARKS = List.of(PROFILE_POSITION, VELOCITY_POSITION, PROFILE_POSITION_2,
      "materialized:velocity", "never");
  /** Minute tiles starting before T0 + 2 min are dropped. */
  static final WindowTiles.Retention LAST_MINUTES = WindowTiles.Retention.of(new long[] {MIN},
      new long[] {T0 + 2 * MIN});
  /** What each commit call of {@link #generateCommits} returns. */
  static final List<Boolean> COMMIT_RESULTS = List.of(true, true, false, true, true, true, false);

  static List<OnlineRow> rows(int from, int to) {
    List<OnlineRow> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(row(i, "v1"));
    }
    return out;
  }

  /** Row 0's key with times older than any golden row: a write of it is refused as older. */
  static OnlineRow olderRow() {
    return new OnlineRow(key(0), values(0), T0 - 1, T0, T0, "v1");
  }

  /**
   * The golden commits (the checkpoint only on a persistent store); returns what each commit call
   * returned ({@link #COMMIT_RESULTS}).
   */
  static List<Boolean> generateCommits(EmbeddedOnlineStore s, boolean persistent) {
    List<Boolean> r = new ArrayList<>();
    r.add(s.commit(OnlineCommit.builder().rows("profile", rows(0, 10))
        .addTiles("velocity", List.of(tiles(key(0), 0, "v1"), tiles(key(1), 1, "v1"), tiles(key(3), 3, "v1")),
            WindowTiles.Retention.ALL)
        .mark(PROFILE_POSITION, Long.MIN_VALUE, 10).mark(VELOCITY_POSITION, Long.MIN_VALUE, 10).build()));
    r.add(s.commit(OnlineCommit.builder().rows("profile", rows(10, 15))
        .mark(PROFILE_POSITION_2, Long.MIN_VALUE, 5).build()));
    // a fenced writer (it read position 3): refused, nothing written
    r.add(s.commit(OnlineCommit.builder().rows("profile", rows(20, 25)).mark(PROFILE_POSITION, 3, 25).build()));
    if (persistent) {
      s.checkpoint();
    }
    r.add(s.commit(OnlineCommit.builder().rows("profile", rows(15, 20))
        .addTiles("velocity", List.of(tiles(key(0), 4, "v1"), tiles(key(4), 5, "v1")), LAST_MINUTES)
        .mark(PROFILE_POSITION, 10, 20).mark(VELOCITY_POSITION, 10, 20).build()));
    s.advanceMark("materialized:velocity", T0 + 5); // a plain record between commits
    r.add(s.commit(OnlineCommit.builder().mark(PROFILE_POSITION_2, 5, 7).build())); // a position moves alone
    r.add(s.commit(OnlineCommit.builder().rows("profile", List.of(row(21, "v1"), row(22, "v1"), olderRow()))
        .addTiles("velocity", List.of(tiles(key(2), 7, "v1"), tiles(key(1), 8, "v2")), WindowTiles.Retention.ALL)
        .mark(PROFILE_POSITION, 20, 23).mark(VELOCITY_POSITION, 20, 21).build()));
    // a stale writer (the position moved on): refused, nothing written
    r.add(s.commit(OnlineCommit.builder().rows("profile", rows(25, 28)).mark(PROFILE_POSITION, 20, 28).build()));
    return r;
  }

  /** The records the commit golden's log holds after its generation record, as the codec decodes them. */
  static List<OnlineCodec.Op> commitLogOps() {
    return List.of(
        new OnlineCodec.Commit(List.of(new OnlineCodec.Rows("profile", rows(15, 20)),
            new OnlineCodec.AddTiles("velocity", List.of(tiles(key(0), 4, "v1"), tiles(key(4), 5, "v1")),
                LAST_MINUTES)),
            List.of(new OnlineCodec.Mark(PROFILE_POSITION, 20), new OnlineCodec.Mark(VELOCITY_POSITION, 20))),
        new OnlineCodec.Mark("materialized:velocity", T0 + 5),
        new OnlineCodec.Commit(List.of(), List.of(new OnlineCodec.Mark(PROFILE_POSITION_2, 7))),
        new OnlineCodec.Commit(List.of(
            new OnlineCodec.Rows("profile", List.of(row(21, "v1"), row(22, "v1"), olderRow())),
            new OnlineCodec.AddTiles("velocity", List.of(tiles(key(2), 7, "v1"), tiles(key(1), 8, "v2")),
                WindowTiles.Retention.ALL)),
            List.of(new OnlineCodec.Mark(PROFILE_POSITION, 23), new OnlineCodec.Mark(VELOCITY_POSITION, 21))));
  }

  /** The payloads of an intact record file. */
  static List<byte[]> payloads(byte[] file) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    List<byte[]> out = new ArrayList<>();
    for (int p = 16; p < file.length; p += 12 + b.getInt(p + 4)) {
      out.add(java.util.Arrays.copyOfRange(file, p + 12, p + 12 + b.getInt(p + 4)));
    }
    return out;
  }

  /** An op as the codec writes it (its number 0): records without equals (a retention) compare by bytes. */
  static String encoded(OnlineCodec.Op op) {
    StringBuilder b = new StringBuilder();
    for (byte[] p : new OnlineCodec().encode(op)) {
      b.append(java.util.Base64.getEncoder().encodeToString(p)).append('|');
    }
    return b.toString();
  }

  /** Decodes the payloads of a file, each checked to carry its record number. */
  static List<OnlineCodec.Op> decodeAll(byte[] file) throws IOException {
    OnlineCodec codec = new OnlineCodec();
    List<OnlineCodec.Op> out = new ArrayList<>();
    List<byte[]> p = payloads(file);
    for (int i = 0; i < p.size(); i++) {
      assertEquals(i, OnlineCodec.number(java.nio.ByteBuffer.wrap(p.get(i))), "record number");
      out.add(codec.decode(java.nio.ByteBuffer.wrap(p.get(i))));
    }
    return out;
  }

  /** Everything a store holds for the golden keys, as text. */
  static String describe(EmbeddedOnlineStore s) {
    return describe(s, List.of("materialized:velocity", "other mark", "never"));
  }

  /** Everything a store holds for the golden keys and these marks, as text. */
  static String describe(EmbeddedOnlineStore s, List<String> marks) {
    StringBuilder b = new StringBuilder();
    for (String view : List.of("profile", "scratch", "velocity")) {
      b.append(view).append(": ").append(s.size(view)).append(" rows\n");
      List<OnlineRow> rows = s.read(view, keys());
      List<WindowTiles> t = s.readTiles(view, keys());
      for (int k = 0; k < 5; k++) {
        b.append("  ").append(key(k)).append(" row ").append(rows.get(k)).append(" tiles ").append(t.get(k))
            .append(t.get(k) == null ? "" : " " + java.util.Arrays.toString(t.get(k).statsArray())).append('\n');
      }
    }
    for (String m : marks) {
      b.append("mark ").append(m).append(' ').append(s.readMark(m)).append('\n');
    }
    return b.toString();
  }

  static Path source(String golden) {
    URL u = OnlineFormatTest.class.getClassLoader().getResource(golden);
    assertNotNull(u, "golden directory " + golden + " is not on the test class path");
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path copy(String golden, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(source(golden))) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Files.copy(p, to.resolve(p.getFileName().toString()));
      }
    }
    return to;
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateGoldenFiles() throws IOException {
    Path target = Path.of("src/test/resources").resolve(GOLDEN_V2).toAbsolutePath();
    if (Files.exists(target)) {
      try (Stream<Path> files = Files.list(target)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.delete(p);
        }
      }
    }
    EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(target).durability(Durability.MANUAL).build();
    generate(s, true);
    s.close();
    Files.deleteIfExists(target.resolve(EmbeddedOnlineStore.LOCK)); // not part of the format
  }

  @Test
  void formatTwoGoldenFilesOpenWithWhatTheGeneratorWrote(@TempDir Path tmp) throws IOException {
    Path dir = copy(GOLDEN_V2, tmp.resolve("store"));
    assertTrue(Files.size(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)) > 100, "the golden snapshot");
    assertTrue(Files.size(dir.resolve(EmbeddedOnlineStore.WAL)) > 100, "the golden log holds the later calls");
    EmbeddedOnlineStore expected = new EmbeddedOnlineStore();
    generate(expected, false);
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    String got = describe(s);
    assertEquals(describe(expected), got);
    // spot checks of the description's meaning
    assertEquals(row(25, "v1"), s.read("profile", key(0)));
    assertEquals(null, s.read("profile", key(1)), "erased");
    assertEquals(tiles(key(1), 1, "v1"), s.readTiles("velocity", key(1)), "a delta of another version left the tiles");
    assertEquals(0, s.size("scratch"));
    assertEquals(T0 + 9, s.readMark("materialized:velocity"));
    s.checkpoint();
    s.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(got, describe(again), "the same after a checkpoint of the loaded state");
    again.close();
  }

  @Test
  void aWholeRecordCutOutOfTheGoldenLogOrSnapshotIsRefused(@TempDir Path tmp) throws IOException {
    for (String which : List.of(EmbeddedOnlineStore.WAL, EmbeddedOnlineStore.SNAPSHOT,
        "commit/" + EmbeddedOnlineStore.WAL, "commit/" + EmbeddedOnlineStore.SNAPSHOT)) {
      String name = which.substring(which.indexOf('/') + 1);
      Path dir = copy(which.startsWith("commit/") ? GOLDEN_COMMIT : GOLDEN_V2,
          tmp.resolve("store-" + which.replace('/', '-')));
      Path file = dir.resolve(name);
      byte[] good = Files.readAllBytes(file);
      List<Long> starts = PersistenceTest.recordStarts(good);
      assertTrue(starts.size() > 4, name + " has records to cut");
      int k = starts.size() / 2; // a middle record, not the first nor the last
      int from = (int) (long) starts.get(k);
      int to = (int) (long) starts.get(k + 1);
      byte[] cut = new byte[good.length - (to - from)];
      System.arraycopy(good, 0, cut, 0, from);
      System.arraycopy(good, to, cut, from, good.length - to);
      Files.write(file, cut);
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir),
          name);
      assertEquals(file, e.file(), e.getMessage());
      assertEquals(from, e.offset(), e.getMessage());
      assertTrue(e.getMessage().contains("record number " + (k + 1)), e.getMessage());
      assertArrayEquals(cut, Files.readAllBytes(file), name + ": a refused file is left as it was");
    }
  }

  @Test
  void formatOneGoldenFilesLoadAndAreConverted(@TempDir Path tmp) throws IOException {
    Path dir = copy(GOLDEN_V1, tmp.resolve("store"));
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    Map<Integer, Integer> newest = new TreeMap<>(Map.of(0, 25, 1, 26, 2, 27, 3, 23, 4, 24));
    for (Map.Entry<Integer, Integer> e : newest.entrySet()) {
      assertEquals(v1Row(e.getValue()), s.read("profile", key(e.getKey())), "key " + key(e.getKey()));
    }
    assertEquals(5, s.size("profile"));
    assertEquals(0, s.size("scratch"), "cleared in the log");
    String loaded = describe(s);
    s.close();
    assertFalse(Files.exists(dir.resolve(EmbeddedOnlineStore.LEGACY_WAL)), "converted: format 1 files removed");
    assertFalse(Files.exists(dir.resolve(EmbeddedOnlineStore.LEGACY_SNAPSHOT)));
    assertTrue(Files.exists(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)));
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(loaded, describe(again), "the converted store holds the same");
    again.close();
  }

  @Test
  void damagedFormatOneFilesAreRefusedAndLeftAlone(@TempDir Path tmp) throws IOException {
    Path dir = copy(GOLDEN_V1, tmp.resolve("store"));
    Path wal = dir.resolve(EmbeddedOnlineStore.LEGACY_WAL);
    byte[] bytes = Files.readAllBytes(wal);
    bytes[30] ^= 0x20; // inside the first record, with intact records after it
    Files.write(wal, bytes);
    StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertEquals(wal, e.file(), e.getMessage());
    assertTrue(e.getMessage().contains("refusing"), e.getMessage());
    assertArrayEquals(bytes, Files.readAllBytes(wal), "left as it was");
    assertTrue(Files.exists(dir.resolve(EmbeddedOnlineStore.LEGACY_SNAPSHOT)));
    assertFalse(Files.exists(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)), "nothing converted");

    // a torn last record (cut short by a crash) is no damage: the records before it load
    byte[] good = Files.readAllBytes(source(GOLDEN_V1).resolve(EmbeddedOnlineStore.LEGACY_WAL));
    Files.write(wal, java.util.Arrays.copyOf(good, good.length - 5));
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    assertEquals(1, s.size("scratch"), "the last record (the clear) was the torn one");
    s.close();
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateCommitGoldenFiles() throws IOException {
    Path target = Path.of("src/test/resources").resolve(GOLDEN_COMMIT).toAbsolutePath();
    if (Files.exists(target)) {
      try (Stream<Path> files = Files.list(target)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.delete(p);
        }
      }
    }
    writeCommitGolden(target);
  }

  /** Writes the commit golden directory (a persistent store, MANUAL durability, no automatic checkpoint). */
  static void writeCommitGolden(Path dir) {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).durability(Durability.MANUAL).checkpointAfterLogBytes(0)
        .build();
    assertEquals(COMMIT_RESULTS, generateCommits(s, true));
    s.close();
    try {
      Files.deleteIfExists(dir.resolve(EmbeddedOnlineStore.LOCK)); // not part of the format
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void commitGoldenFilesHoldTheCommitsAndOpenWithWhatTheGeneratorWrote(@TempDir Path tmp) throws IOException {
    Path src = source(GOLDEN_COMMIT);
    try (Stream<Path> files = Files.list(src)) {
      assertEquals(List.of(EmbeddedOnlineStore.WAL, EmbeddedOnlineStore.SNAPSHOT),
          files.map(p -> p.getFileName().toString()).sorted().toList(), "no lock file, no format 1 file");
    }
    // the snapshot: the effect of the first two commits, as rows, tile sets and marks; never a commit record
    List<OnlineCodec.Op> snap = decodeAll(Files.readAllBytes(src.resolve(EmbeddedOnlineStore.SNAPSHOT)));
    assertEquals(new OnlineCodec.Generation(1), snap.get(0));
    assertEquals(new OnlineCodec.End(5, 3, 3), snap.get(snap.size() - 1), "profile's 5 rows, velocity's 3 tile "
        + "sets, 3 marks");
    TreeMap<String, Long> snapMarks = new TreeMap<>();
    for (OnlineCodec.Op op : snap) {
      assertFalse(op instanceof OnlineCodec.Commit, "a snapshot holds no commit record");
      if (op instanceof OnlineCodec.Mark m) {
        snapMarks.put(m.name(), m.value());
      }
    }
    assertEquals(Map.of(PROFILE_POSITION, 10L, VELOCITY_POSITION, 10L, PROFILE_POSITION_2, 5L), snapMarks,
        "the positions as of the checkpoint (the fenced commit moved none)");
    // the log: its generation, then every record, value by value (as the codec writes them today)
    List<OnlineCodec.Op> log = decodeAll(Files.readAllBytes(src.resolve(EmbeddedOnlineStore.WAL)));
    assertEquals(new OnlineCodec.Generation(2), log.get(0), "the log generation after the checkpoint");
    List<OnlineCodec.Op> expectedOps = commitLogOps();
    assertEquals(expectedOps.size(), log.size() - 1, "records after the generation: three commits and a mark");
    for (int i = 0; i < expectedOps.size(); i++) {
      assertEquals(expectedOps.get(i).getClass(), log.get(i + 1).getClass(), "record " + (i + 1));
      assertEquals(encoded(expectedOps.get(i)), encoded(log.get(i + 1)), "record " + (i + 1));
    }
    OnlineCodec.Commit last = (OnlineCodec.Commit) log.get(log.size() - 1);
    assertEquals(List.of(row(21, "v1"), row(22, "v1"), olderRow()), ((OnlineCodec.Rows) last.writes().get(0)).rows());
    assertEquals(tiles(key(2), 7, "v1"), ((OnlineCodec.AddTiles) last.writes().get(1)).deltas().get(0));

    // opened: exactly the state of the same calls on a store in memory
    Path dir = copy(GOLDEN_COMMIT, tmp.resolve("store"));
    EmbeddedOnlineStore expected = new EmbeddedOnlineStore();
    assertEquals(COMMIT_RESULTS, generateCommits(expected, false));
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    String got = describe(s, COMMIT_MARKS);
    assertEquals(describe(expected, COMMIT_MARKS), got);
    // every value, written out
    int[] newest = {15, 21, 22, 18, 19}; // per key: commit 1, 2 and 4's rows, then the last commit's newer ones
    for (int k = 0; k < 5; k++) {
      assertEquals(row(newest[k], "v1"), s.read("profile", key(k)), "profile row of " + key(k));
    }
    assertEquals(5, s.size("profile"));
    assertEquals(WindowTiles.merge(tiles(key(0), 0, "v1"), tiles(key(0), 4, "v1"), LAST_MINUTES),
        s.readTiles("velocity", key(0)), "merged under the retention of its commit");
    assertEquals(tiles(key(1), 1, "v1"), s.readTiles("velocity", key(1)), "a delta of another version left it");
    assertEquals(tiles(key(2), 7, "v1"), s.readTiles("velocity", key(2)));
    assertEquals(tiles(key(3), 3, "v1"), s.readTiles("velocity", key(3)));
    assertEquals(tiles(key(4), 5, "v1").retain(LAST_MINUTES), s.readTiles("velocity", key(4)));
    assertEquals(23, s.readMark(PROFILE_POSITION));
    assertEquals(21, s.readMark(VELOCITY_POSITION));
    assertEquals(7, s.readMark(PROFILE_POSITION_2));
    assertEquals(T0 + 5, s.readMark("materialized:velocity"));
    assertEquals(Long.MIN_VALUE, s.readMark("never"));

    // the positions are what a stream consumer resumes from
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(OfflineFormatTest.USER);
    registry.apply(OfflineFormatTest.profile());
    FeatureStore store = FeatureStore.builder(registry).onlineStore(s).build();
    assertEquals(23, store.streamPosition("profile", "txns/0"));
    assertEquals(7, store.streamPosition("profile", "t\u00fcr/1"));
    assertEquals(Long.MIN_VALUE, store.streamPosition("profile", "txns/1"));
    // a commit of positions already applied (a writer that read them before the last commit) is refused and
    // changes nothing; one from the stored positions applies
    assertFalse(s.commit(OnlineCommit.builder().rows("profile", List.of(row(21, "v1"), row(22, "v1")))
        .mark(PROFILE_POSITION, 20, 23).build()));
    assertEquals(got, describe(s, COMMIT_MARKS), "a refused commit wrote nothing");
    assertTrue(s.commit(OnlineCommit.builder().rows("profile", List.of(row(23, "v1")))
        .mark(PROFILE_POSITION, 23, 24).build()));
    assertEquals(row(23, "v1"), s.read("profile", key(3)));
    store.close(); // closes s: its log holds the new commit
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(24, again.readMark(PROFILE_POSITION));
    assertEquals(row(23, "v1"), again.read("profile", key(3)));
    String after = describe(again, COMMIT_MARKS);
    again.checkpoint();
    again.close();
    EmbeddedOnlineStore checkpointed = EmbeddedOnlineStore.open(dir);
    assertEquals(after, describe(checkpointed, COMMIT_MARKS), "the same after a checkpoint of the loaded state");
    checkpointed.close();
  }

  /** A commit is one record: a crash that tears it keeps none of it, and the writer's retry applies. */
  @Test
  void aTornCommitRecordIsLostWhole(@TempDir Path tmp) throws IOException {
    Path dir = copy(GOLDEN_COMMIT, tmp.resolve("store"));
    Path wal = dir.resolve(EmbeddedOnlineStore.WAL);
    byte[] good = Files.readAllBytes(wal);
    List<Long> starts = PersistenceTest.recordStarts(good);
    long last = starts.get(starts.size() - 1);
    for (long keep : new long[] {last + 12 + 40, last + 5, good.length - 1}) {
      Files.write(wal, java.util.Arrays.copyOf(good, (int) keep)); // cut inside the last commit record
      EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
      try {
        assertEquals(last, Files.size(wal), "the torn record is cut off");
        assertEquals(row(16, "v1"), s.read("profile", key(1)), "none of the torn commit's rows");
        assertEquals(row(17, "v1"), s.read("profile", key(2)));
        assertEquals(null, s.readTiles("velocity", key(2)), "none of its tiles");
        assertEquals(20, s.readMark(PROFILE_POSITION), "none of its positions");
        assertEquals(20, s.readMark(VELOCITY_POSITION));
        assertEquals(7, s.readMark(PROFILE_POSITION_2), "the commit before it is kept");
        assertEquals(T0 + 5, s.readMark("materialized:velocity"));
      } finally {
        s.close();
      }
    }
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    List<Boolean> retried = new ArrayList<>();
    OnlineCommit c = OnlineCommit.builder().rows("profile", List.of(row(21, "v1"), row(22, "v1"), olderRow()))
        .addTiles("velocity", List.of(tiles(key(2), 7, "v1"), tiles(key(1), 8, "v2")), WindowTiles.Retention.ALL)
        .mark(PROFILE_POSITION, 20, 23).mark(VELOCITY_POSITION, 20, 21).build();
    retried.add(s.commit(c));
    retried.add(s.commit(c));
    assertEquals(List.of(true, false), retried, "the retry from the recovered positions applies, once");
    EmbeddedOnlineStore expected = new EmbeddedOnlineStore();
    generateCommits(expected, false);
    assertEquals(describe(expected, COMMIT_MARKS), describe(s, COMMIT_MARKS));
    s.close();
  }

  @Test
  void theCurrentWriterStillProducesTheCommitGoldenFiles(@TempDir Path tmp) throws IOException {
    Path fresh = tmp.resolve("fresh");
    writeCommitGolden(fresh);
    Path golden = source(GOLDEN_COMMIT);
    assertArrayEquals(Files.readAllBytes(golden.resolve(EmbeddedOnlineStore.WAL)),
        Files.readAllBytes(fresh.resolve(EmbeddedOnlineStore.WAL)), "the log differs from the golden file: the "
            + "writer changed format 2 (bump the version and add a new golden directory instead)");
    // a snapshot lists keys in the order of the store's hash maps, which is no part of the format: the same
    // records, in any order
    assertEquals(sortedRecords(golden.resolve(EmbeddedOnlineStore.SNAPSHOT)),
        sortedRecords(fresh.resolve(EmbeddedOnlineStore.SNAPSHOT)), "the snapshot holds other records");
  }

  /** A file's records (their numbers zeroed), sorted. */
  static List<String> sortedRecords(Path file) throws IOException {
    List<String> out = new ArrayList<>();
    for (byte[] p : payloads(Files.readAllBytes(file))) {
      out.add(java.util.Base64.getEncoder().encodeToString(OnlineCodec.number(p, 0)));
    }
    out.sort(null);
    return out;
  }
}
