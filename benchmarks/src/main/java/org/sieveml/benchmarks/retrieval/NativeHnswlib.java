package org.sieveml.benchmarks.retrieval;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;

/**
 * Native C++ hnswlib, the anchor of the retrieval benchmarks: the header-only library of the Debian
 * package {@code libhnswlib-dev} (0.6.2 on Debian 12), compiled with {@code g++ -O3 -march=native} into
 * the small driver {@code src/main/native/hnswlib_driver.cpp} (shipped in the benchmarks jar), which
 * reads the same base vectors, queries and ground truth as the Java contenders from a file, builds one
 * {@code HierarchicalNSW} over unit vectors with {@code InnerProductSpace} (hnswlib's own form of
 * cosine, as its Python binding's {@code space='cosine'}) and searches on one thread.
 *
 * <p>The driver is compiled once per source, compiler flags and hnswlib headers into
 * {@code ${java.io.tmpdir}/sieveml-native/} and reused by later runs. It needs {@code g++} on the
 * {@code PATH} (or the compiler named by the environment variable {@code CXX}) and
 * {@value #HEADER}; where either is absent, {@link #unavailable()} says which and {@link #run} throws
 * {@link Unavailable} naming {@value #INSTALL}. The tests never need it.
 *
 * <p>Each ef of the ladder gets one untimed pass over all queries that measures recall@10 (and warms
 * the caches), then {@code rounds} timed passes; a point's queries per second is the median pass.
 * The build is timed from the empty index to the last inserted vector, normalisation included.
 *
 * <p>Thread-safe: every {@link #run} writes its own data file and starts its own process; concurrent
 * first runs may both compile the driver, and the last one's binary wins.
 */
public final class NativeHnswlib {

  /** The hnswlib header the driver includes. */
  public static final String HEADER = "/usr/include/hnswlib/hnswlib.h";
  /** What to install where the driver cannot be built. */
  public static final String INSTALL = "apt-get install libhnswlib-dev g++";
  /** The compiler flags (besides the output): the build every figure of native hnswlib is made with. */
  public static final List<String> FLAGS = List.of("-O3", "-march=native", "-std=c++17", "-pthread");
  /** The contender's name in sweeps and reports. */
  public static final String NAME = "hnswlib-native";

  private static final String SOURCE = "hnswlib_driver.cpp";
  private static final byte[] MAGIC = "SVANN01\0".getBytes(StandardCharsets.US_ASCII);

  private NativeHnswlib() {}

