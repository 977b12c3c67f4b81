package org.sieveml.features.internal;

import java.util.BitSet;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;

/** Typed copies between frames, vectors and columns. Stateless and thread-safe. */
public final class Values {

  private Values() {}

  /**
   * Copies one value (or its absence) from a frame cell to a vector builder.
   *
   * @param src the frame
   * @param row the row
   * @param col the column
   * @param dst the builder
   * @param idx the builder's index, of the same type
   */
  public static void copy(FeatureFrame src, int row, int col, FeatureVector.Builder dst, int idx) {
    if (!src.isPresent(row, col)) {
      dst.setMissing(idx);
      return;
    }
    switch (src.schema().get(col).type()) {
      case DOUBLE:
        dst.setDouble(idx, src.asDouble(row, col));
        break;
      case LONG:
        dst.setLong(idx, src.getLong(row, col, 0));
        break;
      case BOOLEAN:
        dst.setBoolean(idx, src.getLong(row, col, 0) != 0);
        break;
      case STRING:
        dst.setString(idx, src.getString(row, col));
        break;
      default:
        dst.setEmbedding(idx, src.getEmbedding(row, col));
    }
  }

  /**
   * Copies one value (or its absence) between vectors.
   *
   * @param src the source vector
   * @param col its index
   * @param dst the builder
   * @param idx the builder's index, of the same type
   */
  public static void copy(FeatureVector src, int col, FeatureVector.Builder dst, int idx) {
    if (!src.isPresent(col)) {
      dst.setMissing(idx);
      return;
    }
    switch (src.schema().get(col).type()) {
      case DOUBLE:
        dst.setDouble(idx, src.asDouble(col));
        break;
      case LONG:
        dst.setLong(idx, src.getLong(col, 0));
        break;
      case BOOLEAN:
        dst.setBoolean(idx, src.asDouble(col) != 0);
        break;
      case STRING:
        dst.setString(idx, src.getString(col));
        break;
      default:
        dst.setEmbedding(idx, src.getEmbedding(col));
    }
  }

  /**
   * Sets a normalised default value (see {@link Definitions#checkDefault}) or leaves it missing.
   *
   * @param dst the builder
   * @param idx the index
   * @param value the default or null
   */
  public static void setDefault(FeatureVector.Builder dst, int idx, Object value) {
    if (value == null) {
      dst.setMissing(idx);
    } else if (value instanceof Double) {
      dst.setDouble(idx, (Double) value);
    } else if (value instanceof Long) {
      dst.setLong(idx, (Long) value);
    } else if (value instanceof Boolean) {
      dst.setBoolean(idx, (Boolean) value);
    } else if (value instanceof String) {
      dst.setString(idx, (String) value);
    } else {
      dst.setEmbedding(idx, (float[]) value);
    }
  }

  /** Collects one typed output column row by row, then adds it to a frame builder. Not thread-safe. */
  public static final class ColumnGather {
    private final FeatureSpec spec;
    private final int rows;
    private double[] d;
    private long[] l;
    private boolean[] b;
    private String[] s;
    private float[][] e;
    private final BitSet present;
    private FeatureFrame shared; // a frame's column taken as it is (of), else null
    private int sharedColumn;

    /**
     * A column of {@code rows} missing values.
     *
     * @param spec the column's name and type
     * @param rows its length
     */
    public ColumnGather(FeatureSpec spec, int rows) {
      this(spec, rows, true);
    }

    private ColumnGather(FeatureSpec spec, int rows, boolean allocate) {
      this.spec = spec;
      this.rows = rows;
      this.present = new BitSet(allocate ? rows : 0);
      if (!allocate) {
        return;
      }
      switch (spec.type()) {
        case DOUBLE: // made on first use
          break;
        case LONG:
          l = new long[rows];
          break;
        case BOOLEAN:
          b = new boolean[rows];
          break;
        case STRING:
          s = new String[rows];
          break;
        default:
          e = new float[rows][];
      }
    }

    /**
     * A column that is a frame's column as it is, added to a frame without a copy ({@link #addTo}); it
     * is not to be set.
     *
     * @param spec the column's name and type
     * @param src the frame
     * @param col the column's index in {@code src}, of {@code spec}'s type
     * @return the column
     */
    public static ColumnGather of(FeatureSpec spec, FeatureFrame src, int col) {
      FeatureSpec has = src.schema().get(col);
      if (has.type() != spec.type() || has.dimension() != spec.dimension()) {
        throw new IllegalArgumentException("column " + col + " is " + has + ", expected the type of " + spec);
      }
      ColumnGather g = new ColumnGather(spec, src.rowCount(), false);
      g.shared = src;
      g.sharedColumn = col;
      return g;
    }

