package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/**
 * Damaged files, a second open, bad input, erasure and retention, all through the public API of
 * {@link FeatureStore} and {@link EmbeddedOfflineStore}.
 */
class OfflineStoreFaultsTest {

  static final long DAY = Duration.ofDays(1).toMillis();
  static final long T0 = OfflineFormatTest.T0;

  /** A feature store over a durable offline store in {@code dir}, with the golden view's definitions. */
  static final class World implements AutoCloseable {
    final AtomicLong now;
    final FeatureRegistry registry = new FeatureRegistry();
    final FeatureService service;
    final EmbeddedOfflineStore offline;
    final FeatureStore store;
    final FeatureView view;

    World(Path dir, AtomicLong now, Consumer<EmbeddedOfflineStore.Builder> config) {
      this.now = now;
      registry.apply(OfflineFormatTest.USER);
      registry.apply(OfflineFormatTest.profile());
      service = FeatureService.builder("svc").features("profile").build();
      registry.apply(service);
      view = registry.view("profile", FeatureView.class);
      EmbeddedOfflineStore.Builder b = EmbeddedOfflineStore.builder(dir).clock(now::get);
      config.accept(b);
      offline = b.build();
      store = FeatureStore.builder(registry).clock(now::get).offlineStore(offline).build();
    }

    World(Path dir) {
      this(dir, new AtomicLong(T0 + 10 * DAY), b -> { });
    }

    /** Every visible row, by sequence number, as text (key, times, values). */
    TreeMap<Long, String> rows() {
      TreeMap<Long, String> out = new TreeMap<>();
      offline.scan(view, 0, EventBatch.MAX_TIME, -1, c -> {
        for (int r = 0; r < c.size(); r++) {
          out.put(c.sequence(r), c.key(r) + " " + c.eventTime(r) + " " + c.createdTime(r) + " " + c.ingestionTime(r)
              + " " + cells(c.values(), r));
        }
      });
      return out;
    }

