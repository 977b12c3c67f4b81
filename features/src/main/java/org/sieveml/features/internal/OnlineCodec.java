package org.sieveml.features.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.sieveml.core.EntityKey;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.WindowTiles;

/**
 * The records of the embedded online store's files, format 2 and 3 (2 plus the history records 'S' and
 * 'H'): the write-ahead log
 * ({@code online-wal.log}, a {@link RecordLog}) and the snapshot ({@code online.snap}, the same framing
 * written in one pass and read strictly). Each record is one {@link Op} (a large rows or tiles op is
 * split into several records, between keys); a snapshot is the sequence of ops that rebuilds the state
 * from nothing, between a {@link Generation} record and an {@link End} record. Payloads are big endian
 * ({@link DataOutputStream} primitives, rows as {@link RowCodec} format 2); reading never runs Java
 * deserialization, and every count and length is checked against the bytes left before anything is
 * allocated.
 *
 * <p><b>Record numbers</b>: every payload starts with its record's number in its file, a long: the
 * generation record (a file's first) is number 0 and each later record is the one before plus 1
 * ({@link #encode} leaves 0 there, the writer stamps the number with {@link #number(byte[], long)} as
 * it appends; {@link #number(ByteBuffer)} reads it). The checksum of each record covers only that
 * record, so without the numbers a whole record cut cleanly out of the middle of the log would go
 * unnoticed and replay would load the records after it, a state that never existed; with them the
 * reader refuses any jump, naming the file and the offset of the first record after the gap, while a
 * torn last record is still cut as a crash's unacknowledged write. (Added to format 2 before it was
 * released: no file of format 2 without numbers was ever written by a release.)
 *
 * <pre>
 * payload = number long, then one of:
 * 'G' generation long                         the log generation a file belongs to / a snapshot covers
 * 'R' view utf, n int, n x (len int, row)      rows of one view (RowCodec bytes, view repeated inside)
 * 'A' view utf, retention, n int, n x tiles    tile adds (retention: n int, n x (length long, keepFrom long));
 *                                              in a snapshot only with n = 0: the view's latest retention
 * 'P' view utf, n int, n x tiles               tile puts (a set without tiles removes the key's tiles)
 * 'X' view utf, key                            erase one entity of a view
 * 'C' view utf                                 clear a view
 * 'M' name utf, value long                     raise a mark
 * 'T' n int, n x (len int, payload), m int,    an atomic commit (log only; format 2 files written before it
 *     m x (name utf, value long)                have none): each payload an 'R' or 'A' record without
 *                                              splitting (number 0), then marks set to their values
 * 'E' rows long, tile sets long, marks long    the end of a snapshot and what it held
 * 'S' at long                                  format 3: the following writes were applied at this time
 *                                              (Long.MIN_VALUE: they record no history)
 * 'H' since long                               format 3: the history is complete from this time on
 *                                              (Long.MIN_VALUE: none is kept; what was kept is dropped)
 * key   = count short, per join key: name utf, tag byte (1 long, 2 string), value (long | utf)
 * tiles = key, version utf, fields int, n int, per tile: length long, start long, 3 times long,
 *         (1 + 4 * fields) stats double
 * </pre>
 *
 * <p>Thread-safe (the row codec interns schemas in concurrent maps).
 */
public final class OnlineCodec {

  /** Bytes of a payload's record number, before its type byte. */
  public static final int NUMBER_BYTES = 8;
  /**
   * The format version of the log and snapshot: 3 adds the history records ({@link Stamp},
   * {@link HistoryStart}) to format 2. A file without them is still written as format 2 (readable by
   * earlier releases); a store keeping history writes format 3.
   */
  public static final int FORMAT = 3;
  /** The format of files without history records (and the oldest read, besides format 1's migration). */
  public static final int FORMAT_NO_HISTORY = 2;
  /** Magic of the write-ahead log. */
  public static final byte[] WAL_MAGIC = "SVMLONWL".getBytes(StandardCharsets.US_ASCII);
  /** Magic of the snapshot. */
  public static final byte[] SNAP_MAGIC = "SVMLONSP".getBytes(StandardCharsets.US_ASCII);
  /** The largest payload a live write puts in one record; a larger batch is split (per key atomic). */
  public static final int MAX_PAYLOAD = 16 << 20;
  /** The largest commit record: a commit is one record (never split), so it is bounded. */
  public static final int COMMIT_LIMIT = 256 << 20;


  private final RowCodec rows = new RowCodec();

