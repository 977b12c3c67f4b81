package org.sieveml.features.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.StorageCorruptedException;

/**
 * The immutable, sorted, columnar segment file of the offline log (format version 1, little endian).
 *
 * <pre>
 * header   magic "SVMLSEG1" | version int | rows int | columns int | schemaBytes int
 *          | minSeq long | maxSeq long | minEvent long | maxEvent long | reserved long      (64 bytes)
 * schema   per column: name (u16 length + UTF-8) | type byte | dimension int; padded to 8
 * blocks   ids | event | created | ingested | seq (rows x i64 each), then per value column:
 *          presence bits (ceil(rows/64) x i64) | data (DOUBLE f64, LONG i64, BOOLEAN u8,
 *          STRING (rows+1) x i32 end offsets then UTF-8 bytes, EMBEDDING rows x dim x f32);
 *          each block starts at a multiple of 8
 * footer   blockCount int | per block: offset i64, length i64, crc32c i32 | header crc32c int
 * tail     footerOffset i64 | footer crc32c int | 0 int | magic "SVMLEND1"
 * </pre>
 *
 * Rows are sorted by (entity id, event time, created time, sequence). Every length read from the file
 * is checked against the file's size before it is used; every block's checksum is verified when the
 * segment is opened, so a damaged file is refused with its name and offset, never half read. The
 * format holds no Java-serialized objects.
 *
 * <p>A {@link Segment} is immutable and thread-safe.
 */
public final class SegmentFile {

  static final byte[] MAGIC = "SVMLSEG1".getBytes(StandardCharsets.US_ASCII);
  static final byte[] END = "SVMLEND1".getBytes(StandardCharsets.US_ASCII);
  /** The format version written. */
  public static final int VERSION = 1;
  static final int HEADER = 64;
  static final int TAIL = 24;
  static final int KEY_BLOCKS = 5;
  static final int MAX_COLUMNS = 4096;
  static final int MAX_DIMENSION = 1 << 16;

  private SegmentFile() {}

  /** Where bytes go. */
  public interface Sink {
    /**
     * Writes all remaining bytes of a buffer.
     *
     * @param b the bytes
     * @throws java.io.IOException on failure
     */
    void write(ByteBuffer b) throws java.io.IOException;
  }

  /** Random access to the rows to be written, already in sorted order. */
  public interface Source {
    /**
     * The number of rows.
     *
     * @return rows
     */
    int rows();

    /**
     * The value columns.
     *
     * @return the schema
     */
    FeatureSchema schema();

    /**
     * A key column value.
     *
     * @param column 0 id, 1 event, 2 created, 3 ingested, 4 seq
     * @param row the row
     * @return the value
     */
    long key(int column, int row);

    /**
     * A whole key column, when the source holds it as an array (a fast path for writing).
     *
     * @param column 0 id, 1 event, 2 created, 3 ingested, 4 seq
     * @return the column (not to be modified), or null
     */
    default long[] keyColumn(int column) {
      return null;
    }

    /**
     * A whole DOUBLE column with NaN for missing values, when the source can give it cheaply.
     *
     * @param col the value column, of type DOUBLE
     * @return a copy of the column, or null
     */
    default double[] doubleColumn(int col) {
      return null;
    }

    /**
     * Which values of a column are present, as bit words (bit {@code r & 63} of word {@code r >>> 6}), when
     * the source can give them cheaply (a fast path for writing).
     *
     * @param col the value column
     * @return at least {@code (rows() + 63) / 64} words, not to be modified, or null
     */
    default long[] presenceWords(int col) {
      return null;
    }

    /**
     * A whole LONG or BOOLEAN (1/0) column with 0 for missing values, when the source can give it cheaply.
     *
     * @param col the value column, of type LONG or BOOLEAN
     * @return the column, not to be modified, or null
     */
    default long[] longColumn(int col) {
      return null;
    }

    /**
     * A whole STRING column with null for missing values, when the source can give it cheaply.
     *
     * @param col the value column, of type STRING
     * @return the column, not to be modified, or null
     */
    default String[] stringColumn(int col) {
      return null;
    }

    /**
     * Whether a value is present.
     *
     * @param row the row
     * @param col the value column
     * @return presence
     */
    boolean present(int row, int col);

    /**
     * A numeric cell.
     *
     * @param row the row
     * @param col the column
     * @return a DOUBLE, LONG or BOOLEAN cell as a number
     */
    double number(int row, int col);

    /**
     * An integral cell.
     *
     * @param row the row
     * @param col the column
     * @return a LONG or BOOLEAN (1/0) cell
     */
    long integral(int row, int col);

    /**
     * A string cell.
     *
     * @param row the row
     * @param col the column
     * @return a STRING cell
     */
    String string(int row, int col);

    /**
     * An embedding cell.
     *
     * @param row the row
     * @param col the column
     * @return an EMBEDDING cell
     */
    float[] embedding(int row, int col);

    /**
     * The segment a row is a copy of, when the source gathers rows of segments with its own schema (a
     * merge): STRING cells are then copied as the segment's UTF-8 bytes, never decoded (a fast path).
     *
     * @param row the row
     * @return the segment holding the row as {@link #rowIn}, or null
     */
    default Segment segmentOf(int row) {
      return null;
    }

    /**
     * The row of {@link #segmentOf} this row is.
     *
     * @param row the row
     * @return the row in that segment
     */
    default int rowIn(int row) {
      return row;
    }
  }

