package org.sieveml.core;

import java.util.Arrays;
import org.sieveml.core.internal.Checks;

/**
 * One immutable row of feature values laid out by a {@link FeatureSchema}, with explicit missing
 * values.
 *
 * <p>Every feature is either present, with a value of its declared type, or missing. A missing
 * value is never confused with a default: {@link #isPresent(int)} tells them apart, typed getters
 * throw on a missing value unless given a default, and {@link #asDouble(int)} reads missing numeric
 * features as {@link Double#NaN}. A {@code NaN} written to a DOUBLE feature is stored as missing, so
 * NaN never travels as a value.
 *
 * <p>Values are held in primitive arrays (no boxing for numeric features); embeddings are copied in
 * and copied out, so no caller can change a vector after it is built. Instances are immutable and
 * thread-safe. Build them with {@link #builder(FeatureSchema)}.
 */
public final class FeatureVector {

  private final FeatureSchema schema;
  private final long[] prims;
  private final Object[] refs;
  private final long[] present;

  private FeatureVector(FeatureSchema schema, long[] prims, Object[] refs, long[] present) {
    this.schema = schema;
    this.prims = prims;
    this.refs = refs;
    this.present = present;
  }

  /** A vector over arrays its caller made and hands over (checked by the caller; see FeatureFrame#vectors). */
  static FeatureVector adopt(FeatureSchema schema, long[] prims, Object[] refs, long[] present) {
    return new FeatureVector(schema, prims, refs, present);
  }

  /**
   * Returns a builder for a vector of {@code schema}; every feature starts missing.
   *
   * @param schema the layout
   * @return a new builder
   */
  public static Builder builder(FeatureSchema schema) {
    return new Builder(Checks.notNull("schema", schema));
  }

  /**
   * The layout of this vector.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The number of features (present or missing).
   *
   * @return {@code schema().size()}
   */
  public int size() {
    return prims.length;
  }

  /**
   * Whether the feature at {@code index} has a value.
   *
   * @param index the feature's position in the schema
   * @return true if present
   */
  public boolean isPresent(int index) {
    checkIndex(index);
    return (present[index >>> 6] & (1L << index)) != 0;
  }

  /**
   * Whether the named feature has a value.
   *
   * @param name a feature of the schema
   * @return true if present
   * @throws IllegalArgumentException if the schema has no such feature
   */
  public boolean isPresent(String name) {
    return isPresent(schema.require(name));
  }

  /**
   * The number of missing features.
   *
   * @return the count of features without a value
   */
  public int missingCount() {
    int n = 0;
    for (long w : present) {
      n += Long.bitCount(w);
    }
    return prims.length - n;
  }

  /**
   * A numeric reading of a DOUBLE, LONG or BOOLEAN feature (true = 1, false = 0), or {@code NaN}
   * when it is missing. This is the fast path for scorers and encoders.
   *
   * @param index the feature's position
   * @return the value as a double, or NaN if missing
   * @throws IllegalArgumentException if the feature is not numeric
   */
  public double asDouble(int index) {
    FeatureType t = schema.get(index).type();
    if (!isPresent(index)) {
      if (!t.isNumeric()) {
        throw typeError(index, "a numeric type");
      }
      return Double.NaN;
    }
    switch (t) {
      case DOUBLE:
        return Double.longBitsToDouble(prims[index]);
      case LONG:
      case BOOLEAN:
        return prims[index];
      default:
        throw typeError(index, "a numeric type");
    }
  }

  /**
   * The value of a present DOUBLE feature.
   *
   * @param name the feature
   * @return its value
   * @throws IllegalArgumentException if unknown or not DOUBLE
   * @throws IllegalStateException if missing
   */
  public double getDouble(String name) {
    int i = typed(name, FeatureType.DOUBLE);
    requirePresent(i);
    return Double.longBitsToDouble(prims[i]);
  }

  /**
   * The value of a DOUBLE feature, or {@code defaultValue} if missing.
   *
   * @param name the feature
   * @param defaultValue returned when missing
   * @return the value or the default
   */
  public double getDouble(String name, double defaultValue) {
    int i = typed(name, FeatureType.DOUBLE);
    return isPresent(i) ? Double.longBitsToDouble(prims[i]) : defaultValue;
  }

  /**
   * The value of a present LONG feature.
   *
   * @param name the feature
   * @return its value
   * @throws IllegalArgumentException if unknown or not LONG
   * @throws IllegalStateException if missing
   */
  public long getLong(String name) {
    int i = typed(name, FeatureType.LONG);
    requirePresent(i);
    return prims[i];
  }

