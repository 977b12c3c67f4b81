package org.sieveml.spark;

/**
 * A file of a lake dataset cannot serve its view: it is missing, not a readable Parquet file (a corrupt
 * footer), lacks a mapped column, holds it with a type the view cannot read, or is damaged inside (a
 * row group that does not decode). The message names the file, the column or row group, what was found
 * and what was expected; nothing was read into any store.
 *
 * <p>Immutable and thread-safe.
 */
public final class LakeDatasetException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The file. */
  private final String file;
  /** The column, or null. */
  private final String column;

  /**
   * A new exception.
   *
   * @param file the file
   * @param column the column, or null when the problem is not one column's
   * @param message what was found and what was expected
   * @param cause the underlying error, or null
   */
  public LakeDatasetException(String file, String column, String message, Throwable cause) {
    super(file + (column == null ? "" : ", column '" + column + "'") + ": " + message, cause);
    this.file = file;
    this.column = column;
  }

  /**
   * The file.
   *
   * @return its path or URI
   */
  public String file() {
    return file;
  }

  /**
   * The column.
   *
   * @return its name, or null
   */
  public String column() {
    return column;
  }
}