  /** One record. */
  public sealed interface Op permits Generation, Rows, AddTiles, PutTiles, Erase, Clear, Mark, End, Commit, Stamp,
      HistoryStart {}

  /**
   * Format 3: the time the following writes were applied at, for as-of reads (in a log, before each
   * write of a store keeping history; in a snapshot, before each past state of a key's history).
   *
   * @param at epoch milliseconds; {@code Long.MIN_VALUE}: the following writes record no history
   */
  public record Stamp(long at) implements Op {}

  /**
   * Format 3: from when on the store's history is complete.
   *
   * @param since epoch milliseconds; {@code Long.MIN_VALUE}: no history is kept (what was kept is dropped)
   */
  public record HistoryStart(long since) implements Op {}

  /**
   * The log generation a log belongs to (its first record) or a snapshot covers.
   *
   * @param generation the generation
   */
  public record Generation(long generation) implements Op {}

  /**
   * Rows of one view.
   *
   * @param view the view
   * @param rows the rows
   */
  public record Rows(String view, List<OnlineRow> rows) implements Op {}

  /**
   * Tile deltas merged with a retention.
   *
   * @param view the view
   * @param deltas the deltas
   * @param retention the retention
   */
  public record AddTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) implements Op {}

  /**
   * Tile sets replacing keys' tiles.
   *
   * @param view the view
   * @param sets the sets
   */
  public record PutTiles(String view, List<WindowTiles> sets) implements Op {}

  /**
   * Erasure of one entity of a view.
   *
   * @param view the view
   * @param key the key
   */
  public record Erase(String view, EntityKey key) implements Op {}

  /**
   * Clearing a view.
   *
   * @param view the view
   */
  public record Clear(String view) implements Op {}

  /**
   * Raising a mark.
   *
   * @param name the mark
   * @param value the value
   */
  public record Mark(String name, long value) implements Op {}

  /**
   * An atomic commit (one record, in the log only): rows and tile adds, then marks set to their values
   * (the compare-and-set was checked before the record was written).
   *
   * @param writes rows and tile-add ops, in order
   * @param marks the marks' new values
   */
  public record Commit(List<Op> writes, List<Mark> marks) implements Op {}

  /**
   * The end of a snapshot.
   *
   * @param rows rows it held
   * @param tileSets tile sets it held
   * @param marks marks it held
   */
  public record End(long rows, long tileSets, long marks) implements Op {}

  // ================================================================== encoding

  /**
   * Encodes an op into one or more payloads, each at most about {@link #MAX_PAYLOAD} bytes (only rows
   * and tiles are split, between keys). Each payload starts with record number 0: the writer stamps
   * each with its number ({@link #number(byte[], long)}) when it knows it.
   *
   * @param op the op
   * @return the payloads
   * @throws IllegalArgumentException when a name, key or version cannot be encoded (a string over 65,535
   *     UTF-8 bytes)
   */
  public List<byte[]> encode(Op op) {
    List<byte[]> out = new ArrayList<>(1);
    try {
      if (op instanceof Rows || op instanceof AddTiles) {
        encodeWrite(out, op, MAX_PAYLOAD);
      } else if (op instanceof Commit t) {
        List<byte[]> nested = new ArrayList<>(t.writes().size());
        long size = 0;
        for (Op w : t.writes()) {
          if (!(w instanceof Rows) && !(w instanceof AddTiles)) {
            throw new IllegalArgumentException("a commit holds rows and tile adds, not " + w.getClass().getSimpleName());
          }
          List<byte[]> one = new ArrayList<>(1);
          encodeWrite(one, w, Long.MAX_VALUE); // never split: the commit is one record
          byte[] p = one.get(0);
          size += p.length + 4L;
          if (size > COMMIT_LIMIT) {
            throw new IllegalArgumentException("a commit of " + t.writes().size() + " writes takes more than "
                + COMMIT_LIMIT + " bytes; commit fewer rows at a time");
          }
          nested.add(p);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) size + 64 + 32 * t.marks().size());
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeLong(0);
        d.writeByte('T');
        d.writeInt(t.writes().size());
        for (byte[] p : nested) {
          d.writeInt(p.length);
          d.write(p);
        }
        d.writeInt(t.marks().size());
        for (Mark m : t.marks()) {
          d.writeUTF(m.name());
          d.writeLong(m.value());
        }
        out.add(bytes.toByteArray());
      } else if (op instanceof PutTiles p) {
        chunk(out, encodeTiles(p.sets()), h -> {
          h.writeLong(0);
          h.writeByte('P');
          h.writeUTF(p.view());
        }, false, MAX_PAYLOAD);
      } else {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream d = new DataOutputStream(bytes);
        d.writeLong(0); // the record number, stamped by the writer
        if (op instanceof Generation g) {
          d.writeByte('G');
          d.writeLong(g.generation());
        } else if (op instanceof Erase e) {
          d.writeByte('X');
          d.writeUTF(e.view());
          writeKey(d, e.key());
        } else if (op instanceof Clear c) {
          d.writeByte('C');
          d.writeUTF(c.view());
        } else if (op instanceof Mark m) {
          d.writeByte('M');
          d.writeUTF(m.name());
          d.writeLong(m.value());
        } else if (op instanceof Stamp st) {
          d.writeByte('S');
          d.writeLong(st.at());
        } else if (op instanceof HistoryStart h) {
          d.writeByte('H');
          d.writeLong(h.since());
        } else {
          End e = (End) op;
          d.writeByte('E');
          d.writeLong(e.rows());
          d.writeLong(e.tileSets());
          d.writeLong(e.marks());
        }
        out.add(bytes.toByteArray());
      }
    } catch (java.io.UTFDataFormatException e) {
      throw new IllegalArgumentException("a name, key or version of " + op.getClass().getSimpleName()
          + " is longer than 65535 UTF-8 bytes: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new AssertionError("in-memory stream", e);
    }
    return out;
  }

  /**
   * Stamps a payload of {@link #encode} with its record number.
   *
   * @param payload the payload
   * @param number its record's number in its file (0 for the generation record)
   * @return the payload
   */
  public static byte[] number(byte[] payload, long number) {
    ByteBuffer.wrap(payload).putLong(0, number); // big endian, as the rest of the payload
    return payload;
  }

  /**
   * The record number of a payload.
   *
   * @param payload the payload (position to limit; not changed)
   * @return its number
   * @throws IOException when the payload is too short to hold a number and a type
   */
  public static long number(ByteBuffer payload) throws IOException {
    if (payload.remaining() < NUMBER_BYTES + 1) {
      throw new IOException("record of " + payload.remaining() + " bytes, too short for its number and type");
    }
    return payload.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(payload.position());
  }

  private interface Header {
    void write(DataOutputStream d) throws IOException;
  }

  /** A rows or tile-adds op into payloads of at most about {@code limit} bytes (split between keys). */
  private void encodeWrite(List<byte[]> out, Op op, long limit) throws IOException {
    if (op instanceof Rows r) {
      List<byte[]> items = new ArrayList<>(r.rows().size());
      for (OnlineRow row : r.rows()) {
        items.add(encodeRow(r.view(), row));
      }
      chunk(out, items, h -> {
        h.writeLong(0);
        h.writeByte('R');
        h.writeUTF(r.view());
      }, true, limit);
    } else {
      AddTiles a = (AddTiles) op;
      chunk(out, encodeTiles(a.deltas()), h -> addTilesHeader(h, a), false, limit);
    }
  }

  private static void addTilesHeader(DataOutputStream h, AddTiles a) throws IOException {
    h.writeLong(0);
    h.writeByte('A');
    h.writeUTF(a.view());
    WindowTiles.Retention ret = a.retention();
    h.writeInt(ret.size());
    for (int i = 0; i < ret.size(); i++) {
      h.writeLong(ret.length(i));
      h.writeLong(ret.keepFrom(i));
    }
  }

  /** Puts items into payloads: header, count, items (each length-prefixed when {@code prefixed}). */
  private static void chunk(List<byte[]> out, List<byte[]> items, Header header, boolean prefixed, long limit)
      throws IOException {
    int i = 0;
    do {
      int from = i;
      long size = 0;
      while (i < items.size() && (i == from || size + items.get(i).length + 4 <= limit)) {
        size += items.get(i).length + 4;
        i++;
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 16, 256 + size));
      DataOutputStream d = new DataOutputStream(bytes);
      header.write(d);
      d.writeInt(i - from);
      for (int k = from; k < i; k++) {
        if (prefixed) {
          d.writeInt(items.get(k).length);
        }
        d.write(items.get(k));
      }
      out.add(bytes.toByteArray());
    } while (i < items.size());
  }

  private byte[] encodeRow(String view, OnlineRow row) throws IOException {
    checkUtf(row.version());
    for (int i = 0; i < row.key().size(); i++) {
      checkUtf(row.key().names().get(i));
      checkUtf(String.valueOf(row.key().value(i)));
    }
    try {
      return rows.encode(view, row);
    } catch (AssertionError e) { // RowCodec wraps a name longer than writeUTF allows
      throw new java.io.UTFDataFormatException("a feature name of row " + row.key() + " is too long");
    }
  }

  private static void checkUtf(String s) throws java.io.UTFDataFormatException {
    if (s.length() > 65_535 / 3 && s.getBytes(StandardCharsets.UTF_8).length > 65_535) {
      throw new java.io.UTFDataFormatException("string of " + s.length() + " chars");
    }
  }

  private static List<byte[]> encodeTiles(List<WindowTiles> sets) throws IOException {
    List<byte[]> items = new ArrayList<>(sets.size());
    for (WindowTiles t : sets) {
      items.add(encodeTiles(t));
    }
    return items;
  }

  /** Names, versions: few distinct strings, encoded once. */
  private static final java.util.concurrent.ConcurrentHashMap<String, byte[]> UTF_CACHE =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static byte[] cachedUtf(String s) throws java.io.UTFDataFormatException {
    byte[] b = UTF_CACHE.get(s);
    if (b == null) {
      b = modifiedUtf(s);
      if (UTF_CACHE.size() < 10_000) {
        UTF_CACHE.put(s, b);
      }
    }
    return b;
  }

  /** {@code DataOutputStream.writeUTF}'s bytes (length included), written straight into an array. */
  static byte[] modifiedUtf(String s) throws java.io.UTFDataFormatException {
    int n = s.length();
    int len = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      len += c >= 0x0001 && c <= 0x007F ? 1 : c > 0x07FF ? 3 : 2;
    }
    if (len > 65_535) {
      throw new java.io.UTFDataFormatException("encoded string too long: " + len + " bytes");
    }
    byte[] out = new byte[len + 2];
    out[0] = (byte) (len >>> 8);
    out[1] = (byte) len;
    int j = 2;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x0001 && c <= 0x007F) {
        out[j++] = (byte) c;
      } else if (c > 0x07FF) {
        out[j++] = (byte) (0xE0 | ((c >> 12) & 0x0F));
        out[j++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        out[j++] = (byte) (0x80 | (c & 0x3F));
      } else {
        out[j++] = (byte) (0xC0 | ((c >> 6) & 0x1F));
        out[j++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return out;
  }

  /** One tile set as {@code tiles} in the format comment: the bytes DataOutputStream would write. */
  private static byte[] encodeTiles(WindowTiles t) throws IOException {
    EntityKey key = t.key();
    int size = 2;
    byte[][] parts = new byte[key.size() * 2][];
    for (int i = 0; i < key.size(); i++) {
      parts[2 * i] = cachedUtf(key.names().get(i));
      Object v = key.value(i);
      parts[2 * i + 1] = v instanceof Long || v instanceof Integer ? null : modifiedUtf(String.valueOf(v));
      size += parts[2 * i].length + 1 + (parts[2 * i + 1] == null ? 8 : parts[2 * i + 1].length);
    }
    byte[] version = cachedUtf(t.version());
    int w = t.width();
    size += version.length + 8 + t.size() * (16 + 8 * WindowTiles.TIMES + 8 * w);
    ByteBuffer b = ByteBuffer.allocate(size); // big endian, as DataOutputStream
    b.putShort((short) key.size());
    for (int i = 0; i < key.size(); i++) {
      b.put(parts[2 * i]);
      if (parts[2 * i + 1] == null) {
        b.put((byte) 1).putLong(((Number) key.value(i)).longValue());
      } else {
        b.put((byte) 2).put(parts[2 * i + 1]);
      }
    }
    b.put(version).putInt(t.fields()).putInt(t.size());
    for (int i = 0; i < t.size(); i++) {
      b.putLong(t.length(i)).putLong(t.start(i));
      for (int k = 0; k < WindowTiles.TIMES; k++) {
        b.putLong(t.time(i, k));
      }
      for (int k = 0; k < w; k++) {
        b.putLong(Double.doubleToLongBits(t.stat(i, k))); // writeDouble's canonical NaN
      }
    }
    return b.array();
  }


  private static void writeKey(DataOutputStream d, EntityKey key) throws IOException {
    RowCodec.writeKey(d, key);
  }

  // ================================================================== decoding

  /**
   * Decodes one record (its number is skipped: see {@link #number(ByteBuffer)}).
   *
   * @param payload the payload (position to limit; not changed)
   * @return the op
   * @throws IOException saying what is wrong when the bytes are not a valid record
   */
  public Op decode(ByteBuffer payload) throws IOException {
    byte[] b;
    int off;
    int len = payload.remaining();
    if (payload.hasArray()) {
      b = payload.array();
      off = payload.arrayOffset() + payload.position();
    } else {
      b = new byte[len];
      payload.duplicate().get(b);
      off = 0;
    }
    ByteArrayInputStream bytes = new ByteArrayInputStream(b, off, len);
    DataInputStream in = new DataInputStream(bytes);
    if (len < NUMBER_BYTES + 1) {
      throw new IOException("record of " + len + " bytes, too short for its number and type");
    }
    in.readLong(); // the record number
    byte type = in.readByte();
    Op op;
    try {
      switch (type) {
        case 'G':
          op = new Generation(in.readLong());
          break;
        case 'R': {
          String view = in.readUTF();
          int n = count(in, bytes, 4, "rows");
          List<OnlineRow> list = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            int rl = in.readInt();
            if (rl < 0 || rl > bytes.available()) {
              throw new IOException("row " + i + " has length " + rl + ", " + bytes.available() + " bytes left");
            }
            int at = off + len - bytes.available();
            RowCodec.Decoded d = rows.decode(b, at, rl);
            in.skipNBytes(rl);
            if (!d.view().equals(view)) {
              throw new IOException("row " + i + " names view '" + d.view() + "' in a record of view '" + view + "'");
            }
            list.add(d.row());
          }
          op = new Rows(view, list);
          break;
        }
        case 'A': {
          String view = in.readUTF();
          int n = count(in, bytes, 16, "retention lengths");
          long[] lengths = new long[n];
          long[] keep = new long[n];
          for (int i = 0; i < n; i++) {
            lengths[i] = in.readLong();
            keep[i] = in.readLong();
          }
          op = new AddTiles(view, readTileSets(in, bytes), WindowTiles.Retention.of(lengths, keep));
          break;
        }
        case 'P': {
          String view = in.readUTF();
          op = new PutTiles(view, readTileSets(in, bytes));
          break;
        }
        case 'X': {
          String view = in.readUTF();
          op = new Erase(view, readKey(in));
          break;
        }
        case 'C':
          op = new Clear(in.readUTF());
          break;
        case 'M':
          op = new Mark(in.readUTF(), in.readLong());
          break;
        case 'E':
          op = new End(in.readLong(), in.readLong(), in.readLong());
          break;
        case 'S':
          op = new Stamp(in.readLong());
          break;
        case 'H':
          op = new HistoryStart(in.readLong());
          break;
        case 'T': {
          int n = count(in, bytes, 4 + NUMBER_BYTES + 1, "commit writes");
          List<Op> writes = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            int wl = in.readInt();
            if (wl < NUMBER_BYTES + 1 || wl > bytes.available()) {
              throw new IOException("write " + i + " of a commit has length " + wl + ", " + bytes.available()
                  + " bytes left");
            }
            int at = off + len - bytes.available();
            byte kind = b[at + NUMBER_BYTES];
            if (kind != 'R' && kind != 'A') {
              throw new IOException("write " + i + " of a commit has type " + (kind & 0xff) + ", expected rows or tiles");
            }
            writes.add(decode(ByteBuffer.wrap(b, at, wl)));
            in.skipNBytes(wl);
          }
          int m = count(in, bytes, 10, "commit marks");
          List<Mark> marks = new ArrayList<>(m);
          for (int i = 0; i < m; i++) {
            marks.add(new Mark(in.readUTF(), in.readLong()));
          }
          op = new Commit(writes, marks);
          break;
        }
        default:
          throw new IOException("unknown record type " + (type & 0xff));
      }
    } catch (java.io.EOFException e) {
      throw new IOException("record of type '" + (char) type + "' ends early (" + len + " bytes)", e);
    } catch (IllegalArgumentException | IllegalStateException e) { // from the value types' own checks
      throw new IOException("record of type '" + (char) type + "' holds invalid values: " + e.getMessage(), e);
    }
    if (bytes.available() != 0) {
      throw new IOException("record of type '" + (char) type + "' has " + bytes.available() + " bytes after its end");
    }
    return op;
  }

  /** Reads a count of items of at least {@code minBytes} each, checked against the bytes left. */
  private static int count(DataInputStream in, ByteArrayInputStream bytes, int minBytes, String what)
      throws IOException {
    int n = in.readInt();
    if (n < 0 || (long) n * minBytes > bytes.available()) {
      throw new IOException("count of " + what + " is " + n + ", only " + bytes.available() + " bytes left");
    }
    return n;
  }

  private static List<WindowTiles> readTileSets(DataInputStream in, ByteArrayInputStream bytes) throws IOException {
    int sets = count(in, bytes, 13, "tile sets");
    List<WindowTiles> out = new ArrayList<>(sets);
    for (int s = 0; s < sets; s++) {
      EntityKey key = readKey(in);
      String version = in.readUTF();
      int fields = in.readInt();
      if (fields < 0 || fields > 10_000) {
        throw new IOException("tile set " + s + " has " + fields + " fields, expected 0..10000");
      }
      int w = 1 + 4 * fields;
      int n = count(in, bytes, 16 + 8 * WindowTiles.TIMES + 8 * w, "tiles");
      long[] lengths = new long[n];
      long[] starts = new long[n];
      long[] times = new long[n * WindowTiles.TIMES];
      double[] stats = new double[n * w];
      for (int i = 0; i < n; i++) {
        lengths[i] = in.readLong();
        starts[i] = in.readLong();
        for (int k = 0; k < WindowTiles.TIMES; k++) {
          times[i * WindowTiles.TIMES + k] = in.readLong();
        }
        for (int k = 0; k < w; k++) {
          stats[i * w + k] = in.readDouble();
        }
      }
      out.add(WindowTiles.of(key, version, fields, lengths, starts, times, stats));
    }
    return out;
  }

  private static EntityKey readKey(DataInputStream in) throws IOException {
    return RowCodec.readKey(in);
  }

  // ================================================================== framing of a snapshot

  /**
   * The 16-byte header of a record file ({@link RecordLog}'s layout).
   *
   * @param magic 8 bytes
   * @param version the format version
   * @return the header
   */
  public static byte[] header(byte[] magic, int version) {
    ByteBuffer h = ByteBuffer.allocate(RecordLog.HEADER).order(ByteOrder.LITTLE_ENDIAN);
    h.put(magic).putInt(version);
    CRC32C c = new CRC32C();
    c.update(h.array(), 0, 12);
    h.putInt((int) c.getValue());
    return h.array();
  }

  /**
   * Writes one record in {@link RecordLog}'s framing.
   *
   * @param out the stream
   * @param payload the payload
   * @return bytes written
   * @throws IOException on an I/O error
   */
  public static int writeRecord(OutputStream out, byte[] payload) throws IOException {
    ByteBuffer rh = ByteBuffer.allocate(RecordLog.RECORD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    rh.putInt(RecordLog.MARKER).putInt(payload.length);
    CRC32C c = new CRC32C();
    c.update(rh.array(), 4, 4);
    c.update(payload);
    rh.putInt((int) c.getValue());
    out.write(rh.array());
    out.write(payload);
    return RecordLog.RECORD_HEADER + payload.length;
  }

  /** Receives the records of a strictly read file with their offsets. */
  public interface RecordSink {
    /**
     * One record.
     *
     * @param offset where its record header starts
     * @param payload its payload
     * @throws IOException to refuse the file (the reader names the file and offset)
     */
    void accept(long offset, ByteBuffer payload) throws IOException;
  }

  /**
   * Reads a whole record file that must be intact (a snapshot: it was forced before it got its name,
   * so any damage, a cut tail included, is refused). Reads streaming: memory is one record.
   *
   * @param in the file's bytes
   * @param size the file's size
   * @param file its name, for messages
   * @param magic expected magic
   * @param version expected format version
   * @param sink receives each record
   * @throws IOException on an I/O error
   * @throws org.sieveml.features.StorageCorruptedException naming the file and offset on any damage or
   *     when the sink refuses a record
   */
  public static void readStrict(java.io.InputStream in, long size, java.nio.file.Path file, byte[] magic,
      int version, RecordSink sink) throws IOException {
    readStrict(in, size, file, magic, version, version, sink);
  }

  /**
   * Reads a whole record file that must be intact, as {@link #readStrict(java.io.InputStream, long,
   * java.nio.file.Path, byte[], int, RecordSink)} does, accepting the format versions from
   * {@code oldestVersion} to {@code version}.
   *
   * @param in the file's bytes
   * @param size the file's size
   * @param file its name, for messages
   * @param magic expected magic
   * @param oldestVersion the oldest format version accepted
   * @param version the newest format version accepted
   * @param sink receives each record
   * @return the file's format version
   * @throws IOException on an I/O error
   * @throws org.sieveml.features.StorageCorruptedException naming the file and offset on any damage or
   *     when the sink refuses a record
   */
  public static int readStrict(java.io.InputStream in, long size, java.nio.file.Path file, byte[] magic,
      int oldestVersion, int version, RecordSink sink) throws IOException {
    DataInputStream d = new DataInputStream(in);
    if (size < RecordLog.HEADER) {
      throw new org.sieveml.features.StorageCorruptedException(file, 0, "file of " + size
          + " bytes has no complete header");
    }
    byte[] h = new byte[RecordLog.HEADER];
    d.readFully(h);
    int fileVersion = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
    if (fileVersion >= oldestVersion && fileVersion < version) {
      version = fileVersion;
    }
    if (!java.util.Arrays.equals(h, header(magic, version))) {
      ByteBuffer hb = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN);
      String what = !java.util.Arrays.equals(h, 0, 8, magic, 0, 8) ? "not a SieveML "
          + new String(magic, StandardCharsets.US_ASCII) + " file (magic "
          + new String(h, 0, 8, StandardCharsets.ISO_8859_1) + ")"
          : hb.getInt(8) != version ? "format version " + hb.getInt(8) + ", this library reads " + version
          : "header checksum mismatch";
      throw new org.sieveml.features.StorageCorruptedException(file, 0, what);
    }
    long pos = RecordLog.HEADER;
    byte[] rh = new byte[RecordLog.RECORD_HEADER];
    while (pos < size) {
      if (size - pos < RecordLog.RECORD_HEADER) {
        throw new org.sieveml.features.StorageCorruptedException(file, pos, "record header cut short ("
            + (size - pos) + " bytes)");
      }
      d.readFully(rh);
      ByteBuffer r = ByteBuffer.wrap(rh).order(ByteOrder.LITTLE_ENDIAN);
      int len = r.getInt(4);
      if (r.getInt(0) != RecordLog.MARKER) {
        throw new org.sieveml.features.StorageCorruptedException(file, pos, "bad record marker");
      }
      if (len < 0 || len > size - pos - RecordLog.RECORD_HEADER) {
        throw new org.sieveml.features.StorageCorruptedException(file, pos, "record length " + len + " with "
            + (size - pos - RecordLog.RECORD_HEADER) + " bytes left");
      }
      byte[] payload = new byte[len];
      d.readFully(payload);
      CRC32C c = new CRC32C();
      c.update(rh, 4, 4);
      c.update(payload);
      if ((int) c.getValue() != r.getInt(8)) {
        throw new org.sieveml.features.StorageCorruptedException(file, pos, "record checksum mismatch");
      }
      try {
        sink.accept(pos, ByteBuffer.wrap(payload));
      } catch (org.sieveml.features.StorageCorruptedException e) {
        throw e;
      } catch (IOException e) {
        throw new org.sieveml.features.StorageCorruptedException(file, pos, e.getMessage());
      }
      pos += RecordLog.RECORD_HEADER + len;
    }
    return version;
  }

  // ================================================================== format 1 (read only)

  /** Magic of a format 1 write-ahead log ({@code online.wal}). */
  public static final byte[] LEGACY_WAL_MAGIC = "SVMLWAL1".getBytes(StandardCharsets.US_ASCII);
  /** Magic of a format 1 snapshot ({@code online.snapshot}). */
  public static final byte[] LEGACY_SNAP_MAGIC = "SVMLSNP1".getBytes(StandardCharsets.US_ASCII);

  /** Receives decoded ops. */
  public interface OpSink {
    /**
     * One op.
     *
     * @param op the op
     */
    void accept(Op op);
  }

  /**
   * Reads a format 1 snapshot (big endian: magic, version 1; records of length, CRC32C of the payload,
   * a {@link RowCodec} format 1 row; then -1 and the row count). Any damage is refused.
   *
   * @param bytes the file's content
   * @param file its name, for messages
   * @param sink receives one {@link Rows} op per row
   * @throws org.sieveml.features.StorageCorruptedException naming the file on any damage
   */
  public static void readLegacySnapshot(byte[] bytes, java.nio.file.Path file, OpSink sink) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    legacyHeader(b, LEGACY_SNAP_MAGIC, file);
    RowCodec v1 = new RowCodec(1);
    long count = 0;
    while (true) {
      int at = b.position();
      if (b.remaining() < 4) {
        throw new org.sieveml.features.StorageCorruptedException(file, at, "format 1 snapshot is truncated after "
            + count + " rows");
      }
      int len = b.getInt();
      if (len == -1) {
        if (b.remaining() != 8 || b.getLong() != count) {
          throw new org.sieveml.features.StorageCorruptedException(file, at, "format 1 snapshot trailer does not "
              + "match the " + count + " rows read");
        }
        return;
      }
      if (len <= 0 || b.remaining() < 4L + len) {
        throw new org.sieveml.features.StorageCorruptedException(file, at, "format 1 snapshot record length " + len
            + " with " + b.remaining() + " bytes left");
      }
      int crc = b.getInt();
      CRC32C c = new CRC32C();
      c.update(bytes, b.position(), len);
      if ((int) c.getValue() != crc) {
        throw new org.sieveml.features.StorageCorruptedException(file, at, "checksum mismatch in format 1 row "
            + count);
      }
      sink.accept(legacyRow(v1, bytes, b.position(), len, file, at));
      b.position(b.position() + len);
      count++;
    }
  }

  /**
   * Reads a format 1 write-ahead log (big endian: magic, version 1; records of length, CRC32C of type
   * and payload, type 1 row or 2 clear, payload). A damaged record with no intact record after it is a
   * torn write and ends the log; damage followed by an intact record is refused.
   *
   * @param bytes the file's content
   * @param file its name, for messages
   * @param sink receives the ops
   * @return the number of bytes of a torn tail that were ignored
   * @throws org.sieveml.features.StorageCorruptedException naming the file and offset on damage
   */
  public static long readLegacyWal(byte[] bytes, java.nio.file.Path file, OpSink sink) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (bytes.length < 12) {
      return bytes.length; // a header torn at creation: nothing was ever logged after it
    }
    legacyHeader(b, LEGACY_WAL_MAGIC, file);
    RowCodec v1 = new RowCodec(1);
    while (b.hasRemaining()) {
      int at = b.position();
      String problem = null;
      int len = -1;
      if (b.remaining() < 9) {
        problem = "record header cut short";
      } else {
        len = b.getInt();
        int crc = b.getInt();
        if (len <= 0 || len > b.remaining()) {
          problem = "record length " + len + " with " + b.remaining() + " bytes left";
        } else {
          CRC32C c = new CRC32C();
          c.update(bytes, b.position(), len);
          byte type = bytes[b.position()];
          if ((int) c.getValue() != crc) {
            problem = "record checksum mismatch";
          } else if (type != 1 && type != 2) {
            problem = "unknown record type " + type;
          } else if (type == 1) {
            sink.accept(legacyRow(v1, bytes, b.position() + 1, len - 1, file, at));
          } else {
            sink.accept(new Clear(new String(bytes, b.position() + 1, len - 1, StandardCharsets.UTF_8)));
          }
        }
      }
      if (problem != null) {
        int next = legacyIntactRecord(bytes, at + 1);
        if (next < 0) {
          return bytes.length - at;
        }
        throw new org.sieveml.features.StorageCorruptedException(file, at, problem + ", and an intact record "
            + "follows at byte " + next + ": refusing to drop it");
      }
      b.position(at + 8 + len);
    }
    return 0;
  }

  /** The offset of the first intact format 1 log record at or after {@code from}, or -1. */
  private static int legacyIntactRecord(byte[] bytes, int from) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    for (int p = from; p + 9 <= bytes.length; p++) {
      int len = b.getInt(p);
      byte type = bytes[p + 8];
      if (len <= 0 || len > bytes.length - p - 8 || (type != 1 && type != 2)) {
        continue;
      }
      CRC32C c = new CRC32C();
      c.update(bytes, p + 8, len);
      if ((int) c.getValue() == b.getInt(p + 4)) {
        return p;
      }
    }
    return -1;
  }

  private static Op legacyRow(RowCodec v1, byte[] bytes, int off, int len, java.nio.file.Path file, long at) {
    try {
      RowCodec.Decoded d = v1.decode(bytes, off, len);
      return new Rows(d.view(), List.of(d.row()));
    } catch (IOException | RuntimeException e) {
      throw new org.sieveml.features.StorageCorruptedException(file, at, "format 1 row does not decode: " + e);
    }
  }

  private static void legacyHeader(ByteBuffer b, byte[] magic, java.nio.file.Path file) {
    byte[] m = new byte[8];
    if (b.remaining() < 12) {
      throw new org.sieveml.features.StorageCorruptedException(file, 0, "format 1 file of " + b.remaining()
          + " bytes has no complete header");
    }
    b.get(m);
    if (!java.util.Arrays.equals(m, magic)) {
      throw new org.sieveml.features.StorageCorruptedException(file, 0, "not a SieveML "
          + new String(magic, StandardCharsets.US_ASCII) + " file");
    }
    int v = b.getInt();
    if (v != 1) {
      throw new org.sieveml.features.StorageCorruptedException(file, 8, "format version " + v
          + " under a format 1 name, expected 1");
    }
  }
}