  /**
   * The value of a LONG feature, or {@code defaultValue} if missing.
   *
   * @param name the feature
   * @param defaultValue returned when missing
   * @return the value or the default
   */
  public long getLong(String name, long defaultValue) {
    int i = typed(name, FeatureType.LONG);
    return isPresent(i) ? prims[i] : defaultValue;
  }

  /**
   * The LONG (or BOOLEAN, as 1/0) feature at {@code index}, or {@code defaultValue} if missing. Exact
   * for every long, unlike {@link #asDouble(int)}.
   *
   * @param index the feature's position
   * @param defaultValue returned when missing
   * @return the value or the default
   * @throws IllegalArgumentException if the feature is neither LONG nor BOOLEAN
   */
  public long getLong(int index, long defaultValue) {
    FeatureType t = schema.get(index).type();
    if (t != FeatureType.LONG && t != FeatureType.BOOLEAN) {
      throw typeError(index, "LONG");
    }
    return isPresent(index) ? prims[index] : defaultValue;
  }

  /**
   * The value of a present BOOLEAN feature.
   *
   * @param name the feature
   * @return its value
   * @throws IllegalArgumentException if unknown or not BOOLEAN
   * @throws IllegalStateException if missing
   */
  public boolean getBoolean(String name) {
    int i = typed(name, FeatureType.BOOLEAN);
    requirePresent(i);
    return prims[i] != 0;
  }

  /**
   * The value of a STRING feature, or null if missing.
   *
   * @param name the feature
   * @return the value or null
   * @throws IllegalArgumentException if unknown or not STRING
   */
  public String getString(String name) {
    return getString(typed(name, FeatureType.STRING));
  }

  /**
   * The value of the STRING feature at {@code index}, or null if missing.
   *
   * @param index the feature's position
   * @return the value or null
   * @throws IllegalArgumentException if not STRING
   */
  public String getString(int index) {
    if (schema.get(index).type() != FeatureType.STRING) {
      throw typeError(index, "STRING");
    }
    return isPresent(index) ? (String) refs[index] : null;
  }

  /**
   * A copy of an EMBEDDING feature's values, or null if missing.
   *
   * @param name the feature
   * @return a new array of the declared dimension, or null
   * @throws IllegalArgumentException if unknown or not EMBEDDING
   */
  public float[] getEmbedding(String name) {
    return getEmbedding(typed(name, FeatureType.EMBEDDING));
  }

  /**
   * A copy of the EMBEDDING feature at {@code index}, or null if missing.
   *
   * @param index the feature's position
   * @return a new array of the declared dimension, or null
   * @throws IllegalArgumentException if not EMBEDDING
   */
  public float[] getEmbedding(int index) {
    if (schema.get(index).type() != FeatureType.EMBEDDING) {
      throw typeError(index, "EMBEDDING");
    }
    return isPresent(index) ? ((float[]) refs[index]).clone() : null;
  }

  /**
   * The value at {@code index} boxed ({@code Double}, {@code Long}, {@code Boolean}, {@code String} or a
   * copy of the {@code float[]}), or null if missing. Convenient, not fast.
   *
   * @param index the feature's position
   * @return the boxed value or null
   */
  public Object get(int index) {
    if (!isPresent(index)) {
      return null;
    }
    switch (schema.get(index).type()) {
      case DOUBLE:
        return Double.longBitsToDouble(prims[index]);
      case LONG:
        return prims[index];
      case BOOLEAN:
        return prims[index] != 0;
      case STRING:
        return refs[index];
      default:
        return ((float[]) refs[index]).clone();
    }
  }

