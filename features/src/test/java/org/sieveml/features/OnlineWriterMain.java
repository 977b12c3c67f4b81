package org.sieveml.features;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;

/**
 * The child JVM of {@link OnlineDurabilityTest}'s {@code kill -9} test, and the workload both sides
 * agree on. Operation {@code i} of a seed is a pure function of both ({@link #op}): rows (newer and
 * older, now and then of another definition version), tile adds (some with a retention that drops
 * tiles, some of another version), tile puts, erasures, marks, a rare clear, and every 40th a
 * checkpoint. The child opens {@link EmbeddedOnlineStore} with the durability given, runs operations
 * from a given index until it is killed, and prints {@code BEGIN <i> <kind>} before and
 * {@code ACK <i>} after each (flushed); under group commit it also calls {@code sync()} every 25
 * operations and prints {@code SYNCED <i>}.
 */
public final class OnlineWriterMain {

  static final String ROWS = "profile";
  static final String TILES = "velocity";
  static final int KEYS = 16;
  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("d").addString("s").build();

  private OnlineWriterMain() {}

  /** The kinds of operation. */
  enum Kind { ROWS, ADD, PUT, ERASE, MARK, CLEAR, CHECKPOINT }

  /** One operation of the workload. */
  static final class Op {
    final long index;
    final Kind kind;
    final List<OnlineRow> rows = new ArrayList<>();
    final List<WindowTiles> tiles = new ArrayList<>();
    WindowTiles.Retention retention = WindowTiles.Retention.ALL;
    String view;
    EntityKey key;
    String mark;
    long value;

    Op(long index, Kind kind) {
      this.index = index;
      this.kind = kind;
    }

    @Override
    public String toString() {
      return "#" + index + " " + kind;
    }
  }

  static EntityKey key(int k) {
    return k % 4 == 3 ? EntityKey.of("user_id", "u" + k) : EntityKey.of("user_id", (long) k);
  }

