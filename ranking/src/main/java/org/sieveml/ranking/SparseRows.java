package org.sieveml.ranking;

import java.util.Arrays;

/**
 * Encoded rows in compressed sparse row (CSR) form: row {@code i}'s entries are
 * {@code column(k), value(k)} for {@code k} in {@code [rowStart(i), rowStart(i + 1))}, columns ascending
 * within a row. A column absent from a row is <em>missing</em> to tree models (XGBoost's CSR rule) and
 * contributes nothing to linear models and factorization machines; a present numeric zero is stored.
 *
 * <p>Produced by {@link FeatureEncoder#encodeSparse(org.sieveml.core.FeatureFrame)} for encoders with
 * hashed or one-hot columns, whose rows may be millions of columns wide.
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class SparseRows {
  private final int width;
  private final int[] rowStart;
  private final int[] columns;
  private final double[] values;

  /** The distinct columns that hold an entry, ascending. */
  int[] usedColumns() {
    int[] c = columns.clone();
    Arrays.sort(c);
    int n = 0;
    for (int k = 0; k < c.length; k++) {
      if (n == 0 || c[k] != c[n - 1]) {
        c[n++] = c[k];
      }
    }
    return Arrays.copyOf(c, n);
  }

  /** These rows over the columns {@code used} (ascending, a superset of those present): column {@code used[j]} becomes {@code j}. */
  SparseRows compacted(int[] used) {
    int[] c = new int[columns.length];
    for (int k = 0; k < c.length; k++) {
      c[k] = Arrays.binarySearch(used, columns[k]);
    }
    return new SparseRows(Math.max(1, used.length), rowStart, c, values);
  }

  SparseRows(int width, int[] rowStart, int[] columns, double[] values) {
    this.width = width;
    this.rowStart = rowStart;
    this.columns = columns;
    this.values = values;
  }

  /**
   * The number of rows.
   *
   * @return the row count
   */
  public int rowCount() {
    return rowStart.length - 1;
  }

  /**
   * The width of the rows (the encoder's column count).
   *
   * @return the width
   */
  public int width() {
    return width;
  }

  /**
   * The number of stored entries over all rows.
   *
   * @return the entry count
   */
  public int entryCount() {
    return rowStart[rowStart.length - 1];
  }

  /**
   * Where a row's entries start; {@code rowStart(rowCount())} is {@link #entryCount()}.
   *
   * @param row in {@code [0, rowCount()]}
   * @return the index of the row's first entry
   */
  public int rowStart(int row) {
    return rowStart[row];
  }

  /**
   * The column of an entry.
   *
   * @param entry in {@code [0, entryCount())}
   * @return the column
   */
  public int column(int entry) {
    return columns[entry];
  }

  /**
   * The value of an entry.
   *
   * @param entry in {@code [0, entryCount())}
   * @return the value
   */
  public double value(int entry) {
    return values[entry];
  }

  /** The backing arrays (not copied: callers in this package never write them). */
  int[] rowStartArray() {
    return rowStart;
  }

  int[] columnArray() {
    return columns;
  }

  double[] valueArray() {
    return values;
  }

  float[] floatValues() {
    int n = entryCount();
    float[] f = new float[n];
    for (int k = 0; k < n; k++) {
      f[k] = (float) values[k];
    }
    return f;
  }

  /**
   * The rows at the given indices, in that order.
   *
   * @param rows row indices
   * @return the selected rows
   */
  public SparseRows select(int[] rows) {
    int total = 0;
    for (int r : rows) {
      total += rowStart[r + 1] - rowStart[r];
    }
    int[] rs = new int[rows.length + 1];
    int[] c = new int[total];
    double[] v = new double[total];
    int o = 0;
    for (int i = 0; i < rows.length; i++) {
      int a = rowStart[rows[i]];
      int n = rowStart[rows[i] + 1] - a;
      System.arraycopy(columns, a, c, o, n);
      System.arraycopy(values, a, v, o, n);
      o += n;
      rs[i + 1] = o;
    }
    return new SparseRows(width, rs, c, v);
  }

  /** Approximate heap bytes of the arrays. */
  long ramBytesUsed() {
    return 4L * rowStart.length + 4L * columns.length + 8L * values.length + 64;
  }

  @Override
  public String toString() {
    return "SparseRows{rows=" + rowCount() + ", width=" + width + ", entries=" + entryCount() + "}";
  }

  /** Appends rows one entry at a time; grows its arrays geometrically. Not thread-safe. */
  static final class Builder {
    private final int width;
    private int[] rowStart;
    private int[] columns;
    private double[] values;
    private int rows;
    private int size;

    Builder(int width, int expectedRows, int expectedEntries) {
      this.width = width;
      this.rowStart = new int[Math.max(2, expectedRows + 1)];
      this.columns = new int[Math.max(16, expectedEntries)];
      this.values = new double[columns.length];
    }

    void add(int column, double value) {
      if (size == columns.length) {
        int n = (int) Math.min(Integer.MAX_VALUE - 8L, columns.length * 2L);
        if (n == size) {
          throw new IllegalArgumentException("the encoded rows hold more than " + size + " entries");
        }
        columns = Arrays.copyOf(columns, n);
        values = Arrays.copyOf(values, n);
      }
      columns[size] = column;
      values[size++] = value;
    }

    /** Ends the current row: sorts its entries by column. */
    void endRow() {
      int start = rowStart[rows];
      sortRow(start, size);
      if (rows + 2 > rowStart.length) {
        rowStart = Arrays.copyOf(rowStart, rowStart.length * 2);
      }
      rowStart[++rows] = size;
    }

    /** Insertion sort: rows have tens of entries, written nearly in column order. */
    private void sortRow(int from, int to) {
      for (int i = from + 1; i < to; i++) {
        int c = columns[i];
        double v = values[i];
        int j = i - 1;
        while (j >= from && columns[j] > c) {
          columns[j + 1] = columns[j];
          values[j + 1] = values[j];
          j--;
        }
        columns[j + 1] = c;
        values[j + 1] = v;
      }
      // two hashed features may land in one bucket: their values add up, as in a dense row
      int w = from;
      for (int i = from; i < to; i++) {
        if (w > from && columns[w - 1] == columns[i]) {
          values[w - 1] += values[i];
        } else {
          columns[w] = columns[i];
          values[w++] = values[i];
        }
      }
      size = w;
    }

    SparseRows build() {
      return new SparseRows(width, Arrays.copyOf(rowStart, rows + 1), Arrays.copyOf(columns, size),
          Arrays.copyOf(values, size));
    }
  }
}
