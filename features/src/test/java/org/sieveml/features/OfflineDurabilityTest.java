package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.sieveml.features.OfflineWriterMain.VIEW;
import static org.sieveml.features.OfflineWriterMain.batch;
import static org.sieveml.features.OfflineWriterMain.createdTime;
import static org.sieveml.features.OfflineWriterMain.eventTime;
import static org.sieveml.features.OfflineWriterMain.key;
import static org.sieveml.features.OfflineWriterMain.latestCounter;
import static org.sieveml.features.OfflineWriterMain.registry;
import static org.sieveml.features.OfflineWriterMain.score;
import static org.sieveml.features.OfflineWriterMain.tag;
import static org.sieveml.features.OfflineWriterMain.user;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.features.internal.FileIo;

/**
 * Durability of {@link EmbeddedOfflineStore}, two ways. A recording {@link FileIo} sees every write,
 * force, truncation, rename and directory sync, so the order of the store's file operations can be
 * checked against what a power loss needs (a {@code kill -9} cannot see a missing fsync: the page
 * cache survives it); the same hook injects I/O errors. And a child JVM writing through the store
 * is killed with SIGKILL over and over on one directory, each time checking that everything it had
 * acknowledged is back.
 */
class OfflineDurabilityTest {

  /** {@code RecordLog.HEADER}: the bytes of a record log before its first record. */
  static final long LOG_HEADER = 16;
  static final Pattern SEGMENT = Pattern.compile("seg-[0-9]{12}\\.svs");

  // ================================================================== the recording file system

  enum Kind { MKDIR, CREATE, WRITE, FORCE, TRUNCATE, RENAME, DIRSYNC, DELETE, FAULT }

  /** One file operation, as it happened (recorded after it succeeded). */
  static final class Event {
    final int index;
    final Kind kind;
    final Path file;
    final Path target;
    final long from;
    final long to;
    /**
     * For a rename onto a MANIFEST: the segments the new manifest lists; for a deleted segment: the
     * segments the MANIFEST on disk listed at that moment. Otherwise null.
     */
    final Set<String> listed;
    private final Path root;

    Event(int index, Kind kind, Path file, Path target, long from, long to, Set<String> listed, Path root) {
      this.index = index;
      this.kind = kind;
      this.file = file;
      this.target = target;
      this.from = from;
      this.to = to;
      this.listed = listed;
      this.root = root;
    }

    @Override
    public String toString() {
      String f = root.relativize(file).toString();
      String s = "#" + index + " " + kind + " " + (f.isEmpty() ? "." : f);
      if (kind == Kind.WRITE) {
        s += " [" + from + ", " + to + ")";
      } else if (kind == Kind.TRUNCATE) {
        s += " " + from + " -> " + to;
      } else if (kind == Kind.RENAME) {
        s += " -> " + root.relativize(target);
      }
      return s;
    }
  }

  /**
   * A {@link FileIo} over the real file system that records every operation in order, numbers each
   * write, force, rename and directory sync, and can fail the one with a given number (a write then
   * puts half its bytes in the file before the error, like a full disk).
   */
  static final class RecordingIo implements FileIo {
    private final Path root;
    private final long failAt;
    private final boolean classify;
    private final List<Event> events = new ArrayList<>();
    private final Set<Path> dirs = new HashSet<>();
    /** For each numbered operation (1-based), when classifying: where it happened. */
    final List<String> sites = new ArrayList<>();
    private long counted;
    /** What the last rename or create named (what a directory sync makes durable). */
    private volatile String lastNamed = "nothing";
    private volatile String injected;
    private volatile boolean injectedInMerge;

    RecordingIo(Path root) {
      this(root, -1, false);
    }

    RecordingIo(Path root, long failAt, boolean classify) {
      this.root = root.toAbsolutePath().normalize();
      this.failAt = failAt;
      this.classify = classify;
      dirs.add(this.root);
    }

    synchronized List<Event> events() {
      return new ArrayList<>(events);
    }

    synchronized long counted() {
      return counted;
    }

    String injected() {
      return injected;
    }

    boolean injectedInMerge() {
      return injectedInMerge;
    }

    private Path norm(Path p) {
      return p.toAbsolutePath().normalize();
    }

    synchronized void record(Kind kind, Path file, Path target, long from, long to, Set<String> listed) {
      events.add(new Event(events.size(), kind, file, target, from, to, listed, root));
    }

    /** Numbers a write, force, rename or directory sync, and throws if it is the one to fail. */
    void count(Kind kind, Path file) throws IOException {
      long n;
      synchronized (this) {
        n = ++counted;
      }
      if (classify) {
        String site = kind + " " + (kind == Kind.DIRSYNC ? "after " + lastNamed : fileClass(file)) + " in "
            + storeMethod();
        synchronized (this) {
          sites.add(site);
        }
      }
      if (n == failAt) {
        injectedInMerge = StackWalker.getInstance().walk(s -> s.anyMatch(f -> f.getMethodName().equals("mergeInto")
            || f.getMethodName().equals("sealInBackground")));
        injected = kind + " #" + n + " of " + root.relativize(file)
            + (injectedInMerge ? " (in a background merge or seal)" : "");
        record(Kind.FAULT, file, null, n, n, null);
        throw new IOException("injected fault: " + injected);
      }
    }

