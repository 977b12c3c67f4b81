package org.sieveml.features;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Events read from a stream, for {@link FeatureStore#pushFrom}: per (view, source) the rows with their
 * offsets in the source (e.g. a Kafka topic partition), the position the writer started from and the
 * position after the batch. The feature store applies it exactly once in effect: the offline log skips
 * rows it already holds, and the online state moves the source's position by compare-and-set in the
 * same atomic commit as the rows and window tiles.
 *
 * <pre>{@code
 * long from = store.streamPosition("card_txn_1h", "txns/0");       // on partition assignment
 * StreamBatch b = StreamBatch.builder()
 *     .add("card_txn_1h", "txns/0", events, offsets, from, lastOffset + 1)
 *     .build();
 * if (!store.pushFrom(b)) { ... }   // fenced: another writer moved the position
 * }</pre>
 *
 * <p>Immutable (the offsets are copied) and thread-safe; the builder is not thread-safe.
 */
public final class StreamBatch {

  /**
   * The events of one view from one source.
   *
   * @param view the view (a feature view or aggregation view)
   * @param source the source's name, e.g. {@code "txns/0"}
   * @param rows the rows
   * @param offsets each row's offset in the source, strictly increasing
   * @param expected the view's stored position for the source that the writer read
   *     ({@link FeatureStore#streamPosition}; {@code Long.MIN_VALUE}: none)
   * @param next the position after this batch (the next offset to read)
   */
  public record Part(String view, String source, EventBatch rows, long[] offsets, long expected, long next) {
    /** Copies the offsets. */
    public Part {
      offsets = offsets.clone();
    }

    /**
     * A copy of the offsets.
     *
     * @return the offsets
     */
    @Override
    public long[] offsets() {
      return offsets.clone();
    }

    long offset(int i) {
      return offsets[i];
    }

    int size() {
      return offsets.length;
    }
  }

  private final List<Part> parts;

  private StreamBatch(List<Part> parts) {
    this.parts = List.copyOf(parts);
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
   * The parts, in the order added.
   *
   * @return the parts
   */
  public List<Part> parts() {
    return parts;
  }

  @Override
  public String toString() {
    return "StreamBatch" + parts.stream().map(p -> p.view() + "<-" + p.source() + "[" + p.expected() + ".." + p.next()
        + ", " + p.size() + " rows]").toList();
  }

  /** Refuses offsets that are not one per row and strictly increasing (here and for offline stores). */
  static void checkOffsets(String view, String source, int rows, long[] offsets) {
    if (offsets == null || offsets.length != rows) {
      throw new IllegalArgumentException("offsets for view '" + view + "' from '" + source + "': "
          + (offsets == null ? "null" : offsets.length + " offsets") + ", expected one per row (" + rows + ")");
    }
    for (int i = 1; i < offsets.length; i++) {
      if (offsets[i] <= offsets[i - 1]) {
        throw new IllegalArgumentException("offset of row " + i + " for view '" + view + "' from '" + source + "' is "
            + offsets[i] + " after " + offsets[i - 1] + ", expected strictly increasing offsets");
      }
    }
  }

  /** Collects the parts of a {@link StreamBatch}. Not thread-safe. */
  public static final class Builder {
    private final List<Part> parts = new ArrayList<>();
    private final Set<String> seen = new HashSet<>();

    private Builder() {}

    /**
     * Adds the events of one view from one source.
     *
     * @param view the view's name
     * @param source the source's name (non-empty)
     * @param rows the rows (may be empty: the position still moves)
     * @param offsets one offset per row, strictly increasing, each at least {@code expected} when that
     *     is set (rows below it are skipped online as already applied)
     * @param expected the stored position the writer read, {@code Long.MIN_VALUE} for none
     * @param next the position after the batch: above the last offset, and not below {@code expected}
     * @return this builder
     * @throws IllegalArgumentException naming the field, the value and what was expected
     */
    public Builder add(String view, String source, EventBatch rows, long[] offsets, long expected, long next) {
      if (view == null) {
        throw new IllegalArgumentException("view must not be null");
      }
      if (source == null || source.isEmpty()) {
        throw new IllegalArgumentException("source for view '" + view + "' is " + (source == null ? "null" : "empty")
            + ", expected a name such as topic/partition");
      }
      if (rows == null) {
        throw new IllegalArgumentException("rows for view '" + view + "' from '" + source + "' must not be null");
      }
      checkOffsets(view, source, rows.size(), offsets);
      if (offsets.length > 0 && next <= offsets[offsets.length - 1]) {
        throw new IllegalArgumentException("next position for view '" + view + "' from '" + source + "' is " + next
            + ", expected above the last offset " + offsets[offsets.length - 1]);
      }
      if (expected != Long.MIN_VALUE && next < expected) {
        throw new IllegalArgumentException("next position for view '" + view + "' from '" + source + "' is " + next
            + ", expected at least the position it starts from (" + expected + ")");
      }
      if (!seen.add(view + "\u0000" + source)) {
        throw new IllegalArgumentException("view '" + view + "' from '" + source + "' is added twice to one batch");
      }
      parts.add(new Part(view, source, rows, offsets, expected, next));
      return this;
    }

    /**
     * Builds the batch.
     *
     * @return the batch
     */
    public StreamBatch build() {
      return new StreamBatch(parts);
    }
  }
}
