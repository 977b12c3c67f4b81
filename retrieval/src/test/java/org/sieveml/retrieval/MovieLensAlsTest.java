package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Implicit ALS against popularity on MovieLens 100k with a global temporal split: the first 80 % of
 * ratings by time train both models, and each user's later ratings (items not rated before the cut)
 * are the held-out truth. Every rating counts as an implicit interaction. Reads
 * {@code movielens-100k/u.data} from the data directory ({@code sieveml.data.dir},
 * {@code SIEVEML_DATA_DIR}, default {@code ../shared/data}); skipped only where it is absent.
 */
class MovieLensAlsTest {

  private static final Logger LOG = LoggerFactory.getLogger(MovieLensAlsTest.class);

  @Test
  void alsBeatsPopularityOnATemporalSplit() throws IOException {
    Path file = MnistRecallTest.dataDir().resolve("movielens-100k/u.data");
    Assumptions.assumeTrue(Files.exists(file), "MovieLens 100k not found at " + file);
    List<String[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
      if (!line.isBlank()) {
        rows.add(line.split("\t"));
      }
    }
    rows.sort(Comparator.comparingLong((String[] r) -> Long.parseLong(r[3])));
    int cut = (int) (rows.size() * 0.8);
    Interactions.Builder b = Interactions.builder();
    Map<String, Integer> popularity = new HashMap<>();
    for (int k = 0; k < cut; k++) {
      b.add("u" + rows.get(k)[0], "m" + rows.get(k)[1]);
      popularity.merge("m" + rows.get(k)[1], 1, Integer::sum);
    }
    Interactions train = b.build();
    Map<String, Set<String>> test = new HashMap<>();
    for (int k = cut; k < rows.size(); k++) {
      String u = "u" + rows.get(k)[0];
      if (train.userIndex(u) >= 0) {
        test.computeIfAbsent(u, x -> new HashSet<>()).add("m" + rows.get(k)[1]);
      }
    }
    List<String> byPopularity = new ArrayList<>(popularity.keySet());
    byPopularity.sort(Comparator.comparing((String m) -> -popularity.get(m)).thenComparing(m -> m));

    int factors = Integer.getInteger("als.factors", 16);
    double reg = Double.parseDouble(System.getProperty("als.reg", "5"));
    double alpha = Double.parseDouble(System.getProperty("als.alpha", "2"));
    int iters = Integer.getInteger("als.iters", 15);
    AlsModel model = ImplicitAls.builder().factors(factors).regularization(reg).alpha(alpha).iterations(iters)
        .seed(Long.getLong("als.seed", 42)).threads(2).build().fit(train);

    double als = 0;
    double pop = 0;
    for (Map.Entry<String, Set<String>> e : test.entrySet()) {
      Set<String> truth = e.getValue();
      Set<String> seen = new HashSet<>(train.itemsOf(e.getKey()));
      int denom = Math.min(10, truth.size());
      als += model.recommend(e.getKey(), 10, true).stream().filter(n -> truth.contains(n.id())).count()
          / (double) denom;
      int hits = 0;
      int taken = 0;
      for (String m : byPopularity) {
        if (taken == 10) {
          break;
        }
        if (!seen.contains(m)) {
          taken++;
          hits += truth.contains(m) ? 1 : 0;
        }
      }
      pop += hits / (double) denom;
    }
    als /= test.size();
    pop /= test.size();
    LOG.info("MovieLens 100k temporal split, {} test users: recall@10 ALS {} (f={}, reg={}, alpha={}, it={}) "
        + "vs popularity {}", test.size(), String.format("%.4f", als), factors, reg, alpha, iters,
        String.format("%.4f", pop));
    assertTrue(als > pop * 1.1, "ALS recall@10 " + als + " vs popularity " + pop);
  }
}
