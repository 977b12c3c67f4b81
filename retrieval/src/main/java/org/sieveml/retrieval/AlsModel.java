package org.sieveml.retrieval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.sieveml.retrieval.internal.Checks;
import org.sieveml.retrieval.internal.TopK;

/**
 * User and item vectors trained by {@link ImplicitAls}: the inner product of a user's and an item's
 * vector ranks items for that user. Feed {@link #itemVectors()} to an {@link HnswVectorIndex} built
 * with {@link VectorMetric#INNER_PRODUCT} and query it with {@link #userVector(String)} (or
 * {@link #foldIn(Map)} for a user who arrived after training) to generate candidates.
 *
 * <p>Distances reported by {@link #recommend} follow {@link VectorMetric#INNER_PRODUCT}:
 * {@code 1 - score}, so they are comparable with the index's.
 *
 * <p>Thread-safety: immutable and safe to share; every accessor returns a copy.
 */
public final class AlsModel {

  private final Interactions data;
  private final int f;
  private final float[] x;
  private final float[] y;
  private final double[] itemGram;
  private final double regularization;
  private final double alpha;

  AlsModel(Interactions data, int f, float[] x, float[] y, double[] itemGram, double regularization,
      double alpha) {
    this.data = data;
    this.f = f;
    this.x = x;
    this.y = y;
    this.itemGram = itemGram;
    this.regularization = regularization;
    this.alpha = alpha;
  }

  /**
   * The vector dimension.
   *
   * @return the number of latent factors
   */
  public int factors() {
    return f;
  }

  /**
   * The users the model was trained on.
   *
   * @return user ids in index order, unmodifiable
   */
  public List<String> userIds() {
    return data.userIds();
  }

  /**
   * The items the model was trained on.
   *
   * @return item ids in index order, unmodifiable
   */
  public List<String> itemIds() {
    return data.itemIds();
  }

  /**
   * A trained user's vector.
   *
   * @param userId the user
   * @return a copy of the vector, or empty for a user absent from the training data
   */
  public Optional<float[]> userVector(String userId) {
    int u = data.userIndex(userId);
    return u < 0 ? Optional.empty() : Optional.of(Arrays.copyOfRange(x, u * f, u * f + f));
  }

  /**
   * A trained item's vector.
   *
   * @param itemId the item
   * @return a copy of the vector, or empty for an item absent from the training data
   */
  public Optional<float[]> itemVector(String itemId) {
    int i = data.itemIndex(itemId);
    return i < 0 ? Optional.empty() : Optional.of(Arrays.copyOfRange(y, i * f, i * f + f));
  }

  /**
   * Every item's vector, for building an index.
   *
   * @return a new insertion-ordered map from item id to a copy of its vector
   */
  public Map<String, float[]> itemVectors() {
    Map<String, float[]> out = new LinkedHashMap<>(data.items() * 2);
    for (int i = 0; i < data.items(); i++) {
      out.put(data.itemIds().get(i), Arrays.copyOfRange(y, i * f, i * f + f));
    }
    return out;
  }

  /**
   * The model's preference score of a pair.
   *
   * @param userId a trained user
   * @param itemId a trained item
   * @return the inner product of their vectors
   * @throws IllegalArgumentException when either is unknown to the model
   */
  public float score(String userId, String itemId) {
    int u = data.userIndex(userId);
    int i = data.itemIndex(itemId);
    if (u < 0) {
      throw new IllegalArgumentException("userId '" + userId + "' is not in the model, expected a trained user");
    }
    if (i < 0) {
      throw new IllegalArgumentException("itemId '" + itemId + "' is not in the model, expected a trained item");
    }
    return dot(x, u * f, y, i * f);
  }

  /**
   * Exact top-k items for a trained user by inner product (the ground truth an ANN index over
   * {@link #itemVectors()} approximates).
   *
   * @param userId a trained user
   * @param k how many, positive
   * @param excludeSeen whether to skip the items the user interacted with in training
   * @return up to {@code k} items, best first, distance {@code 1 - score}
   * @throws IllegalArgumentException for an unknown user or {@code k <= 0}
   */
  public List<Neighbor> recommend(String userId, int k, boolean excludeSeen) {
    Checks.positive("k", k);
    int u = data.userIndex(userId);
    if (u < 0) {
      throw new IllegalArgumentException("userId '" + userId + "' is not in the model, expected a trained user");
    }
    int[] start = data.userStart();
    int[] seen = data.userItems();
    TopK top = new TopK(k);
    int s = start[u];
    int e = start[u + 1];
    for (int i = 0; i < data.items(); i++) {
      if (excludeSeen) {
        while (s < e && seen[s] < i) {
          s++;
        }
        if (s < e && seen[s] == i) {
          continue;
        }
      }
      top.offer(data.itemIds().get(i), 1f - dot(x, u * f, y, i * f));
    }
    return top.result();
  }

  /**
   * Computes the vector of a user from their interactions without retraining (the same solve as
   * one ALS half-step against the trained item vectors), e.g. for a user who arrived after training.
   * Items unknown to the model are ignored.
   *
   * @param itemStrengths interaction strengths by item id, each finite and positive
   * @return the user's vector; all zeros when no item is known to the model
   * @throws IllegalArgumentException on a strength that is not finite and positive
   */
  public float[] foldIn(Map<String, Double> itemStrengths) {
    Objects.requireNonNull(itemStrengths, "itemStrengths");
    int[] cols = new int[itemStrengths.size()];
    float[] vals = new float[itemStrengths.size()];
    int n = 0;
    for (Map.Entry<String, Double> e : itemStrengths.entrySet()) {
      Double v = e.getValue();
      if (v == null || !(v > 0) || v.isInfinite()) {
        throw new IllegalArgumentException("strength of item '" + e.getKey() + "' was " + v
            + ", expected a finite positive number");
      }
      int i = data.itemIndex(e.getKey());
      if (i >= 0) {
        cols[n] = i;
        vals[n] = v.floatValue();
        n++;
      }
    }
    float[] out = new float[f];
    if (n == 0) {
      return out;
    }
    new ImplicitAls.Solver(f).solveRow(itemGram, regularization, alpha, y, cols, vals, 0, n, out, 0);
    return out;
  }

  private float dot(float[] a, int ao, float[] b, int bo) {
    float s0 = 0;
    float s1 = 0;
    int p = 0;
    for (; p + 1 < f; p += 2) {
      s0 += a[ao + p] * b[bo + p];
      s1 += a[ao + p + 1] * b[bo + p + 1];
    }
    for (; p < f; p++) {
      s0 += a[ao + p] * b[bo + p];
    }
    return s0 + s1;
  }

  @Override
  public String toString() {
    return "AlsModel[users=" + data.users() + ", items=" + data.items() + ", factors=" + f + "]";
  }
}
