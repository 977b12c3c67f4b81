package org.sieveml.features;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/**
 * The child JVM of {@link OfflineDurabilityTest}'s {@code kill -9} test, and the rows both sides agree
 * on. It opens a {@link FeatureStore} over {@link EmbeddedOfflineStore#open} and writes until it is
 * killed: small pushes (write-ahead log), every so often an ingest of at least
 * {@value EmbeddedOfflineStore#SEGMENT_BATCH} rows (a segment) and a read (which seals the
 * write-ahead log into a segment); merges, and the seals of every {@value #SEAL_ROWS} pushed rows, run on
 * the store's own thread, so a kill also lands while a seal is written in the background. Every row is derived from a
 * counter, so the test can check each recovered row's values. Before each call it prints
 * {@code BEGIN <op> <first counter> <rows>} and only after the call returned
 * {@code ACK <op> <first counter> <rows>}, each flushed.
 */
public final class OfflineWriterMain {

  static final String VIEW = "clicks";
  static final long T0 = 1_700_000_000_000L;
  static final Entity USER = Entity.builder("user").joinKey("user_id").build();
  static final FeatureService SERVICE = FeatureService.builder("clicks_svc").features(VIEW).build();

  private OfflineWriterMain() {}

  /** The definitions: a string-keyed entity (so new keys go to the key log) and one view of three types. */
  static FeatureRegistry registry() {
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(USER);
    reg.apply(FeatureView.builder(VIEW).entity(USER)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("n", FeatureType.LONG))
        .feature(FeatureSpec.of("tag", FeatureType.STRING))
        .build());
    reg.apply(SERVICE);
    return reg;
  }

  /** The entity of row {@code c}: a new key every 5 rows. */
  static String user(long c) {
    return "u" + (c / 5);
  }

  static EntityKey key(long c) {
    return EntityKey.of("user_id", user(c));
  }

  static long eventTime(long c) {
    return T0 + c * 1000L;
  }

  static long createdTime(long c) {
    return eventTime(c) + 7;
  }

  static double score(long c) {
    return c * 0.5;
  }

  /** Every third row has no tag (a missing value). */
  static String tag(long c) {
    return c % 3 == 0 ? null : "t" + c;
  }

  /** The rows with counters {@code [c0, c0 + n)}, in counter order. */
  static EventBatch batch(FeatureRegistry reg, long c0, int n) {
    EventBatch.Builder b = EventBatch.builder(reg.view(VIEW).schema());
    for (long c = c0; c < c0 + n; c++) {
      b.add(key(c), eventTime(c), createdTime(c), score(c), c, tag(c));
    }
    return b.build();
  }

  /**
   * The point-in-time value of feature {@code n} for an entity at a late time, or -1 when nothing
   * matched (a read: it seals buffered streamed rows into a segment).
   */
  static long latestCounter(FeatureStore store, EntityKey key) {
    EntityRows rows = EntityRows.builder().add(key, 253_402_300_799_999L).build(); // the latest time a row may have
    FeatureFrame f = store.getHistoricalFeatures(rows, SERVICE, Visibility.EVENT_TIME_MAY_LEAK).frame();
    int col = f.schema().indexOf("n");
    return f.isPresent(0, col) ? f.getLong(0, col, -1) : -1;
  }

  /**
   * Arguments: the store directory, the first counter, a seed.
   *
   * @param args the arguments
   */
  /** Buffered pushed rows that start a background seal (the store's default is far larger). */
  static final int SEAL_ROWS = 40;

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    long c = Long.parseLong(args[1]);
    Random rnd = new Random(Long.parseLong(args[2]));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    FeatureRegistry reg = registry();
    FeatureStore store = FeatureStore.builder(reg)
        .offlineStore(EmbeddedOfflineStore.builder(dir).sealRows(SEAL_ROWS).build()).build();
    out.println("READY " + c);
    out.flush();
    for (long i = 0; ; i++) {
      if (i % 23 == 22) {
        int n = EmbeddedOfflineStore.SEGMENT_BATCH + rnd.nextInt(300);
        line(out, "BEGIN ingest", c, n);
        store.ingest(VIEW, batch(reg, c, n));
        line(out, "ACK ingest", c, n);
        c += n;
      } else if (i % 6 == 5 && c > 0) {
        line(out, "BEGIN read", c, 0);
        long got = latestCounter(store, key(c - 1));
        if (got != c - 1) {
          out.println("ERROR the latest row of " + user(c - 1) + " is counter " + got + ", expected " + (c - 1));
          out.flush();
          System.exit(3);
        }
        line(out, "ACK read", c, 0);
      } else {
        int n = 1 + rnd.nextInt(20);
        line(out, "BEGIN push", c, n);
        store.push(VIEW, batch(reg, c, n));
        line(out, "ACK push", c, n);
        c += n;
      }
    }
  }

  private static void line(PrintStream out, String what, long c0, int n) {
    out.println(what + " " + c0 + " " + n);
    out.flush();
  }
}
