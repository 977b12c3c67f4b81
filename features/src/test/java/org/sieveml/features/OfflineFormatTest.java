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
 *
 * <p>The committed golden directory {@code src/test/resources/golden/offline-v1-sources/} holds what
 * {@link OfflineStore#appendFrom} adds to format v1 (written by {@link #writeSourcedGolden} through
 * {@link FeatureStore#pushFrom}, same view and row rule): a MANIFEST of version 2, whose stream-source
 * section (after the erasures) holds the positions of the rows sealed in {@code seg-000000000001.svs}
 * ({@link #SOURCE_A} at 110, {@link #SOURCE_B} at 6), and a {@code wal.log} whose first two records
 * start with {@code SVMLSRC1} and the positions they move ({@link #SOURCE_A} to 114; {@link #SOURCE_B}
 * to 8, a redelivery from offset 4 of which only offsets 6 and 7 were appended), then a plain pushed
 * record. Regenerate it with {@code -Dtest=OfflineFormatTest#regenerateSourcedGoldenFiles} and the
 * same property (only when a format changes on purpose: its bytes are checked against what the writer
 * makes today).
 */
class OfflineFormatTest {

  static final String GOLDEN = "golden/offline-v1";
  static final String GOLDEN_SOURCES = "golden/offline-v1-sources";
  /** The stream sources of the sourced golden directory (one name not ASCII). */
  static final String SOURCE_A = "txns/0";
  static final String SOURCE_B = "t\u00fcr/1";
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
    return goldenSource(GOLDEN);
  }

  static Path goldenSource(String golden) {
    URL u = OfflineFormatTest.class.getClassLoader().getResource(golden);
    assertNotNull(u, "golden directory " + golden + " is not on the test class path");
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies the golden directory (read only in the source tree) to {@code to}. */
  static Path copyGolden(Path to) throws IOException {
    return copyGolden(GOLDEN, to);
  }

  /** Copies a golden directory (read only in the source tree) to {@code to}. */
  static Path copyGolden(String golden, Path to) throws IOException {
    Path from = goldenSource(golden);
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

  /** A golden directory under src/test/resources, emptied for a generator to write. */
  private static Path emptied(String golden) throws IOException {
    Path target = Path.of("src/test/resources").resolve(golden).toAbsolutePath();
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
    return target;
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateGoldenFiles() throws IOException {
    Path target = emptied(GOLDEN);
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

  // ------------------------------------------------------------------ stream sources (appendFrom)

  /** Per sequence number of the sourced golden store, the index of its row ({@link #row} rule). */
  static final int[] SOURCED_ROWS = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 22, 23, 24,
      25};
  /** Rows sealed into the sourced golden's segment; the rest are in its write-ahead log. */
  static final int SOURCED_SEALED = 16;

  static long sourcedIngested(int seq) {
    return seq < SOURCED_SEALED ? PUSH1 : PUSH2;
  }

  static long[] offsets(long from, int n) {
    long[] o = new long[n];
    for (int i = 0; i < n; i++) {
      o[i] = from + i;
    }
    return o;
  }

  static StreamBatch fromSource(String source, int from, int to, long firstOffset, long expected, long next) {
    return StreamBatch.builder().add("profile", source, batch(from, to), offsets(firstOffset, to - from), expected,
        next).build();
  }

  /** Writes the sourced golden store into {@code dir} (which must not hold a store yet). */
  static void writeSourcedGolden(Path dir) throws IOException {
    Golden g = new Golden(dir);
    try {
      g.now.set(PUSH1);
      assertTrue(g.store.pushFrom(fromSource(SOURCE_A, 0, 10, 100, Long.MIN_VALUE, 110)));
      assertTrue(g.store.pushFrom(fromSource(SOURCE_B, 10, 16, 0, Long.MIN_VALUE, 6)));
      // a read seals the 16 buffered rows into seg-000000000001.svs: the MANIFEST (version 2) holds both
      // positions, the WAL is emptied
      g.store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "u0")), new long[] {PUSH2}, null),
          g.service, Visibility.EVENT_TIME_MAY_LEAK);
      g.now.set(PUSH2);
      assertTrue(g.store.pushFrom(fromSource(SOURCE_A, 16, 20, 110, 110, 114)));
      // a redelivery from offset 4: offline appends offsets 6 and 7 (rows 22, 23) only
      assertTrue(g.store.pushFrom(fromSource(SOURCE_B, 20, 24, 4, 6, 8)));
      // a fenced writer redelivers what is stored: nothing is appended, the online commit is refused
      assertFalse(g.store.pushFrom(fromSource(SOURCE_A, 16, 20, 110, 110, 114)));
      g.store.push("profile", batch(24, 26)); // a record without positions
    } finally {
      g.store.close();
    }
    Files.deleteIfExists(dir.resolve("LOCK")); // created by every open; not part of the format
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateSourcedGoldenFiles() throws IOException {
    Path target = emptied(GOLDEN_SOURCES);
    writeSourcedGolden(target);
    System.out.println("wrote " + target + ": " + relativeFiles(target));
  }

  /** The payloads of an intact record log. */
  static List<byte[]> records(byte[] log) {
    List<byte[]> out = new ArrayList<>();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(log).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int p = 16; p < log.length; p += 12 + b.getInt(p + 4)) {
      out.add(Arrays.copyOfRange(log, p + 12, p + 12 + b.getInt(p + 4)));
    }
    return out;
  }

  /** The stream positions a WAL record starts with, in order, or null for a record without them. */
  static java.util.LinkedHashMap<String, Long> recordPositions(byte[] payload) {
    byte[] magic = "SVMLSRC1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    if (payload.length < magic.length || !Arrays.equals(payload, 0, magic.length, magic, 0, magic.length)) {
      return null;
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(payload).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.position(magic.length);
    java.util.LinkedHashMap<String, Long> out = new java.util.LinkedHashMap<>();
    int n = b.getInt();
    for (int i = 0; i < n; i++) {
      byte[] name = new byte[b.getShort() & 0xffff];
      b.get(name);
      out.put(new String(name, java.nio.charset.StandardCharsets.UTF_8), b.getLong());
    }
    return out;
  }

  @Test
  void sourcedGoldenDirectoryHoldsTheNewRecords() throws IOException {
    Path src = goldenSource(GOLDEN_SOURCES);
    assertEquals(List.of("entities/user.keys", "views/profile/MANIFEST", "views/profile/seg-000000000001.svs",
        "views/profile/wal.log"), relativeFiles(src), "no LOCK, one segment, a WAL with records, a key log");
    long total = 0;
    for (String f : relativeFiles(src)) {
      total += Files.size(src.resolve(f));
    }
    assertTrue(total < 200_000, "golden files take " + total + " bytes");
    // the MANIFEST: version 2, its stream-source section last before the checksum
    byte[] mf = Files.readAllBytes(src.resolve("views/profile/MANIFEST"));
    java.nio.ByteBuffer m = java.nio.ByteBuffer.wrap(mf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    assertEquals("SVMLMAN1", new String(mf, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
    assertEquals(2, m.getInt(8), "manifest version 2: it holds stream positions");
    byte[] a = SOURCE_A.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] b = SOURCE_B.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int section = mf.length - 4 - (4 + 2 + a.length + 8 + 2 + b.length + 8);
    assertEquals(2, m.getInt(section), "two sources, sorted by name");
    assertEquals(a.length, m.getShort(section + 4));
    assertEquals(SOURCE_A, new String(mf, section + 6, a.length, java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(110, m.getLong(section + 6 + a.length));
    int second = section + 6 + a.length + 8;
    assertEquals(b.length, m.getShort(second));
    assertEquals(SOURCE_B, new String(mf, second + 2, b.length, java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(6, m.getLong(second + 2 + b.length));
    assertEquals(0, m.getInt(section - 4), "no erasure before it");
    // the WAL: two records with positions (SVMLSRC1, one source each), then one without
    List<byte[]> recs = records(Files.readAllBytes(src.resolve("views/profile/wal.log")));
    assertEquals(3, recs.size());
    assertEquals(java.util.Map.of(SOURCE_A, 114L), recordPositions(recs.get(0)));
    assertEquals(java.util.Map.of(SOURCE_B, 8L), recordPositions(recs.get(1)));
    assertNull(recordPositions(recs.get(2)), "a plain push carries no positions");
  }

  @Test
  void sourcedGoldenStoreOpensWithExactRowsAndPositions(@TempDir Path tmp) throws IOException {
    Path dir = copyGolden(GOLDEN_SOURCES, tmp.resolve("store"));
    int total = SOURCED_ROWS.length;
    Golden g = new Golden(dir);
    try {
      FeatureView view = g.registry.view("profile", FeatureView.class);
      assertEquals(total, g.offline.storedRows(view), "16 segment rows + 8 replayed WAL rows");
      assertEquals(total, g.offline.nextSequence(view));
      assertEquals(114, g.offline.sourcePosition(view, SOURCE_A), "raised by the first WAL record over the MANIFEST");
      assertEquals(8, g.offline.sourcePosition(view, SOURCE_B), "raised by the second WAL record");
      assertEquals(Long.MIN_VALUE, g.offline.sourcePosition(view, "txns/1"), "never appended from");
      assertEquals(Long.MIN_VALUE, g.store.streamPosition("profile", SOURCE_A), "the online store is a new one");

      assertSourcedRows(g, view, total);

      // re-appending stored offsets is a no-op: nothing is written, no sequence is taken
      byte[] wal = Files.readAllBytes(dir.resolve("views/profile/wal.log"));
      assertEquals(0, g.offline.appendFrom(view, batch(16, 20), PUSH2 + MINUTE, SOURCE_A, offsets(110, 4)));
      assertEquals(0, g.offline.appendFrom(view, batch(20, 24), PUSH2 + MINUTE, SOURCE_B, offsets(4, 4)));
      assertEquals(0, g.offline.appendFrom(view, batch(0, 10), PUSH2 + MINUTE, SOURCE_A, offsets(100, 10)));
      assertArrayEquals(wal, Files.readAllBytes(dir.resolve("views/profile/wal.log")), "nothing was logged");
      assertEquals(total, g.offline.nextSequence(view));
      assertEquals(114, g.offline.sourcePosition(view, SOURCE_A));
      // an overlapping redelivery appends only the offsets at and above the position
      assertEquals(2, g.offline.appendFrom(view, batch(26, 30), PUSH2 + MINUTE, SOURCE_A, offsets(112, 4)));
      assertEquals(total + 2, g.offline.nextSequence(view));
      assertEquals(116, g.offline.sourcePosition(view, SOURCE_A));
    } finally {
      g.store.close();
    }
    // reopened (the replayed rows were sealed into a segment, the positions into the MANIFEST): the same
    Golden again = new Golden(dir);
    try {
      FeatureView view = again.registry.view("profile", FeatureView.class);
      // a read seals the buffered rows into a segment, their positions into the MANIFEST
      again.offline.scan(view, 0, EventBatch.MAX_TIME, -1, c -> { });
    } finally {
      again.store.close();
    }
    Golden sealed = new Golden(dir);
    try {
      FeatureView view = sealed.registry.view("profile", FeatureView.class);
      assertEquals(total + 2, sealed.offline.nextSequence(view));
      assertEquals(116, sealed.offline.sourcePosition(view, SOURCE_A));
      assertEquals(8, sealed.offline.sourcePosition(view, SOURCE_B));
      assertEquals(0, sealed.offline.appendFrom(view, batch(28, 30), PUSH2 + MINUTE, SOURCE_A, offsets(114, 2)));
      assertEquals(16, Files.size(dir.resolve("views/profile/wal.log")), "the rows are in segments now");
    } finally {
      sealed.store.close();
    }
  }

  /** Every row of the sourced golden store, exactly, with its times and sequence number. */
  static void assertSourcedRows(Golden g, FeatureView view, int total) {
    TreeMap<Long, LogChunkRow> got = new TreeMap<>();
    g.offline.scan(view, 0, EventBatch.MAX_TIME, -1, c -> {
      for (int r = 0; r < c.size(); r++) {
        assertNull(got.put(c.sequence(r), new LogChunkRow(c, r)), "sequence " + c.sequence(r) + " seen twice");
      }
    });
    assertEquals(total, got.size());
    for (int seq = 0; seq < total; seq++) {
      int i = SOURCED_ROWS[seq];
      LogChunkRow r = got.get((long) seq);
      String at = "sequence " + seq + " (row " + i + ")";
      assertNotNull(r, at);
      assertEquals(EntityKey.of("user_id", user(i)), r.key, at);
      assertEquals(event(i), r.event, at);
      assertEquals(created(i), r.created, at);
      assertEquals(sourcedIngested(seq), r.ingested, at + ": ingested at the store's clock");
      assertRow(row(i), r.values, r.row, at);
    }
    assertEquals("\u65e5\u672c", got.get(21L).values.getString(got.get(21L).row, 3), "row 23 (offset 7)");
    assertEquals(22_995L, got.get(21L).values.getLong(got.get(21L).row, 1, 0));
    assertFalse(got.get(20L).values.isPresent(got.get(20L).row, 3), "row 22 (offset 6): country missing");
  }

  /** The MANIFEST alone holds the positions of the sealed rows: without the WAL they are 110 and 6. */
  @Test
  void theManifestsPositionsLoadWithoutTheLog(@TempDir Path tmp) throws IOException {
    Path dir = copyGolden(GOLDEN_SOURCES, tmp.resolve("store"));
    byte[] wal = Files.readAllBytes(dir.resolve("views/profile/wal.log"));
    Files.write(dir.resolve("views/profile/wal.log"), Arrays.copyOf(wal, 16)); // the header: no record
    Golden g = new Golden(dir);
    try {
      FeatureView view = g.registry.view("profile", FeatureView.class);
      assertEquals(SOURCED_SEALED, g.offline.nextSequence(view));
      assertEquals(110, g.offline.sourcePosition(view, SOURCE_A));
      assertEquals(6, g.offline.sourcePosition(view, SOURCE_B));
      // what the lost records held is appended again from the positions: exactly once
      assertEquals(4, g.offline.appendFrom(view, batch(16, 20), PUSH2, SOURCE_A, offsets(110, 4)));
      assertEquals(2, g.offline.appendFrom(view, batch(20, 24), PUSH2, SOURCE_B, offsets(4, 4)));
      assertEquals(SOURCED_SEALED + 6, g.offline.nextSequence(view));
    } finally {
      g.store.close();
    }
  }

  /**
   * A record whose stream positions decode but whose rows do not, skipped by a salvage-mode open, takes
   * its positions with it: the rows it held are appended again when their source redelivers them (its
   * positions were kept, so the redelivery was skipped: the rows were lost without a word).
   */
  @Test
  void aSalvagedSourcedRecordLeavesItsPositionsBehind(@TempDir Path tmp) throws IOException {
    Path dir = copyGolden(GOLDEN_SOURCES, tmp.resolve("store"));
    Path walFile = dir.resolve("views/profile/wal.log");
    List<byte[]> recs = records(Files.readAllBytes(walFile));
    byte[] damaged = recs.get(1).clone();
    damaged[damaged.length / 2] ^= 0x10; // inside the segment's bytes, after the positions
    recs.set(1, damaged);
    Files.write(walFile, OfflineFormatFuzzTest.buildLog(OfflineFormatFuzzTest.WAL_MAGIC, 1, recs));
    Golden refused = new Golden(dir);
    try {
      FeatureView view = refused.registry.view("profile", FeatureView.class);
      StorageCorruptedException e = org.junit.jupiter.api.Assertions.assertThrows(StorageCorruptedException.class,
          () -> refused.offline.nextSequence(view));
      assertEquals(walFile, e.file(), e.getMessage());
    } finally {
      refused.store.close();
    }
    EmbeddedOfflineStore salvaged = EmbeddedOfflineStore.builder(dir).salvage(true).build();
    try {
      FeatureView view = refused.registry.view("profile", FeatureView.class);
      assertEquals(114, salvaged.sourcePosition(view, SOURCE_A), "the intact record before it");
      assertEquals(6, salvaged.sourcePosition(view, SOURCE_B), "the MANIFEST's: the skipped record's rows are gone");
      assertEquals(2, salvaged.appendFrom(view, batch(20, 24), PUSH2, SOURCE_B, offsets(4, 4)), "appended again");
      assertEquals(8, salvaged.sourcePosition(view, SOURCE_B));
    } finally {
      salvaged.close();
    }
  }

  /**
   * A batch of at least {@link EmbeddedOfflineStore#SEGMENT_BATCH} rows from a source is written as a
   * segment, its position in the manifest that lists it. Rows buffered before it are sealed first, by a
   * manifest of their own, which must not name the batch's position yet: a process that dies between
   * the two manifests (here: the batch's segment cannot be renamed into place) lost the batch, and its
   * source redelivers it after the restart. (That first manifest named the batch's position: the
   * redelivery was skipped, the batch lost without a word.)
   */
  @Test
  void aSegmentBatchsPositionIsStoredOnlyWithItsSegment(@TempDir Path tmp) throws IOException {
    Path dir = tmp.resolve("store");
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(USER);
    registry.apply(profile());
    FeatureView view = registry.view("profile", FeatureView.class);
    org.sieveml.features.internal.FileIo dies = new org.sieveml.features.internal.FileIo() {
      @Override
      public void rename(Path from, Path to) throws IOException {
        if (to.getFileName().toString().equals("seg-000000000002.svs")) {
          throw new IOException("injected: the process dies before the batch's segment is in place");
        }
        org.sieveml.features.internal.FileIo.super.rename(from, to);
      }
    };
    int n = EmbeddedOfflineStore.SEGMENT_BATCH;
    EmbeddedOfflineStore s = EmbeddedOfflineStore.builder(dir).fileIo(dies).build();
    try {
      assertEquals(10, s.appendFrom(view, batch(0, 10), PUSH1, SOURCE_A, offsets(0, 10)), "buffered, in the WAL");
      org.junit.jupiter.api.Assertions.assertThrows(UncheckedIOException.class,
          () -> s.appendFrom(view, batch(10, 10 + n), PUSH1, SOURCE_B, offsets(0, n)));
    } finally {
      s.close();
    }
    EmbeddedOfflineStore again = EmbeddedOfflineStore.builder(dir).build();
    try {
      assertEquals(10, again.nextSequence(view), "the buffered rows were sealed, the batch is lost");
      assertEquals(10, again.sourcePosition(view, SOURCE_A));
      assertEquals(Long.MIN_VALUE, again.sourcePosition(view, SOURCE_B), "no position without its rows");
      assertEquals(n, again.appendFrom(view, batch(10, 10 + n), PUSH1, SOURCE_B, offsets(0, n)), "redelivered");
      assertEquals(n, again.sourcePosition(view, SOURCE_B));
      assertEquals(10 + n, again.storedRows(view));
    } finally {
      again.close();
    }
    EmbeddedOfflineStore reopened = EmbeddedOfflineStore.builder(dir).build();
    try {
      assertEquals(n, reopened.sourcePosition(view, SOURCE_B), "stored in the MANIFEST with the batch's segment");
      assertEquals(10 + n, reopened.nextSequence(view));
      assertEquals(0, reopened.appendFrom(view, batch(10, 20), PUSH1, SOURCE_B, offsets(0, 10)));
    } finally {
      reopened.close();
    }
  }

  @Test
  void theCurrentWriterStillProducesTheSourcedGoldenBytes(@TempDir Path tmp) throws IOException {
    Path fresh = tmp.resolve("fresh");
    writeSourcedGolden(fresh);
    Path golden = goldenSource(GOLDEN_SOURCES);
    assertEquals(relativeFiles(golden), relativeFiles(fresh));
    for (String f : relativeFiles(golden)) {
      assertArrayEquals(Files.readAllBytes(golden.resolve(f)), Files.readAllBytes(fresh.resolve(f)),
          f + " differs from the golden file: the writer changed a format (bump its version and add a new golden "
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
