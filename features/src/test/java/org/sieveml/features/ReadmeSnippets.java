package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Checks that the README shows exactly the code a test runs (between marker comments). */
public final class ReadmeSnippets {

  private ReadmeSnippets() {}

  /**
   * Asserts that README.md holds, as a {@code java} code block, the lines of a test source between
   * {@code // <marker>:begin} and {@code // <marker>:end}, without the begin marker's indentation.
   *
   * @param testSource the test's source file, relative to the project root
   * @param marker the marker's name
   * @throws IOException when a file cannot be read
   */
  public static void assertReadmeShows(String testSource, String marker) throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.exists(root.resolve("README.md"))) {
      root = root.getParent();
    }
    assertTrue(root != null, "README.md not found");
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String test = Files.readString(root.resolve(testSource), StandardCharsets.UTF_8);
    String begin = "// " + marker + ":begin\n";
    int b = test.indexOf(begin);
    int e = test.indexOf("// " + marker + ":end\n");
    assertTrue(b >= 0 && e > b, "markers " + marker + " not found in " + testSource);
    int lineStart = test.lastIndexOf('\n', b) + 1;
    String indent = test.substring(lineStart, b);
    String tested = test.substring(b + begin.length(), test.lastIndexOf('\n', e) + 1).lines()
        .map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l)
        .collect(Collectors.joining("\n", "", "\n"));
    assertTrue(readme.contains("```java\n" + tested + "```"), "README.md must contain exactly:\n" + tested);
  }
}
