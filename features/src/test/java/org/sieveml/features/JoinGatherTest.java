package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/**
 * The join's column gathers against a row-by-row reference: strings of every length from 0 to 20
 * bytes (the short ones are told apart by their bytes read as one word), multi-byte UTF-8, values
 * that share a prefix or differ only in length or in their last byte, missing values, the last string of a segment (no word
 * fits after it), doubles with gaps; rows matched in several segments and sparse and dense spans.
 */
class JoinGatherTest {

  private static final Entity USER = Entity.builder("user").joinKey("user_id").build();

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void gatheredColumnsEqualTheRowsWritten(boolean onFiles, @TempDir Path dir) {
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(USER);
    reg.apply(FeatureView.builder("v").entity(USER).feature(FeatureSpec.of("s", FeatureType.STRING))
        .feature(FeatureSpec.of("x", FeatureType.DOUBLE)).build());
    FeatureService svc = FeatureService.builder("svc").features("v").build();
    reg.apply(svc);
    long t0 = 1_000_000L;
    FeatureStore store = FeatureStore.builder(reg).clock(() -> t0 + 10_000_000L)
        .offlineStore(onFiles ? EmbeddedOfflineStore.open(dir) : EmbeddedOfflineStore.inMemory()).build();
    String[] pool = {"", "a", "ab", "abc", "abd", "abcdefg", "abcdefgh", "abcdefgi", "abcdefghi", "abcdefghj",
        "abcdefgh\u00e9", "\u00e9", "\u20ac\u20ac", "\u20ac\u20ac\u20ac", "zzzzzzzzzzzzzzzzzzzz", "plus", "pro", "pro ",
        "team", "free", "x\u0000y", "\ud83d\ude00"};
    Random rnd = new Random(3);
    int users = 3_000;
    String[] lastS = new String[users];
    double[] lastX = new double[users];
    long[] lastT = new long[users];
    // three segments (each batch is one), the last user's string written last in each
    for (int b = 0; b < 3; b++) {
      EventBatch.Builder eb = EventBatch.builder(reg.view("v").schema());
      for (int u = 0; u < users; u++) {
        if (rnd.nextInt(3) == 0 && u != users - 1) {
          continue; // not every user in every segment
        }
        long t = t0 + b * 1_000L + rnd.nextInt(500);
        String s = rnd.nextInt(10) == 0 ? null : pool[rnd.nextInt(pool.length)];
        Double x = rnd.nextInt(7) == 0 ? null : rnd.nextGaussian();
        eb.add(EntityKey.of("user_id", (long) u), t, t, s, x);
        lastS[u] = s;
        lastX[u] = x == null ? Double.NaN : x;
        lastT[u] = t;
      }
      store.ingest("v", eb.build());
    }
    for (int dense = 0; dense < 2; dense++) {
      List<EntityKey> keys = new ArrayList<>();
      List<Integer> who = new ArrayList<>();
      for (int u = 0; u < users; u += dense == 1 ? 1 : 97) {
        keys.add(EntityKey.of("user_id", (long) u));
        who.add(u);
      }
      long[] ts = new long[keys.size()];
      java.util.Arrays.fill(ts, t0 + 100_000L);
      FeatureFrame f = store.getHistoricalFeatures(EntityRows.of(keys, ts, null), svc).frame();
      int sc = f.schema().indexOf("s");
      int xc = f.schema().indexOf("x");
      int matched = 0;
      for (int i = 0; i < keys.size(); i++) {
        int u = who.get(i);
        String what = (dense == 1 ? "dense" : "sparse") + " row " + i + " (user " + u + ")";
        if (lastT[u] == 0) {
          assertTrue(!f.isPresent(i, sc) && !f.isPresent(i, xc), what + ": never written");
          continue;
        }
        matched++;
        assertEquals(lastS[u], f.isPresent(i, sc) ? f.getString(i, sc) : null, what);
        assertEquals(Double.isNaN(lastX[u]) ? null : lastX[u], f.isPresent(i, xc) ? f.asDouble(i, xc) : null, what);
      }
      assertTrue(matched > keys.size() / 2, "the rows compared matched: " + matched);
    }
    store.close();
  }
}
