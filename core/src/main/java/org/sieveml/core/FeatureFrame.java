package org.sieveml.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.sieveml.core.internal.Checks;

/**
 * An immutable, columnar table of typed feature values: the training frame that carries data from
 * the features module (point-in-time joins) to the ranking module (training, evaluation), and any
 * other batch of rows that shares one {@link FeatureSchema}.
 *
 * <p>Columns are primitive arrays ({@code double[]} for DOUBLE, {@code long[]} for LONG and BOOLEAN,
 * {@code String[]} for STRING, {@code float[][]} for EMBEDDING) with a presence bit set each, so a
 * frame of millions of rows costs a few bytes per value and no per-row objects. Labels, timestamps
 * and entity ids are ordinary columns. Missing values are explicit, as in {@link FeatureVector}:
 * {@link #isPresent(int, int)} tells them apart and {@link #asDouble(int, int)} reads them as NaN.
 *
 * <p>Build a frame column by column with {@link #builder(int)} (arrays are copied), or row by row
 * from {@link FeatureVector}s with {@link #rowBuilder(FeatureSchema)}. Instances are immutable and
 * thread-safe.
 */
public final class FeatureFrame {

  private final FeatureSchema schema;
  private final int rows;
  private final Object[] columns;
  private final BitSet[] present;

  private FeatureFrame(FeatureSchema schema, int rows, Object[] columns, BitSet[] present) {
    this.schema = schema;
    this.rows = rows;
    this.columns = columns;
    this.present = present;
  }

