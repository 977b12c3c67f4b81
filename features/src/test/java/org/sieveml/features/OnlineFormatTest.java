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
 * </ul>
 *
 * <p>Regenerate the format 2 directory (only when the format version changes on purpose, into a new
 * {@code online-vN} directory; {@code .gitignore} ignores {@code *.log}, so add it with
 * {@code git add -f}):
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q -B test -pl features -Dtest=OnlineFormatTest \
 *     -Dsieveml.golden.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class OnlineFormatTest {

  static final String GOLDEN_V1 = "golden/online-v1";
  static final String GOLDEN_V2 = "golden/online-v2";
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

  /** Everything a store holds for the golden keys, as text. */
  static String describe(EmbeddedOnlineStore s) {
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
    for (String m : List.of("materialized:velocity", "other mark", "never")) {
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
    for (String name : List.of(EmbeddedOnlineStore.WAL, EmbeddedOnlineStore.SNAPSHOT)) {
      Path dir = copy(GOLDEN_V2, tmp.resolve("store-" + name));
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
}
