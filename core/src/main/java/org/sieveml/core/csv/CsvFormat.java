package org.sieveml.core.csv;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sieveml.core.internal.Checks;

/**
 * A CSV dialect and the limits that bound a reader's memory: the field delimiter (a comma unless set),
 * the longest field and the longest record, in characters. A field or record over its limit is refused
 * with an {@link IllegalArgumentException} naming the line, so a file with an unclosed quote or without
 * line breaks costs at most about {@code 2 * maxRecordChars} bytes of heap, never an
 * {@link OutOfMemoryError}.
 *
 * <p>Opens {@link CsvReader}s over a file, a byte stream (both decoded as UTF-8, strictly: bytes that
 * are not UTF-8 are refused naming their line and byte offset) or a character stream. A leading byte
 * order mark is skipped in all three. See the {@linkplain org.sieveml.core.csv package} for the dialect.
 *
 * <p>Immutable and thread-safe; build one with {@link #builder()} or use {@link #defaults()}.
 */
public final class CsvFormat {

  /** The default {@link #maxFieldChars()}: 1 Mi characters (2 MiB of heap as a string). */
  public static final int DEFAULT_MAX_FIELD_CHARS = 1 << 20;
  /** The default {@link #maxRecordChars()}: 8 Mi characters. */
  public static final int DEFAULT_MAX_RECORD_CHARS = 1 << 23;

  private static final CsvFormat DEFAULTS = new CsvFormat(',', DEFAULT_MAX_FIELD_CHARS, DEFAULT_MAX_RECORD_CHARS);

  private final char delimiter;
  private final int maxFieldChars;
  private final int maxRecordChars;

  private CsvFormat(char delimiter, int maxFieldChars, int maxRecordChars) {
    this.delimiter = delimiter;
    this.maxFieldChars = maxFieldChars;
    this.maxRecordChars = maxRecordChars;
  }

  /**
   * The default format: comma-delimited, {@value #DEFAULT_MAX_FIELD_CHARS} characters per field and
   * {@value #DEFAULT_MAX_RECORD_CHARS} per record.
   *
   * @return the default format
   */
  public static CsvFormat defaults() {
    return DEFAULTS;
  }

  /**
   * Returns a builder starting from the {@linkplain #defaults() defaults}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The character between fields.
   *
   * @return the delimiter
   */
  public char delimiter() {
    return delimiter;
  }

  /**
   * The longest field accepted, in characters (after removing quotes and surrounding blanks).
   *
   * @return the limit
   */
  public int maxFieldChars() {
    return maxFieldChars;
  }

  /**
   * The longest record accepted, in characters as they stand in the text (delimiters, quotes and
   * quoted line breaks included).
   *
   * @return the limit
   */
  public int maxRecordChars() {
    return maxRecordChars;
  }

  /**
   * Opens a UTF-8 file. Messages name the source by the file's name (without its directory).
   *
   * @param file the file
   * @return a reader positioned before the first record; the caller closes it
   * @throws UncheckedIOException if the file cannot be opened
   */
  public CsvReader open(Path file) {
    Checks.notNull("file", file);
    Path name = file.getFileName();
    try {
      return new CsvReader(this, Files.newInputStream(file), null, name == null ? file.toString() : name.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads UTF-8 bytes.
   *
   * @param in the bytes; closing the reader closes the stream
   * @param source names the input in messages, e.g. a file or resource name
   * @return a reader positioned before the first record; the caller closes it
   */
  public CsvReader open(InputStream in, String source) {
    return new CsvReader(this, Checks.notNull("in", in), null, Checks.notNull("source", source));
  }

  /**
   * Reads characters that the caller has decoded. Decoding errors the reader reports (a
   * {@link java.nio.charset.CharacterCodingException}) are refused naming the line reached.
   *
   * @param in the text; closing the reader closes it
   * @param source names the input in messages
   * @return a reader positioned before the first record; the caller closes it
   */
  public CsvReader open(Reader in, String source) {
    return new CsvReader(this, null, Checks.notNull("in", in), Checks.notNull("source", source));
  }

  @Override
  public String toString() {
    return "CsvFormat{delimiter='" + delimiter + "', maxFieldChars=" + maxFieldChars + ", maxRecordChars="
        + maxRecordChars + "}";
  }

  /** Builds a {@link CsvFormat}; every setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private char delimiter = ',';
    private int maxFieldChars = DEFAULT_MAX_FIELD_CHARS;
    private int maxRecordChars = DEFAULT_MAX_RECORD_CHARS;

    private Builder() {}

    /**
     * Sets the field delimiter, e.g. {@code ';'} or {@code '\t'}.
     *
     * @param delimiter any character but a double quote, a space, CR, LF or half of a surrogate pair
     * @return this builder
     * @throws IllegalArgumentException for a character that cannot delimit
     */
    public Builder delimiter(char delimiter) {
      if (delimiter == '"' || delimiter == ' ' || delimiter == '\r' || delimiter == '\n' || delimiter == '\uFEFF'
          || Character.isSurrogate(delimiter)) {
        throw new IllegalArgumentException("delimiter must not be a quote, a space, a line break, a byte order mark "
            + "or a surrogate, was U+" + String.format("%04X", (int) delimiter));
      }
      this.delimiter = delimiter;
      return this;
    }

    /**
     * Sets the longest field accepted.
     *
     * @param chars positive
     * @return this builder
     */
    public Builder maxFieldChars(int chars) {
      this.maxFieldChars = Checks.positive("maxFieldChars", chars);
      return this;
    }

    /**
     * Sets the longest record accepted.
     *
     * @param chars positive, at least {@link #maxFieldChars(int)}
     * @return this builder
     */
    public Builder maxRecordChars(int chars) {
      this.maxRecordChars = Checks.positive("maxRecordChars", chars);
      return this;
    }

    /**
     * Builds the format.
     *
     * @return the immutable format
     * @throws IllegalArgumentException if {@code maxFieldChars > maxRecordChars}
     */
    public CsvFormat build() {
      if (maxFieldChars > maxRecordChars) {
        throw new IllegalArgumentException("maxFieldChars (" + maxFieldChars + ") must not exceed maxRecordChars ("
            + maxRecordChars + ")");
      }
      return new CsvFormat(delimiter, maxFieldChars, maxRecordChars);
    }
  }
}
