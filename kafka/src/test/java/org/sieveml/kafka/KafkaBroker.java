package org.sieveml.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker for tests: KRaft in combined mode ({@code process.roles=broker,controller},
 * {@code node.id=1}, a dynamic quorum of this one controller), run as a child JVM of the test JVM from the
 * Kafka artifacts on the test class path ({@code kafka.Kafka} with a generated {@code server.properties}).
 *
 * <p>Everything lives in the data directory given to {@link #start(Path)}: {@code server.properties},
 * {@code log4j2.properties}, the log directory {@code kafka-logs/} (formatted with
 * {@code kafka.tools.StorageTool format --standalone} before the first start), the broker's log
 * {@code broker.log} (WARN and above) and {@code console.log} (the child's stdout and stderr). The ports are
 * free loopback ports picked at the first start and kept in {@code server.properties}, so {@link #restart()}
 * and a later {@link #start(Path)} on the same directory use the same ports (a KRaft voter's endpoint is
 * part of its metadata log).
 *
 * <p>The child never outlives the test JVM: a shutdown hook kills it, and the child halts by itself within
 * half a second of seeing the test JVM gone ({@link ChildMain}), which covers a test JVM killed without
 * running hooks. Not thread-safe.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
  private static final String SERVER_PROPERTIES = "server.properties";
  private static final String LOG_DIR = "kafka-logs";
  private static final String BROKER_LOG = "broker.log";
  private static final String CONSOLE_LOG = "console.log";
  private static final Pattern PLAINTEXT_PORT = Pattern.compile("PLAINTEXT://127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern CONTROLLER_PORT = Pattern.compile("CONTROLLER://127\\.0\\.0\\.1:(\\d+)");

  /** Every broker process this JVM started and has not yet seen end. */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Process p : LIVE) {
        p.destroyForcibly();
      }
    }, "kafka-broker-reaper"));
  }

  private final Path dataDir;
  private final int brokerPort;
  private final int controllerPort;
  private Process process;
  private Duration lastStartup = Duration.ZERO;

  private KafkaBroker(Path dataDir, int brokerPort, int controllerPort) {
    this.dataDir = dataDir;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
  }

  /**
   * Starts a broker on a data directory: formats its storage when it was never formatted, starts the child
   * JVM and waits until an admin client sees the broker in {@code describeCluster()}.
   *
   * @param dataDir the broker's directory (created when absent); a directory a broker ran on before keeps
   *     its data, cluster id and ports
   * @return the running broker
   * @throws IOException when the storage cannot be formatted or the broker is not ready within 60 s (the
   *     message carries the tail of its log)
   */
  public static KafkaBroker start(Path dataDir) throws IOException {
    Path dir = dataDir.toAbsolutePath();
    Files.createDirectories(dir);
    Path serverProperties = dir.resolve(SERVER_PROPERTIES);
    int brokerPort;
    int controllerPort;
    if (Files.exists(serverProperties)) {
      Properties existing = new Properties();
      try (var in = Files.newBufferedReader(serverProperties, StandardCharsets.UTF_8)) {
        existing.load(in);
      }
      String listeners = existing.getProperty("listeners", "");
      brokerPort = port(PLAINTEXT_PORT, listeners, serverProperties);
      controllerPort = port(CONTROLLER_PORT, listeners, serverProperties);
    } else {
      int[] ports = freePorts(2);
      brokerPort = ports[0];
      controllerPort = ports[1];
    }
    KafkaBroker broker = new KafkaBroker(dir, brokerPort, controllerPort);
    broker.writeConfiguration();
    if (!Files.exists(dir.resolve(LOG_DIR).resolve("meta.properties"))) {
      broker.format();
    }
    broker.launchAndAwaitReady();
    return broker;
  }

  /**
   * The bootstrap servers of the broker's PLAINTEXT listener.
   *
   * @return {@code 127.0.0.1:<port>}
   */
  public String bootstrapServers() {
    return "127.0.0.1:" + brokerPort;
  }

  /**
   * The broker's data directory.
   *
   * @return the directory given to {@link #start(Path)}, absolute
   */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * How long the last start or restart took, from launching the child JVM until the broker answered.
   *
   * @return the time to ready
   */
  public Duration lastStartupTime() {
    return lastStartup;
  }

  /**
   * Creates a topic (replication factor 1) and waits until every partition has a leader.
   *
   * @param name the topic
   * @param partitions its partition count
   * @throws IOException when the creation fails or does not complete within 30 s
   */
  public void createTopic(String name, int partitions) throws IOException {
    try (Admin admin = admin()) {
      await(admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all(), Duration.ofSeconds(30));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try {
          TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get(5, TimeUnit.SECONDS).get(name);
          if (d.partitions().size() == partitions
              && d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty())) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          // not visible yet: retry until the deadline
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("topic " + name + " has no leader for all " + partitions + " partitions after 30 s"
              + logTail());
        }
        sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted creating topic " + name, e);
    }
  }

  /**
   * Stops the broker gracefully (SIGTERM, as an operator's restart would) and starts it again on the same
   * data directory and ports, waiting until it is ready. After {@link #kill()} it only starts.
   *
   * @throws IOException when it does not come back within 60 s
   */
  public void restart() throws IOException {
    stop();
    launchAndAwaitReady();
  }

  /** Kills the broker at once (SIGKILL, as a crash would look) and waits for the process to end. */
  public void kill() {
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
      waitQuietly(p, STOP_TIMEOUT);
      LIVE.remove(p);
      process = null;
    }
  }

  /** Stops the broker gracefully, killing it if it has not ended within 30 s. */
  @Override
  public void close() {
    stop();
  }

  private void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    if (!waitQuietly(p, STOP_TIMEOUT)) {
      p.destroyForcibly();
      waitQuietly(p, STOP_TIMEOUT);
    }
    LIVE.remove(p);
    process = null;
  }

  private void writeConfiguration() throws IOException {
    String controller = "127.0.0.1:" + controllerPort;
    Map<String, String> config = new LinkedHashMap<>();
    config.put("process.roles", "broker,controller");
    config.put("node.id", "1");
    config.put("controller.quorum.bootstrap.servers", controller);
    config.put("listeners", "PLAINTEXT://" + bootstrapServers() + ",CONTROLLER://" + controller);
    config.put("advertised.listeners", "PLAINTEXT://" + bootstrapServers() + ",CONTROLLER://" + controller);
    config.put("controller.listener.names", "CONTROLLER");
    config.put("inter.broker.listener.name", "PLAINTEXT");
    config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    config.put("log.dirs", dataDir.resolve(LOG_DIR).toString());
    config.put("num.partitions", "1");
    config.put("auto.create.topics.enable", "false");
    config.put("group.initial.rebalance.delay.ms", "0");
    config.put("offsets.topic.replication.factor", "1");
    // One partition instead of 50 each: the internal topics are created on first use, and 50 partitions
    // on a 2-core machine cost seconds in every test class.
    config.put("offsets.topic.num.partitions", "1");
    config.put("transaction.state.log.replication.factor", "1");
    config.put("transaction.state.log.min.isr", "1");
    config.put("transaction.state.log.num.partitions", "1");
    config.put("share.coordinator.state.topic.replication.factor", "1");
    config.put("share.coordinator.state.topic.min.isr", "1");
    // A killed broker's registration blocks its successor's (DUPLICATE_BROKER_REGISTRATION) until the old
    // session expires: 3 s instead of 9 s, so kill() + restart() takes a few seconds, not 12.
    config.put("broker.heartbeat.interval.ms", "500");
    config.put("broker.session.timeout.ms", "3000");
    // Small thread pools and cleaner buffer (default 128 MiB of heap) for a 2-core test machine.
    config.put("num.network.threads", "2");
    config.put("num.io.threads", "2");
    config.put("num.recovery.threads.per.data.dir", "1");
    config.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 << 20));
    StringBuilder server = new StringBuilder("# written by org.sieveml.kafka.KafkaBroker\n");
    config.forEach((k, v) -> server.append(k).append('=').append(escape(v)).append('\n'));
    Files.writeString(dataDir.resolve(SERVER_PROPERTIES), server, StandardCharsets.UTF_8);

    String log4j = String.join("\n",
        "# written by org.sieveml.kafka.KafkaBroker: the broker's log, WARN and above, to a file",
        "status = error",
        "appender.file.type = File",
        "appender.file.name = FILE",
        "appender.file.fileName = " + escape(dataDir.resolve(BROKER_LOG).toString()),
        "appender.file.append = true",
        "appender.file.layout.type = PatternLayout",
        "appender.file.layout.pattern = [%d] %p %m (%c)%n",
        "rootLogger.level = WARN",
        "rootLogger.appenderRef.file.ref = FILE",
        "");
    Files.writeString(dataDir.resolve("log4j2.properties"), log4j, StandardCharsets.UTF_8);
  }

  /** Formats the log directory in this JVM (the tool returns its exit code; its main would exit the JVM). */
  private void format() throws IOException {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exit;
    try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      exit = kafka.tools.StorageTool.execute(new String[] {"format", "--config",
          dataDir.resolve(SERVER_PROPERTIES).toString(), "--cluster-id", Uuid.randomUuid().toString(),
          "--standalone"}, out);
    } catch (RuntimeException e) {
      throw new IOException("formatting " + dataDir.resolve(LOG_DIR) + " failed: " + output.toString(
          StandardCharsets.UTF_8), e);
    }
    if (exit != 0) {
      throw new IOException("formatting " + dataDir.resolve(LOG_DIR) + " failed (exit " + exit + "): "
          + output.toString(StandardCharsets.UTF_8));
    }
  }

  private void launchAndAwaitReady() throws IOException {
    // Readiness is an answer on the broker port: make sure no other process (another broker on this
    // directory, say) holds the ports, or that answer would not be this broker's.
    for (int port : new int[] {brokerPort, controllerPort}) {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true); // as the broker binds: connections of the last run in TIME_WAIT do not count
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      } catch (IOException e) {
        throw new IOException("port " + port + " of the broker on " + dataDir + " is taken (another broker on"
            + " this directory?)", e);
      }
    }
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = List.of(java, "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
        "-Dlog4j2.configurationFile=" + dataDir.resolve("log4j2.properties"),
        // The broker's own shutdown hook logs its graceful shutdown: log4j's hook must not close the log first.
        "-Dlog4j2.shutdownHookEnabled=false",
        "-cp", System.getProperty("java.class.path"), ChildMain.class.getName(),
        dataDir.resolve(SERVER_PROPERTIES).toString());
    long started = System.nanoTime();
    Process p = new ProcessBuilder(command).directory(dataDir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve(CONSOLE_LOG).toFile())).start();
    LIVE.add(p);
    process = p;
    try {
      awaitReady(p, started);
    } catch (IOException | RuntimeException e) {
      kill();
      throw e;
    }
    lastStartup = Duration.ofNanos(System.nanoTime() - started);
  }

  private void awaitReady(Process p, long started) throws IOException {
    long deadline = started + READY_TIMEOUT.toNanos();
    Exception last = null;
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        if (!p.isAlive()) {
          throw new IOException("the broker on " + dataDir + " exited with " + p.exitValue() + " before it was ready"
              + logTail());
        }
        try {
          var nodes = admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
          if (nodes.stream().map(Node::id).anyMatch(id -> id == 1)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        }
        sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for the broker", e);
    }
    throw new IOException("the broker on " + dataDir + " was not ready within " + READY_TIMEOUT.toSeconds()
        + " s (last error: " + last + ")" + logTail());
  }

  private Admin admin() {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
    props.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "200");
    return Admin.create(props);
  }

  /** The last lines of the broker's log and console output, for failure messages. */
  private String logTail() {
    StringBuilder b = new StringBuilder();
    for (String name : List.of(BROKER_LOG, CONSOLE_LOG)) {
      Path f = dataDir.resolve(name);
      b.append("\n--- last lines of ").append(f).append(" ---\n");
      try {
        List<String> lines = Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of("(absent)");
        lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> b.append(l).append('\n'));
      } catch (IOException | UncheckedIOException e) {
        b.append("(unreadable: ").append(e).append(")\n");
      }
    }
    return b.toString();
  }

  private static int[] freePorts(int n) throws IOException {
    ServerSocket[] sockets = new ServerSocket[n];
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        if (s != null) {
          s.close();
        }
      }
    }
  }

  private static int port(Pattern pattern, String listeners, Path file) throws IOException {
    Matcher m = pattern.matcher(listeners);
    if (!m.find()) {
      throw new IOException(file + ": listeners '" + listeners + "' has no " + pattern.pattern());
    }
    return Integer.parseInt(m.group(1));
  }

  /** A value in a .properties file: backslashes escaped (Windows paths). */
  private static String escape(String value) {
    return value.replace("\\", "\\\\");
  }

  private static <T> T await(KafkaFuture<T> future, Duration timeout)
      throws IOException, InterruptedException {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("timed out after " + timeout.toSeconds() + " s", e);
    }
  }

  private static boolean waitQuietly(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      return false;
    }
  }

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /**
   * The child JVM's main class: {@code kafka.Kafka.main} with a watch on the parent, the test JVM: when that
   * ends however it ends (even killed, when no shutdown hook runs), the broker halts at once, so no broker
   * outlives its test JVM. (Standard input cannot carry that news: {@link Process#destroy()} closes the
   * pipe as it sends SIGTERM, and the broker must then shut down gracefully.)
   */
  public static final class ChildMain {
    private ChildMain() {}

    /**
     * Runs the broker.
     *
     * @param args {@code kafka.Kafka}'s arguments: the server.properties path
     */
    public static void main(String[] args) {
      ProcessHandle parent = ProcessHandle.current().parent()
          .orElseThrow(() -> new IllegalStateException("no parent process to watch"));
      Thread watch = new Thread(() -> {
        // Orphaned (re-parented, even while the dead parent is an unreaped zombie) or the parent gone: halt.
        while (parent.isAlive()
            && ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) == parent.pid()) {
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            return;
          }
        }
        Runtime.getRuntime().halt(3);
      }, "parent-watch");
      watch.setDaemon(true);
      watch.start();
      kafka.Kafka.main(args);
    }
  }

  /**
   * One broker per test class, in a temporary directory:
   * {@code @RegisterExtension static final KafkaBroker.PerClass KAFKA = new KafkaBroker.PerClass();}.
   */
  public static final class PerClass implements org.junit.jupiter.api.extension.BeforeAllCallback,
      org.junit.jupiter.api.extension.AfterAllCallback {
    private KafkaBroker broker;
    private Path dir;

    @Override
    public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) throws IOException {
      dir = Files.createTempDirectory("sieveml-kafka");
      broker = KafkaBroker.start(dir.resolve("broker"));
    }

    @Override
    public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) throws IOException {
      if (broker != null) {
        broker.close();
      }
      if (dir != null) {
        try (var files = Files.walk(dir)) {
          for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
            Files.deleteIfExists(p);
          }
        }
      }
    }

    /**
     * The running broker.
     *
     * @return the broker
     */
    public KafkaBroker broker() {
      return broker;
    }
  }
}