    private static String fileClass(Path file) {
      String n = file.getFileName().toString();
      if (n.equals("wal.log") || n.endsWith(".keys") || n.equals("MANIFEST.tmp")) {
        return n.endsWith(".keys") ? "keys" : n;
      }
      if (n.startsWith("seg-")) {
        return "segment";
      }
      return Files.isDirectory(file) ? "directory " + n : n;
    }

    /** The innermost store operation on the stack, for classifying fault sites. */
    private static String storeMethod() {
      List<String> names = StackWalker.getInstance().walk(s -> s
          .filter(f -> f.getClassName().startsWith("org.sieveml.features.")
              && !f.getClassName().contains("OfflineDurabilityTest"))
          .map(StackWalker.StackFrame::getMethodName).collect(Collectors.toList()));
      for (String m : List.of("mergeInto", "sealInBackground", "sealLocked", "appendBatch", "appendLive", "erase", "close", "load",
          "openDictionary", "append")) {
        if (names.contains(m)) {
          return m;
        }
      }
      return names.isEmpty() ? "?" : names.get(0);
    }

    /** The store makes directories without {@link FileIo}; note those that appeared since the last call. */
    private void noteNewDirectories() {
      if (!Files.isDirectory(root)) {
        return;
      }
      List<Path> found;
      try (Stream<Path> s = Files.walk(root)) {
        found = s.filter(Files::isDirectory).map(this::norm).sorted(Comparator.comparingInt(Path::getNameCount))
            .collect(Collectors.toList());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (Path d : found) {
        boolean added;
        synchronized (this) {
          added = dirs.add(d);
        }
        if (added) {
          record(Kind.MKDIR, d, null, 0, 0, null);
        }
      }
    }

    /** The segment names in a MANIFEST file (names are stored as plain UTF-8). */
    static Set<String> segmentsListed(Path manifest) throws IOException {
      Set<String> out = new HashSet<>();
      if (!Files.exists(manifest)) {
        return out;
      }
      Matcher m = SEGMENT.matcher(new String(Files.readAllBytes(manifest), StandardCharsets.ISO_8859_1));
      while (m.find()) {
        out.add(m.group());
      }
      return out;
    }

    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
      Path f = norm(file);
      noteNewDirectories();
      List<OpenOption> o = Arrays.asList(options);
      boolean creates = !Files.exists(f)
          && (o.contains(StandardOpenOption.CREATE) || o.contains(StandardOpenOption.CREATE_NEW));
      FileChannel c = FileChannel.open(f, options);
      if (creates) {
        record(Kind.CREATE, f, null, 0, 0, null);
        lastNamed = "creating " + fileClass(f);
      }
      return new RecordingChannel(c, f, this);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
      noteNewDirectories();
      count(Kind.RENAME, norm(from));
      FileIo.super.rename(from, to);
      Path t = norm(to);
      lastNamed = "renaming " + fileClass(norm(from)) + " to " + t.getFileName().toString().replaceAll("[0-9]{12}", "N");
      record(Kind.RENAME, norm(from), t, 0, 0,
          t.getFileName().toString().equals("MANIFEST") ? segmentsListed(t) : null);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
      noteNewDirectories();
      count(Kind.DIRSYNC, norm(dir));
      FileIo.super.syncDirectory(dir);
      record(Kind.DIRSYNC, norm(dir), null, 0, 0, null);
    }

    @Override
    public void delete(Path file) throws IOException {
      noteNewDirectories();
      Path f = norm(file);
      boolean segment = SEGMENT.matcher(f.getFileName().toString()).matches();
      Set<String> listed = segment ? segmentsListed(f.resolveSibling("MANIFEST")) : null;
      boolean existed = Files.exists(f);
      FileIo.super.delete(file);
      if (existed) {
        record(Kind.DELETE, f, null, 0, 0, listed);
      }
    }
  }

  /** A channel that reports every write, force and truncation to a {@link RecordingIo}. */
  static final class RecordingChannel extends FileChannel {
    private final FileChannel d;
    private final Path file;
    private final RecordingIo io;

    RecordingChannel(FileChannel delegate, Path file, RecordingIo io) {
      this.d = delegate;
      this.file = file;
      this.io = io;
    }

    private int write(ByteBuffer src, long position, boolean positional) throws IOException {
      long at = positional ? position : d.position();
      try {
        io.count(Kind.WRITE, file);
      } catch (IOException e) {
        ByteBuffer half = src.duplicate();
        half.limit(half.position() + half.remaining() / 2);
        int n = positional ? d.write(half, position) : d.write(half);
        if (n > 0) {
          io.record(Kind.WRITE, file, null, at, at + n, null);
        }
        throw e;
      }
      int n = positional ? d.write(src, position) : d.write(src);
      if (n > 0) {
        io.record(Kind.WRITE, file, null, at, at + n, null);
      }
      return n;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return d.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return d.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return d.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return write(src, -1, false);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return write(src, position, true);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      long at = d.position();
      io.count(Kind.WRITE, file);
      long n = d.write(srcs, offset, length);
      if (n > 0) {
        io.record(Kind.WRITE, file, null, at, at + n, null);
      }
      return n;
    }

