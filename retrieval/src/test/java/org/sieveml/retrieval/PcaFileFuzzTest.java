package org.sieveml.retrieval;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Coverage-guided fuzz target (Jazzer) of {@link PcaEmbeddingModel#load}: every input ends in an
 * {@link IllegalArgumentException} naming the file (not a PCA model, another version, truncated, failing its
 * checksum, impossible sizes, non-finite weights) or in a model that embeds to finite values of its declared
 * dimension and saves and loads again equal. Anything else (OutOfMemoryError from a crafted length,
 * NullPointerException, IndexOutOfBoundsException, ...) propagates and Jazzer reports it.
 *
 * <p>Input encoding as {@link IndexFileFuzzTest}: the first byte's parity chooses the file as is (even) or the
 * rest sealed with a valid length and CRC32C trailer (odd), so the fuzzer reaches the decoder behind the
 * checksum. Seeds ({@code src/test/resources/org/sieveml/retrieval/PcaFileFuzzTestInputs/loadPcaFile/}): the
 * golden {@code pca-v1/whitened.pca} in both modes. {@code mvn verify} replays them; {@code .ci/run} fuzzes for
 * real on a 256 MiB heap; by hand:
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -o -B test -pl retrieval -Dtest='PcaFileFuzzTest#loadPcaFile' -DargLine=-Xmx256m
 * </pre>
 */
class PcaFileFuzzTest {

  @TempDir
  static Path dir;

  @FuzzTest(maxDuration = "20s")
  void loadPcaFile(byte[] input) throws IOException {
    Path file = dir.resolve("fuzzed.pca");
    Files.write(file, IndexFileFuzzTest.fileOf(input));
    PcaEmbeddingModel model;
    try {
      model = PcaEmbeddingModel.load(file);
    } catch (IllegalArgumentException e) {
      IndexFileFuzzTest.requireClear(e, file);
      return;
    }
    int in = model.inputDimension();
    int out = model.dimension();
    if (in <= 0 || out <= 0 || out > in) {
      throw new AssertionError("loaded a model of " + in + " -> " + out);
    }
    if (in <= 1 << 16) {
      float[] x = new float[in];
      for (int d = 0; d < in; d++) {
        x[d] = 1f / (d + 1);
      }
      float[] y = model.embed(x);
      if (y.length != out) {
        throw new AssertionError("embedded to " + y.length + " values, declared " + out);
      }
      Path again = file.resolveSibling("resaved.pca");
      model.save(again);
      float[] z = PcaEmbeddingModel.load(again).embed(x);
      if (!java.util.Arrays.equals(y, z)) {
        throw new AssertionError("a saved and loaded model embeds differently");
      }
    }
  }
}
