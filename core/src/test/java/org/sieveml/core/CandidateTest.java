package org.sieveml.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CandidateTest {

  @Test
  void remembersEverySourceOnce() {
    Candidate c = Candidate.of("i1", 0.9, "ann");
    Candidate both = c.withAlsoFrom("popular").withAlsoFrom("popular");
    assertEquals(List.of("popular"), both.alsoFrom());
    assertTrue(both.isFrom("ann") && both.isFrom("popular"));
    assertFalse(c.isFrom("popular"));
    assertSame(c, c.withAlsoFrom("ann"));
    ScoredItem s = ScoredItem.of(both, 0.3);
    assertEquals("i1", s.itemId());
    assertEquals("ann", s.source());
    assertTrue(s.isScored());
    assertFalse(ScoredItem.unscored(c).isScored());
  }

  @Test
  void refusesBadFieldsByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Candidate.of("", 1, "ann"));
    assertEquals("candidate itemId must be a non-empty string, was ''", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Candidate.of("i1", 1, null));
    assertEquals("source of candidate 'i1' must be a non-empty string, was null", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Candidate.of("i1", Double.NaN, "ann"));
    assertEquals("retrievalScore of candidate 'i1' from 'ann' must not be NaN", e.getMessage());
  }
}