  /**
   * Returns a builder pre-filled with this vector's values, to derive a changed copy.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder(schema);
    System.arraycopy(prims, 0, b.prims, 0, prims.length);
    if (refs != null) {
      System.arraycopy(refs, 0, b.refs, 0, refs.length);
    }
    System.arraycopy(present, 0, b.present, 0, present.length);
    return b;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof FeatureVector)) {
      return false;
    }
    FeatureVector other = (FeatureVector) o;
    if (!schema.equals(other.schema) || !Arrays.equals(present, other.present)) {
      return false;
    }
    for (int i = 0; i < prims.length; i++) {
      if (!isPresent(i)) {
        continue;
      }
      FeatureType t = schema.get(i).type();
      if (t == FeatureType.STRING) {
        if (!refs[i].equals(other.refs[i])) {
          return false;
        }
      } else if (t == FeatureType.EMBEDDING) {
        if (!Arrays.equals((float[]) refs[i], (float[]) other.refs[i])) {
          return false;
        }
      } else if (prims[i] != other.prims[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = schema.hashCode() * 31 + Arrays.hashCode(present);
    for (int i = 0; i < prims.length; i++) {
      if (!isPresent(i)) {
        continue;
      }
      FeatureType t = schema.get(i).type();
      if (t == FeatureType.STRING) {
        h = h * 31 + refs[i].hashCode();
      } else if (t == FeatureType.EMBEDDING) {
        h = h * 31 + Arrays.hashCode((float[]) refs[i]);
      } else {
        h = h * 31 + Long.hashCode(prims[i]);
      }
    }
    return h;
  }

  /** Renders as {@code {ctr=0.25, country='US', emb=float[8], age=<missing>}}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < prims.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(schema.get(i).name()).append('=');
      if (!isPresent(i)) {
        sb.append("<missing>");
      } else if (schema.get(i).type() == FeatureType.STRING) {
        sb.append('\'').append(refs[i]).append('\'');
      } else if (schema.get(i).type() == FeatureType.EMBEDDING) {
        sb.append(Arrays.toString((float[]) refs[i]));
      } else {
        sb.append(get(i));
      }
    }
    return sb.append('}').toString();
  }

  private void checkIndex(int index) {
    if (index < 0 || index >= prims.length) {
      throw new IndexOutOfBoundsException(
          "feature index " + index + " is out of range for a schema of " + prims.length + " features");
    }
  }

  private int typed(String name, FeatureType expected) {
    int i = schema.require(name);
    if (schema.get(i).type() != expected) {
      throw typeError(i, expected.name());
    }
    return i;
  }

  private void requirePresent(int i) {
    if (!isPresent(i)) {
      throw new IllegalStateException(
          "feature '" + schema.get(i).name() + "' is missing; use the getter with a default or isPresent()");
    }
  }

  private IllegalArgumentException typeError(int i, String expected) {
    FeatureSpec s = schema.get(i);
    return new IllegalArgumentException(
        "feature '" + s.name() + "' is " + s.type() + ", not " + expected);
  }

  /**
   * Assembles a {@link FeatureVector}; every feature starts missing. Each setter checks the feature's
   * declared type (and an embedding's dimension) and fails with a message naming the feature, the
   * value and the expected type. Not thread-safe; a builder may build several vectors.
   */
  public static final class Builder {
    private final FeatureSchema schema;
    private final long[] prims;
    private final Object[] refs;
    private final long[] present;

    private Builder(FeatureSchema schema) {
      this.schema = schema;
      int n = schema.size();
      this.prims = new long[n];
      this.refs = new Object[n];
      this.present = new long[(n + 63) >>> 6];
    }

    /**
     * Sets a DOUBLE feature; {@code NaN} marks it missing.
     *
     * @param name the feature
     * @param value the value
     * @return this builder
     */
    public Builder setDouble(String name, double value) {
      return setDouble(schema.require(name), value);
    }

    /**
     * Sets the DOUBLE feature at {@code index}; {@code NaN} marks it missing.
     *
     * @param index the feature's position
     * @param value the value
     * @return this builder
     */
    public Builder setDouble(int index, double value) {
      expect(index, FeatureType.DOUBLE, value);
      if (Double.isNaN(value)) {
        return setMissing(index);
      }
      prims[index] = Double.doubleToLongBits(value);
      return mark(index);
    }

    /**
     * Sets a LONG feature.
     *
     * @param name the feature
     * @param value the value
     * @return this builder
     */
    public Builder setLong(String name, long value) {
      return setLong(schema.require(name), value);
    }

    /**
     * Sets the LONG feature at {@code index}.
     *
     * @param index the feature's position
     * @param value the value
     * @return this builder
     */
    public Builder setLong(int index, long value) {
      expect(index, FeatureType.LONG, value);
      prims[index] = value;
      return mark(index);
    }

    /**
     * Sets a BOOLEAN feature.
     *
     * @param name the feature
     * @param value the value
     * @return this builder
     */
    public Builder setBoolean(String name, boolean value) {
      return setBoolean(schema.require(name), value);
    }

    /**
     * Sets the BOOLEAN feature at {@code index}.
     *
     * @param index the feature's position
     * @param value the value
     * @return this builder
     */
    public Builder setBoolean(int index, boolean value) {
      expect(index, FeatureType.BOOLEAN, value);
      prims[index] = value ? 1 : 0;
      return mark(index);
    }

    /**
     * Sets a STRING feature; null marks it missing.
     *
     * @param name the feature
     * @param value the value or null
     * @return this builder
     */
    public Builder setString(String name, String value) {
      return setString(schema.require(name), value);
    }