    @Override
    public long position() throws IOException {
      return d.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      d.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return d.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      long before = d.size();
      d.truncate(size);
      io.record(Kind.TRUNCATE, file, null, before, Math.min(before, size), null);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      io.count(Kind.FORCE, file);
      d.force(metaData);
      io.record(Kind.FORCE, file, null, 0, 0, null);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      return d.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      io.count(Kind.WRITE, file);
      long n = d.transferFrom(src, position, count);
      if (n > 0) {
        io.record(Kind.WRITE, file, null, position, position + n, null);
      }
      return n;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      if (mode != MapMode.READ_ONLY) { // writes through the mapping: count them as written until forced
        io.record(Kind.WRITE, file, null, position, position + size, null);
      }
      return d.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return d.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return d.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      d.close();
    }
  }

  // ================================================================== the rules a trace must follow

  /**
   * Replays a trace and checks what survives a power loss at any instant: (a) when a call returns,
   * every byte written to any file was forced after it was written, and a temporary file was forced
   * before it was renamed; (b) when a call returns, and before the write-ahead log is cut, every
   * rename (and every file or directory created) was followed by a sync of its directory; (c) the
   * write-ahead log is cut back to its header only after a manifest was renamed into place and its
   * directory synced after the last record being dropped was written; a manifest lists only forced
   * segments whose renames are durable; a segment is deleted only once the durable manifest no longer
   * lists it; new entity keys are forced before rows are written.
   */
  static final class TraceChecker {
    private final Map<Path, Event> dirty = new HashMap<>();
    private final Map<Path, Map<String, Event>> unsynced = new HashMap<>();
    private final Map<Path, Event> walRecords = new HashMap<>();
    private final Map<Path, Integer> manifestRenamed = new HashMap<>();
    private final Map<Path, Integer> manifestDurable = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private List<Event> trace = List.of();
    private int next;
    int segmentsPublished;
    int manifests;
    int walCuts;
    int segmentsDeleted;
    int keyWrites;
    int walForces;

    private Map<String, Event> unsynced(Path dir) {
      return unsynced.computeIfAbsent(dir, k -> new LinkedHashMap<>());
    }

    private static String name(Path p) {
      return p.getFileName().toString();
    }

    private void violation(Event at, String what) {
      StringBuilder sb = new StringBuilder(what).append("\n  trace up to the violation:");
      for (int i = Math.max(0, at.index - 40); i <= at.index; i++) {
        sb.append("\n    ").append(trace.get(i));
      }
      violations.add(sb.toString());
    }

    /** Replays the events not yet seen. */
    void advance(List<Event> events) {
      trace = events;
      for (; next < events.size(); next++) {
        apply(events.get(next));
      }
    }

    private void apply(Event e) {
      Path parent = e.file.getParent();
      String n = name(e.file);
      switch (e.kind) {
        case MKDIR:
        case CREATE:
          unsynced(parent).put(n, e);
          break;
        case WRITE:
          if (n.equals("wal.log") || n.endsWith(".svs.tmp")) {
            for (Map.Entry<Path, Event> d : dirty.entrySet()) {
              if (name(d.getKey()).endsWith(".keys")) {
                violation(e, "rows written to " + n + " while new entity keys in " + name(d.getKey())
                    + " (written at #" + d.getValue().index + ") were not forced");
              }
            }
          }
          dirty.putIfAbsent(e.file, e);
          if (n.equals("wal.log") && e.to > LOG_HEADER) {
            walRecords.put(e.file, e);
          }
          if (n.endsWith(".keys")) {
            keyWrites++;
          }
          break;
        case FORCE:
          dirty.remove(e.file);
          if (n.equals("wal.log")) {
            walForces++;
          }
          break;
        case TRUNCATE:
          if (n.equals("wal.log")) {
            for (Map<String, Event> pending : unsynced.values()) {
              for (Event r : pending.values()) {
                if (r.kind == Kind.RENAME) {
                  violation(e, "the write-ahead log was cut while rename " + r + " was not yet followed by a sync "
                      + "of its directory");
                }
              }
            }
            Event w = walRecords.get(e.file);
            if (e.to <= LOG_HEADER && w != null) {
              Integer durable = manifestDurable.get(parent);
              if (durable == null || durable < w.index) {
                violation(e, "the write-ahead log was cut to its header, dropping records last written at #" + w.index
                    + ", but no manifest was renamed into place and its directory synced after that write");
              }
              walRecords.remove(e.file);
              walCuts++;
            }
          }
          break;
        case RENAME: {
          Event w = dirty.remove(e.file);
          if (w != null) {
            violation(e, "renamed " + n + " before forcing its write " + w);
          }
          unsynced(parent).remove(n);
          unsynced(e.target.getParent()).put(name(e.target), e);
          if (name(e.target).equals("MANIFEST")) {
            manifests++;
            manifestRenamed.put(parent, e.index);
            for (String seg : e.listed) {
              Path s = parent.resolve(seg);
              if (dirty.containsKey(s)) {
                violation(e, "the manifest lists " + seg + ", which has unforced writes");
              }
              Event r = unsynced(parent).get(seg);
              if (r != null) {
                violation(e, "the manifest lists " + seg + ", whose " + r + " was not yet made durable by a directory "
                    + "sync");
              }
            }
          } else if (SEGMENT.matcher(name(e.target)).matches()) {
            segmentsPublished++;
          }
          break;
        }
        case DIRSYNC: {
          Map<String, Event> pending = unsynced.get(e.file);
          if (pending != null) {
            pending.clear();
          }
          Integer r = manifestRenamed.get(e.file);
          if (r != null) {
            manifestDurable.put(e.file, e.index);
          }
          break;
        }
        case DELETE:
          dirty.remove(e.file);
          unsynced(parent).remove(n);
          if (e.listed != null) {
            segmentsDeleted++;
            if (e.listed.contains(n)) {
              violation(e, "deleted " + n + ", which the MANIFEST on disk still lists");
            }
            if (unsynced(parent).containsKey("MANIFEST")) {
              violation(e, "deleted " + n + " before the manifest that dropped it was made durable by a directory sync");
            }
          }
          break;
        default:
          break;
      }
    }

