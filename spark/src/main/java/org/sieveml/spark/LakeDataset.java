package org.sieveml.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A view's history as a Parquet dataset in a lake: where the files are and which column holds what.
 * A dataset is a directory (read recursively, so {@code event_date=.../} partition directories are
 * fine) or a list of files. Columns not named here are ignored.
 *
 * <ul>
 *   <li>an entity key column per join key of the view's entity (default: the join key's name), 64-bit
 *       or 32-bit integers, or strings;
 *   <li>the event time (required): a timestamp, or epoch milliseconds as a 64-bit integer;
 *   <li>the created time (optional; default the event time) and the ingestion time (optional; default
 *       the created time, as a batch load of history counts in the embedded store), likewise;
 *   <li>a sequence (optional): the ingestion order that breaks ties of equal event and created times,
 *       as the embedded store's log sequence does; without it ties go by ingestion time, then file path,
 *       then row position in the file;
 *   <li>a column per stored field of the view (default: the field's name): for a feature view its
 *       features, for an aggregation view its input fields. DOUBLE reads doubles or floats, LONG 64- or
 *       32-bit integers, BOOLEAN booleans, STRING strings, EMBEDDING arrays of floats.
 * </ul>
 *
 * <p>{@link SparkFeatureStore.Builder#dataset} checks every file's footer against this mapping when the
 * dataset is registered. Immutable, serializable (it travels with Spark jobs) and thread-safe.
 */
public final class LakeDataset implements Serializable {

  private static final long serialVersionUID = 1L;

  private final String view;
  private final List<String> paths;
  private final Map<String, String> keyColumns;
  private final String eventTime;
  private final String createdTime;
  private final String ingestionTime;
  private final String sequence;
  private final Map<String, String> fieldColumns;

  private LakeDataset(Builder b) {
    this.view = b.view;
    this.paths = List.copyOf(b.paths);
    this.keyColumns = Map.copyOf(b.keyColumns);
    this.eventTime = b.eventTime;
    this.createdTime = b.createdTime;
    this.ingestionTime = b.ingestionTime;
    this.sequence = b.sequence;
    this.fieldColumns = Map.copyOf(b.fieldColumns);
  }

  /**
   * Starts a dataset of a view.
   *
   * @param view the registered view's name
   * @return a builder
   * @throws IllegalArgumentException if the name is null or empty
   */
  public static Builder builder(String view) {
    if (view == null || view.isEmpty()) {
      throw new IllegalArgumentException("view was '" + view + "', expected a registered view's name");
    }
    return new Builder(view);
  }

  /**
   * The view.
   *
   * @return its name
   */
  public String view() {
    return view;
  }

  /**
   * The dataset's directories and files.
   *
   * @return paths (Hadoop file system URIs or local paths)
   */
  public List<String> paths() {
    return paths;
  }

  /**
   * The column of a join key.
   *
   * @param joinKey the join key
   * @return its column
   */
  public String keyColumn(String joinKey) {
    return keyColumns.getOrDefault(joinKey, joinKey);
  }

  /**
   * The event time column.
   *
   * @return its name
   */
  public String eventTime() {
    return eventTime;
  }

  /**
   * The created time column.
   *
   * @return its name, or null (the event time counts)
   */
  public String createdTime() {
    return createdTime;
  }

  /**
   * The ingestion time column.
   *
   * @return its name, or null (the created time counts)
   */
  public String ingestionTime() {
    return ingestionTime;
  }

  /**
   * The sequence column.
   *
   * @return its name, or null (ties go by ingestion time, file, row position)
   */
  public String sequence() {
    return sequence;
  }

  /**
   * The column of a stored field.
   *
   * @param field a feature (feature view) or input field (aggregation view)
   * @return its column
   */
  public String fieldColumn(String field) {
    return fieldColumns.getOrDefault(field, field);
  }

  @Override
  public String toString() {
    return "LakeDataset[" + view + " at " + paths + "]";
  }

  /** Builds a {@link LakeDataset}. Not thread-safe. */
  public static final class Builder {
    private final String view;
    private final List<String> paths = new ArrayList<>();
    private final Map<String, String> keyColumns = new LinkedHashMap<>();
    private String eventTime;
    private String createdTime;
    private String ingestionTime;
    private String sequence;
    private final Map<String, String> fieldColumns = new LinkedHashMap<>();

    private Builder(String view) {
      this.view = view;
    }

    /**
     * Adds directories or files.
     *
     * @param paths paths or URIs
     * @return this builder
     * @throws IllegalArgumentException if a path is null or empty
     */
    public Builder path(String... paths) {
      for (String p : paths) {
        this.paths.add(name("path", p));
      }
      return this;
    }

    /**
     * Names the column of a join key (default: the join key's name).
     *
     * @param joinKey the entity's join key
     * @param column the column
     * @return this builder
     */
    public Builder keyColumn(String joinKey, String column) {
      keyColumns.put(name("joinKey", joinKey), name("column", column));
      return this;
    }

    /**
     * Names the event time column (required).
     *
     * @param column the column
     * @return this builder
     */
    public Builder eventTime(String column) {
      this.eventTime = name("eventTime", column);
      return this;
    }

    /**
     * Names the created time column.
     *
     * @param column the column
     * @return this builder
     */
    public Builder createdTime(String column) {
      this.createdTime = name("createdTime", column);
      return this;
    }

    /**
     * Names the ingestion time column.
     *
     * @param column the column
     * @return this builder
     */
    public Builder ingestionTime(String column) {
      this.ingestionTime = name("ingestionTime", column);
      return this;
    }

    /**
     * Names the sequence column.
     *
     * @param column the column
     * @return this builder
     */
    public Builder sequence(String column) {
      this.sequence = name("sequence", column);
      return this;
    }

    /**
     * Names the column of a stored field (default: the field's name).
     *
     * @param field the feature or input field
     * @param column the column
     * @return this builder
     */
    public Builder fieldColumn(String field, String column) {
      fieldColumns.put(name("field", field), name("column", column));
      return this;
    }

    /**
     * Builds the dataset description (the files are checked when it is registered).
     *
     * @return the dataset
     * @throws IllegalStateException if no path or no event time column was given
     */
    public LakeDataset build() {
      if (paths.isEmpty()) {
        throw new IllegalStateException("dataset of view '" + view + "' has no path, expected path(...)");
      }
      if (eventTime == null) {
        throw new IllegalStateException("dataset of view '" + view + "' has no event time column, expected "
            + "eventTime(column)");
      }
      return new LakeDataset(this);
    }

    private static String name(String what, String value) {
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException(what + " was '" + value + "', expected a non-empty name");
      }
      return value;
    }
  }
}
