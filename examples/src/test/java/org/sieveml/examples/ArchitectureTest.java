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
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Issue 15: {@code internal} packages were a naming habit; now they are enforced three ways.
 * <ul>
 *   <li>{@code core}, {@code monitoring} and {@code features} have a {@code module-info.java} exporting
 *       only their public packages (checked here against the compiled descriptors). {@code retrieval} and {@code ranking}
 *       have none: {@code hnswlib-core} has no module name of its own (only one derived from its file
 *       name, which must not be published), and {@code xgboost4j_2.12}'s file name is not a valid
 *       module name.
 *   <li>An ArchUnit rule over the bytecode of every library module and this one: no class of one module
 *       depends on a class of another module's {@code org.sieveml.<module>.internal} package.
 *   <li>A scan of every module's sources (main and test, benchmarks included): no import or fully
 *       qualified use of another module's internal package. This module depends on every other, so it
 *       sees the whole tree ({@code ..} from its base directory).
 * </ul>
 * Issue 20: the library modules' graph has no cycle and {@code core} holds no monitoring code:
 * {@code core} depends on no other SieveML module, {@code monitoring} on {@code core} only, and
 * {@code features}, {@code retrieval}, {@code ranking} and {@code monitoring} do not know each other
 * (checked on the compiled descriptors and on the bytecode). {@code micrometer} (the Micrometer binders)
 * knows {@code core} and {@code monitoring}, and no library module knows it.
 * Issue 21: {@code serving} (batch prediction, precomputed candidates) is the one library module that knows
 * {@code features}, {@code retrieval} and {@code ranking} together; its descriptor requires exactly those and
 * {@code core}, and no other library module knows it.
 */
class ArchitectureTest {

  private static final Pattern INTERNAL = Pattern.compile("org\\.sieveml\\.([a-z]+)\\.internal\\b");
  private static final List<String> MODULES = List.of("core", "monitoring", "micrometer", "features", "retrieval",
      "ranking", "serving", "examples", "benchmarks");

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

  private static final List<String> LIBRARIES = List.of("core", "monitoring", "micrometer", "features", "retrieval",
      "ranking", "serving");

  /** The classes of every library module and of this one, as compiled. */
  static JavaClasses sieveClasses() {
    return new ClassFileImporter().importPackages("org.sieveml");
  }

  /** The ArchUnit rule: classes of {@code module} never depend on another module's internals. */
  static EvaluationResult internalsRule(String module, JavaClasses classes) {
    String[] others = LIBRARIES.stream().filter(m -> !m.equals(module)).map(m -> "org.sieveml." + m + ".internal..")
        .toArray(String[]::new);
    return ArchRuleDefinition.noClasses().that().resideInAPackage("org.sieveml." + module + "..")
        .should().dependOnClassesThat().resideInAnyPackage(others)
        .allowEmptyShould(false)
        .evaluate(classes);
  }

  @Test
  void noClassDependsOnAnotherModulesInternals() {
    JavaClasses classes = sieveClasses();
    for (String m : LIBRARIES) {
      assertTrue(classes.stream().anyMatch(c -> c.getPackageName().startsWith("org.sieveml." + m + ".internal")),
          "the import sees " + m + "'s internal package");
    }
    for (String m : List.of("core", "monitoring", "micrometer", "features", "retrieval", "ranking", "serving",
        "examples")) {
      EvaluationResult r = internalsRule(m, classes);
      assertEquals(List.of(), r.getFailureReport().getDetails(), m);
    }
  }