    /** The rules at a point where a call returned normally (acknowledged). */
    void acknowledged(String call) {
      Event last = trace.isEmpty() ? null : trace.get(trace.size() - 1);
      for (Map.Entry<Path, Event> d : dirty.entrySet()) {
        violation(last, call + " returned, but " + d.getValue().file.getFileName() + " has a write not forced since "
            + d.getValue());
      }
      for (Map<String, Event> pending : unsynced.values()) {
        for (Event r : pending.values()) {
          violation(last, call + " returned, but " + r + " was not followed by a sync of its directory "
              + r.file.getParent().getFileName());
        }
      }
    }

    void assertClean() {
      if (!violations.isEmpty()) {
        fail(violations.size() + " durability violation(s); the first:\n" + violations.get(0));
      }
    }
  }

  // ================================================================== workloads and the expected rows

  enum Op { PUSH, INGEST, READ, ERASE }

  /** One call: a write of counters {@code [c0, c0 + n)}, or a read or erasure of one entity. */
  static final class Call {
    final Op op;
    final long c0;
    final int n;
    final String user;
    Boolean ok;

    Call(Op op, long c0, int n, String user) {
      this.op = op;
      this.c0 = c0;
      this.n = n;
      this.user = user;
    }

    boolean writes() {
      return op == Op.PUSH || op == Op.INGEST;
    }

    @Override
    public String toString() {
      return op + (writes() ? " [" + c0 + ", " + (c0 + n) + ")" : " " + user) + (ok == null ? "" : ok ? "" : " FAILED");
    }
  }

  /** Plans {@code count} calls with fresh counters; reads and erasures pick an entity already written. */
  static List<Call> plan(Random rnd, int count, int ingestPercent, int readPercent, int erasePercent) {
    List<Call> calls = new ArrayList<>();
    long c = 0;
    for (int i = 0; i < count; i++) {
      int r = rnd.nextInt(100);
      if (r < ingestPercent) {
        int n = EmbeddedOfflineStore.SEGMENT_BATCH + rnd.nextInt(400);
        calls.add(new Call(Op.INGEST, c, n, null));
        c += n;
      } else if (c > 0 && r < ingestPercent + readPercent) {
        calls.add(new Call(Op.READ, c, 0, user((long) (rnd.nextDouble() * c))));
      } else if (c > 0 && r < ingestPercent + readPercent + erasePercent) {
        calls.add(new Call(Op.ERASE, c, 0, user((long) (rnd.nextDouble() * c))));
      } else {
        int n = 1 + rnd.nextInt(30);
        calls.add(new Call(Op.PUSH, c, n, null));
        c += n;
      }
    }
    return calls;
  }

  /** What the calls so far should have left: which rows must be there, may be there, must be gone. */
  static final class Ledger {
    final List<Call> calls = new ArrayList<>();

    /** Whether an erasure after call {@code i} that succeeded / may have succeeded covers row {@code c}. */
    private int erased(int i, long c) {
      int state = 0; // 0 not erased, 1 maybe, 2 erased
      for (int j = i + 1; j < calls.size(); j++) {
        Call e = calls.get(j);
        if (e.op == Op.ERASE && e.user.equals(user(c))) {
          state = Math.max(state, e.ok ? 2 : 1);
        }
      }
      return state;
    }

    /** The counter of the latest visible row of an entity, -1 for none (every call so far succeeded). */
    long latest(String user) {
      long best = -1;
      for (int i = 0; i < calls.size(); i++) {
        Call w = calls.get(i);
        if (w.writes()) {
          for (long c = w.c0; c < w.c0 + w.n; c++) {
            if (user(c).equals(user) && erased(i, c) == 0) {
              best = Math.max(best, c);
            }
          }
        }
      }
      return best;
    }

    /** The number of an entity's rows visible now (every call so far succeeded). */
    long visible(String user) {
      long count = 0;
      for (int i = 0; i < calls.size(); i++) {
        Call w = calls.get(i);
        if (w.writes()) {
          for (long c = w.c0; c < w.c0 + w.n; c++) {
            if (user(c).equals(user) && erased(i, c) == 0) {
              count++;
            }
          }
        }
      }
      return count;
    }

