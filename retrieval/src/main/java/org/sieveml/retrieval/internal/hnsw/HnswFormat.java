package org.sieveml.retrieval.internal.hnsw;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The HNSW index file: a versioned header, the parameters, the graph itself (every node's id, level,
 * removed flag, vector and neighbour lists) and a trailer with the body's length and CRC32C, which is
 * verified over the whole file before any field is parsed. Every count read is checked against the bytes
 * that remain (and every neighbour against the node count) before anything is allocated. No Java
 * deserialization.
 *
 * <p>Layout of version 2, integers big-endian: {@code "SVMLHNS1"}, int version 2, int dimension,
 * writeUTF metric name, int M, int efConstruction, int default ef, double target recall (NaN: none), long
 * level seed, byte 0 (float vectors) or 1 and the int8 bounds (float lo, float hi; the codes are derived
 * from the saved floats on load), byte 1 and the last tuning (int ef, double recall, double target, int k, int queries, byte
 * reached) or byte 0, int live count at that tuning, int node count, int entry node (-1 when empty), int
 * top level; per node: byte flags (1 = removed), byte level, writeUTF id; then every node's vector
 * (dimension floats each, node order); then per node and per level 0..its level: int count and that many
 * int neighbours. Trailer: long body length, int CRC32C of the body. Version 1 (items only, the graph
 * rebuilt on load) is read by the index itself.
 *
 * <p>Thread-safety: stateless.
 */
public final class HnswFormat {
  /** The file's first bytes. */
  public static final byte[] MAGIC = "SVMLHNS1".getBytes(StandardCharsets.US_ASCII);
  /** The version this writes. */
  public static final int VERSION = 2;

  private HnswFormat() {}

  /**
   * What the header holds besides the graph.
   *
   * @param dimension the dimension
   * @param metric the metric's name
   * @param m M
   * @param efConstruction efConstruction
   * @param defaultEf the default ef
   * @param targetRecall the recall target or NaN
   * @param seed the level seed
   * @param int8Bounds {lo, hi} of an int8-quantized graph, or null
   * @param tuning the last tuning ({ef, recall, target, k, queries, reached}) or null
   * @param sizeAtTuning live items when it was tuned
   */
  public record Header(int dimension, String metric, int m, int efConstruction, int defaultEf, double targetRecall,
      long seed, float[] int8Bounds, double[] tuning, int sizeAtTuning) {}