    /**
     * Sets row {@code r} from a frame cell (missing stays missing).
     *
     * @param r the output row
     * @param src the frame
     * @param row its row
     * @param col its column, of this column's type
     */
    public void set(int r, FeatureFrame src, int row, int col) {
      if (!src.isPresent(row, col)) {
        return;
      }
      switch (spec.type()) {
        case DOUBLE:
          doubles()[r] = src.asDouble(row, col);
          return; // NaN marks a missing DOUBLE: no presence bit needed
        case LONG:
          l[r] = src.getLong(row, col, 0);
          break;
        case BOOLEAN:
          b[r] = src.getLong(row, col, 0) != 0;
          break;
        case STRING:
          s[r] = src.getString(row, col);
          break;
        default:
          e[r] = src.getEmbedding(row, col);
      }
      present.set(r);
    }

    /**
     * Sets row {@code r} from a vector value (missing stays missing).
     *
     * @param r the output row
     * @param v the vector
     * @param col its index, of this column's type
     */
    public void set(int r, FeatureVector v, int col) {
      if (!v.isPresent(col)) {
        return;
      }
      switch (spec.type()) {
        case DOUBLE:
          doubles()[r] = v.asDouble(col);
          return;
        case LONG:
          l[r] = v.getLong(col, 0);
          break;
        case BOOLEAN:
          b[r] = v.asDouble(col) != 0;
          break;
        case STRING:
          s[r] = v.getString(col);
          break;
        default:
          e[r] = v.getEmbedding(col);
      }
      present.set(r);
    }

    /**
     * Sets row {@code r} to a normalised default (null leaves it missing).
     *
     * @param r the output row
     * @param value the default
     */
    public void setDefault(int r, Object value) {
      if (value == null) {
        return;
      }
      switch (spec.type()) {
        case DOUBLE:
          doubles()[r] = (Double) value;
          return;
        case LONG:
          l[r] = (Long) value;
          break;
        case BOOLEAN:
          b[r] = (Boolean) value;
          break;
        case STRING:
          s[r] = (String) value;
          break;
        default:
          e[r] = ((float[]) value).clone();
      }
      present.set(r);
    }

    private double[] doubles() {
      if (d == null) {
        d = new double[rows];
        java.util.Arrays.fill(d, Double.NaN);
      }
      return d;
    }

    /**
     * Sets a DOUBLE or LONG value directly (used by aggregations).
     *
     * @param r the output row
     * @param value the value; NaN leaves a DOUBLE missing
     */
    public void setNumber(int r, double value) {
      if (spec.type() == org.sieveml.core.FeatureType.LONG) {
        l[r] = (long) value;
        present.set(r);
      } else if (value == value) {
        doubles()[r] = value;
        present.set(r);
      }
    }

    /**
     * Sets a LONG value.
     *
     * @param r the output row
     * @param value the value
     */
    public void setLong(int r, long value) {
      l[r] = value;
      present.set(r);
    }

    /**
     * Sets a BOOLEAN value.
     *
     * @param r the output row
     * @param value the value
     */
    public void setBoolean(int r, boolean value) {
      b[r] = value;
      present.set(r);
    }

    /**
     * Sets a STRING value.
     *
     * @param r the output row
     * @param value the value, not null
     */
    public void setString(int r, String value) {
      s[r] = value;
      present.set(r);
    }

    /**
     * Sets an EMBEDDING value.
     *
     * @param r the output row
     * @param value the value (taken over), not null
     */
    public void setEmbedding(int r, float[] value) {
      e[r] = value;
      present.set(r);
    }

    /**
     * Adds the column to a frame builder.
     *
     * @param fb the builder
     */
    public void addTo(FeatureFrame.ColumnBuilder fb) {
      addTo(fb, spec.name());
    }

    /**
     * Adds the column to a frame builder under another name.
     *
     * @param fb the builder
     * @param name the column's name in the frame
     */
    public void addTo(FeatureFrame.ColumnBuilder fb, String name) {
      if (shared != null) {
        fb.addColumn(name, shared, sharedColumn);
        return;
      }
      switch (spec.type()) {
        case DOUBLE:
          fb.addDouble(name, doubles());
          break;
        case LONG:
          fb.addLong(name, l, present);
          break;
        case BOOLEAN:
          fb.addBoolean(name, b, present);
          break;
        case STRING:
          fb.addString(name, s);
          break;
        default:
          fb.addEmbedding(name, spec.dimension(), e);
      }
    }

    /**
     * The column's length.
     *
     * @return rows
     */
    public int rows() {
      return rows;
    }
  }
}
