package org.sieveml.benchmarks.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.ReRanker;
import org.sieveml.core.pipeline.Scorer;

/**
 * Deterministic stage implementations for the pipeline benchmarks: a seeded catalogue, two candidate
 * generators that return precomputed ranked lists, a feature source backed by primitive arrays, a
 * linear scorer and a re-ranker that caps items per category.
 *
 * <p>Layout: a catalogue of {@value #CATALOGUE_SIZE} items, each with {@value #DOUBLE_FEATURE_COUNT}
 * DOUBLE features drawn from a {@link SplittableRandom} with a fixed seed and one STRING category out of
 * {@value #CATEGORIES}. Generator {@code similar} proposes {@value #PER_GENERATOR} items, generator
 * {@code popular} proposes {@value #PER_GENERATOR} items, {@value #OVERLAP} of them shared with {@code
 * similar} at different ranks, so the merged, deduplicated set has exactly {@value #UNIQUE_CANDIDATES}
 * candidates. The same instances serve both the pipeline and the hand-wired baseline, so the two do
 * identical stage work and differ only in the orchestration around it.
 *
 * <p>Immutable after construction and thread-safe: every stage allocates its scratch per call.
 */
public final class BenchStages {

  /** The seed used by the benchmarks. */
  public static final long DEFAULT_SEED = 0x5EEDL;
  /** Items in the catalogue. */
  public static final int CATALOGUE_SIZE = 2_000;
  /** Candidates each generator returns (and its quota). */
  public static final int PER_GENERATOR = 300;
  /** Items both generators propose. */
  public static final int OVERLAP = 100;
  /** Candidates after merging and deduplication: {@code 2 * PER_GENERATOR - OVERLAP}. */
  public static final int UNIQUE_CANDIDATES = 2 * PER_GENERATOR - OVERLAP;
  /** Distinct item categories. */
  public static final int CATEGORIES = 12;
  /** The most items of one category the re-ranker keeps. */
  public static final int PER_CATEGORY_CAP = 2;
  /** Number of DOUBLE features per item. */
  public static final int DOUBLE_FEATURE_COUNT = 5;
  /** Name of the STRING feature holding the item's category. */
  public static final String CATEGORY_FEATURE = "category";

  private static final String[] DOUBLE_FEATURES = {"ctr", "popularity", "freshness", "price", "quality"};
  private static final double[] WEIGHTS = {2.0, 0.7, 0.5, -0.3, 1.1};
  private static final double BIAS = 0.05;

  private final long seed;
  private final String[] itemIds;
  private final double[][] columns; // [feature][item]
  private final int[] categoryOf;
  private final String[] categoryNames;
  private final Map<String, Integer> indexOf;
  private final FeatureSchema schema;
  private final CandidateGenerator similar;
  private final CandidateGenerator popular;
  private final FeatureSource featureSource;
  private final Scorer scorer;
  private final ReRanker reRanker;

  private BenchStages(long seed) {
    this.seed = seed;
    SplittableRandom rnd = new SplittableRandom(seed);
    itemIds = new String[CATALOGUE_SIZE];
    indexOf = new HashMap<>(CATALOGUE_SIZE * 2);
    for (int i = 0; i < CATALOGUE_SIZE; i++) {
      itemIds[i] = String.format("item-%05d", i);
      indexOf.put(itemIds[i], i);
    }
    columns = new double[DOUBLE_FEATURE_COUNT][CATALOGUE_SIZE];
    for (int f = 0; f < DOUBLE_FEATURE_COUNT; f++) {
      for (int i = 0; i < CATALOGUE_SIZE; i++) {
        columns[f][i] = rnd.nextDouble();
      }
    }
    categoryNames = new String[CATEGORIES];
    for (int c = 0; c < CATEGORIES; c++) {
      categoryNames[c] = "cat-" + c;
    }
    categoryOf = new int[CATALOGUE_SIZE];
    for (int i = 0; i < CATALOGUE_SIZE; i++) {
      categoryOf[i] = rnd.nextInt(CATEGORIES);
    }

    FeatureSchema.Builder sb = FeatureSchema.builder();
    for (String f : DOUBLE_FEATURES) {
      sb.addDouble(f);
    }
    schema = sb.addString(CATEGORY_FEATURE).build();

    // Candidate lists: a seeded permutation; 'similar' takes perm[0, 300), 'popular' takes
    // perm[200, 500) re-shuffled, so the 100 shared items sit at unrelated ranks in the two lists.
    int[] perm = permutation(CATALOGUE_SIZE, rnd);
    int[] a = new int[PER_GENERATOR];
    int[] b = new int[PER_GENERATOR];
    System.arraycopy(perm, 0, a, 0, PER_GENERATOR);
    System.arraycopy(perm, PER_GENERATOR - OVERLAP, b, 0, PER_GENERATOR);
    shuffle(b, rnd);
    similar = new PrecomputedGenerator("similar", ranked(a, "similar"));
    popular = new PrecomputedGenerator("popular", ranked(b, "popular"));

    Set<String> unique = new HashSet<>();
    for (Candidate c : similar.generate(null, PER_GENERATOR)) {
      unique.add(c.itemId());
    }
    for (Candidate c : popular.generate(null, PER_GENERATOR)) {
      unique.add(c.itemId());
    }
    if (unique.size() != UNIQUE_CANDIDATES) {
      throw new IllegalStateException(
          "generators propose " + unique.size() + " unique items, expected " + UNIQUE_CANDIDATES);
    }

    featureSource = new ArrayFeatureSource();
    scorer = new LinearScorer(schema);
    reRanker = new CategoryCapReRanker();
  }

