package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzz target (Jazzer) of {@link HnswVectorIndex#load}, the retrieval module's only file
 * loader.
 *
 * <p>Contract checked for every input: the load ends in an {@link IllegalArgumentException} whose message
 * names the file (the documented refusal of a file that is not an index, has another version, is
 * truncated, fails its checksum or is damaged), or in an index that works: it answers searches (plain,
 * with an ef, filtered), and saves and loads again to the same parameters and size. Any other throwable
 * (NullPointerException, OutOfMemoryError, IndexOutOfBoundsException, ...) propagates and Jazzer reports
 * it.
 *
 * <p>Input encoding: the first byte chooses the mode, the rest is the content.
 * <ul>
 *   <li>even: the rest is written as the file, as is (the header, length and checksum checks);
 *   <li>odd: the rest is the file's body, followed by a trailer with its correct length and CRC32C, so
 *       the fuzzer gets past the checksum to the decoder behind it.
 * </ul>
 *
 * <p>Seeds ({@code src/test/resources/org/sieveml/retrieval/IndexFileFuzzTestInputs/loadIndexFile/}): the
 * golden files of {@link IndexFormatTest}, each in both modes, all of which load. A plain {@code mvn
 * verify} replays them (and any committed regression inputs); to fuzz for real:
 *
 * <pre>
 * JAZZER_FUZZ=1 flock /tmp/sieveml-build.lock mvn -o -B test -pl retrieval \
 *     -Dtest='IndexFileFuzzTest#loadIndexFile' -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Xmx256m
 * </pre>
 *
 * Findings are written next to the seeds as {@code crash-*}; keep one, renamed after what it shows, as a
 * regression input once the loader is fixed. Regenerate the seeds from the golden files with {@code
 * -Dtest=IndexFileFuzzTest#regenerateSeeds -Dsieveml.golden.write=true}.
 */
class IndexFileFuzzTest {
  static final String SEEDS = "org/sieveml/retrieval/IndexFileFuzzTestInputs/loadIndexFile";
  /** Searches use a query only up to this dimension: an empty index may declare any dimension. */
  static final int MAX_QUERY_DIMENSION = 1 << 16;

  @TempDir
  static Path dir;

  /** The file an input becomes: {@code input[0]} even writes the rest as is, odd adds a valid trailer. */
  static byte[] fileOf(byte[] input) {
    if (input.length == 0) {
      return input;
    }
    byte[] rest = Arrays.copyOfRange(input, 1, input.length);
    if ((input[0] & 1) == 0) {
      return rest;
    }
    CRC32C crc = new CRC32C();
    crc.update(rest);
    return ByteBuffer.allocate(rest.length + 12).put(rest).putLong(rest.length).putInt((int) crc.getValue()).array();
  }

  /** The input that {@link #fileOf} turns into {@code file}: raw, or (sealed) its body if its trailer is valid. */
  static byte[] inputOf(byte[] file, boolean sealed) {
    byte[] body = sealed ? Arrays.copyOf(file, file.length - 12) : file;
    byte[] input = new byte[body.length + 1];
    input[0] = (byte) (sealed ? 1 : 0);
    System.arraycopy(body, 0, input, 1, body.length);
    return input;
  }

  @FuzzTest(maxDuration = "20s")
  void loadIndexFile(byte[] input) throws IOException {
    Path file = dir.resolve("fuzzed.hnsw");
    Files.write(file, fileOf(input));
    HnswVectorIndex index;
    try {
      index = HnswVectorIndex.load(file);
    } catch (IllegalArgumentException e) {
      requireClear(e, file);
      return;
    }
    use(index, file);
  }

  /** The documented refusal names the file it refuses; a bare message from deeper down is a finding. */
  static void requireClear(IllegalArgumentException e, Path file) {
    if (e.getMessage() == null || !e.getMessage().contains(file.toString())) {
      throw new AssertionError("refused without naming the file: " + e, e);
    }
  }

  /** A loaded index answers queries and round-trips through save and load; a failure here is a finding. */
  static void use(HnswVectorIndex index, Path file) {
    int n = index.size();
    int dim = index.dimension();
    if (n < 0 || dim <= 0) {
      throw new AssertionError("loaded an index of size " + n + " and dimension " + dim);
    }
    if (dim <= MAX_QUERY_DIMENSION) {
      float[] q = new float[dim];
      for (int d = 0; d < dim; d++) {
        q[d] = 1f / (d + 1);
      }
      List<Neighbor> top = index.search(q, 3);
      List<Neighbor> wide = index.search(q, 5, 64);
      List<Neighbor> even = index.search(q, 2, 16, id -> id.length() % 2 == 0);
      if (top.size() != Math.min(3, n) || wide.size() != Math.min(5, n) || even.size() > Math.min(2, n)) {
        throw new AssertionError("an index of " + n + " items answered " + top + ", " + wide + ", " + even);
      }
      for (Neighbor nb : wide) {
        if (!index.contains(nb.id()) || !Float.isFinite(nb.distance())) {
          throw new AssertionError("search returned " + nb + " from an index of " + n + " items");
        }
      }
    }
    Path again = file.resolveSibling("resaved.hnsw");
    index.save(again);
    HnswVectorIndex back = HnswVectorIndex.load(again);
    if (back.size() != n || back.dimension() != dim || back.metric() != index.metric() || back.m() != index.m()
        || back.efConstruction() != index.efConstruction() || back.defaultEf() != index.defaultEf()) {
      throw new AssertionError("saving and loading again changed the index: " + n + " items of dimension " + dim
          + " became " + back.size() + " of dimension " + back.dimension());
    }
  }

  static Path seedSource() {
    URL u = IndexFileFuzzTest.class.getClassLoader().getResource(SEEDS);
    if (u == null) {
      throw new AssertionError("seed directory " + SEEDS + " is not on the test class path");
    }
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Path> seeds() throws IOException {
    try (Stream<Path> s = Files.list(seedSource())) {
      List<Path> out = new ArrayList<>();
      s.filter(Files::isRegularFile).forEach(out::add);
      out.sort(null);
      return out;
    }
  }

  /** Every seed generated from a golden file loads, in both modes, and is small. */
  @Test
  void everyGoldenSeedLoads(@TempDir Path tmp) throws IOException {
    int golden = 0;
    for (Path seed : seeds()) {
      String name = seed.getFileName().toString();
      if (!name.startsWith("golden-")) {
        continue; // a regression input kept from a finding: the fuzz target replays it
      }
      byte[] input = Files.readAllBytes(seed);
      assertTrue(input.length < 64 * 1024, name + " takes " + input.length + " bytes");
      Path file = tmp.resolve(name + ".hnsw");
      Files.write(file, fileOf(input));
      HnswVectorIndex index = HnswVectorIndex.load(file);
      assertEquals(IndexFormatTest.IDS.size(), index.size(), name);
      use(index, file);
      golden++;
    }
    assertEquals(4 * IndexFormatTest.Golden.values().length, golden,
        "one raw and one sealed seed per golden file of versions 1 and 2");
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateSeeds() throws IOException {
    Path target = Path.of("src/test/resources").resolve(SEEDS).toAbsolutePath();
    Files.createDirectories(target);
    for (IndexFormatTest.Golden g : IndexFormatTest.Golden.values()) {
      for (String dir : List.of(IndexFormatTest.GOLDEN, IndexFormatTest.GOLDEN_V2)) {
        byte[] file = IndexFormatTest.golden(dir, g);
        // version 1 seeds keep their names; version 2 (the graph) seeds are named v2-*
        String base = (dir.equals(IndexFormatTest.GOLDEN) ? "golden-" : "golden-v2-") + g.fileName().replace(".hnsw", "");
        Files.write(target.resolve(base + "-raw"), inputOf(file, false));
        Files.write(target.resolve(base + "-sealed"), inputOf(file, true));
      }
    }
    System.out.println("wrote " + target);
  }

}
