package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed golden files {@code src/test/resources/golden/hnsw-v1/} (the file
 * {@link HnswVectorIndex#save} writes, format version 1; one file per metric, since the metric is stored
 * by name) still load with the current code, byte for byte as documented below, and answer queries
 * exactly as they did. {@link ExactVectorIndex} has no persisted format of its own (it is not saved), so
 * the HNSW file is the retrieval module's only one.
 *
 * <p>Golden files are kept forever. When the format changes on purpose, the new version gets a new
 * directory {@code golden/hnsw-v<N>/} (and {@link #currentWriterReproducesTheGoldenBytes} moves to it);
 * the old files must then still load or be refused naming their version, as
 * {@link #unknownFormatVersionsAreRefusedNamingTheVersion} checks for versions that do not exist.
 *
 * <p>Regenerate (only when the format version changes on purpose; the generator is deterministic, a
 * rerun writes the same bytes):
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -B test -pl retrieval -Dtest=IndexFormatTest \
 *     -Dsieveml.golden.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * <p>What the generator writes (and the test expects): for each metric, an index of dimension
 * {@value #DIM} with its own M, efConstruction and ef ({@link Golden}), and the {@link #IDS} added one by
 * one in order, item {@code i} with the vector {@link #vector(int)}. The ids cover what
 * {@code DataOutputStream.writeUTF} (modified UTF-8) encodes specially: the empty id, non-ASCII, a
 * supplementary character (two surrogates of three bytes each) and NUL (two bytes, C0 80).
 *
 * <p>Layout of format version 1, all integers big-endian: {@code "SVMLHNS1"}, int version, int dimension,
 * writeUTF metric name, int M, int efConstruction, int ef, int count, then per item writeUTF id and
 * {@code dimension} floats; then a trailer of long body length and int CRC32C of the body.
 */
class IndexFormatTest {

  static final String GOLDEN = "golden/hnsw-v1";
  /** Format version 2 (issue 18): the graph itself is saved. Written by today's writer. */
  static final String GOLDEN_V2 = "golden/hnsw-v2";
  static final int DIM = 4;
  static final List<String> IDS = List.of("item-0", "item-1", "item-2", "item-3", "item-4", "item-5", "item-6",
      "item-7", "item-8", "item-9", "", "\u00fc-\u65e5\u672c", "emoji-\uD83D\uDE00", "nul\u0000id");
  static final int HEADER = 8 + 4 + 4; // magic, version, dimension: the version field is at offset 8

  /** The golden files: one per metric, each with its own parameters (so their order in the file is pinned). */
  enum Golden {
    L2(VectorMetric.L2, 6, 40, 10),
    COSINE(VectorMetric.COSINE, 8, 50, 12),
    INNER_PRODUCT(VectorMetric.INNER_PRODUCT, 4, 30, 16);

    final VectorMetric metric;
    final int m;
    final int efConstruction;
    final int ef;

    Golden(VectorMetric metric, int m, int efConstruction, int ef) {
      this.metric = metric;
      this.m = m;
      this.efConstruction = efConstruction;
      this.ef = ef;
    }

    String fileName() {
      return name().toLowerCase(java.util.Locale.ROOT) + ".hnsw";
    }
  }

  /**
   * Item i's vector as added: multiples of 0.25 in [-1.5, 1.5], exact in float, never all zero; items 0 and
   * 13 share a vector (ties are broken by id).
   */
  static float[] vector(int i) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = ((i * 5 + d * 3) % 13 - 6) * 0.25f;
    }
    return v;
  }

  /** Item i's vector as stored: as added, or under COSINE normalized in double precision and rounded once. */
  static float[] stored(Golden g, int i) {
    float[] v = vector(i);
    if (g.metric != VectorMetric.COSINE) {
      return v;
    }
    double n = 0;
    for (float x : v) {
      n += (double) x * x;
    }
    double norm = Math.sqrt(n);
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) (v[d] / norm);
    }
    return v;
  }

  static final float[][] QUERIES = {{0.5f, -0.25f, 1f, 0f}, {-1f, 0.75f, 0.25f, -0.5f}, {0.25f, 0.25f, 0.25f, 0.25f}};

  /**
   * The 4 nearest items to each of {@link #QUERIES}, with their distances, per golden file, as the
   * version that wrote the files answered (distances under L2 and INNER_PRODUCT are exact in float; ties
   * are broken by id).
   */
  static List<List<Neighbor>> expectedResults(Golden g) {
    switch (g) {
      case L2:
        return List.of(
            List.of(n("item-9", 2.5f), n("item-1", 2.75f), n("item-5", 3.375f), n("item-6", 3.5f)),
            List.of(n("item-6", 2.0625f), n("item-1", 2.1875f), n("item-9", 2.8125f), n("item-8", 3.875f)),
            List.of(n("item-3", 2.875f), n("\u00fc-\u65e5\u672c", 2.875f), n("item-8", 3.375f),
                n("item-5", 3.4375f)));
      case COSINE:
        return List.of(
            List.of(n("item-9", 0.4132613f), n("item-1", 0.52920806f), n("item-5", 0.65315604f),
                n("item-6", 0.6820597f)),
            List.of(n("item-6", 0.3470714f), n("item-1", 0.38454258f), n("item-9", 0.46234667f),
                n("item-0", 0.77639323f)),
            List.of(n("\u00fc-\u65e5\u672c", 0.5917517f), n("item-9", 0.67990786f), n("item-7", 0.74599975f),
                n("item-5", 0.80132014f)));
      case INNER_PRODUCT:
        return List.of(
            List.of(n("item-9", -0.3125f), n("item-1", 0.0f), n("item-5", 0.25f), n("item-6", 0.3125f)),
            List.of(n("item-6", -0.6875f), n("item-1", -0.5625f), n("item-9", -0.4375f), n("item-0", 0.4375f)),
            List.of(n("\u00fc-\u65e5\u672c", 0.625f), n("item-9", 0.6875f), n("item-7", 0.75f),
                n("item-5", 0.8125f)));
      default:
        throw new AssertionError(g);
    }
  }

  private static Neighbor n(String id, float distance) {
    return new Neighbor(id, distance);
  }

  /** Builds the golden index of {@code g} the way the generator does. */
  static HnswVectorIndex build(Golden g) {
    HnswVectorIndex index = HnswVectorIndex.builder(DIM, g.metric).m(g.m).efConstruction(g.efConstruction).ef(g.ef)
        .build();
    for (int i = 0; i < IDS.size(); i++) {
      index.add(IDS.get(i), vector(i));
    }
    return index;
  }

  /** Writes every golden file into {@code dir}. */
  static void writeGolden(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Golden g : Golden.values()) {
      build(g).save(dir.resolve(g.fileName()));
    }
  }

  static Path goldenSource() {
    return goldenSource(GOLDEN);
  }

  static Path goldenSource(String dir) {
    URL u = IndexFormatTest.class.getClassLoader().getResource(dir);
    assertNotNull(u, "golden directory " + dir + " is not on the test class path");
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] golden(Golden g) throws IOException {
    return Files.readAllBytes(goldenSource().resolve(g.fileName()));
  }

  static byte[] golden(String dir, Golden g) throws IOException {
    return Files.readAllBytes(goldenSource(dir).resolve(g.fileName()));
  }

  /** The file with its trailer (body length and CRC32C) recomputed over its body. */
  static byte[] reseal(byte[] file) {
    int body = file.length - 12;
    byte[] out = file.clone();
    CRC32C crc = new CRC32C();
    crc.update(out, 0, body);
    ByteBuffer.wrap(out, body, 12).putLong(body).putInt((int) crc.getValue());
    return out;
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateGoldenFiles() throws IOException {
    // version 1 files are kept as written by the version-1 writer; today's writer writes version 2
    Path target = Path.of("src/test/resources").resolve(GOLDEN_V2).toAbsolutePath();
    writeGolden(target);
    System.out.println("wrote " + target);
  }

  @Test
  void goldenDirectoryHoldsOneSmallFilePerMetric() throws IOException {
    List<String> files = new ArrayList<>();
    try (var s = Files.list(goldenSource())) {
      s.forEach(p -> files.add(p.getFileName().toString()));
    }
    files.sort(null);
    assertEquals(List.of("cosine.hnsw", "inner_product.hnsw", "l2.hnsw"), files);
    for (Golden g : Golden.values()) {
      assertTrue(golden(g).length < 4_096, g + " takes " + golden(g).length + " bytes");
    }
  }

  /** An independent reading of the documented layout: every field of every golden file, exactly. */
  @Test
  void goldenFilesHoldExactlyTheDocumentedFields() throws IOException {
    for (Golden g : Golden.values()) {
      byte[] file = golden(g);
      int body = file.length - 12;
      ByteBuffer trailer = ByteBuffer.wrap(file, body, 12);
      assertEquals(body, trailer.getLong(), g + ": trailer length");
      CRC32C crc = new CRC32C();
      crc.update(file, 0, body);
      assertEquals((int) crc.getValue(), trailer.getInt(), g + ": trailer CRC32C");
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(file, 0, body));
      assertEquals("SVMLHNS1", new String(in.readNBytes(8), StandardCharsets.US_ASCII), g + ": magic");
      assertEquals(1, in.readInt(), g + ": format version");
      assertEquals(DIM, in.readInt(), g + ": dimension");
      assertEquals(g.metric.name(), in.readUTF(), g + ": metric");
      assertEquals(g.m, in.readInt(), g + ": M");
      assertEquals(g.efConstruction, in.readInt(), g + ": efConstruction");
      assertEquals(g.ef, in.readInt(), g + ": ef");
      assertEquals(IDS.size(), in.readInt(), g + ": count");
      for (int i = 0; i < IDS.size(); i++) {
        assertEquals(IDS.get(i), in.readUTF(), g + ": id " + i);
        float[] v = new float[DIM];
        for (int d = 0; d < DIM; d++) {
          v[d] = in.readFloat();
        }
        assertArrayEquals(stored(g, i), v, 0f, g + ": vector of " + IDS.get(i));
      }
      assertEquals(0, in.available(), g + ": nothing follows the items");
    }
    // modified UTF-8, as writeUTF writes it: NUL is C0 80, the emoji two 3-byte surrogates
    byte[] l2 = golden(Golden.L2);
    assertTrue(indexOf(l2, new byte[] {'n', 'u', 'l', (byte) 0xC0, (byte) 0x80, 'i', 'd'}) > 0, "NUL as C0 80");
    assertTrue(indexOf(l2, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0xBD, (byte) 0xED, (byte) 0xB8,
        (byte) 0x80}) > 0, "the emoji as two surrogates");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void goldenFilesLoadWithTheirParametersItemsAndSearchResults(@TempDir Path tmp) throws IOException {
    for (String dir : List.of(GOLDEN, GOLDEN_V2)) {
      Path sub = Files.createDirectories(tmp.resolve(dir.replace('/', '-')));
      goldenFilesLoad(dir, sub);
    }
  }

  private void goldenFilesLoad(String dir, Path tmp) throws IOException {
    for (Golden g : Golden.values()) {
      Path file = tmp.resolve(g.fileName());
      Files.write(file, golden(dir, g));
      HnswVectorIndex index = HnswVectorIndex.load(file);
      assertEquals(DIM, index.dimension(), g + ": dimension");
      assertEquals(g.metric, index.metric(), g + ": metric");
      assertEquals(g.m, index.m(), g + ": M");
      assertEquals(g.efConstruction, index.efConstruction(), g + ": efConstruction");
      assertEquals(g.ef, index.defaultEf(), g + ": ef");
      assertEquals(IDS.size(), index.size(), g + ": size");
      assertEquals(0, index.tombstones(), g + ": tombstones");
      for (int i = 0; i < IDS.size(); i++) {
        assertTrue(index.contains(IDS.get(i)), g + ": contains " + IDS.get(i));
        // each item is found at its own stored vector, at distance 0 (L2, COSINE) or 1 - |v|^2 (INNER_PRODUCT)
        float[] v = stored(g, i);
        float self = g.metric == VectorMetric.INNER_PRODUCT
            ? 1f - (v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + v[3] * v[3]) : 0f;
        String id = IDS.get(i);
        Neighbor found = index.search(v, IDS.size(), IDS.size()).stream().filter(nb -> nb.id().equals(id)).findFirst()
            .orElseThrow(() -> new AssertionError(g + ": " + id + " not found"));
        assertEquals(self, found.distance(), g.metric == VectorMetric.COSINE ? 1e-6f : 0f, g + ": " + id);
      }
      List<List<Neighbor>> want = expectedResults(g);
      for (int q = 0; q < QUERIES.length; q++) {
        // ef = size: the graph of 14 items is searched exhaustively, so the answer is exact
        List<Neighbor> got = index.search(QUERIES[q], 4, IDS.size());
        assertEquals(4, got.size(), g + ": query " + q);
        for (int r = 0; r < 4; r++) {
          Neighbor w = want.get(q).get(r);
          assertEquals(w.id(), got.get(r).id(), g + ": query " + q + " rank " + r + " " + got);
          // L2 and INNER_PRODUCT distances of these vectors are exact in float; COSINE's are not (SIMD or not)
          assertEquals(w.distance(), got.get(r).distance(), g.metric == VectorMetric.COSINE ? 1e-6f : 0f,
              g + ": query " + q + " rank " + r);
        }
      }
      assertArrayEquals(golden(dir, g), Files.readAllBytes(file), "loading never writes");
    }
  }

  /**
   * The current writer produces exactly the golden bytes: a change to what {@code save} writes fails
   * here and needs a new format version (and a new golden directory) instead of a silent change.
   */
  @Test
  void currentWriterReproducesTheGoldenBytes(@TempDir Path tmp) throws IOException {
    writeGolden(tmp);
    for (Golden g : Golden.values()) {
      assertArrayEquals(golden(GOLDEN_V2, g), Files.readAllBytes(tmp.resolve(g.fileName())),
          g + ": bytes written today");
    }
  }

  @Test
  void unknownFormatVersionsAreRefusedNamingTheVersion(@TempDir Path tmp) throws IOException {
    byte[] good = golden(Golden.L2);
    assertEquals(1, ByteBuffer.wrap(good, 8, 4).getInt(), "the version field");
    for (int version : new int[] {3, 0, 99, -1, Integer.MAX_VALUE}) {
      byte[] bad = good.clone();
      ByteBuffer.wrap(bad, 8, 4).putInt(version);
      Path file = tmp.resolve("v" + version + ".hnsw");
      Files.write(file, reseal(bad)); // a valid checksum: the version itself is refused
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.load(file));
      assertTrue(e.getMessage().contains("format version " + version) && e.getMessage().contains(file.toString()),
          e.getMessage());
    }
  }

  /**
   * Version 2's header, read independently of the loader: the fields the layout of
   * {@code internal.hnsw.HnswFormat} documents, and one node per item (no removals in these files).
   */
  @Test
  void version2FilesHoldTheDocumentedHeader() throws IOException {
    for (Golden g : Golden.values()) {
      ByteBuffer b = ByteBuffer.wrap(golden(GOLDEN_V2, g));
      b.position(8);
      assertEquals(2, b.getInt(), g + ": version");
      assertEquals(DIM, b.getInt(), g + ": dimension");
      byte[] name = new byte[b.getShort()];
      b.get(name);
      assertEquals(g.metric.name(), new String(name, StandardCharsets.US_ASCII), g + ": metric");
      assertEquals(g.m, b.getInt(), g + ": M");
      assertEquals(g.efConstruction, b.getInt(), g + ": efConstruction");
      assertEquals(g.ef, b.getInt(), g + ": ef");
      assertTrue(Double.isNaN(b.getDouble()), g + ": a fixed ef has no target recall");
      b.getLong(); // the level seed
      assertEquals(0, b.get(), g + ": float vectors, not int8");
      assertEquals(0, b.get(), g + ": never tuned");
      assertEquals(0, b.getInt(), g + ": size at tuning");
      assertEquals(IDS.size(), b.getInt(), g + ": nodes");
      int entry = b.getInt();
      int top = b.getInt();
      assertTrue(entry >= 0 && entry < IDS.size() && top >= 0, g + ": entry " + entry + " level " + top);
      for (int i = 0; i < IDS.size(); i++) {
        assertEquals(0, b.get(), g + ": node " + i + " flags");
        int level = b.get();
        assertTrue(level >= 0 && level <= top, g + ": node " + i + " level");
        int len = b.getShort() & 0xffff;
        b.position(b.position() + len);
      }
      for (int i = 0; i < IDS.size(); i++) {
        float[] v = stored(g, i);
        for (int d = 0; d < DIM; d++) {
          assertEquals(v[d], b.getFloat(), g.metric == VectorMetric.COSINE ? 1e-7f : 0f, g + ": node " + i);
        }
      }
    }
  }
}
