package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;

/**
 * Salvage mode (issue 15): a log damaged in the middle is refused by default, naming file and offset;
 * opened with {@code salvage(true)} every intact record is kept, each skipped range is reported, the
 * damaged file is preserved byte for byte, and the next default open succeeds with the same state.
 */
class SalvageTest {

  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("x").build();
  static final int ROWS = 1_000;

  private static OnlineRow row(long id) {
    return new OnlineRow(EntityKey.of("user_id", id), FeatureVector.builder(SCHEMA).setDouble("x", id * 0.5).build(),
        1_000 + id, 1_000 + id, 1_000 + id, "v1");
  }

  /** One record per row, forced: 1,000 rows in the online log. */
  private static void writeOnline(Path dir) {
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).durability(Durability.MANUAL)
        .checkpointAfterLogBytes(0).build()) {
      for (long i = 0; i < ROWS; i++) {
        s.write("v", List.of(row(i)));
      }
      s.sync();
    }
  }

  /** Which rows a store serves. */
  private static List<Long> present(EmbeddedOnlineStore s) {
    List<EntityKey> keys = new ArrayList<>();
    for (long i = 0; i < ROWS; i++) {
      keys.add(EntityKey.of("user_id", i));
    }
    List<Long> out = new ArrayList<>();
    List<OnlineRow> got = s.read("v", keys);
    for (int i = 0; i < ROWS; i++) {
      if (got.get(i) != null) {
        assertEquals(i * 0.5, got.get(i).values().getDouble("x"), "row " + i);
        out.add((long) i);
      }
    }
    return out;
  }

  /** The start offset of each record of a format 2 log or snapshot. */
  private static List<Integer> starts(byte[] f) {
    List<Integer> s = new ArrayList<>();
    ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
    for (int p = 16; p < f.length; p += 12 + b.getInt(p + 4)) {
      s.add(p);
    }
    return s;
  }

  @Test
  void onlineFlippedByteInTheMiddleIsRefusedThenSalvagedKeepingEveryIntactRecord(@TempDir Path dir)
      throws IOException {
    writeOnline(dir);
    Path wal = dir.resolve(EmbeddedOnlineStore.WAL);
    byte[] bytes = Files.readAllBytes(wal);
    int at = bytes.length / 50; // 2 % into the log, as the probe did
    bytes[at] ^= 0x10;
    Files.write(wal, bytes);

    StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertEquals(wal, e.file());
    assertTrue(e.offset() > 0 && e.offset() <= at, e.getMessage());
    assertArrayEquals(bytes, Files.readAllBytes(wal), "a refused log is left as it was");

    List<Long> kept;
    SalvageReport report;
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).salvage(true).build()) {
      kept = present(s);
      report = s.salvageReport();
    }
    assertEquals(ROWS - 1, kept.size(), "only the damaged record's row is lost: " + report);
    // the damaged range, then the gap it left in the record numbers (how many records it held)
    assertEquals(2, report.skipped().size(), report.toString());
    assertTrue(report.skipped().get(1).reason().contains("is missing"), report.toString());
    SalvageReport.Skipped sk = report.skipped().get(0);
    assertEquals(wal, sk.file());
    assertTrue(sk.offset() <= at && at < sk.offset() + sk.length(), sk.toString());
    assertEquals(1, report.preserved().size());
    assertArrayEquals(bytes, Files.readAllBytes(report.preserved().get(0)), "the damaged log is kept byte for byte");

    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir)) { // the default mode opens it now
      assertEquals(kept, present(s));
      assertTrue(s.salvageReport().clean());
      s.write("v", List.of(row(5_000)));
      s.sync();
    }
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir)) {
      assertEquals(kept, present(s));
      assertEquals(1, s.read("v", List.of(EntityKey.of("user_id", 5_000L))).stream().filter(r -> r != null).count());
    }
  }

  @Test
  void onlineRecordCutCleanlyOutOfTheMiddleIsReportedAsAGap(@TempDir Path dir) throws IOException {
    writeOnline(dir);
    Path wal = dir.resolve(EmbeddedOnlineStore.WAL);
    byte[] bytes = Files.readAllBytes(wal);
    List<Integer> st = starts(bytes);
    int k = st.size() / 2;
    byte[] cut = new byte[bytes.length - (st.get(k + 1) - st.get(k))];
    System.arraycopy(bytes, 0, cut, 0, st.get(k));
    System.arraycopy(bytes, st.get(k + 1), cut, st.get(k), bytes.length - st.get(k + 1));
    Files.write(wal, cut);

    assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).salvage(true).build()) {
      assertEquals(ROWS - 1, present(s).size());
      assertTrue(present(s).indexOf((long) k - 1) < 0, "the row of the cut record (record 0 names the generation)");
      SalvageReport r = s.salvageReport();
      assertEquals(1, r.skipped().size(), r.toString());
      assertTrue(r.skipped().get(0).reason().contains("missing"), r.toString());
    }
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir)) {
      assertEquals(ROWS - 1, present(s).size());
    }
  }

  @Test
  void onlineDamagedHeaderIsRefusedThenSalvaged(@TempDir Path dir) throws IOException {
    writeOnline(dir);
    Path wal = dir.resolve(EmbeddedOnlineStore.WAL);
    byte[] bytes = Files.readAllBytes(wal);
    bytes[2] = 'X'; // the magic
    Files.write(wal, bytes);
    StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertTrue(e.getMessage().contains("refusing to reset"), e.getMessage());
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).salvage(true).build()) {
      assertEquals(ROWS, present(s).size(), "every record after a damaged header is intact");
      assertEquals(0, s.salvageReport().skipped().get(0).offset());
    }
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir)) {
      assertEquals(ROWS, present(s).size());
    }
  }

  @Test
  void onlineIntactLogInSalvageModeChangesNothing(@TempDir Path dir) throws IOException {
    writeOnline(dir);
    byte[] before = Files.readAllBytes(dir.resolve(EmbeddedOnlineStore.WAL));
    try (EmbeddedOnlineStore s = EmbeddedOnlineStore.builder(dir).salvage(true).build()) {
      assertEquals(ROWS, present(s).size());
      assertTrue(s.salvageReport().clean());
      assertTrue(s.salvageReport().preserved().isEmpty());
    }
    assertArrayEquals(before, Files.readAllBytes(dir.resolve(EmbeddedOnlineStore.WAL)));
    try (var files = Files.list(dir)) {
      assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".damaged-")));
    }
  }

  // ------------------------------------------------------------------ offline

  /**
   * 200 streamed single-row pushes, one forced write-ahead log record each, and a copy of the directory
   * taken while the store is open (what a crash leaves: close would seal the log into a segment) into
   * {@code dir}.
   */
  private static TreeMap<Long, String> writeOffline(Path dir) throws IOException {
    Path live = dir.resolveSibling(dir.getFileName() + "-live");
    try (OfflineStoreFaultsTest.World w = new OfflineStoreFaultsTest.World(live, new AtomicLong(
        OfflineStoreFaultsTest.T0 + 100 * OfflineStoreFaultsTest.DAY), b -> { })) {
      for (int i = 0; i < 200; i++) {
        w.store.push("profile", OfflineFormatTest.batch(i, i + 1));
      }
      try (var files = Files.walk(live)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Path to = dir.resolve(live.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(to);
          } else if (!p.getFileName().toString().equals("LOCK")) {
            Files.copy(p, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      return w.rows();
    } finally {
      OfflineFormatFuzzTest.deleteTree(live);
    }
  }

  private static OfflineStoreFaultsTest.World world(Path dir, boolean salvage) {
    return new OfflineStoreFaultsTest.World(dir, new AtomicLong(OfflineStoreFaultsTest.T0 + 100
        * OfflineStoreFaultsTest.DAY), b -> b.salvage(salvage));
  }

  @Test
  void offlineDamagedRecordIsRefusedThenSalvagedAndSealed(@TempDir Path dir) throws IOException {
    TreeMap<Long, String> all = writeOffline(dir);
    assertEquals(200, all.size());
    Path wal = dir.resolve("views").resolve("profile").resolve("wal.log");
    byte[] bytes = Files.readAllBytes(wal);
    List<Integer> st = starts(bytes);
    int k = 57;
    bytes[st.get(k) + 40] ^= 0x01; // inside record 57's payload
    Files.write(wal, bytes);

    try (OfflineStoreFaultsTest.World w = world(dir, false)) {
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class, w::rows);
      assertEquals(wal, e.file());
      assertEquals(st.get(k).longValue(), e.offset(), e.getMessage());
    }
    assertArrayEquals(bytes, Files.readAllBytes(wal), "a refused log is left as it was");

    TreeMap<Long, String> salvaged;
    try (OfflineStoreFaultsTest.World w = world(dir, true)) {
      salvaged = w.rows();
      SalvageReport r = w.offline.salvageReport();
      assertEquals(2, r.skipped().size(), r.toString()); // the damaged record, then the gap in sequences
      assertTrue(r.skipped().get(1).reason().contains("missing"), r.toString());
      assertEquals(st.get(k).longValue(), r.skipped().get(0).offset());
      assertEquals(wal, r.skipped().get(0).file());
      assertArrayEquals(bytes, Files.readAllBytes(r.preserved().get(0)));
    }
    TreeMap<Long, String> expected = new TreeMap<>(all);
    Long lost = new ArrayList<>(all.keySet()).get(k);
    expected.remove(lost);
    assertEquals(expected, salvaged, "every row but the damaged record's");

    try (OfflineStoreFaultsTest.World w = world(dir, false)) { // sealed: the default mode opens it
      assertEquals(expected, w.rows());
      assertTrue(w.offline.salvageReport().clean());
      w.store.push("profile", OfflineFormatTest.batch(200, 201));
      TreeMap<Long, String> after = w.rows();
      assertEquals(201 - 1, after.size());
      assertTrue(after.lastKey() > all.lastKey(), "sequences keep growing after a salvage");
    }
  }

  @Test
  void offlineKeyLogDamageIsStillRefusedInSalvageMode(@TempDir Path dir) throws IOException {
    writeOffline(dir);
    Path keys = dir.resolve("entities").resolve("user.keys");
    byte[] bytes = Files.readAllBytes(keys);
    List<Integer> st = starts(bytes);
    assertTrue(st.size() > 3, "the key log has records");
    bytes[st.get(1) + 14] ^= 0x01;
    Files.write(keys, bytes);
    try (OfflineStoreFaultsTest.World w = world(dir, true)) {
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class, w::rows);
      assertEquals(keys, e.file());
    }
    assertArrayEquals(bytes, Files.readAllBytes(keys));
  }
}
