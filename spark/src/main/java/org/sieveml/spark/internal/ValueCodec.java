package org.sieveml.spark.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.spark.sql.Row;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;

/**
 * Packs a view's stored fields from a Spark row into bytes that travel through the shuffle, and back
 * into a {@link FeatureVector}. Per field: a presence byte, then the value (DOUBLE 8 bytes, LONG 8,
 * BOOLEAN 1, STRING length and UTF-8, EMBEDDING its floats). Only ever decodes what
 * {@link #encode} wrote in the same job; not a file format.
 *
 * <p>Stateless and thread-safe.
 */
public final class ValueCodec {

  private ValueCodec() {}

  /**
   * Encodes fields of a row.
   *
   * @param schema the view's stored schema
   * @param row the row
   * @param columns for each field, its position in the row
   * @param view the view, for messages
   * @return the bytes
   * @throws IllegalArgumentException naming view, field and value when a value cannot be a field's
   */
  public static byte[] encode(FeatureSchema schema, Row row, int[] columns, String view) {
    int size = 0;
    for (int f = 0; f < schema.size(); f++) {
      size += 1 + sizeOf(schema.get(f), row, columns[f]);
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    for (int f = 0; f < schema.size(); f++) {
      FeatureSpec spec = schema.get(f);
      int c = columns[f];
      if (missing(spec, row, c)) {
        b.put((byte) 0);
        continue;
      }
      b.put((byte) 1);
      Object v = row.get(c);
      switch (spec.type()) {
        case DOUBLE: {
          double d = ((Number) v).doubleValue();
          if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("view '" + view + "', field '" + spec.name() + "': value " + d
                + ", expected a finite number, NaN or null");
          }
          b.putDouble(d);
          break;
        }
        case LONG:
          b.putLong(((Number) v).longValue());
          break;
        case BOOLEAN:
          b.put((byte) (((Boolean) v) ? 1 : 0));
          break;
        case STRING: {
          byte[] s = ((String) v).getBytes(StandardCharsets.UTF_8);
          b.putInt(s.length).put(s);
          break;
        }
        default: {
          List<Object> list = row.getList(c);
          for (int i = 0; i < list.size(); i++) {
            Object e = list.get(i);
            float x = e == null ? Float.NaN : ((Number) e).floatValue();
            if (!Float.isFinite(x)) {
              throw new IllegalArgumentException("view '" + view + "', field '" + spec.name() + "': element " + i
                  + " is " + e + ", expected finite floats");
            }
            b.putFloat(x);
          }
        }
      }
    }
    return b.array();
  }

  /** Null, or NaN in a DOUBLE field: missing, as in process. */
  private static boolean missing(FeatureSpec spec, Row row, int c) {
    return row.isNullAt(c) || (spec.type() == org.sieveml.core.FeatureType.DOUBLE
        && Double.isNaN(((Number) row.get(c)).doubleValue()));
  }

  private static int sizeOf(FeatureSpec spec, Row row, int c) {
    if (missing(spec, row, c)) {
      return 0;
    }
    switch (spec.type()) {
      case DOUBLE:
      case LONG:
        return 8;
      case BOOLEAN:
        return 1;
      case STRING:
        return 4 + ((String) row.get(c)).getBytes(StandardCharsets.UTF_8).length;
      default: {
        int n = row.getList(c).size();
        if (n != spec.dimension()) {
          throw new IllegalArgumentException("field '" + spec.name() + "': an embedding of " + n
              + " floats, expected " + spec.dimension());
        }
        return 4 * n;
      }
    }
  }

  /**
   * Decodes what {@link #encode} wrote.
   *
   * @param schema the view's stored schema
   * @param bytes the bytes
   * @return the values
   */
  public static FeatureVector decode(FeatureSchema schema, byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    FeatureVector.Builder v = FeatureVector.builder(schema);
    for (int f = 0; f < schema.size(); f++) {
      if (b.get() == 0) {
        continue;
      }
      FeatureSpec spec = schema.get(f);
      switch (spec.type()) {
        case DOUBLE:
          v.setDouble(f, b.getDouble());
          break;
        case LONG:
          v.setLong(f, b.getLong());
          break;
        case BOOLEAN:
          v.set(spec.name(), b.get() == 1);
          break;
        case STRING: {
          byte[] s = new byte[b.getInt()];
          b.get(s);
          v.set(spec.name(), new String(s, StandardCharsets.UTF_8));
          break;
        }
        default: {
          float[] e = new float[spec.dimension()];
          for (int i = 0; i < e.length; i++) {
            e[i] = b.getFloat();
          }
          v.set(spec.name(), e);
        }
      }
    }
    return v.build();
  }
}
