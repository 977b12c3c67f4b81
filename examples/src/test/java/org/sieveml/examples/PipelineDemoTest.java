package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;

class PipelineDemoTest {

  @Test
  void recoversThePlantedPreferencesAndReportsEveryInjectedFault() {
    PipelineDemo.Result r = PipelineDemo.run(200, 3000, 1000, 7L, new PrintStream(OutputStream.nullOutputStream()));
    // The planted taste is seen only through noise; the pipeline must still find a large share of each
    // user's 20 relevant items and beat the popularity baseline by far.
    assertTrue(r.ndcgAt10() > 0.4, "NDCG@10 " + r.ndcgAt10());
    assertTrue(r.recallAt10() > 0.2, "recall@10 " + r.recallAt10());
    assertTrue(r.ndcgAt10() > 5 * r.baselineNdcgAt10() + 0.1,
        "pipeline " + r.ndcgAt10() + " vs popularity " + r.baselineNdcgAt10());
    assertTrue(r.coverage() > 0.1, "coverage " + r.coverage());
    assertEquals(1000, r.telemetry().counter("recs.requests"));
    assertEquals(0, r.telemetry().counter("recs.degraded"));
    assertEquals(1000, r.telemetry().latency("recs.stage.scoring").count());
    assertEquals(r.injectedFailures(), r.degradedResponses());
    assertEquals(100, r.injectedFailures());
    assertEquals(0, r.silentlyPartial());
  }
}
