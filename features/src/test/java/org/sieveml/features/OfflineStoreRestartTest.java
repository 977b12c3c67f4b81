package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;

/** The durable offline store across restarts, and a history larger than the heap. */
class OfflineStoreRestartTest {

  /** Ingest (segments and write-ahead log), close, reopen: the join gives identical rows. */
  @Test
  void restartGivesIdenticalTrainingData(@TempDir Path dir) {
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(FeatureStoreTest.USER);
    reg.apply(FeatureStoreTest.profile(java.time.Duration.ofDays(3)));
    FeatureService svc = FeatureService.builder("svc").features("profile").build();
    reg.apply(svc);
    long day = FeatureStoreTest.DAY;
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(50 * day);
    FeatureStore store = FeatureStore.builder(reg).clock(now::get).offlineStore(EmbeddedOfflineStore.open(dir)).build();
    java.util.Random rnd = new java.util.Random(5);
    EventBatch.Builder big = EventBatch.builder(reg.view("profile").schema());
    for (int i = 0; i < 5_000; i++) { // a segment
      String u = "u" + rnd.nextInt(300);
      long t = (rnd.nextInt(40) + 1) * day + rnd.nextInt(1000);
      big.add(EntityKey.of("user_id", u), t, t, rnd.nextGaussian(), (long) rnd.nextInt(9), u);
    }
    long firstSeq = store.ingest("profile", big.build());
    for (int b = 0; b < 5; b++) { // the write-ahead log
      EventBatch.Builder small = EventBatch.builder(reg.view("profile").schema());
      for (int i = 0; i < 20; i++) {
        String u = "u" + rnd.nextInt(300);
        long t = (rnd.nextInt(50) + 1) * day;
        small.add(EntityKey.of("user_id", u), t, t + 5, rnd.nextGaussian(), null, u + "-late");
      }
      now.addAndGet(1_000);
      store.push("profile", small.build());
    }
    long nextSeq = store.offlineStore().nextSequence(reg.view("profile"));
    List<EntityKey> keys = new ArrayList<>();
    long[] ts = new long[2_000];
    for (int i = 0; i < ts.length; i++) {
      keys.add(EntityKey.of("user_id", "u" + rnd.nextInt(320)));
      ts[i] = rnd.nextInt(52) * day + rnd.nextInt(2_000);
    }
    EntityRows rows = EntityRows.of(keys, ts, null);
    FeatureFrame before = store.getHistoricalFeatures(rows, svc).frame();
    FeatureFrame beforeLeaky = store.getHistoricalFeatures(rows, svc, Visibility.EVENT_TIME_MAY_LEAK).frame();
    store.close();

    FeatureStore again = FeatureStore.builder(reg).clock(now::get).offlineStore(EmbeddedOfflineStore.open(dir))
        .build();
    assertEquals(nextSeq, again.offlineStore().nextSequence(reg.view("profile")), "the sequence survives");
    FeatureFrame after = again.getHistoricalFeatures(rows, svc).frame();
    FeatureFrame afterLeaky = again.getHistoricalFeatures(rows, svc, Visibility.EVENT_TIME_MAY_LEAK).frame();
    int present = 0;
    for (int i = 0; i < ts.length; i++) {
      assertEquals(before.row(i), after.row(i), "row " + i);
      assertEquals(beforeLeaky.row(i), afterLeaky.row(i), "row " + i);
      present += after.isPresent(i, after.schema().indexOf("country")) ? 1 : 0;
    }
    assertTrue(present > 1_000, "the comparison covers matched rows: " + present);
    long[] seen = new long[1];
    again.offlineStore().scan(reg.view("profile"), 0, Long.MAX_VALUE, -1, c -> seen[0] += c.size());
    assertEquals(5_100, seen[0], "every row is back");
    assertEquals(0, firstSeq);
    again.close();
  }

