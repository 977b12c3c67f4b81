package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/**
 * The committed golden directory {@code src/test/resources/golden/offline-v1/} (offline store format
 * v1: segment, manifest, write-ahead log and key log) still opens with the current code and yields
 * exactly the rows its generator wrote.
 *
 * <p>Regenerate it (only when the format version changes on purpose, into a new {@code offline-vN}
 * directory):
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -q -B test -pl features -Dtest=OfflineFormatTest \
 *     -Dsieveml.golden.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>What the generator does (and the test expects): 40 rows ({@link #row} rule, rows 0..39, users
 * {@code u<i % 4>}) ingested as history and sealed into {@code seg-000000000001.svs} by a read; user
 * {@code u1} erased (a tombstone covering sequences up to 39 in the MANIFEST, and its key forgotten: an
 * {@code 'X'} record keeps id 1 taken in the key log, its later rows use id 4); rows 40..43 pushed at
 * {@link #PUSH1} and rows 44..47 at {@link #PUSH2}, left as two records in {@code wal.log}.
 */
class OfflineFormatTest {

  static final String GOLDEN = "golden/offline-v1";
  static final Entity USER = Entity.builder("user").joinKey("user_id").build();
  static final long T0 = 1_700_000_000_000L; // 2023-11-14T22:13:20Z
  static final long MINUTE = 60_000L;
  static final long PUSH1 = T0 + 60 * MINUTE;
  static final long PUSH2 = T0 + 120 * MINUTE;
  static final int INGESTED = 40;
  static final int TOTAL = 48;
  static final String[] COUNTRIES = {"DE", "Fr-\u00df", "\u65e5\u672c"};

