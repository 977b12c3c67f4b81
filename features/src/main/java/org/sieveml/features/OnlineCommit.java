package org.sieveml.features;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Writes to an {@link OnlineStore} that take effect together or not at all: rows, tile deltas and
 * named marks moved by compare-and-set ({@link OnlineStore#commit}). This is how a stream's consumed
 * position travels with the state it produced: the position is a mark, so a crash never leaves state
 * without its position or a position without its state, and a writer that lost its stream partition
 * to another (whose commits moved the mark) fails its compare-and-set instead of applying twice.
 *
 * <pre>{@code
 * OnlineCommit c = OnlineCommit.builder()
 *     .addTiles("card_txn_1h", deltas, retention)
 *     .mark("stream/card_txn_1h/txns/0", 1200, 1250)   // expected 1200, becomes 1250
 *     .build();
 * boolean applied = store.commit(c);
 * }</pre>
 *
 * <p>Immutable and thread-safe; the builder is not thread-safe.
 */
public final class OnlineCommit {

  /**
   * Rows of one view, applied as {@link OnlineStore#write} applies them.
   *
   * @param view the view
   * @param rows the rows
   */
  public record RowWrite(String view, List<OnlineRow> rows) {
    /** Checks and copies. */
    public RowWrite {
      Objects.requireNonNull(view, "view");
      rows = List.copyOf(rows);
    }
  }

  /**
   * Tile deltas of one aggregation view, merged as {@link OnlineStore#addTiles} merges them.
   *
   * @param view the view
   * @param deltas one delta per key (keys distinct)
   * @param retention which tiles are no longer needed
   */
  public record TileAdd(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
    /** Checks and copies. */
    public TileAdd {
      Objects.requireNonNull(view, "view");
      Objects.requireNonNull(retention, "retention");
      deltas = List.copyOf(deltas);
    }
  }

  /**
   * A mark moved by compare-and-set: the commit applies only if the stored value is {@code expected}
   * ({@code Long.MIN_VALUE}: never set), and then sets it to {@code value}.
   *
   * @param name the mark's name
   * @param expected the value the writer read
   * @param value the new value
   */
  public record MarkUpdate(String name, long expected, long value) {
    /** Checks. */
    public MarkUpdate {
      Objects.requireNonNull(name, "name");
    }
  }

  private final List<RowWrite> rows;
  private final List<TileAdd> tiles;
  private final List<MarkUpdate> marks;

  private OnlineCommit(Builder b) {
    this.rows = List.copyOf(b.rows);
    this.tiles = List.copyOf(b.tiles);
    this.marks = List.copyOf(b.marks);
  }

  /**
   * A new builder.
   *
   * @return an empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The row writes, in order.
   *
   * @return the row writes
   */
  public List<RowWrite> rows() {
    return rows;
  }

  /**
   * The tile adds, in order.
   *
   * @return the tile adds
   */
  public List<TileAdd> tiles() {
    return tiles;
  }

  /**
   * The marks to move.
   *
   * @return the mark updates (names distinct)
   */
  public List<MarkUpdate> marks() {
    return marks;
  }

  /** Whether the commit writes nothing. */
  boolean isEmpty() {
    return rows.isEmpty() && tiles.isEmpty() && marks.isEmpty();
  }

  @Override
  public String toString() {
    int r = rows.stream().mapToInt(w -> w.rows().size()).sum();
    int t = tiles.stream().mapToInt(w -> w.deltas().size()).sum();
    return "OnlineCommit[rows=" + r + ", tileDeltas=" + t + ", marks=" + marks + "]";
  }

  /** Collects the writes of a commit. Not thread-safe. */
  public static final class Builder {
    private final List<RowWrite> rows = new ArrayList<>();
    private final List<TileAdd> tiles = new ArrayList<>();
    private final List<MarkUpdate> marks = new ArrayList<>();

    private Builder() {}

    /**
     * Adds rows of a view.
     *
     * @param view the view's name
     * @param rows the rows (none: nothing is added)
     * @return this builder
     * @throws IllegalArgumentException naming the field when an argument or a row is null
     */
    public Builder rows(String view, List<OnlineRow> rows) {
      check("view", view);
      check("rows", rows);
      for (int i = 0; i < rows.size(); i++) {
        if (rows.get(i) == null) {
          throw new IllegalArgumentException("row " + i + " of view '" + view + "' is null");
        }
      }
      if (!rows.isEmpty()) {
        this.rows.add(new RowWrite(view, rows));
      }
      return this;
    }

    /**
     * Adds tile deltas of an aggregation view.
     *
     * @param view the view's name
     * @param deltas one delta per key, keys distinct (none: nothing is added)
     * @param retention which tiles are no longer needed
     * @return this builder
     * @throws IllegalArgumentException naming the field when an argument or a delta is null
     */
    public Builder addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
      check("view", view);
      check("deltas", deltas);
      check("retention", retention);
      for (int i = 0; i < deltas.size(); i++) {
        if (deltas.get(i) == null) {
          throw new IllegalArgumentException("delta " + i + " of view '" + view + "' is null");
        }
      }
      if (!deltas.isEmpty()) {
        tiles.add(new TileAdd(view, deltas, retention));
      }
      return this;
    }

    /**
     * Moves a mark by compare-and-set.
     *
     * @param name the mark's name
     * @param expected the value it must have ({@code Long.MIN_VALUE}: never set)
     * @param value its new value
     * @return this builder
     * @throws IllegalArgumentException when the name is null or already moved by this commit
     */
    public Builder mark(String name, long expected, long value) {
      check("mark name", name);
      for (MarkUpdate m : marks) {
        if (m.name().equals(name)) {
          throw new IllegalArgumentException("mark '" + name + "' is moved twice in one commit");
        }
      }
      marks.add(new MarkUpdate(name, expected, value));
      return this;
    }

    /**
     * Builds the commit.
     *
     * @return the commit
     */
    public OnlineCommit build() {
      return new OnlineCommit(this);
    }

    private static void check(String field, Object value) {
      if (value == null) {
        throw new IllegalArgumentException(field + " must not be null");
      }
    }
  }
}
