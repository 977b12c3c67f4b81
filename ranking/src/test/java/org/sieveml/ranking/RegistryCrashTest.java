package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: the kill -9 crash test covers the model registry. A child JVM registers and promotes
 * versions until it is killed at a random moment, 20 times on one registry; after each kill the
 * registry opens, every acknowledged version is there, every version on disk loads as the kind the child
 * wrote (issue 19: the child cycles through a GBDT, the calibrated pair over it and a factorization machine)
 * and scores exactly like it, production is at least the last acknowledged promotion, and no leftover of
 * an interrupted write remains.
 */
class RegistryCrashTest {

  @Test
  void everyAcknowledgedRegistrationAndPromotionSurvivesAKill(@TempDir Path dir) throws Exception {
    Random rnd = new Random(15);
    int registered = 0;
    int promoted = 0;
    List<Ranker> models = RegistryWriterMain.models();
    org.sieveml.core.FeatureFrame probe = GbdtRankerTest.frame(GbdtRankerTest.synth(50, 9, new double[50]));
    for (int kill = 0; kill < 20; kill++) {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
          "-cp", System.getProperty("java.class.path"), RegistryWriterMain.class.getName(), dir.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertEquals("READY", line, "the child started");
      long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50 + rnd.nextInt(400));
      while (System.nanoTime() < killAt && (line = out.readLine()) != null) {
        if (line.startsWith("REGISTERED ")) {
          registered = Math.max(registered, Integer.parseInt(line.substring(11)));
        } else if (line.startsWith("PROMOTED ")) {
          promoted = Math.max(promoted, Integer.parseInt(line.substring(9)));
        }
      }
      p.destroyForcibly();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the child died");
      // (lines the child wrote but this test had not read yet were acknowledged too: the checks only use
      // what was read, so they stay conservative; destroying the process closes its output)
      ModelRegistry reg = ModelRegistry.open(dir);
      List<ModelVersion> versions = reg.versions("m");
      assertTrue(versions.size() >= registered, "kill " + kill + ": " + versions.size() + " versions, " + registered
          + " acknowledged");
      for (int i = 0; i < versions.size(); i++) {
        assertEquals(i + 1, versions.get(i).version(), "versions are contiguous");
      }
      // every version on disk loads as the kind the child wrote and scores like it
      for (ModelVersion mv : versions) {
        Ranker want = models.get((mv.version() - 1) % models.size());
        Ranker got = reg.load("m", mv.version(), Ranker.class, GbdtRankerTest.SCHEMA);
        assertEquals(want.getClass(), got.getClass(), "kill " + kill + ": v" + mv.version());
        org.junit.jupiter.api.Assertions.assertArrayEquals(want.predict(probe), got.predict(probe), 0.0,
            "kill " + kill + ": v" + mv.version());
      }
      if (promoted > 0) {
        int production = reg.production("m").orElseThrow().version();
        assertTrue(production >= promoted, "kill " + kill + ": production v" + production + ", v" + promoted
            + " was acknowledged");
      }
      try (Stream<Path> files = Files.list(dir.resolve("m"))) {
        assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith(".")), "no leftovers after opening");
      }
    }
    assertTrue(registered >= 20, "the children got work done: " + registered + " registrations");
  }
}
