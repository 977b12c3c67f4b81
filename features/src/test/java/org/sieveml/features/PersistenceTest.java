package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

class PersistenceTest {

  static final FeatureSchema SCHEMA = FeatureSchema.of(FeatureSpec.of("d", FeatureType.DOUBLE),
      FeatureSpec.of("l", FeatureType.LONG), FeatureSpec.of("b", FeatureType.BOOLEAN),
      FeatureSpec.of("s", FeatureType.STRING), FeatureSpec.embedding("e", 3));

  @TempDir
  Path dir;

  static OnlineRow row(long id, long t) {
    FeatureVector.Builder b = FeatureVector.builder(SCHEMA).setDouble("d", id * 0.5).setLong("l", t)
        .setBoolean("b", id % 2 == 0).setEmbedding("e", new float[] {id, t, -1});
    if (id % 3 != 0) {
      b.setString("s", "naïve \"" + id + "\"\n");
    }
    return new OnlineRow(EntityKey.of("user_id", id), b.build(), t, t + 1, t + 1, "v1");
  }

  @Test
  void roundTripThroughLogAndSnapshot() {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    List<OnlineRow> rows = new ArrayList<>();
    for (long i = 0; i < 200; i++) {
      rows.add(row(i, 1_000 + i));
    }
    s.write("v", rows);
    s.write("v", List.of(row(5, 10))); // older: refused, not logged as applied
    OnlineRow composite = new OnlineRow(EntityKey.builder().put("user_id", 1L).put("item_id", "x").build(),
        row(1, 5).values(), 5, 6, 6, "v1");
    s.write("pair", List.of(composite));
    s.write("gone", List.of(row(1, 1)));
    s.clear("gone");
    s.close();
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    for (long i = 0; i < 200; i++) {
      assertEquals(rows.get((int) i), r.read("v", EntityKey.of("user_id", i)));
    }
    assertEquals(composite, r.read("pair", composite.key()));
    assertEquals(0, r.size("gone"), "a cleared view stays cleared");
    r.checkpoint();
    r.write("v", List.of(row(7, 99_999)));
    r.close();
    EmbeddedOnlineStore c = EmbeddedOnlineStore.open(dir);
    assertEquals(row(7, 99_999), c.read("v", EntityKey.of("user_id", 7L)), "snapshot + log");
    assertEquals(rows.get(8), c.read("v", EntityKey.of("user_id", 8L)));
    c.close();
  }