    /**
     * Checks the rows read back: every row of a call that returned normally is there unless an
     * erasure that returned normally covers it; no erased row is there; a failed call's rows are all
     * there or none; no other row; sequence numbers increase with the counters (ingestion order).
     */
    void verify(TreeMap<Long, Long> present, String when) {
      long end = 0;
      for (int i = 0; i < calls.size(); i++) {
        Call w = calls.get(i);
        if (!w.writes()) {
          continue;
        }
        end = w.c0 + w.n;
        int seen = 0;
        int undecided = 0;
        for (long c = w.c0; c < w.c0 + w.n; c++) {
          int erased = erased(i, c);
          boolean there = present.containsKey(c);
          if (erased == 2 && there) {
            fail(when + ": row " + c + " of " + w + " was erased by a call that returned, but is visible");
          }
          if (erased == 0) {
            undecided++;
            seen += there ? 1 : 0;
            if (w.ok && !there) {
              fail(when + ": row " + c + " of " + w + ", acknowledged, is missing (" + present.size()
                  + " rows present)");
            }
          }
        }
        if (!w.ok && seen != 0 && seen != undecided) {
          fail(when + ": " + seen + " of the " + undecided + " rows of the failed " + w + " are visible: half written");
        }
      }
      Long beyond = present.ceilingKey(end);
      if (beyond != null) {
        fail(when + ": row " + beyond + " is visible, but no call wrote it");
      }
      assertSequencesFollowCounters(present, when);
    }
  }

  /**
   * Every stored row by its counter, mapped to its sequence number. Asserts that each row's key,
   * times and values are those of its counter and that no counter or sequence number appears twice.
   */
  static TreeMap<Long, Long> readAll(FeatureStore store, String when) {
    TreeMap<Long, Long> rows = new TreeMap<>();
    Set<Long> seqs = new HashSet<>();
    store.offlineStore().scan(store.registry().view(VIEW), 0, Long.MAX_VALUE, -1, chunk -> {
      FeatureFrame f = chunk.values();
      int sc = f.schema().indexOf("score");
      int nc = f.schema().indexOf("n");
      int tc = f.schema().indexOf("tag");
      for (int i = 0; i < chunk.size(); i++) {
        assertTrue(f.isPresent(i, nc), when + ": a row without its counter");
        long c = f.getLong(i, nc, -1);
        String what = when + ": row " + c;
        assertEquals(key(c), chunk.key(i), what);
        assertEquals(eventTime(c), chunk.eventTime(i), what);
        assertEquals(createdTime(c), chunk.createdTime(i), what);
        assertEquals(score(c), f.asDouble(i, sc), what);
        String tag = tag(c);
        assertEquals(tag != null, f.isPresent(i, tc), what + ": tag present");
        if (tag != null) {
          assertEquals(tag, f.getString(i, tc), what);
        }
        long seq = chunk.sequence(i);
        assertNull(rows.put(c, seq), what + " appears twice");
        assertTrue(seqs.add(seq), what + ": sequence number " + seq + " appears twice");
      }
    });
    return rows;
  }

  /** Rows were written in counter order, so their sequence numbers must increase with the counter. */
  static void assertSequencesFollowCounters(TreeMap<Long, Long> rows, String when) {
    long prevC = -1;
    long prevS = Long.MIN_VALUE;
    for (Map.Entry<Long, Long> e : rows.entrySet()) {
      if (e.getValue() <= prevS) {
        fail(when + ": row " + e.getKey() + " has sequence number " + e.getValue() + ", not above row " + prevC
            + "'s " + prevS + " written before it");
      }
      prevC = e.getKey();
      prevS = e.getValue();
    }
  }

  static FeatureStore open(FeatureRegistry reg, EmbeddedOfflineStore offline, AtomicLong now) {
    return FeatureStore.builder(reg).offlineStore(offline).clock(now::get)
        .futureTolerance(java.time.Duration.ofDays(3650)).build(); // the calls push rows dated after the clock
  }

  static EmbeddedOfflineStore.Builder durable(Path dir, FileIo io) {
    // pushed rows are sealed every 48 (on the writer's thread after its lock, as the executor runs
    // there), so seals handed off with the log left uncut are traced too
    return EmbeddedOfflineStore.builder(dir).maxSegmentRows(1_000).mergeExecutor(Runnable::run).sealRows(48)
        .fileIo(io);
  }

  /** Runs one call; for a read or erasure returns what it returned. */
  static long run(FeatureStore store, FeatureRegistry reg, Call call, AtomicLong now) {
    now.addAndGet(1_000);
    switch (call.op) {
      case PUSH:
        store.push(VIEW, batch(reg, call.c0, call.n));
        return 0;
      case INGEST:
        return store.ingest(VIEW, batch(reg, call.c0, call.n));
      case READ:
        return latestCounter(store, EntityKey.of("user_id", call.user));
      default:
        return store.erase("user", EntityKey.of("user_id", call.user));
    }
  }

  // ================================================================== tests: the trace