    /** The row a join returns for one key at one time, as text; "none" when unmatched. */
    String at(String user, long t, Visibility vis) {
      TrainingData td = store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", user)),
          new long[] {t}, null), service, vis);
      if (td.unmatched("score") == 1) {
        for (int c = 0; c < 5; c++) {
          assertFalse(td.frame().isPresent(0, td.frame().schema().indexOf(view.schema().get(c).name())));
        }
        return "none";
      }
      return cells(td.frame().select(view.schema().names()), 0);
    }

    @Override
    public void close() {
      store.close();
    }
  }

  static String cells(FeatureFrame f, int r) {
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < f.schema().size(); c++) {
      if (!f.isPresent(r, c)) {
        sb.append("- ");
        continue;
      }
      switch (f.schema().get(c).type()) {
        case DOUBLE:
        case BOOLEAN:
          sb.append(f.asDouble(r, c));
          break;
        case LONG:
          sb.append(f.getLong(r, c, 0));
          break;
        case STRING:
          sb.append(f.getString(r, c));
          break;
        default:
          sb.append(Arrays.toString(f.getEmbedding(r, c)));
      }
      sb.append(' ');
    }
    return sb.toString().trim();
  }

  static String cells(Object[] row) {
    StringBuilder sb = new StringBuilder();
    for (Object v : row) {
      sb.append(v == null ? "-" : v instanceof Boolean b ? (b ? "1.0" : "0.0")
          : v instanceof float[] e ? Arrays.toString(e) : v.toString()).append(' ');
    }
    return sb.toString().trim();
  }

  static EntityKey user(String name) {
    return EntityKey.of("user_id", name);
  }

  static Map<String, byte[]> files(Path dir) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p) && !p.getFileName().toString().equals("LOCK")) {
          out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
      }
    }
    return out;
  }

  static void assertSameFiles(Map<String, byte[]> before, Map<String, byte[]> after, String what) {
    assertEquals(before.keySet(), after.keySet(), what + ": the same files");
    for (String f : before.keySet()) {
      assertArrayEquals(before.get(f), after.get(f), what + ": " + f + " unchanged");
    }
  }

  /** Offset and length of each block of a segment file, from its footer. */
  static long[][] blocks(byte[] seg) {
    ByteBuffer b = ByteBuffer.wrap(seg).order(ByteOrder.LITTLE_ENDIAN);
    int footer = (int) b.getLong(seg.length - 24);
    int n = b.getInt(footer);
    long[][] out = new long[n][];
    for (int i = 0; i < n; i++) {
      out[i] = new long[] {b.getLong(footer + 4 + 20 * i), b.getLong(footer + 12 + 20 * i)};
    }
    return out;
  }

  /** The golden rows 0..39 in a sealed segment, rows 40..43 in the WAL. */
  static World populated(Path dir) {
    World w = new World(dir);
    w.store.ingest("profile", OfflineFormatTest.batch(0, 40));
    assertEquals(cells(OfflineFormatTest.row(36)), w.at("u0", EventBatch.MAX_TIME, Visibility.EVENT_TIME_MAY_LEAK));
    w.store.push("profile", OfflineFormatTest.batch(40, 44));
    return w;
  }

  // ------------------------------------------------------------------ (a), (b) damaged files

  @Test
  void aDamagedSegmentIsRefusedWithFileAndOffsetAndNothingIsChanged(@TempDir Path dir) throws IOException {
    try (World w = populated(dir)) {
      w.offline.sync();
    }
    Path seg = dir.resolve("views/profile/seg-000000000001.svs");
    byte[] good = Files.readAllBytes(seg);
    long[] score = blocks(good)[6]; // key blocks 0-4, then presence and data of "score"
    int at = (int) (score[0] + score[1] / 2);
    byte[] bad = good.clone();
    bad[at] ^= 0x10;
    Files.write(seg, bad);
    Map<String, byte[]> before = files(dir);

    World w = new World(dir);
    try {
      StorageCorruptedException e = assertThrows(StorageCorruptedException.class,
          () -> w.at("u0", EventBatch.MAX_TIME, Visibility.EVENT_TIME_MAY_LEAK));
      assertEquals(seg, e.file());
      assertEquals(score[0], e.offset());
      assertTrue(e.getMessage().startsWith(seg + " at byte " + score[0] + ": checksum mismatch in block 6"),
          e.getMessage());
      // the view stays refused, the store as a whole stays usable for other calls
      assertThrows(StorageCorruptedException.class, () -> w.store.ingest("profile", OfflineFormatTest.batch(44, 45)));
    } finally {
      w.close();
    }
    assertSameFiles(before, files(dir), "after refusing a damaged segment");

    // restored from a backup, everything is there
    Files.write(seg, good);
    try (World r = new World(dir)) {
      assertEquals(44, r.offline.nextSequence(r.view));
      assertEquals(44, r.rows().size());
      assertEquals(cells(OfflineFormatTest.row(40)), r.at("u0", EventBatch.MAX_TIME, Visibility.EVENT_TIME_MAY_LEAK));
    }
  }

  @Test
  void aDamagedManifestIsRefusedWithFileAndOffsetAndNothingIsDeleted(@TempDir Path dir) throws IOException {
    try (World w = populated(dir)) {
      w.offline.sync();
    }
    Path manifest = dir.resolve("views/profile/MANIFEST");
    byte[] good = Files.readAllBytes(manifest);
    for (int variant = 0; variant < 3; variant++) {
      byte[] bad = variant == 0 ? flip(good, good.length / 2)
          : variant == 1 ? Arrays.copyOf(good, good.length - 9)
          : flip(good, 3); // the magic
      Files.write(manifest, bad);
      Map<String, byte[]> before = files(dir);
      World w = new World(dir);
      try {
        StorageCorruptedException e = assertThrows(StorageCorruptedException.class, () -> w.rows());
        assertEquals(manifest, e.file(), e.getMessage());
        assertTrue(e.offset() >= 0 && e.offset() < bad.length, e.getMessage());
        assertTrue(e.getMessage().startsWith(manifest + " at byte " + e.offset() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
      } finally {
        w.close();
      }
      // the segment a damaged manifest lists is not taken for a leftover and deleted, the WAL not cut
      assertSameFiles(before, files(dir), "after refusing a damaged manifest (variant " + variant + ")");
    }
    Files.write(manifest, good);
    try (World r = new World(dir)) {
      assertEquals(44, r.offline.nextSequence(r.view));
      assertEquals(44, r.rows().size());
    }
  }

  static byte[] flip(byte[] b, int at) {
    byte[] c = b.clone();
    c[at] ^= 0x01;
    return c;
  }

  // ------------------------------------------------------------------ (c) a second open

  @Test
  void aSecondOpenIsRefusedAndTheFirstKeepsWorkingAndKeepsTheLock(@TempDir Path dir) throws Exception {
    try (World w = populated(dir)) {
      assertEquals("REFUSED", probeFromAnotherProcess(dir), "the directory is locked against other processes");
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> EmbeddedOfflineStore.open(dir));
      assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("already open"), e.getMessage());
      assertThrows(IllegalStateException.class, () -> EmbeddedOfflineStore.builder(dir).build(), "refused again");
      // the first store still works ...
      w.store.push("profile", OfflineFormatTest.batch(44, 46));
      assertEquals(46, w.offline.nextSequence(w.view));
      assertEquals(46, w.rows().size());
      // ... and still holds the directory lock against other processes (the refused open in this
      // process must not close a channel of the locked file: on POSIX that drops the process's lock)
      assertEquals("REFUSED", probeFromAnotherProcess(dir));
    }
    assertEquals("OPENED", probeFromAnotherProcess(dir), "closing releases the lock");
    try (World r = new World(dir)) {
      assertEquals(46, r.offline.nextSequence(r.view));
    }
  }

  static String probeFromAnotherProcess(Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockProbe.class.getName(),
        dir.toString()).redirectErrorStream(true).start();
    String last = "";
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        last = line;
      }
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return last.startsWith("REFUSED") ? "REFUSED" : last;
  }

  /** The child process: tries to open a store directory and says whether it could. */
  public static final class LockProbe {
    /**
     * Runs the probe.
     *
     * @param args the directory
     */
    public static void main(String[] args) {
      try {
        EmbeddedOfflineStore.open(Path.of(args[0])).close();
        System.out.println("OPENED");
      } catch (IllegalStateException e) {
        System.out.println("REFUSED " + e.getMessage());
      }
    }
  }

  // ------------------------------------------------------------------ (d) bad input

  @Test
  void badInputIsRefusedNamingTheProblemAndChangesNothing(@TempDir Path dir) throws IOException {
    World w = populated(dir);
    TreeMap<Long, String> rows;
    long next;
    long stored;
    Map<String, byte[]> before;
    try {
      rows = w.rows(); // seals the pushed rows: the files are stable from here on
      next = w.offline.nextSequence(w.view);
      stored = w.offline.storedRows(w.view);
      assertEquals(44, next);
      assertEquals(44, rows.size());
      before = files(dir);
      FeatureSchema schema = OfflineFormatTest.schema();
      Object[] ok = OfflineFormatTest.row(2);

      // a feature the view does not have, and a batch lacking one
      List<FeatureSpec> extra = new ArrayList<>(schema.specs());
      extra.add(FeatureSpec.of("unknown_feature", FeatureType.DOUBLE));
      Object[] okPlus = Arrays.copyOf(ok, 6);
      EventBatch unknown = EventBatch.builder(FeatureSchema.of(extra)).add(user("fresh"), T0, T0, okPlus).build();
      refused(w, unknown, "batch for view 'profile' has schema", "unknown_feature", "expected");
      EventBatch lacking = EventBatch.builder(FeatureSchema.of(schema.specs().subList(0, 4)))
          .add(user("fresh"), T0, T0, Arrays.copyOf(ok, 4)).build();
      refused(w, lacking, "batch for view 'profile' has schema", "expected");
      // a feature of the wrong type under the right name
      List<FeatureSpec> retyped = new ArrayList<>(schema.specs());
      retyped.set(1, FeatureSpec.of("visits", FeatureType.DOUBLE));
      EventBatch wrongType = EventBatch.builder(FeatureSchema.of(retyped))
          .add(user("fresh"), T0, T0, ok[0], 1.5, ok[2], ok[3], ok[4]).build();
      refused(w, wrongType, "has schema", "expected");

      // a key of another entity in row 2, after two good rows (one of them a new key): nothing is kept
      EventBatch wrongKey = EventBatch.builder(schema).add(user("fresh"), T0, T0, ok).add(user("u0"), T0, T0, ok)
          .add(EntityKey.of("item_id", "x"), T0, T0, ok).build();
      refused(w, wrongKey, "row 2", "item_id", "does not fit entity 'user'", "[user_id]");
      EventBatch composite = EventBatch.builder(schema)
          .add(EntityKey.builder().put("user_id", "u0").put("item_id", "x").build(), T0, T0, ok).build();
      refused(w, composite, "row 0", "does not fit entity 'user'");
      // long ids for an entity whose keys are strings
      EventBatch longIds = EventBatch.ofLongKeys(new long[] {1}, new long[] {T0}, new long[] {T0},
          unknown.values().select(schema.names()));
      refused(w, longIds, "entity 'user' has non-integral keys");
      // a null batch, an unknown view
      assertTrue(assertThrows(IllegalArgumentException.class, () -> w.store.ingest("profile", null)).getMessage()
          .contains("batch must not be null"));
      assertThrows(IllegalArgumentException.class, () -> w.store.ingest("no_such_view", wrongKey));

      // values and times the batch itself refuses, naming the row, field, value and range
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventBatch.builder(schema)
          .add(user("fresh"), T0, T0, ok[0], ok[1], ok[2], ok[3], new float[] {1f, Float.NaN, 2f}));
      assertTrue(e.getMessage().contains("row 0") && e.getMessage().contains("'emb'")
          && e.getMessage().contains("NaN at position 1"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> EventBatch.builder(schema).add(user("fresh"), T0, T0, ok).add(user("fresh"), -1, T0, ok));
      assertTrue(e.getMessage().contains("eventTime of row 1") && e.getMessage().contains("was -1")
          && e.getMessage().contains("[0, " + EventBatch.MAX_TIME + "]"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> EventBatch.builder(schema).add(user("fresh"), T0, EventBatch.MAX_TIME + 1, ok));
      assertTrue(e.getMessage().contains("createdTime of row 0") && e.getMessage().contains("was "
          + (EventBatch.MAX_TIME + 1)), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> EventBatch.ofLongKeys(new long[] {1, 2},
          new long[] {T0, Long.MIN_VALUE}, new long[] {T0, T0}, longIds.values().rows(new int[] {0, 0})));
      assertTrue(e.getMessage().contains("eventTime of row 1") && e.getMessage().contains("was " + Long.MIN_VALUE),
          e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> EventBatch.builder(schema)
          .add(user("fresh"), T0, T0, ok[0], "many", ok[2], ok[3], ok[4]));
      assertTrue(e.getMessage().contains("row 0") && e.getMessage().contains("visits"), e.getMessage());

      assertSameFiles(before, files(dir), "after refused input (no key, row or manifest written)");
      assertEquals(next, w.offline.nextSequence(w.view), "no sequence number was taken");
      assertEquals(stored, w.offline.storedRows(w.view));
      assertEquals(rows, w.rows());
      assertEquals("none", w.at("fresh", EventBatch.MAX_TIME, Visibility.EVENT_TIME_MAY_LEAK));
    } finally {
      w.close();
    }
    try (World r = new World(dir)) {
      assertEquals(next, r.offline.nextSequence(r.view));
      assertEquals(rows, r.rows());
      // the next good batch gets the next numbers and the next key id
      assertEquals(next, r.store.ingest("profile", EventBatch.builder(OfflineFormatTest.schema())
          .add(user("fresh"), T0, T0, OfflineFormatTest.row(2)).build()));
      assertEquals(cells(OfflineFormatTest.row(2)), r.at("fresh", EventBatch.MAX_TIME, Visibility.AS_SERVED));
    }
  }

  static void refused(World w, EventBatch batch, String... mentions) {
    for (boolean push : new boolean[] {false, true}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
        if (push) {
          w.store.push("profile", batch);
        } else {
          w.store.ingest("profile", batch);
        }
      });
      for (String m : mentions) {
        assertTrue(e.getMessage().contains(m), (push ? "push" : "ingest") + ": '" + m + "' not in: " + e.getMessage());
      }
    }
  }

  @Test
  void aNanEmbeddingIsRefusedOnTheLongIdPathToo(@TempDir Path dir) {
    Entity card = Entity.builder("card").joinKey("card_id").build();
    FeatureView v = FeatureView.builder("card_emb").entity(card).feature(FeatureSpec.embedding("v", 2)).build();
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(card);
    reg.apply(v);
    try (FeatureStore store = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build()) {
      FeatureFrame good = FeatureFrame.builder(1).addEmbedding("v", 2, new float[][] {{1f, 2f}}).build();
      store.ingest("card_emb", EventBatch.ofLongKeys(new long[] {7}, new long[] {T0}, new long[] {T0}, good));
      long next = store.offlineStore().nextSequence(v);
      FeatureFrame nan = FeatureFrame.builder(2).addEmbedding("v", 2, new float[][] {{1f, 2f}, {3f, Float.NaN}})
          .build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.ingest("card_emb",
          EventBatch.ofLongKeys(new long[] {7, 8}, new long[] {T0, T0}, new long[] {T0, T0}, nan)));
      assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("'v'") && e.getMessage().contains("NaN"),
          e.getMessage());
      assertEquals(next, store.offlineStore().nextSequence(v));
    }
  }

  // ------------------------------------------------------------------ (e) erasure

  static final String SECRET = "ALICE-SECRET-";
  static final double SECRET_SCORE = 918_273.645;

  /** Rows 0..n of a user; alice's carry a distinctive string and score. */
  static EventBatch people(int from, int to, long base) {
    EventBatch.Builder b = EventBatch.builder(OfflineFormatTest.schema());
    for (int i = from; i < to; i++) {
      long t = base + i * 60_000L;
      b.add(user("alice"), t, t, SECRET_SCORE + i, (long) i, true, SECRET + i, new float[] {i, 1f, 2f});
      b.add(user("bob"), t, t, 1.5 + i, (long) -i, false, "BOB-" + i, new float[] {-i, 3f, 4f});
    }
    return b.build();
  }

  static boolean holds(Path dir, byte[] needle) throws IOException {
    for (byte[] content : files(dir).values()) {
      outer:
      for (int i = 0; i + needle.length <= content.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (content[i + j] != needle[j]) {
            continue outer;
          }
        }
        return true;
      }
    }
    return false;
  }

  static byte[] doubleBytes(double d) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(d).array();
  }

  @Test
  void erasureHidesAtOnceDurablyAndCompactionRemovesTheBytes(@TempDir Path dir) throws IOException {
    Path viewDir = dir.resolve("views/profile");
    long late = T0 + DAY;
    String bobLast;
    TreeMap<Long, String> bobRows = new TreeMap<>();
    try (World w = new World(dir)) {
      w.store.ingest("profile", people(0, 5, T0));
      w.rows(); // seal: segment 1
      w.store.ingest("profile", people(5, 10, T0));
      w.rows(); // segment 2
      w.now.set(T0 + DAY / 2);
      w.store.push("profile", people(10, 15, T0)); // in the WAL
      assertTrue(Files.size(viewDir.resolve("wal.log")) > 16, "the pushed rows are in the WAL");
      assertTrue(holds(viewDir, (SECRET + 3).getBytes(StandardCharsets.UTF_8)), "in a segment before erasure");
      assertTrue(holds(viewDir, (SECRET + 12).getBytes(StandardCharsets.UTF_8)), "in the WAL before erasure");
      assertTrue(holds(viewDir, doubleBytes(SECRET_SCORE + 7)));
      assertEquals(SECRET + 14, field(w.at("alice", late, Visibility.EVENT_TIME_MAY_LEAK), 3));
      bobLast = w.at("bob", late, Visibility.EVENT_TIME_MAY_LEAK);
      assertEquals("BOB-14", field(bobLast, 3));
      w.rows().forEach((s, r) -> {
        if (r.contains("bob")) {
          bobRows.put(s, r);
        }
      });
      assertEquals(15, bobRows.size());

      assertEquals(15, w.store.erase("user", user("alice")), "segment and WAL rows of alice");
      for (Visibility vis : Visibility.values()) {
        for (long t : new long[] {T0 + 3 * 60_000L, T0 + 12 * 60_000L, late}) {
          assertEquals("none", w.at("alice", t, vis), "erased at once, " + vis + " at " + t);
        }
        assertEquals(bobLast, w.at("bob", late, vis));
      }
      assertEquals(bobRows, w.rows(), "a scan sees only bob");
    }
    long stored;
    try (World w = new World(dir)) {
      for (Visibility vis : Visibility.values()) {
        assertEquals("none", w.at("alice", late, vis), "still erased after a restart");
        assertEquals(bobLast, w.at("bob", late, vis));
      }
      assertEquals(bobRows, w.rows());
      // rows ingested after the erasure are visible
      w.store.ingest("profile", EventBatch.builder(OfflineFormatTest.schema())
          .add(user("alice"), T0 + 30 * 60_000L, T0 + 30 * 60_000L, 5.0, 5L, false, "ALICE-NEW", null).build());
      assertEquals("5.0 5 0.0 ALICE-NEW -", w.at("alice", late, Visibility.AS_SERVED));
      assertEquals(16, w.rows().size());
      stored = w.offline.storedRows(w.view);
      assertEquals(31, stored, "erased rows are hidden, not yet removed");
      assertTrue(holds(viewDir, SECRET.getBytes(StandardCharsets.UTF_8)), "erased bytes are still in the files");

      w.offline.compact(w.view);
      assertEquals(stored - 15, w.offline.storedRows(w.view), "compaction dropped alice's 15 erased rows");
      assertFalse(holds(viewDir, SECRET.getBytes(StandardCharsets.UTF_8)), "no erased string left in " + viewDir);
      for (int i = 0; i < 15; i++) {
        assertFalse(holds(viewDir, doubleBytes(SECRET_SCORE + i)), "no erased score " + i + " left");
      }
      assertTrue(holds(viewDir, "ALICE-NEW".getBytes(StandardCharsets.UTF_8)), "the later row stays");
      assertTrue(holds(viewDir, "BOB-7".getBytes(StandardCharsets.UTF_8)), "bob stays");
    }
    try (World w = new World(dir)) {
      assertEquals(16, w.offline.storedRows(w.view));
      assertEquals("5.0 5 0.0 ALICE-NEW -", w.at("alice", late, Visibility.EVENT_TIME_MAY_LEAK));
      assertEquals("none", w.at("alice", T0 + 29 * 60_000L, Visibility.EVENT_TIME_MAY_LEAK));
      for (Visibility vis : Visibility.values()) {
        assertEquals(bobLast, w.at("bob", late, vis));
      }
      TreeMap<Long, String> all = w.rows();
      assertEquals(16, all.size());
      assertTrue(all.values().containsAll(bobRows.values()), "bob's rows are untouched, sequence numbers included");
      assertEquals(bobRows, new TreeMap<>(Map.copyOf(filter(all, "bob"))));
    }
  }

  static Map<Long, String> filter(TreeMap<Long, String> rows, String who) {
    Map<Long, String> out = new TreeMap<>();
    rows.forEach((k, v) -> {
      if (v.contains(who)) {
        out.put(k, v);
      }
    });
    return out;
  }

  static String field(String cells, int i) {
    return cells.split(" ")[i];
  }

  // ------------------------------------------------------------------ (f) retention

  @Test
  void retentionHidesOldRowsAtOnceAndCompactionRemovesThem(@TempDir Path tmp) throws IOException {
    long now0 = T0 + 1_000 * DAY;
    long[] ages = {20 * DAY, 12 * DAY, 10 * DAY + 1, 10 * DAY, 9 * DAY, DAY}; // row k is this old at now0
    EventBatch.Builder b = EventBatch.builder(OfflineFormatTest.schema());
    for (int k = 0; k < ages.length; k++) {
      long t = now0 - ages[k];
      b.add(user("r"), t, t, (double) k, (long) k, true, "OLD-" + k, null);
    }
    EventBatch batch = b.build();
    Path dir = tmp.resolve("kept");
    Path control = tmp.resolve("control");
    AtomicLong now = new AtomicLong(now0);
    try (World w = new World(dir, now, c -> c.retention("profile", Duration.ofDays(10)));
        World all = new World(control, new AtomicLong(now0), c -> { })) {
      w.store.ingest("profile", batch);
      all.store.ingest("profile", batch);
      for (Visibility vis : Visibility.values()) {
        // without retention the 12-day-old row answers at now-11d; with it, nothing older than now-10d does
        assertEquals("1.0 1 1.0 OLD-1 -", all.at("r", now0 - 11 * DAY, vis));
        assertEquals("none", w.at("r", now0 - 11 * DAY, vis));
        assertEquals("none", w.at("r", now0 - 10 * DAY - 1, vis), "10 days and 1 ms old: hidden");
        assertEquals("3.0 3 1.0 OLD-3 -", w.at("r", now0 - 10 * DAY, vis), "exactly 10 days old: kept");
        assertEquals("5.0 5 1.0 OLD-5 -", w.at("r", now0, vis));
      }
      assertEquals(List.of("OLD-3", "OLD-4", "OLD-5"), strings(w.rows()));
      assertEquals(6, strings(all.rows()).size());

      now.set(now0 + 5 * DAY); // rows 3 and 4 are now 15 and 14 days old
      assertEquals("none", w.at("r", now0 - 9 * DAY, Visibility.EVENT_TIME_MAY_LEAK), "hidden as the clock moves");
      assertEquals(List.of("OLD-5"), strings(w.rows()));
      assertEquals(6, w.offline.storedRows(w.view), "hidden, not yet removed");
      assertTrue(holds(dir.resolve("views/profile"), "OLD-0".getBytes(StandardCharsets.UTF_8)));

      w.offline.compact(w.view);
      assertEquals(1, w.offline.storedRows(w.view));
      for (int k = 0; k < 5; k++) {
        assertFalse(holds(dir.resolve("views/profile"), ("OLD-" + k).getBytes(StandardCharsets.UTF_8)), "row " + k);
      }
      assertTrue(holds(dir.resolve("views/profile"), "OLD-5".getBytes(StandardCharsets.UTF_8)));
      assertEquals("5.0 5 1.0 OLD-5 -", w.at("r", now.get(), Visibility.AS_SERVED));
    }
    try (World w = new World(dir, now, c -> c.retention("profile", Duration.ofDays(10)))) {
      assertEquals(1, w.offline.storedRows(w.view));
      assertEquals(List.of("OLD-5"), strings(w.rows()));
    }
  }

  static List<String> strings(TreeMap<Long, String> rows) {
    List<String> out = new ArrayList<>();
    for (String r : rows.values()) {
      for (String f : r.split(" ")) {
        if (f.startsWith("OLD-")) {
          out.add(f);
        }
      }
    }
    return out;
  }
}
