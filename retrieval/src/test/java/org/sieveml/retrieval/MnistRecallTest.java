package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recall@10 on real vectors: MNIST's 10,000 test images (784 dimensions), the first 9,000 as the index
 * and the last 1,000 as queries, with the builder's default parameters. Reads
 * {@code ann-mnist-t10k} from the data directory ({@code sieveml.data.dir}, {@code SIEVEML_DATA_DIR},
 * default {@code ../shared/data}); skipped only where that directory is absent.
 */
class MnistRecallTest {

  private static final Logger LOG = LoggerFactory.getLogger(MnistRecallTest.class);

  static Path dataDir() {
    String d = System.getProperty("sieveml.data.dir");
    if (d == null) {
      d = System.getenv("SIEVEML_DATA_DIR");
    }
    return Path.of(d == null ? "../shared/data" : d);
  }

  static float[][] images(Path file) throws IOException {
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(raw)))) {
      int magic = in.readInt();
      if (magic != 0x803) {
        throw new IOException(file + ": not an idx3 image file (magic " + Integer.toHexString(magic) + ")");
      }
      int n = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      float[][] out = new float[n][rows * cols];
      for (int i = 0; i < n; i++) {
        for (int p = 0; p < rows * cols; p++) {
          out[i][p] = in.readUnsignedByte();
        }
      }
      return out;
    }
  }

  @Test
  void recallAtTenWithDefaultParameters() throws IOException, InterruptedException {
    Path file = dataDir().resolve("ann-mnist-t10k/t10k-images-idx3-ubyte.gz");
    Assumptions.assumeTrue(Files.exists(file), "MNIST not found at " + file);
    float[][] img = images(file);
    HnswVectorIndex hnsw = HnswVectorIndex.builder(784, VectorMetric.L2).initialCapacity(9_000).build();
    ExactVectorIndex exact = ExactVectorIndex.create(784, VectorMetric.L2);
    for (int i = 0; i < 9_000; i++) {
      hnsw.add(Integer.toString(i), img[i]);
      exact.add(Integer.toString(i), img[i]);
    }
    List<float[]> queries = new ArrayList<>();
    for (int i = 9_000; i < 10_000; i++) {
      queries.add(img[i]);
    }
    // added one by one: the index re-tuned itself in the background as it grew; wait for the last tuning
    assertTrue(hnsw.awaitMaintenance(java.time.Duration.ofMinutes(2)), "background tuning finished");
    assertTrue(hnsw.tuning() != null && hnsw.tuning().queries() > 0, "tuned while growing: " + hnsw.tuning());
    double recall = Recall.atK(hnsw, exact, queries, 10, hnsw.defaultEf());
    LOG.info("MNIST 9,000 x 784, 1,000 queries: recall@10 = {} (M {}, efConstruction {}, ef {})", recall, hnsw.m(),
        hnsw.efConstruction(), hnsw.defaultEf());
    assertTrue(recall >= 0.95, "recall@10 on MNIST with default parameters was " + recall);
  }
}