  /** Offsets of the records of a record log (header 16 bytes; record: marker, length, crc, payload; LE). */
  static List<Long> recordStarts(byte[] log) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(log).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    List<Long> out = new ArrayList<>();
    for (int p = 16; p + 12 <= log.length; p += 12 + b.getInt(p + 4)) {
      out.add((long) p);
    }
    return out;
  }

  @Test
  void tornTailIsCutAndDamageBeforeIntactRecordsIsRefused() throws Exception {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    for (long i = 0; i < 10; i++) {
      s.write("v", List.of(row(i, 100 + i)));
    }
    s.close();
    Path wal = dir.resolve(EmbeddedOnlineStore.WAL);
    long goodSize = Files.size(wal);
    Files.write(wal, new byte[] {0x4C, 0x52, 0x56, 0x53, 40, 0, 0}, StandardOpenOption.APPEND); // a torn record
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(10, r.size("v"));
    assertEquals(goodSize, Files.size(wal), "the torn tail was cut off");
    r.write("v", List.of(row(50, 1)));
    r.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(11, again.size("v"), "writes after recovery continue the log cleanly");
    again.close();

    // flip one byte inside the 4th row's record: intact records follow, so the log is refused, untouched
    byte[] bytes = Files.readAllBytes(wal);
    long at = recordStarts(bytes).get(4); // record 0 is the log's generation
    bytes[(int) at + 12 + 20] ^= 0x5A;
    Files.write(wal, bytes);
    StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertEquals(wal, e.file());
    assertEquals(at, e.offset(), e.getMessage());
    assertTrue(e.getMessage().contains("intact record follows"), e.getMessage());
    assertTrue(java.util.Arrays.equals(bytes, Files.readAllBytes(wal)), "a refused log is left as it was");
    assertTrue(!Files.exists(dir.resolve("online.snap")), "nothing was written in its place");
  }

  @Test
  void aWholeRecordCutOutOfTheMiddleOfTheLogIsRefusedAndATornTailStillCut() throws Exception {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    for (long i = 0; i < 6; i++) {
      s.write("v", List.of(row(i, 100 + i)));
    }
    s.close();
    Path wal = dir.resolve(EmbeddedOnlineStore.WAL);
    byte[] good = Files.readAllBytes(wal);
    List<Long> starts = recordStarts(good); // record 0 is the log's generation, record k the k-th write
    assertEquals(7, starts.size());
    // delete record 3 exactly: every record left is intact, only the chain of numbers shows the gap
    int from = (int) (long) starts.get(3);
    int to = (int) (long) starts.get(4);
    byte[] cut = new byte[good.length - (to - from)];
    System.arraycopy(good, 0, cut, 0, from);
    System.arraycopy(good, to, cut, from, good.length - to);
    Files.write(wal, cut);
    StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertEquals(wal, e.file());
    assertEquals(from, e.offset(), "the offset of the first record after the gap: " + e.getMessage());
    assertTrue(e.getMessage().startsWith(wal.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("record number 4 follows record 2") && e.getMessage().contains("missing"),
        e.getMessage());
    assertTrue(java.util.Arrays.equals(cut, Files.readAllBytes(wal)), "a refused log is left as it was");

    // the same gap with a torn tail after it: still refused (intact records follow the gap), untouched
    byte[] cutAndTorn = java.util.Arrays.copyOf(cut, cut.length - 5);
    Files.write(wal, cutAndTorn);
    e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertEquals(from, e.offset(), e.getMessage());
    assertTrue(java.util.Arrays.equals(cutAndTorn, Files.readAllBytes(wal)), "a refused log is left as it was");

    // a torn last record alone is a crash's unacknowledged write: cut, the records before it load
    long lastStart = starts.get(6);
    Files.write(wal, java.util.Arrays.copyOf(good, good.length - 5));
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(5, r.size("v"));
    assertEquals(null, r.read("v", EntityKey.of("user_id", 5L)));
    r.write("v", List.of(row(9, 1)));
    r.close();
    assertEquals(lastStart, recordStarts(Files.readAllBytes(wal)).get(6), "the torn tail was cut, the log goes on");
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(6, again.size("v"), "the record appended after the cut continues the chain");
    again.close();
  }

  @Test
  void damagedOrForeignSnapshotsAreRefused() throws Exception {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    s.write("v", List.of(row(1, 1), row(2, 2)));
    s.checkpoint();
    s.close();
    Path snap = dir.resolve(EmbeddedOnlineStore.SNAPSHOT);
    byte[] bytes = Files.readAllBytes(snap);
    byte[] flipped = bytes.clone();
    flipped[60] ^= 0x11;
    Files.write(snap, flipped);
    StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertTrue(e.getMessage().startsWith(snap.toString()) && e.getMessage().contains("checksum"), e.getMessage());
    Files.write(snap, "PK\u0003\u0004 not ours at all".getBytes(StandardCharsets.ISO_8859_1));
    e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertTrue(e.getMessage().contains("not a SieveML"), e.getMessage());
    Files.write(snap, java.util.Arrays.copyOf(bytes, bytes.length - 10));
    e = assertThrows(StorageCorruptedException.class, () -> EmbeddedOnlineStore.open(dir));
    assertTrue(e.getMessage().contains("cut short") || e.getMessage().contains("left"), e.getMessage());
    assertEquals(bytes.length - 10, Files.size(snap), "a refused snapshot is left as it was");
    Files.write(snap, bytes);
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    assertEquals(row(2, 2), r.read("v", EntityKey.of("user_id", 2L)), "the intact snapshot loads again");
    r.close();
  }

  @Test
  void killedMidWriteRecoversEverythingAcknowledged() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Writer.class.getName(),
        dir.toString()).redirectErrorStream(true).start();
    long acknowledged = -1;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      int syncs = 0;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("SYNCED ")) {
          acknowledged = Long.parseLong(line.substring(7));
          if (++syncs == 5) {
            break;
          }
        }
      }
      p.destroyForcibly(); // SIGKILL while it keeps writing
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }
    assertTrue(acknowledged > 0, "the child acknowledged writes");
    EmbeddedOnlineStore r = EmbeddedOnlineStore.open(dir);
    for (long k = 0; k < 1000; k++) {
      // the last write of key k acknowledged by a sync before the kill
      long lastAcked = acknowledged - Math.floorMod(acknowledged - k, 1000);
      OnlineRow got = r.read("v", EntityKey.of("user_id", k));
      if (lastAcked < 0) {
        continue;
      }
      assertTrue(got != null && got.eventTime() >= lastAcked,
          "key " + k + ": write " + lastAcked + " was acknowledged before the kill, recovered " + got);
      assertEquals(row(k, got.eventTime()), got, "recovered values are exactly a row the child wrote");
    }
    r.close();
  }

  /** The child process: writes rows forever, syncing every 500 and printing what is acknowledged. */
  public static final class Writer {
    /**
     * Runs the writer.
     *
     * @param args the store directory
     */
    public static void main(String[] args) {
      EmbeddedOnlineStore s = EmbeddedOnlineStore.open(Path.of(args[0]));
      for (long i = 0; ; i++) {
        s.write("v", List.of(row(i % 1000, i)));
        if (i % 500 == 499) {
          s.sync();
          System.out.println("SYNCED " + i);
          System.out.flush();
        }
      }
    }
  }
}
