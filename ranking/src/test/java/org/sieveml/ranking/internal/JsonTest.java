package org.sieveml.ranking.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: a model JSON of 200,000 '[' (or any deeply nested input) threw StackOverflowError, and
 * truncated input threw StringIndexOutOfBoundsException. Every malformed input now ends in an
 * IllegalArgumentException naming the offset.
 */
class JsonTest {

  static final String DOC = "{\"learner\":{\"trees\":[{\"split\":[1,2.5e-3,-4],\"name\":\"a\\\"b\\u00e9\"},"
      + "{\"leaf\":true,\"x\":null}],\"n\":\"3\"}}";

  @Test
  void parsesAValidDocument() {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) Json.parse(DOC);
    @SuppressWarnings("unchecked")
    List<Object> trees = (List<Object>) ((Map<String, Object>) m.get("learner")).get("trees");
    assertEquals(2, trees.size());
    assertEquals("a\"bé", ((Map<?, ?>) trees.get(0)).get("name"));
  }

  @Test
  void deepNestingIsRefusedNotAStackOverflow() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(200_000)));
    assertTrue(e.getMessage().contains("nesting deeper than " + Json.MAX_DEPTH), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":".repeat(100_000)));
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    assertEquals(1, ((List<?>) Json.parse(ok)).size(), "exactly the limit parses");
  }

  @Test
  void everyTruncationAndRandomMutationEndsInAClearException() {
    for (int cut = 0; cut < DOC.length(); cut++) {
      String t = DOC.substring(0, cut);
      assertThrows(IllegalArgumentException.class, () -> Json.parse(t), "cut at " + cut);
    }
    Random rnd = new Random(15);
    String alphabet = "{}[]\",:\\u0123456789.eE+-tfnulrsa ";
    for (int it = 0; it < 20_000; it++) {
      StringBuilder b = new StringBuilder(DOC);
      for (int k = 0; k <= rnd.nextInt(3); k++) {
        int p = rnd.nextInt(b.length());
        switch (rnd.nextInt(3)) {
          case 0:
            b.deleteCharAt(p);
            break;
          case 1:
            b.insert(p, alphabet.charAt(rnd.nextInt(alphabet.length())));
            break;
          default:
            b.setCharAt(p, alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
      }
      String in = b.toString();
      try {
        Json.parse(in);
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage().startsWith("malformed JSON at offset"), in + ": " + expected.getMessage());
      } catch (Throwable t) {
        throw new AssertionError("input " + in + " threw " + t, t);
      }
    }
  }
}
