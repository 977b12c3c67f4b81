package org.sieveml.features.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.OnlineRow;

/**
 * The binary form of one (view, online row) record: self-describing (view name, key names and typed
 * values, schema, present values), written with {@link DataOutputStream} primitives only — reading
 * never runs Java deserialization. Schemas are interned on decode. Thread-safe.
 */
public final class RowCodec {

  private static final byte MISSING = 0;
  private static final byte LONG_KEY = 1;
  private static final byte STRING_KEY = 2;

  private final Map<String, FeatureSchema> schemas = new ConcurrentHashMap<>();

  /**
   * Encodes a record.
   *
   * @param view the view's name
   * @param row the row
   * @return the bytes
   */
  public byte[] encode(String view, OnlineRow row) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeUTF(view);
      EntityKey key = row.key();
      out.writeShort(key.size());
      for (int i = 0; i < key.size(); i++) {
        out.writeUTF(key.names().get(i));
        Object v = key.value(i);
        if (v instanceof Long || v instanceof Integer) {
          out.writeByte(LONG_KEY);
          out.writeLong(((Number) v).longValue());
        } else {
          out.writeByte(STRING_KEY);
          out.writeUTF(String.valueOf(v));
        }
      }
      out.writeLong(row.eventTime());
      out.writeLong(row.createdTime());
      FeatureVector values = row.values();
      FeatureSchema schema = values.schema();
      out.writeShort(schema.size());
      for (FeatureSpec s : schema.specs()) {
        out.writeUTF(s.name());
        out.writeByte(s.type().ordinal());
        out.writeInt(s.dimension());
      }
      for (int i = 0; i < schema.size(); i++) {
        if (!values.isPresent(i)) {
          out.writeByte(MISSING);
          continue;
        }
        out.writeByte(1);
        switch (schema.get(i).type()) {
          case DOUBLE:
            out.writeDouble(values.asDouble(i));
            break;
          case LONG:
            out.writeLong(values.getLong(i, 0));
            break;
          case BOOLEAN:
            out.writeBoolean(values.asDouble(i) != 0);
            break;
          case STRING:
            writeLongUtf(out, values.getString(i));
            break;
          default:
            float[] e = values.getEmbedding(i);
            for (float f : e) {
              out.writeFloat(f);
            }
        }
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new AssertionError("in-memory stream", e);
    }
  }

  /** A decoded record. */
  public record Decoded(String view, OnlineRow row) {}

  /**
   * Decodes a record.
   *
   * @param in the bytes
   * @return the record
   * @throws IOException when the bytes are not a valid record
   */
  public Decoded decode(DataInputStream in) throws IOException {
    String view = in.readUTF();
    int keys = in.readUnsignedShort();
    if (keys == 0) {
      throw new IOException("record has an empty key");
    }
    EntityKey.Builder kb = EntityKey.builder();
    for (int i = 0; i < keys; i++) {
      String name = in.readUTF();
      byte tag = in.readByte();
      if (tag == LONG_KEY) {
        kb.put(name, in.readLong());
      } else if (tag == STRING_KEY) {
        kb.put(name, in.readUTF());
      } else {
        throw new IOException("bad key tag " + tag);
      }
    }
    long event = in.readLong();
    long created = in.readLong();
    int n = in.readUnsignedShort();
    List<FeatureSpec> specs = new ArrayList<>(n);
    FeatureType[] types = FeatureType.values();
    StringBuilder sig = new StringBuilder();
    for (int i = 0; i < n; i++) {
      String name = in.readUTF();
      int t = in.readUnsignedByte();
      int dim = in.readInt();
      if (t >= types.length || (types[t] == FeatureType.EMBEDDING && (dim <= 0 || dim > 1 << 20))) {
        throw new IOException("bad feature type " + t + " or dimension " + dim);
      }
      specs.add(types[t] == FeatureType.EMBEDDING ? FeatureSpec.embedding(name, dim) : FeatureSpec.of(name, types[t]));
      sig.append(name).append(':').append(t).append(':').append(dim).append(',');
    }
    FeatureSchema schema = schemas.computeIfAbsent(sig.toString(), k -> FeatureSchema.of(specs));
    FeatureVector.Builder b = FeatureVector.builder(schema);
    for (int i = 0; i < n; i++) {
      byte present = in.readByte();
      if (present == MISSING) {
        continue;
      }
      switch (schema.get(i).type()) {
        case DOUBLE:
          b.setDouble(i, in.readDouble());
          break;
        case LONG:
          b.setLong(i, in.readLong());
          break;
        case BOOLEAN:
          b.setBoolean(i, in.readBoolean());
          break;
        case STRING:
          b.setString(i, readLongUtf(in));
          break;
        default:
          float[] e = new float[schema.get(i).dimension()];
          for (int j = 0; j < e.length; j++) {
            e[j] = in.readFloat();
          }
          b.setEmbedding(i, e);
      }
    }
    return new Decoded(view, new OnlineRow(kb.build(), b.build(), event, created));
  }

  private static void writeLongUtf(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readLongUtf(DataInputStream in) throws IOException {
    int len = in.readInt();
    if (len < 0 || len > 64 << 20) {
      throw new IOException("bad string length " + len);
    }
    byte[] b = new byte[len];
    in.readFully(b);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }
}
