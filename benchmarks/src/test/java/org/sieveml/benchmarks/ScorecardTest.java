package org.sieveml.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.sieveml.benchmarks.Scorecard.Comparison;
import org.sieveml.benchmarks.Scorecard.Settings;

class ScorecardTest {

  private static final Comparison TIME = new Comparison(
      "pipeline", "overhead_500_candidates", Object.class, "pipeline", "handWired", "hand-wired stages", 0.95,
      true, "us/op");
  private static final Comparison THROUGHPUT = new Comparison(
      "retrieval", "queries_per_second", Object.class, "ours", "peer", "some peer", 1.0, false, "ops/s");

  // --- median ---

  @Test
  void medianOfOddCountIsTheMiddleValue() {
    assertEquals(2.0, Scorecard.median(new double[] {3.0, 1.0, 2.0}));
    assertEquals(7.0, Scorecard.median(new double[] {7.0}));
    assertEquals(5.0, Scorecard.median(new double[] {9.0, 1.0, 5.0, 100.0, 2.0}));
  }

  @Test
  void medianOfEvenCountIsTheMeanOfTheTwoMiddleValues() {
    assertEquals(2.5, Scorecard.median(new double[] {4.0, 1.0, 3.0, 2.0}));
    assertEquals(1.5, Scorecard.median(new double[] {2.0, 1.0}));
  }

  @Test
  void medianDoesNotModifyItsInput() {
    double[] v = {3.0, 1.0, 2.0};
    Scorecard.median(v);
    assertArrayEquals(new double[] {3.0, 1.0, 2.0}, v);
  }

  @Test
  void medianRejectsNoValuesAndNaN() {
    assertThrows(IllegalArgumentException.class, () -> Scorecard.median(new double[0]));
    assertThrows(IllegalArgumentException.class, () -> Scorecard.median(new double[] {1.0, Double.NaN}));
  }

  // --- ratio ---

  @Test
  void ratioForATimeIsAnchorOverOurs() {
    // We take 100 us, the anchor 95 us: we are 0.95 times as good.
    assertEquals(0.95, Scorecard.ratio(100.0, 95.0, true), 1e-12);
    // We take 50 us, the anchor 100 us: twice as good.
    assertEquals(2.0, Scorecard.ratio(50.0, 100.0, true), 1e-12);
  }

  @Test
  void ratioForAThroughputIsOursOverAnchor() {
    assertEquals(2.0, Scorecard.ratio(200.0, 100.0, false), 1e-12);
    assertEquals(0.5, Scorecard.ratio(50.0, 100.0, false), 1e-12);
  }

  @Test
  void ratioRejectsNonPositiveOrNonFiniteFigures() {
    assertThrows(IllegalArgumentException.class, () -> Scorecard.ratio(0.0, 1.0, true));
    assertThrows(IllegalArgumentException.class, () -> Scorecard.ratio(1.0, -1.0, true));
    assertThrows(IllegalArgumentException.class, () -> Scorecard.ratio(Double.NaN, 1.0, false));
    assertThrows(IllegalArgumentException.class, () -> Scorecard.ratio(1.0, Double.POSITIVE_INFINITY, false));
  }

  @Test
  void figureMeetsGoalWhenRatioReachesIt() {
    assertTrue(new Scorecard.Figure(TIME, 100.0, 96.0, 5, 5).meetsGoal());
    assertFalse(new Scorecard.Figure(TIME, 100.0, 90.0, 5, 5).meetsGoal());
    assertTrue(new Scorecard.Figure(THROUGHPUT, 110.0, 100.0, 5, 5).meetsGoal());
  }

  // --- SCORE line ---

  @Test
  void scoreLineHasNineTabSeparatedFieldsInOrder() {
    String line = Scorecard.scoreLine(TIME, 80.0, 76.0);
    assertEquals(8, line.chars().filter(ch -> ch == '\t').count(), line);
    assertFalse(line.contains("\n"));
    String[] f = line.split("\t", -1);
    assertEquals(9, f.length);
    assertEquals("SCORE", f[0]);
    assertEquals("pipeline", f[1]);
    assertEquals("overhead_500_candidates", f[2]);
    assertEquals("80", f[3]);
    assertEquals("76", f[4]);
    assertEquals("hand-wired stages", f[5]);
    assertEquals("0.950", f[6]);
    assertEquals("0.95", f[7]);
    assertEquals("us/op", f[8]);
  }

