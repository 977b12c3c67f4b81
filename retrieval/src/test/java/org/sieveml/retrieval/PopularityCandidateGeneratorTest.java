package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.pipeline.PipelineRequest;

class PopularityCandidateGeneratorTest {

  static final long HOUR = 3_600_000L;
  static final PipelineRequest REQ = PipelineRequest.of(EntityKey.of("user_id", 1L), 10);

  @Test
  void decayedScoresAndTrendingOrder() {
    AtomicLong now = new AtomicLong(100 * HOUR);
    PopularityCandidateGenerator g = PopularityCandidateGenerator.of("trending", HOUR, 0, 100, now::get);
    for (int i = 0; i < 8; i++) {
      g.record("classic", 90 * HOUR, 1.0); // eight old interactions
    }
    g.record("new", 100 * HOUR, 1.0);
    g.record("new", 100 * HOUR - HOUR, 1.0); // out of order: counts half at 100h
    assertEquals(8 * Math.pow(0.5, 10), g.score("classic", 100 * HOUR), 1e-12);
    assertEquals(1.5, g.score("new", 100 * HOUR), 1e-12);
    List<Candidate> c = g.generate(REQ, 10);
    assertEquals(List.of("new", "classic"), List.of(c.get(0).itemId(), c.get(1).itemId()), "trending first");
    assertEquals(1.5, c.get(0).retrievalScore(), 1e-12);
    assertEquals("trending", c.get(0).source());
    assertEquals(1, g.generate(REQ, 1).size());
    assertEquals(0, g.score("unknown", now.get()));
    assertThrows(IllegalArgumentException.class, () -> g.record("x", 1, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> PopularityCandidateGenerator.of("p", 0, 0, 1, now::get));
  }

  @Test
  void rankingIsReusedWithinTheRefreshInterval() {
    AtomicLong now = new AtomicLong(0);
    PopularityCandidateGenerator g = PopularityCandidateGenerator.of("popular", 1_000 * HOUR, 60_000, 10, now::get);
    g.record("a", 0, 1);
    assertEquals(1, g.generate(REQ, 10).size());
    g.record("b", 0, 5);
    assertEquals(List.of("a"), ids(g.generate(REQ, 10)), "within the refresh interval the old ranking is served");
    now.set(60_000);
    assertEquals(List.of("b", "a"), ids(g.generate(REQ, 10)));
  }

  @Test
  void concurrentRecordsAreAllCounted() throws Exception {
    PopularityCandidateGenerator g = PopularityCandidateGenerator.of("p", Long.MAX_VALUE / 4, 0, 10, () -> 0L);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 20_000; i++) {
          g.record("item" + (i % 3), 0, 1);
          if (i % 1000 == 0) {
            g.generate(REQ, 3);
          }
        }
      });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    assertEquals(4 * 6_667, g.score("item1", 0), 1e-6); // i % 3 == 1 for 6,667 of 20,000 per thread
    double total = g.score("item0", 0) + g.score("item1", 0) + g.score("item2", 0);
    assertEquals(80_000, total, 1e-6, "no lost updates");
  }

  static List<String> ids(List<Candidate> c) {
    List<String> out = new ArrayList<>();
    c.forEach(x -> out.add(x.itemId()));
    return out;
  }

  /**
   * Issue 15: a record dated in the year 3000 or at Long.MIN_VALUE gave an infinite score that topped the
   * list forever. Times before the epoch or more than a day after the clock are refused, and nothing
   * changes.
   */
  @Test
  void farFutureAndNegativeTimesAreRefused() {
    AtomicLong now = new AtomicLong(100 * HOUR);
    PopularityCandidateGenerator g = PopularityCandidateGenerator.of("trending", HOUR, 0, 100, now::get);
    g.record("a", 100 * HOUR, 1.0);
    long year3000 = 32_503_680_000_000L;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.record("b", year3000, 1.0));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'b'")
        && e.getMessage().contains(Long.toString(year3000)), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> g.record("b", Long.MIN_VALUE, 1.0));
    assertEquals(0.0, g.score("b", 100 * HOUR), "nothing recorded");
    g.record("c", 100 * HOUR + 23 * HOUR, 1.0); // a day of clock skew is accepted
    assertEquals(List.of("a", "c").size(), g.generate(REQ, 10).size());
  }
}