  /**
   * A source over in-memory rows.
   *
   * @param rows the rows, sorted
   * @return the source
   */
  public static Source of(LogRows rows) {
    return new Source() {
      private final Object[] cache = new Object[2 * rows.values.schema().size()]; // presence words, column
      @Override
      public int rows() {
        return rows.size();
      }

      @Override
      public FeatureSchema schema() {
        return rows.values.schema();
      }

      @Override
      public long key(int column, int row) {
        switch (column) {
          case 0:
            return rows.ids[row];
          case 1:
            return rows.event[row];
          case 2:
            return rows.created[row];
          case 3:
            return rows.ingested[row];
          default:
            return rows.seq[row];
        }
      }

      @Override
      public long[] keyColumn(int column) {
        switch (column) {
          case 0:
            return rows.ids;
          case 1:
            return rows.event;
          case 2:
            return rows.created;
          case 3:
            return rows.ingested;
          default:
            return rows.seq;
        }
      }

      @Override
      public double[] doubleColumn(int col) {
        return rows.values.doubleColumn(rows.values.schema().get(col).name());
      }

      @Override
      public long[] presenceWords(int col) {
        if (cache[2 * col] == null) {
          cache[2 * col] = rows.values.presence(col).toLongArray();
        }
        return (long[]) cache[2 * col];
      }

      @Override
      public long[] longColumn(int col) {
        if (cache[2 * col + 1] == null) {
          cache[2 * col + 1] = rows.values.longColumn(col, 0);
        }
        return (long[]) cache[2 * col + 1];
      }

      @Override
      public String[] stringColumn(int col) {
        if (cache[2 * col + 1] == null) {
          cache[2 * col + 1] = rows.values.stringColumn(col);
        }
        return (String[]) cache[2 * col + 1];
      }

      @Override
      public boolean present(int row, int col) {
        return rows.values.isPresent(row, col);
      }

      @Override
      public double number(int row, int col) {
        return rows.values.asDouble(row, col);
      }

      @Override
      public long integral(int row, int col) {
        return rows.values.getLong(row, col, 0);
      }

      @Override
      public String string(int row, int col) {
        return rows.values.getString(row, col);
      }

      @Override
      public float[] embedding(int row, int col) {
        return rows.values.getEmbedding(row, col);
      }
    };
  }

  // ------------------------------------------------------------------ writing

  /**
   * Plans where the rows go: computed once, it gives a segment's size before it is written and then guides
   * the writing ({@link #write}, {@link #writeToBuffer}).
   *
   * @param src the rows
   * @return the layout
   */
  public static Layout layout(Source src) {
    return new Layout(src);
  }

  /** Block offsets and lengths of a source. Immutable; thread-safe. */
  public static final class Layout {
    final byte[] schemaBytes;
    final List<long[]> blocks = new ArrayList<>(); // {offset, length}
    final long footer;
    final long total;

    Layout(Source src) {
      FeatureSchema schema = src.schema();
      schemaBytes = encodeSchema(schema);
      int n = src.rows();
      long pos = pad(HEADER + schemaBytes.length);
      for (int k = 0; k < KEY_BLOCKS; k++) {
        pos = block(pos, 8L * n);
      }
      long words = (n + 63L) / 64;
      for (int c = 0; c < schema.size(); c++) {
        FeatureSpec spec = schema.get(c);
        pos = block(pos, 8 * words);
        switch (spec.type()) {
          case DOUBLE:
          case LONG:
            pos = block(pos, 8L * n);
            break;
          case BOOLEAN:
            pos = block(pos, n);
            break;
          case STRING:
            long bytes = 0;
            String[] sc = src.stringColumn(c);
            if (sc != null) {
              Utf8 u = new Utf8();
              for (int r = 0; r < n; r++) {
                if (sc[r] != null) {
                  bytes += u.length(sc[r]);
                }
              }
            } else {
              for (int r = 0; r < n; r++) {
                if (src.present(r, c)) {
                  bytes += utf8Length(src, r, c);
                }
              }
            }
            pos = block(pos, 4L * (n + 1));
            pos = block(pos, bytes);
            break;
          default:
            pos = block(pos, 4L * n * spec.dimension());
        }
      }
      footer = pos;
      total = footer + 4 + 20L * blocks.size() + 4 + TAIL;
    }

    /**
     * The segment's size.
     *
     * @return bytes
     */
    public long bytes() {
      return total;
    }

    private long block(long pos, long length) {
      blocks.add(new long[] {pos, length});
      return pad(pos + length);
    }
  }

  static long pad(long p) {
    return (p + 7) & ~7L;
  }

  /**
   * Writes rows as a segment.
   *
   * @param src the rows, sorted by (entity, event, created, sequence)
   * @param lay their {@link #layout}
   * @param out where the bytes go
   * @return the number of bytes written
   * @throws java.io.IOException from the sink
   */
  public static long write(Source src, Layout lay, Sink out) throws java.io.IOException {
    try (Writer w = new Writer(out)) {
      return write(src, lay, w);
    }
  }

  /**
   * Writes rows as a segment straight into a buffer of exactly its size (no staging copy).
   *
   * @param src the rows, sorted by (entity, event, created, sequence)
   * @param lay their {@link #layout}, of at most {@link Integer#MAX_VALUE} bytes
   * @param allocate makes a buffer of the given capacity (heap or direct)
   * @return the buffer, from position 0 to its limit, the segment's size
   */
  public static ByteBuffer writeToBuffer(Source src, Layout lay, java.util.function.IntFunction<ByteBuffer> allocate) {
    if (lay.total > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a segment of " + lay.total + " bytes does not fit in a buffer");
    }
    ByteBuffer b = allocate.apply((int) lay.total).order(ByteOrder.LITTLE_ENDIAN);
    try (Writer w = new Writer(b)) {
      write(src, lay, w);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("a write into memory failed", e); // never: no sink
    }
    return b.flip();
  }