  @Test
  void scoreLineRatioFollowsTheDirectionOfTheUnit() {
    String[] time = Scorecard.scoreLine(TIME, 50.0, 100.0).split("\t", -1);
    assertEquals("2.000", time[6]);
    String[] throughput = Scorecard.scoreLine(THROUGHPUT, 50.0, 100.0).split("\t", -1);
    assertEquals("0.500", throughput[6]);
  }

  @Test
  void scoreLineFiguresKeepFiveSignificantDigitsWithoutExponent() {
    String[] f = Scorecard.scoreLine(TIME, 84.123456, 0.000123456).split("\t", -1);
    assertEquals("84.123", f[3]);
    assertEquals("0.00012346", f[4]);
    assertEquals("123460", Scorecard.number(123456.0));
  }

  // --- arguments ---

  @Test
  void noArgumentsSelectsEveryAreaInFullMode() {
    Settings s = Scorecard.parse();
    assertFalse(s.quick());
    assertEquals(Scorecard.AREAS, s.areas());
    assertEquals(4, s.forks());
    assertEquals(8, s.warmupIterations());
    assertEquals(10, s.measurementIterations());
  }

  @Test
  void quickAndNamedAreasAreParsedInReportOrderWithoutDuplicates() {
    Settings s = Scorecard.parse("ranking", "--quick", "pipeline", "ranking");
    assertTrue(s.quick());
    assertEquals(List.of("pipeline", "ranking"), s.areas());
    assertEquals(2, s.forks());
    assertEquals(6, s.warmupIterations());
    assertEquals(8, s.measurementIterations());
  }

  @Test
  void forksAlternateOursAndAnchorInAbbaOrder() {
    StringBuilder order = new StringBuilder();
    for (int round = 0; round < 4; round++) {
      for (boolean ours : Scorecard.forkOrder(round)) {
        order.append(ours ? 'A' : 'B');
      }
    }
    assertEquals("ABBAABBA", order.toString());
  }

