package org.sieveml.features.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code redis-server} child processes with extra arguments (a password, cluster mode) and a local
 * three-node Redis Cluster, for tests. Every process started is killed by {@link #close()}. Not
 * thread-safe.
 */
final class RedisProcesses implements AutoCloseable {
  private final Path dir;
  private final List<Process> processes = new ArrayList<>();

  RedisProcesses() throws IOException {
    this.dir = Files.createTempDirectory("sieveml-redis-procs");
  }

  /** Whether redis-cli is on the PATH (needed to create a cluster). */
  static boolean cliAvailable() {
    return org.sieveml.features.RedisServer.commandAvailable("redis-cli");
  }

  /** A free loopback port whose cluster bus port (+10000) is free too. */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 200; attempt++) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int p = s.getLocalPort();
        if (p + 10_000 > 65_535) {
          continue;
        }
        try (ServerSocket bus = new ServerSocket(p + 10_000, 1, InetAddress.getLoopbackAddress())) {
          return p;
        } catch (IOException busy) {
          // try another
        }
      }
    }
    throw new IOException("no free port pair (p, p + 10000) found");
  }

  /**
   * Starts a server on a free port with extra arguments and waits until it answers.
   *
   * @return the port
   */
  int start(String... extra) throws IOException {
    int port = freePort();
    start(port, extra);
    return port;
  }

  void start(int port, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--save", "", "--appendonly", "no"));
    cmd.addAll(List.of(extra));
    Path log = dir.resolve("redis-" + port + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes.add(p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (answers(port)) {
        return;
      }
      sleep(20);
    }
    throw new IOException("redis-server on port " + port + " did not answer within 10 s; log: " + Files.readString(log));
  }

  /**
   * Starts a three-node cluster (no replicas) and waits until every node reports {@code cluster_state:ok}.
   *
   * @return the nodes' ports
   */
  int[] startCluster() throws IOException {
    return startCluster(null);
  }

  /**
   * Starts a three-node cluster whose nodes require a password (when not null).
   *
   * @return the nodes' ports
   */
  int[] startCluster(String password) throws IOException {
    int[] ports = new int[3];
    List<String> auth = password == null ? List.of() : List.of("-a", password, "--no-auth-warning");
    for (int i = 0; i < 3; i++) {
      ports[i] = freePort();
      List<String> args = new ArrayList<>(List.of("--cluster-enabled", "yes", "--cluster-config-file",
          dir.resolve("nodes-" + ports[i] + ".conf").toString(), "--cluster-node-timeout", "5000"));
      if (password != null) {
        args.addAll(List.of("--requirepass", password, "--masterauth", password));
      }
      start(ports[i], args.toArray(new String[0]));
    }
    List<String> create = new ArrayList<>(List.of("redis-cli"));
    create.addAll(auth);
    create.addAll(List.of("--cluster", "create"));
    for (int p : ports) {
      create.add("127.0.0.1:" + p);
    }
    create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    String out = run(create);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      boolean ok = true;
      for (int p : ports) {
        List<String> info = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(p)));
        info.addAll(auth);
        info.addAll(List.of("cluster", "info"));
        ok &= run(info).contains("cluster_state:ok");
      }
      if (ok) {
        return ports;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the cluster did not reach cluster_state:ok within 30 s; create said: " + out);
      }
      sleep(100);
    }
  }

  static String run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(cmd + " did not finish within 30 s: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return out;
  }

  private static boolean answers(int port) {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] b = new byte[16];
      int n = in.read(b);
      String r = n > 0 ? new String(b, 0, n, StandardCharsets.US_ASCII) : "";
      return r.startsWith("+PONG") || r.startsWith("-NOAUTH");
    } catch (IOException e) {
      return false;
    }
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  @Override
  public void close() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
  }
}
