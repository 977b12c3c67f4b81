package org.sieveml.features;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} child process for tests: a free loopback port, a temporary directory,
 * no persistence; {@link #stop()} and {@link #start()} again on the same port simulate an outage and a
 * restart. Not thread-safe.
 */
public final class RedisServer implements AutoCloseable {
  private final Path dir;
  private final int port;
  private Process process;

  private RedisServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /**
   * Whether {@code redis-server} is on the PATH.
   *
   * @return true when it can be started
   */
  public static boolean available() {
    return commandAvailable("redis-server");
  }

  /**
   * Whether a command answers {@code --version} (e.g. {@code redis-cli}).
   *
   * @param command the command
   * @return true when it runs
   */
  public static boolean commandAvailable(String command) {
    try {
      Process p = new ProcessBuilder(command, "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Starts a server on a free port.
   *
   * @return the running server
   * @throws IOException when it cannot start
   */
  public static RedisServer startNew() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    RedisServer r = new RedisServer(Files.createTempDirectory("sieveml-redis"), port);
    r.start();
    return r;
  }

  /**
   * The server's URI.
   *
   * @return {@code redis://127.0.0.1:<port>}
   */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /**
   * Starts (or restarts) the server on its port and waits until it answers PING.
   *
   * @throws IOException when it does not come up within 10 s
   */
  public void start() throws IOException {
    process = new ProcessBuilder(List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "yes"))
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (ping()) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
    throw new IOException("redis-server on port " + port + " did not answer PING within 10 s; log: "
        + Files.readString(dir.resolve("redis.log")));
  }

  private boolean ping() {
    try (Socket s = new Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] b = new byte[7];
      int n = in.read(b);
      return n > 0 && new String(b, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** Kills the server (as a crash or a network failure would look to clients) and waits for it. */
  public void stop() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  @Override
  public void close() {
    stop();
  }

  /**
   * A JUnit 5 extension giving a test class one server for all its tests
   * ({@code @RegisterExtension static final RedisServer.PerClass REDIS = new RedisServer.PerClass();}):
   * started before the first test, closed after the last; the class is skipped, saying so, when
   * {@code redis-server} is not installed.
   */
  public static final class PerClass implements org.junit.jupiter.api.extension.BeforeAllCallback,
      org.junit.jupiter.api.extension.AfterAllCallback {
    private RedisServer server;

    @Override
    public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) throws IOException {
      org.junit.jupiter.api.Assumptions.assumeTrue(available(),
          "redis-server is not installed (.ci/run installs it): Redis tests skipped");
      server = startNew();
    }

    @Override
    public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) {
      if (server != null) {
        server.close();
        server = null;
      }
    }

    /**
     * The running server's URI.
     *
     * @return {@code redis://127.0.0.1:<port>}
     */
    public String uri() {
      return server.uri();
    }
  }
}