  static List<EntityKey> keys() {
    List<EntityKey> out = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      out.add(key(k));
    }
    return out;
  }

  /** Operation {@code i} of the workload of {@code seed}. */
  static Op op(long seed, long i) {
    SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i);
    if (i % 40 == 39) {
      return new Op(i, Kind.CHECKPOINT);
    }
    int dice = r.nextInt(100);
    Op op;
    if (dice < 40) {
      op = new Op(i, Kind.ROWS);
      int n = 1 + r.nextInt(3);
      for (int j = 0; j < n; j++) {
        long event = i * 10 - r.nextInt(400); // often older than what the key holds
        long created = event + r.nextInt(3);
        String version = r.nextInt(25) == 0 ? "v2" : "v1";
        FeatureVector v = FeatureVector.builder(SCHEMA).setDouble("d", i + j / 10.0).setString("s", "op" + i).build();
        op.rows.add(new OnlineRow(key(r.nextInt(KEYS)), v, event, created, i, version));
      }
    } else if (dice < 78) {
      op = new Op(i, Kind.ADD);
      int first = r.nextInt(KEYS);
      int n = 1 + r.nextInt(3);
      for (int j = 0; j < n; j++) { // distinct keys
        op.tiles.add(tiles(r, key((first + j * 5) % KEYS), r.nextInt(30) == 0 ? "v2" : "v1", i));
      }
      if (r.nextInt(5) == 0) { // drop minute tiles older than 3 hours before "now", hour tiles older than a day
        long now = i * MIN;
        op.retention = WindowTiles.Retention.of(new long[] {MIN, HOUR}, new long[] {now - 3 * HOUR, now - 24 * HOUR});
      }
    } else if (dice < 84) {
      op = new Op(i, Kind.PUT);
      op.tiles.add(r.nextInt(4) == 0 ? WindowTiles.of(key(r.nextInt(KEYS)), "v1", 1, new long[0], new long[0],
          new long[0], new double[0]) : tiles(r, key(r.nextInt(KEYS)), "v1", i));
    } else if (dice < 89) {
      op = new Op(i, Kind.ERASE);
      op.view = r.nextBoolean() ? ROWS : TILES;
      op.key = key(r.nextInt(KEYS));
    } else if (dice < 99) {
      op = new Op(i, Kind.MARK);
      op.mark = "mark" + r.nextInt(3);
      op.value = i * 3 - r.nextInt(200);
    } else {
      op = new Op(i, Kind.CLEAR);
      op.view = r.nextBoolean() ? ROWS : TILES;
    }
    return op;
  }

  /** One or two tiles around operation i's time ({@code i} minutes), 1 input field, each value i. */
  static WindowTiles tiles(SplittableRandom r, EntityKey key, String version, long i) {
    TreeMap<Long, long[]> t = new TreeMap<>();
    int n = 1 + r.nextInt(2);
    for (int j = 0; j < n; j++) {
      boolean hour = r.nextInt(3) == 0;
      long len = hour ? HOUR : MIN;
      long at = i * MIN - r.nextInt(300) * MIN;
      long start = Math.floorDiv(at, len) * len;
      t.put((hour ? 1L << 62 : 0) + start, new long[] {len, start, 1 + r.nextInt(3)});
    }
    int k = t.size();
    long[] len = new long[k];
    long[] st = new long[k];
    long[] tm = new long[k * WindowTiles.TIMES];
    double[] sv = new double[k * 5];
    int j = 0;
    for (long[] v : t.values()) {
      len[j] = v[0];
      st[j] = v[1];
      tm[j * 3] = v[1] + 1;
      tm[j * 3 + 1] = v[1] + 2;
      tm[j * 3 + 2] = i;
      sv[j * 5] = v[2];
      sv[j * 5 + 1] = v[2];
      sv[j * 5 + 2] = v[2] * (double) i;
      sv[j * 5 + 3] = i - j;
      sv[j * 5 + 4] = i + j;
      j++;
    }
    return WindowTiles.of(key, version, 1, len, st, tm, sv);
  }

  /** Runs an operation on a store. */
  static void run(EmbeddedOnlineStore store, Op op) {
    switch (op.kind) {
      case ROWS:
        store.write(ROWS, op.rows);
        break;
      case ADD:
        store.addTiles(TILES, op.tiles, op.retention);
        break;
      case PUT:
        store.putTiles(TILES, op.tiles);
        break;
      case ERASE:
        store.erase(op.view, op.key);
        break;
      case MARK:
        store.advanceMark(op.mark, op.value);
        break;
      case CLEAR:
        store.clear(op.view);
        break;
      default:
        store.checkpoint();
    }
  }

  /** The expected state: an independent model of the store's rules (rows newest wins, tiles merged). */
  static final class Model {
    final Map<EntityKey, OnlineRow> rows = new HashMap<>();
    final Map<EntityKey, WindowTiles> tiles = new HashMap<>();
    final Map<String, Long> marks = new TreeMap<>();

    Model copy() {
      Model m = new Model();
      m.rows.putAll(rows);
      m.tiles.putAll(tiles);
      m.marks.putAll(marks);
      return m;
    }

    void apply(Op op) {
      switch (op.kind) {
        case ROWS:
          for (OnlineRow r : op.rows) {
            if (r.isNewerThan(rows.get(r.key()))) {
              rows.put(r.key(), r);
            }
          }
          break;
        case ADD:
          for (WindowTiles d : op.tiles) {
            WindowTiles m = WindowTiles.merge(tiles.get(d.key()), d, op.retention);
            if (m == null) {
              tiles.remove(d.key());
            } else {
              tiles.put(d.key(), m);
            }
          }
          break;
        case PUT:
          for (WindowTiles t : op.tiles) {
            if (t.size() == 0) {
              tiles.remove(t.key());
            } else {
              tiles.put(t.key(), t);
            }
          }
          break;
        case ERASE:
          (op.view.equals(ROWS) ? rows : tiles).remove(op.key);
          break;
        case MARK:
          marks.merge(op.mark, op.value, Math::max);
          break;
        case CLEAR:
          (op.view.equals(ROWS) ? rows : tiles).clear();
          break;
        default:
          break;
      }
    }

    /** The first difference from a store's state, or null when equal. */
    String differenceFrom(EmbeddedOnlineStore s) {
      List<EntityKey> keys = keys();
      List<OnlineRow> r = s.read(ROWS, keys);
      List<WindowTiles> t = s.readTiles(TILES, keys);
      for (int k = 0; k < KEYS; k++) {
        if (!java.util.Objects.equals(rows.get(keys.get(k)), r.get(k))) {
          return "row of " + keys.get(k) + ": expected " + rows.get(keys.get(k)) + ", stored " + r.get(k);
        }
        if (!java.util.Objects.equals(tiles.get(keys.get(k)), t.get(k))) {
          return "tiles of " + keys.get(k) + ": expected " + tiles.get(keys.get(k)) + ", stored " + t.get(k);
        }
      }
      for (int m = 0; m < 3; m++) {
        long want = marks.getOrDefault("mark" + m, Long.MIN_VALUE);
        if (s.readMark("mark" + m) != want) {
          return "mark" + m + ": expected " + want + ", stored " + s.readMark("mark" + m);
        }
      }
      if (s.size(ROWS) != rows.size()) {
        return "rows: expected " + rows.size() + ", stored " + s.size(ROWS);
      }
      return null;
    }
  }

  /**
   * Arguments: the store directory, {@code sync} or {@code group}, the first operation, the seed.
   *
   * @param args the arguments
   */
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    Durability d = args[1].equals("sync") ? Durability.SYNC_EVERY_WRITE : Durability.groupCommit(Duration.ofMillis(5));
    long i = Long.parseLong(args[2]);
    long seed = Long.parseLong(args[3]);
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    EmbeddedOnlineStore store = EmbeddedOnlineStore.builder(dir).durability(d).build();
    out.println("READY " + i);
    out.flush();
    for (; ; i++) {
      Op op = op(seed, i);
      out.println("BEGIN " + i + " " + op.kind);
      out.flush();
      run(store, op);
      out.println("ACK " + i);
      out.flush();
      if (d.mode() == Durability.Mode.GROUP_COMMIT && i % 25 == 24) {
        store.sync();
        out.println("SYNCED " + i);
        out.flush();
      }
    }
  }
}
