package org.sieveml.benchmarks.features;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.TrainingData;

/**
 * Question: how long does {@code FeatureStore.getHistoricalFeatures} take for 5M entity rows against
 * 5M feature rows shaped like DuckDB's ASOF benchmark (50 keys x 100,000 timestamps, no TTL), against
 * DuckDB's {@code ASOF LEFT JOIN} on identical data? Both sides use the machine's 2 cores
 * ({@code SET threads = 2}), both materialize the full result (a {@code FeatureFrame} here, a
 * temporary table there); ingestion and table loading are setup. The feature history is on disk: a
 * durable {@code EmbeddedOfflineStore} in a temporary directory, read through its memory-mapped
 * segment files (the default {@code Visibility.AS_SERVED} applies; rows are ingested at their created
 * time, here their event time, so it gives the same answer as the event-time ASOF join). Setup checks
 * that both give the same number of matches and the same sum of matched prices.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms6g", "-Xmx6g"})
public class HistoricalJoinBenchmark {
  static final int KEYS = 50;
  static final int PER_KEY = 100_000;
  static final int ROWS = KEYS * PER_KEY;

  private FeatureStore store;
  private FeatureService service;
  private EntityRows entityRows;
  private Connection duck;
  private java.nio.file.Path dir;

  /** Generates the data and loads both sides. */
  @Setup
  public void setup() throws SQLException {
    Random r = new Random(1);
    long[] pKey = new long[ROWS];
    long[] pWhen = new long[ROWS];
    double[] price = new double[ROWS];
    long[] hKey = new long[ROWS];
    long[] hWhen = new long[ROWS];
    for (int i = 0; i < ROWS; i++) {
      // distinct timestamps per key (as in DuckDB's ASOF benchmark), so the match is unambiguous
      pKey[i] = i % KEYS;
      pWhen[i] = ((long) (i / KEYS) * 10 + r.nextInt(10)) * 1000L;
      price[i] = Math.round(r.nextDouble() * 10_000) / 100.0;
      hKey[i] = r.nextInt(KEYS);
      hWhen[i] = (long) r.nextInt(PER_KEY * 10) * 1000L;
    }
    Entity ticker = Entity.builder("ticker").joinKey("ticker_id").build();
    FeatureView prices = FeatureView.builder("prices").entity(ticker)
        .feature(FeatureSpec.of("price", FeatureType.DOUBLE)).build();
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(ticker);
    reg.apply(prices);
    service = FeatureService.builder("asof").features("prices").build();
    reg.apply(service);
    try {
      dir = java.nio.file.Files.createTempDirectory("sieveml-join-bench");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    store = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build();
    store.ingest("prices", EventBatch.ofLongKeys(pKey, pWhen, pWhen,
        FeatureFrame.builder(ROWS).addDouble("price", price).build()));
    entityRows = EntityRows.ofLongKeys(hKey, hWhen, null);

    duck = DriverManager.getConnection("jdbc:duckdb:");
    try (Statement s = duck.createStatement()) {
      s.execute("SET threads = 2");
      s.execute("CREATE TABLE prices (ticker BIGINT, \"when\" BIGINT, price DOUBLE)");
      s.execute("CREATE TABLE holdings (ticker BIGINT, \"when\" BIGINT)");
    }
    try (DuckDBAppender a = ((DuckDBConnection) duck).createAppender(DuckDBConnection.DEFAULT_SCHEMA, "prices")) {
      for (int i = 0; i < ROWS; i++) {
        a.beginRow();
        a.append(pKey[i]);
        a.append(pWhen[i]);
        a.append(price[i]);
        a.endRow();
      }
    }
    try (DuckDBAppender a = ((DuckDBConnection) duck).createAppender(DuckDBConnection.DEFAULT_SCHEMA, "holdings")) {
      for (int i = 0; i < ROWS; i++) {
        a.beginRow();
        a.append(hKey[i]);
        a.append(hWhen[i]);
        a.endRow();
      }
    }
    // both sides agree
    FeatureFrame ours = sieveml().frame();
    int col = ours.schema().indexOf("price");
    long matches = 0;
    double sum = 0;
    for (int i = 0; i < ours.rowCount(); i++) {
      if (ours.isPresent(i, col)) {
        matches++;
        sum += ours.asDouble(i, col);
      }
    }
    duckdb();
    try (Statement s = duck.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(price), sum(price), count(*) FROM result")) {
      rs.next();
      if (rs.getLong(1) != matches || Math.abs(rs.getDouble(2) - sum) > 1e-6 * Math.abs(sum)
          || rs.getLong(3) != ROWS) {
        throw new IllegalStateException("DuckDB and SieveML disagree: " + rs.getLong(1) + " matches, sum "
            + rs.getDouble(2) + ", rows " + rs.getLong(3) + " vs " + matches + " matches, sum " + sum);
      }
    }
  }

  /**
   * Ours.
   *
   * @return the training data
   */
  @Benchmark
  public TrainingData sieveml() {
    return store.getHistoricalFeatures(entityRows, service);
  }

  /**
   * DuckDB's ASOF LEFT JOIN into a temporary table.
   *
   * @return the number of rows written
   * @throws SQLException on a database error
   */
  @Benchmark
  public int duckdb() throws SQLException {
    try (PreparedStatement s = duck.prepareStatement("CREATE OR REPLACE TEMP TABLE result AS "
        + "SELECT h.ticker, h.\"when\", p.price FROM holdings h ASOF LEFT JOIN prices p "
        + "ON h.ticker = p.ticker AND h.\"when\" >= p.\"when\"")) {
      return s.executeUpdate();
    }
  }

  /**
   * Closes DuckDB.
   *
   * @throws SQLException on a database error
   */
  @TearDown
  public void close() throws SQLException {
    duck.close();
    store.close();
    try (var files = java.nio.file.Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
