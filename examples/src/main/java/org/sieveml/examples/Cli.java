package org.sieveml.examples;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Minimal command-line parsing for the case studies: {@code --name value} pairs. Stateless. */
final class Cli {
  private Cli() {}

  /**
   * Writes a study's HTML report, creating its directory.
   *
   * @param file the report file
   * @param html the page
   * @throws java.io.UncheckedIOException when it cannot be written
   */
  static void writeReport(java.nio.file.Path file, CharSequence html) {
    try {
      if (file.getParent() != null) {
        java.nio.file.Files.createDirectories(file.getParent());
      }
      java.nio.file.Files.writeString(file, html, java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot write the report to " + file, e);
    }
  }

  /**
   * The budget the case studies give each pipeline request: {@code byDefault}, or the system property
   * {@code sieveml.examples.requestBudget} (an ISO-8601 duration such as {@code PT10M}). The tests raise it: a request
   * over budget degrades, so a test machine stalled for a moment (GC, a busy core) would change the figures.
   *
   * @param byDefault the budget when the property is not set
   * @return the budget
   * @throws IllegalArgumentException when the property is not a positive duration
   */
  static java.time.Duration requestBudget(java.time.Duration byDefault) {
    String v = System.getProperty("sieveml.examples.requestBudget");
    if (v == null) {
      return byDefault;
    }
    java.time.Duration d;
    try {
      d = java.time.Duration.parse(v);
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("sieveml.examples.requestBudget is '" + v
          + "': expected an ISO-8601 duration such as PT10M", e);
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("sieveml.examples.requestBudget is " + v + ": expected a positive duration");
    }
    return d;
  }

  /**
   * Parses {@code --name value} pairs, exiting with a usage message on an unknown or incomplete option.
   *
   * @param args the arguments
   * @param allowed the accepted option names
   * @return option name to value
   */
  static Map<String, String> options(String[] args, String... allowed) {
    Map<String, String> out = new HashMap<>();
    List<String> ok = List.of(allowed);
    for (int i = 0; i < args.length; i += 2) {
      if (!ok.contains(args[i]) || i + 1 >= args.length) {
        System.err.println((ok.contains(args[i]) ? "missing value after " : "unknown option ") + args[i]);
        System.err.println("options: " + String.join(" ", ok) + " (each followed by a value)");
        System.exit(2);
      }
      out.put(args[i], args[i + 1]);
    }
    return out;
  }
}
