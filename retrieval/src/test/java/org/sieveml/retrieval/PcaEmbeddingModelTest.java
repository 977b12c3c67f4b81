package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.retrieval.internal.embed.SymmetricEigen;

/**
 * The fitted PCA embedding: the eigen-solver against the definition, planted principal directions and
 * variances recovered, whitened embeddings of the fitted rows with identity covariance, the saved file read
 * back bit for bit (and refused when corrupt or truncated), determinism for a seed.
 */
class PcaEmbeddingModelTest {
  @TempDir Path dir;

  /** What the golden model gave for {@link #GOLDEN_QUERY} when the file was written. */
  static final float[] GOLDEN_EMBEDDING = {0.05401632f, -1.2101456f, -0.83088654f};

  @Test
  void eigenDecompositionSatisfiesTheDefinition() {
    SplittableRandom r = new SplittableRandom(1);
    int n = 60;
    double[][] a = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        a[i][j] = r.nextGaussian();
        a[j][i] = a[i][j];
      }
    }
    SymmetricEigen.Result e = SymmetricEigen.decompose(a);
    for (int k = 0; k < n; k++) {
      if (k > 0) {
        assertTrue(e.values()[k] <= e.values()[k - 1], "largest first");
      }
      double[] v = e.vectors()[k];
      double resid = 0;
      for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < n; j++) {
          s += a[i][j] * v[j];
        }
        resid = Math.max(resid, Math.abs(s - e.values()[k] * v[i]));
      }
      assertTrue(resid < 1e-9, "|A v - lambda v| = " + resid + " for eigenvalue " + k);
      for (int m = 0; m <= k; m++) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
          dot += v[i] * e.vectors()[m][i];
        }
        assertEquals(m == k ? 1 : 0, dot, 1e-9, "orthonormal " + m + "," + k);
      }
    }
  }

  /** Rows {@code mean + sum_c sd_c z_c u_c} over an orthonormal basis {@code u} (a seeded rotation). */
  static float[][] planted(int rows, double[] sd, double[][] basis, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int d = basis[0].length;
    float[][] x = new float[rows][d];
    for (int n = 0; n < rows; n++) {
      for (int c = 0; c < sd.length; c++) {
        double z = sd[c] * r.nextGaussian();
        for (int i = 0; i < d; i++) {
          x[n][i] += (float) (z * basis[c][i]);
        }
      }
      for (int i = 0; i < d; i++) {
        x[n][i] += 3 + i;
      }
    }
    return x;
  }

  static double[][] basis(int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] b = new double[d][d];
    for (int c = 0; c < d; c++) {
      for (int i = 0; i < d; i++) {
        b[c][i] = r.nextGaussian();
      }
      for (int p = 0; p < c; p++) {
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += b[c][i] * b[p][i];
        }
        for (int i = 0; i < d; i++) {
          b[c][i] -= dot * b[p][i];
        }
      }
      double norm = 0;
      for (int i = 0; i < d; i++) {
        norm += b[c][i] * b[c][i];
      }
      for (int i = 0; i < d; i++) {
        b[c][i] /= Math.sqrt(norm);
      }
    }
    return b;
  }

  @Test
  void recoversPlantedDirectionsAndWhitensToIdentityCovariance() {
    int d = 12;
    double[] sd = {10, 5, 2, 0.5, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    double[][] u = basis(d, 3);
    float[][] x = planted(5000, sd, u, 4);
    PcaEmbeddingModel pca = PcaEmbeddingModel.builder(3).fit(x);
    float[][] w = pca.weights();
    for (int c = 0; c < 3; c++) {
      double cos = 0;
      for (int i = 0; i < d; i++) {
        cos += w[c][i] * u[c][i];
      }
      assertTrue(Math.abs(Math.abs(cos) - 1) < 1e-3, "component " + c + " |cos| with the planted direction: " + cos);
      assertEquals(sd[c] * sd[c], pca.eigenvalues()[c], 0.06 * sd[c] * sd[c], "variance of component " + c);
    }
    assertTrue(pca.explainedVarianceRatio() > 0.99, pca.toString());

    PcaEmbeddingModel white = PcaEmbeddingModel.builder(4).whiten(true).fit(x);
    float[][] e = white.embed(x);
    for (int a = 0; a < 4; a++) {
      double ma = 0;
      for (float[] row : e) {
        ma += row[a];
      }
      assertEquals(0, ma / e.length, 1e-3, "mean of component " + a);
      for (int b = 0; b <= a; b++) {
        double s = 0;
        for (float[] row : e) {
          s += (double) row[a] * row[b];
        }
        assertEquals(a == b ? 1 : 0, s / (e.length - 1), 1e-3, "covariance " + a + "," + b);
      }
    }
    // W x + b is the embedding
    float[] bias = white.bias();
    float[][] ww = white.weights();
    for (int n = 0; n < 20; n++) {
      for (int c = 0; c < 4; c++) {
        double s = bias[c];
        for (int i = 0; i < d; i++) {
          s += (double) ww[c][i] * x[n][i];
        }
        assertEquals(s, e[n][c], 1e-4, "row " + n + " component " + c);
      }
    }
  }

  @Test
  void savedModelLoadsBackBitForBitAndCorruptionIsRefused() throws Exception {
    float[][] x = planted(800, new double[] {4, 2, 1, 0.5, 0.2, 0.1}, basis(6, 5), 6);
    PcaEmbeddingModel pca = PcaEmbeddingModel.builder(3).whiten(true).whitenRegularization(1e-3).sampleSize(500)
        .seed(9).fit(x);
    Path file = dir.resolve("pca.bin");
    pca.save(file);
    PcaEmbeddingModel back = PcaEmbeddingModel.load(file);
    assertEquals(pca.toString(), back.toString());
    for (float[] row : x) {
      assertArrayEquals(pca.embed(row), back.embed(row));
    }
    assertEquals(500, back.fittedRows());
    assertTrue(back.whitened() && back.centered());

    byte[] bytes = Files.readAllBytes(file);
    byte[] flipped = bytes.clone();
    flipped[40] ^= 1;
    Path bad = dir.resolve("flipped.bin");
    Files.write(bad, flipped);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.load(bad));
    assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
    Path cut = dir.resolve("cut.bin");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length - 5));
    e = assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.load(cut));
    assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("CRC32C"), e.getMessage());
    Path other = dir.resolve("other.bin");
    Files.writeString(other, "not a model at all");
    e = assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.load(other));
    assertTrue(e.getMessage().contains("SVMLPCA1"), e.getMessage());
  }

  /** The model of the committed golden file {@code golden/pca-v1/whitened.pca}, fitted the way the generator does. */
  static PcaEmbeddingModel goldenModel() {
    float[][] x = planted(200, new double[] {5, 3, 2, 1, 0.5, 0.2}, basis(6, 21), 22);
    return PcaEmbeddingModel.builder(3).whiten(true).whitenRegularization(0.01).sampleSize(150).seed(23).fit(x);
  }

  static final float[] GOLDEN_QUERY = {1, 2, 3, 4, 5, 6};

  /**
   * Regenerates the golden file (run once per format version, then commit it):
   * {@code mvn -o -pl retrieval verify -Dtest=PcaEmbeddingModelTest#writeGolden -Dsieveml.golden.write=true}.
   */
  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void writeGolden() throws Exception {
    Path out = Path.of("src/test/resources/golden/pca-v1");
    Files.createDirectories(out);
    goldenModel().save(out.resolve("whitened.pca"));
    System.out.println("golden embedding " + Arrays.toString(goldenModel().embed(GOLDEN_QUERY)));
  }

  /**
   * The version-1 file committed when the format was introduced still loads and embeds to the values pinned
   * then, and today's fit and writer reproduce its bytes (a changed fit or layout fails here, not in a host).
   */
  @Test
  void goldenVersionOneFileLoadsAndTheWriterReproducesIt() throws Exception {
    java.net.URL u = getClass().getClassLoader().getResource("golden/pca-v1/whitened.pca");
    org.junit.jupiter.api.Assertions.assertNotNull(u, "golden file on the test class path");
    Path golden = Path.of(u.toURI());
    PcaEmbeddingModel back = PcaEmbeddingModel.load(golden);
    assertEquals(6, back.inputDimension());
    assertEquals(3, back.dimension());
    assertEquals(150, back.fittedRows());
    assertEquals(23, back.seed());
    assertArrayEquals(GOLDEN_EMBEDDING, back.embed(GOLDEN_QUERY), 1e-6f);
    Path now = dir.resolve("now.pca");
    goldenModel().save(now);
    assertArrayEquals(Files.readAllBytes(golden), Files.readAllBytes(now), "the writer's bytes changed");
  }

  @Test
  void sameSeedSameModelOtherSeedOtherSample() {
    float[][] x = planted(1000, new double[] {4, 2, 1, 0.5, 0.2}, basis(5, 7), 8);
    PcaEmbeddingModel a = PcaEmbeddingModel.builder(2).sampleSize(300).seed(1).fit(x);
    PcaEmbeddingModel b = PcaEmbeddingModel.builder(2).sampleSize(300).seed(1).fit(x);
    PcaEmbeddingModel c = PcaEmbeddingModel.builder(2).sampleSize(300).seed(2).fit(x);
    assertTrue(Arrays.deepEquals(a.weights(), b.weights()));
    assertArrayEquals(a.mean(), b.mean());
    assertFalse(Arrays.equals(a.mean(), c.mean()), "another seed samples other rows");
  }

  @Test
  void builderAndInputsFailFastNamingTheBadValue() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.builder(0)).getMessage()
        .contains("was 0"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.builder(2).sampleSize(1))
        .getMessage().contains("was 1"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.builder(5)
        .fit(new float[][] {{1, 2}, {3, 4}})).getMessage().contains("cannot keep 5"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.builder(1)
        .fit(new float[][] {{1, 2}, {3, Float.NaN}})).getMessage().contains("rows[1][1]"));
    // a constant direction cannot be whitened without regularization
    float[][] flat = {{1, 0}, {2, 0}, {3, 0}};
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PcaEmbeddingModel.builder(2).whiten(true)
        .fit(flat)).getMessage().contains("component 1"));
    PcaEmbeddingModel pca = PcaEmbeddingModel.builder(1).fit(flat);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> pca.embed(new float[3])).getMessage()
        .contains("dimension 3, expected 2"));
  }
}
