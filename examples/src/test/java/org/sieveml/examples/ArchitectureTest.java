package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: {@code internal} packages were a naming habit. No module's sources (main or test) may use
 * another module's {@code org.sieveml.<module>.internal} package — by import or fully qualified name.
 * This module depends on every other, so it sees the whole tree ({@code ..} from its base directory).
 */
class ArchitectureTest {

  private static final Pattern INTERNAL = Pattern.compile("org\\.sieveml\\.([a-z]+)\\.internal\\b");
  private static final List<String> MODULES = List.of("core", "features", "retrieval", "ranking", "examples",
      "benchmarks");

  /** Every use of another module's internal package under a module's sources, as "file: reference". */
  static List<String> violations(Path root) {
    List<String> out = new ArrayList<>();
    for (String module : MODULES) {
      Path src = root.resolve(module).resolve("src");
      if (!Files.isDirectory(src)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
          Matcher m = INTERNAL.matcher(Files.readString(f, StandardCharsets.UTF_8));
          while (m.find()) {
            if (!m.group(1).equals(module)) {
              out.add(root.relativize(f) + ": " + m.group());
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  @Test
  void noModuleUsesAnotherModulesInternals() {
    Path root = Path.of("..").toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(root.resolve("core").resolve("src")), "the project root is " + root);
    assertEquals(List.of(), violations(root));
  }

  @Test
  void theCheckSeesAViolation(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    Path f = tmp.resolve("ranking/src/main/java/org/sieveml/ranking/Bad.java");
    Files.createDirectories(f.getParent());
    String pkg = "org.sieveml."; // split so that this file does not match the pattern itself
    Files.writeString(f, "package org.sieveml.ranking;\nimport " + pkg + "features.internal.Csv;\n"
        + "class Bad { " + pkg + "ranking.internal.Json ok; }\n");
    assertEquals(List.of("ranking/src/main/java/org/sieveml/ranking/Bad.java: " + pkg + "features.internal"),
        violations(tmp));
  }
}
