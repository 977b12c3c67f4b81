package org.sieveml.retrieval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable sparse user x item matrix of implicit-feedback strengths (views, clicks, plays,
 * purchases), the input of {@link ImplicitAls}. Repeated {@code (user, item)} pairs are summed.
 *
 * <p>Users and items get dense indexes in first-seen order; the matrix is stored twice, by user and
 * by item (compressed sparse rows and columns), so both ALS half-steps read contiguous memory.
 *
 * <p>Thread-safety: instances are immutable and safe to share; {@link Builder} is not thread-safe.
 */
public final class Interactions {

  /** The largest strength of one interaction (strengths are stored as floats; 1e300 used to become infinite). */
  public static final double MAX_STRENGTH = 1e12;


  private final List<String> userIds;
  private final List<String> itemIds;
  private final Map<String, Integer> userIndex;
  private final Map<String, Integer> itemIndex;
  // by user: rows userStart[u]..userStart[u+1] of (userItems, userValues), items ascending
  private final int[] userStart;
  private final int[] userItems;
  private final float[] userValues;
  // by item: the same entries transposed
  private final int[] itemStart;
  private final int[] itemUsers;
  private final float[] itemValues;

  private Interactions(Builder b) {
    this.userIds = Collections.unmodifiableList(new ArrayList<>(b.users));
    this.itemIds = Collections.unmodifiableList(new ArrayList<>(b.items));
    this.userIndex = Collections.unmodifiableMap(new HashMap<>(b.userIndex));
    this.itemIndex = Collections.unmodifiableMap(new HashMap<>(b.itemIndex));
    int nu = userIds.size();
    int ni = itemIds.size();
    int n = b.size;
    // order entries by (user, item) with a counting sort on user then per-row sort on item
    int[] order = sortedOrder(b.entryUser, b.entryItem, n, nu);
    int[] us = new int[nu + 1];
    int[] ui = new int[n];
    float[] uv = new float[n];
    int m = 0;
    int prevU = -1;
    int prevI = -1;
    for (int k = 0; k < n; k++) {
      int e = order[k];
      int u = b.entryUser[e];
      int i = b.entryItem[e];
      if (u == prevU && i == prevI) {
        uv[m - 1] += b.entryValue[e];
        continue;
      }
      ui[m] = i;
      uv[m] = b.entryValue[e];
      us[u + 1]++;
      m++;
      prevU = u;
      prevI = i;
    }
    for (int u = 0; u < nu; u++) {
      us[u + 1] += us[u];
    }
    this.userStart = us;
    this.userItems = Arrays.copyOf(ui, m);
    this.userValues = Arrays.copyOf(uv, m);
    int[] is = new int[ni + 1];
    for (int k = 0; k < m; k++) {
      is[userItems[k] + 1]++;
    }
    for (int i = 0; i < ni; i++) {
      is[i + 1] += is[i];
    }
    int[] fill = Arrays.copyOf(is, ni);
    int[] iu = new int[m];
    float[] iv = new float[m];
    for (int u = 0; u < nu; u++) {
      for (int k = us[u]; k < us[u + 1]; k++) {
        int p = fill[userItems[k]]++;
        iu[p] = u;
        iv[p] = userValues[k];
      }
    }
    this.itemStart = is;
    this.itemUsers = iu;
    this.itemValues = iv;
  }

  private static int[] sortedOrder(int[] users, int[] items, int n, int nu) {
    int[] start = new int[nu + 1];
    for (int k = 0; k < n; k++) {
      start[users[k] + 1]++;
    }
    for (int u = 0; u < nu; u++) {
      start[u + 1] += start[u];
    }
    int[] fill = Arrays.copyOf(start, nu);
    int[] order = new int[n];
    for (int k = 0; k < n; k++) {
      order[fill[users[k]]++] = k;
    }
    long[] tmp = new long[0];
    for (int u = 0; u < nu; u++) {
      int from = start[u];
      int len = start[u + 1] - from;
      if (len < 2) {
        continue;
      }
      if (tmp.length < len) {
        tmp = new long[Math.max(len, tmp.length * 2)];
      }
      for (int k = 0; k < len; k++) {
        int e = order[from + k];
        tmp[k] = ((long) items[e] << 32) | e;
      }
      Arrays.sort(tmp, 0, len);
      for (int k = 0; k < len; k++) {
        order[from + k] = (int) tmp[k];
      }
    }
    return order;
  }

  /**
   * Starts an empty matrix.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The user ids, in index order.
   *
   * @return an unmodifiable list
   */
  public List<String> userIds() {
    return userIds;
  }

  /**
   * The item ids, in index order.
   *
   * @return an unmodifiable list
   */
  public List<String> itemIds() {
    return itemIds;
  }

  /**
   * Number of users.
   *
   * @return users with at least one interaction
   */
  public int users() {
    return userIds.size();
  }

