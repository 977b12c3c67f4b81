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
  // null for the identity; else pairs (column + 1, slot) side by side, so a probe reads one cache line;
  // a column of 0 + 1 = 1 is never confused with an empty pair (key 0)
  private final int[] table;
  private final int mask;

  private ColumnSlots(int width, int size, int[] table) {
    this.width = width;
    this.size = size;
    this.table = table;
    this.mask = table == null ? 0 : table.length / 2 - 1;
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
      return new ColumnSlots(width, width, null);
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
    int[] table = new int[cap * 2];
    for (int s = 0; s < n; s++) {
      int h = mix(c[s]) & (cap - 1);
      while (table[2 * h] != 0) {
        h = (h + 1) & (cap - 1);
      }
      table[2 * h] = c[s] + 1;
      table[2 * h + 1] = s;
    }
    return new ColumnSlots(width, n, table);
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
    return table == null;
  }

  /**
   * The slot of a column, or -1 when the model has no weight for it.
   *
   * @param column a column in {@code [0, width)}
   * @return the slot, or -1
   */
  public int slot(int column) {
    int[] t = table;
    if (t == null) {
      return column;
    }
    int key = column + 1;
    int h = mix(column) & mask;
    int k = t[2 * h];
    if (k == key) { // most columns sit in their home pair: one read and a well-predicted branch
      return t[2 * h + 1];
    }
    while ((k = t[2 * h]) != 0) {
      if (k == key) {
        return t[2 * h + 1];
      }
      h = (h + 1) & mask;
    }
    return -1;
  }

  /**
   * One value per slot laid out like this table: pairs (column + 1, value) at the column's probe position, so
   * {@link #valueOf} finds a column's value with one cache line read (the slot and the value side by side).
   * Null for the identity (narrow encoders index values by column directly).
   *
   * @param perSlot one value per slot
   * @return the interleaved table, or null
   */
  public double[] interleave(double[] perSlot) {
    if (table == null) {
      return null;
    }
    double[] out = new double[table.length];
    for (int h = 0; h < table.length; h += 2) {
      if (table[h] != 0) {
        out[h] = table[h];
        out[h + 1] = perSlot[table[h + 1]];
      }
    }
    return out;
  }

  /**
   * The value of a column in a table made by {@link #interleave}, or 0 when the column has no slot.
   *
   * @param interleaved the table
   * @param column a column
   * @return its value, or 0
   */
  public double valueOf(double[] interleaved, int column) {
    double key = column + 1;
    int h = mix(column) & mask;
    double k = interleaved[2 * h];
    if (k == key) { // most columns sit in their home pair: one read and a well-predicted branch
      return interleaved[2 * h + 1];
    }
    while ((k = interleaved[2 * h]) != 0) {
      if (k == key) {
        return interleaved[2 * h + 1];
      }
      h = (h + 1) & mask;
    }
    return 0;
  }

  /**
   * The columns of the slots, in slot order.
   *
   * @return a new array of {@link #size()} columns
   */
  public int[] columns() {
    int[] out = new int[size];
    if (table == null) {
      for (int i = 0; i < size; i++) {
        out[i] = i;
      }
      return out;
    }
    for (int h = 0; h < table.length; h += 2) {
      if (table[h] != 0) {
        out[table[h + 1]] = table[h] - 1;
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
