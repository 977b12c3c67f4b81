package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceTest {

  @TempDir
  Path dir;

  @Test
  void saveLoadRoundTripAndBadFiles() throws Exception {
    SplittableRandom rnd = new SplittableRandom(5);
    HnswVectorIndex index = HnswVectorIndex.builder(8, VectorMetric.INNER_PRODUCT).m(12).efConstruction(80).ef(40).build();
    float[][] vectors = new float[500][8];
    for (int i = 0; i < vectors.length; i++) {
      for (int d = 0; d < 8; d++) {
        vectors[i][d] = (float) rnd.nextGaussian();
      }
      index.add("item-" + i, vectors[i]);
    }
    index.remove("item-7");
    Path file = dir.resolve("index.hnsw");
    index.save(file);
    HnswVectorIndex loaded = HnswVectorIndex.load(file);
    assertEquals(499, loaded.size());
    assertEquals(VectorMetric.INNER_PRODUCT, loaded.metric());
    assertEquals(12, loaded.m());
    assertEquals(40, loaded.defaultEf());
    assertTrue(!loaded.contains("item-7"), "removed items are not saved");
    ExactVectorIndex truth = ExactVectorIndex.create(8, VectorMetric.INNER_PRODUCT);
    for (int i = 0; i < vectors.length; i++) {
      if (i != 7) {
        truth.add("item-" + i, vectors[i]);
      }
    }
    for (int q = 0; q < 20; q++) {
      List<Neighbor> want = truth.search(vectors[q * 3], 1);
      List<Neighbor> got = loaded.search(vectors[q * 3], 1, 200);
      assertEquals(want.get(0).id(), got.get(0).id(), "query " + q);
    }

    byte[] bytes = Files.readAllBytes(file);
    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 0x01;
    Path damaged = dir.resolve("damaged.hnsw");
    Files.write(damaged, flipped);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.load(damaged));
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    Path truncated = dir.resolve("truncated.hnsw");
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 100));
    e = assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.load(truncated));
    assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("damaged"), e.getMessage());
    Path foreign = dir.resolve("foreign.bin");
    Files.write(foreign, new byte[] {(byte) 0xAC, (byte) 0xED, 0, 5, 's', 'r', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    e = assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.load(foreign));
    assertTrue(e.getMessage().contains("not a SieveML HNSW index"), e.getMessage());
    assertArrayEquals(bytes, Files.readAllBytes(file), "loading never writes");
  }

  /**
   * Issue 15: a file with a correct checksum but a crafted count ran out of memory (Integer.MAX_VALUE),
   * loaded as an empty index (-1) or ignored trailing items. Counts are checked against the bytes that
   * follow before anything is allocated, and leftovers are refused.
   */
  @Test
  void craftedCountsWithAValidChecksumAreRefused(@TempDir Path dir) throws Exception {
    HnswVectorIndex index = HnswVectorIndex.builder(2, VectorMetric.L2).build();
    index.add("a", new float[] {0, 0});
    index.add("b", new float[] {1, 0});
    index.add("c", new float[] {2, 0});
    Path file = dir.resolve("small.hnsw");
    index.save(file);
    byte[] good = Files.readAllBytes(file);
    int body = good.length - 12;
    int countAt = nodeCountAt(good);
    assertEquals(3, java.nio.ByteBuffer.wrap(good, countAt, 4).getInt(), "the count field");
    for (int count : new int[] {Integer.MAX_VALUE, 50_000_000, -1, 2}) {
      byte[] bad = good.clone();
      java.nio.ByteBuffer.wrap(bad, countAt, 4).putInt(count);
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(bad, 0, body);
      java.nio.ByteBuffer.wrap(bad, body, 12).putLong(body).putInt((int) crc.getValue());
      Path f = dir.resolve("crafted-" + count + ".hnsw");
      Files.write(f, bad);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.load(f),
          "count " + count);
      assertTrue(e.getMessage().contains("is damaged"), e.getMessage());
    }
    assertEquals(3, HnswVectorIndex.load(file).size());
  }

  /**
   * Issue 15 (found by IndexFileFuzzTest): a checksummed file with a NaN component, M out of the
   * builder's range or a count and dimension whose product overflows a long was refused by exceptions
   * from deeper down that did not name the file (or not at all: the overflow passed the size check).
   * Each is refused naming the file and what is wrong.
   */
  @Test
  void craftedFieldsWithAValidChecksumAreRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    HnswVectorIndex index = HnswVectorIndex.builder(2, VectorMetric.L2).m(6).build();
    index.add("a", new float[] {0, 0});
    Path file = dir.resolve("one.hnsw");
    index.save(file);
    byte[] good = Files.readAllBytes(file);
    int body = good.length - 12;
    int countAt = nodeCountAt(good);
    // after the count: entry, top level, then one node's flags, level and id "a"; then its vector
    int vectorAt = countAt + 4 + 4 + 4 + 1 + 1 + 2 + 1;
    int mAt = 8 + 4 + 4 + 2 + 2; // magic, version, dimension, writeUTF "L2"
    int dimAt = 8 + 4;
    assertEquals(6, java.nio.ByteBuffer.wrap(good, mAt, 4).getInt(), "the M field");
    String[][] cases = {{"nan", "[1] is NaN"}, {"m", "M 1"}, {"overflow", "cannot fit"}};
    for (String[] c : cases) {
      byte[] bad = good.clone();
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bad);
      switch (c[0]) {
        case "nan":
          b.putFloat(vectorAt + 4, Float.NaN);
          break;
        case "m":
          b.putInt(mAt, 1);
          break;
        default: // 2^31 - 1 items of dimension 2^31 - 1: count * (2 + 4 * dim) wraps to a negative long
          b.putInt(countAt, Integer.MAX_VALUE);
          b.putInt(dimAt, Integer.MAX_VALUE);
          break;
      }
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(bad, 0, body);
      b.putLong(body, body).putInt(body + 8, (int) crc.getValue());
      Path f = dir.resolve(c[0] + ".hnsw");
      Files.write(f, bad);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.load(f), c[0]);
      assertTrue(e.getMessage().startsWith(f + " is damaged") && e.getMessage().contains(c[1]), e.getMessage());
    }
  }

  /**
   * Where the node count of a format-2 file sits: after magic, version, dimension, metric, M,
   * efConstruction, ef, target recall, seed, the quantization, the tuning record and the size at tuning.
   */
  static int nodeCountAt(byte[] file) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(file);
    b.position(8);
    assertEquals(2, b.getInt(), "format version");
    b.getInt();
    b.position(b.position() + 2 + (b.getShort(b.position()) & 0xffff));
    b.position(b.position() + 4 + 4 + 4 + 8 + 8);
    if (b.get() == 1) { // int8 bounds
      b.position(b.position() + 8);
    }
    if (b.get() == 1) {
      b.position(b.position() + 4 + 8 + 8 + 4 + 4 + 1);
    }
    b.getInt();
    return b.position();
  }
}
