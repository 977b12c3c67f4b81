package org.sieveml.benchmarks.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The driver's output format; needs neither g++ nor hnswlib (nothing here compiles or runs the driver). */
class NativeHnswlibTest {

  private static final List<String> OUTPUT = List.of(
      "data n 1000 nq 10 dim 8 k 10",
      "build seconds 0.500000 threads 1 vectors_per_second 2000.0",
      "ef 10 recall 0.920000 qps_median 50000.0 qps_rounds 40000.0 50000.0 60000.0",
      "ef 12 recall 0.955000 qps_median 45000.0 qps_rounds 45000.0",
      "ef 16 recall 0.990000 qps_median 40000.0 qps_rounds 40000.0",
      "done");

  @Test
  void parsesTheBuildAndEveryEf() {
    NativeHnswlib.Result r = NativeHnswlib.parse(OUTPUT, 1000);
    assertEquals(0.5, r.buildSeconds());
    assertEquals(1, r.buildThreads());
    assertEquals(2000.0, r.buildVectorsPerSecond());
    assertEquals(3, r.points().size());
    NativeHnswlib.Point p = r.points().get(0);
    assertEquals(10, p.ef());
    assertEquals(0.92, p.recall());
    assertEquals(50000.0, p.qps());
    assertArrayEquals(new double[] {40000.0, 50000.0, 60000.0}, p.roundQps());
  }

  @Test
  void qpsAtRecallIsTheSmallestEfReachingIt() {
    NativeHnswlib.Result r = NativeHnswlib.parse(OUTPUT, 1000);
    assertEquals(45000.0, r.qpsAtRecall(0.95).getAsDouble());
    assertEquals(12, r.firstReaching(0.95).orElseThrow().ef());
    assertEquals(50000.0, r.qpsAtRecall(0.9).getAsDouble());
    assertFalse(r.qpsAtRecall(0.999).isPresent());
  }

  @Test
  void rejectsAnIncompleteRun() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> NativeHnswlib.parse(OUTPUT.subList(0, 3), 1000));
    assertTrue(e.getMessage().contains("unexpected driver output"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> NativeHnswlib.parse(List.of("done"), 1000));
  }
}
