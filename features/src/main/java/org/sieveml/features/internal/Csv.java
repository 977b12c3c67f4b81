package org.sieveml.features.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A small RFC 4180 reader: comma-separated fields, double-quoted fields may hold commas, quotes
 * (doubled) and line breaks. Not thread-safe.
 */
public final class Csv {

  private final BufferedReader in;
  private int line;
  private int recordLine;

  /**
   * Reads from a reader.
   *
   * @param in the text
   */
  public Csv(BufferedReader in) {
    this.in = in;
  }

  /**
   * The line on which the last record returned by {@link #next} started (1-based).
   *
   * @return the line number
   */
  public int line() {
    return recordLine;
  }

  /**
   * The next record.
   *
   * @return its fields, or null at the end
   * @throws IOException on a read error (a {@link java.nio.charset.CharacterCodingException} for bytes
   *     the reader's charset cannot decode)
   * @throws IllegalArgumentException on an unterminated quote, naming its line
   */
  public List<String> next() throws IOException {
    String l = in.readLine();
    while (l != null && l.isEmpty()) {
      line++;
      l = in.readLine();
    }
    if (l == null) {
      return null;
    }
    line++;
    recordLine = line;
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    int i = 0;
    while (true) {
      if (i == l.length()) {
        if (quoted) {
          String more = in.readLine();
          if (more == null) {
            throw new IllegalArgumentException("line " + recordLine + ": a quoted field is never closed, expected a "
                + "'\"' before the end of the file");
          }
          line++;
          f.append('\n');
          l = more;
          i = 0;
          continue;
        }
        out.add(wasQuoted ? f.toString() : f.toString().trim());
        return out;
      }
      char c = l.charAt(i++);
      if (quoted) {
        if (c == '"') {
          if (i < l.length() && l.charAt(i) == '"') {
            f.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          f.append(c);
        }
      } else if (c == '"' && f.toString().trim().isEmpty()) {
        quoted = true;
        wasQuoted = true;
        f.setLength(0);
      } else if (c == ',') {
        out.add(wasQuoted ? f.toString() : f.toString().trim());
        f.setLength(0);
        wasQuoted = false;
      } else {
        f.append(c);
      }
    }
  }
}
