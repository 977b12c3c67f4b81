package org.sieveml.core.csv;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A cursor over the records of a CSV text: {@link #next()} returns each record's fields as strings,
 * {@link #line()} the physical line it starts on. Opened by {@link CsvFormat#open}; the dialect and
 * the limits are the format's (see the {@linkplain org.sieveml.core.csv package}).
 *
 * <p>Fields come back as written, without their quotes and the blanks around them; an empty field
 * (quoted or not) is the empty string, and this reader gives it no further meaning. Quoted line breaks
 * are kept as they stand (CRLF stays CRLF). Text is read in blocks of 8 Ki characters; memory is
 * bounded by the format's limits.
 *
 * <p>Errors: {@link IllegalArgumentException} for text that is not CSV (an unclosed quote, text after a
 * closing quote, a field or record over its limit, bytes that are not UTF-8), the message starting with
 * {@code "<source> line <n>"}; {@link UncheckedIOException} when the input cannot be read. After either,
 * the reader is spent: further calls to {@link #next()} throw {@link IllegalStateException}.
 *
 * <p>Not thread-safe: one thread reads at a time. The caller closes the reader, which closes the stream
 * it reads.
 */
public final class CsvReader implements Closeable {

  private static final int BUFFER = 8192;

  private final CsvFormat format;
  private final char delimiter;
  private final String source;
  private final InputStream bytesIn;
  private final Reader charsIn;
  private final CharsetDecoder decoder;
  private final ByteBuffer bytes;
  private long bytesBefore;
  private boolean bytesEnd;
  private boolean flushed;
  private long malformedAt = -1;

  private final char[] buf = new char[BUFFER];
  private int pos;
  private int lim;
  private boolean started;
  private boolean end;
  private boolean previousCr;
  private long line = 1;
  private long recordLine;
  private long recordChars;
  private final StringBuilder field = new StringBuilder();
  private String failure;
  private boolean closed;

  CsvReader(CsvFormat format, InputStream bytesIn, Reader charsIn, String source) {
    this.format = format;
    this.delimiter = format.delimiter();
    this.source = source;
    this.bytesIn = bytesIn;
    this.charsIn = charsIn;
    if (bytesIn != null) {
      this.decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
      this.bytes = ByteBuffer.allocate(BUFFER);
      this.bytes.flip();
    } else {
      this.decoder = null;
      this.bytes = null;
    }
  }

  /**
   * The name of the input, as messages give it.
   *
   * @return the source's name
   */
  public String source() {
    return source;
  }

  /**
   * The format this reader follows.
   *
   * @return the format
   */
  public CsvFormat format() {
    return format;
  }

  /**
   * The physical line (1-based) on which the record last returned by {@link #next()} starts; 0 before
   * the first. Blank lines and quoted line breaks count.
   *
   * @return the line number
   */
  public long line() {
    return recordLine;
  }

  /**
   * Reads the next record, skipping blank lines.
   *
   * @return its fields (an unmodifiable list of at least one field), or null at the end of the text
   * @throws IllegalArgumentException for text that is not CSV, naming the source and the line: the line
   *     the record starts on for a record or field over its limit, the line of the opening quote for a
   *     quote never closed, else the line where the fault is
   * @throws UncheckedIOException if the input cannot be read
   * @throws IllegalStateException if the reader is closed or failed before
   */
  public List<String> next() {
    if (closed) {
      throw new IllegalStateException(source + ": the reader is closed");
    }
    if (failure != null) {
      throw new IllegalStateException(source + ": the reader failed before: " + failure);
    }
    int c;
    do {
      recordChars = 0;
      c = read();
    } while (c == '\n' || c == '\r');
    if (c < 0) {
      return null;
    }
    recordLine = line;
    recordChars = 1;
    List<String> out = new ArrayList<>();
    while (true) {
      field.setLength(0);
      while (isBlank(c)) {
        c = read();
      }
      if (c == '"') {
        long quoteLine = line;
        while (true) {
          c = read();
          if (c < 0) {
            throw fail(quoteLine, "a quoted field is never closed (field " + (out.size() + 1)
                + "), expected a '\"' before the end of the text");
          }
          if (c == '"') {
            if (peek() != '"') {
              break;
            }
            read();
          }
          append(c, out.size());
        }
        c = read();
        while (isBlank(c)) {
          c = read();
        }
        if (c >= 0 && c != delimiter && c != '\n' && c != '\r') {
          throw fail(line, "field " + (out.size() + 1) + ": text after the closing quote ('" + (char) c
              + "'), expected '" + delimiter + "' or the end of the line (a quote inside a quoted field is doubled)");
        }
        out.add(field.toString());
      } else {
        while (c >= 0 && c != delimiter && c != '\n' && c != '\r') {
          append(c, out.size());
          c = read();
        }
        int n = field.length();
        while (n > 0 && isBlank(field.charAt(n - 1))) {
          n--;
        }
        out.add(field.substring(0, n));
      }
      if (c != delimiter) {
        return Collections.unmodifiableList(out);
      }
      c = read();
    }
  }

  /**
   * Closes the input. Idempotent.
   *
   * @throws UncheckedIOException if closing the input fails
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (bytesIn != null) {
        bytesIn.close();
      } else {
        charsIn.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + source + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "CsvReader{" + source + ", line " + recordLine + "}";
  }

  private boolean isBlank(int c) {
    return (c == ' ' || c == '\t') && c != delimiter;
  }

  private void append(int c, int fieldIndex) {
    if (field.length() == format.maxFieldChars()) {
      throw fail(recordLine, "field " + (fieldIndex + 1) + " is longer than maxFieldChars (" + format.maxFieldChars()
          + " characters), see CsvFormat.Builder.maxFieldChars");
    }
    field.append((char) c);
  }

  /** The next character, or -1 at the end; counts lines and the record's characters. */
  private int read() {
    if (pos == lim && !fill()) {
      return -1;
    }
    char c = buf[pos++];
    if (c == '\r') {
      line++;
      previousCr = true;
    } else {
      if (c == '\n' && !previousCr) {
        line++;
      }
      previousCr = false;
    }
    if (++recordChars > format.maxRecordChars()) {
      throw fail(recordLine, "the record is longer than maxRecordChars (" + format.maxRecordChars()
          + " characters), see CsvFormat.Builder.maxRecordChars (or a quote is never closed)");
    }
    return c;
  }

  /** The next character without consuming it, or -1 at the end. */
  private int peek() {
    if (pos == lim && !fill()) {
      return -1;
    }
    return buf[pos];
  }

  private boolean fill() {
    if (end) {
      return false;
    }
    pos = 0;
    lim = 0;
    int n;
    try {
      n = decoder != null ? decode() : readChars();
    } catch (CharacterCodingException e) {
      throw fail(line, "text that cannot be decoded (" + e + ")");
    } catch (IOException e) {
      failure = "cannot read: " + e;
      throw new UncheckedIOException("cannot read " + source + ": " + e.getMessage(), e);
    }
    if (n <= 0) {
      end = true;
      return false;
    }
    lim = n;
    if (!started) {
      started = true;
      if (buf[0] == '\uFEFF') {
        pos = 1;
        if (lim == 1) {
          return fill();
        }
      }
    }
    return true;
  }

  private int readChars() throws IOException {
    int n;
    do {
      n = charsIn.read(buf, 0, buf.length);
    } while (n == 0);
    return n;
  }

  /** Decodes the next characters into {@code buf}, delivering those before a malformed sequence first. */
  private int decode() throws IOException {
    if (malformedAt >= 0) {
      throw malformed();
    }
    if (flushed) {
      return 0;
    }
    CharBuffer out = CharBuffer.wrap(buf);
    while (true) {
      CoderResult r = decoder.decode(bytes, out, bytesEnd);
      if (r.isError()) {
        malformedAt = bytesBefore + bytes.position();
        if (out.position() > 0) {
          return out.position();
        }
        throw malformed();
      }
      if (r.isOverflow()) {
        return out.position();
      }
      if (bytesEnd) {
        decoder.flush(out);
        flushed = true;
        return out.position();
      }
      if (out.position() > 0) {
        return out.position();
      }
      bytesBefore += bytes.position();
      bytes.compact();
      int n = bytesIn.read(bytes.array(), bytes.position(), bytes.remaining());
      if (n < 0) {
        bytesEnd = true;
      } else {
        bytes.position(bytes.position() + n);
      }
      bytes.flip();
    }
  }

  private IllegalArgumentException malformed() {
    return fail(line, " (byte " + malformedAt + ")", "bytes that are not UTF-8, expected a UTF-8 text");
  }

  private IllegalArgumentException fail(long where, String message) {
    return fail(where, "", message);
  }

  private IllegalArgumentException fail(long where, String detail, String message) {
    String m = source + " line " + where + detail + ": " + message;
    failure = m;
    return new IllegalArgumentException(m);
  }
}
