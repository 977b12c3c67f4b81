package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auto-suggest case study on a small seeded log with planted trends, tastes and typos. */
class AutoSuggestStudyTest {

  @TempDir
  Path tmp;

  static AutoSuggestData small(long seed) {
    return AutoSuggestData.seeded(400, 8, 150, 28, seed);
  }

  @Test
  void smoke() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path report = tmp.resolve("autosuggest.html");
    long t0 = System.nanoTime();
    AutoSuggestStudy.Result r = AutoSuggestStudy.run(small(5), 5, new PrintStream(log, true, StandardCharsets.UTF_8),
        report);
    System.out.println(log.toString(StandardCharsets.UTF_8));
    System.out.println("took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
  }
}
