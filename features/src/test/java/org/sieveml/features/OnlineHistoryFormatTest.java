package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sieveml.features.OnlineFormatTest.HOUR;
import static org.sieveml.features.OnlineFormatTest.MIN;
import static org.sieveml.features.OnlineFormatTest.T0;
import static org.sieveml.features.OnlineFormatTest.key;
import static org.sieveml.features.OnlineFormatTest.keys;
import static org.sieveml.features.OnlineFormatTest.row;
import static org.sieveml.features.OnlineFormatTest.tiles;
import static org.sieveml.features.OnlineFormatTest.values;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.features.internal.OnlineCodec;

/**
 * Format 3 of the embedded online store: the history records ({@code 'S'} stamps, {@code 'H'} history
 * start) that as-of reads are rebuilt from after a restart. The committed golden directory
 * {@code golden/online-v3-history/} ({@code online.snap}, {@code online-wal.log}, both format 3) is
 * written by {@link #generate}: a history started at {@link #START}, rows (two per key, one superseded
 * write), tile adds with and without a retention, a put removing a key's tiles and one replacing them,
 * in the snapshot; more rows, a tile add and an erasure in the log, each write one minute after the
 * one before. Files without history records stay format 2 (readable by earlier releases).
 *
 * <p>Regenerate (only when format 3 changes on purpose; {@code .gitignore} ignores {@code *.log}, so
 * add it with {@code git add -f}):
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q -B test -pl features -Dtest=OnlineHistoryFormatTest#regenerateGoldenFiles \
 *     -Dsieveml.golden.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class OnlineHistoryFormatTest {

  static final String GOLDEN_V3 = "golden/online-v3-history";
  static final long START = T0 + 200 * MIN;
  static final Duration HORIZON = Duration.ofHours(48);

  /** The golden calls: one write per minute from {@link #START} on; returns the clock after the last one. */
  static long generate(EmbeddedOnlineStore s, boolean persistent) {
    AtomicLong clock = new AtomicLong(START);
    s.keepHistory(HORIZON, clock::get);
    for (int i = 0; i < 10; i++) {
      clock.addAndGet(MIN);
      s.write("profile", List.of(row(i, "v1")));
    }
    clock.addAndGet(MIN);
    s.write("profile", List.of(new OnlineRow(key(0), values(0), T0 - 1, T0, T0, "v1"))); // superseded: no history
    clock.addAndGet(MIN);
    s.addTiles("velocity", List.of(tiles(key(0), 0, "v1"), tiles(key(1), 1, "v1")), WindowTiles.Retention.ALL);
    clock.addAndGet(MIN);
    s.addTiles("velocity", List.of(tiles(key(0), 4, "v1")),
        WindowTiles.Retention.of(new long[] {MIN}, new long[] {T0 + 2 * MIN}));
    clock.addAndGet(MIN);
    s.putTiles("velocity", List.of(WindowTiles.of(key(1), "v1", 2, new long[0], new long[0], new long[0],
        new double[0]))); // removes key 1's tiles: a null state in its history
    clock.addAndGet(MIN);
    s.putTiles("velocity", List.of(tiles(key(1), 7, "v1")));
    if (persistent) {
      s.checkpoint();
    }
    for (int i = 10; i < 15; i++) {
      clock.addAndGet(MIN);
      s.write("profile", List.of(row(i, "v1")));
    }
    clock.addAndGet(MIN);
    s.addTiles("velocity", List.of(tiles(key(1), 8, "v1")), WindowTiles.Retention.ALL);
    clock.addAndGet(MIN);
    s.erase("profile", key(2));
    return clock.get();
  }

  /** Every as-of read of the golden keys, minute by minute from the history's start to {@code end}. */
  static String describeHistory(EmbeddedOnlineStore s, long end) {
    StringBuilder b = new StringBuilder();
    List<EntityKey> keys = keys();
    for (long t = START; t <= end; t += MIN / 2) {
      b.append("at ").append(t - START).append('\n');
      List<OnlineRow> rows = s.readAsOf("profile", keys, t);
      List<WindowTiles> tiles = s.readTilesAsOf("velocity", keys, t);
      for (int k = 0; k < keys.size(); k++) {
        b.append("  ").append(keys.get(k)).append(" row ").append(rows.get(k)).append(" tiles ").append(tiles.get(k))
            .append('\n');
      }
    }
    return b.toString();
  }

  /** The expected history: the calls on an in-memory store. */
  static String expected(long[] end) {
    EmbeddedOnlineStore mem = new EmbeddedOnlineStore();
    end[0] = generate(mem, false);
    return describeHistory(mem, end[0]);
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateGoldenFiles() throws IOException {
    Path target = Path.of("src/test/resources").resolve(GOLDEN_V3).toAbsolutePath();
    if (Files.exists(target)) {
      try (Stream<Path> files = Files.list(target)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Files.delete(p);
        }
      }
    }
    write(target);
  }

  static void write(Path dir) throws IOException {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).durability(Durability.MANUAL).checkpointAfterLogBytes(0)
        .build();
    generate(s, true);
    s.close();
    Files.deleteIfExists(dir.resolve(EmbeddedOnlineStore.LOCK)); // not part of the format
  }

  static int version(Path file) throws IOException {
    return ByteBuffer.wrap(Files.readAllBytes(file), 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
  }

  @Test
  void historyGoldenFilesOpenWithTheHistoryTheGeneratorWrote(@TempDir Path tmp) throws IOException {
    Path dir = OnlineFormatTest.copy(GOLDEN_V3, tmp.resolve("store"));
    assertEquals(3, version(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)));
    assertEquals(3, version(dir.resolve(EmbeddedOnlineStore.WAL)));
    List<OnlineCodec.Op> log = OnlineFormatTest.decodeAll(Files.readAllBytes(dir.resolve(EmbeddedOnlineStore.WAL)));
    assertTrue(log.stream().filter(op -> op instanceof OnlineCodec.Stamp).count() == 7, "a stamp per logged write");
    List<OnlineCodec.Op> snap = OnlineFormatTest.decodeAll(Files.readAllBytes(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)));
    assertEquals(new OnlineCodec.HistoryStart(START), snap.get(1), "the snapshot says where the history starts");
    long[] end = new long[1];
    String want = expected(end);
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    s.keepHistory(HORIZON, () -> end[0]);
    String got = describeHistory(s, end[0]);
    assertEquals(want, got);
    // spot checks of the description's meaning
    assertEquals(row(3, "v1"), s.readAsOf("profile", List.of(key(3)), START + 4 * MIN).get(0));
    assertEquals(row(8, "v1"), s.readAsOf("profile", List.of(key(3)), START + 9 * MIN).get(0));
    assertEquals(null, s.readAsOf("profile", List.of(key(2)), START + 3 * MIN).get(0), "erased, its past too");
    assertEquals(null, s.readTilesAsOf("velocity", List.of(key(1)), START + 14 * MIN).get(0), "tiles removed then");
    s.checkpoint();
    s.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    again.keepHistory(HORIZON, () -> end[0]);
    assertEquals(got, describeHistory(again, end[0]), "the same after a checkpoint of the loaded history");
    again.close();
  }

  @Test
  void theCurrentWriterStillProducesTheHistoryGoldenFiles(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("fresh");
    write(dir);
    for (String f : List.of(EmbeddedOnlineStore.SNAPSHOT, EmbeddedOnlineStore.WAL)) {
      assertArrayEquals(Files.readAllBytes(OnlineFormatTest.source(GOLDEN_V3).resolve(f)),
          Files.readAllBytes(dir.resolve(f)), f);
    }
  }

  @Test
  void historyRecordsInAFormatTwoFileAreRefused(@TempDir Path tmp) throws IOException {
    for (String f : List.of(EmbeddedOnlineStore.SNAPSHOT, EmbeddedOnlineStore.WAL)) {
      Path dir = OnlineFormatTest.copy(GOLDEN_V3, tmp.resolve("as-v2-" + f));
      byte[] bytes = Files.readAllBytes(dir.resolve(f));
      byte[] magic = f.equals(EmbeddedOnlineStore.WAL) ? OnlineCodec.WAL_MAGIC : OnlineCodec.SNAP_MAGIC;
      System.arraycopy(OnlineCodec.header(magic, 2), 0, bytes, 0, 16);
      Files.write(dir.resolve(f), bytes);
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
      assertTrue(e.getMessage().contains("history records") && e.getMessage().contains(f), e.getMessage());
      assertArrayEquals(bytes, Files.readAllBytes(dir.resolve(f)), "a refused file is left as it was");
    }
  }

  @Test
  void filesStayFormatTwoWithoutHistoryAndBecomeFormatThreeWithIt(@TempDir Path tmp) throws IOException {
    Path dir = OnlineFormatTest.copy(OnlineFormatTest.GOLDEN_V2, tmp.resolve("store"));
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    s.write("profile", List.of(row(40, "v1")));
    s.checkpoint();
    assertEquals(2, version(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)));
    assertEquals(2, version(dir.resolve(EmbeddedOnlineStore.WAL)));
    AtomicLong clock = new AtomicLong(START);
    s.keepHistory(HORIZON, clock::get); // starts the history: a checkpoint, then a format 3 log
    assertEquals(3, version(dir.resolve(EmbeddedOnlineStore.SNAPSHOT)));
    assertEquals(3, version(dir.resolve(EmbeddedOnlineStore.WAL)));
    OnlineRow before = s.read("profile", key(0));
    clock.addAndGet(MIN);
    s.write("profile", List.of(row(45, "v1"))); // key 0 again, newer
    clock.addAndGet(MIN);
    s.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    again.keepHistory(HORIZON, clock::get);
    assertEquals(before, again.readAsOf("profile", List.of(key(0)), START).get(0));
    assertEquals(row(45, "v1"), again.readAsOf("profile", List.of(key(0)), START + MIN).get(0));
    again.close();
    // opened without history and written: the history it had no longer holds, and is dropped
    EmbeddedOnlineStore plain = EmbeddedOnlineStore.open(dir);
    plain.write("profile", List.of(row(50, "v1")));
    plain.close();
    clock.addAndGet(HOUR);
    EmbeddedOnlineStore later = EmbeddedOnlineStore.open(dir);
    later.keepHistory(HORIZON, clock::get);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> later.readAsOf("profile", List.of(key(0)), START + MIN));
    assertTrue(e.getMessage().contains("oldest time available is " + clock.get()), e.getMessage());
    later.close();
  }
}
