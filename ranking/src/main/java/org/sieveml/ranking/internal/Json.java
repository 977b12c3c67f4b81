package org.sieveml.ranking.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (objects to {@link LinkedHashMap}, arrays to {@link ArrayList}, numbers to
 * {@link Double}), used to read XGBoost's model JSON. Every malformed input — truncated text, bad
 * escapes or numbers, nesting deeper than {@value #MAX_DEPTH} — ends in an {@link IllegalArgumentException}
 * naming the offset, never another throwable (a stack overflow, an index out of bounds).
 * Thread-safety: stateless entry point.
 */
public final class Json {
  /** The deepest nesting of objects and arrays accepted (XGBoost's models nest a few levels). */
  public static final int MAX_DEPTH = 256;

  private final String s;
  private int i;
  private int depth;

  private Json(String s) {
    this.s = s;
  }

  /**
   * Parses a document.
   *
   * @param text the JSON text
   * @return the value
   */
  public static Object parse(String text) {
    Json j = new Json(text);
    Object v = j.value();
    j.ws();
    if (j.i != j.s.length()) {
      throw j.err("trailing characters");
    }
    return v;
  }

  private IllegalArgumentException err(String what) {
    return new IllegalArgumentException("malformed JSON at offset " + i + ": " + what);
  }

  /** The character at the cursor, without moving it. */
  private char peek() {
    if (i >= s.length()) {
      throw err("unexpected end");
    }
    return s.charAt(i);
  }

  /** The character at the cursor, moving past it. */
  private char next() {
    char c = peek();
    i++;
    return c;
  }

  private void enter() {
    if (++depth > MAX_DEPTH) {
      throw err("nesting deeper than " + MAX_DEPTH + " levels");
    }
  }

  private void ws() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private Object value() {
    ws();
    if (i >= s.length()) {
      throw err("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        expect("true");
        return Boolean.TRUE;
      case 'f':
        expect("false");
        return Boolean.FALSE;
      case 'n':
        expect("null");
        return null;
      default:
        return number();
    }
  }

  private void expect(String word) {
    if (!s.startsWith(word, i)) {
      throw err("expected " + word);
    }
    i += word.length();
  }

  private Map<String, Object> object() {
    enter();
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    ws();
    if (peek() == '}') {
      i++;
      depth--;
      return m;
    }
    while (true) {
      ws();
      String k = string();
      ws();
      if (next() != ':') {
        throw err("expected ':'");
      }
      m.put(k, value());
      ws();
      char c = next();
      if (c == '}') {
        depth--;
        return m;
      }
      if (c != ',') {
        throw err("expected ',' or '}'");
      }
    }
  }

  private List<Object> array() {
    enter();
    List<Object> l = new ArrayList<>();
    i++;
    ws();
    if (peek() == ']') {
      i++;
      depth--;
      return l;
    }
    while (true) {
      l.add(value());
      ws();
      char c = next();
      if (c == ']') {
        depth--;
        return l;
      }
      if (c != ',') {
        throw err("expected ',' or ']'");
      }
    }
  }

  private String string() {
    if (peek() != '"') {
      throw err("expected string");
    }
    i++;
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return b.toString();
      }
      if (c == '\\') {
        char e = next();
        switch (e) {
          case 'n':
            b.append('\n');
            break;
          case 't':
            b.append('\t');
            break;
          case 'r':
            b.append('\r');
            break;
          case 'b':
            b.append('\b');
            break;
          case 'f':
            b.append('\f');
            break;
          case 'u':
            if (i + 4 > s.length()) {
              throw err("unexpected end in a \\u escape");
            }
            try {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            } catch (NumberFormatException bad) {
              throw err("bad \\u escape '" + s.substring(i, i + 4) + "'");
            }
            i += 4;
            break;
          default:
            b.append(e);
        }
      } else {
        b.append(c);
      }
    }
  }

  private Double number() {
    int st = i;
    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    if (st == i) {
      throw err("unexpected character '" + peek() + "'");
    }
    try {
      return Double.parseDouble(s.substring(st, i));
    } catch (NumberFormatException bad) {
      throw err("bad number '" + s.substring(st, i) + "'");
    }
  }
}
