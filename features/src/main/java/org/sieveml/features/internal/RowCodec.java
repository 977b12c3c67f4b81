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
 * values, event, created and ingestion time, definition version, schema, present values), written with
 * {@link DataOutputStream} primitives only — reading never runs Java deserialization. Schemas are
 * interned on decode. Thread-safe.
 *
 * <p>Format 2 (written): view, key, event time, created time, ingestion time, version (UTF), schema,
 * values. Format 1 (read only, {@link #RowCodec(int)}): no ingestion time (taken as the created time)
 * and no version (read as the empty version, which no view has: such rows are never served as live).
 */
public final class RowCodec {

  /** The format this codec writes. */
  public static final int FORMAT = 2;

  private final int readFormat;

  /** A codec reading and writing format {@value #FORMAT}. */
  public RowCodec() {
    this(FORMAT);
  }

  /**
   * A codec reading records of a given format (and writing the current one).
   *
   * @param readFormat 1 or 2
   */
  public RowCodec(int readFormat) {
    if (readFormat != 1 && readFormat != FORMAT) {
      throw new IllegalArgumentException("row format was " + readFormat + ", expected 1 or " + FORMAT);
    }
    this.readFormat = readFormat;
  }

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
      writeKey(out, row.key());
      out.writeLong(row.eventTime());
      out.writeLong(row.createdTime());
      out.writeLong(row.ingestedTime());
      out.writeUTF(row.version());
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
    return decodeFrom(in);
  }

  /**
   * Decodes a record held in a byte array (the fast path for stores that fetch whole values): the
   * schema section is matched byte for byte against the schemas seen before, so a known schema costs
   * no string decoding.
   *
   * @param b the bytes
   * @param off where the record starts
   * @param len the record's length
   * @return the record
   * @throws IOException when the bytes are not a valid record
   */
  public Decoded decode(byte[] b, int off, int len) throws IOException {
    if (off < 0 || len < 0 || off + len > b.length) {
      throw new IOException("record range " + off + "+" + len + " is outside " + b.length + " bytes");
    }
    return decodeFrom(new Bytes(b, off, off + len));
  }

  /**
   * Writes an entity key: the number of join keys, then per key its name, a tag and a long or UTF value
   * (also used by the online store's log records).
   *
   * @param out the output
   * @param key the key
   * @throws IOException from the output
   */
  static void writeKey(DataOutputStream out, EntityKey key) throws IOException {
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
  }

  /**
   * Reads an entity key as {@link #encode} writes it (also used by the online store's log records).
   *
   * @param in the input
   * @return the key
   * @throws IOException when the bytes are not a valid key
   */
  static EntityKey readKey(java.io.DataInput in) throws IOException {
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
    return kb.build();
  }

  private Decoded decodeFrom(java.io.DataInput in) throws IOException {
    String view = in.readUTF();
    EntityKey key = readKey(in);
    long event = in.readLong();
    long created = in.readLong();
    long ingested = readFormat == 1 ? created : in.readLong();
    String version = readFormat == 1 ? "" : in.readUTF();
    FeatureSchema schema = in instanceof Bytes ? schemaOf((Bytes) in) : readSchema(in);
    int n = schema.size();
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
    return new Decoded(view, new OnlineRow(key, b.build(), event, created, ingested, version));
  }

  private FeatureSchema readSchema(java.io.DataInput in) throws IOException {
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
    return schemas.computeIfAbsent(sig.toString(), k -> FeatureSchema.of(specs));
  }

  /** Schemas by their exact encoded bytes (a few per store). */
  private final Map<ByteKey, FeatureSchema> schemasByBytes = new ConcurrentHashMap<>();

  private FeatureSchema schemaOf(Bytes in) throws IOException {
    int start = in.pos;
    int n = in.readUnsignedShort();
    for (int i = 0; i < n; i++) {
      in.skipBytes(in.readUnsignedShort() + 5); // name, type byte, dimension int
    }
    ByteKey key = new ByteKey(in.buf, start, in.pos);
    FeatureSchema known = schemasByBytes.get(key);
    if (known != null) {
      return known;
    }
    int end = in.pos;
    in.pos = start;
    FeatureSchema schema = readSchema(in);
    if (in.pos != end) {
      throw new IOException("schema section is inconsistent");
    }
    if (schemasByBytes.size() < 10_000) {
      schemasByBytes.put(key.copy(), schema);
    }
    return schema;
  }

  /** A byte range as a map key; {@link #copy()} detaches it from the record's buffer. */
  private static final class ByteKey {
    private final byte[] b;
    private final int from;
    private final int to;
    private final int hash;

    ByteKey(byte[] b, int from, int to) {
      this.b = b;
      this.from = from;
      this.to = to;
      int h = 1;
      for (int i = from; i < to; i++) {
        h = 31 * h + b[i];
      }
      this.hash = h;
    }

    ByteKey copy() {
      return new ByteKey(java.util.Arrays.copyOfRange(b, from, to), 0, to - from);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ByteKey k && java.util.Arrays.equals(b, from, to, k.b, k.from, k.to);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** A {@link java.io.DataInput} over a byte range (big-endian, as {@link DataOutputStream} writes). */
  private static final class Bytes implements java.io.DataInput {
    final byte[] buf;
    int pos;
    private final int end;

    Bytes(byte[] buf, int pos, int end) {
      this.buf = buf;
      this.pos = pos;
      this.end = end;
    }

    private int need(int n) throws java.io.EOFException {
      if (n < 0 || pos + n > end) {
        throw new java.io.EOFException("record ends after " + (end - pos) + " more bytes, needed " + n);
      }
      int p = pos;
      pos += n;
      return p;
    }

    @Override
    public void readFully(byte[] b) throws IOException {
      readFully(b, 0, b.length);
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws IOException {
      System.arraycopy(buf, need(len), b, off, len);
    }

    @Override
    public int skipBytes(int n) throws IOException {
      need(n);
      return n;
    }

    @Override
    public boolean readBoolean() throws IOException {
      return buf[need(1)] != 0;
    }

    @Override
    public byte readByte() throws IOException {
      return buf[need(1)];
    }

    @Override
    public int readUnsignedByte() throws IOException {
      return buf[need(1)] & 0xff;
    }

    @Override
    public short readShort() throws IOException {
      int p = need(2);
      return (short) (((buf[p] & 0xff) << 8) | (buf[p + 1] & 0xff));
    }

    @Override
    public int readUnsignedShort() throws IOException {
      return readShort() & 0xffff;
    }

    @Override
    public char readChar() throws IOException {
      return (char) readShort();
    }

    @Override
    public int readInt() throws IOException {
      int p = need(4);
      return ((buf[p] & 0xff) << 24) | ((buf[p + 1] & 0xff) << 16) | ((buf[p + 2] & 0xff) << 8) | (buf[p + 3] & 0xff);
    }

    @Override
    public long readLong() throws IOException {
      return ((long) readInt() << 32) | (readInt() & 0xffffffffL);
    }

    @Override
    public float readFloat() throws IOException {
      return Float.intBitsToFloat(readInt());
    }

    @Override
    public double readDouble() throws IOException {
      return Double.longBitsToDouble(readLong());
    }

    @Override
    public String readLine() {
      throw new UnsupportedOperationException("records hold no lines");
    }

    @Override
    public String readUTF() throws IOException {
      return DataInputStream.readUTF(this);
    }
  }

  private static void writeLongUtf(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readLongUtf(java.io.DataInput in) throws IOException {
    int len = in.readInt();
    if (len < 0 || len > 64 << 20) {
      throw new IOException("bad string length " + len);
    }
    byte[] b = new byte[len];
    in.readFully(b);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }
}
