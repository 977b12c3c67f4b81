package org.sieveml.core.pipeline;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;

/**
 * Real in-test stage implementations over a small seeded catalogue: an exact embedding-similarity
 * generator, a popularity generator, a feature source joining user and item attributes, a linear
 * scorer, and a category-diversity re-ranker.
 */
final class Fixtures {

  static final int DIM = 8;

  /** A catalogue of items with an embedding, a category, a popularity and a price. */
  static final class Catalog {
    final String[] ids;
    final float[][] embeddings;
    final String[] categories;
    final double[] popularity;
    final double[] price;
    final Map<String, float[]> users;

    Catalog(int items, int userCount, long seed) {
      SplittableRandom rnd = new SplittableRandom(seed);
      ids = new String[items];
      embeddings = new float[items][DIM];
      categories = new String[items];
      popularity = new double[items];
      price = new double[items];
      for (int i = 0; i < items; i++) {
        ids[i] = "item-" + i;
        for (int d = 0; d < DIM; d++) {
          embeddings[i][d] = (float) rnd.nextGaussian();
        }
        categories[i] = "cat-" + (i % 5);
        popularity[i] = Math.exp(-i / (double) items * 5) * 1000 + rnd.nextDouble();
        price[i] = 1 + rnd.nextDouble() * 99;
      }
      users = new java.util.HashMap<>();
      for (int u = 0; u < userCount; u++) {
        float[] e = new float[DIM];
        for (int d = 0; d < DIM; d++) {
          e[d] = (float) rnd.nextGaussian();
        }
        users.put("u" + u, e);
      }
    }

    int index(String itemId) {
      return Integer.parseInt(itemId.substring("item-".length()));
    }

    float[] user(PipelineRequest r) {
      return users.get((String) r.entity().value("user_id"));
    }
  }

  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  /** Exact inner-product search over the catalogue for the request's user embedding. */
  static final class SimilarityGenerator implements CandidateGenerator {
    final Catalog catalog;

    SimilarityGenerator(Catalog catalog) {
      this.catalog = catalog;
    }

    @Override
    public String name() {
      return "similar";
    }

    @Override
    public List<Candidate> generate(PipelineRequest request, int limit) {
      float[] u = catalog.user(request);
      List<Candidate> all = new ArrayList<>(catalog.ids.length);
      for (int i = 0; i < catalog.ids.length; i++) {
        all.add(Candidate.of(catalog.ids[i], dot(u, catalog.embeddings[i]), name()));
      }
      all.sort(Comparator.comparingDouble(Candidate::retrievalScore).reversed().thenComparing(Candidate::itemId));
      return all.subList(0, Math.min(limit, all.size()));
    }
  }

  /** The most popular items, the same for every request. */
  static final class PopularGenerator implements CandidateGenerator {
    final List<Candidate> ranked;

    PopularGenerator(Catalog catalog) {
      List<Candidate> all = new ArrayList<>();
      for (int i = 0; i < catalog.ids.length; i++) {
        all.add(Candidate.of(catalog.ids[i], catalog.popularity[i], name()));
      }
      all.sort(Comparator.comparingDouble(Candidate::retrievalScore).reversed());
      ranked = List.copyOf(all);
    }

    @Override
    public String name() {
      return "popular";
    }

    @Override
    public List<Candidate> generate(PipelineRequest request, int limit) {
      return ranked.subList(0, Math.min(limit, ranked.size()));
    }
  }

  /** A fixed list, for exact merge tests; optionally runs a hook (advance a clock, throw). */
  static final class ListGenerator implements CandidateGenerator {
    final String name;
    final List<Candidate> items;
    final Consumer<PipelineRequest> hook;

    ListGenerator(String name, Consumer<PipelineRequest> hook, String... ids) {
      this.name = name;
      this.hook = hook;
      List<Candidate> l = new ArrayList<>();
      for (int i = 0; i < ids.length; i++) {
        l.add(Candidate.of(ids[i], ids.length - i, name));
      }
      this.items = List.copyOf(l);
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public List<Candidate> generate(PipelineRequest request, int limit) {
      if (hook != null) {
        hook.accept(request);
      }
      return items.subList(0, Math.min(limit, items.size()));
    }
  }

  static final FeatureSchema SCHEMA = FeatureSchema.builder()
      .addDouble("affinity")
      .addDouble("log_popularity")
      .addDouble("price")
      .addString("category")
      .build();

  /** user-item affinity, item popularity, price and category, per candidate. */
  static class CatalogFeatures implements FeatureSource {
    final Catalog catalog;

    CatalogFeatures(Catalog catalog) {
      this.catalog = catalog;
    }

    @Override
    public FeatureSchema schema() {
      return SCHEMA;
    }

    @Override
    public List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates) {
      float[] u = catalog.user(request);
      List<FeatureVector> out = new ArrayList<>(candidates.size());
      FeatureVector.Builder b = FeatureVector.builder(SCHEMA);
      for (Candidate c : candidates) {
        int i = catalog.index(c.itemId());
        out.add(b.setDouble(0, dot(u, catalog.embeddings[i]))
            .setDouble(1, Math.log1p(catalog.popularity[i]))
            .setDouble(2, catalog.price[i])
            .setString(3, catalog.categories[i])
            .build());
      }
      return out;
    }
  }

  /** A linear model over the numeric features. */
  static class LinearScorer implements Scorer {
    final double wAffinity;
    final double wPopularity;
    final double wPrice;

    LinearScorer(double wAffinity, double wPopularity, double wPrice) {
      this.wAffinity = wAffinity;
      this.wPopularity = wPopularity;
      this.wPrice = wPrice;
    }

    @Override
    public String name() {
      return "linear";
    }

    @Override
    public FeatureSchema inputSchema() {
      return FeatureSchema.builder().addDouble("affinity").addDouble("log_popularity").addDouble("price").build();
    }

    @Override
    public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
      double[] s = new double[features.size()];
      for (int i = 0; i < s.length; i++) {
        FeatureVector v = features.get(i);
        s[i] = wAffinity * v.asDouble(0) + wPopularity * v.asDouble(1) + wPrice * v.asDouble(2);
      }
      return s;
    }
  }

  /** At most {@code perCategory} items of one category in the top k (greedy in score order). */
  static class CategoryCapReRanker implements ReRanker {
    final Catalog catalog;
    final int perCategory;

    CategoryCapReRanker(Catalog catalog, int perCategory) {
      this.catalog = catalog;
      this.perCategory = perCategory;
    }

    @Override
    public String name() {
      return "category-cap";
    }

    @Override
    public List<ScoredItem> rerank(PipelineRequest request, List<ScoredItem> scored, int k) {
      Map<String, Integer> counts = new java.util.HashMap<>();
      List<ScoredItem> out = new ArrayList<>(k);
      for (ScoredItem s : scored) {
        String cat = catalog.categories[catalog.index(s.itemId())];
        int c = counts.getOrDefault(cat, 0);
        if (c < perCategory) {
          counts.put(cat, c + 1);
          out.add(s);
          if (out.size() == k) {
            break;
          }
        }
      }
      return out;
    }
  }

  static Set<String> ids(List<? extends Object> items) {
    Set<String> out = new HashSet<>();
    for (Object o : items) {
      out.add(o instanceof ScoredItem ? ((ScoredItem) o).itemId() : ((Candidate) o).itemId());
    }
    return out;
  }

  private Fixtures() {}
}