  /**
   * Returns a column-wise builder for a frame of {@code rows} rows.
   *
   * @param rows the number of rows, {@code >= 0}
   * @return a new builder
   */
  public static ColumnBuilder builder(int rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("rows must be >= 0, was " + rows);
    }
    return new ColumnBuilder(rows);
  }

  /**
   * Returns a row-wise builder that appends {@link FeatureVector}s of {@code schema}.
   *
   * @param schema the frame's schema
   * @return a new builder
   */
  public static RowBuilder rowBuilder(FeatureSchema schema) {
    return new RowBuilder(Checks.notNull("schema", schema));
  }

  /**
   * The frame's schema: one spec per column.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The number of rows.
   *
   * @return rows
   */
  public int rowCount() {
    return rows;
  }

  /**
   * Whether the value at (row, column) is present.
   *
   * @param row the row
   * @param column the column's index in the schema
   * @return true if present
   */
  public boolean isPresent(int row, int column) {
    checkRow(row);
    return present[column].get(row);
  }

  /**
   * The number of missing values in a column.
   *
   * @param column the column's index
   * @return missing count
   */
  public int missingCount(int column) {
    return rows - present[column].cardinality();
  }

  /**
   * A numeric reading of a DOUBLE, LONG or BOOLEAN cell, NaN when missing.
   *
   * @param row the row
   * @param column the column's index
   * @return the value as a double
   * @throws IllegalArgumentException if the column is not numeric
   */
  public double asDouble(int row, int column) {
    checkRow(row);
    FeatureType t = schema.get(column).type();
    if (t == FeatureType.DOUBLE) {
      return present[column].get(row) ? ((double[]) columns[column])[row] : Double.NaN;
    }
    if (t == FeatureType.LONG || t == FeatureType.BOOLEAN) {
      return present[column].get(row) ? ((long[]) columns[column])[row] : Double.NaN;
    }
    throw new IllegalArgumentException("column '" + schema.get(column).name() + "' is " + t + ", not numeric");
  }

  /**
   * A LONG or BOOLEAN cell (1/0), or {@code defaultValue} when missing.
   *
   * @param row the row
   * @param column the column's index
   * @param defaultValue returned when missing
   * @return the value
   */
  public long getLong(int row, int column, long defaultValue) {
    checkRow(row);
    FeatureType t = schema.get(column).type();
    if (t != FeatureType.LONG && t != FeatureType.BOOLEAN) {
      throw new IllegalArgumentException("column '" + schema.get(column).name() + "' is " + t + ", not LONG");
    }
    return present[column].get(row) ? ((long[]) columns[column])[row] : defaultValue;
  }

  /**
   * A STRING cell, or null when missing.
   *
   * @param row the row
   * @param column the column's index
   * @return the value or null
   */
  public String getString(int row, int column) {
    checkRow(row);
    if (schema.get(column).type() != FeatureType.STRING) {
      throw new IllegalArgumentException(
          "column '" + schema.get(column).name() + "' is " + schema.get(column).type() + ", not STRING");
    }
    return ((String[]) columns[column])[row];
  }

  /**
   * A copy of an EMBEDDING cell, or null when missing.
   *
   * @param row the row
   * @param column the column's index
   * @return a new array or null
   */
  public float[] getEmbedding(int row, int column) {
    checkRow(row);
    if (schema.get(column).type() != FeatureType.EMBEDDING) {
      throw new IllegalArgumentException(
          "column '" + schema.get(column).name() + "' is " + schema.get(column).type() + ", not EMBEDDING");
    }
    float[] v = ((float[][]) columns[column])[row];
    return v == null ? null : v.clone();
  }

  /**
   * Gathers values of a DOUBLE column in bulk: {@code out[i]} becomes the value at row
   * {@code rows[i]}, or NaN when that row's value is missing or {@code rows[i] < 0}.
   *
   * @param column a DOUBLE column
   * @param rows row indices, or negative for "no row"
   * @param out receives one value per index, at least {@code rows.length} long
   * @throws IllegalArgumentException if the column is not DOUBLE
   */
  public void gatherDoubles(int column, int[] rows, double[] out) {
    if (schema.get(column).type() != FeatureType.DOUBLE) {
      throw new IllegalArgumentException(
          "column '" + schema.get(column).name() + "' is " + schema.get(column).type() + ", not DOUBLE");
    }
    double[] v = (double[]) columns[column];
    BitSet p = present[column];
    for (int i = 0; i < rows.length; i++) {
      int r = rows[i];
      if (r >= this.rows) {
        throw new IndexOutOfBoundsException("row " + r + " of a frame of " + this.rows + " rows");
      }
      out[i] = r >= 0 && p.get(r) ? v[r] : Double.NaN;
    }
  }

  /**
   * A copy of a numeric column as doubles, NaN where missing.
   *
   * @param name the column's name
   * @return a new array of {@link #rowCount()} values
   */
  public double[] doubleColumn(String name) {
    int c = schema.require(name);
    FeatureType t = schema.get(c).type();
    double[] out = new double[rows];
    BitSet p = present[c];
    if (t == FeatureType.DOUBLE) {
      System.arraycopy((double[]) columns[c], 0, out, 0, rows);
      for (int r = p.nextClearBit(0); r < rows; r = p.nextClearBit(r + 1)) {
        out[r] = Double.NaN;
      }
    } else if (t == FeatureType.LONG || t == FeatureType.BOOLEAN) {
      long[] v = (long[]) columns[c];
      for (int r = 0; r < rows; r++) {
        out[r] = p.get(r) ? v[r] : Double.NaN;
      }
    } else {
      throw new IllegalArgumentException("column '" + name + "' is " + t + ", not numeric");
    }
    return out;
  }

  /**
   * A copy of a LONG or BOOLEAN column (BOOLEAN as 1/0), {@code missing} where a value is missing.
   *
   * @param column the column's index
   * @param missing the value of missing cells
   * @return a new array of {@link #rowCount()} values
   * @throws IllegalArgumentException if the column is neither LONG nor BOOLEAN
   */
  public long[] longColumn(int column, long missing) {
    FeatureType t = schema.get(column).type();
    if (t != FeatureType.LONG && t != FeatureType.BOOLEAN) {
      throw new IllegalArgumentException("column '" + schema.get(column).name() + "' is " + t + ", not LONG");
    }
    long[] v = (long[]) columns[column];
    BitSet p = present[column];
    long[] out = new long[rows];
    for (int r = 0; r < rows; r++) {
      out[r] = p.get(r) ? (t == FeatureType.BOOLEAN ? (v[r] != 0 ? 1 : 0) : v[r]) : missing;
    }
    return out;
  }

  /**
   * A copy of a STRING column, null where a value is missing.
   *
   * @param column the column's index
   * @return a new array of {@link #rowCount()} values
   * @throws IllegalArgumentException if the column is not STRING
   */
  public String[] stringColumn(int column) {
    if (schema.get(column).type() != FeatureType.STRING) {
      throw new IllegalArgumentException(
          "column '" + schema.get(column).name() + "' is " + schema.get(column).type() + ", not STRING");
    }
    return ((String[]) columns[column]).clone();
  }

  /**
   * Which values of a column are present, as a copy.
   *
   * @param column the column's index
   * @return a new bit set: bit {@code r} is set when row {@code r}'s value is present
   */
  public BitSet presence(int column) {
    java.util.Objects.checkIndex(column, schema.size());
    return (BitSet) present[column].clone();
  }

  /**
   * One row as a feature vector (allocates; use cell accessors on hot paths).
   *
   * @param row the row
   * @return the row's values
   */
  public FeatureVector row(int row) {
    checkRow(row);
    FeatureVector.Builder b = FeatureVector.builder(schema);
    for (int c = 0; c < schema.size(); c++) {
      if (!present[c].get(row)) {
        continue;
      }
      switch (schema.get(c).type()) {
        case DOUBLE:
          b.setDouble(c, ((double[]) columns[c])[row]);
          break;
        case LONG:
          b.setLong(c, ((long[]) columns[c])[row]);
          break;
        case BOOLEAN:
          b.setBoolean(c, ((long[]) columns[c])[row] != 0);
          break;
        case STRING:
          b.setString(c, ((String[]) columns[c])[row]);
          break;
        default:
          b.setEmbedding(c, ((float[][]) columns[c])[row]);
      }
    }
    return b.build();
  }

  /**
   * Rows {@code [from, to)} as feature vectors, each equal to {@link #row(int)} of its row, read straight
   * from the columns instead of through a builder per row: for handing many rows to a row-wise consumer
   * (an online store's commit).
   *
   * @param from the first row
   * @param to the row after the last
   * @return a new list of {@code to - from} vectors
   * @throws IndexOutOfBoundsException unless {@code 0 <= from <= to <= rowCount()}
   */
  public List<FeatureVector> vectors(int from, int to) {
    java.util.Objects.checkFromToIndex(from, to, rows);
    int n = to - from;
    int cols = schema.size();
    int words = (cols + 63) >>> 6;
    FeatureType[] types = new FeatureType[cols];
    for (int c = 0; c < cols; c++) {
      types[c] = schema.get(c).type();
    }
    FeatureVector[] out = new FeatureVector[n];
    long[] shared = null; // rows with the same one-word mask share it: a vector never changes or hands it out
    for (int i = 0; i < n; i++) {
      int r = from + i;
      long[] prims = new long[cols];
      long[] pres = new long[words];
      Object[] refs = null;
      for (int c = 0; c < cols; c++) {
        if (!present[c].get(r)) {
          continue;
        }
        Object col = columns[c];
        switch (types[c]) {
          case DOUBLE: {
            double v = ((double[]) col)[r];
            if (v != v) {
              continue; // a builder reads NaN as missing
            }
            prims[c] = Double.doubleToLongBits(v);
            break;
          }
          case LONG:
            prims[c] = ((long[]) col)[r];
            break;
          case BOOLEAN:
            prims[c] = ((long[]) col)[r] != 0 ? 1 : 0;
            break;
          case STRING: {
            String v = ((String[]) col)[r];
            if (v == null) {
              continue;
            }
            if (refs == null) {
              refs = new Object[cols];
            }
            refs[c] = v;
            break;
          }
          default: {
            float[] v = ((float[][]) col)[r];
            if (v == null) {
              continue;
            }
            if (refs == null) {
              refs = new Object[cols];
            }
            refs[c] = v; // shared: neither the frame nor a vector hands its arrays out
          }
        }
        pres[c >>> 6] |= 1L << c;
      }
      if (words == 1) {
        if (shared != null && shared[0] == pres[0]) {
          pres = shared;
        } else {
          shared = pres;
        }
      }
      out[i] = FeatureVector.adopt(schema, prims, refs, pres);
    }
    return new ArrayList<>(Arrays.asList(out));
  }

  /**
   * A frame with only the named columns, in the given order (the rows are shared, not copied).
   *
   * @param names column names, each present in this frame
   * @return the projection
   * @throws IllegalArgumentException naming an unknown column
   */
  public FeatureFrame select(List<String> names) {
    Checks.notNull("names", names);
    List<FeatureSpec> specs = new ArrayList<>(names.size());
    Object[] cols = new Object[names.size()];
    BitSet[] pres = new BitSet[names.size()];
    for (int i = 0; i < names.size(); i++) {
      int c = schema.require(names.get(i));
      specs.add(schema.get(c));
      cols[i] = columns[c];
      pres[i] = present[c];
    }
    return new FeatureFrame(FeatureSchema.of(specs), rows, cols, pres);
  }

  /**
   * A frame of the given rows, in the given order (repeats allowed), e.g. a train or test split.
   *
   * @param rowIndices indices into this frame
   * @return a new frame with copied columns
   */
  public FeatureFrame rows(int[] rowIndices) {
    Checks.notNull("rowIndices", rowIndices);
    for (int i = 0; i < rowIndices.length; i++) {
      if (rowIndices[i] < 0 || rowIndices[i] >= rows) {
        throw new IndexOutOfBoundsException(
            "rowIndices[" + i + "] = " + rowIndices[i] + " is outside a frame of " + rows + " rows");
      }
    }
    int n = rowIndices.length;
    Object[] cols = new Object[columns.length];
    BitSet[] pres = new BitSet[columns.length];
    for (int c = 0; c < columns.length; c++) {
      BitSet p = new BitSet(n);
      if (present[c].nextClearBit(0) >= rows) {
        p.set(0, n);
      } else {
        for (int i = 0; i < n; i++) {
          if (present[c].get(rowIndices[i])) {
            p.set(i);
          }
        }
      }
      pres[c] = p;
      switch (schema.get(c).type()) {
        case DOUBLE: {
          double[] src = (double[]) columns[c];
          double[] dst = new double[n];
          for (int i = 0; i < n; i++) {
            dst[i] = src[rowIndices[i]];
          }
          cols[c] = dst;
          break;
        }
        case LONG:
        case BOOLEAN: {
          long[] src = (long[]) columns[c];
          long[] dst = new long[n];
          for (int i = 0; i < n; i++) {
            dst[i] = src[rowIndices[i]];
          }
          cols[c] = dst;
          break;
        }
        case STRING: {
          String[] src = (String[]) columns[c];
          String[] dst = new String[n];
          for (int i = 0; i < n; i++) {
            dst[i] = src[rowIndices[i]];
          }
          cols[c] = dst;
          break;
        }
        default: {
          float[][] src = (float[][]) columns[c];
          float[][] dst = new float[n][];
          for (int i = 0; i < n; i++) {
            dst[i] = src[rowIndices[i]];
          }
          cols[c] = dst;
        }
      }
    }
    return new FeatureFrame(schema, n, cols, pres);
  }

  /**
   * The rows of several frames of one schema, one after another, copied column by column (embedding
   * arrays are shared, as {@link #rows(int[])} shares them).
   *
   * @param frames at least one frame; all with equal schemas
   * @return a frame of the frames' rows in order (the frame itself when there is one)
   * @throws IllegalArgumentException when the list is empty, holds null, or a schema differs from the first's
   */
  public static FeatureFrame concat(List<FeatureFrame> frames) {
    Checks.notNull("frames", frames);
    if (frames.isEmpty()) {
      throw new IllegalArgumentException("frames is empty, expected at least one frame");
    }
    FeatureSchema schema = Checks.notNull("frames[0]", frames.get(0)).schema;
    long total = 0;
    for (int f = 0; f < frames.size(); f++) {
      FeatureFrame fr = Checks.notNull("frames[" + f + "]", frames.get(f));
      if (!fr.schema.equals(schema)) {
        throw new IllegalArgumentException("frames[" + f + "] has schema " + fr.schema + ", expected " + schema);
      }
      total += fr.rows;
    }
    if (total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("frames hold " + total + " rows, more than a frame holds");
    }
    if (frames.size() == 1) {
      return frames.get(0);
    }
    int n = (int) total;
    Object[] cols = new Object[schema.size()];
    BitSet[] pres = new BitSet[schema.size()];
    for (int c = 0; c < cols.length; c++) {
      Object dst;
      switch (schema.get(c).type()) {
        case DOUBLE:
          dst = new double[n];
          break;
        case LONG:
        case BOOLEAN:
          dst = new long[n];
          break;
        case STRING:
          dst = new String[n];
          break;
        default:
          dst = new float[n][];
      }
      BitSet p = new BitSet(n);
      int k = 0;
      for (FeatureFrame fr : frames) {
        System.arraycopy(fr.columns[c], 0, dst, k, fr.rows);
        BitSet src = fr.present[c];
        if (src.nextClearBit(0) >= fr.rows) {
          p.set(k, k + fr.rows);
        } else {
          for (int i = src.nextSetBit(0); i >= 0 && i < fr.rows; i = src.nextSetBit(i + 1)) {
            p.set(k + i);
          }
        }
        k += fr.rows;
      }
      cols[c] = dst;
      pres[c] = p;
    }
    return new FeatureFrame(schema, n, cols, pres);
  }

  /**
   * An estimate of the heap this frame holds, in bytes.
   *
   * @return bytes
   */
  public long ramBytesUsed() {
    long bytes = 64;
    for (int c = 0; c < columns.length; c++) {
      bytes += 16 + (rows + 7) / 8;
      switch (schema.get(c).type()) {
        case DOUBLE:
        case LONG:
        case BOOLEAN:
          bytes += 16 + 8L * rows;
          break;
        case STRING:
          bytes += 16 + 4L * rows;
          for (String s : (String[]) columns[c]) {
            bytes += s == null ? 0 : 40 + s.length();
          }
          break;
        default:
          bytes += 16 + 4L * rows + (long) present[c].cardinality() * (16 + 4L * schema.get(c).dimension());
      }
    }
    return bytes;
  }

  @Override
  public String toString() {
    return "FeatureFrame{" + rows + " rows x " + schema + "}";
  }

  private void checkRow(int row) {
    if (row < 0 || row >= rows) {
      throw new IndexOutOfBoundsException("row " + row + " is outside a frame of " + rows + " rows");
    }
  }

  /**
   * Builds a {@link FeatureFrame} column by column; every column must have exactly the declared row
   * count. Input arrays are copied. Not thread-safe.
   */
  public static final class ColumnBuilder {
    private final int rows;
    private final List<FeatureSpec> specs = new ArrayList<>();
    private final List<Object> columns = new ArrayList<>();
    private final List<BitSet> present = new ArrayList<>();

    private ColumnBuilder(int rows) {
      this.rows = rows;
    }

    /**
     * Adds a DOUBLE column; NaN marks a missing value.
     *
     * @param name the column's name
     * @param values one value per row
     * @return this builder
     */
    public ColumnBuilder addDouble(String name, double[] values) {
      FeatureSpec spec = FeatureSpec.of(name, FeatureType.DOUBLE);
      checkLength(name, values == null ? -1 : values.length);
      double[] copy = values.clone();
      return add(spec, copy, notNaN(copy));
    }

    /**
     * Adds a DOUBLE column that {@code fill} writes in place, without the copy {@link #addDouble(String,
     * double[])} makes: {@code fill} receives a new array of {@code rowCount} NaNs (missing values) to
     * set, and must not keep it or write it after it returns (the frame owns it then). For producers that
     * gather a column straight from storage.
     *
     * @param name the column's name
     * @param fill writes the values; NaN marks a missing value
     * @return this builder
     * @throws IllegalArgumentException when {@code fill} is null
     */
    public ColumnBuilder addDouble(String name, java.util.function.Consumer<double[]> fill) {
      FeatureSpec spec = FeatureSpec.of(name, FeatureType.DOUBLE);
      Checks.notNull("fill", fill);
      double[] values = new double[rows];
      Arrays.fill(values, Double.NaN);
      fill.accept(values);
      return add(spec, values, notNaN(values));
    }

    private BitSet notNaN(double[] values) {
      long[] words = new long[(rows + 63) >>> 6];
      for (int i = 0; i < rows; i++) {
        if (values[i] == values[i]) { // not NaN
          words[i >>> 6] |= 1L << i;
        }
      }
      return BitSet.valueOf(words);
    }

    /**
     * Adds a LONG column.
     *
     * @param name the column's name
     * @param values one value per row
     * @param present which rows have a value, or null if all do
     * @return this builder
     */
    public ColumnBuilder addLong(String name, long[] values, BitSet present) {
      FeatureSpec spec = FeatureSpec.of(name, FeatureType.LONG);
      checkLength(name, values == null ? -1 : values.length);
      return add(spec, values.clone(), presence(present));
    }

    /**
     * Adds a BOOLEAN column.
     *
     * @param name the column's name
     * @param values one value per row
     * @param present which rows have a value, or null if all do
     * @return this builder
     */
    public ColumnBuilder addBoolean(String name, boolean[] values, BitSet present) {
      FeatureSpec spec = FeatureSpec.of(name, FeatureType.BOOLEAN);
      checkLength(name, values == null ? -1 : values.length);
      long[] l = new long[rows];
      for (int i = 0; i < rows; i++) {
        l[i] = values[i] ? 1 : 0;
      }
      return add(spec, l, presence(present));
    }

    /**
     * Adds a STRING column; null marks a missing value.
     *
     * @param name the column's name
     * @param values one value per row
     * @return this builder
     */
    public ColumnBuilder addString(String name, String[] values) {
      FeatureSpec spec = FeatureSpec.of(name, FeatureType.STRING);
      checkLength(name, values == null ? -1 : values.length);
      long[] words = new long[(rows + 63) >>> 6];
      for (int i = 0; i < rows; i++) {
        if (values[i] != null) {
          words[i >>> 6] |= 1L << i;
        }
      }
      return add(spec, values.clone(), BitSet.valueOf(words));
    }

    /**
     * Adds an EMBEDDING column; a null row marks a missing value.
     *
     * @param name the column's name
     * @param dimension the embedding dimension
     * @param values one array of {@code dimension} floats (or null) per row
     * @return this builder
     */
    public ColumnBuilder addEmbedding(String name, int dimension, float[][] values) {
      FeatureSpec spec = FeatureSpec.embedding(name, dimension);
      checkLength(name, values == null ? -1 : values.length);
      BitSet p = new BitSet(rows);
      float[][] copy = new float[rows][];
      for (int i = 0; i < rows; i++) {
        if (values[i] != null) {
          if (values[i].length != dimension) {
            throw new IllegalArgumentException("column '" + name + "' row " + i + " has float["
                + values[i].length + "], expected EMBEDDING[" + dimension + "]");
          }
          copy[i] = values[i].clone();
          p.set(i);
        }
      }
      return add(spec, copy, p);
    }

    /**
     * Builds the frame.
     *
     * @return the immutable frame
     * @throws IllegalArgumentException if two columns share a name
     */
    public FeatureFrame build() {
      FeatureSchema schema = FeatureSchema.of(specs);
      return new FeatureFrame(schema, rows, columns.toArray(), present.toArray(new BitSet[0]));
    }

    /**
     * Adds a column of another frame of the same row count, under a name of the caller's choosing,
     * without copying it (frames are immutable, so they share the column).
     *
     * @param name the column's name in this frame
     * @param source the frame that holds the column
     * @param column the column's index in {@code source}
     * @return this builder
     * @throws IllegalArgumentException when {@code source} is null or has another row count, or the name
     *     is invalid or already added
     * @throws IndexOutOfBoundsException when {@code column} is not a column of {@code source}
     */
    public ColumnBuilder addColumn(String name, FeatureFrame source, int column) {
      Checks.notNull("source", source);
      java.util.Objects.checkIndex(column, source.schema.size());
      checkLength(name, source.rows);
      FeatureSpec s = source.schema.get(column);
      FeatureSpec spec = s.type() == FeatureType.EMBEDDING ? FeatureSpec.embedding(name, s.dimension())
          : FeatureSpec.of(name, s.type());
      return add(spec, source.columns[column], source.present[column]);
    }

    private ColumnBuilder add(FeatureSpec spec, Object column, BitSet p) {
      for (FeatureSpec s : specs) {
        if (s.name().equals(spec.name())) {
          throw new IllegalArgumentException("column '" + spec.name() + "' was already added");
        }
      }
      specs.add(spec);
      columns.add(column);
      present.add(p);
      return this;
    }

    private BitSet presence(BitSet p) {
      if (p == null) {
        BitSet all = new BitSet(rows);
        all.set(0, rows);
        return all;
      }
      if (p.length() > rows) {
        throw new IllegalArgumentException(
            "present marks row " + (p.length() - 1) + " in a frame of " + rows + " rows");
      }
      return (BitSet) p.clone();
    }

    private void checkLength(String name, int length) {
      if (length != rows) {
        throw new IllegalArgumentException("column '" + name + "' has "
            + (length < 0 ? "no values (null)" : length + " values") + ", expected " + rows);
      }
    }
  }

  /**
   * Builds a {@link FeatureFrame} by appending rows; storage grows geometrically. Not thread-safe.
   */
  public static final class RowBuilder {
    private final FeatureSchema schema;
    private int rows;
    private int capacity = 16;
    private Object[] columns;
    private final BitSet[] present;

    private RowBuilder(FeatureSchema schema) {
      this.schema = schema;
      this.columns = new Object[schema.size()];
      this.present = new BitSet[schema.size()];
      for (int c = 0; c < schema.size(); c++) {
        columns[c] = allocate(schema.get(c).type(), capacity);
        present[c] = new BitSet();
      }
    }

    /**
     * Appends one row.
     *
     * @param v a vector of exactly this builder's schema
     * @return this builder
     * @throws IllegalArgumentException if the vector's schema differs
     */
    public RowBuilder add(FeatureVector v) {
      Checks.notNull("vector", v);
      if (!v.schema().equals(schema)) {
        throw new IllegalArgumentException("row " + rows + " has schema " + v.schema() + ", expected " + schema);
      }
      if (rows == capacity) {
        grow();
      }
      for (int c = 0; c < schema.size(); c++) {
        if (!v.isPresent(c)) {
          continue;
        }
        present[c].set(rows);
        switch (schema.get(c).type()) {
          case DOUBLE:
            ((double[]) columns[c])[rows] = v.asDouble(c);
            break;
          case LONG:
          case BOOLEAN:
            ((long[]) columns[c])[rows] = v.getLong(c, 0);
            break;
          case STRING:
            ((String[]) columns[c])[rows] = v.getString(c);
            break;
          default:
            ((float[][]) columns[c])[rows] = v.getEmbedding(c);
        }
      }
      rows++;
      return this;
    }

    /**
     * Builds the frame; the builder must not be used afterwards.
     *
     * @return the immutable frame
     */
    public FeatureFrame build() {
      Object[] cols = new Object[columns.length];
      for (int c = 0; c < cols.length; c++) {
        cols[c] = truncate(columns[c], rows);
      }
      return new FeatureFrame(schema, rows, cols, present);
    }

    private void grow() {
      capacity = capacity * 2;
      for (int c = 0; c < columns.length; c++) {
        Object old = columns[c];
        Object grown = allocate(schema.get(c).type(), capacity);
        System.arraycopy(old, 0, grown, 0, rows);
        columns[c] = grown;
      }
    }

    private static Object truncate(Object column, int n) {
      if (column instanceof double[]) {
        return java.util.Arrays.copyOf((double[]) column, n);
      }
      if (column instanceof long[]) {
        return java.util.Arrays.copyOf((long[]) column, n);
      }
      if (column instanceof String[]) {
        return java.util.Arrays.copyOf((String[]) column, n);
      }
      return java.util.Arrays.copyOf((float[][]) column, n);
    }

    private static Object allocate(FeatureType t, int n) {
      switch (t) {
        case DOUBLE:
          return new double[n];
        case LONG:
        case BOOLEAN:
          return new long[n];
        case STRING:
          return new String[n];
        default:
          return new float[n][];
      }
    }
  }
}
