package org.sieveml.monitoring.internal;

/**
 * Finds the bucket of a value among sorted bin edges in O(1): a uniform grid of {@link #CELLS} cells
 * between the lowest and the highest edge stores, per cell, a lower bound of the bucket (the number of
 * edges at or below the start of the previous cell, so rounding in the cell computation can never
 * overshoot); a step or two of comparison finishes. The bucket of {@code v} is the number of edges
 * {@code e <= v}, exactly as a binary search over the edges would give.
 *
 * <p>Immutable after construction and thread-safe.
 */
public final class EdgeGrid {

  /** Grid cells per edge set. */
  public static final int CELLS = 128;

  private final double[] edges;
  private final byte[] lowerBound;
  private final double low;
  private final double scale;

  /**
   * Builds the grid.
   *
   * @param edges strictly increasing edges (at most 127), not copied
   */
  public EdgeGrid(double[] edges) {
    this.edges = edges;
    this.lowerBound = new byte[CELLS];
    double[] ls = new double[2];
    fill(edges, lowerBound, 0, ls);
    this.low = ls[0];
    this.scale = ls[1];
  }

  /**
   * Fills {@code CELLS} lower bounds for {@code edges} into {@code grid} at {@code offset}.
   *
   * @param edges strictly increasing edges, at most 127
   * @param grid the target
   * @param offset where this edge set's cells start
   * @param lowAndScale receives the grid's origin and cells per unit (0 when the edges span no
   *     finite positive range: then every value maps to cell 0 with lower bound 0)
   */
  public static void fill(double[] edges, byte[] grid, int offset, double[] lowAndScale) {
    if (edges.length > Byte.MAX_VALUE) {
      throw new IllegalArgumentException("at most 127 edges, was " + edges.length);
    }
    double span = edges.length < 2 ? 0 : edges[edges.length - 1] - edges[0];
    if (!(span > 0) || !Double.isFinite(span)) {
      lowAndScale[0] = 0;
      lowAndScale[1] = 0;
      return;
    }
    double scale = CELLS / span;
    lowAndScale[0] = edges[0];
    lowAndScale[1] = scale;
    for (int c = 0; c < CELLS; c++) {
      double previousCellStart = edges[0] + (c - 1) / scale;
      int n = 0;
      while (n < edges.length && edges[n] <= previousCellStart) {
        n++;
      }
      grid[offset + c] = (byte) n;
    }
  }

  /**
   * How many comparisons always finish a lookup from the grid filled by {@link #fill}: the largest
   * number of edges that can lie between a cell's lower bound and any value mapped to that cell (with a
   * whole cell of slack for rounding). A lookup that compares {@code edges[b] <= v} that many times,
   * stepping {@code b} on each success, ends on the exact bucket.
   *
   * @param edges the edges given to {@link #fill}
   * @param grid the filled grid
   * @param offset where this edge set's cells start
   * @param low the grid's origin from {@link #fill}
   * @param scale cells per unit from {@link #fill} (0: every value maps to cell 0)
   * @return the number of comparisons, in {@code [0, edges.length]}
   */
  public static int steps(double[] edges, byte[] grid, int offset, double low, double scale) {
    if (scale == 0) {
      return edges.length;
    }
    int steps = 0;
    for (int c = 0; c < CELLS; c++) {
      int upper = edges.length;
      if (c < CELLS - 1) {
        double end = low + (c + 2) / scale;
        upper = 0;
        while (upper < edges.length && edges[upper] <= end) {
          upper++;
        }
      }
      steps = Math.max(steps, upper - grid[offset + c]);
    }
    return steps;
  }

  /**
   * The cell of a value.
   *
   * @param v a value, not NaN
   * @param low the grid's origin
   * @param scale cells per unit
   * @return the cell in {@code [0, CELLS)}
   */
  public static int cell(double v, double low, double scale) {
    int c = (int) ((v - low) * scale);
    return Math.max(0, Math.min(CELLS - 1, c));
  }

  /**
   * The bucket of a value: the number of edges at or below it.
   *
   * @param v a value, not NaN
   * @return the bucket in {@code [0, edges.length]}
   */
  public int bucket(double v) {
    int b = lowerBound[cell(v, low, scale)];
    double[] e = edges;
    while (b < e.length && e[b] <= v) {
      b++;
    }
    return b;
  }
}