  /** The golden view: one feature of every type, no TTL, no defaults. */
  static FeatureView profile() {
    return FeatureView.builder("profile").entity(USER)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("visits", FeatureType.LONG))
        .feature(FeatureSpec.of("active", FeatureType.BOOLEAN))
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .feature(FeatureSpec.embedding("emb", 3))
        .ttl(Duration.ZERO).build();
  }

  static FeatureSchema schema() {
    return profile().schema();
  }

  static String user(int i) {
    return "u" + (i % 4);
  }

  static long event(int i) {
    return T0 + i * MINUTE;
  }

  static long created(int i) {
    return event(i) + 1_000 + (i % 3) * 10;
  }

  static long ingested(int i) {
    return i < INGESTED ? created(i) : i < 44 ? PUSH1 : PUSH2;
  }

  /** The values of row i in schema order, null for missing. */
  static Object[] row(int i) {
    return new Object[] {
        i % 5 == 0 ? null : i * 0.25 - 3,
        i % 7 == 3 ? null : i * 1000L - 5,
        i % 6 == 5 ? null : i % 2 == 0,
        i % 4 == 2 ? null : COUNTRIES[i % 3],
        i % 3 == 1 ? null : new float[] {i, -0.5f * i, 1f / (i + 1)}};
  }

  /** Whether row i is visible after the generator's erasure of u1 (which covered rows 0..39). */
  static boolean visible(int i) {
    return !(i % 4 == 1 && i < INGESTED);
  }

  static EventBatch batch(int from, int to) {
    EventBatch.Builder b = EventBatch.builder(schema());
    for (int i = from; i < to; i++) {
      b.add(EntityKey.of("user_id", user(i)), event(i), created(i), row(i));
    }
    return b.build();
  }

  static final class Golden {
    final AtomicLong now = new AtomicLong(PUSH1);
    final FeatureRegistry registry = new FeatureRegistry();
    final FeatureService service;
    final FeatureStore store;
    final EmbeddedOfflineStore offline;

    Golden(Path dir) {
      registry.apply(USER);
      registry.apply(profile());
      service = FeatureService.builder("svc").features("profile").build();
      registry.apply(service);
      offline = EmbeddedOfflineStore.open(dir);
      store = FeatureStore.builder(registry).clock(now::get).offlineStore(offline).build();
    }
  }

  /** Writes the golden store into {@code dir} (which must not hold a store yet). */
  static void writeGolden(Path dir) throws IOException {
    Golden g = new Golden(dir);
    try {
      g.store.ingest("profile", batch(0, INGESTED));
      // a read seals the 40 buffered rows into seg-000000000001.svs and empties the WAL
      g.store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "u0")), new long[] {PUSH2}, null),
          g.service, Visibility.EVENT_TIME_MAY_LEAK);
      assertEquals(10, g.store.erase("user", EntityKey.of("user_id", "u1")));
      g.now.set(PUSH1);
      g.store.push("profile", batch(INGESTED, 44));
      g.now.set(PUSH2);
      g.store.push("profile", batch(44, TOTAL));
    } finally {
      g.store.close();
    }
    Files.deleteIfExists(dir.resolve("LOCK")); // created by every open; not part of the format
  }

  static Path goldenSource() {
    URL u = OfflineFormatTest.class.getClassLoader().getResource(GOLDEN);
    assertNotNull(u, "golden directory " + GOLDEN + " is not on the test class path");
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies the golden directory (read only in the source tree) to {@code to}. */
  static Path copyGolden(Path to) throws IOException {
    Path from = goldenSource();
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }

  static List<String> relativeFiles(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(Files::isRegularFile).forEach(p -> out.add(dir.relativize(p).toString().replace('\\', '/')));
    }
    out.sort(null);
    return out;
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateGoldenFiles() throws IOException {
    Path target = Path.of("src/test/resources").resolve(GOLDEN).toAbsolutePath();
    if (Files.exists(target)) {
      try (Stream<Path> files = Files.walk(target)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
          try {
            Files.delete(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
    }
    writeGolden(target);
    System.out.println("wrote " + target + ": " + relativeFiles(target));
  }

  @Test
  void goldenDirectoryHoldsEveryFormatAndIsSmall() throws IOException {
    Path src = goldenSource();
    assertEquals(List.of("entities/user.keys", "views/profile/MANIFEST", "views/profile/seg-000000000001.svs",
        "views/profile/wal.log"), relativeFiles(src), "no LOCK, one segment, a WAL with records, a key log");
    long total = 0;
    for (String f : relativeFiles(src)) {
      total += Files.size(src.resolve(f));
    }
    assertTrue(total < 200_000, "golden files take " + total + " bytes");
    assertTrue(Files.size(src.resolve("views/profile/wal.log")) > 16, "the WAL holds records, not just its header");
  }

  @Test
  void goldenStoreOpensWithExactRowsSequencesErasureAndReplayedWal(@TempDir Path tmp) throws IOException {
    Path dir = copyGolden(tmp.resolve("store"));
    Golden g = new Golden(dir);
    try {
      FeatureView view = g.registry.view("profile", FeatureView.class);
      // replayed WAL rows are buffered (counted) before any read seals them
      assertEquals(TOTAL, g.offline.storedRows(view), "40 segment rows + 8 replayed WAL rows");
      assertEquals(TOTAL, g.offline.nextSequence(view));

      // every visible row, exactly, with its times and sequence number
      TreeMap<Long, LogChunkRow> got = new TreeMap<>();
      g.offline.scan(view, 0, EventBatch.MAX_TIME, -1, c -> {
        for (int r = 0; r < c.size(); r++) {
          assertNull(got.put(c.sequence(r), new LogChunkRow(c, r)), "sequence " + c.sequence(r) + " seen twice");
        }
      });
      List<Long> expectedSeqs = new ArrayList<>();
      for (int i = 0; i < TOTAL; i++) {
        if (visible(i)) {
          expectedSeqs.add((long) i);
        }
      }
      assertEquals(expectedSeqs, new ArrayList<>(got.keySet()), "u1's rows 0..39 are erased, all others visible");
      for (int i = 0; i < TOTAL; i++) {
        if (!visible(i)) {
          continue;
        }
        LogChunkRow r = got.get((long) i);
        String at = "row " + i;
        assertEquals(EntityKey.of("user_id", user(i)), r.key, at);
        assertEquals(event(i), r.event, at);
        assertEquals(created(i), r.created, at);
        assertEquals(ingested(i), r.ingested, at + ": ingest at created time, pushes at the store's clock");
        assertRow(row(i), r.values, r.row, at);
      }
      // spot values written out literally (guards the rule above as well)
      assertEquals(8.5, got.get(46L).values.asDouble(got.get(46L).row, 0));
      assertEquals(45_995L, got.get(46L).values.getLong(got.get(46L).row, 1, 0));
      assertFalse(got.get(45L).values.isPresent(got.get(45L).row, 0), "row 45: score missing");
      assertEquals("\u65e5\u672c", got.get(44L).values.getString(got.get(44L).row, 3));
      assertArrayEquals(new float[] {0f, -0f, 1f}, got.get(0L).values.getEmbedding(got.get(0L).row, 4));
      assertFalse(got.get(0L).values.isPresent(got.get(0L).row, 0), "row 0: score missing");

      // the point-in-time join through the public API, both visibilities
      for (Visibility vis : Visibility.values()) {
        boolean cut = vis == Visibility.AS_SERVED;
        for (int u = 0; u < 5; u++) { // u4 was never ingested
          for (long t : new long[] {event(3), event(39), event(41), event(45) + 1, PUSH1, PUSH2, PUSH2 + MINUTE}) {
            String name = "u" + u;
            TrainingData td = g.store.getHistoricalFeatures(
                EntityRows.of(List.of(EntityKey.of("user_id", name)), new long[] {t}, null), g.service, vis);
            FeatureFrame f = td.frame();
            int expect = -1;
            for (int i = 0; i < TOTAL; i++) {
              if (user(i).equals(name) && visible(i) && event(i) <= t && (!cut || ingested(i) <= t)) {
                expect = i; // event times increase with i
              }
            }
            String at = name + " at " + t + " " + vis;
            Object[] values = expect < 0 ? new Object[5] : row(expect);
            assertRowByName(values, f, at);
          }
        }
      }
      // u1 at event(45) + 1: its pushed rows are not yet ingested (AS_SERVED), erased ones stay hidden
      TrainingData served = g.store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "u1")),
          new long[] {event(45) + 1}, null), g.service, Visibility.AS_SERVED);
      assertEquals(1, served.unmatched("score"));

      // sealing the replayed rows wrote a second segment and emptied the WAL; sequences continue
      assertTrue(Files.exists(dir.resolve("views/profile/seg-000000000002.svs")));
      assertEquals(16, Files.size(dir.resolve("views/profile/wal.log")));
      assertEquals(TOTAL, g.store.ingest("profile", batch(TOTAL, TOTAL + 2)));
      assertEquals(TOTAL + 2, g.offline.nextSequence(view));
    } finally {
      g.store.close();
    }
  }

  /**
   * Logs written before a log was bound to its entity and event schema carry the full definition
   * version in their MANIFEST (the same format v1, another value): they still open, with every row.
   */
  @Test
  void aManifestBoundToTheDefinitionVersionStillOpens(@TempDir Path tmp) throws IOException, URISyntaxException {
    Path dir = copyGolden(tmp.resolve("store"));
    Path legacy = Path.of(OfflineFormatTest.class.getClassLoader()
        .getResource("golden/offline-v1-definition-version/MANIFEST").toURI());
    Files.copy(legacy, dir.resolve("views/profile/MANIFEST"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertTrue(!java.util.Arrays.equals(Files.readAllBytes(legacy),
        Files.readAllBytes(goldenSource().resolve("views/profile/MANIFEST"))), "the two manifests differ");
    Golden g = new Golden(dir);
    try {
      FeatureView view = g.registry.view("profile", FeatureView.class);
      assertEquals(TOTAL, g.offline.storedRows(view));
      assertEquals(TOTAL, g.offline.nextSequence(view));
    } finally {
      g.store.close();
    }
  }

  @Test
  void theCurrentWriterStillProducesTheGoldenBytes(@TempDir Path tmp) throws IOException {
    Path fresh = tmp.resolve("fresh");
    writeGolden(fresh);
    Path golden = goldenSource();
    assertEquals(relativeFiles(golden), relativeFiles(fresh));
    for (String f : relativeFiles(golden)) {
      assertArrayEquals(Files.readAllBytes(golden.resolve(f)), Files.readAllBytes(fresh.resolve(f)),
          f + " differs from the golden file: the writer changed format v1 (bump the version and add a new golden "
              + "directory instead)");
    }
  }

  /** One row of a scan chunk. */
  static final class LogChunkRow {
    final EntityKey key;
    final long event;
    final long created;
    final long ingested;
    final FeatureFrame values;
    final int row;

    LogChunkRow(LogChunk c, int r) {
      key = c.key(r);
      event = c.eventTime(r);
      created = c.createdTime(r);
      ingested = c.ingestionTime(r);
      values = c.values();
      row = r;
    }
  }

  /** Asserts a frame row (columns in the golden schema's order) holds exactly the values. */
  static void assertRow(Object[] expected, FeatureFrame f, int r, String at) {
    for (int c = 0; c < expected.length; c++) {
      assertCell(expected[c], f, r, c, at);
    }
  }

  static void assertRowByName(Object[] expected, FeatureFrame f, String at) {
    FeatureSchema s = schema();
    for (int c = 0; c < expected.length; c++) {
      int col = f.schema().indexOf(s.get(c).name());
      assertTrue(col >= 0, at + ": column " + s.get(c).name());
      assertCell(expected[c], f, 0, col, at);
    }
  }

  static void assertCell(Object expected, FeatureFrame f, int r, int col, String at) {
    String where = at + " column " + f.schema().get(col).name();
    if (expected == null) {
      assertFalse(f.isPresent(r, col), where + " must be missing");
      return;
    }
    assertTrue(f.isPresent(r, col), where + " must be present");
    if (expected instanceof Double d) {
      assertEquals(d, f.asDouble(r, col), where);
    } else if (expected instanceof Long l) {
      assertEquals(l, f.getLong(r, col, Long.MIN_VALUE), where);
    } else if (expected instanceof Boolean b) {
      assertEquals(b ? 1.0 : 0.0, f.asDouble(r, col), where);
    } else if (expected instanceof String s) {
      assertEquals(s, f.getString(r, col), where);
    } else {
      assertArrayEquals((float[]) expected, f.getEmbedding(r, col), where + " " + Arrays.toString((float[]) expected));
    }
  }
}
