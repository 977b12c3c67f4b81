package org.sieveml.features.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.sieveml.features.StorageCorruptedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only file of checksummed records: the offline log's write-ahead log and the entity key
 * logs. Format (little endian):
 *
 * <pre>
 * header  magic (8 bytes) | version int | crc32c of the previous 12 bytes int
 * record  marker 0x5356524C int | length int | crc32c of (length, payload) int | payload
 * </pre>
 *
 * <p>Recovery: a record cut short or failing its checksum at the very end of the file, with no intact
 * record after it, is a torn write that was never acknowledged; it is cut off and logged. A damaged
 * record followed by an intact one, or a damaged header of a file that has records, is refused with
 * a {@link StorageCorruptedException} naming the file and offset: intact data is never dropped
 * silently. A crash loses only records not yet forced; a power loss the same, since every
 * acknowledged record was forced before it was acknowledged.
 *
 * <p>Thread-safe: appends and forces are serialized; concurrent callers of {@link #force} share one
 * {@code fsync} (group commit).
 */
public final class RecordLog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RecordLog.class);
  static final int HEADER = 16;
  static final int MARKER = 0x5356524C;
  static final int RECORD_HEADER = 12;
  /** The largest record accepted, checked before allocating. */
  public static final int MAX_RECORD = 1 << 30;

  private final Path file;
  private final FileIo io;
  private final byte[] magic;
  /** The file's format version (the one written when it is created or {@link #reset(int) reset}). */
  private int version;
  /** The oldest format version {@link #open} accepts in an existing file's header. */
  private int oldestVersion;
  private FileChannel channel;
  private long end;
  private volatile long written;
  private volatile long forced;
  private final Object forceLock = new Object();
  private volatile boolean dirSyncPending; // a rename whose directory sync failed: done before the next force

  private RecordLog(Path file, FileIo io, byte[] magic, int version) {
    this.file = file;
    this.io = io;
    this.magic = magic;
    this.version = version;
    this.oldestVersion = version;
  }

  /**
   * Opens (creating if absent) a log, returning its intact records.
   *
   * @param file the file
   * @param io file operations
   * @param magic 8 bytes naming the kind of log
   * @param version the format version
   * @param records receives each intact record's payload in order
   * @return the open log, positioned after the last intact record
   * @throws IOException on an I/O error
   * @throws StorageCorruptedException when intact data follows damage
   */
  public static RecordLog open(Path file, FileIo io, byte[] magic, int version, List<ByteBuffer> records)
      throws IOException {
    return open(file, io, magic, version, records, null);
  }

  /**
   * Opens (creating if absent) a log, returning its intact records, each checked by the caller before
   * anything in the file changes: a refused record leaves the file exactly as it was.
   *
   * @param file the file
   * @param io file operations
   * @param magic 8 bytes naming the kind of log
   * @param version the format version
   * @param records receives each intact record's payload in order
   * @param check called with each intact record (a duplicate) in order; throws to refuse the file; or null
   * @return the open log, positioned after the last intact record
   * @throws IOException on an I/O error
   * @throws StorageCorruptedException when intact data follows damage, or from {@code check}
   */
  public static RecordLog open(Path file, FileIo io, byte[] magic, int version, List<ByteBuffer> records,
      java.util.function.Consumer<ByteBuffer> check) throws IOException {
    return open(file, io, magic, version, records, check, null);
  }

  /**
   * Opens (or creates) a log as {@link #open(Path, FileIo, byte[], int, List, java.util.function.Consumer)}
   * does, or, given a {@link Salvage}, in salvage mode: a damaged header, a damaged record followed by
   * an intact one, and a record {@code check} refuses with a {@link StorageCorruptedException} are
   * skipped and reported instead of refusing the file; when anything was skipped the file is first
   * copied aside ({@link Salvage#preserve}) and then rewritten with only the intact records (the
   * caller then makes them durable elsewhere and resets the log).
   *
   * @param file the file
   * @param io file operations
   * @param magic 8 bytes naming the kind of log
   * @param version the format version
   * @param records receives each intact (and, in salvage mode, accepted) record's payload in order
   * @param check called with each intact record (a duplicate) in order; throws to refuse it; or null
   * @param salvage collects what was skipped, or null for the default (refusing) mode
   * @return the open log, positioned after the last intact record
   * @throws IOException on an I/O error
   * @throws StorageCorruptedException when intact data follows damage (default mode), or from {@code check}
   */
  public static RecordLog open(Path file, FileIo io, byte[] magic, int version, List<ByteBuffer> records,
      java.util.function.Consumer<ByteBuffer> check, Salvage salvage) throws IOException {
    return open(file, io, magic, version, version, records, check, salvage);
  }

  /**
   * Opens a log as {@link #open(Path, FileIo, byte[], int, List, java.util.function.Consumer, Salvage)}
   * does, accepting an existing file of any format version from {@code oldestVersion} to
   * {@code version} ({@link #version()} then says which); a new file gets {@code version}.
   *
   * @param file the file
   * @param io file operations
   * @param magic 8 bytes naming the kind of log
   * @param version the format version of new files, and the newest accepted
   * @param oldestVersion the oldest format version accepted
   * @param records receives each intact (and, in salvage mode, accepted) record's payload in order
   * @param check called with each intact record (a duplicate) in order; throws to refuse it; or null
   * @param salvage collects what was skipped, or null for the default (refusing) mode
   * @return the open log, positioned after the last intact record
   * @throws IOException on an I/O error
   * @throws StorageCorruptedException when intact data follows damage (default mode), or from {@code check}
   */
  public static RecordLog open(Path file, FileIo io, byte[] magic, int version, int oldestVersion,
      List<ByteBuffer> records, java.util.function.Consumer<ByteBuffer> check, Salvage salvage) throws IOException {
    RecordLog log = new RecordLog(file, io, magic, version);
    log.oldestVersion = oldestVersion;
    boolean existed = Files.exists(file);
    log.channel = io.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long size = log.channel.size();
      if (!existed || size < HEADER) {
        if (existed && size > 0) {
          LOG.warn("{}: header cut short at {} bytes by a crash during creation; starting it again", file, size);
        }
        log.channel.truncate(0);
        ByteBuffer h = log.header();
        while (h.hasRemaining()) {
          log.channel.write(h, h.position());
        }
        log.channel.force(true);
        io.syncDirectory(file.getParent());
        log.end = HEADER;
      } else {
        log.recover(size, records, check, salvage);
      }
    } catch (IOException | RuntimeException e) {
      try {
        log.channel.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    log.written = log.end;
    log.forced = log.end;
    return log;
  }

  private ByteBuffer header() {
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    h.put(magic).putInt(version);
    CRC32C c = new CRC32C();
    c.update(h.array(), 0, 12);
    h.putInt((int) c.getValue());
    h.flip();
    return h;
  }

  private void recover(long size, List<ByteBuffer> out, java.util.function.Consumer<ByteBuffer> check,
      Salvage salvage) throws IOException {
    int skippedBefore = salvage == null ? 0 : salvage.count();
    List<long[]> spans = new ArrayList<>(); // offset and length of each intact record in out
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    readFully(h, 0);
    h.flip();
    int fileVersion = h.getInt(8);
    if (fileVersion >= oldestVersion && fileVersion < version) {
      version = fileVersion; // an older format this reader accepts: the file keeps it until reset
    }
    ByteBuffer expected = header();
    if (!h.equals(expected)) {
      byte[] m = new byte[8];
      h.get(0, m);
      String what = !java.util.Arrays.equals(m, magic)
          ? "magic " + new String(m, StandardCharsets.ISO_8859_1) + ", expected " + new String(magic,
              StandardCharsets.US_ASCII)
          : h.getInt(8) != version ? "format version " + h.getInt(8) + ", this library reads "
              + (oldestVersion == version ? Integer.toString(version) : oldestVersion + " to " + version)
          : "header checksum mismatch";
      if (salvage == null) {
        throw new StorageCorruptedException(file, 0, what + "; the file holds " + (size - HEADER)
            + " bytes of records, refusing to reset it");
      }
      salvage.skip(file, 0, HEADER, "header: " + what);
    }
    long pos = HEADER;
    long tornAt = -1;
    String tornProblem = null;
    ByteBuffer rh = ByteBuffer.allocate(RECORD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    while (pos < size) {
      String problem = null;
      long remaining = size - pos;
      ByteBuffer payload = null;
      if (remaining < RECORD_HEADER) {
        problem = "record header cut short (" + remaining + " bytes)";
      } else {
        rh.clear();
        readFully(rh, pos);
        int marker = rh.getInt(0);
        int len = rh.getInt(4);
        int crc = rh.getInt(8);
        if (marker != MARKER) {
          problem = "bad record marker";
        } else if (len < 0 || len > MAX_RECORD) {
          problem = "record length " + len + " outside [0, " + MAX_RECORD + "]";
        } else if (len > remaining - RECORD_HEADER) {
          problem = "record of " + len + " bytes cut short (" + (remaining - RECORD_HEADER) + " present)";
        } else {
          payload = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
          readFully(payload, pos + RECORD_HEADER);
          CRC32C c = new CRC32C();
          c.update(rh.array(), 4, 4);
          c.update(payload.array(), 0, len);
          if ((int) c.getValue() != crc) {
            problem = "record checksum mismatch";
          }
        }
      }
      if (problem != null) {
        long next = findIntactRecord(pos + 1, size);
        if (next >= 0) {
          if (salvage == null) {
            throw new StorageCorruptedException(file, pos, problem + ", and an intact record follows at byte " + next
                + ": refusing to drop it");
          }
          salvage.skip(file, pos, next - pos, problem);
          pos = next;
          continue;
        }
        tornAt = pos;
        tornProblem = problem;
        break;
      }
      payload.rewind();
      out.add(payload);
      spans.add(new long[] {pos, RECORD_HEADER + payload.capacity()});
      pos += RECORD_HEADER + payload.capacity();
    }
    if (check != null) {
      List<ByteBuffer> accepted = new ArrayList<>(out.size());
      for (int i = 0; i < out.size(); i++) { // the caller's checks run before anything in the file changes
        ByteBuffer r = out.get(i);
        try {
          check.accept(r.duplicate().order(ByteOrder.LITTLE_ENDIAN));
          accepted.add(r);
        } catch (StorageCorruptedException e) {
          if (salvage == null) {
            throw e;
          }
          salvage.skip(file, spans.get(i)[0], spans.get(i)[1], e.getMessage());
        }
      }
      out.clear();
      out.addAll(accepted);
    }
    if (salvage != null && salvage.count() > skippedBefore) {
      salvage.preserve(file, io); // every byte of the damaged file is kept before it changes
      end = pos;
      replaceWith(out);
      return;
    }
    if (tornAt >= 0) {
      LOG.warn("{}: {} at byte {} ({} bytes to the end, no intact record after it): a write torn by a crash, "
          + "never acknowledged; cutting it off", file, tornProblem, tornAt, size - tornAt);
      channel.truncate(tornAt);
      channel.force(true);
    }
    end = pos;
  }

  /** The offset of the first intact record at or after {@code from}, or -1. */
  private long findIntactRecord(long from, long size) throws IOException {
    ByteBuffer rh = ByteBuffer.allocate(RECORD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer four = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    for (long p = from; p + RECORD_HEADER <= size; p++) {
      four.clear();
      readFully(four, p);
      if (four.getInt(0) != MARKER) {
        continue;
      }
      rh.clear();
      readFully(rh, p);
      int len = rh.getInt(4);
      if (len < 0 || len > size - p - RECORD_HEADER) {
        continue;
      }
      ByteBuffer payload = ByteBuffer.allocate(len);
      readFully(payload, p + RECORD_HEADER);
      CRC32C c = new CRC32C();
      c.update(rh.array(), 4, 4);
      c.update(payload.array(), 0, len);
      if ((int) c.getValue() == rh.getInt(8)) {
        return p;
      }
    }
    return -1;
  }

  private void readFully(ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int k = channel.read(b, pos + b.position());
      if (k < 0) {
        throw new StorageCorruptedException(file, pos, "unexpected end of file");
      }
    }
  }

  /**
   * Appends a record (not yet forced). On an I/O error the file is cut back to its previous end.
   *
   * @param payload the bytes, position to limit
   * @return the end offset after the record, for {@link #force(long)}
   * @throws IOException on an I/O error
   */
  public synchronized long append(ByteBuffer payload) throws IOException {
    int len = payload.remaining();
    if (len > MAX_RECORD) {
      throw new IllegalArgumentException("record of " + len + " bytes exceeds " + MAX_RECORD);
    }
    ByteBuffer rh = ByteBuffer.allocate(RECORD_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    rh.putInt(MARKER).putInt(len);
    CRC32C c = new CRC32C();
    c.update(rh.array(), 4, 4);
    c.update(payload.duplicate());
    rh.putInt((int) c.getValue());
    rh.flip();
    long start = end;
    try {
      long p = start;
      while (rh.hasRemaining()) {
        p += channel.write(rh, p);
      }
      while (payload.hasRemaining()) {
        p += channel.write(payload, p);
      }
      end = p;
    } catch (IOException e) {
      try {
        channel.truncate(start);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    written = end;
    return end;
  }

  /**
   * Forces every record up to {@code upTo} to stable storage; concurrent callers share one fsync.
   *
   * @param upTo an offset returned by {@link #append}
   * @throws IOException on an I/O error
   */
  public void force(long upTo) throws IOException {
    if (forced >= upTo && !dirSyncPending) {
      return;
    }
    synchronized (forceLock) {
      if (forced >= upTo && !dirSyncPending) {
        return;
      }
      long target = written;
      channel.force(false);
      syncDirectoryIfPending();
      forced = target;
    }
  }

  /**
   * Forces everything appended so far.
   *
   * @throws IOException on an I/O error
   */
  public void force() throws IOException {
    force(written);
  }

  /**
   * Whether appended records are not yet forced.
   *
   * @return true when a force is due
   */
  public boolean dirty() {
    return forced < written || dirSyncPending;
  }

  /**
   * Drops every record (after their contents became durable elsewhere) and forces the file.
   *
   * @throws IOException on an I/O error
   */
  public synchronized void reset() throws IOException {
    reset(version);
  }

  /**
   * The file's format version.
   *
   * @return the version its header names
   */
  public synchronized int version() {
    return version;
  }

  /**
   * Empties the log as {@link #reset()} does, with a header naming another format version (forced
   * before any record is appended).
   *
   * @param newVersion the version the emptied file's header names
   * @throws IOException on an I/O error
   */
  public synchronized void reset(int newVersion) throws IOException {
    if (newVersion != version) {
      synchronized (forceLock) {
        channel.truncate(HEADER);
        end = HEADER;
        written = HEADER;
        forced = HEADER;
        version = newVersion;
        ByteBuffer h = header();
        while (h.hasRemaining()) {
          channel.write(h, h.position());
        }
        channel.force(true);
      }
      return;
    }
    synchronized (forceLock) {
      channel.truncate(HEADER);
      // the file ends at the header now, even if the force below fails: the next record goes there
      // (not after a hole at the old end, which the next open would refuse as damage)
      end = HEADER;
      written = HEADER;
      forced = HEADER;
      channel.force(true);
    }
  }

  /**
   * Replaces the whole log with the given records, atomically: they are written to a new file that is
   * forced and renamed over this one, and the directory is synced, before this log appends to it.
   * Used to scrub records (an erased key) that must leave the disk.
   *
   * @param records the payloads of the new log, in order
   * @throws IOException on an I/O error; the old log is then unchanged
   */
  public synchronized void replaceWith(List<ByteBuffer> records) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".rewrite");
    io.delete(tmp);
    try (RecordLog t = open(tmp, io, magic, version, new ArrayList<>())) {
      for (ByteBuffer r : records) {
        t.append(r.duplicate());
      }
      t.force();
    }
    synchronized (forceLock) {
      io.rename(tmp, file);
      // from here on the file under this name is the new one, whatever happens next
      FileChannel old = channel;
      channel = io.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      end = channel.size();
      written = end;
      forced = end;
      dirSyncPending = true;
      try {
        old.close();
      } catch (IOException ignored) {
        // the old file is unlinked; nothing more is written to it
      }
      syncDirectoryIfPending();
    }
  }

  private void syncDirectoryIfPending() throws IOException {
    if (dirSyncPending) {
      io.syncDirectory(file.getParent());
      dirSyncPending = false;
    }
  }

  /**
   * The bytes of records in the file.
   *
   * @return bytes after the header
   */
  public synchronized long recordBytes() {
    return end - HEADER;
  }

  @Override
  public synchronized void close() throws IOException {
    if (channel != null && channel.isOpen()) {
      channel.close();
    }
  }

  /**
   * Reads a whole record log's intact records without opening it for writing (for tools and tests).
   *
   * @param file the file
   * @param magic its magic
   * @param version its version
   * @return the payloads
   * @throws IOException on an I/O error
   */
  static List<ByteBuffer> readAll(Path file, byte[] magic, int version) throws IOException {
    List<ByteBuffer> out = new ArrayList<>();
    try (RecordLog l = open(file, FileIo.DEFAULT, magic, version, out)) {
      return out;
    }
  }
}