  /**
   * Proves that every call that returns has made its effect durable against a power loss, not just
   * a process kill: over pushes (write-ahead log), ingests (segments), reads (which seal the log
   * into a segment and cut it), erasures (manifest) and the merges they trigger, the recorded file
   * operations follow the {@link TraceChecker} rules at every return. The rows then read back
   * exactly, after a restart too.
   */
  @Test
  void everyAcknowledgedWriteIsForcedAndEveryRenameDirectorySynced(@TempDir Path dir) {
    FeatureRegistry reg = registry();
    AtomicLong now = new AtomicLong(OfflineWriterMain.T0);
    RecordingIo io = new RecordingIo(dir);
    FeatureStore store = open(reg, durable(dir, io).clock(now::get).build(), now);
    TraceChecker checker = new TraceChecker();
    Ledger ledger = new Ledger();
    List<Call> calls = plan(new Random(42), 140, 6, 20, 4);
    for (int i = 0; i < calls.size(); i++) {
      Call call = calls.get(i);
      long expected = call.op == Op.ERASE ? ledger.visible(call.user) : 0;
      long got = run(store, reg, call, now);
      call.ok = true;
      ledger.calls.add(call);
      String label = "call " + i + " (" + call + ")";
      checker.advance(io.events());
      checker.acknowledged(label);
      checker.assertClean();
      if (call.op == Op.READ) {
        assertEquals(ledger.latest(call.user), got, label + ": the latest row of " + call.user);
      } else if (call.op == Op.ERASE) {
        assertEquals(expected, got, label + ": rows erased");
      }
    }
    ledger.verify(readAll(store, "before the restart"), "before the restart");
    store.close();
    checker.advance(io.events());
    checker.acknowledged("close");
    checker.assertClean();
    String stats = checker.segmentsPublished + " segments published, " + checker.manifests + " manifests, "
        + checker.walCuts + " write-ahead log cuts, " + checker.segmentsDeleted + " segments merged away, "
        + checker.keyWrites + " key log writes, " + checker.walForces + " write-ahead log forces";
    assertTrue(checker.segmentsPublished >= 30 && checker.walCuts >= 15 && checker.segmentsDeleted >= 20
        && checker.keyWrites >= 100 && checker.walForces >= 60, "the workload covers every kind of write: " + stats);

    FeatureStore again = open(reg, EmbeddedOfflineStore.builder(dir).mergeExecutor(Runnable::run).build(), now);
    ledger.verify(readAll(again, "after the restart"), "after the restart");
    again.close();
  }

  /**
   * Documents the policy of {@code syncEveryWrite(false)}: a push writes the write-ahead log but does
   * not force it (new entity keys are still forced before the rows that use them), and
   * {@link OfflineStore#sync()} forces it.
   */
  @Test
  void withoutSyncEveryWritePushesAreForcedOnlyBySync(@TempDir Path dir) {
    FeatureRegistry reg = registry();
    AtomicLong now = new AtomicLong(OfflineWriterMain.T0);
    RecordingIo io = new RecordingIo(dir);
    FeatureStore store = open(reg, durable(dir, io).syncEveryWrite(false).build(), now);
    Path wal = dir.resolve("views").resolve(VIEW).resolve("wal.log").toAbsolutePath().normalize();
    store.push(VIEW, batch(reg, 0, 10)); // creates the log
    int mark = io.events().size();
    long c = 10;
    for (int i = 0; i < 20; i++) {
      store.push(VIEW, batch(reg, c, 3));
      c += 3;
    }
    List<Event> pushes = io.events().subList(mark, io.events().size());
    assertTrue(pushes.stream().filter(e -> e.kind == Kind.WRITE && e.file.equals(wal)).count() >= 20,
        "pushes wrote the write-ahead log: " + pushes);
    assertTrue(pushes.stream().noneMatch(e -> e.kind == Kind.FORCE && e.file.equals(wal)),
        "without syncEveryWrite a push does not force the write-ahead log: " + pushes);
    TraceChecker checker = new TraceChecker();
    checker.advance(io.events());
    checker.assertClean(); // keys were still forced before the rows using them
    assertEquals(Set.of(wal), checker.dirty.keySet(), "after the pushes only the write-ahead log is not durable");

    int beforeSync = io.events().size();
    store.offlineStore().sync();
    List<Event> sync = io.events().subList(beforeSync, io.events().size());
    assertTrue(sync.stream().anyMatch(e -> e.kind == Kind.FORCE && e.file.equals(wal)),
        "sync() forces the write-ahead log: " + sync);
    TraceChecker after = new TraceChecker();
    after.advance(io.events());
    after.acknowledged("sync()");
    after.assertClean();
    store.close();

    FeatureStore again = open(reg, EmbeddedOfflineStore.builder(dir).build(), now);
    TreeMap<Long, Long> rows = readAll(again, "after the restart");
    assertEquals(c, rows.size());
    again.close();
  }

  // ================================================================== tests: injected faults