  /**
   * Number of items.
   *
   * @return items with at least one interaction
   */
  public int items() {
    return itemIds.size();
  }

  /**
   * Number of distinct {@code (user, item)} pairs.
   *
   * @return non-zero entries of the matrix
   */
  public int nonZeros() {
    return userItems.length;
  }

  /**
   * The dense index of a user.
   *
   * @param userId the user id
   * @return its index, or {@code -1} if the user has no interaction
   */
  public int userIndex(String userId) {
    Integer i = userIndex.get(userId);
    return i == null ? -1 : i;
  }

  /**
   * The dense index of an item.
   *
   * @param itemId the item id
   * @return its index, or {@code -1} if the item has no interaction
   */
  public int itemIndex(String itemId) {
    Integer i = itemIndex.get(itemId);
    return i == null ? -1 : i;
  }

  /**
   * The items a user interacted with.
   *
   * @param userId the user id
   * @return item ids in item-index order; empty for an unknown user
   */
  public List<String> itemsOf(String userId) {
    int u = userIndex(userId);
    if (u < 0) {
      return List.of();
    }
    List<String> out = new ArrayList<>(userStart[u + 1] - userStart[u]);
    for (int k = userStart[u]; k < userStart[u + 1]; k++) {
      out.add(itemIds.get(userItems[k]));
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * The summed strength of one pair.
   *
   * @param userId the user id
   * @param itemId the item id
   * @return the strength, {@code 0} when the pair never occurred
   */
  public double strength(String userId, String itemId) {
    int u = userIndex(userId);
    int i = itemIndex(itemId);
    if (u < 0 || i < 0) {
      return 0;
    }
    int k = Arrays.binarySearch(userItems, userStart[u], userStart[u + 1], i);
    return k < 0 ? 0 : userValues[k];
  }

  int[] userStart() {
    return userStart;
  }

  int[] userItems() {
    return userItems;
  }

  float[] userValues() {
    return userValues;
  }

  int[] itemStart() {
    return itemStart;
  }

  int[] itemUsers() {
    return itemUsers;
  }

  float[] itemValues() {
    return itemValues;
  }

  @Override
  public String toString() {
    return "Interactions[users=" + users() + ", items=" + items() + ", nonZeros=" + nonZeros() + "]";
  }

  /** Accumulates interactions; repeated pairs are summed when built. Not thread-safe. */
  public static final class Builder {
    private final List<String> users = new ArrayList<>();
    private final List<String> items = new ArrayList<>();
    private final Map<String, Integer> userIndex = new HashMap<>();
    private final Map<String, Integer> itemIndex = new HashMap<>();
    private int[] entryUser = new int[1024];
    private int[] entryItem = new int[1024];
    private float[] entryValue = new float[1024];
    private int size;

    private Builder() {}

    /**
     * Records one interaction of strength 1.
     *
     * @param userId the user, non-empty
     * @param itemId the item, non-empty
     * @return this builder
     */
    public Builder add(String userId, String itemId) {
      return add(userId, itemId, 1.0);
    }

    /**
     * Records one interaction.
     *
     * @param userId the user, non-empty
     * @param itemId the item, non-empty
     * @param strength how strong the signal is (a count, a watch fraction), finite and positive
     * @return this builder
     * @throws IllegalArgumentException on an empty id or a strength that is not finite and positive
     *     (nothing is recorded then)
     */
    public Builder add(String userId, String itemId, double strength) {
      checkId("userId", userId);
      checkId("itemId", itemId);
      if (!(strength > 0) || !(strength <= MAX_STRENGTH)) {
        throw new IllegalArgumentException("strength of (" + userId + ", " + itemId + ") was " + strength
            + ", expected a positive number of at most " + MAX_STRENGTH);
      }
      int u = userIndex.computeIfAbsent(userId, k -> {
        users.add(k);
        return users.size() - 1;
      });
      int i = itemIndex.computeIfAbsent(itemId, k -> {
        items.add(k);
        return items.size() - 1;
      });
      if (size == entryUser.length) {
        int n = size * 2;
        entryUser = Arrays.copyOf(entryUser, n);
        entryItem = Arrays.copyOf(entryItem, n);
        entryValue = Arrays.copyOf(entryValue, n);
      }
      entryUser[size] = u;
      entryItem[size] = i;
      entryValue[size] = (float) strength;
      size++;
      return this;
    }

    private static void checkId(String field, String id) {
      Objects.requireNonNull(id, field);
      if (id.isEmpty()) {
        throw new IllegalArgumentException(field + " was empty, expected a non-empty id");
      }
    }

    /**
     * Builds the matrix.
     *
     * @return the immutable matrix
     * @throws IllegalStateException when nothing was added
     */
    public Interactions build() {
      if (size == 0) {
        throw new IllegalStateException("interactions were empty, expected at least one (user, item) pair");
      }
      return new Interactions(this);
    }
  }
}
