package org.sieveml.ranking.internal;

import java.util.Arrays;

/**
 * Maps the columns a model has weights for to dense slots {@code 0..size()-1}: the identity for narrow
 * encoders (every column is a slot), an open-addressing hash of the known columns for wide ones, so a model
 * over 2^20 x 26 hashed columns stores only the columns seen in training.
 *
 * <p>Thread-safety: immutable after construction; safe for concurrent reads.
 */
public final class ColumnSlots {
  /** Encoders up to this width keep one slot per column. */
  public static final int DENSE_LIMIT = 1 << 16;

  private final int width;
  private final int size;
  private final int[] keys; // null for the identity; else column + 1, 0 = empty
  private final int[] slots;
  private final int mask;

  private ColumnSlots(int width, int size, int[] keys, int[] slots) {
    this.width = width;
    this.size = size;
    this.keys = keys;
    this.slots = slots;
    this.mask = keys == null ? 0 : keys.length - 1;
  }

  /**
   * Slots for the given columns: the identity (size = width) when the width is at most {@link #DENSE_LIMIT},
   * else one slot per distinct column, in ascending column order.
   *
   * @param width the encoder's width
   * @param columns the columns with weights (any order, repeats ignored)
   * @return the slots
   */
  public static ColumnSlots of(int width, int[] columns) {
    if (width <= DENSE_LIMIT) {
      return new ColumnSlots(width, width, null, null);
    }
    int[] c = columns.clone();
    Arrays.sort(c);
    int n = 0;
    for (int i = 0; i < c.length; i++) {
      if (c[i] < 0 || c[i] >= width) {
        throw new IllegalArgumentException("column " + c[i] + " is outside 0.." + (width - 1));
      }
      if (n == 0 || c[n - 1] != c[i]) {
        c[n++] = c[i];
      }
    }
    int cap = Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
    int[] keys = new int[cap];
    int[] slots = new int[cap];
    for (int s = 0; s < n; s++) {
      int h = mix(c[s]) & (cap - 1);
      while (keys[h] != 0) {
        h = (h + 1) & (cap - 1);
      }
      keys[h] = c[s] + 1;
      slots[h] = s;
    }
    return new ColumnSlots(width, n, keys, slots);
  }

  private static int mix(int x) {
    x *= 0x9E3779B9;
    return x ^ (x >>> 16);
  }

  /**
   * The number of slots.
   *
   * @return the slot count
   */
  public int size() {
    return size;
  }

  /**
   * Whether slots are columns (narrow encoders).
   *
   * @return true for the identity
   */
  public boolean identity() {
    return keys == null;
  }

  /**
   * The slot of a column, or -1 when the model has no weight for it.
   *
   * @param column a column in {@code [0, width)}
   * @return the slot, or -1
   */
  public int slot(int column) {
    if (keys == null) {
      return column;
    }
    int h = mix(column) & mask;
    int k;
    while ((k = keys[h]) != 0) {
      if (k == column + 1) {
        return slots[h];
      }
      h = (h + 1) & mask;
    }
    return -1;
  }

  /**
   * The columns of the slots, in slot order.
   *
   * @return a new array of {@link #size()} columns
   */
  public int[] columns() {
    int[] out = new int[size];
    if (keys == null) {
      for (int i = 0; i < size; i++) {
        out[i] = i;
      }
      return out;
    }
    for (int h = 0; h < keys.length; h++) {
      if (keys[h] != 0) {
        out[slots[h]] = keys[h] - 1;
      }
    }
    return out;
  }

  /**
   * The encoder width these slots were made for.
   *
   * @return the width
   */
  public int width() {
    return width;
  }
}