  /**
   * Proves that an I/O error (a failed or torn write, a failed force, rename or directory sync) at
   * each kind of place in the store surfaces as an exception from the call that hit it (a merge or a
   * handed-off seal, which run in the background, log it and leave the log as it was), that the store keeps
   * working afterwards, and that after a restart every call that had returned is fully readable, a
   * failed call's rows are all there or none, and sequence numbers are still unique and ordered.
   */
  @Test
  void anInjectedIoErrorLosesNoAcknowledgedRowAndLeavesNothingHalfWritten(@TempDir Path dir) {
    FeatureRegistry reg = registry();
    List<Call> plan = faultPlan();
    // a fault-free run numbers every write, force, rename and directory sync and notes where it was
    RecordingIo baseline = new RecordingIo(dir.resolve("baseline"), -1, true);
    runWithFault(reg, plan, dir.resolve("baseline"), baseline, "baseline", -1);
    long total = baseline.counted();
    Map<String, List<Long>> bySite = new LinkedHashMap<>();
    for (int i = 0; i < baseline.sites.size(); i++) {
      bySite.computeIfAbsent(baseline.sites.get(i), k -> new ArrayList<>()).add(i + 1L);
    }
    // every kind of place: its first occurrence and a later one (every one of a rare kind), plus a
    // spread over the whole run
    Random rnd = new Random(11);
    Set<Long> targets = new TreeSet<>();
    for (List<Long> at : bySite.values()) {
      targets.add(at.get(0));
      targets.add(at.get(at.size() <= 3 ? at.size() - 1 : 1 + rnd.nextInt(at.size() - 1)));
      if (at.size() == 3) {
        targets.add(at.get(1));
      }
    }
    for (long n = 1; n <= total; n += Math.max(1, total / 6)) {
      targets.add(n);
    }

    assertTrue(bySite.keySet().stream().anyMatch(s -> s.contains("in mergeInto"))
        && bySite.keySet().stream().anyMatch(s -> s.contains("in sealLocked"))
        && bySite.keySet().stream().anyMatch(s -> s.contains("in sealInBackground"))
        && bySite.keySet().stream().anyMatch(s -> s.contains("keys")), "the run covers merges, seals (on the writer's "
        + "thread and handed off) and keys: "
        + bySite.keySet());
    for (long n : targets) {
      for (int after : new int[] {0, 3, -1}) {
        Path d = dir.resolve("f" + n + "-" + after);
        RecordingIo io = new RecordingIo(d, n, false);
        runWithFault(reg, plan, d, io, "fault at " + n + " (" + baseline.sites.get((int) n - 1) + "), then "
            + (after < 0 ? "more calls" : after + " pushes"), after);
        assertNotNull(io.injected(), "fault " + n + " was injected");
      }
    }
  }

  /**
   * 36 calls: pushes, a read every third call (each seals a segment, so merges start), two ingests
   * and two erasures.
   */
  static List<Call> faultPlan() {
    Random rnd = new Random(7);
    List<Call> calls = new ArrayList<>();
    long c = 0;
    for (int i = 0; i < 36; i++) {
      if (i == 4 || i == 19) {
        int n = EmbeddedOfflineStore.SEGMENT_BATCH + rnd.nextInt(50);
        calls.add(new Call(Op.INGEST, c, n, null));
        c += n;
      } else if (i == 11 || i == 27) {
        calls.add(new Call(Op.ERASE, c, 0, user((long) (rnd.nextDouble() * c))));
      } else if (i % 3 == 2) {
        calls.add(new Call(Op.READ, c, 0, user((long) (rnd.nextDouble() * c))));
      } else {
        int n = 1 + rnd.nextInt(30);
        calls.add(new Call(Op.PUSH, c, n, null));
        c += n;
      }
    }
    return calls;
  }

  /**
   * Runs the planned calls over a store whose file I/O fails once, then checks before and after a
   * restart. After the failed call come {@code after} pushes and then a restart, as if the process
   * died soon after the error (later calls rewrite the manifest, which would hide what the failure
   * left on disk), or with {@code after < 0} up to 12 more calls of any kind.
   */
  private static void runWithFault(FeatureRegistry reg, List<Call> plan, Path dir, RecordingIo io, String what,
      int after) {
    AtomicLong now = new AtomicLong(OfflineWriterMain.T0);
    Ledger ledger = new Ledger();
    FeatureStore store = open(reg, durable(dir, io).clock(now::get).build(), now);
    boolean faulted = false;
    int callsAfter = 0;
    for (int i = 0; i < plan.size(); i++) {
      if (faulted && (after < 0 ? ++callsAfter > 12 : plan.get(i).op != Op.PUSH || ++callsAfter > after)) {
        continue;
      }
      Call call = new Call(plan.get(i).op, plan.get(i).c0, plan.get(i).n, plan.get(i).user);
      String label = what + ", call " + i + " (" + call + ")";
      try {
        run(store, reg, call, now);
        call.ok = true;
      } catch (UncheckedIOException e) {
        assertTrue(rootCause(e).getMessage().startsWith("injected fault"), label + ": " + e);
        call.ok = false;
      }
      boolean hit = !faulted && io.injected() != null;
      if (hit) {
        faulted = true;
        if (io.injectedInMerge()) {
          assertTrue(call.ok, label + ": a failed merge or handed-off seal runs in the background (the seal's rows "
              + "stay buffered and logged); the call itself succeeded");
        } else {
          assertTrue(!call.ok, label + ": the call that hit " + io.injected() + " returned normally");
        }
      } else {
        assertTrue(call.ok, label + ": failed, though no fault was injected in it (after " + io.injected() + ")");
      }
      ledger.calls.add(call);
    }
    if (after < 0) { // a read seals the write-ahead log and publishes a manifest: not before a "crash"
      ledger.verify(readAll(store, what + ", live"), what + ", live");
    }
    try {
      store.close();
    } catch (UncheckedIOException e) {
      assertTrue(!faulted && io.injected() != null, what + ": close failed without an injected fault: " + e);
    }
    FeatureStore again = open(reg, EmbeddedOfflineStore.builder(dir).mergeExecutor(Runnable::run).build(),
        new AtomicLong(OfflineWriterMain.T0));
    try {
      TreeMap<Long, Long> rows;
      try {
        rows = readAll(again, what + ", after a restart");
      } catch (RuntimeException e) {
        throw new AssertionError(what + ": the store does not read after a restart: " + e, e);
      }
      ledger.verify(rows, what + ", after a restart");
    } finally {
      again.close();
    }
  }

