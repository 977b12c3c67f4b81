package org.sieveml.core.pipeline;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.Telemetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Served-feature logging: the hook through which a {@link TwoStagePipeline} records, for a sample of
 * its requests, exactly what it served (a {@link ServedRequest}: keys, feature vectors with their
 * statuses, the read time, the model version, the scores and the final ranking), so that training data
 * can be built from what serving saw, and skew computed from the log. Set it with
 * {@link TwoStagePipeline.Builder#servingLog(ServingLog)}.
 *
 * <pre>{@code
 * ServingLog log = ServingLog.builder(CsvServedRequestSink.create(Path.of("served-0001.csv"), source.schema()))
 *     .sampleRate(0.1).seed(7)
 *     .queueCapacity(10_000)
 *     .executor(hostExecutor)          // optional: default, a daemon thread the log owns
 *     .build();
 * TwoStagePipeline pipeline = TwoStagePipeline.builder()...servingLog(log).build();
 * ...
 * log.close();                          // after the last request; then shut down hostExecutor
 * }</pre>
 *
 * <h2>Sampling</h2>
 * A request is logged when {@link #isSampled(String)} says so: a hash of the seed and the request id,
 * compared with the rate. The decision is a pure function of (seed, rate, request id): a replay of the
 * same request ids with the same seed samples the same requests, on any machine, in any order.
 *
 * <h2>Never in the request's way</h2>
 * The request thread builds the record (references to the immutable vectors and candidates; no copy of
 * values) and offers it to a bounded queue; it never blocks and never sees an exception of the log.
 * A background task on the {@linkplain Builder#executor(Executor) executor} drains the queue into the
 * {@link ServedRequestSink}, one task at a time, and {@linkplain ServedRequestSink#flush() flushes} the
 * sink whenever the queue runs empty. When the queue is full (the sink is slower than the traffic), the
 * log is closed, or the executor rejects the task, the record is <em>dropped</em>; when the sink
 * throws, the record is <em>failed</em>. Both are counted, never retried. The host's executor must run
 * tasks on threads of its own (not the submitting thread, as {@code CallerRunsPolicy} would), or the
 * sink's work lands on the request.
 *
 * <h2>Telemetry</h2>
 * With log name {@code L} (default {@code servinglog}), counters {@code L.sampled} (records offered),
 * {@code L.written}, {@code L.dropped} and {@code L.failed}; the same counts are read with
 * {@link #sampledCount()} and its siblings. Every offered record ends as exactly one of written, dropped,
 * failed, or still queued.
 *
 * <h2>Closing, and what a crash loses</h2>
 * {@link #close()}: stop the pipeline's traffic first (records offered after close are dropped), then
 * close the log, which waits for the running drain task, writes every record still queued on the
 * calling thread, flushes and closes the sink, and shuts down the executor if the log owns it; then shut
 * down a host-supplied executor (the log never shuts down an executor it was given). A crash (or
 * {@code kill -9}) loses the records still queued and whatever the sink had buffered since its last
 * flush; a file sink may leave a torn last line, which {@link ServedLogReader} detects and reports.
 *
 * <p>Thread-safety: thread-safe; one log may serve several pipelines (their records interleave in the
 * sink, each whole).
 */
public final class ServingLog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServingLog.class);
  private static final long WARN_INTERVAL_NANOS = 10_000_000_000L;

  private final String name;
  private final ServedRequestSink sink;
  private final double sampleRate;
  private final long seed;
  private final ArrayBlockingQueue<ServedRequest> queue;
  private final Executor executor;
  private final boolean ownsExecutor;
  private final LongSupplier clock;
  private final Telemetry telemetry;
  private final Telemetry.Counter sampledCounter;
  private final Telemetry.Counter writtenCounter;
  private final Telemetry.Counter droppedCounter;
  private final Telemetry.Counter failedCounter;
  private final LongAdder sampled = new LongAdder();
  private final LongAdder written = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong lastWarn = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
  private final Object writeLock = new Object();
  /** Guarded by writeLock. */
  private boolean sinkClosed;

  private ServingLog(Builder b) {
    this.name = b.name;
    this.sink = b.sink;
    this.sampleRate = b.sampleRate;
    this.seed = b.seed;
    this.queue = new ArrayBlockingQueue<>(b.queueCapacity);
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownsExecutor = false;
    } else {
      String threadName = "sieveml-servinglog-" + name;
      this.executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
      });
      this.ownsExecutor = true;
    }
    this.clock = b.clock;
    this.telemetry = b.telemetry != null ? b.telemetry : new InMemoryTelemetry();
    this.sampledCounter = telemetry.counter(name + ".sampled");
    this.writtenCounter = telemetry.counter(name + ".written");
    this.droppedCounter = telemetry.counter(name + ".dropped");
    this.failedCounter = telemetry.counter(name + ".failed");
  }

  /**
   * Returns a builder of a log writing to {@code sink}.
   *
   * @param sink where records go; the log closes it on {@link #close()}
   * @return a new builder
   * @throws IllegalArgumentException if the sink is null
   */
  public static Builder builder(ServedRequestSink sink) {
    if (sink == null) {
      throw new IllegalArgumentException("sink must not be null");
    }
    return new Builder(sink);
  }

  /**
   * Whether a request of this id is logged: a pure function of the seed, the rate and the id.
   *
   * @param requestId the request's id, not null
   * @return true when the request is in the sample
   */
  public boolean isSampled(String requestId) {
    if (sampleRate >= 1.0) {
      return true;
    }
    if (sampleRate <= 0.0) {
      return false;
    }
    return sampleUniform(seed, requestId) < sampleRate;
  }

  /** A uniform number in [0, 1) from the seed and the id: FNV-1a over the chars, then a 64-bit finalizer. */
  static double sampleUniform(long seed, String id) {
    long h = 0xCBF29CE484222325L ^ mix(seed);
    for (int i = 0; i < id.length(); i++) {
      h ^= id.charAt(i);
      h *= 0x100000001B3L;
    }
    return (mix(h) >>> 11) * 0x1.0p-53;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return z ^ (z >>> 33);
  }

  /**
   * The log's name, the prefix of its metric names.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The fraction of requests logged.
   *
   * @return the rate, in [0, 1]
   */
  public double sampleRate() {
    return sampleRate;
  }

  /**
   * The sampling seed.
   *
   * @return the seed
   */
  public long seed() {
    return seed;
  }

  /**
   * The telemetry the log counts into.
   *
   * @return the telemetry given to the builder, or the log's own {@link InMemoryTelemetry}
   */
  public Telemetry telemetry() {
    return telemetry;
  }

  /**
   * Records offered to the log (requests sampled).
   *
   * @return the count so far
   */
  public long sampledCount() {
    return sampled.sum();
  }

  /**
   * Records the sink wrote.
   *
   * @return the count so far
   */
  public long writtenCount() {
    return written.sum();
  }

  /**
   * Records dropped: the queue was full, the log closed, or the executor refused the drain task.
   *
   * @return the count so far
   */
  public long droppedCount() {
    return dropped.sum();
  }

  /**
   * Records the sink failed to write (it threw).
   *
   * @return the count so far
   */
  public long failedCount() {
    return failed.sum();
  }

  /**
   * Records waiting in the queue.
   *
   * @return the current queue length
   */
  public int queuedCount() {
    return queue.size();
  }

  long nowMillis() {
    return clock.getAsLong();
  }

  /** Offers a record from a request thread; never blocks, never throws. */
  void offer(ServedRequest record) {
    sampled.increment();
    sampledCounter.increment();
    if (closed.get()) {
      drop("the log is closed", null);
      return;
    }
    if (!queue.offer(record)) {
      drop("the queue is full (capacity " + (queue.size() + queue.remainingCapacity())
          + "); the sink is slower than the traffic", null);
      return;
    }
    if (closed.get() && queue.remove(record)) {
      drop("the log is closed", null);
      return;
    }
    schedule();
  }

  /** Counts a record the request thread could not even build (a bug in a stage's output). */
  void lost(RuntimeException e) {
    drop("the record could not be built", e);
  }

  private void drop(String why, Throwable cause) {
    dropped.increment();
    droppedCounter.increment();
    warn("serving log '" + name + "' dropped a record: " + why, cause);
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        executor.execute(this::drainTask);
      } catch (RejectedExecutionException e) {
        scheduled.set(false);
        // the queued records stay until a later task runs, or are dropped by a full queue
        warn("serving log '" + name + "': the executor refused the drain task (" + e.getMessage() + ")", null);
      }
    }
  }

  private void drainTask() {
    try {
      drain();
    } finally {
      scheduled.set(false);
      if (!queue.isEmpty() && !closed.get()) {
        schedule();
      }
    }
  }

  private void drain() {
    synchronized (writeLock) {
      if (sinkClosed) {
        return;
      }
      ServedRequest r;
      boolean any = false;
      while ((r = queue.poll()) != null) {
        any = true;
        try {
          sink.write(r);
          written.increment();
          writtenCounter.increment();
        } catch (RuntimeException e) {
          failed.increment();
          failedCounter.increment();
          warn("serving log '" + name + "': the sink failed to write request '" + r.requestId() + "'", e);
        }
      }
      if (any) {
        try {
          sink.flush();
        } catch (RuntimeException e) {
          warn("serving log '" + name + "': the sink failed to flush", e);
        }
      }
    }
  }

  private void warn(String message, Throwable cause) {
    long now = System.nanoTime();
    long last = lastWarn.get();
    if (now - last >= WARN_INTERVAL_NANOS && lastWarn.compareAndSet(last, now)) {
      LOG.warn("{} (further problems of this log at DEBUG for 10 s)", message, cause);
    } else if (LOG.isDebugEnabled()) {
      LOG.debug(message, cause);
    }
  }

  /**
   * Writes every queued record, then flushes and closes the sink, and shuts down the executor if the
   * log owns it. Waits for a running drain task. Records offered afterwards are dropped. Idempotent.
   * Close the log after the last request and before shutting down a host-supplied executor.
   *
   * @throws RuntimeException what the sink's {@link ServedRequestSink#close()} throws (the log is closed
   *     regardless)
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      synchronized (writeLock) {
        drain();
        sinkClosed = true;
        sink.close();
      }
    } finally {
      if (ownsExecutor) {
        ((ExecutorService) executor).shutdown();
      }
    }
  }

  @Override
  public String toString() {
    return "ServingLog{" + name + ", rate=" + sampleRate + ", seed=" + seed + ", sink=" + sink + ", queued="
        + queue.size() + "/" + (queue.size() + queue.remainingCapacity()) + ", sampled=" + sampledCount()
        + ", written=" + writtenCount() + ", dropped=" + droppedCount() + ", failed=" + failedCount() + "}";
  }

  /** Assembles a {@link ServingLog}; every setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final ServedRequestSink sink;
    private String name = "servinglog";
    private double sampleRate = 1.0;
    private long seed;
    private int queueCapacity = 10_000;
    private Executor executor;
    private LongSupplier clock = System::currentTimeMillis;
    private Telemetry telemetry;

    private Builder(ServedRequestSink sink) {
      this.sink = sink;
    }

    /**
     * Names the log (default {@code servinglog}); the name prefixes its metrics.
     *
     * @param name matches {@code [A-Za-z0-9_.-]+}
     * @return this builder
     */
    public Builder name(String name) {
      if (name == null || !name.matches("[A-Za-z0-9_.\\-]+")) {
        throw new IllegalArgumentException(
            "serving log name must match [A-Za-z0-9_.-]+, was " + (name == null ? "null" : "'" + name + "'"));
      }
      this.name = name;
      return this;
    }

    /**
     * Sets the fraction of requests logged (default 1: every request).
     *
     * @param rate in [0, 1]
     * @return this builder
     */
    public Builder sampleRate(double rate) {
      if (!(rate >= 0.0 && rate <= 1.0)) {
        throw new IllegalArgumentException("sampleRate must be in [0, 1], was " + rate);
      }
      this.sampleRate = rate;
      return this;
    }

    /**
     * Sets the sampling seed (default 0). The same seed samples the same request ids.
     *
     * @param seed any value
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Sets how many records may wait for the sink (default 10,000); beyond, records are dropped.
     *
     * @param capacity positive
     * @return this builder
     */
    public Builder queueCapacity(int capacity) {
      if (capacity <= 0) {
        throw new IllegalArgumentException("queueCapacity must be positive, was " + capacity);
      }
      this.queueCapacity = capacity;
      return this;
    }

    /**
     * Sets the executor that runs the drain task (default: a single daemon thread the log owns and shuts
     * down on close). The log does not shut down an executor it is given; it must run tasks on threads
     * of its own, not the caller's.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(Executor executor) {
      if (executor == null) {
        throw new IllegalArgumentException("executor must not be null (leave it unset for the log's own thread)");
      }
      this.executor = executor;
      return this;
    }

    /**
     * Sets the wall clock that stamps {@link ServedRequest#servedAtMillis()} (default
     * {@link System#currentTimeMillis()}).
     *
     * @param clock epoch milliseconds
     * @return this builder
     */
    public Builder clock(LongSupplier clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /**
     * Sets where the log's counters go (default: a new {@link InMemoryTelemetry}).
     *
     * @param telemetry the telemetry, e.g. the pipeline's
     * @return this builder
     */
    public Builder telemetry(Telemetry telemetry) {
      if (telemetry == null) {
        throw new IllegalArgumentException("telemetry must not be null (use Telemetry.noop() for none)");
      }
      this.telemetry = telemetry;
      return this;
    }

    /**
     * Builds the log.
     *
     * @return the log
     */
    public ServingLog build() {
      return new ServingLog(this);
    }
  }
}
