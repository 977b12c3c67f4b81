package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;

/**
 * Merges copy every cell of every input segment: the rows a scan returns are the same before and after
 * merging many segments, for strings of every UTF-8 length (merges copy their encoded bytes), empty
 * strings and missing values, in memory and on disk.
 */
class OfflineMergeTest {

  private static final String[] WORDS = {"", "DE", "plain-ascii-longer-than-eight", "Fr-\u00df", "\u65e5\u672c\u8a9e",
      "emoji \ud83d\ude00 and \ud834\udd1e", "\u00e9\u00e8\u00ea\u00eb\u00e9\u00e8\u00ea\u00eb\u00e9"};

  @Test
  void mergedSegmentsHoldEveryCellInMemory() {
    check(EmbeddedOfflineStore.inMemoryBuilder().mergeExecutor(Runnable::run).build());
  }

  @Test
  void mergedSegmentsHoldEveryCellOnDiskAndAfterReopening(@TempDir Path dir) {
    TreeMap<Long, String> merged = check(EmbeddedOfflineStore.builder(dir).mergeExecutor(Runnable::run).build());
    EmbeddedOfflineStore again = EmbeddedOfflineStore.builder(dir).build();
    try (World w = new World(again)) {
      assertEquals(merged, w.rows(), "the merged segments read back the same after reopening");
    }
  }

  /** Ingests 20 batches (one segment each, merged as they pile up), then compacts; returns the rows. */
  private static TreeMap<Long, String> check(EmbeddedOfflineStore offline) {
    try (World w = new World(offline)) {
      SplittableRandom r = new SplittableRandom(11);
      int missing = 0;
      for (int b = 0; b < 20; b++) {
        EventBatch.Builder eb = EventBatch.builder(OfflineFormatTest.schema());
        for (int i = 0; i < 50; i++) {
          long t = OfflineFormatTest.T0 + r.nextLong(1_000_000);
          String country = r.nextInt(8) == 0 ? null : WORDS[r.nextInt(WORDS.length)];
          missing += country == null ? 1 : 0;
          eb.add(EntityKey.of("user_id", "u" + r.nextInt(40)), t, t, r.nextGaussian(), r.nextLong(),
              r.nextBoolean(), country, r.nextBoolean() ? null : new float[] {r.nextFloat(), 1f, -2f});
        }
        w.store.ingest("profile", eb.build());
      }
      assertTrue(missing > 0, "some strings are missing");
      TreeMap<Long, String> before = w.rows();
      assertEquals(1000, before.size());
      w.offline.compact(w.view);
      TreeMap<Long, String> after = w.rows();
      assertEquals(before, after, "a compaction (one merge of every segment) keeps every cell");
      for (String word : WORDS) {
        assertTrue(after.values().stream().anyMatch(s -> s.contains(" " + word + " ")), "holds '" + word + "'");
      }
      return after;
    }
  }

  /** A feature store with the golden view over the given offline store. */
  private static final class World implements AutoCloseable {
    final FeatureRegistry registry = new FeatureRegistry();
    final EmbeddedOfflineStore offline;
    final FeatureStore store;
    final FeatureView view;

    World(EmbeddedOfflineStore offline) {
      registry.apply(OfflineFormatTest.USER);
      registry.apply(OfflineFormatTest.profile());
      view = registry.view("profile", FeatureView.class);
      AtomicLong now = new AtomicLong(OfflineFormatTest.T0 + 10 * OfflineStoreFaultsTest.DAY);
      this.offline = offline;
      store = FeatureStore.builder(registry).clock(now::get).offlineStore(offline).build();
    }

    TreeMap<Long, String> rows() {
      TreeMap<Long, String> out = new TreeMap<>();
      offline.scan(view, 0, EventBatch.MAX_TIME, -1, c -> {
        for (int r = 0; r < c.size(); r++) {
          out.put(c.sequence(r), c.key(r) + " " + c.eventTime(r) + " " + c.createdTime(r) + " "
              + OfflineStoreFaultsTest.cells(c.values(), r) + " ");
        }
      });
      return out;
    }

    @Override
    public void close() {
      store.close();
    }
  }
}
