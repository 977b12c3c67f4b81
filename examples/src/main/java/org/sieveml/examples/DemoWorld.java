package org.sieveml.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.sieveml.retrieval.VectorMetric;

/**
 * A seeded synthetic recommendation world with known ground truth.
 *
 * <p>Each user has a true taste vector and a favourite category; each item has an embedding, a
 * category, a price and a popularity. A user's true affinity for an item is
 * {@code taste · embedding + 0.5 [category is the favourite] + 0.1 log(1 + popularity)}; the {@value #RELEVANT} items of highest
 * true affinity are that user's relevant set. The system only sees a noisy estimate of each taste
 * vector (as a learned embedding would be), so recovering the relevant items is a real task. Immutable
 * once built; thread-safe.
 */
public final class DemoWorld {

  /** How many items count as relevant for each user. */
  public static final int RELEVANT = 20;

  final int dim;
  final float[][] itemEmbeddings;
  final int[] itemCategory;
  final double[] itemPrice;
  final double[] itemPopularity;
  final float[][] trueTaste;
  final float[][] estimatedTaste;
  final int[] favouriteCategory;
  final int categories;
  private final List<Set<String>> relevant;

  /**
   * Generates a world.
   *
   * @param users number of users, positive
   * @param items number of items, at least {@value #RELEVANT}
   * @param dim embedding dimension, positive
   * @param categories number of item categories, positive
   * @param seed the random seed; equal seeds give equal worlds
   */
  public DemoWorld(int users, int items, int dim, int categories, long seed) {
    if (users <= 0 || items < RELEVANT || dim <= 0 || categories <= 0) {
      throw new IllegalArgumentException(
          "need users > 0, items >= " + RELEVANT + ", dim > 0, categories > 0; got users=" + users
              + ", items=" + items + ", dim=" + dim + ", categories=" + categories);
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    this.dim = dim;
    this.categories = categories;
    itemEmbeddings = new float[items][dim];
    itemCategory = new int[items];
    itemPrice = new double[items];
    itemPopularity = new double[items];
    for (int i = 0; i < items; i++) {
      itemCategory[i] = rnd.nextInt(categories);
      for (int d = 0; d < dim; d++) {
        itemEmbeddings[i][d] = (float) (rnd.nextGaussian() / Math.sqrt(dim));
      }
      itemPrice[i] = Math.exp(1 + rnd.nextDouble() * 4);
      // Zipf-like popularity: part of every user's true affinity, so popularity is a real baseline.
      itemPopularity[i] = 1000.0 / Math.pow(1 + rnd.nextInt(items), 0.8);
    }
    trueTaste = new float[users][dim];
    estimatedTaste = new float[users][dim];
    favouriteCategory = new int[users];
    relevant = new ArrayList<>(users);
    for (int u = 0; u < users; u++) {
      favouriteCategory[u] = rnd.nextInt(categories);
      for (int d = 0; d < dim; d++) {
        trueTaste[u][d] = (float) rnd.nextGaussian();
        estimatedTaste[u][d] = (float) (trueTaste[u][d] + 0.6 * rnd.nextGaussian());
      }
      // Top RELEVANT by true affinity, by a single pass with a sorted insertion buffer.
      int[] best = new int[RELEVANT];
      double[] bestScore = new double[RELEVANT];
      Arrays.fill(bestScore, Double.NEGATIVE_INFINITY);
      for (int i = 0; i < items; i++) {
        double a = trueAffinity(u, i);
        if (a > bestScore[RELEVANT - 1]) {
          int j = RELEVANT - 1;
          while (j > 0 && bestScore[j - 1] < a) {
            bestScore[j] = bestScore[j - 1];
            best[j] = best[j - 1];
            j--;
          }
          bestScore[j] = a;
          best[j] = i;
        }
      }
      Set<String> rel = new HashSet<>();
      for (int r = 0; r < RELEVANT; r++) {
        rel.add(itemId(best[r]));
      }
      relevant.add(rel);
    }
  }

  /**
   * The number of users.
   *
   * @return users
   */
  public int users() {
    return trueTaste.length;
  }

  /**
   * The number of items.
   *
   * @return items
   */
  public int items() {
    return itemEmbeddings.length;
  }

  /**
   * The id of user {@code u}.
   *
   * @param u a user index
   * @return e.g. {@code u17}
   */
  public static String userId(int u) {
    return "u" + u;
  }

  /**
   * The id of item {@code i}.
   *
   * @param i an item index
   * @return e.g. {@code i42}
   */
  public static String itemId(int i) {
    return "i" + i;
  }

  /**
   * The index of an item id made by {@link #itemId(int)}.
   *
   * @param itemId the id
   * @return the index
   */
  public static int itemIndex(String itemId) {
    return Integer.parseInt(itemId.substring(1));
  }

  /**
   * The index of a user id made by {@link #userId(int)}.
   *
   * @param userId the id
   * @return the index
   */
  public static int userIndex(String userId) {
    return Integer.parseInt(userId.substring(1));
  }

  /**
   * The ground truth: the items user {@code u} truly likes most.
   *
   * @param u a user index
   * @return an unmodifiable set of {@value #RELEVANT} item ids
   */
  public Set<String> relevant(int u) {
    return Set.copyOf(relevant.get(u));
  }

  double trueAffinity(int u, int i) {
    return VectorMetric.dot(trueTaste[u], itemEmbeddings[i]) + (itemCategory[i] == favouriteCategory[u] ? 0.5 : 0)
        + 0.1 * Math.log1p(itemPopularity[i]);
  }
}