  @Test
  void theRuleSeesAViolation(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    // a planted class of this module using a library's internals, compiled here so that this module's
    // own classes stay clean (the name is split so that the source scan does not match this file)
    String pkg = "org.sieveml.";
    Path src = tmp.resolve("Planted.java");
    Files.writeString(src, "package " + pkg + "examples;\nclass Planted { Object use() { return "
        + pkg + "features.internal.Values.class; } }\n");
    javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", tmp.toString(), "-cp", System.getProperty("java.class.path"),
        src.toString());
    assertEquals(0, rc, "the planted class compiles");
    JavaClasses planted = new ClassFileImporter().importPath(tmp);
    assertEquals(1, planted.size());
    EvaluationResult r = internalsRule("examples", planted);
    assertTrue(r.hasViolation(), "the planted use of features' internals is found");
    assertTrue(r.getFailureReport().getDetails().get(0).contains("Planted"), r.getFailureReport().toString());
  }

  /** The compiled module descriptor of the library module that holds {@code type}. */
  static ModuleDescriptor descriptor(Class<?> type) throws URISyntaxException {
    Path where = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(where).findAll().iterator().next().descriptor();
  }

  /** Every package with classes under a library module's classes directory or jar. */
  static Set<String> packages(Class<?> type) {
    String root = type.getPackageName().split("\\.")[0] + "." + type.getPackageName().split("\\.")[1] + "."
        + type.getPackageName().split("\\.")[2];
    return sieveClasses().stream().map(c -> c.getPackageName()).filter(p -> p.equals(root) || p.startsWith(root + "."))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void coreMonitoringAndFeaturesExportExactlyTheirPublicPackages() throws URISyntaxException {
    for (Class<?> type : List.of(org.sieveml.core.EntityKey.class, org.sieveml.monitoring.DriftReport.class,
        org.sieveml.micrometer.SieveMeterBinder.class, org.sieveml.features.FeatureStore.class,
        org.sieveml.serving.BatchPrediction.class)) {
      ModuleDescriptor d = descriptor(type);
      Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source)
          .collect(Collectors.toCollection(TreeSet::new));
      Set<String> expected = packages(type).stream().filter(p -> !p.contains(".internal"))
          .collect(Collectors.toCollection(TreeSet::new));
      assertEquals(expected, exported, d.name());
      assertTrue(d.packages().stream().anyMatch(p -> p.endsWith(".internal")), d.name() + " has internal packages");
      assertTrue(d.exports().stream().noneMatch(e -> e.isQualified()), d.name() + " has no qualified exports");
      assertTrue(d.opens().isEmpty() && !d.isOpen(), d.name() + " opens nothing to reflection");
    }
  }

  /** The SieveML modules a compiled library module's descriptor requires. */
  static Set<String> sieveRequires(Class<?> type) throws URISyntaxException {
    return descriptor(type).requires().stream().map(ModuleDescriptor.Requires::name)
        .filter(n -> n.startsWith("org.sieveml.")).collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void theModuleGraphHasNoCycleAndCoreHoldsNoMonitoring() throws URISyntaxException {
    assertEquals(Set.of(), sieveRequires(org.sieveml.core.EntityKey.class), "core requires no SieveML module");
    assertEquals(Set.of("org.sieveml.core"), sieveRequires(org.sieveml.monitoring.DriftReport.class),
        "monitoring requires core only");
    assertEquals(Set.of("org.sieveml.core"), sieveRequires(org.sieveml.features.FeatureStore.class),
        "features requires core only");
    assertEquals(Set.of("org.sieveml.core", "org.sieveml.monitoring"),
        sieveRequires(org.sieveml.micrometer.SieveMeterBinder.class), "micrometer requires core and monitoring");
    assertEquals(Set.of("org.sieveml.core", "org.sieveml.features", "org.sieveml.retrieval", "org.sieveml.ranking"),
        sieveRequires(org.sieveml.serving.BatchPrediction.class), "serving requires features, retrieval, ranking, core");
    assertTrue(packages(org.sieveml.core.EntityKey.class).stream().noneMatch(p -> p.contains("drift")),
        "no drift package in core: " + packages(org.sieveml.core.EntityKey.class));
    // the bytecode: core knows no other module; monitoring, features, retrieval and ranking know core only;
    // micrometer knows core and monitoring, and no library knows micrometer (Micrometer stays optional);
    // serving knows core, features, retrieval and ranking, and no library knows serving
    JavaClasses classes = sieveClasses();
    List<String> libraries = List.of("core", "monitoring", "micrometer", "features", "retrieval", "ranking", "serving");
    for (String m : libraries) {
      String[] others = libraries.stream().filter(o -> !o.equals(m) && !o.equals("core"))
          .filter(o -> !(m.equals("micrometer") && o.equals("monitoring")))
          .filter(o -> !(m.equals("serving") && List.of("features", "retrieval", "ranking").contains(o)))
          .map(o -> "org.sieveml." + o + "..").toArray(String[]::new);
      EvaluationResult r = ArchRuleDefinition.noClasses().that().resideInAPackage("org.sieveml." + m + "..")
          .should().dependOnClassesThat().resideInAnyPackage(others)
          .allowEmptyShould(false)
          .evaluate(classes);
      assertEquals(List.of(), r.getFailureReport().getDetails(), m);
    }
  }
}