  /**
   * A history several times the size of a child JVM's heap (48 MB) is ingested and joined without
   * running out of memory, and the join's answer matches the generator's closed form.
   */
  @Test
  void historyLargerThanTheHeapJoinsInBoundedMemory(@TempDir Path dir) throws Exception {
    int perEntity = 200; // 20,000 entities x 200 rows = 4M rows
    int queries = 200_000;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx48m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        OfflineHistoryMain.class.getName(), dir.resolve("store").toString(), String.valueOf(perEntity),
        String.valueOf(queries)).redirectErrorStream(true).start();
    String result = null;
    StringBuilder out = new StringBuilder();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        out.append(line).append('\n');
        if (line.startsWith("RESULT ")) {
          result = line;
        }
      }
    }
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child finished");
    assertEquals(0, p.exitValue(), out.toString());
    assertTrue(result != null, out.toString());
    String[] f = result.split(" ");
    long[][] q = OfflineHistoryMain.queries(queries, perEntity);
    long matches = 0;
    double sum = 0;
    for (int i = 0; i < queries; i++) {
      long e = q[0][i];
      if (e >= OfflineHistoryMain.ENTITIES) {
        continue;
      }
      long k = Math.floorDiv(q[1][i] - OfflineHistoryMain.eventTime(e, 0), OfflineHistoryMain.STEP);
      if (k < 0) {
        continue;
      }
      k = Math.min(k, perEntity - 1);
      matches++;
      sum += OfflineHistoryMain.value(e, k);
    }
    assertEquals(matches, Long.parseLong(f[1]), result);
    assertEquals(sum, Double.parseDouble(f[2]), Math.abs(sum) * 1e-12, result);
    assertEquals(4_000_000L, Long.parseLong(f[3]), "rows on disk");
    long bytes = Long.parseLong(f[4]);
    long heap = Long.parseLong(f[5]);
    assertTrue(bytes > 3 * heap, "history " + bytes + " bytes vs heap " + heap);
  }

  /** A key log cut short under rows that use its keys is refused, not read as unknown keys. */
  @Test
  void aKeyLogCutUnderItsRowsIsRefused(@TempDir Path dir) throws Exception {
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(FeatureStoreTest.USER);
    reg.apply(FeatureStoreTest.profile(java.time.Duration.ofDays(3)));
    FeatureService svc = FeatureService.builder("svc").features("profile").build();
    reg.apply(svc);
    FeatureStore store = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build();
    EventBatch.Builder b = EventBatch.builder(reg.view("profile").schema());
    for (int i = 0; i < 4; i++) {
      b.add(EntityKey.of("user_id", "u" + i), 1_000, 1_000, 1.0 * i, 1L, "x");
    }
    store.ingest("profile", b.build());
    IllegalArgumentException wrongKind = org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> store.ingest("profile", EventBatch.builder(
            reg.view("profile").schema()).add(EntityKey.of("user_id", 7L), 1_000, 1_000, 1.0, 1L, "x").build()));
    assertTrue(wrongKind.getMessage().contains("string value"), wrongKind.getMessage());
    store.close();
    Path keys = dir.resolve("entities").resolve("user.keys");
    try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(keys,
        java.nio.file.StandardOpenOption.WRITE)) {
      c.truncate(c.size() - 3); // inside the last key's record: a torn write, cut at reopening
    }
    FeatureStore again = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build();
    StorageCorruptedException e = org.junit.jupiter.api.Assertions.assertThrows(StorageCorruptedException.class,
        () -> again.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "u3")), new long[] {2_000},
            null), svc));
    assertTrue(e.getMessage().contains("user.keys") && e.getMessage().contains("entity id 3"), e.getMessage());
    again.close();
  }

  /** An erased key leaves the key log at once; the same key later starts a new history. */
  @Test
  void anErasedKeyLeavesTheKeyLog(@TempDir Path dir) throws Exception {
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(FeatureStoreTest.USER);
    reg.apply(FeatureStoreTest.profile(java.time.Duration.ofDays(3000)));
    FeatureService svc = FeatureService.builder("svc").features("profile").build();
    reg.apply(svc);
    FeatureStore store = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build();
    String secret = "alice@example.org";
    EventBatch.Builder b = EventBatch.builder(reg.view("profile").schema());
    b.add(EntityKey.of("user_id", secret), 1_000, 1_000, 1.0, 1L, "x");
    b.add(EntityKey.of("user_id", "bob"), 1_000, 1_000, 2.0, 2L, "y");
    store.ingest("profile", b.build());
    assertEquals(1, store.erase("user", EntityKey.of("user_id", secret)));
    byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
    Path keys = dir.resolve("entities").resolve("user.keys");
    assertTrue(!contains(java.nio.file.Files.readAllBytes(keys), needle), "the key log no longer holds the key");
    store.ingest("profile", EventBatch.builder(reg.view("profile").schema())
        .add(EntityKey.of("user_id", secret), 5_000, 5_000, 9.0, 9L, "z").build());
    store.close();
    FeatureStore again = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build();
    FeatureFrame f = again.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", secret),
        EntityKey.of("user_id", secret), EntityKey.of("user_id", "bob")), new long[] {2_000, 6_000, 2_000}, null), svc)
        .frame();
    int score = f.schema().indexOf("score");
    assertEquals(-1.0, f.asDouble(0, score), "the erased history stays erased after a restart");
    assertEquals(9.0, f.asDouble(1, score), "the same key after the erasure is a new history");
    assertEquals(2.0, f.asDouble(2, score), "other keys are untouched");
    again.close();
  }

  /** A write-ahead log record cut cleanly out of the middle is noticed by the sequence numbers. */
  @Test
  void aWalRecordMissingFromTheMiddleIsRefused(@TempDir Path dir) throws Exception {
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(FeatureStoreTest.USER);
    reg.apply(FeatureStoreTest.profile(java.time.Duration.ofDays(3)));
    FeatureService svc = FeatureService.builder("svc").features("profile").build();
    reg.apply(svc);
    FeatureStore store = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build();
    for (int b = 0; b < 3; b++) {
      store.push("profile", EventBatch.builder(reg.view("profile").schema())
          .add(EntityKey.of("user_id", "u" + b), 1_000, 1_000, 1.0 * b, 1L, "x").build());
    }
    store.close();
    Path wal = dir.resolve("views").resolve("profile").resolve("wal.log");
    byte[] bytes = java.nio.file.Files.readAllBytes(wal);
    java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    List<Integer> starts = new ArrayList<>();
    for (int p = 16; p < bytes.length; p += 12 + bb.getInt(p + 4)) {
      starts.add(p);
    }
    assertEquals(3, starts.size(), "three records");
    byte[] cut = new byte[bytes.length - (starts.get(2) - starts.get(1))];
    System.arraycopy(bytes, 0, cut, 0, starts.get(1));
    System.arraycopy(bytes, starts.get(2), cut, starts.get(1), bytes.length - starts.get(2));
    java.nio.file.Files.write(wal, cut);
    EmbeddedOfflineStore reopened = EmbeddedOfflineStore.open(dir);
    StorageCorruptedException e = org.junit.jupiter.api.Assertions.assertThrows(StorageCorruptedException.class,
        () -> reopened.nextSequence(reg.view("profile")));
    assertTrue(e.getMessage().contains("wal.log") && e.getMessage().contains("a record is missing"), e.getMessage());
    reopened.close();
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