  /** Native hnswlib cannot run here: a compiler or the hnswlib headers are missing. */
  public static final class Unavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message) {
      super(message);
    }
  }

  /**
   * One ef of the ladder.
   *
   * @param ef the search ef
   * @param recall mean recall@k against the ground truth
   * @param qps single-threaded queries per second, the median timed pass
   * @param roundQps every timed pass's queries per second, in run order
   */
  public record Point(int ef, double recall, double qps, double[] roundQps) {}

  /**
   * What one driver run measured.
   *
   * @param vectors base vectors indexed
   * @param buildThreads threads that built the graph
   * @param buildSeconds wall-clock build time
   * @param points one per ef run, in ladder order (fewer than the ladder when it stopped at a recall)
   */
  public record Result(int vectors, int buildThreads, double buildSeconds, List<Point> points) {

    /**
     * Copies the points.
     *
     * @param vectors base vectors
     * @param buildThreads build threads
     * @param buildSeconds build time
     * @param points the points
     */
    public Result {
      points = List.copyOf(points);
    }

    /**
     * Build throughput.
     *
     * @return vectors indexed per second of build
     */
    public double buildVectorsPerSecond() {
      return vectors / buildSeconds;
    }

    /**
     * The point of the smallest ef (first on the ladder) whose recall reaches a target.
     *
     * @param target e.g. 0.95
     * @return the point, empty when no ef reached it
     */
    public Optional<Point> firstReaching(double target) {
      return points.stream().filter(p -> p.recall() >= target).findFirst();
    }

    /**
     * Queries per second at the smallest ef whose recall reaches a target (the equal-recall figure).
     *
     * @param target e.g. 0.95
     * @return the point's queries per second, empty when no ef reached the target
     */
    public OptionalDouble qpsAtRecall(double target) {
      return firstReaching(target).map(p -> OptionalDouble.of(p.qps())).orElse(OptionalDouble.empty());
    }
  }

  /**
   * Why native hnswlib cannot run on this machine.
   *
   * @return the reason, naming what to install; empty when it can run
   */
  public static Optional<String> unavailable() {
    List<String> missing = new ArrayList<>();
    if (compiler().isEmpty()) {
      missing.add("no C++ compiler (" + compilerName() + " not on the PATH)");
    }
    if (!Files.isReadable(Path.of(HEADER))) {
      missing.add("no " + HEADER);
    }
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("native hnswlib unavailable: " + String.join(", ", missing) + "; install with `" + INSTALL
        + "`");
  }

  /**
   * Builds native hnswlib on one thread and sweeps the ladder to its end.
   *
   * @param data the data set (cosine)
   * @param truth per query, the base indexes of its true neighbours ({@link AnnContenders#groundTruth})
   * @param m HNSW M
   * @param efConstruction HNSW efConstruction
   * @param efLadder the search ef values, in order
   * @param rounds timed passes over all queries per ef
   * @return the build time and one point per ef
   * @throws Unavailable when g++ or the hnswlib headers are missing
   */
  public static Result run(DataSet data, int[][] truth, int m, int efConstruction, int[] efLadder, int rounds) {
    return run(data, truth, m, efConstruction, 1, efLadder, rounds, Double.NaN);
  }

  /**
   * Builds native hnswlib and sweeps the ladder, optionally stopping at a recall.
   *
   * @param data the data set (cosine)
   * @param truth per query, the base indexes of its true neighbours, all rows of the same length
   * @param m HNSW M
   * @param efConstruction HNSW efConstruction
   * @param buildThreads threads that insert the vectors (searching always uses one)
   * @param efLadder the search ef values, in order
   * @param rounds timed passes over all queries per ef
   * @param stopAtRecall stop after the first ef whose recall reaches this, or NaN to run the whole ladder
   * @return the build time and one point per ef run
   * @throws Unavailable when g++ or the hnswlib headers are missing
   * @throws IllegalStateException when the driver fails to compile or run
   */
  public static Result run(DataSet data, int[][] truth, int m, int efConstruction, int buildThreads, int[] efLadder,
      int rounds, double stopAtRecall) {
    if (truth.length != data.queries().length || truth.length == 0) {
      throw new IllegalArgumentException("truth has " + truth.length + " rows for " + data.queries().length
          + " queries");
    }
    if (efLadder.length == 0 || rounds < 1 || buildThreads < 1) {
      throw new IllegalArgumentException("need an ef ladder, rounds >= 1 and buildThreads >= 1, were "
          + Arrays.toString(efLadder) + ", " + rounds + ", " + buildThreads);
    }
    Path driver = driver();
    Path file = null;
    try {
      file = Files.createTempFile("sieveml-ann-", ".bin");
      write(file, data, truth);
      List<String> cmd = new ArrayList<>(List.of(driver.toString(), file.toString(), Integer.toString(m),
          Integer.toString(efConstruction), Integer.toString(buildThreads), Integer.toString(rounds),
          Arrays.stream(efLadder).mapToObj(Integer::toString).collect(Collectors.joining(","))));
      if (!Double.isNaN(stopAtRecall)) {
        cmd.add(Double.toString(stopAtRecall));
      }
      return parse(exec(cmd), data.base().length);
    } catch (IOException e) {
      throw new UncheckedIOException("native hnswlib: cannot write the data file", e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          // a leftover temporary file is harmless
        }
      }
    }
  }

  /**
   * Parses the driver's output.
   *
   * @param lines its standard output
   * @param vectors base vectors indexed
   * @return the result
   * @throws IllegalStateException when the output lacks the build line or the final {@code done}
   */
  static Result parse(List<String> lines, int vectors) {
    double seconds = Double.NaN;
    int threads = 0;
    List<Point> points = new ArrayList<>();
    boolean done = false;
    for (String line : lines) {
      String[] f = line.trim().split(" +");
      if (f[0].equals("build") && f.length >= 5) {
        seconds = Double.parseDouble(f[2]);
        threads = Integer.parseInt(f[4]);
      } else if (f[0].equals("ef") && f.length >= 8) {
        // ef EF recall R qps_median Q qps_rounds Q1 Q2 ...
        double[] rounds = new double[f.length - 7];
        for (int i = 0; i < rounds.length; i++) {
          rounds[i] = Double.parseDouble(f[7 + i]);
        }
        points.add(new Point(Integer.parseInt(f[1]), Double.parseDouble(f[3]), Double.parseDouble(f[5]), rounds));
      } else if (f[0].equals("done")) {
        done = true;
      }
    }
    if (Double.isNaN(seconds) || !done) {
      throw new IllegalStateException("native hnswlib: unexpected driver output:\n" + String.join("\n", lines));
    }
    return new Result(vectors, threads, seconds, points);
  }

  private static List<String> exec(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      List<String> lines = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          lines.add(line);
        }
      }
      int status = p.waitFor();
      if (status != 0) {
        throw new IllegalStateException("native hnswlib: " + String.join(" ", cmd) + " exited with " + status + ":\n"
            + String.join("\n", lines));
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException("native hnswlib: cannot run " + cmd.get(0), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("native hnswlib: interrupted", e);
    }
  }

  /** Writes the driver's little-endian data file (the format is in {@code hnswlib_driver.cpp}). */
  private static void write(Path file, DataSet data, int[][] truth) throws IOException {
    int k = truth[0].length;
    int dim = data.dimension();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      buf.put(MAGIC).putInt(data.base().length).putInt(data.queries().length).putInt(dim).putInt(k);
      for (float[][] rows : List.of(data.base(), data.queries())) {
        for (float[] v : rows) {
          if (v.length != dim) {
            throw new IllegalArgumentException("a vector has " + v.length + " dimensions, expected " + dim);
          }
          if (buf.remaining() < dim * Float.BYTES) {
            drain(ch, buf);
          }
          for (float x : v) {
            buf.putFloat(x);
          }
        }
      }
      for (int[] row : truth) {
        if (row.length != k) {
          throw new IllegalArgumentException("truth rows have " + row.length + " and " + k + " neighbours");
        }
        if (buf.remaining() < k * Integer.BYTES) {
          drain(ch, buf);
        }
        for (int id : row) {
          buf.putInt(id);
        }
      }
      drain(ch, buf);
    }
  }

  private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
    buf.flip();
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
  }

  /** The compiled driver, compiling it when this source, these flags and headers have not been yet. */
  static synchronized Path driver() {
    Optional<String> why = unavailable();
    if (why.isPresent()) {
      throw new Unavailable(why.get());
    }
    byte[] source;
    try (InputStream in = NativeHnswlib.class.getResourceAsStream(SOURCE)) {
      if (in == null) {
        throw new IllegalStateException("native hnswlib: " + SOURCE + " is not on the class path next to "
            + NativeHnswlib.class.getName() + "; rebuild the benchmarks jar");
      }
      source = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "sieveml-native");
    Path binary = dir.resolve("hnswlib_driver-" + fingerprint(source));
    if (Files.isExecutable(binary)) {
      return binary;
    }
    try {
      Files.createDirectories(dir);
      Path src = Files.createTempFile(dir, "hnswlib_driver-", ".cpp");
      Path out = Files.createTempFile(dir, "hnswlib_driver-", ".tmp");
      try {
        Files.write(src, source);
        List<String> cmd = new ArrayList<>();
        cmd.add(compiler().orElseThrow().toString());
        cmd.addAll(FLAGS);
        cmd.addAll(List.of("-o", out.toString(), src.toString()));
        System.out.println("native hnswlib: compiling the driver: " + String.join(" ", cmd));
        exec(cmd);
        try {
          Files.move(out, binary, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(out, binary, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(src);
        Files.deleteIfExists(out);
      }
      return binary;
    } catch (IOException e) {
      throw new UncheckedIOException("native hnswlib: cannot compile the driver into " + dir, e);
    }
  }

  /** The driver source, compiler, flags and hnswlib headers, hashed. */
  private static String fingerprint(byte[] source) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(source);
      sha.update(String.join(" ", FLAGS).getBytes(StandardCharsets.UTF_8));
      sha.update(compiler().orElseThrow().toString().getBytes(StandardCharsets.UTF_8));
      try (var headers = Files.list(Path.of(HEADER).getParent())) {
        for (Path h : headers.sorted().toList()) {
          sha.update(h.getFileName().toString().getBytes(StandardCharsets.UTF_8));
          sha.update(Files.readAllBytes(h));
        }
      }
      return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException("native hnswlib: cannot read the headers beside " + HEADER, e);
    }
  }

  private static String compilerName() {
    String cxx = System.getenv("CXX");
    return cxx == null || cxx.isBlank() ? "g++" : cxx.trim();
  }

  private static Optional<Path> compiler() {
    String name = compilerName();
    if (name.contains("/")) {
      Path p = Path.of(name);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Runs native hnswlib alone on one data set and prints its build and ladder.
   *
   * <pre>
   * java -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.retrieval.NativeHnswlib \
   *     [--n 100000] [--dim 128] [--mnist DATA_DIR] [--threads 1] [--rounds 5] [--ef 10,12,16,...]
   * </pre>
   *
   * The default set is the seeded {@code n x dim} clustered set of the benchmarks (1,000 topics, 1,000
   * queries, seed 42); {@code --mnist} takes MNIST-10k instead. Exits with status 3, saying what to
   * install, when native hnswlib is unavailable.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    int n = 100_000;
    int dim = 128;
    Path mnist = null;
    int threads = 1;
    int rounds = 5;
    int[] ladder = AnnContenders.EF_LADDER;
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + args[i]);
      }
      String v = args[i + 1];
      switch (args[i]) {
        case "--n" -> n = Integer.parseInt(v);
        case "--dim" -> dim = Integer.parseInt(v);
        case "--mnist" -> mnist = Path.of(v);
        case "--threads" -> threads = Integer.parseInt(v);
        case "--rounds" -> rounds = Integer.parseInt(v);
        case "--ef" -> ladder = Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
        default -> throw new IllegalArgumentException("unknown option " + args[i] + "; usage: NativeHnswlib [--n N] "
            + "[--dim D] [--mnist DATA_DIR] [--threads T] [--rounds R] [--ef EF,EF,...]");
      }
    }
    Optional<String> why = unavailable();
    if (why.isPresent()) {
      System.out.println("skip " + NAME + ": " + why.get());
      System.exit(3);
    }
    DataSet data = mnist != null ? AnnContenders.mnist(mnist) : AnnContenders.seeded(n, dim, 1000, 1000, 42);
    System.out.printf(Locale.ROOT, "== %s: %d base vectors, %d queries, M=%d, efConstruction=%d, %d build threads, "
        + "%d rounds%n", data.name(), data.base().length, data.queries().length, AnnContenders.M,
        AnnContenders.EF_CONSTRUCTION, threads, rounds);
    long t = System.nanoTime();
    int[][] truth = AnnContenders.groundTruth(data);
    System.out.printf(Locale.ROOT, "ground truth (exact, 1 thread): %.1f s%n", (System.nanoTime() - t) / 1e9);
    Result r = run(data, truth, AnnContenders.M, AnnContenders.EF_CONSTRUCTION, threads, ladder, rounds, Double.NaN);
    System.out.print(describe(r));
    System.out.printf(Locale.ROOT, "qps at recall@10 >= 0.95: %s%n", r.firstReaching(0.95)
        .map(p -> String.format(Locale.ROOT, "%.0f (ef %d, recall %.4f)", p.qps(), p.ef(), p.recall()))
        .orElse("not reached"));
  }

  /**
   * Prints a result as a table, for harnesses.
   *
   * @param r the result
   * @return one line for the build, a header, one line per point
   */
  static String describe(Result r) {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "build %-14s %7.2f s (%d threads, %.0f vectors/s)%n",
        NAME, r.buildSeconds(), r.buildThreads(), r.buildVectorsPerSecond()));
    s.append(String.format(Locale.ROOT, "%-14s %5s %8s %10s%n", "index", "ef", "recall", "qps"));
    for (Point p : r.points()) {
      s.append(String.format(Locale.ROOT, "%-14s %5d %8.4f %10.0f%n", NAME, p.ef(), p.recall(), p.qps()));
    }
    return s.toString();
  }
}