  private static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  // ================================================================== tests: kill -9

  /**
   * Proves that {@code kill -9} loses no acknowledged row: a child JVM writes through
   * {@link EmbeddedOfflineStore#open} (pushes, ingests, sealing reads, merges on the store's own
   * thread) and is killed with SIGKILL 22 times on the same directory, at a seeded point (after some
   * acknowledgement, or just after starting an ingest, a read or a push). After each kill the store
   * is reopened here: every acknowledged row is there with its values, the only other rows are all of
   * the call in flight or none of it, no row appears twice, and sequence numbers stay unique and keep
   * increasing across restarts.
   */
  @Test
  void killedWriterLosesNoAcknowledgedRow(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("store");
    Path childLog = tmp.resolve("child.log");
    FeatureRegistry reg = registry();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Random rnd = new Random(20_240_611);
    long next = 0; // the first counter of the next run: one past the last row stored
    Map<String, Integer> killedIn = new TreeMap<>();
    int runs = 22;
    for (int run = 0; run < runs; run++) {
      int mode = run % 4;
      String aim = mode == 0 ? "ACK" : mode == 1 ? "BEGIN ingest" : mode == 2 ? "BEGIN read" : "BEGIN push";
      int target = 1 + rnd.nextInt(mode == 0 ? 150 : mode == 1 ? 2 : mode == 2 ? 6 : 100);
      long delayNanos = mode == 1 ? rnd.nextInt(20_000_000) : mode == 2 ? rnd.nextInt(5_000_000)
          : rnd.nextInt(2_000_000);
      Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
          System.getProperty("java.class.path"), OfflineWriterMain.class.getName(), dir.toString(),
          Long.toString(next), Long.toString(rnd.nextLong()))
          .redirectError(ProcessBuilder.Redirect.appendTo(childLog.toFile())).start();
      String where = "run " + run + " (kill after " + aim + " #" + target + " + " + delayNanos / 1000 + " us)";
      long acked = next;
      long[] inFlight = null;
      String inFlightOp = null;
      boolean killed = false;
      int seen = 0;
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) { // after the kill: the lines it printed before dying
          String[] f = line.split(" ");
          if (f[0].equals("READY")) {
            assertEquals(next, Long.parseLong(f[1]), where);
            continue;
          }
          if (f[0].equals("ERROR")) {
            fail(where + ": the child found " + line);
          }
          long c0 = Long.parseLong(f[2]);
          int n = Integer.parseInt(f[3]);
          if (f[0].equals("BEGIN")) {
            inFlight = new long[] {c0, n};
            inFlightOp = f[1];
          } else {
            assertEquals("ACK", f[0], where + ": " + line);
            assertEquals(acked, c0, where + ": " + line);
            acked = c0 + n;
            inFlight = null;
          }
          if (!killed && line.startsWith(aim) && ++seen == target) {
            LockSupport.parkNanos(delayNanos);
            // SIGKILL, as Process.destroyForcibly sends, but that one also closes our end of the pipe:
            // the ACK lines the child printed just before it died would be lost
            p.toHandle().destroyForcibly();
            killed = true;
            killedIn.merge(inFlight == null ? "between calls" : "during " + inFlightOp, 1, Integer::sum);
          }
        }
      }
      int exit = p.waitFor();
      assertTrue(killed, where + ": the child exited by itself with " + exit + "; its log:\n" + tail(childLog));

      FeatureStore store = FeatureStore.builder(reg).offlineStore(EmbeddedOfflineStore.open(dir)).build();
      try {
        String when = "after " + where;
        TreeMap<Long, Long> rows = readAll(store, when);
        long present = rows.isEmpty() ? 0 : rows.lastKey() + 1;
        if (rows.size() != present) {
          long gap = 0;
          while (rows.containsKey(gap)) {
            gap++;
          }
          fail(when + ": rows 0.." + (present - 1) + " should all be there, but row " + gap + " is missing");
        }
        if (present < acked) {
          fail(when + ": acknowledged rows " + present + ".." + (acked - 1) + " were lost");
        }
        boolean inFlightLanded = inFlight != null && inFlight[0] == acked && present == acked + inFlight[1];
        assertTrue(present == acked || inFlightLanded, when + ": rows up to " + (present - 1)
            + " are there, but only up to " + (acked - 1) + " were acknowledged and the call in flight was "
            + (inFlight == null ? "none" : inFlightOp + " " + Arrays.toString(inFlight)));
        assertSequencesFollowCounters(rows, when);
        long last = rows.isEmpty() ? -1 : rows.lastEntry().getValue();
        assertTrue(store.offlineStore().nextSequence(reg.view(VIEW)) > last, when + ": the next sequence number");
        if (present > 0) {
          assertEquals(present - 1, latestCounter(store, key(present - 1)), when + ": the point-in-time read");
        }
        next = present;
      } finally {
        store.close();
      }
    }
    int ingests = killedIn.getOrDefault("during ingest", 0);
    int reads = killedIn.getOrDefault("during read", 0);
    int pushes = killedIn.getOrDefault("during push", 0);
    assertTrue(ingests >= 3 && reads >= 3 && pushes >= 3 && next > 3 * EmbeddedOfflineStore.SEGMENT_BATCH,
        "kills landed in every kind of call: " + killedIn + ", " + next + " rows written");
  }

  private static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "(no output)";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
