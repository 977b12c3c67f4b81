package org.sieveml.kafka;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** A child JVM running {@link IngestMain}, its output lines collected. */
final class Child implements AutoCloseable {

  final Process process;
  final List<String> lines = new CopyOnWriteArrayList<>();
  volatile String last = "";

  private Child(Process p) {
    this.process = p;
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (!line.startsWith("STATUS")) {
            lines.add(line);
          }
          last = line.startsWith("STATUS") ? last : line;
          lastStatus = line.startsWith("STATUS") ? line : lastStatus;
        }
      } catch (IOException e) {
        // the process died
      }
    }, "child-output");
    t.setDaemon(true);
    t.start();
  }

  volatile String lastStatus = "";

  static Child start(Path log, String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), IngestMain.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile());
    return new Child(pb.start());
  }

  /** Waits until a line (after {@code from}) matches, or fails naming what was seen. */
  int await(int from, Predicate<String> p, long timeoutMillis, String what) throws InterruptedException {
    long until = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < until) {
      for (int i = from; i < lines.size(); i++) {
        if (p.test(lines.get(i))) {
          return i;
        }
      }
      if (!process.isAlive()) {
        throw new AssertionError("the child exited (" + process.exitValue() + ") before " + what + "; last lines: "
            + tail());
      }
      Thread.sleep(5);
    }
    throw new AssertionError("timed out waiting for " + what + "; last lines: " + tail());
  }

  /** Waits until the child's status shows no lag and at least {@code records} applied. */
  void awaitCaughtUp(long timeoutMillis) throws InterruptedException {
    awaitCaughtUp(timeoutMillis, 0);
  }

  /**
   * Waits for a status with no lag whose positions (summed over the partitions) reach {@code
   * minPosition}: lag alone can read 0 from end offsets the runner fetched before more records were
   * produced (seen after a broker restart, when the test stopped the child before it read them).
   */
  void awaitCaughtUp(long timeoutMillis, long minPosition) throws InterruptedException {
    long until = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < until) {
      String s = lastStatus;
      if (s.contains("lag=0 ") && !s.contains("partitions=0") && fieldOf(s, "positions=") >= minPosition) {
        return;
      }
      if (!process.isAlive()) {
        throw new AssertionError("the child exited before catching up; last lines: " + tail());
      }
      Thread.sleep(20);
    }
    throw new AssertionError("not caught up in time: " + lastStatus + "; " + tail());
  }

  private static long fieldOf(String status, String field) {
    int at = status.indexOf(field);
    if (at < 0) {
      return -1;
    }
    int end = status.indexOf(' ', at);
    return Long.parseLong(status.substring(at + field.length(), end < 0 ? status.length() : end));
  }

  String tail() {
    int n = lines.size();
    return lines.subList(Math.max(0, n - 8), n).toString();
  }

  void kill() throws InterruptedException {
    process.destroyForcibly(); // SIGKILL
    process.waitFor();
  }

  void signal(String sig) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
