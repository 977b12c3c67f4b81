package org.sieveml.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.sieveml.core.telemetry.Telemetry;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.InvalidEventException;
import org.sieveml.features.StreamBatch;
import org.sieveml.features.ViewDefinition;
import org.sieveml.kafka.internal.Schemas;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingests Kafka topics into a {@link FeatureStore}'s views and windows, exactly once in effect.
 *
 * <pre>{@code
 * KafkaIngestion ingestion = KafkaIngestion.builder(store, "kafka:9092", "features-ingest")
 *     .bind("card_txns", "card_txn_1h", JsonDecoder.forView(registry.view("card_txn_1h")).build())
 *     .deadLetterTopic("card_txns.dlq")
 *     .telemetry(telemetry)
 *     .build();
 * ingestion.start();          // consumes on its own thread until close()
 * ...
 * ingestion.close();          // applies what was polled, leaves the group
 * }</pre>
 *
 * <p><b>Exactly once in effect.</b> Auto-commit is off and nothing is committed to Kafka: a view's
 * position in each topic partition lives in the feature store, moved by compare-and-set in the same
 * atomic online commit as the rows and window tiles it produced, with the offline log appending each
 * record's row at most once ({@link FeatureStore#pushFrom}). On assignment the consumer seeks to the
 * stored position (the lowest over the topic's views; with no position stored, the consumer's
 * {@code auto.offset.reset}, {@code earliest} unless set otherwise). So a crash at any moment, followed
 * by a restart, neither loses an event nor counts one twice in any window or training row; online, the
 * same holds when partitions move between runners of one group (a rebalance). The offline log is each
 * process's own: it holds every record it appended at most once, and a record whose online commit was
 * refused in one process (fenced) may also be in the log of the process that took the partition over.
 * A materialization of an aggregation view is refused while its log holds stream events not yet
 * applied online (a runner stopped between the two), since it would count them twice.
 *
 * <p><b>Fencing.</b> Each commit compares the stored positions with the ones this runner read when
 * the partition was assigned (or last committed). A runner that lost a partition without noticing
 * (paused past the session timeout while another took over) fails its commit, applies nothing, counts
 * {@code sieveml.kafka.fenced}, re-reads the stored positions and seeks there (or lets the rebalance
 * take the partition away). Two runners are meaningful with a shared online store (Redis); with the
 * embedded store, one process owns the state.
 *
 * <p><b>Poison records</b> (undecodable, wrong types, keys that do not fit, events beyond the store's
 * clock-skew tolerance) never stop the stream: with a {@link Builder#deadLetterTopic dead-letter topic}
 * they are sent there (the record's key, value and headers, plus {@value #HEADER_PREFIX}view, field,
 * value, expected, error, topic, partition, offset headers) and acknowledged before the batch's
 * position moves; without one they are logged. Either way they are counted
 * ({@code sieveml.kafka.dead_letters}). A dead letter is sent at least once: a crash between sending
 * it and storing the position sends it again.
 *
 * <p><b>Back-pressure.</b> One batch (at most {@code max.poll.records}) is in flight at a time; while
 * the store applies it, every assigned partition is paused and the consumer keeps polling (nothing is
 * fetched, the group membership stays alive), so a slow store slows consumption rather than growing a
 * buffer. <b>Telemetry</b>: counters {@code sieveml.kafka.records} (applied, including dead letters),
 * {@code sieveml.kafka.events}, {@code sieveml.kafka.dead_letters}, {@code sieveml.kafka.fenced},
 * {@code sieveml.kafka.failures}; latencies {@code sieveml.kafka.apply} (one batch into the store) and
 * {@code sieveml.kafka.freshness} (record timestamp to readable online, per record); per partition the
 * gauges {@code sieveml.kafka.lag.<topic>.<partition>},
 * {@code sieveml.kafka.last_event_time.<topic>.<partition>} and the counter
 * {@code sieveml.kafka.records.<topic>.<partition>}. {@link #status()} gives the same per partition.
 *
 * <p><b>Failures</b> of the store (e.g. Redis unreachable) do not stop the runner: the batch is not
 * acknowledged, the failure is logged and counted, and after a back-off the runner re-reads the stored
 * positions (the failed commit may or may not have been applied) and consumes from there.
 *
 * <p><b>Threads and close order.</b> The poll loop runs on one thread ({@link #start()}: a thread of
 * its own; {@link #run()}: the caller's); batches are applied on the apply executor (the host's, via
 * {@link Builder#applyExecutor}, or a thread of the runner's own). {@link #close()}: stops polling,
 * waits for the batch in flight to be applied and stored, closes the consumer (leaving the group) and
 * the dead-letter producer, then shuts down the runner's own executor (a host's keeps running). Close
 * the runner before the feature store. Thread-safe: {@link #status()} and {@link #close()} may be
 * called from any thread.
 */
public final class KafkaIngestion implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaIngestion.class);
  /** The prefix of the headers a dead letter carries. */
  public static final String HEADER_PREFIX = "sieveml.";

  /** One topic feeding one view. */
  private record Binding(String topic, String view, ViewDefinition definition, RecordDecoder decoder) {}

  /** A view's position in a partition. */
  private record PosKey(String view, TopicPartition tp) {}

  /** What applying a batch gave. */
  private record Outcome(boolean applied, RuntimeException failure, Set<TopicPartition> partitions) {}

  private final FeatureStore store;
  private final Map<String, List<Binding>> bindings;
  private final String deadLetterTopic;
  private final Properties consumerProps;
  private final Properties producerProps;
  private final Duration pollTimeout;
  private final Duration retryBackoff;
  private final ExecutorService applier;
  private final boolean ownApplier;
  private final Telemetry telemetry;
  private final Telemetry.Counter records;
  private final Telemetry.Counter events;
  private final Telemetry.Counter deadLetters;
  private final Telemetry.Counter fenced;
  private final Telemetry.Counter failures;
  private final Telemetry.Counter lostLetters;
  private final Telemetry.LatencyRecorder applyLatency;
  private final Telemetry.LatencyRecorder freshness;

  /** Positions this runner expects per (view, partition); read on assignment, moved by its commits. */
  private final Map<PosKey, Long> positions = new ConcurrentHashMap<>();
  private final Map<TopicPartition, PartitionState> states = new ConcurrentHashMap<>();

  private volatile boolean stopping;
  private volatile Thread loopThread;
  private final Object lifecycle = new Object();
  private boolean started;
  private final java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
  private volatile KafkaConsumer<byte[], byte[]> consumer; // poll thread only (wakeup() from close)
  private KafkaProducer<byte[], byte[]> producer; // apply thread only (created lazily)
  private volatile Future<Outcome> inFlight; // set and cleared by the poll thread
  /** Whether the poll thread holds every partition paused (a batch in flight, a back-off): poll thread only. */
  private boolean holding;
  /** Partitions whose stored position could not be read: paused until it can (poll thread only). */
  private final Set<TopicPartition> unsynced = new HashSet<>();
  /** Per partition, the first offset of a failed batch: where to read again if nothing is stored for it. */
  private final Map<TopicPartition, Long> rewind = new HashMap<>();
  /** Why the runner stopped by itself, or null. */
  private volatile RuntimeException fatal;

  /** Per partition: telemetry handles and what status() reports. */
  private final class PartitionState {
    final TopicPartition tp;
    final Telemetry.Gauge lagGauge;
    final Telemetry.Gauge eventTimeGauge;
    final Telemetry.Counter recordCounter;
    final AtomicLong applied = new AtomicLong();
    volatile long lag = -1;
    volatile long lastEventTime = Long.MIN_VALUE;

    PartitionState(TopicPartition tp) {
      this.tp = tp;
      String suffix = tp.topic() + "." + tp.partition();
      this.lagGauge = telemetry.gauge("sieveml.kafka.lag." + suffix);
      this.eventTimeGauge = telemetry.gauge("sieveml.kafka.last_event_time." + suffix);
      this.recordCounter = telemetry.counter("sieveml.kafka.records." + suffix);
    }
  }

  private KafkaIngestion(Builder b) {
    this.store = b.store;
    this.bindings = new LinkedHashMap<>();
    for (Binding bd : b.bindings) {
      bindings.computeIfAbsent(bd.topic(), t -> new ArrayList<>()).add(bd);
    }
    this.deadLetterTopic = b.deadLetterTopic;
    this.consumerProps = new Properties();
    consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    consumerProps.putAll(b.consumerProps);
    consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
    consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, b.groupId);
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        b.consumerProps.getOrDefault(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    this.producerProps = new Properties();
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerProps.putAll(b.producerProps);
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
    this.pollTimeout = b.pollTimeout;
    this.retryBackoff = b.retryBackoff;
    this.ownApplier = b.applier == null;
    this.applier = ownApplier ? Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "sieveml-kafka-apply-" + b.groupId);
      t.setDaemon(true);
      return t;
    }) : b.applier;
    this.telemetry = b.telemetry;
    this.records = telemetry.counter("sieveml.kafka.records");
    this.events = telemetry.counter("sieveml.kafka.events");
    this.deadLetters = telemetry.counter("sieveml.kafka.dead_letters");
    this.fenced = telemetry.counter("sieveml.kafka.fenced");
    this.failures = telemetry.counter("sieveml.kafka.failures");
    this.lostLetters = telemetry.counter("sieveml.kafka.dead_letters_lost");
    this.applyLatency = telemetry.latency("sieveml.kafka.apply");
    this.freshness = telemetry.latency("sieveml.kafka.freshness");
  }

  /**
   * A builder.
   *
   * @param store the feature store the events go to
   * @param bootstrapServers Kafka's {@code bootstrap.servers}
   * @param groupId the consumer group: runners sharing it share the partitions
   * @return a builder
   */
  public static Builder builder(FeatureStore store, String bootstrapServers, String groupId) {
    return new Builder(store, bootstrapServers, groupId);
  }

  /**
   * Starts consuming on a thread of the runner's own ({@code sieveml-kafka-<group>}), until
   * {@link #close()}.
   *
   * @throws IllegalStateException when already started or closed
   */
  public void start() {
    Thread t = new Thread(this::run, "sieveml-kafka-" + consumerProps.get(ConsumerConfig.GROUP_ID_CONFIG));
    t.setDaemon(true);
    synchronized (lifecycle) {
      checkStartable();
      started = true;
      loopThread = t;
    }
    t.start();
  }

  private void checkStartable() {
    if (started || stopping) {
      throw new IllegalStateException("the ingestion was " + (stopping ? "closed" : "started") + " already");
    }
  }

  /**
   * Consumes on the calling thread until {@link #close()} (from another thread) or a fatal error of
   * the consumer (rethrown).
   *
   * @throws IllegalStateException when already started or closed
   */
  public void run() {
    synchronized (lifecycle) {
      if (loopThread != Thread.currentThread()) { // called by the host, not by start()'s thread
        checkStartable();
        started = true;
        loopThread = Thread.currentThread();
      }
    }
    try {
      loop();
    } finally {
      finished.countDown();
    }
    if (fatal != null) {
      throw fatal;
    }
  }

  private void loop() {
    consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    try {
      consumer.subscribe(bindings.keySet(), new Listener());
      while (!stopping) {
        if (!unsynced.isEmpty()) {
          retryUnsynced();
        }
        ConsumerRecords<byte[], byte[]> polled;
        try {
          polled = consumer.poll(pollTimeout);
        } catch (WakeupException e) {
          break;
        }
        updateLag();
        if (!polled.isEmpty()) {
          applyAndWait(polled);
        }
      }
    } finally {
      try {
        awaitInFlight(); // what was polled is applied and stored before the consumer leaves the group
      } finally {
        try {
          consumer.close(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
          LOG.warn("closing the Kafka consumer: {}", e.toString());
        }
        if (producer != null) {
          producer.close(Duration.ofSeconds(10));
        }
        states.clear(); // nothing is assigned any more
        positions.clear();
      }
    }
  }

  /** Applies a batch on the apply executor, partitions paused, polling meanwhile; handles the outcome. */
  private void applyAndWait(ConsumerRecords<byte[], byte[]> polled) {
    holding = true;
    consumer.pause(consumer.assignment());
    inFlight = applier.submit(() -> apply(polled));
    Outcome o = null;
    boolean interrupted = false;
    while (o == null) {
      try {
        o = inFlight.get(pollTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        pollHolding(Duration.ZERO);
      } catch (InterruptedException e) {
        interrupted = true; // the batch is finished first: the close contract
      } catch (ExecutionException e) {
        o = new Outcome(false, e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause()),
            polled.partitions());
      }
    }
    inFlight = null;
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (o.applied()) {
      rewind.keySet().removeAll(polled.partitions());
    } else {
      for (TopicPartition tp : polled.partitions()) { // where to read again when nothing is stored for it
        rewind.merge(tp, polled.records(tp).get(0).offset(), Math::min);
      }
      if (o.failure() instanceof UnsupportedOperationException u) {
        LOG.error("the feature store cannot ingest exactly once ({}); stopping", u.getMessage());
        fatal = u;
        stopping = true;
      } else if (o.failure() != null) {
        failures.increment();
        LOG.error("applying a batch of {} records to the feature store failed; retrying from the stored positions "
            + "in {} ms", polled.count(), retryBackoff.toMillis(), o.failure());
        pollHolding(retryBackoff);
      } else {
        fenced.increment();
        LOG.warn("fenced: the stored position of {} moved (another runner applied them); nothing was applied, "
            + "resuming from the stored positions", o.partitions());
      }
      Set<TopicPartition> mine = new HashSet<>(o.partitions());
      mine.retainAll(consumer.assignment());
      for (TopicPartition tp : mine) {
        trySeekToStored(tp);
      }
    }
    holding = false;
    Set<TopicPartition> resume = new HashSet<>(consumer.assignment());
    resume.removeAll(unsynced); // kept paused until their stored positions could be read
    consumer.resume(resume);
  }

  /**
   * Polls with every partition paused (staying in the group) for about {@code d}; records of partitions
   * assigned meanwhile (fetched before they could be paused) are sought back, never dropped.
   */
  private void pollHolding(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    do {
      try {
        ConsumerRecords<byte[], byte[]> got = consumer.poll(Duration.ofMillis(Math.max(0, Math.min(100,
            (until - System.nanoTime()) / 1_000_000))));
        for (TopicPartition tp : got.partitions()) {
          consumer.seek(tp, got.records(tp).get(0).offset()); // read again once resumed
        }
        consumer.pause(consumer.assignment());
      } catch (WakeupException w) {
        if (inFlight == null) {
          return; // closing, nothing in flight
        }
        // closing: the batch in flight is finished first
      }
    } while (!stopping && System.nanoTime() < until);
  }

  private void awaitInFlight() {
    awaitUninterruptibly(inFlight);
    inFlight = null;
  }

  /** Waits for a batch to be stored whatever interrupts arrive (kept for the caller). */
  private static void awaitUninterruptibly(Future<Outcome> f) {
    if (f == null) {
      return;
    }
    boolean interrupted = false;
    while (true) {
      try {
        f.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Re-reads a partition's stored positions and seeks there; when the store cannot be read, keeps the
   * partition paused and retries from the loop ({@link #retryUnsynced}).
   */
  private void trySeekToStored(TopicPartition tp) {
    try {
      seekToStored(tp);
      unsynced.remove(tp);
    } catch (RuntimeException e) {
      if (unsynced.add(tp)) {
        failures.increment();
        LOG.error("cannot read the stored position of {} ({}); holding the partition and retrying every {} ms", tp,
            e.toString(), retryBackoff.toMillis());
      } else {
        LOG.warn("still cannot read the stored position of {}: {}", tp, e.toString());
      }
      consumer.pause(List.of(tp));
    }
  }

  private long lastRetry;

  private void retryUnsynced() {
    if (System.nanoTime() - lastRetry < retryBackoff.toNanos()) {
      return;
    }
    lastRetry = System.nanoTime();
    Set<TopicPartition> assigned = consumer.assignment();
    for (TopicPartition tp : new ArrayList<>(unsynced)) {
      if (!assigned.contains(tp)) {
        unsynced.remove(tp);
        continue;
      }
      trySeekToStored(tp);
      if (!unsynced.contains(tp)) {
        consumer.resume(List.of(tp));
        LOG.info("{} resumes from its stored position", tp);
      }
    }
  }

  private void seekToStored(TopicPartition tp) {
    long lowest = Long.MAX_VALUE;
    boolean anyNone = false;
    boolean allNone = true;
    Map<PosKey, Long> read = new HashMap<>();
    for (Binding bd : bindings.get(tp.topic())) {
      long p = store.streamPosition(bd.view(), source(tp));
      read.put(new PosKey(bd.view(), tp), p);
      if (p == Long.MIN_VALUE) {
        anyNone = true;
      } else {
        allNone = false;
        lowest = Math.min(lowest, p);
      }
    }
    positions.putAll(read);
    if (allNone) {
      Long back = rewind.get(tp);
      if (back != null) {
        consumer.seek(tp, back); // a failed batch of a partition nothing was stored from: read it again
      }
      return; // otherwise auto.offset.reset decides where it starts
    }
    if (anyNone) {
      consumer.seekToBeginning(List.of(tp)); // a view added later reads the partition from its start
    } else {
      consumer.seek(tp, lowest);
    }
  }

  private void updateLag() {
    for (PartitionState s : states.values()) {
      try {
        java.util.OptionalLong lag = consumer.currentLag(s.tp);
        if (lag.isPresent()) {
          s.lag = lag.getAsLong();
          s.lagGauge.set(s.lag);
        }
      } catch (IllegalStateException e) {
        // not assigned any more
      }
    }
  }

  /** The decoded events of one view from one partition, in offset order. */
  private record Prepared(Binding binding, TopicPartition tp, long expected, long next, List<DecodedEvent> events,
      long[] offsets) {}

  /** Decodes, checks and stores one polled batch (apply thread). */
  private Outcome apply(ConsumerRecords<byte[], byte[]> polled) {
    List<Prepared> parts = new ArrayList<>();
    List<Letter> letters = new ArrayList<>();
    Map<TopicPartition, Long> latestEvent = new HashMap<>();
    int eventCount = 0;
    for (TopicPartition tp : polled.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> list = polled.records(tp);
      long next = list.get(list.size() - 1).offset() + 1;
      for (Binding bd : bindings.get(tp.topic())) {
        long expected = positions.getOrDefault(new PosKey(bd.view(), tp), Long.MIN_VALUE);
        List<DecodedEvent> events = new ArrayList<>(list.size());
        long[] offsets = new long[list.size()];
        for (ConsumerRecord<byte[], byte[]> r : list) {
          if (expected != Long.MIN_VALUE && r.offset() < expected) {
            continue; // applied (and, if poison, reported) before: the partition resumed below this view's position
          }
          DecodedEvent e;
          try {
            e = bd.decoder().decode(r);
            if (e == null) {
              continue;
            }
            store.checkEvent(bd.view(), e.key(), e.eventTime(), e.createdTime(), e.values());
          } catch (RuntimeException ex) {
            letters.add(deadLetter(r, bd, ex));
            continue;
          }
          offsets[events.size()] = r.offset();
          events.add(e);
          latestEvent.merge(tp, e.eventTime(), Math::max);
        }
        eventCount += events.size();
        long to = expected == Long.MIN_VALUE ? next : Math.max(expected, next);
        parts.add(new Prepared(bd, tp, expected, to, events, java.util.Arrays.copyOf(offsets, events.size())));
      }
    }
    RuntimeException letterFailure = awaitLetters(letters);
    if (letterFailure != null) {
      return new Outcome(false, letterFailure, polled.partitions());
    }
    long t0 = System.nanoTime();
    boolean ok;
    try {
      StreamBatch.Builder batch = StreamBatch.builder();
      for (Prepared p : parts) {
        batch.add(p.binding().view(), source(p.tp()), rows(p.binding(), p.events(), 0, p.events().size()),
            p.offsets(), p.expected(), p.next());
      }
      ok = store.pushFrom(batch.build());
    } catch (IllegalArgumentException e) {
      // a record the per-event check let through (e.g. a key of another type than the entity's stored
      // keys): store the batch event by event, dead-lettering what the store refuses
      LOG.warn("the feature store refused a batch of {} records ({}); storing it event by event", polled.count(),
          e.getMessage());
      try {
        ok = applyOneByOne(parts, polled);
      } catch (RuntimeException x) {
        return new Outcome(false, x, polled.partitions());
      }
    } catch (RuntimeException e) {
      return new Outcome(false, e, polled.partitions());
    }
    long done = System.currentTimeMillis();
    applyLatency.record(System.nanoTime() - t0);
    if (!ok) {
      return new Outcome(false, null, polled.partitions());
    }
    for (Prepared p : parts) {
      positions.put(new PosKey(p.binding().view(), p.tp()), p.next());
    }
    records.add(polled.count());
    events.add(eventCount);
    for (TopicPartition tp : polled.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> list = polled.records(tp);
      PartitionState s = states.get(tp);
      if (s != null) {
        s.applied.addAndGet(list.size());
        s.recordCounter.add(list.size());
        Long ev = latestEvent.get(tp);
        if (ev != null && ev > s.lastEventTime) {
          s.lastEventTime = ev;
          s.eventTimeGauge.set(ev);
        }
      }
      for (ConsumerRecord<byte[], byte[]> r : list) {
        freshness.record(Math.max(0, done - r.timestamp()) * 1_000_000L);
      }
    }
    return new Outcome(true, null, polled.partitions());
  }

  private static EventBatch rows(Binding bd, List<DecodedEvent> events, int from, int to) {
    EventBatch.Builder rows = EventBatch.builder(Schemas.eventSchema(bd.definition()));
    for (int i = from; i < to; i++) {
      DecodedEvent e = events.get(i);
      rows.add(e.key(), e.eventTime(), e.createdTime(), e.values());
    }
    return rows.build();
  }

  /**
   * Stores a refused batch one event per commit, each moving its view's position past it; an event the
   * store refuses is dead-lettered and the position moves past it. False when fenced.
   */
  private boolean applyOneByOne(List<Prepared> parts, ConsumerRecords<byte[], byte[]> polled) {
    for (Prepared p : parts) {
      String view = p.binding().view();
      String source = source(p.tp());
      long at = p.expected();
      for (int i = 0; i < p.events().size(); i++) {
        long offset = p.offsets()[i];
        boolean ok;
        try {
          ok = store.pushFrom(StreamBatch.builder().add(view, source, rows(p.binding(), p.events(), i, i + 1),
              new long[] {offset}, at, offset + 1).build());
        } catch (IllegalArgumentException refused) {
          ConsumerRecord<byte[], byte[]> r = recordAt(polled, p.tp(), offset);
          Letter letter = deadLetter(r, p.binding(), refused);
          RuntimeException f = letter == null ? null : awaitLetters(List.of(letter));
          if (f != null) {
            throw f;
          }
          ok = store.pushFrom(StreamBatch.builder().add(view, source, rows(p.binding(), p.events(), 0, 0), new long[0],
              at, offset + 1).build());
        }
        if (!ok) {
          return false;
        }
        at = offset + 1;
      }
      if (at != p.next() && !store.pushFrom(StreamBatch.builder().add(view, source, rows(p.binding(), p.events(), 0,
          0), new long[0], at, p.next()).build())) {
        return false;
      }
    }
    return true;
  }

  private static ConsumerRecord<byte[], byte[]> recordAt(ConsumerRecords<byte[], byte[]> polled, TopicPartition tp,
      long offset) {
    for (ConsumerRecord<byte[], byte[]> r : polled.records(tp)) {
      if (r.offset() == offset) {
        return r;
      }
    }
    throw new IllegalStateException("no record at " + tp + " offset " + offset);
  }

  /** A dead letter in flight: the send, and what to send instead if the record itself cannot be sent. */
  private record Letter(Future<RecordMetadata> send, ProducerRecord<byte[], byte[]> record) {}

  /**
   * Waits for dead letters. A retriable failure (the broker unreachable) fails the batch, which is tried
   * again; a letter refused for itself (e.g. too large) is sent again without key and value, and if that
   * is refused too it is logged and counted ({@code sieveml.kafka.dead_letters_lost}): a poison record
   * never stops the stream.
   */
  private RuntimeException awaitLetters(List<Letter> letters) {
    for (Letter l : letters) {
      if (l == null) {
        continue;
      }
      try {
        l.send().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new IllegalStateException("interrupted while sending dead letters");
      } catch (ExecutionException e) {
        if (e.getCause() instanceof org.apache.kafka.common.errors.RetriableException) {
          return new IllegalStateException("cannot send a dead letter to '" + deadLetterTopic + "': " + e.getCause(),
              e.getCause());
        }
        ProducerRecord<byte[], byte[]> r = l.record();
        RecordHeaders h = new RecordHeaders(r.headers().toArray());
        header(h, "dropped", "key and value: " + e.getCause());
        try {
          producer.send(new ProducerRecord<>(r.topic(), null, r.timestamp(), null, null, h)).get();
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          return new IllegalStateException("interrupted while sending dead letters");
        } catch (ExecutionException x) {
          lostLetters.increment();
          LOG.error("a dead letter for {} could not be sent ({}), not even without its value; dropped", header(r),
              x.getCause().toString());
        }
      }
    }
    return null;
  }

  private static String header(ProducerRecord<byte[], byte[]> r) {
    StringBuilder b = new StringBuilder();
    for (String n : List.of("topic", "partition", "offset", "view")) {
      org.apache.kafka.common.header.Header h = r.headers().lastHeader(HEADER_PREFIX + n);
      b.append(h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8)).append(n.equals("view") ? "" : "/");
    }
    return b.toString();
  }

  private Letter deadLetter(ConsumerRecord<byte[], byte[]> r, Binding bd, RuntimeException ex) {
    deadLetters.increment();
    String field = "record";
    String value = null;
    String expected = "a decodable record";
    if (ex instanceof InvalidEventException p) { // a decoder's or the store's refusal: the field is known
      field = p.field();
      value = Schemas.shorten(p.value());
      expected = p.expected();
    }
    if (deadLetterTopic == null) {
      LOG.warn("poison record at {}/{} offset {} for view '{}' skipped (no dead-letter topic): {}", r.topic(),
          r.partition(), r.offset(), bd.view(), ex.getMessage());
      return null;
    }
    RecordHeaders h = new RecordHeaders(r.headers().toArray());
    header(h, "view", bd.view());
    header(h, "field", field);
    header(h, "value", value);
    header(h, "expected", expected);
    header(h, "error", Schemas.shorten(ex.getClass().getSimpleName() + ": " + ex.getMessage()));
    header(h, "topic", r.topic());
    header(h, "partition", Integer.toString(r.partition()));
    header(h, "offset", Long.toString(r.offset()));
    if (producer == null) {
      producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
    }
    ProducerRecord<byte[], byte[]> letter = new ProducerRecord<>(deadLetterTopic, null, r.timestamp(), r.key(), r.value(),
        h);
    return new Letter(producer.send(letter), letter);
  }

  private static void header(RecordHeaders h, String name, String value) {
    if (value != null) {
      h.add(HEADER_PREFIX + name, value.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String source(TopicPartition tp) {
    return tp.topic() + "/" + tp.partition();
  }

  /** Reads positions and seeks on assignment; finishes the batch in flight before partitions go. */
  private final class Listener implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      awaitUninterruptibly(inFlight);
      forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      awaitUninterruptibly(inFlight); // its commit fails if another runner moved the positions: nothing is applied twice
      forget(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        states.computeIfAbsent(tp, PartitionState::new);
        trySeekToStored(tp); // a store that cannot be read keeps the partition paused, never stops the runner
      }
      if (holding) {
        consumer.pause(partitions); // back-pressure holds for partitions that arrive during a batch or back-off
      }
      LOG.info("assigned {}", partitions);
    }

    private void forget(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        states.remove(tp);
        unsynced.remove(tp);
        rewind.remove(tp);
        for (Binding bd : bindings.get(tp.topic())) {
          positions.remove(new PosKey(bd.view(), tp));
        }
      }
    }
  }

  /**
   * Where each assigned partition stands.
   *
   * @return one status per assigned partition, in no particular order
   */
  public List<PartitionStatus> status() {
    List<PartitionStatus> out = new ArrayList<>();
    for (PartitionState s : states.values()) {
      long pos = Long.MAX_VALUE;
      for (Binding bd : bindings.get(s.tp.topic())) {
        pos = Math.min(pos, positions.getOrDefault(new PosKey(bd.view(), s.tp), Long.MIN_VALUE));
      }
      out.add(new PartitionStatus(s.tp.topic(), s.tp.partition(), pos, s.lag, s.lastEventTime, s.applied.get()));
    }
    return out;
  }

  /**
   * Stops: no further poll; the batch in flight is applied and stored; the consumer leaves the group;
   * the dead-letter producer and the runner's own executor are closed. Waits up to 60 s for the loop.
   * Idempotent.
   */
  @Override
  public void close() {
    Thread t;
    synchronized (lifecycle) {
      stopping = true;
      t = loopThread;
    }
    if (t != null && consumer != null) {
      consumer.wakeup();
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        if (!finished.await(60, TimeUnit.SECONDS)) {
          LOG.warn("the Kafka ingestion loop did not stop within 60 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (ownApplier) {
      applier.shutdown();
    }
  }

  /** Configures a {@link KafkaIngestion}. Not thread-safe. */
  public static final class Builder {
    private final FeatureStore store;
    private final String bootstrapServers;
    private final String groupId;
    private final List<Binding> bindings = new ArrayList<>();
    private final Map<String, Object> consumerProps = new HashMap<>();
    private final Map<String, Object> producerProps = new HashMap<>();
    private String deadLetterTopic;
    private Duration pollTimeout = Duration.ofMillis(100);
    private Duration retryBackoff = Duration.ofSeconds(1);
    private ExecutorService applier;
    private Telemetry telemetry = Telemetry.noop();

    private Builder(FeatureStore store, String bootstrapServers, String groupId) {
      if (store == null) {
        throw new IllegalArgumentException("store must not be null");
      }
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException("bootstrapServers is '" + bootstrapServers + "', expected host:port[,...]");
      }
      if (groupId == null || groupId.isBlank()) {
        throw new IllegalArgumentException("groupId is '" + groupId + "', expected a consumer group name");
      }
      this.store = store;
      this.bootstrapServers = bootstrapServers;
      this.groupId = groupId;
    }

    /**
     * Feeds a view from a topic: each record of the topic is decoded into at most one event of the view.
     * A topic may feed several views (each with its own decoder and its own stored position).
     *
     * @param topic the topic
     * @param view the name of a registered feature view or aggregation view
     * @param decoder turns a record into an event
     * @return this builder
     * @throws IllegalArgumentException when the view is unknown or on-demand, or the pair is bound twice
     */
    public Builder bind(String topic, String view, RecordDecoder decoder) {
      if (topic == null || topic.isBlank()) {
        throw new IllegalArgumentException("topic is '" + topic + "', expected a topic name");
      }
      if (decoder == null) {
        throw new IllegalArgumentException("decoder for topic '" + topic + "' must not be null");
      }
      ViewDefinition def = store.registry().view(view);
      Schemas.eventSchema(def);
      for (Binding b : bindings) {
        if (b.topic().equals(topic) && b.view().equals(view)) {
          throw new IllegalArgumentException("topic '" + topic + "' is bound to view '" + view + "' twice");
        }
      }
      bindings.add(new Binding(topic, view, def, decoder));
      return this;
    }

    /**
     * Where poison records go (default: nowhere; they are logged and counted).
     *
     * @param topic the dead-letter topic
     * @return this builder
     */
    public Builder deadLetterTopic(String topic) {
      this.deadLetterTopic = topic;
      return this;
    }

    /**
     * A consumer setting (security, {@code max.poll.records}, {@code session.timeout.ms},
     * {@code auto.offset.reset}, ...). {@code bootstrap.servers}, {@code group.id} and
     * {@code enable.auto.commit} (always false) are the runner's; {@code isolation.level} defaults to
     * {@code read_committed}.
     *
     * @param key the setting
     * @param value its value
     * @return this builder
     */
    public Builder consumerProperty(String key, Object value) {
      if (key == null || value == null) {
        throw new IllegalArgumentException("consumer property " + key + " = " + value + ": expected a name and a value");
      }
      consumerProps.put(key, value);
      return this;
    }

    /**
     * A setting of the dead-letter producer (security, ...); {@code acks=all} and idempotence by default.
     *
     * @param key the setting
     * @param value its value
     * @return this builder
     */
    public Builder producerProperty(String key, Object value) {
      if (key == null || value == null) {
        throw new IllegalArgumentException("producer property " + key + " = " + value + ": expected a name and a value");
      }
      producerProps.put(key, value);
      return this;
    }

    /**
     * How long one poll waits for records (default 100 ms).
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder pollTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("pollTimeout is " + timeout + ", expected a positive duration");
      }
      this.pollTimeout = timeout;
      return this;
    }

    /**
     * How long to wait after a failed batch before consuming again from the stored positions (default 1 s).
     *
     * @param backoff the back-off
     * @return this builder
     */
    public Builder retryBackoff(Duration backoff) {
      if (backoff == null || backoff.isNegative()) {
        throw new IllegalArgumentException("retryBackoff is " + backoff + ", expected a non-negative duration");
      }
      this.retryBackoff = backoff;
      return this;
    }

    /**
     * The executor batches are applied on (one at a time). Default: a thread of the runner's own, shut down
     * by {@link KafkaIngestion#close()}; a host's executor is left running.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder applyExecutor(ExecutorService executor) {
      this.applier = executor;
      return this;
    }

    /**
     * Where counters, latencies and gauges go (default: nowhere).
     *
     * @param telemetry the telemetry
     * @return this builder
     */
    public Builder telemetry(Telemetry telemetry) {
      if (telemetry == null) {
        throw new IllegalArgumentException("telemetry must not be null (use Telemetry.noop())");
      }
      this.telemetry = telemetry;
      return this;
    }

    /**
     * Builds the runner (nothing connects until {@link KafkaIngestion#start()} or
     * {@link KafkaIngestion#run()}).
     *
     * @return the runner
     * @throws IllegalArgumentException when no topic is bound
     */
    public KafkaIngestion build() {
      if (bindings.isEmpty()) {
        throw new IllegalArgumentException("bind at least one topic to a view");
      }
      return new KafkaIngestion(this);
    }
  }
}