  /**
   * Builds the catalogue and stages from a seed.
   *
   * @param seed the seed of every random draw
   * @return the stages
   * @throws IllegalStateException if the generated lists do not merge to {@value #UNIQUE_CANDIDATES}
   *     unique candidates
   */
  public static BenchStages create(long seed) {
    return new BenchStages(seed);
  }

  /**
   * The seed these stages were built from.
   *
   * @return the seed
   */
  public long seed() {
    return seed;
  }

  /**
   * The first generator, {@code similar}.
   *
   * @return a generator of {@value #PER_GENERATOR} ranked candidates
   */
  public CandidateGenerator similar() {
    return similar;
  }

  /**
   * The second generator, {@code popular}, sharing {@value #OVERLAP} items with {@link #similar()}.
   *
   * @return a generator of {@value #PER_GENERATOR} ranked candidates
   */
  public CandidateGenerator popular() {
    return popular;
  }

  /**
   * The feature source: {@value #DOUBLE_FEATURE_COUNT} DOUBLE features and the STRING category.
   *
   * @return the feature source
   */
  public FeatureSource featureSource() {
    return featureSource;
  }

  /**
   * The linear scorer over the DOUBLE features.
   *
   * @return the scorer
   */
  public Scorer scorer() {
    return scorer;
  }

  /**
   * The re-ranker keeping at most {@value #PER_CATEGORY_CAP} items per category, greedily in score
   * order.
   *
   * @return the re-ranker
   */
  public ReRanker reRanker() {
    return reRanker;
  }

  private List<Candidate> ranked(int[] items, String source) {
    List<Candidate> out = new ArrayList<>(items.length);
    for (int r = 0; r < items.length; r++) {
      out.add(Candidate.of(itemIds[items[r]], 1.0 - (double) r / items.length, source));
    }
    return List.copyOf(out);
  }

  private int index(String itemId) {
    Integer i = indexOf.get(itemId);
    if (i == null) {
      throw new IllegalArgumentException("item '" + itemId + "' is not in the catalogue");
    }
    return i;
  }

  private static int[] permutation(int n, SplittableRandom rnd) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    shuffle(p, rnd);
    return p;
  }

  private static void shuffle(int[] a, SplittableRandom rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** Returns a fixed, immutable ranked list; the cost of retrieval itself is not measured. */
  private static final class PrecomputedGenerator implements CandidateGenerator {
    private final String name;
    private final List<Candidate> ranked;

    PrecomputedGenerator(String name, List<Candidate> ranked) {
      this.name = name;
      this.ranked = ranked;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public List<Candidate> generate(PipelineRequest request, int limit) {
      return limit >= ranked.size() ? ranked : ranked.subList(0, limit);
    }
  }

  /** One vector per candidate, read from the catalogue's primitive columns. */
  private final class ArrayFeatureSource implements FeatureSource {
    @Override
    public String name() {
      return "catalogue-arrays";
    }

    @Override
    public FeatureSchema schema() {
      return schema;
    }

    @Override
    public List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates) {
      FeatureVector.Builder b = FeatureVector.builder(schema);
      FeatureVector[] out = new FeatureVector[candidates.size()];
      for (int c = 0; c < out.length; c++) {
        int i = index(candidates.get(c).itemId());
        for (int f = 0; f < DOUBLE_FEATURE_COUNT; f++) {
          b.setDouble(f, columns[f][i]);
        }
        b.setString(DOUBLE_FEATURE_COUNT, categoryNames[categoryOf[i]]);
        out[c] = b.build();
      }
      return Arrays.asList(out);
    }
  }

  /** {@code BIAS + sum(w_f * x_f)} over the DOUBLE features, with indices resolved once. */
  private static final class LinearScorer implements Scorer {
    private final FeatureSchema input;
    private final FeatureSchema provided;
    private final int[] providedIndex;

    LinearScorer(FeatureSchema provided) {
      FeatureSchema.Builder b = FeatureSchema.builder();
      for (String f : DOUBLE_FEATURES) {
        b.addDouble(f);
      }
      this.input = b.build();
      this.provided = provided;
      this.providedIndex = resolve(provided);
    }

    private static int[] resolve(FeatureSchema s) {
      int[] idx = new int[DOUBLE_FEATURES.length];
      for (int f = 0; f < idx.length; f++) {
        idx[f] = s.require(DOUBLE_FEATURES[f]);
      }
      return idx;
    }

    @Override
    public String name() {
      return "linear";
    }

    @Override
    public FeatureSchema inputSchema() {
      return input;
    }

    @Override
    public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
      double[] out = new double[features.size()];
      if (out.length == 0) {
        return out;
      }
      FeatureSchema s = features.get(0).schema();
      int[] idx = s == provided ? providedIndex : resolve(s);
      for (int c = 0; c < out.length; c++) {
        FeatureVector v = features.get(c);
        double sum = BIAS;
        for (int f = 0; f < idx.length; f++) {
          sum += WEIGHTS[f] * v.asDouble(idx[f]);
        }
        out[c] = sum;
      }
      return out;
    }
  }

  /** Greedy in score order: keeps an item unless its category already has {@code PER_CATEGORY_CAP}. */
  private final class CategoryCapReRanker implements ReRanker {
    @Override
    public String name() {
      return "category-cap";
    }

    @Override
    public List<ScoredItem> rerank(PipelineRequest request, List<ScoredItem> scored, int k) {
      int[] taken = new int[CATEGORIES];
      List<ScoredItem> out = new ArrayList<>(k);
      for (int i = 0, n = scored.size(); i < n && out.size() < k; i++) {
        ScoredItem s = scored.get(i);
        int cat = categoryOf[index(s.itemId())];
        if (taken[cat] < PER_CATEGORY_CAP) {
          taken[cat]++;
          out.add(s);
        }
      }
      return Collections.unmodifiableList(out);
    }
  }
}
