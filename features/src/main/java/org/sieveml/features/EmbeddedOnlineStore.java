package org.sieveml.features;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;
import org.sieveml.core.EntityKey;
import org.sieveml.features.internal.RowCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process {@link OnlineStore}: one concurrent hash map per view from entity key to its latest
 * {@link OnlineRow}. Reads take no lock (a row is an immutable object published by a volatile write);
 * writes replace a row atomically per key and only with a newer one.
 *
 * <p><b>Persistence</b> ({@link #open(Path)}): every applied write is appended to a write-ahead log in
 * the directory; {@link #sync()} makes everything written before it durable (flush and fsync), and
 * {@link #checkpoint()} writes a snapshot (to a temporary file, fsynced, then atomically renamed) and
 * starts an empty log. Both files are versioned ({@code SVMLSNP1}/{@code SVMLWAL1} headers) and every
 * record carries a CRC32C; records hold only primitives and UTF-8 text, never Java-serialized objects.
 * Reopening after a crash (even {@code kill -9} mid-write) loads the snapshot and replays the log up to
 * the first torn or corrupted record, which is cut off (and logged) — so everything acknowledged by a
 * {@code sync()} is recovered and a damaged record is never loaded. A damaged snapshot is refused with
 * an exception rather than loaded partly.
 *
 * <p>Thread-safe.
 */
public final class EmbeddedOnlineStore implements OnlineStore {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedOnlineStore.class);
  private static final byte[] WAL_MAGIC = "SVMLWAL1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SNAP_MAGIC = "SVMLSNP1".getBytes(StandardCharsets.US_ASCII);
  private static final int FORMAT_VERSION = 1;
  private static final byte ROW = 1;
  private static final byte CLEAR = 2;

  private final ConcurrentHashMap<String, ConcurrentHashMap<Object, OnlineRow>> views = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConcurrentHashMap<Object, WindowTiles>> tiles = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> marks = new ConcurrentHashMap<>();
  private final Path dir;
  private final RowCodec codec = new RowCodec();
  private final Object walLock = new Object();
  private FileChannel walChannel;
  private DataOutputStream wal;

  /** Creates an empty in-memory store. */
  public EmbeddedOnlineStore() {
    this.dir = null;
  }

  private EmbeddedOnlineStore(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir);
    Path snap = dir.resolve("online.snapshot");
    if (Files.exists(snap)) {
      loadSnapshot(snap);
    }
    Path walFile = dir.resolve("online.wal");
    long good = Files.exists(walFile) ? replayWal(walFile) : -1;
    walChannel = FileChannel.open(walFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    if (good < 0) {
      walChannel.truncate(0);
      walChannel.write(ByteBuffer.wrap(header(WAL_MAGIC)));
      walChannel.force(true);
    } else {
      walChannel.truncate(good);
      walChannel.position(good);
    }
    wal = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(walChannel), 1 << 16));
  }

  /**
   * Opens (or creates) a persistent store in a directory, recovering its snapshot and log.
   *
   * @param dir the directory (created if absent); one store per directory
   * @return the store
   * @throws UncheckedIOException if the directory cannot be used or the snapshot is damaged
   */
  public static EmbeddedOnlineStore open(Path dir) {
    if (dir == null) {
      throw new IllegalArgumentException("directory must not be null");
    }
    try {
      return new EmbeddedOnlineStore(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open online store in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int write(String view, List<OnlineRow> rows) {
    if (view == null) {
      throw new IllegalArgumentException("view is null, expected a view name");
    }
    // the whole batch is checked before any row is applied
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i) == null) {
        throw new IllegalArgumentException("rows[" + i + "] of view '" + view + "' is null, expected a row");
      }
    }
    ConcurrentHashMap<Object, OnlineRow> m = views.computeIfAbsent(view, v -> new ConcurrentHashMap<>());
    int applied = 0;
    for (OnlineRow row : rows) {
      boolean[] won = new boolean[1];
      m.compute(mapKey(row.key()), (k, old) -> {
        if (row.isNewerThan(old)) {
          won[0] = true;
          return row;
        }
        return old;
      });
      if (won[0]) {
        applied++;
        if (dir != null) {
          log(ROW, view, row);
        }
      }
    }
    return applied;
  }

  private void log(byte type, String view, OnlineRow row) {
    byte[] payload = type == ROW ? codec.encode(view, row) : view.getBytes(StandardCharsets.UTF_8);
    CRC32C crc = new CRC32C();
    crc.update(type);
    crc.update(payload);
    synchronized (walLock) {
      try {
        wal.writeInt(payload.length + 1);
        wal.writeInt((int) crc.getValue());
        wal.writeByte(type);
        wal.write(payload);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot append to the write-ahead log in " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  /** Flushes the write-ahead log and forces it to disk: every write before this call is durable. */
  @Override
  public void sync() {
    if (dir == null) {
      return;
    }
    synchronized (walLock) {
      flushAndForce("sync the write-ahead log");
    }
  }

  /**
   * Writes a snapshot of every row and starts an empty write-ahead log (a no-op in memory).
   */
  public void checkpoint() {
    if (dir == null) {
      return;
    }
    synchronized (walLock) {
      Path tmp = dir.resolve("online.snapshot.tmp");
      try {
        wal.flush();
        long count = 0;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16))) {
          out.write(header(SNAP_MAGIC));
          for (Map.Entry<String, ConcurrentHashMap<Object, OnlineRow>> v : views.entrySet()) {
            for (OnlineRow row : v.getValue().values()) {
              byte[] payload = codec.encode(v.getKey(), row);
              CRC32C crc = new CRC32C();
              crc.update(payload);
              out.writeInt(payload.length);
              out.writeInt((int) crc.getValue());
              out.write(payload);
              count++;
            }
          }
          out.writeInt(-1);
          out.writeLong(count);
          out.flush();
          ch.force(true);
        }
        Files.move(tmp, dir.resolve("online.snapshot"), StandardCopyOption.REPLACE_EXISTING,
            StandardCopyOption.ATOMIC_MOVE);
        walChannel.truncate(0);
        walChannel.position(0);
        walChannel.write(ByteBuffer.wrap(header(WAL_MAGIC)));
        walChannel.force(true);
        LOG.debug("online store checkpoint in {}: {} rows", dir, count);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot checkpoint the online store in " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  private static byte[] header(byte[] magic) {
    ByteBuffer b = ByteBuffer.allocate(12);
    b.put(magic);
    b.putInt(FORMAT_VERSION);
    return b.array();
  }

  private void loadSnapshot(Path snap) throws IOException {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(snap), 1 << 16))) {
      checkHeader(in, SNAP_MAGIC, snap);
      long count = 0;
      while (true) {
        int len = in.readInt();
        if (len == -1) {
          long expected = in.readLong();
          if (expected != count) {
            throw new IOException("snapshot " + snap + " is damaged: trailer says " + expected + " rows, read " + count);
          }
          return;
        }
        if (len <= 0 || len > 256 << 20) {
          throw new IOException("snapshot " + snap + " is damaged: bad record length " + len + " after " + count
              + " rows");
        }
        int crc = in.readInt();
        byte[] payload = new byte[len];
        in.readFully(payload);
        CRC32C c = new CRC32C();
        c.update(payload);
        if ((int) c.getValue() != crc) {
          throw new IOException("snapshot " + snap + " is damaged: checksum mismatch in record " + count);
        }
        RowCodec.Decoded d = codec.decode(new DataInputStream(new java.io.ByteArrayInputStream(payload)));
        apply(d.view(), d.row());
        count++;
      }
    } catch (java.io.EOFException e) {
      throw new IOException("snapshot " + snap + " is truncated", e);
    }
  }

  /** Replays the log; returns the offset after the last good record, or -1 if the header is bad. */
  private long replayWal(Path file) throws IOException {
    long size = Files.size(file);
    if (size < 12) {
      return -1;
    }
    long good = 12;
    long records = 0;
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      try {
        checkHeader(in, WAL_MAGIC, file);
      } catch (IOException e) {
        LOG.warn("write-ahead log {} has no valid header; starting a new one ({})", file, e.getMessage());
        return -1;
      }
      while (good < size) {
        if (size - good < 9) {
          break;
        }
        int len = in.readInt();
        int crc = in.readInt();
        if (len <= 0 || len > size - good - 8) {
          break;
        }
        byte[] body = new byte[len];
        in.readFully(body);
        CRC32C c = new CRC32C();
        c.update(body);
        if ((int) c.getValue() != crc) {
          break;
        }
        byte type = body[0];
        if (type == ROW) {
          RowCodec.Decoded d = codec.decode(new DataInputStream(new java.io.ByteArrayInputStream(body, 1, len - 1)));
          apply(d.view(), d.row());
        } else if (type == CLEAR) {
          views.remove(new String(body, 1, len - 1, StandardCharsets.UTF_8));
        } else {
          break;
        }
        good += 8 + len;
        records++;
      }
    }
    if (good < size) {
      LOG.warn("write-ahead log {}: cut off {} bytes after {} good records (a write torn by a crash, or damage)",
          file, size - good, records);
    }
    return good;
  }

  private static void checkHeader(DataInputStream in, byte[] magic, Path file) throws IOException {
    byte[] m = new byte[8];
    in.readFully(m);
    if (!java.util.Arrays.equals(m, magic)) {
      throw new IOException(file + " is not a SieveML file (expected " + new String(magic, StandardCharsets.US_ASCII)
          + ")");
    }
    int v = in.readInt();
    if (v != FORMAT_VERSION) {
      throw new IOException(file + " has format version " + v + ", this library reads " + FORMAT_VERSION);
    }
  }

  private void apply(String view, OnlineRow row) {
    views.computeIfAbsent(view, v -> new ConcurrentHashMap<>()).merge(mapKey(row.key()), row,
        (old, neu) -> neu.isNewerThan(old) ? neu : old);
  }

  @Override
  public List<OnlineRow> read(String view, List<EntityKey> keys) {
    ConcurrentHashMap<Object, OnlineRow> m = views.get(view);
    List<OnlineRow> out = new ArrayList<>(keys.size());
    for (EntityKey k : keys) {
      out.add(m == null ? null : m.get(mapKey(k)));
    }
    return out;
  }

  /**
   * Reads one key without allocating a list.
   *
   * @param view the view's name
   * @param key the key
   * @return the row or null
   */
  public OnlineRow read(String view, EntityKey key) {
    ConcurrentHashMap<Object, OnlineRow> m = views.get(view);
    return m == null ? null : m.get(mapKey(key));
  }

  /**
   * The map key of an entity key: the {@code Long} itself for a single integral key (cheaper to hash
   * and compare than the key object), else the key.
   */
  private static Object mapKey(EntityKey key) {
    if (key.size() == 1) {
      Object v = key.value(0);
      if (v instanceof Long) {
        return v;
      }
    }
    return key;
  }

  @Override
  public void addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
    ConcurrentHashMap<Object, WindowTiles> m = tiles.computeIfAbsent(view, v -> new ConcurrentHashMap<>());
    for (WindowTiles d : deltas) {
      m.compute(mapKey(d.key()), (k, old) -> WindowTiles.merge(old, d, retention));
    }
  }

  @Override
  public void putTiles(String view, List<WindowTiles> sets) {
    ConcurrentHashMap<Object, WindowTiles> m = tiles.computeIfAbsent(view, v -> new ConcurrentHashMap<>());
    for (WindowTiles t : sets) {
      if (t.size() == 0) {
        m.remove(mapKey(t.key()));
      } else {
        m.put(mapKey(t.key()), t);
      }
    }
  }

  @Override
  public List<WindowTiles> readTiles(String view, List<EntityKey> keys) {
    ConcurrentHashMap<Object, WindowTiles> m = tiles.get(view);
    List<WindowTiles> out = new ArrayList<>(keys.size());
    for (EntityKey k : keys) {
      out.add(m == null ? null : m.get(mapKey(k)));
    }
    return out;
  }

  /**
   * Reads one key's tiles without allocating a list.
   *
   * @param view the view's name
   * @param key the key
   * @return the tiles or null
   */
  public WindowTiles readTiles(String view, EntityKey key) {
    ConcurrentHashMap<Object, WindowTiles> m = tiles.get(view);
    return m == null ? null : m.get(mapKey(key));
  }

  @Override
  public void erase(String view, EntityKey key) {
    ConcurrentHashMap<Object, OnlineRow> r = views.get(view);
    if (r != null) {
      r.remove(mapKey(key));
    }
    ConcurrentHashMap<Object, WindowTiles> t = tiles.get(view);
    if (t != null) {
      t.remove(mapKey(key));
    }
  }

  @Override
  public long readMark(String name) {
    return marks.getOrDefault(name, Long.MIN_VALUE);
  }

  @Override
  public void advanceMark(String name, long value) {
    marks.merge(name, value, Math::max);
  }

  @Override
  public void clear(String view) {
    views.remove(view);
    tiles.remove(view);
    if (dir != null) {
      log(CLEAR, view, null);
    }
  }

  /** Syncs and closes the log of a persistent store. */
  @Override
  public void close() {
    if (dir == null) {
      return;
    }
    synchronized (walLock) {
      flushAndForce("close the online store");
      try {
        wal.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close the online store in " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  // caller holds walLock
  private void flushAndForce(String what) {
    try {
      wal.flush();
      walChannel.force(false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot " + what + " in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The number of rows of a view.
   *
   * @param view the view's name
   * @return rows stored
   */
  public int size(String view) {
    ConcurrentHashMap<Object, OnlineRow> m = views.get(view);
    return m == null ? 0 : m.size();
  }
}