  @Test
  void unknownAreaIsAnErrorNamingIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Scorecard.parse("--quick", "pipelines"));
    assertTrue(e.getMessage().contains("unknown area 'pipelines'"), e.getMessage());
    assertTrue(e.getMessage().contains("pipeline, features, retrieval, ranking, drift"), e.getMessage());
  }

  @Test
  void unknownOptionIsAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Scorecard.parse("--fast"));
    assertTrue(e.getMessage().contains("'--fast'"), e.getMessage());
  }

  @Test
  void runExitsWithStatusTwoOnUnknownAreaWithoutRunningAnything() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Scorecard.run(new String[] {"bogus"}, print(out), print(err));
    assertEquals(2, status);
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertTrue(e.contains("unknown area 'bogus'"), e);
    assertTrue(e.contains("usage:"), e);
  }

  @Test
  void theMarkdownTableHasOneRowPerScoreLineWithItsQuestionVerdictDateAndCommand(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    List<String> saved = List.of(
        "# SieveML scorecard (quick: 2 forks per method (ABBA) x 6 warmup x 8 measurement iterations of 1 s)",
        "# date   2026-12-05T06:01:02Z",
        "# command java -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.Scorecard --quick pipeline",
        "some JMH output",
        Scorecard.scoreLine(TIME, 62.171, 58.338),
        Scorecard.scoreLine(THROUGHPUT, 3.0, 2.0),
        "SKIP\tfeatures\tx\tno redis-server");
    List<String> table = Scorecard.markdownTable(saved);
    assertEquals(4, table.size(), String.join("\n", table));
    assertEquals("| question | ours | anchor | ratio | goal | met | date | command |", table.get(0));
    String cmd = " | 2026-12-05 | `java -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.Scorecard --quick "
        + "pipeline` |";
    assertEquals("| pipeline `overhead_500_candidates`: ours at least 0.95x as fast as hand-wired stages? | 62.171 us/op"
        + " | 58.338 us/op | 0.938 | 0.95 | **no**" + cmd, table.get(2));
    assertEquals("| retrieval `queries_per_second`: ours at least 1x as fast as some peer? | 3 ops/s | 2 ops/s | 1.500 | 1"
        + " | yes" + cmd, table.get(3));
    // the same table from a saved output, without running anything
    java.nio.file.Path file = dir.resolve("scorecard.txt");
    java.nio.file.Files.write(file, saved);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(0, Scorecard.run(new String[] {"--from", file.toString()}, new PrintStream(out, true,
        StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream())));
    assertEquals(String.join(System.lineSeparator(), table) + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Scorecard.markdownTable(List.of("SCORE\tpipeline\tm\t1\t2")));
    assertTrue(e.getMessage().contains("5 fields, expected 9"), e.getMessage());
  }

  @Test
  void skipLineIsTabSeparatedOnOneLine() {
    assertEquals("SKIP\tretrieval\tqueries_per_second\tno g++ on the PATH; install it",
        Scorecard.skipLine(THROUGHPUT, "no g++\ton the PATH;\ninstall it"));
  }

  @Test
  void onlyAMeasuredClassCanSkipAComparison() {
    assertFalse(Scorecard.skipReason(THROUGHPUT).isPresent());
    // the native anchor's comparisons say why where g++ or hnswlib's headers are missing, and the MNIST one
    // where the data is; the build comparisons against Java peers never skip
    for (Comparison c : Scorecard.comparisons("retrieval")) {
      if (c.anchor().equals("lucene") || c.anchor().equals("hnswlib")) {
        assertFalse(Scorecard.skipReason(c).isPresent(), c.metric());
      }
      Scorecard.skipReason(c).ifPresent(why -> assertTrue(
          why.contains("apt-get install libhnswlib-dev g++") || why.contains("sieveml.data.dir"), why));
    }
  }

  @Test
  void everyAreaHasAComparison() {
    for (String area : Scorecard.AREAS) {
      assertTrue(Scorecard.REGISTRY.stream().anyMatch(c -> c.area().equals(area)), "area " + area);
    }
  }

  // --- registry ---

  @Test
  void everyRegisteredComparisonNamesTwoBenchmarkMethodsAndAUniqueMetric() throws Exception {
    Set<String> metrics = new HashSet<>();
    for (Comparison c : Scorecard.REGISTRY) {
      assertTrue(Scorecard.AREAS.contains(c.area()), c.toString());
      assertTrue(metrics.add(c.area() + "/" + c.metric()), "duplicate metric " + c.metric());
      for (String method : List.of(c.ours(), c.anchor())) {
        if (Scorecard.Measured.class.isAssignableFrom(c.benchmark())) {
          Method m = c.benchmark().getMethod(method);
          // measured outside JMH: a public no-argument method returning one sample
          assertEquals(double.class, m.getReturnType(), c.benchmark().getSimpleName() + "." + method);
          assertEquals(0, m.getParameterCount(), c.benchmark().getSimpleName() + "." + method);
        } else {
          // a JMH method may take @State parameters
          Method m = java.util.Arrays.stream(c.benchmark().getMethods()).filter(x -> x.getName().equals(method))
              .findFirst().orElseThrow(() -> new AssertionError("no method " + c.benchmark().getSimpleName() + "."
                  + method));
          assertNotNull(m.getAnnotation(Benchmark.class), c.benchmark().getSimpleName() + "." + method);
        }
      }
    }
  }

  @Test
  void pipelineComparisonIsAgainstHandWiredStages() {
    List<Comparison> pipeline = Scorecard.comparisons("pipeline");
    assertEquals(List.of("overhead_500_candidates", "end_to_end_100k_items_500_candidates"),
        pipeline.stream().map(Comparison::metric).toList());
    for (Comparison c : pipeline) {
      assertTrue(c.anchorName().contains("wired by hand") || c.anchorName().contains("hand-wired"), c.anchorName());
      assertEquals("handWired", c.anchor());
      assertTrue(c.lowerIsBetter());
      assertEquals(0.95, c.goal());
      assertEquals("us/op", c.unit());
    }
  }

  @Test
  void comparisonRejectsBadFields() {
    assertThrows(IllegalArgumentException.class, () -> new Comparison(
        "nowhere", "m", Object.class, "a", "b", "peer", 1.0, true, "us/op"));
    assertThrows(IllegalArgumentException.class, () -> new Comparison(
        "pipeline", "Bad Metric", Object.class, "a", "b", "peer", 1.0, true, "us/op"));
    assertThrows(IllegalArgumentException.class, () -> new Comparison(
        "pipeline", "m", Object.class, "a", "b", "tab\tname", 1.0, true, "us/op"));
    assertThrows(IllegalArgumentException.class, () -> new Comparison(
        "pipeline", "m", Object.class, "a", "b", "peer", 0.0, true, "us/op"));
  }

  private static PrintStream print(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }
}
