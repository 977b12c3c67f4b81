package org.sieveml.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.ReRanker;
import org.sieveml.core.pipeline.Scorer;
import org.sieveml.retrieval.VectorMetric;

/**
 * The stage implementations of the demo, over a {@link DemoWorld}. All are thread-safe.
 *
 * <p>Until the retrieval and ranking modules land, the similarity generator is an exact inner-product
 * scan and the scorer a hand-weighted linear model; the pipeline around them is the real one.
 */
public final class DemoStages {

  /** The features the demo's feature source provides. */
  public static final FeatureSchema SCHEMA = FeatureSchema.builder()
      .addDouble("affinity")
      .addDouble("log_popularity")
      .addBoolean("favourite_category")
      .addDouble("log_price")
      .addLong("category")
      .build();

  private DemoStages() {}

  static int user(PipelineRequest request) {
    return DemoWorld.userIndex((String) request.entity().value("user_id"));
  }

  /**
   * Exact maximum-inner-product search of the user's estimated taste over all item embeddings.
   *
   * @param world the world
   * @return the generator, named {@code similar}
   */
  public static CandidateGenerator similar(DemoWorld world) {
    return CandidateGenerator.of("similar", (request, limit) -> {
      float[] taste = world.estimatedTaste[user(request)];
      int n = world.items();
      // Keep the best `limit` in a small min-heap of indices by score.
      int k = Math.min(limit, n);
      int[] heap = new int[k];
      float[] heapScore = new float[k];
      int size = 0;
      for (int i = 0; i < n; i++) {
        float s = VectorMetric.dot(taste, world.itemEmbeddings[i]);
        if (size < k) {
          heap[size] = i;
          heapScore[size] = s;
          siftUp(heap, heapScore, size++);
        } else if (s > heapScore[0]) {
          heap[0] = i;
          heapScore[0] = s;
          siftDown(heap, heapScore, size);
        }
      }
      Integer[] order = new Integer[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Float.compare(heapScore[b], heapScore[a]));
      List<Candidate> out = new ArrayList<>(size);
      for (Integer o : order) {
        out.add(Candidate.of(DemoWorld.itemId(heap[o]), heapScore[o], "similar"));
      }
      return out;
    });
  }

  private static void siftUp(int[] h, float[] s, int i) {
    while (i > 0) {
      int p = (i - 1) >>> 1;
      if (s[p] <= s[i]) {
        return;
      }
      swap(h, s, i, p);
      i = p;
    }
  }

  private static void siftDown(int[] h, float[] s, int size) {
    int i = 0;
    while (true) {
      int l = 2 * i + 1;
      int r = l + 1;
      int m = i;
      if (l < size && s[l] < s[m]) {
        m = l;
      }
      if (r < size && s[r] < s[m]) {
        m = r;
      }
      if (m == i) {
        return;
      }
      swap(h, s, i, m);
      i = m;
    }
  }

  private static void swap(int[] h, float[] s, int a, int b) {
    int t = h[a];
    h[a] = h[b];
    h[b] = t;
    float f = s[a];
    s[a] = s[b];
    s[b] = f;
  }

  /**
   * The globally most popular items: the baseline every recommender must beat.
   *
   * @param world the world
   * @return the generator, named {@code popular}
   */
  public static CandidateGenerator popular(DemoWorld world) {
    Integer[] order = new Integer[world.items()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(world.itemPopularity[b], world.itemPopularity[a]));
    List<Candidate> ranked = new ArrayList<>();
    for (Integer i : order) {
      ranked.add(Candidate.of(DemoWorld.itemId(i), world.itemPopularity[i], "popular"));
    }
    List<Candidate> frozen = List.copyOf(ranked);
    return CandidateGenerator.of("popular", (request, limit) -> frozen.subList(0, Math.min(limit, frozen.size())));
  }

  /**
   * Wraps a generator so that a deterministic share of its calls fail, to show degradation at work.
   *
   * @param inner the real generator
   * @param everyNth every n-th call throws
   * @return the flaky generator, with the inner generator's name
   */
  public static CandidateGenerator failingEvery(CandidateGenerator inner, int everyNth) {
    AtomicLong calls = new AtomicLong();
    return CandidateGenerator.of(inner.name(), (request, limit) -> {
      if (calls.incrementAndGet() % everyNth == 0) {
        throw new IllegalStateException("injected failure (every " + everyNth + "th call)");
      }
      return inner.generate(request, limit);
    });
  }

  /**
   * User-item features: estimated affinity, popularity, favourite-category match, price, category.
   *
   * @param world the world
   * @return the feature source, named {@code demo-features}
   */
  public static FeatureSource features(DemoWorld world) {
    return FeatureSource.of("demo-features", SCHEMA, (request, candidates) -> {
      int u = user(request);
      float[] taste = world.estimatedTaste[u];
      FeatureVector.Builder b = FeatureVector.builder(SCHEMA);
      List<FeatureVector> out = new ArrayList<>(candidates.size());
      for (Candidate c : candidates) {
        int i = DemoWorld.itemIndex(c.itemId());
        out.add(b.setDouble(0, VectorMetric.dot(taste, world.itemEmbeddings[i]))
            .setDouble(1, Math.log1p(world.itemPopularity[i]))
            .setBoolean(2, world.itemCategory[i] == world.favouriteCategory[u])
            .setDouble(3, Math.log(world.itemPrice[i]))
            .setLong(4, world.itemCategory[i])
            .build());
      }
      return out;
    });
  }

  /**
   * A hand-weighted linear model over affinity, popularity and the favourite-category flag.
   *
   * @return the scorer, named {@code linear-v0}
   */
  public static Scorer linearModel() {
    FeatureSchema in = FeatureSchema.builder()
        .addDouble("affinity").addDouble("log_popularity").addBoolean("favourite_category").build();
    return Scorer.of("linear-v0", in,
        v -> v.asDouble(0) + 0.1 * v.asDouble(1) + 0.5 * v.asDouble(2));
  }

  /**
   * Greedy in score order, at most {@code perCategory} items of one category.
   *
   * @param world the world
   * @param perCategory the cap, positive
   * @return the re-ranker, named {@code category-cap}
   */
  public static ReRanker categoryCap(DemoWorld world, int perCategory) {
    return new ReRanker() {
      @Override
      public String name() {
        return "category-cap";
      }

      @Override
      public List<ScoredItem> rerank(PipelineRequest request, List<ScoredItem> scored, int k) {
        int[] counts = new int[world.categories];
        List<ScoredItem> out = new ArrayList<>(k);
        for (ScoredItem s : scored) {
          int c = world.itemCategory[DemoWorld.itemIndex(s.itemId())];
          if (counts[c] < perCategory) {
            counts[c]++;
            out.add(s);
            if (out.size() == k) {
              break;
            }
          }
        }
        return out;
      }
    };
  }
}
