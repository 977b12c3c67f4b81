package org.sieveml.ranking;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleBiFunction;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.ReRanker;

/**
 * Re-rankers for the pipeline's last stage: maximal marginal relevance diversity, business rules (filter,
 * boost, pin) and de-duplication, and their composition.
 *
 * <p>Thread-safety: every re-ranker returned here is immutable and safe for concurrent use if the functions
 * given to it are.
 */
public final class ReRankers {
  private ReRankers() {}

  /**
   * Maximal marginal relevance (Carbonell and Goldstein, 1998): greedily picks the item maximising
   * {@code lambda * rel(i) - (1 - lambda) * max_{j picked} sim(i, j)}, where {@code rel} is the score
   * min-max normalised over the input. {@code lambda = 1} keeps the score order.
   *
   * @param lambda the relevance weight in [0, 1]
   * @param similarity similarity of two items, typically in [0, 1] (e.g. cosine of their embeddings)
   * @return the re-ranker; O(k · n) similarity calls
   */
  public static ReRanker mmr(double lambda, ToDoubleBiFunction<ScoredItem, ScoredItem> similarity) {
    if (!(lambda >= 0 && lambda <= 1)) {
      throw new IllegalArgumentException("lambda is " + lambda + "; expected in [0, 1]");
    }
    if (similarity == null) {
      throw new IllegalArgumentException("similarity is null");
    }
    return named("mmr", (request, scored, k) -> {
      int n = scored.size();
      int take = Math.min(k, n);
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      for (ScoredItem s : scored) {
        lo = Math.min(lo, s.score());
        hi = Math.max(hi, s.score());
      }
      double span = hi > lo ? hi - lo : 1;
      double[] maxSim = new double[n];
      java.util.Arrays.fill(maxSim, Double.NEGATIVE_INFINITY);
      boolean[] used = new boolean[n];
      List<ScoredItem> out = new ArrayList<>(take);
      for (int r = 0; r < take; r++) {
        int best = -1;
        double bestVal = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
          if (used[i]) {
            continue;
          }
          double rel = (scored.get(i).score() - lo) / span;
          double penalty = out.isEmpty() ? 0 : maxSim[i];
          double v = lambda * rel - (1 - lambda) * penalty;
          if (v > bestVal) {
            bestVal = v;
            best = i;
          }
        }
        used[best] = true;
        ScoredItem picked = scored.get(best);
        out.add(picked);
        for (int i = 0; i < n; i++) {
          if (!used[i]) {
            maxSim[i] = Math.max(maxSim[i], similarity.applyAsDouble(scored.get(i), picked));
          }
        }
      }
      return out;
    });
  }

  /**
   * Keeps the first (best) item of each key, e.g. one item per product group or canonical URL.
   *
   * @param key the de-duplication key of an item
   * @return the re-ranker
   */
  public static ReRanker dedup(Function<ScoredItem, ?> key) {
    if (key == null) {
      throw new IllegalArgumentException("key is null");
    }
    return named("dedup", (request, scored, k) -> {
      Set<Object> seen = new HashSet<>();
      List<ScoredItem> out = new ArrayList<>();
      for (ScoredItem s : scored) {
        if (out.size() == k) {
          break;
        }
        if (seen.add(key.apply(s))) {
          out.add(s);
        }
      }
      return out;
    });
  }

  /**
   * Starts a set of business rules, applied in this order: filters drop items, boosts multiply scores
   * (then the list is re-sorted, stable), pins move named items to fixed positions, then the list is cut
   * to {@code k}.
   *
   * @return a rules builder
   */
  public static Rules rules() {
    return new Rules();
  }

  /**
   * Applies re-rankers in sequence, each seeing the previous one's full output.
   *
   * @param stages the re-rankers
   * @return the chain
   */
  public static ReRanker chain(ReRanker... stages) {
    List<ReRanker> list = List.of(stages);
    return named("chain", (request, scored, k) -> {
      List<ScoredItem> cur = scored;
      for (int i = 0; i < list.size(); i++) {
        cur = list.get(i).rerank(request, cur, i == list.size() - 1 ? k : Integer.MAX_VALUE);
      }
      return cur.size() > k ? cur.subList(0, k) : cur;
    });
  }

  private static ReRanker named(String name, ReRanker r) {
    return new ReRanker() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public List<ScoredItem> rerank(PipelineRequest request, List<ScoredItem> scored, int k) {
        if (k < 0) {
          throw new IllegalArgumentException("k is " + k + "; expected >= 0");
        }
        return r.rerank(request, scored, k);
      }
    };
  }

  /**
   * Builds business rules.
   *
   * <p>Thread-safety: not thread-safe; the built re-ranker is immutable.
   */
  public static final class Rules {
    private final List<Predicate<ScoredItem>> filters = new ArrayList<>();
    private final List<Map.Entry<Predicate<ScoredItem>, Double>> boosts = new ArrayList<>();
    private final Map<String, Integer> pins = new LinkedHashMap<>();

    private Rules() {}

    /**
     * Drops items matching a predicate (e.g. out of stock, already seen).
     *
     * @param drop items to remove
     * @return this builder
     */
    public Rules filter(Predicate<ScoredItem> drop) {
      filters.add(drop);
      return this;
    }

    /**
     * Multiplies the score of matching items.
     *
     * @param when items to boost
     * @param factor a positive finite factor
     * @return this builder
     */
    public Rules boost(Predicate<ScoredItem> when, double factor) {
      if (!(factor > 0) || !Double.isFinite(factor)) {
        throw new IllegalArgumentException("boost factor is " + factor + "; expected positive and finite");
      }
      boosts.add(Map.entry(when, factor));
      return this;
    }

    /**
     * Places an item at a position (0-based) if it survives filtering.
     *
     * @param itemId the item
     * @param position the position, non-negative
     * @return this builder
     */
    public Rules pin(String itemId, int position) {
      if (position < 0) {
        throw new IllegalArgumentException("pin position for '" + itemId + "' is " + position + "; expected >= 0");
      }
      pins.put(itemId, position);
      return this;
    }

    /**
     * Builds the re-ranker.
     *
     * @return the re-ranker
     */
    public ReRanker build() {
      List<Predicate<ScoredItem>> f = List.copyOf(filters);
      List<Map.Entry<Predicate<ScoredItem>, Double>> b = List.copyOf(boosts);
      Map<String, Integer> p = Collections.unmodifiableMap(new LinkedHashMap<>(pins));
      return named("rules", (request, scored, k) -> {
        List<ScoredItem> out = new ArrayList<>();
        for (ScoredItem s : scored) {
          boolean keep = true;
          for (Predicate<ScoredItem> d : f) {
            if (d.test(s)) {
              keep = false;
              break;
            }
          }
          if (!keep) {
            continue;
          }
          double factor = 1;
          for (Map.Entry<Predicate<ScoredItem>, Double> e : b) {
            if (e.getKey().test(s)) {
              factor *= e.getValue();
            }
          }
          out.add(factor == 1 ? s : s.withScore(s.score() * factor));
        }
        if (!b.isEmpty()) {
          out.sort((x, y) -> Double.compare(y.score(), x.score()));
        }
        if (!p.isEmpty()) {
          List<ScoredItem> pinned = new ArrayList<>();
          for (ScoredItem s : out) {
            if (p.containsKey(s.itemId())) {
              pinned.add(s);
            }
          }
          out.removeAll(pinned);
          pinned.sort((x, y) -> Integer.compare(p.get(x.itemId()), p.get(y.itemId())));
          for (ScoredItem s : pinned) {
            out.add(Math.min(p.get(s.itemId()), out.size()), s);
          }
        }
        return out.size() > k ? new ArrayList<>(out.subList(0, k)) : out;
      });
    }
  }
}
