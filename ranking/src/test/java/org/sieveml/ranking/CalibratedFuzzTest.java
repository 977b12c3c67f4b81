package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzz target of the calibrated pair's {@code model.bin} (magic, length-prefixed base kind, rate, calibrator
 * text, base model bytes), on a copy of the golden registry of {@link RegistryGoldenV3Test} (v6 is the pair):
 * the input's first byte says whether the manifest is resealed with the input's checksum (so the decoder, not
 * the checksum, sees it); the rest is written as v6's {@code model.bin}, which is then loaded and scored.
 * Loading must refuse damage with an {@link IllegalStateException} or {@link IllegalArgumentException} naming
 * the model, or load a model whose probabilities are in [0, 1]; anything else is a finding. The seeds
 * ({@code CalibratedFuzzTestInputs/calibratedModel/golden-*}) are the golden file, raw and resealed; both load
 * ({@link #goldenSeedsLoad}). {@code .ci/run} fuzzes the target for its {@code maxDuration} under a 256 MB heap.
 */
class CalibratedFuzzTest {
  static final String MODEL = RegistryGoldenV3Test.MODEL;
  static final int VERSION = 6;

  @TempDir
  static Path dir;
  private static Path root;
  private static byte[] goldenModel;
  private static byte[] goldenManifest;

  static synchronized Path registry() throws IOException {
    Path model = Path.of(MODEL, "v" + VERSION, "model.bin");
    Path manifest = Path.of(MODEL, "v" + VERSION, "manifest.properties");
    if (root == null) {
      root = RegistryFormatTest.copyGolden(RegistryGoldenV3Test.GOLDEN_V3, dir.resolve("registry"));
      goldenModel = Files.readAllBytes(root.resolve(model));
      goldenManifest = Files.readAllBytes(root.resolve(manifest));
    } else {
      Files.write(root.resolve(model), goldenModel);
      Files.write(root.resolve(manifest), goldenManifest);
    }
    return root;
  }

  @FuzzTest(maxDuration = "20s")
  void calibratedModel(byte[] input) throws IOException {
    run(input);
  }

  /** Writes the input as v6's model file and loads it; true if it loaded. */
  static boolean run(byte[] input) throws IOException {
    Path reg = registry();
    boolean sealed = input.length > 0 && (input[0] & 1) != 0;
    byte[] content = input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
    Path dirV = reg.resolve(MODEL).resolve("v" + VERSION);
    Files.write(dirV.resolve("model.bin"), content);
    if (sealed) {
      String text = new String(goldenManifest, StandardCharsets.UTF_8);
      String body = text.substring(0, text.lastIndexOf("manifest.sha256="))
          .replaceFirst("(?m)^sha256=.*$", "sha256=" + ModelRegistry.sha256(content));
      Files.writeString(dirV.resolve("manifest.properties"), RegistryFormatTest.sealManifest(body),
          StandardCharsets.UTF_8);
    }
    try {
      CalibratedRanker c = ModelRegistry.open(reg).load(MODEL, VERSION, CalibratedRanker.class,
          RegistryFormatTest.SCHEMA);
      for (double p : RegistryFormatTest.score(c)) {
        if (!(p >= 0 && p <= 1)) {
          throw new AssertionError("the loaded pair gave the probability " + p);
        }
      }
      return true;
    } catch (IllegalStateException | IllegalArgumentException e) {
      if (e.getMessage() == null || !e.getMessage().contains(MODEL)) {
        throw new AssertionError("refused without naming the model: " + e, e);
      }
      return false;
    }
  }

  static Path seeds() {
    return Path.of("src/test/resources/org/sieveml/ranking/CalibratedFuzzTestInputs/calibratedModel");
  }

  @Test
  void goldenSeedsLoad() throws IOException {
    for (String s : new String[] {"golden-v6-raw", "golden-v6-sealed"}) {
      assertTrue(run(Files.readAllBytes(seeds().resolve(s))), s + " loads");
    }
    // and damage is refused naming the model: a truncation, a huge length, a bad magic
    byte[] g = Files.readAllBytes(seeds().resolve("golden-v6-sealed"));
    Map<String, byte[]> damaged = Map.of(
        "truncated", Arrays.copyOf(g, g.length / 2),
        "huge base-kind length", patch(g, 7, new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}),
        "bad magic", patch(g, 1, new byte[] {'X'}));
    for (Map.Entry<String, byte[]> d : damaged.entrySet()) {
      assertEquals(false, run(d.getValue()), d.getKey());
    }
  }

  private static byte[] patch(byte[] b, int at, byte[] with) {
    byte[] out = b.clone();
    System.arraycopy(with, 0, out, at, with.length);
    return out;
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateSeeds() throws IOException {
    byte[] m = Files.readAllBytes(RegistryFormatTest.goldenSource(RegistryGoldenV3Test.GOLDEN_V3).resolve(MODEL)
        .resolve("v" + VERSION).resolve("model.bin"));
    Files.createDirectories(seeds());
    for (int sealed = 0; sealed < 2; sealed++) {
      byte[] out = new byte[m.length + 1];
      out[0] = (byte) sealed;
      System.arraycopy(m, 0, out, 1, m.length);
      Files.write(seeds().resolve(sealed == 0 ? "golden-v6-raw" : "golden-v6-sealed"), out);
    }
  }
}