  /**
   * Serializes a graph. The caller keeps writers out while this runs (every node below the count must
   * be published).
   *
   * @param h the header
   * @param g the graph
   * @return the file's bytes, trailer included
   */
  public static byte[] write(Header h, HnswGraph g) {
    try {
      int n = g.nodeCount();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + n * (h.dimension() * 4 + 16 + 4 * (1 + 2 * h.m())));
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(h.dimension());
      out.writeUTF(h.metric());
      out.writeInt(h.m());
      out.writeInt(h.efConstruction());
      out.writeInt(h.defaultEf());
      out.writeDouble(h.targetRecall());
      out.writeLong(h.seed());
      if (h.int8Bounds() == null) {
        out.writeByte(0);
      } else {
        out.writeByte(1);
        out.writeFloat(h.int8Bounds()[0]);
        out.writeFloat(h.int8Bounds()[1]);
      }
      double[] t = h.tuning();
      if (t == null) {
        out.writeByte(0);
      } else {
        out.writeByte(1);
        out.writeInt((int) t[0]);
        out.writeDouble(t[1]);
        out.writeDouble(t[2]);
        out.writeInt((int) t[3]);
        out.writeInt((int) t[4]);
        out.writeByte(t[5] != 0 ? 1 : 0);
      }
      out.writeInt(h.sizeAtTuning());
      out.writeInt(n);
      out.writeInt(g.entryNode());
      out.writeInt(g.maxLevel());
      for (int i = 0; i < n; i++) {
        out.writeByte(g.isDeleted(i) ? 1 : 0);
        out.writeByte(g.level(i));
        out.writeUTF(g.id(i));
      }
      ByteBuffer vec = ByteBuffer.allocate(h.dimension() * 4);
      for (int i = 0; i < n; i++) {
        vec.clear();
        vec.asFloatBuffer().put(g.vector(i));
        out.write(vec.array());
      }
      for (int i = 0; i < n; i++) {
        for (int l = 0; l <= g.level(i); l++) {
          int[] nb = g.neighbors(i, l);
          out.writeInt(nb.length);
          for (int x : nb) {
            out.writeInt(x);
          }
        }
      }
      out.flush();
      byte[] body = bytes.toByteArray();
      CRC32C crc = new CRC32C();
      crc.update(body);
      byte[] all = Arrays.copyOf(body, body.length + 12);
      ByteBuffer.wrap(all, body.length, 12).putLong(body.length).putInt((int) crc.getValue());
      return all;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes bytes to a file atomically and durably: a temporary file, forced, renamed over the target, the
   * directory forced. Once this returns a crash or power loss keeps the new file; before, the old one (or
   * none).
   *
   * @param file the target
   * @param bytes the content
   * @throws UncheckedIOException on an I/O error
   */
  public static void writeFile(Path file, byte[] bytes) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Path parent = file.toAbsolutePath().getParent();
      FileChannel dir = null;
      try {
        dir = FileChannel.open(parent, StandardOpenOption.READ);
      } catch (IOException | UnsupportedOperationException ignored) {
        // directories cannot be opened as channels here (e.g. Windows), where renames are durable on return
      }
      if (dir != null) {
        try (FileChannel d = dir) {
          d.force(true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the index to " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a whole index file and verifies its header, trailer and checksum, before any field is parsed.
   *
   * @param file the file
   * @return its bytes without the trailer, positioned after the magic
   * @throws IllegalArgumentException when it is not an index file, is truncated or fails its checksum
   * @throws UncheckedIOException on an I/O error
   */
  public static ByteBuffer readVerified(Path file) {
    byte[] all;
    try {
      long size = Files.size(file);
      if (size > Integer.MAX_VALUE - 16) {
        throw new IllegalArgumentException(file + " has " + size + " bytes, more than an index file can hold ("
            + (Integer.MAX_VALUE - 16) + ")");
      }
      all = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (all.length < MAGIC.length + 12 || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
      throw new IllegalArgumentException(file + " is not a SieveML HNSW index (expected header "
          + new String(MAGIC, StandardCharsets.US_ASCII) + ")");
    }
    ByteBuffer trailer = ByteBuffer.wrap(all, all.length - 12, 12);
    long length = trailer.getLong();
    int expected = trailer.getInt();
    if (length != all.length - 12) {
      throw new IllegalArgumentException(file + " is truncated or damaged: its trailer records " + length
          + " bytes of content, the file has " + (all.length - 12));
    }
    CRC32C crc = new CRC32C();
    crc.update(all, 0, all.length - 12);
    if ((int) crc.getValue() != expected) {
      throw new IllegalArgumentException(file + " is damaged: checksum mismatch");
    }
    ByteBuffer b = ByteBuffer.wrap(all, 0, all.length - 12);
    b.position(MAGIC.length);
    return b.slice();
  }

  /**
   * Reads a {@code writeUTF} string.
   *
   * @param b the buffer
   * @param file for messages
   * @return the string
   */
  public static String readUtf(ByteBuffer b, Path file) {
    int len = b.getShort() & 0xffff;
    if (len > b.remaining()) {
      throw new IllegalArgumentException(file + " is damaged: a string of " + len + " bytes where " + b.remaining()
          + " remain");
    }
    byte[] raw = new byte[len + 2];
    raw[0] = (byte) (len >>> 8);
    raw[1] = (byte) len;
    b.get(raw, 2, len);
    try {
      return new java.io.DataInputStream(new java.io.ByteArrayInputStream(raw)).readUTF();
    } catch (IOException e) {
      throw new IllegalArgumentException(file + " is damaged: " + e.getMessage(), e);
    }
  }

  /** A loaded version-2 file. */
  public record Loaded(Header header, HnswGraph graph) {}

  /**
   * Parses a version-2 body (after {@link #readVerified} and the version field).
   *
   * @param b the body after the version
   * @param file for messages
   * @param l2 whether the metric is L2 (else 1 - a·b)
   * @param metricName the metric's name as read by the caller
   * @param dim the dimension read by the caller
   * @param offHeapDir where a quantized graph maps its float copies
   * @return the header and graph
   * @throws IllegalArgumentException when a field is out of range, naming the file
   */
  public static Loaded readV2(ByteBuffer b, Path file, int dim, String metricName, boolean l2, Path offHeapDir) {
    try {
      int m = b.getInt();
      int efc = b.getInt();
      int ef = b.getInt();
      double target = b.getDouble();
      long seed = b.getLong();
      float[] bounds = null;
      byte quantization = b.get();
      if (quantization == 1) {
        bounds = new float[] {b.getFloat(), b.getFloat()};
        if (!Float.isFinite(bounds[0]) || !Float.isFinite(bounds[1]) || !(bounds[1] > bounds[0])) {
          throw damaged(file, "its int8 bounds " + bounds[0] + ".." + bounds[1] + " are not a finite range");
        }
      } else if (quantization != 0) {
        throw damaged(file, "quantization " + quantization + ", expected 0 (none) or 1 (int8)");
      }
      if (m < 2 || m > 512 || efc <= 0 || ef <= 0) {
        throw damaged(file, "its parameters M " + m + ", efConstruction " + efc + ", ef " + ef
            + " are out of range (expected M in 2..512, efConstruction and ef > 0)");
      }
      if (!Double.isNaN(target) && !(target > 0 && target <= 1)) {
        throw damaged(file, "its target recall " + target + " is outside (0, 1]");
      }
      double[] tuning = null;
      byte hasTuning = b.get();
      if (hasTuning == 1) {
        tuning = new double[] {b.getInt(), b.getDouble(), b.getDouble(), b.getInt(), b.getInt(), b.get()};
        if (tuning[0] <= 0 || !(tuning[1] >= 0 && tuning[1] <= 1) || !(tuning[2] > 0 && tuning[2] <= 1)
            || tuning[3] <= 0 || tuning[4] < 0 || (tuning[5] != 0 && tuning[5] != 1)) {
          throw damaged(file, "its tuning record " + Arrays.toString(tuning) + " is out of range");
        }
      } else if (hasTuning != 0) {
        throw damaged(file, "tuning flag " + hasTuning + ", expected 0 or 1");
      }
      int sizeAtTuning = b.getInt();
      int n = b.getInt();
      int entry = b.getInt();
      int top = b.getInt();
      // each node takes at least 4 bytes of header, 4*dim of vector and 4 of its level-0 count
      long perNode = 8L + 4L * dim;
      if (n < 0 || sizeAtTuning < 0 || (n > 0 && n > b.remaining() / perNode)) {
        throw damaged(file, n + " nodes of dimension " + dim + " cannot fit in the " + b.remaining()
            + " bytes that follow its header");
      }
      if (n == 0 ? (entry != -1 || top != -1) : (entry < 0 || entry >= n || top < 0 || top > HnswGraph.MAX_LEVEL)) {
        throw damaged(file, "entry node " + entry + " at level " + top + " does not fit " + n + " nodes");
      }
      byte[] flags = new byte[n];
      byte[] levels = new byte[n];
      String[] ids = new String[n];
      for (int i = 0; i < n; i++) {
        flags[i] = b.get();
        levels[i] = b.get();
        if ((flags[i] & ~1) != 0 || levels[i] < 0 || levels[i] > top) {
          throw damaged(file, "node " + i + " has flags " + flags[i] + " and level " + levels[i]
              + " (expected flags 0 or 1 and a level in 0.." + top + ")");
        }
        ids[i] = readUtf(b, file);
      }
      if (n > 0 && levels[entry] != top) {
        throw damaged(file, "entry node " + entry + " has level " + levels[entry] + ", the top level is " + top);
      }
      if ((long) n * dim * 4 > b.remaining()) {
        throw damaged(file, n + " vectors of dimension " + dim + " need " + (long) n * dim * 4 + " bytes, "
            + b.remaining() + " remain");
      }
      HnswGraph g = new HnswGraph(dim, l2, m, efc, seed, Math.max(16, n), bounds == null ? null : offHeapDir);
      if (bounds != null) {
        g.calibrate(new Int8Quantizer(bounds[0], bounds[1], dim));
      }
      float[][] vectors = new float[n][];
      java.nio.FloatBuffer fb = b.asFloatBuffer();
      // the bound the index puts on what it stores (Checks.vector): beyond it distances overflow to infinity
      double limit = Math.sqrt(Float.MAX_VALUE / (4.0 * dim));
      for (int i = 0; i < n; i++) {
        float[] v = new float[dim];
        fb.get(v);
        for (int d = 0; d < dim; d++) {
          if (!Float.isFinite(v[d]) || Math.abs(v[d]) > limit) {
            throw damaged(file, "the vector of node " + i + " [" + d + "] is " + v[d]
                + ", expected finite values of magnitude at most " + (float) limit);
          }
        }
        vectors[i] = v;
      }
      b.position(b.position() + n * dim * 4);
      for (int i = 0; i < n; i++) {
        int[][] lists = new int[levels[i] + 1][];
        for (int l = 0; l <= levels[i]; l++) {
          int count = b.getInt();
          int max = l == 0 ? 2 * m : m;
          if (count < 0 || count > max) {
            throw damaged(file, "node " + i + " has " + count + " neighbours on level " + l + ", expected 0.." + max);
          }
          int[] nb = new int[count];
          for (int j = 0; j < count; j++) {
            int x = b.getInt();
            if (x < 0 || x >= n || x == i || levels[x] < l) {
              throw damaged(file, "node " + i + " links to " + x + " on level " + l + ", which is not a node of that level");
            }
            nb[j] = x;
          }
          lists[l] = nb;
        }
        try {
          g.restore(i, ids[i], vectors[i], levels[i], flags[i] == 1, lists);
        } catch (IllegalArgumentException e) {
          throw damaged(file, e.getMessage());
        }
        vectors[i] = null;
      }
      if (b.hasRemaining()) {
        throw damaged(file, b.remaining() + " bytes follow its " + n + " nodes");
      }
      g.restoreEntry(entry, top);
      return new Loaded(new Header(dim, metricName, m, efc, ef, target, seed, bounds, tuning, sizeAtTuning), g);
    } catch (BufferUnderflowException e) {
      throw damaged(file, "it ends inside a field");
    }
  }

  private static IllegalArgumentException damaged(Path file, String what) {
    return new IllegalArgumentException(file + " is damaged: " + what);
  }
}
