package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22: the flagship on its default seeded data prints the same figures at any number of processors.
 * Two child JVMs run {@link Flagship} with its default arguments, one with {@code -XX:ActiveProcessorCount=1}
 * and one with {@code =2} (so every pool sized from the processor count differs); their output less the
 * timing lines ({@link Flagship#isTimingLine}) and less the report's path must be equal line for line and
 * hold every stage's figures, and so must their HTML reports less the timing lines.
 */
class FlagshipDeterminismTest {

  @TempDir
  Path tmp;

  @Test
  void sameSeedPrintsTheSameFiguresWithOneAndTwoProcessors() throws Exception {
    // both at once: the test takes one run's time on two cores
    Run one = Run.start(tmp.resolve("cpu1"), 1);
    Run two = Run.start(tmp.resolve("cpu2"), 2);
    List<String> a = one.finish();
    List<String> b = two.finish();
    List<String> fa = figures(a, one.dir);
    List<String> fb = figures(b, two.dir);
    assertTrue(fa.size() >= 12, "the output has its figures:\n" + String.join("\n", a));
    for (String stage : new String[] {"[data]", "[features]", "[als]", "[ranker]", "[evaluate]", "[drift]",
        "two-stage pipeline", "ALS candidates only", "popularity baseline", "recs.requests", "[report]"}) {
      assertTrue(fa.stream().anyMatch(l -> l.contains(stage)) || a.stream().anyMatch(l -> l.contains(stage)),
          "prints " + stage + ":\n" + String.join("\n", a));
    }
    // a request over the pipeline's budget would degrade and change the figures: none may
    assertTrue(a.stream().anyMatch(l -> l.matches("recs\\.degraded\\s+0")),
        "no degraded request:\n" + String.join("\n", a));
    assertEquals(String.join("\n", fa), String.join("\n", fb),
        "1 processor vs 2 processors: the figures differ (full outputs:\n" + String.join("\n", a) + "\n---\n"
            + String.join("\n", b) + ")");
    List<String> ra = figures(Files.readAllLines(one.report), one.dir);
    List<String> rb = figures(Files.readAllLines(two.report), two.dir);
    assertTrue(String.join("\n", ra).contains("recall@k"), "the report has its recall@k chart");
    assertEquals(String.join("\n", ra), String.join("\n", rb), "the HTML reports differ beyond their timing lines");
  }

  /** The lines without a measured time, the run's directory replaced by a placeholder. */
  static List<String> figures(List<String> lines, Path dir) {
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      if (!Flagship.isTimingLine(l)) {
        out.add(l.replace(dir.toAbsolutePath().toString(), "<dir>"));
      }
    }
    return out;
  }

  @Test
  void timingLinesAreTheOnesWithATimeUnit() {
    assertTrue(Flagship.isTimingLine("[ranker]     GBDT (80 trees, depth 5) on 50,707 rows (3,525 positives) in 1621 ms"));
    assertTrue(Flagship.isTimingLine("recs.generator.als              736    153.6us    528.4us    643.1us    906.3us"));
    assertTrue(Flagship.isTimingLine("recs.request                    736    798.7us     3.98ms    10.29ms   123.05ms"));
    assertTrue(!Flagship.isTimingLine("  two-stage pipeline               0.1045     0.2306       6.3%"));
    assertTrue(!Flagship.isTimingLine("[als]        12 iterations, loss 193200.7"));
    assertTrue(!Flagship.isTimingLine("latency                       count        p50        p95        p99        max"));
    assertTrue(!Flagship.isTimingLine("recs.requests                   736"));
  }

  /** One child JVM running the flagship in a directory of its own. */
  private record Run(Path dir, Path report, Process process, Path log) {

    static Run start(Path dir, int processors) throws IOException {
      Files.createDirectories(dir);
      Path report = dir.resolve("recommendation-report.html");
      Path log = dir.resolve("out.txt");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(java, "-XX:ActiveProcessorCount=" + processors,
          "-Dsieveml.examples.requestBudget=" + System.getProperty("sieveml.examples.requestBudget", "PT10M"), "-cp",
          System.getProperty("java.class.path"), Flagship.class.getName(), "--report", report.toString())
          .directory(dir.toFile()).redirectErrorStream(false).redirectOutput(log.toFile())
          .redirectError(dir.resolve("err.txt").toFile());
      pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
      return new Run(dir, report, pb.start(), log);
    }

    List<String> finish() throws Exception {
      if (!process.waitFor(300, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the flagship did not finish in 300 s in " + dir);
      }
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      assertEquals(0, process.exitValue(), "exit status; output:\n" + String.join("\n", lines) + "\nstderr:\n"
          + Files.readString(dir.resolve("err.txt")));
      return lines;
    }
  }
}