  private static long write(Source src, Layout lay, Writer w) throws java.io.IOException {
    int n = src.rows();
    FeatureSchema schema = src.schema();
    long minSeq = Long.MAX_VALUE;
    long maxSeq = Long.MIN_VALUE;
    long minEv = Long.MAX_VALUE;
    long maxEv = Long.MIN_VALUE;
    long[] seqCol = src.keyColumn(4);
    long[] evCol = src.keyColumn(1);
    for (int r = 0; r < n; r++) {
      long s = seqCol != null ? seqCol[r] : src.key(4, r);
      long e = evCol != null ? evCol[r] : src.key(1, r);
      minSeq = Math.min(minSeq, s);
      maxSeq = Math.max(maxSeq, s);
      minEv = Math.min(minEv, e);
      maxEv = Math.max(maxEv, e);
    }
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    h.put(MAGIC).putInt(VERSION).putInt(n).putInt(schema.size()).putInt(lay.schemaBytes.length)
        .putLong(minSeq).putLong(maxSeq).putLong(minEv).putLong(maxEv).putLong(0);
    CRC32C headerCrc = new CRC32C();
    headerCrc.update(h.array(), 0, HEADER);
    headerCrc.update(lay.schemaBytes);
    w.raw(h.array());
    w.raw(lay.schemaBytes);
    int[] crcs = new int[lay.blocks.size()];
    int b = 0;
    for (int k = 0; k < KEY_BLOCKS; k++) {
      w.startBlock(lay.blocks.get(b)[0]);
      long[] col = src.keyColumn(k);
      if (col != null) {
        w.putLongs(col, n);
      } else {
        for (int r = 0; r < n; r++) {
          w.putLong(src.key(k, r));
        }
      }
      crcs[b++] = w.endBlock();
    }
    for (int c = 0; c < schema.size(); c++) {
      FeatureSpec spec = schema.get(c);
      double[] dc = spec.type() == FeatureType.DOUBLE ? src.doubleColumn(c) : null;
      if (dc != null) { // presence from NaN, then the raw values: no per-cell calls
        w.startBlock(lay.blocks.get(b)[0]);
        long[] words = new long[(n + 63) / 64];
        for (int r = 0; r < n; r++) {
          if (dc[r] == dc[r]) {
            words[r >>> 6] |= 1L << (r & 63);
          }
        }
        w.putLongs(words, words.length);
        crcs[b++] = w.endBlock();
        w.startBlock(lay.blocks.get(b)[0]);
        w.putDoubles(dc, n);
        crcs[b++] = w.endBlock();
        continue;
      }
      w.startBlock(lay.blocks.get(b)[0]);
      long[] pw = src.presenceWords(c);
      int nw = (n + 63) / 64;
      if (pw != null) { // a bit set's words stop at its last set bit
        w.putLongs(pw, Math.min(pw.length, nw));
        for (int i = pw.length; i < nw; i++) {
          w.putLong(0);
        }
      } else {
        long word = 0;
        for (int r = 0; r < n; r++) {
          if (src.present(r, c)) {
            word |= 1L << (r & 63);
          }
          if ((r & 63) == 63) {
            w.putLong(word);
            word = 0;
          }
        }
        if ((n & 63) != 0) {
          w.putLong(word);
        }
      }
      crcs[b++] = w.endBlock();
      w.startBlock(lay.blocks.get(b)[0]);
      long[] lc = spec.type() == FeatureType.LONG || spec.type() == FeatureType.BOOLEAN ? src.longColumn(c) : null;
      if (lc != null) {
        if (spec.type() == FeatureType.LONG) {
          w.putLongs(lc, n);
        } else {
          for (int r = 0; r < n; r++) {
            w.putByte((byte) (lc[r] != 0 ? 1 : 0));
          }
        }
        crcs[b++] = w.endBlock();
        continue;
      }
      String[] sc = spec.type() == FeatureType.STRING ? src.stringColumn(c) : null;
      if (sc != null) {
        Utf8 u = new Utf8();
        int end = 0;
        w.putInt(0);
        for (int r = 0; r < n; r++) {
          if (sc[r] != null) {
            end += u.length(sc[r]);
          }
          w.putInt(end);
        }
        crcs[b++] = w.endBlock();
        w.startBlock(lay.blocks.get(b)[0]);
        for (int r = 0; r < n; r++) {
          if (sc[r] != null) {
            w.putBytes(u.bytes(sc[r]));
          }
        }
        crcs[b++] = w.endBlock();
        continue;
      }
      switch (spec.type()) {
        case DOUBLE:
          for (int r = 0; r < n; r++) {
            w.putLong(Double.doubleToRawLongBits(src.present(r, c) ? src.number(r, c) : Double.NaN));
          }
          break;
        case LONG:
          for (int r = 0; r < n; r++) {
            w.putLong(src.present(r, c) ? src.integral(r, c) : 0);
          }
          break;
        case BOOLEAN:
          for (int r = 0; r < n; r++) {
            w.putByte((byte) (src.present(r, c) && src.integral(r, c) != 0 ? 1 : 0));
          }
          break;
        case STRING: {
          int end = 0;
          w.putInt(0);
          for (int r = 0; r < n; r++) {
            if (src.present(r, c)) {
              end += utf8Length(src, r, c);
            }
            w.putInt(end);
          }
          crcs[b++] = w.endBlock();
          w.startBlock(lay.blocks.get(b)[0]);
          for (int r = 0; r < n; r++) {
            if (src.present(r, c)) {
              Segment seg = src.segmentOf(r);
              if (seg != null) {
                seg.copyUtf8(src.rowIn(r), c, w);
              } else {
                w.putBytes(src.string(r, c).getBytes(StandardCharsets.UTF_8));
              }
            }
          }
          break;
        }
        default:
          for (int r = 0; r < n; r++) {
            float[] e = src.present(r, c) ? src.embedding(r, c) : null;
            for (int d = 0; d < spec.dimension(); d++) {
              w.putFloat(e == null ? 0f : e[d]);
            }
          }
      }
      crcs[b++] = w.endBlock();
    }
    w.padTo(lay.footer);
    ByteBuffer f = ByteBuffer.allocate(4 + 20 * crcs.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    f.putInt(crcs.length);
    for (int i = 0; i < crcs.length; i++) {
      f.putLong(lay.blocks.get(i)[0]).putLong(lay.blocks.get(i)[1]).putInt(crcs[i]);
    }
    f.putInt((int) headerCrc.getValue());
    CRC32C fc = new CRC32C();
    fc.update(f.array(), 0, f.capacity());
    w.raw(f.array());
    ByteBuffer t = ByteBuffer.allocate(TAIL).order(ByteOrder.LITTLE_ENDIAN);
    t.putLong(lay.footer).putInt((int) fc.getValue()).putInt(0).put(END);
    w.raw(t.array());
    w.flush();
    if (w.position != lay.total) {
      throw new IllegalStateException("segment writer wrote " + w.position + " bytes, planned " + lay.total);
    }
    return w.position;
  }

  /** Buffered little-endian writer with per-block CRC. */
  private static final class Writer implements AutoCloseable {
    /**
     * Staging buffers of finished writers, for the next ones: a fresh direct buffer costs its zeroing and
     * the page faults of new memory on every segment written (seals and merges write many).
     */
    private static final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> SPARE =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    private static final java.util.concurrent.atomic.AtomicInteger SPARE_COUNT =
        new java.util.concurrent.atomic.AtomicInteger();
    private static final int MAX_SPARE = 4;
    private static final int BUFFER = 1 << 20;

    private final Sink out; // null when writing straight into buf
    private final ByteBuffer buf;
    private final CRC32C crc = new CRC32C();
    private long position;
    private int crcFrom = -1; // buffer position where the current block's unchecksummed bytes start

    Writer(Sink out) {
      this.out = out;
      ByteBuffer b = SPARE.poll();
      if (b != null) {
        SPARE_COUNT.decrementAndGet();
        b.clear();
      } else {
        b = ByteBuffer.allocateDirect(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
      }
      buf = b;
    }

    /** A writer straight into a buffer with room for the whole segment. */
    Writer(ByteBuffer target) {
      this.out = null;
      this.buf = target;
    }

    /** Hands the staging buffer to the next writer (this one is not used again). */
    @Override
    public void close() {
      if (out == null) {
        return; // the target is the caller's
      }
      if (SPARE_COUNT.incrementAndGet() <= MAX_SPARE) {
        SPARE.offer(buf);
      } else {
        SPARE_COUNT.decrementAndGet();
      }
    }

    void raw(byte[] b) throws java.io.IOException {
      putBytes(b);
    }

    void startBlock(long offset) throws java.io.IOException {
      padTo(offset);
      crc.reset();
      crcFrom = buf.position();
    }

    int endBlock() {
      updateCrc();
      crcFrom = -1;
      return (int) crc.getValue();
    }

    private void updateCrc() {
      if (crcFrom >= 0 && buf.position() > crcFrom) {
        ByteBuffer d = buf.duplicate();
        d.position(crcFrom).limit(buf.position());
        crc.update(d);
        crcFrom = buf.position();
      }
    }

    void padTo(long offset) throws java.io.IOException {
      while (position < offset) {
        putByte((byte) 0);
      }
    }

    void ensure(int bytes) throws java.io.IOException {
      if (buf.remaining() < bytes) {
        if (out == null) {
          throw new IllegalStateException("segment writer ran out of its " + buf.capacity() + "-byte target");
        }
        flush();
      }
    }

    void flush() throws java.io.IOException {
      updateCrc();
      if (out == null) {
        return; // written straight into its buffer: nothing to hand on
      }
      buf.flip();
      out.write(buf);
      buf.clear();
      if (crcFrom >= 0) {
        crcFrom = 0;
      }
    }

    void putLong(long v) throws java.io.IOException {
      ensure(8);
      buf.putLong(v);
      position += 8;
    }

    void putLongs(long[] a, int n) throws java.io.IOException {
      int off = 0;
      while (off < n) {
        ensure(8);
        int k = Math.min(buf.remaining() / 8, n - off);
        buf.asLongBuffer().put(a, off, k);
        buf.position(buf.position() + 8 * k);
        position += 8L * k;
        off += k;
      }
    }

    void putDoubles(double[] a, int n) throws java.io.IOException {
      int off = 0;
      while (off < n) {
        ensure(8);
        int k = Math.min(buf.remaining() / 8, n - off);
        buf.asDoubleBuffer().put(a, off, k);
        buf.position(buf.position() + 8 * k);
        position += 8L * k;
        off += k;
      }
    }

    void putInt(int v) throws java.io.IOException {
      ensure(4);
      buf.putInt(v);
      position += 4;
    }

    void putFloat(float v) throws java.io.IOException {
      ensure(4);
      buf.putFloat(v);
      position += 4;
    }

    void putByte(byte v) throws java.io.IOException {
      ensure(1);
      buf.put(v);
      position++;
    }

    void putBytes(ByteBuffer src, int from, int length) throws java.io.IOException {
      int off = 0;
      while (off < length) {
        ensure(1);
        int k = Math.min(buf.remaining(), length - off);
        buf.put(buf.position(), src, from + off, k);
        buf.position(buf.position() + k);
        off += k;
        position += k;
      }
    }

    void putBytes(byte[] b) throws java.io.IOException {
      int off = 0;
      while (off < b.length) {
        ensure(1);
        int k = Math.min(buf.remaining(), b.length - off);
        buf.put(b, off, k);
        off += k;
        position += k;
      }
    }
  }

  /**
   * UTF-8 lengths and bytes of a column's strings, remembering the last one (columns repeat a value row
   * after row: a model version, a country, a plan). Not thread-safe.
   */
  private static final class Utf8 {
    private String last;
    private byte[] lastBytes;

    int length(String s) {
      return bytes(s).length;
    }

    byte[] bytes(String s) {
      if (s != last && !s.equals(last)) {
        lastBytes = s.getBytes(StandardCharsets.UTF_8);
        last = s;
      }
      return lastBytes;
    }
  }

  /** The UTF-8 length of a present STRING cell of a source: from a segment's offsets when it has them. */
  private static int utf8Length(Source src, int r, int c) {
    Segment seg = src.segmentOf(r);
    return seg == null ? utf8Length(src.string(r, c)) : seg.utf8Length(src.rowIn(r), c);
  }

  static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < 0x80) {
        n++;
      } else if (ch < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  static byte[] encodeSchema(FeatureSchema schema) {
    java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    for (FeatureSpec s : schema.specs()) {
      byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
      b.clear();
      b.putShort((short) name.length);
      bo.write(b.array(), 0, 2);
      bo.write(name, 0, name.length);
      bo.write(s.type().ordinal());
      b.clear();
      b.putInt(s.type() == FeatureType.EMBEDDING ? s.dimension() : 0);
      bo.write(b.array(), 0, 4);
    }
    return bo.toByteArray();
  }

  /**
   * Decodes a schema section.
   *
   * @param b the bytes, positioned at the section, little endian
   * @param columns the number of columns
   * @param end the section's end
   * @param file for messages
   * @return the schema
   */
  static FeatureSchema decodeSchema(ByteBuffer b, int columns, int end, Path file) {
    List<FeatureSpec> specs = new ArrayList<>(Math.min(columns, MAX_COLUMNS));
    FeatureType[] types = FeatureType.values();
    for (int c = 0; c < columns; c++) {
      int at = b.position();
      if (end - at < 2) {
        throw new StorageCorruptedException(file, at, "schema section ends inside column " + c);
      }
      int len = b.getShort() & 0xffff;
      if (end - b.position() < len + 5) {
        throw new StorageCorruptedException(file, at, "schema column " + c + " name of " + len
            + " bytes runs past the section's end");
      }
      byte[] name = new byte[len];
      b.get(name);
      int t = b.get();
      int dim = b.getInt();
      if (t < 0 || t >= types.length) {
        throw new StorageCorruptedException(file, at, "schema column " + c + " has type code " + t + ", expected 0.."
            + (types.length - 1));
      }
      try {
        if (types[t] == FeatureType.EMBEDDING) {
          if (dim <= 0 || dim > MAX_DIMENSION) {
            throw new StorageCorruptedException(file, at, "schema column " + c + " has dimension " + dim
                + ", expected 1.." + MAX_DIMENSION);
          }
          specs.add(FeatureSpec.embedding(new String(name, StandardCharsets.UTF_8), dim));
        } else {
          specs.add(FeatureSpec.of(new String(name, StandardCharsets.UTF_8), types[t]));
        }
      } catch (IllegalArgumentException e) {
        throw new StorageCorruptedException(file, at, "schema column " + c + ": " + e.getMessage());
      }
    }
    try {
      return FeatureSchema.of(specs);
    } catch (IllegalArgumentException e) {
      throw new StorageCorruptedException(file, HEADER, "schema: " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ reading

  /**
   * Opens and verifies a segment held in a buffer (a mapped file or memory).
   *
   * @param bytes the whole file, position 0; read only through duplicates
   * @param file its path, for messages (a name for in-memory segments)
   * @param name the segment's name
   * @return the segment
   * @throws StorageCorruptedException naming the file and the offset of the first problem
   */
  public static Segment open(ByteBuffer bytes, Path file, String name) {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long size = b.capacity();
    if (size < HEADER + TAIL + 8) {
      throw new StorageCorruptedException(file, 0, "file of " + size + " bytes is too short for a segment (at least "
          + (HEADER + TAIL + 8) + ")");
    }
    byte[] magic = new byte[8];
    b.position((int) size - 8);
    b.get(magic);
    if (!java.util.Arrays.equals(magic, END)) {
      throw new StorageCorruptedException(file, size - 8, "expected the end marker SVMLEND1 (truncated or not a "
          + "segment)");
    }
    long footer = b.getLong((int) size - TAIL);
    int footerCrc = b.getInt((int) size - TAIL + 8);
    if (footer < HEADER || footer > size - TAIL - 8) {
      throw new StorageCorruptedException(file, size - TAIL, "footer offset " + footer + " outside [" + HEADER + ", "
          + (size - TAIL - 8) + "]");
    }
    int footerLen = (int) (size - TAIL - footer);
    CRC32C crc = new CRC32C();
    ByteBuffer fb = b.duplicate();
    fb.position((int) footer).limit((int) footer + footerLen);
    crc.update(fb);
    if ((int) crc.getValue() != footerCrc) {
      throw new StorageCorruptedException(file, footer, "footer checksum mismatch");
    }
    b.position(0);
    b.get(magic);
    if (!java.util.Arrays.equals(magic, MAGIC)) {
      throw new StorageCorruptedException(file, 0, "expected magic SVMLSEG1");
    }
    int version = b.getInt(8);
    if (version != VERSION) {
      throw new StorageCorruptedException(file, 8, "format version " + version + ", this library reads " + VERSION);
    }
    int rows = b.getInt(12);
    int columns = b.getInt(16);
    int schemaBytes = b.getInt(20);
    if (rows < 0 || columns < 0 || columns > MAX_COLUMNS || schemaBytes < 0 || HEADER + (long) schemaBytes > footer) {
      throw new StorageCorruptedException(file, 12, "header has rows " + rows + ", columns " + columns
          + ", schema bytes " + schemaBytes + ": out of range for a file of " + size + " bytes");
    }
    int blockCount = b.getInt((int) footer);
    if (blockCount < KEY_BLOCKS || blockCount > KEY_BLOCKS + 3 * columns || footerLen != 4 + 20L * blockCount + 4) {
      throw new StorageCorruptedException(file, footer, "footer lists " + blockCount + " blocks in " + footerLen
          + " bytes, inconsistent with " + columns + " columns");
    }
    crc.reset();
    ByteBuffer hb = b.duplicate();
    hb.position(0).limit(HEADER + schemaBytes);
    crc.update(hb);
    if ((int) crc.getValue() != b.getInt((int) footer + 4 + 20 * blockCount)) {
      throw new StorageCorruptedException(file, 0, "header checksum mismatch");
    }
    b.position(HEADER);
    FeatureSchema schema = decodeSchema(b, columns, HEADER + schemaBytes, file);
    long[][] blocks = new long[blockCount][];
    for (int i = 0; i < blockCount; i++) {
      int at = (int) footer + 4 + 20 * i;
      long off = b.getLong(at);
      long len = b.getLong(at + 8);
      int bc = b.getInt(at + 16);
      if (off < HEADER + schemaBytes || len < 0 || off > footer || len > footer - off || (off & 7) != 0) {
        throw new StorageCorruptedException(file, at, "block " + i + " at " + off + " of " + len
            + " bytes lies outside the data area [" + (HEADER + schemaBytes) + ", " + footer + ")");
      }
      ByteBuffer d = b.duplicate();
      d.position((int) off).limit((int) (off + len));
      crc.reset();
      crc.update(d);
      if ((int) crc.getValue() != bc) {
        throw new StorageCorruptedException(file, off, "checksum mismatch in block " + i + " (" + len + " bytes)");
      }
      blocks[i] = new long[] {off, len};
    }
    return new Segment(b, file, name, rows, schema, blocks, b.getLong(24), b.getLong(32), b.getLong(40),
        b.getLong(48));
  }

  /**
   * The entity rows a join matched in one segment, found once for all the columns gathered: entity row
   * {@code at[j]} matched segment row {@code row[j]}, {@code lo} and {@code hi} the smallest and largest
   * of those. Not thread-safe.
   */
  public static final class Picks {
    final int[] at;
    final int[] row;
    final int lo;
    final int hi;

    private Picks(int[] at, int[] row, int lo, int hi) {
      this.at = at;
      this.row = row;
      this.lo = lo;
      this.hi = hi;
    }

    /**
     * Splits a join's matches by segment.
     *
     * @param segments how many segments the join read
     * @param segOf the segment matched per entity row, -1 for none
     * @param rows the row matched per entity row
     * @return one {@code Picks} per segment
     */
    public static Picks[] of(int segments, int[] segOf, int[] rows) {
      int[] counts = new int[segments];
      for (int s : segOf) {
        if (s >= 0) {
          counts[s]++;
        }
      }
      int[][] at = new int[segments][];
      int[][] row = new int[segments][];
      int[] lo = new int[segments];
      int[] hi = new int[segments];
      for (int s = 0; s < segments; s++) {
        at[s] = new int[counts[s]];
        row[s] = new int[counts[s]];
        lo[s] = Integer.MAX_VALUE;
        hi[s] = -1;
      }
      int[] fill = new int[segments];
      for (int i = 0; i < segOf.length; i++) {
        int s = segOf[i];
        if (s >= 0) {
          int r = rows[i];
          int k = fill[s]++;
          at[s][k] = i;
          row[s][k] = r;
          lo[s] = Math.min(lo[s], r);
          hi[s] = Math.max(hi[s], r);
        }
      }
      Picks[] out = new Picks[segments];
      for (int s = 0; s < segments; s++) {
        out[s] = new Picks(at[s], row[s], lo[s], hi[s]);
      }
      return out;
    }
  }

  /** Buffers {@link Segment#gatherDoubles} reuses across the columns of one join. Not thread-safe. */
  public static final class GatherScratch {
    double[] values = new double[0];
    long[] words = new long[0];
  }

  /** An open, verified segment. Immutable and thread-safe. */
  public static final class Segment {
    /** The segment's name (its file name). */
    public final String name;
    final Path file;
    final int rows;
    final FeatureSchema schema;
    /** Entity ids, sorted. */
    public final LongBuffer ids;
    /** Event times. */
    public final LongBuffer event;
    /** Created times. */
    public final LongBuffer created;
    /** Ingestion times. */
    public final LongBuffer ingested;
    /** Ingestion sequence numbers. */
    public final LongBuffer seq;
    final long minSeq;
    final long maxSeq;
    final long minEvent;
    final long maxEvent;
    private final LongBuffer[] presence;
    private final Object[] data; // DoubleBuffer, LongBuffer, ByteBuffer, IntBuffer (strings), FloatBuffer
    private final ByteBuffer[] strings;
    private final long keyBlock; // where the entity ids start in the file

    Segment(ByteBuffer b, Path file, String name, int rows, FeatureSchema schema, long[][] blocks, long minSeq,
        long maxSeq, long minEvent, long maxEvent) {
      this.name = name;
      this.file = file;
      this.rows = rows;
      this.schema = schema;
      this.minSeq = minSeq;
      this.maxSeq = maxSeq;
      this.minEvent = minEvent;
      this.maxEvent = maxEvent;
      int bi = 0;
      LongBuffer[] keys = new LongBuffer[KEY_BLOCKS];
      for (int k = 0; k < KEY_BLOCKS; k++) {
        keys[k] = slice(b, blocks[bi], 8L * rows, bi++).asLongBuffer();
      }
      ids = keys[0];
      event = keys[1];
      created = keys[2];
      ingested = keys[3];
      seq = keys[4];
      int cols = schema.size();
      presence = new LongBuffer[cols];
      data = new Object[cols];
      strings = new ByteBuffer[cols];
      long words = (rows + 63L) / 64;
      int expectedBlocks = KEY_BLOCKS;
      for (FeatureSpec s : schema.specs()) {
        expectedBlocks += s.type() == FeatureType.STRING ? 3 : 2;
      }
      if (expectedBlocks != blocks.length) {
        throw new StorageCorruptedException(file, -1, "footer lists " + blocks.length + " blocks, the schema needs "
            + expectedBlocks);
      }
      for (int c = 0; c < cols; c++) {
        FeatureSpec spec = schema.get(c);
        presence[c] = slice(b, blocks[bi], 8 * words, bi++).asLongBuffer();
        switch (spec.type()) {
          case DOUBLE:
            data[c] = slice(b, blocks[bi], 8L * rows, bi++).asDoubleBuffer();
            break;
          case LONG:
            data[c] = slice(b, blocks[bi], 8L * rows, bi++).asLongBuffer();
            break;
          case BOOLEAN:
            data[c] = slice(b, blocks[bi], rows, bi++);
            break;
          case STRING: {
            IntBuffer ends = slice(b, blocks[bi], 4L * (rows + 1), bi++).asIntBuffer();
            ByteBuffer bytes = slice(b, blocks[bi], -1, bi++);
            int prev = 0;
            if (ends.get(0) != 0) {
              throw new StorageCorruptedException(file, blocks[bi - 2][0], "string offsets of column '" + spec.name()
                  + "' must start at 0");
            }
            for (int r = 1; r <= rows; r++) {
              int e = ends.get(r);
              if (e < prev || e > bytes.capacity()) {
                throw new StorageCorruptedException(file, blocks[bi - 2][0] + 4L * r, "string offset " + e
                    + " of column '" + spec.name() + "' row " + (r - 1) + " outside [" + prev + ", " + bytes.capacity()
                    + "]");
              }
              prev = e;
            }
            data[c] = ends;
            strings[c] = bytes;
            break;
          }
          default:
            data[c] = slice(b, blocks[bi], 4L * rows * spec.dimension(), bi++).asFloatBuffer();
        }
      }
      // the header's ranges are what readers trust to skip a segment and to continue the sequence:
      // they must be exactly those of the rows (a file whose checksums were recomputed can lie)
      long lowSeq = Long.MAX_VALUE;
      long highSeq = Long.MIN_VALUE;
      long lowEvent = Long.MAX_VALUE;
      long highEvent = Long.MIN_VALUE;
      for (int r = 0; r < rows; r++) {
        long s = seq.get(r);
        long e = event.get(r);
        lowSeq = Math.min(lowSeq, s);
        highSeq = Math.max(highSeq, s);
        lowEvent = Math.min(lowEvent, e);
        highEvent = Math.max(highEvent, e);
      }
      if (lowSeq != minSeq || highSeq != maxSeq || lowEvent != minEvent || highEvent != maxEvent) {
        throw new StorageCorruptedException(file, 24, "header says sequences " + minSeq + ".." + maxSeq
            + " and event times " + minEvent + ".." + maxEvent + ", the " + rows + " rows hold " + lowSeq + ".."
            + highSeq + " and " + lowEvent + ".." + highEvent);
      }
      keyBlock = blocks[0][0];
    }

    /**
     * Checks that the rows are sorted by (entity id, event time, created time), as a segment file's
     * must be (joins binary-search them; a write-ahead log record's rows are in arrival order and are
     * not checked). Reads three key columns once.
     *
     * @return this segment
     * @throws StorageCorruptedException naming the file and the first row out of order
     */
    public Segment requireSorted() {
      for (int r = 1; r < rows; r++) {
        int c = Long.compare(ids.get(r - 1), ids.get(r));
        if (c == 0) {
          c = Long.compare(event.get(r - 1), event.get(r));
        }
        if (c == 0) {
          c = Long.compare(created.get(r - 1), created.get(r));
        }
        if (c > 0) {
          throw new StorageCorruptedException(file, keyBlock + 8L * r, "row " + r + " (entity id " + ids.get(r)
              + ", event time " + event.get(r) + ") sorts before row " + (r - 1) + " (entity id " + ids.get(r - 1)
              + ", event time " + event.get(r - 1) + "): the rows must be sorted by entity, event time and created "
              + "time");
        }
      }
      return this;
    }

    private ByteBuffer slice(ByteBuffer b, long[] block, long expected, int index) {
      if (expected >= 0 && block[1] != expected) {
        throw new StorageCorruptedException(file, block[0], "block " + index + " has " + block[1]
            + " bytes, expected " + expected + " for " + rows + " rows");
      }
      ByteBuffer d = b.duplicate();
      d.position((int) block[0]).limit((int) (block[0] + block[1]));
      return d.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The number of rows.
     *
     * @return rows
     */
    public int size() {
      return rows;
    }

    /**
     * The value columns.
     *
     * @return the schema
     */
    public FeatureSchema schema() {
      return schema;
    }

    /**
     * The smallest sequence number in the segment.
     *
     * @return the sequence
     */
    public long minSeq() {
      return minSeq;
    }

    /**
     * The largest sequence number in the segment.
     *
     * @return the sequence
     */
    public long maxSeq() {
      return maxSeq;
    }

    /**
     * The file, or a name for an in-memory segment.
     *
     * @return the path
     */
    public Path file() {
      return file;
    }

    /**
     * Whether a value is present.
     *
     * @param row the row
     * @param col the value column
     * @return presence
     */
    public boolean isPresent(int row, int col) {
      return (presence[col].get(row >>> 6) & (1L << (row & 63))) != 0;
    }

    /**
     * A numeric reading of a DOUBLE, LONG or BOOLEAN value, NaN when missing.
     *
     * @param row the row
     * @param col the column
     * @return the value
     */
    public double asDouble(int row, int col) {
      if (!isPresent(row, col)) {
        return Double.NaN;
      }
      Object d = data[col];
      if (d instanceof DoubleBuffer) {
        return ((DoubleBuffer) d).get(row);
      }
      if (d instanceof LongBuffer) {
        return ((LongBuffer) d).get(row);
      }
      if (d instanceof ByteBuffer) {
        return ((ByteBuffer) d).get(row);
      }
      throw new IllegalArgumentException("column '" + schema.get(col).name() + "' is not numeric");
    }

    /**
     * A LONG value, or BOOLEAN as 1/0.
     *
     * @param row the row
     * @param col the column
     * @return the value (0 when missing)
     */
    public long getLong(int row, int col) {
      Object d = data[col];
      return d instanceof LongBuffer ? ((LongBuffer) d).get(row) : ((ByteBuffer) d).get(row);
    }

    /** The UTF-8 length of a present STRING value. */
    int utf8Length(int row, int col) {
      IntBuffer ends = (IntBuffer) data[col];
      return ends.get(row + 1) - ends.get(row);
    }

    /** Copies a present STRING value's UTF-8 bytes to a writer, undecoded. */
    void copyUtf8(int row, int col, Writer w) throws java.io.IOException {
      int from = ((IntBuffer) data[col]).get(row);
      w.putBytes(strings[col], from, utf8Length(row, col));
    }

    /**
     * A STRING value.
     *
     * @param row the row
     * @param col the column
     * @return the string, null when missing
     */
    public String getString(int row, int col) {
      if (!isPresent(row, col)) {
        return null;
      }
      IntBuffer ends = (IntBuffer) data[col];
      int from = ends.get(row);
      int to = ends.get(row + 1);
      byte[] bytes = new byte[to - from];
      strings[col].get(from, bytes);
      return new String(bytes, StandardCharsets.UTF_8);
    }

    /**
     * An EMBEDDING value.
     *
     * @param row the row
     * @param col the column
     * @return a new array, null when missing
     */
    public float[] getEmbedding(int row, int col) {
      if (!isPresent(row, col)) {
        return null;
      }
      int dim = schema.get(col).dimension();
      float[] out = new float[dim];
      ((FloatBuffer) data[col]).get(row * dim, out);
      return out;
    }

    /**
     * A DOUBLE value, NaN when missing.
     *
     * @param row the row
     * @param col a DOUBLE column
     * @return the value
     */
    public double doubleAt(int row, int col) {
      return isPresent(row, col) ? ((DoubleBuffer) data[col]).get(row) : Double.NaN;
    }

    /**
     * Gathers a DOUBLE column for the entity rows matched in this segment: {@code out[p.at[j]] =
     * doubleAt(p.row[j], col)}. When the matched rows lie close together (a batch's sorted keys), the span
     * they cover is copied out in bulk first.
     *
     * @param col a DOUBLE column
     * @param p the rows matched in this segment
     * @param out receives the values; other entries are left alone
     * @param scratch reused between calls of one thread (one per join), or null
     */
    public void gatherDoubles(int col, Picks p, double[] out, GatherScratch scratch) {
      int count = p.at.length;
      if (count == 0) {
        return;
      }
      int[] at = p.at;
      int[] rr = p.row;
      int lo = p.lo;
      int hi = p.hi;
      DoubleBuffer values = (DoubleBuffer) data[col];
      if (hi - lo + 1 > 8 * count + 512) { // sparse: read row by row
        for (int j = 0; j < count; j++) {
          out[at[j]] = doubleAt(rr[j], col);
        }
        return;
      }
      GatherScratch sc = scratch != null ? scratch : new GatherScratch();
      int spanLength = hi - lo + 1;
      if (sc.values.length < spanLength) {
        sc.values = new double[Math.max(spanLength, 2 * sc.values.length)];
      }
      double[] span = sc.values;
      values.get(lo, span, 0, spanLength);
      int w0 = lo >>> 6;
      int wordCount = (hi >>> 6) - w0 + 1;
      if (sc.words.length < wordCount) {
        sc.words = new long[Math.max(wordCount, 2 * sc.words.length)];
      }
      long[] words = sc.words;
      presence[col].get(w0, words, 0, wordCount);
      for (int j = 0; j < count; j++) {
        int r = rr[j];
        out[at[j]] = (words[(r >>> 6) - w0] & (1L << (r & 63))) != 0 ? span[r - lo] : Double.NaN;
      }
    }

    /**
     * Gathers a STRING column for the entity rows matched in this segment, as {@link #gatherDoubles}:
     * {@code out[p.at[j]] = getString(p.row[j], col)}; equal values decode to one shared {@code String}.
     *
     * @param col a STRING column
     * @param p the rows matched in this segment
     * @param out receives the values (null when missing); other entries are left alone
     */
    public void gatherStrings(int col, Picks p, String[] out) {
      IntBuffer ends = (IntBuffer) data[col];
      ByteBuffer bytes = strings[col];
      int limit = bytes.limit();
      byte[] scratch = new byte[64];
      // values of at most 8 bytes (categories, mostly) are told apart by their bytes read as one long
      // and their length: no byte loop; longer ones by a hash of their bytes and a comparison
      long[] shortWord = new long[256];
      int[] shortLen = new int[256];
      String[] shortSeen = new String[256];
      byte[][] seenBytes = new byte[256][];
      String[] seen = new String[256];
      for (int j = 0; j < p.at.length; j++) {
        int i = p.at[j];
        int r = p.row[j];
        if (!isPresent(r, col)) {
          out[i] = null;
          continue;
        }
        int from = ends.get(r);
        int len = ends.get(r + 1) - from;
        if (len <= 8 && from + 8 <= limit) {
          long w = len == 0 ? 0 : bytes.getLong(from) & (-1L >>> (64 - 8 * len));
          long x = (w ^ len) * 0x9E3779B97F4A7C15L;
          int h = (int) (x >>> 56);
          String known = shortSeen[h];
          if (known != null && shortWord[h] == w && shortLen[h] == len) {
            out[i] = known;
            continue;
          }
          String v = decode(bytes, from, len, scratch);
          shortSeen[h] = v;
          shortWord[h] = w;
          shortLen[h] = len;
          out[i] = v;
          continue;
        }
        int h = len;
        for (int k = 0; k < len; k++) { // absolute reads: no copy for the (usual) cached value
          h = 31 * h + bytes.get(from + k);
        }
        h = (h ^ (h >>> 16)) & 255;
        byte[] known = seenBytes[h];
        if (known != null && known.length == len && sameBytes(known, bytes, from)) {
          out[i] = seen[h];
        } else {
          if (len > scratch.length) {
            scratch = new byte[Math.max(len, 2 * scratch.length)];
          }
          String v = decode(bytes, from, len, scratch); // leaves the bytes in scratch
          seenBytes[h] = java.util.Arrays.copyOf(scratch, len);
          seen[h] = v;
          out[i] = v;
        }
      }
    }

    private static String decode(ByteBuffer bytes, int from, int len, byte[] scratch) {
      bytes.get(from, scratch, 0, len);
      return new String(scratch, 0, len, StandardCharsets.UTF_8);
    }

    private static boolean sameBytes(byte[] known, ByteBuffer bytes, int from) {
      for (int k = 0; k < known.length; k++) {
        if (known[k] != bytes.get(from + k)) {
          return false;
        }
      }
      return true;
    }

    /**
     * Decodes some rows into a frame.
     *
     * @param rowIndices the rows, any order
     * @return one frame row per index
     */
    public FeatureFrame frame(int[] rowIndices) {
      int n = rowIndices.length;
      FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n);
      for (int c = 0; c < schema.size(); c++) {
        Values.ColumnGather g = new Values.ColumnGather(schema.get(c), n);
        for (int i = 0; i < n; i++) {
          set(g, i, rowIndices[i], c);
        }
        g.addTo(fb);
      }
      return fb.build();
    }

    /**
     * Decodes a range of rows into a frame.
     *
     * @param from first row
     * @param to end row, exclusive
     * @return the frame
     */
    public FeatureFrame frame(int from, int to) {
      int[] idx = new int[to - from];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = from + i;
      }
      return frame(idx);
    }

    /**
     * Copies one value into a gathered column.
     *
     * @param g the column
     * @param r its row
     * @param row this segment's row
     * @param col this segment's column
     */
    public void set(Values.ColumnGather g, int r, int row, int col) {
      if (!isPresent(row, col)) {
        return;
      }
      switch (schema.get(col).type()) {
        case DOUBLE:
          g.setNumber(r, ((DoubleBuffer) data[col]).get(row));
          break;
        case LONG:
          g.setLong(r, ((LongBuffer) data[col]).get(row));
          break;
        case BOOLEAN:
          g.setBoolean(r, ((ByteBuffer) data[col]).get(row) != 0);
          break;
        case STRING:
          g.setString(r, getString(row, col));
          break;
        default:
          g.setEmbedding(r, getEmbedding(row, col));
      }
    }

    /**
     * A key column value.
     *
     * @param column 0 id, 1 event, 2 created, 3 ingested, 4 seq
     * @param row the row
     * @return the value
     */
    public long key(int column, int row) {
      return keys(column).get(row);
    }

    /**
     * A key column.
     *
     * @param column 0 id, 1 event, 2 created, 3 ingested, 4 seq
     * @return its buffer
     */
    public LongBuffer keys(int column) {
      switch (column) {
        case 0:
          return ids;
        case 1:
          return event;
        case 2:
          return created;
        case 3:
          return ingested;
        default:
          return seq;
      }
    }

    @Override
    public String toString() {
      return name + " (" + rows + " rows)";
    }
  }
}