    /**
     * Sets the STRING feature at {@code index}; null marks it missing.
     *
     * @param index the feature's position
     * @param value the value or null
     * @return this builder
     */
    public Builder setString(int index, String value) {
      expect(index, FeatureType.STRING, value);
      if (value == null) {
        return setMissing(index);
      }
      refs[index] = value;
      return mark(index);
    }

    /**
     * Sets an EMBEDDING feature (the array is copied); null marks it missing.
     *
     * @param name the feature
     * @param value floats of exactly the declared dimension, or null
     * @return this builder
     */
    public Builder setEmbedding(String name, float[] value) {
      return setEmbedding(schema.require(name), value);
    }

    /**
     * Sets the EMBEDDING feature at {@code index} (the array is copied); null marks it missing.
     *
     * @param index the feature's position
     * @param value floats of exactly the declared dimension, or null
     * @return this builder
     * @throws IllegalArgumentException if the length differs from the declared dimension or a value
     *     is NaN
     */
    public Builder setEmbedding(int index, float[] value) {
      expect(index, FeatureType.EMBEDDING, value);
      if (value == null) {
        return setMissing(index);
      }
      FeatureSpec s = schema.get(index);
      if (value.length != s.dimension()) {
        throw new IllegalArgumentException(
            "feature '" + s.name() + "' is EMBEDDING[" + s.dimension() + "], got float[" + value.length + "]");
      }
      for (int j = 0; j < value.length; j++) {
        if (Float.isNaN(value[j])) {
          throw new IllegalArgumentException(
              "feature '" + s.name() + "' has NaN at position " + j + "; embeddings must be finite or missing");
        }
      }
      refs[index] = value.clone();
      return mark(index);
    }

    /**
     * Sets a feature from a boxed value of its type ({@code Double}/{@code Float}, {@code Long}/{@code
     * Integer}, {@code Boolean}, {@code String}, {@code float[]}); null marks it missing.
     *
     * @param name the feature
     * @param value the value or null
     * @return this builder
     * @throws IllegalArgumentException if the value's type does not match the feature's
     */
    public Builder set(String name, Object value) {
      int i = schema.require(name);
      if (value == null) {
        return setMissing(i);
      }
      FeatureType t = schema.get(i).type();
      if (t == FeatureType.DOUBLE && (value instanceof Double || value instanceof Float)) {
        return setDouble(i, ((Number) value).doubleValue());
      }
      if (t == FeatureType.LONG && (value instanceof Long || value instanceof Integer)) {
        return setLong(i, ((Number) value).longValue());
      }
      if (t == FeatureType.BOOLEAN && value instanceof Boolean) {
        return setBoolean(i, (Boolean) value);
      }
      if (t == FeatureType.STRING && value instanceof String) {
        return setString(i, (String) value);
      }
      if (t == FeatureType.EMBEDDING && value instanceof float[]) {
        return setEmbedding(i, (float[]) value);
      }
      throw new IllegalArgumentException(
          "feature '" + name + "' is " + t + ", cannot take " + Checks.describe(value));
    }

    /**
     * Marks a feature missing.
     *
     * @param name the feature
     * @return this builder
     */
    public Builder setMissing(String name) {
      return setMissing(schema.require(name));
    }

    /**
     * Marks the feature at {@code index} missing.
     *
     * @param index the feature's position
     * @return this builder
     */
    public Builder setMissing(int index) {
      checkIndex(index);
      present[index >>> 6] &= ~(1L << index);
      prims[index] = 0;
      refs[index] = null;
      return this;
    }

    /**
     * Builds an immutable vector; the builder stays usable.
     *
     * @return the vector
     */
    public FeatureVector build() {
      boolean anyRef = false;
      for (Object r : refs) {
        if (r != null) {
          anyRef = true;
          break;
        }
      }
      return new FeatureVector(schema, prims.clone(), anyRef ? refs.clone() : null, present.clone());
    }

    private Builder mark(int index) {
      present[index >>> 6] |= 1L << index;
      return this;
    }

    private void checkIndex(int index) {
      if (index < 0 || index >= prims.length) {
        throw new IndexOutOfBoundsException(
            "feature index " + index + " is out of range for a schema of " + prims.length + " features");
      }
    }

    private void expect(int index, FeatureType type, Object value) {
      checkIndex(index);
      FeatureSpec s = schema.get(index);
      if (s.type() != type) {
        throw new IllegalArgumentException(
            "feature '" + s.name() + "' is " + s.type() + ", cannot take " + type + " value "
                + Checks.describe(value));
      }
    }
  }
}
