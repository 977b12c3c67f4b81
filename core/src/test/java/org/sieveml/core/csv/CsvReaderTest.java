package org.sieveml.core.csv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CsvReaderTest {

  static List<List<String>> all(CsvReader r, List<Long> lines) {
    List<List<String>> out = new ArrayList<>();
    List<String> rec;
    while ((rec = r.next()) != null) {
      out.add(rec);
      if (lines != null) {
        lines.add(r.line());
      }
    }
    return out;
  }

  static CsvReader open(String text) {
    return CsvFormat.defaults().open(new StringReader(text), "t.csv");
  }

  @Test
  void quotedFieldsHoldDelimitersDoubledQuotesAndBlanks() {
    List<List<String>> r = all(open("a,\"b,c\",\"say \"\"hi\"\"\", d ,  \"  e  \"  ,,\"\"\n"), null);
    assertEquals(List.of(List.of("a", "b,c", "say \"hi\"", "d", "  e  ", "", "")), r);
  }

  @Test
  void lineNumbersCountPhysicalLines() {
    String text = "h1,h2\n"          // line 1
        + "1,\"x\ny\"\n"              // lines 2-3
        + "\n"                         // line 4: blank, skipped
        + "2,z\r\n"                    // line 5
        + "3,\"p\r\nq\"\r"             // lines 6-7, a lone CR ends the record
        + "4,w";                       // line 8, no final line break
    List<Long> lines = new ArrayList<>();
    List<List<String>> r = all(open(text), lines);
    assertEquals(List.of(List.of("h1", "h2"), List.of("1", "x\ny"), List.of("2", "z"), List.of("3", "p\r\nq"),
        List.of("4", "w")), r);
    assertEquals(List.of(1L, 2L, 5L, 6L, 8L), lines);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> all(open("a,b\n\"x\ny\",2\n3,\"open\n\n\nmore"), null));
    assertEquals("t.csv line 4: a quoted field is never closed (field 2), expected a '\"' before the end of the text",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> all(open("a,b\n\"x\ny\",2\n\"3\"4,5\n"), null));
    assertTrue(e.getMessage().startsWith("t.csv line 4: field 1: text after the closing quote ('4')"), e.getMessage());
  }

  @Test
  void aCustomDelimiter() {
    CsvFormat semicolon = CsvFormat.builder().delimiter(';').build();
    assertEquals(List.of(List.of("a", "1,5", "x;y")),
        all(semicolon.open(new StringReader("a; 1,5 ;\"x;y\""), "s"), null));
    CsvFormat tab = CsvFormat.builder().delimiter('\t').build();
    assertEquals(List.of(List.of("a", "b c", "", "d")),
        all(tab.open(new StringReader("a\t b c \t\td\n"), "s"), null));
    assertThrows(IllegalArgumentException.class, () -> CsvFormat.builder().delimiter('"'));
    assertThrows(IllegalArgumentException.class, () -> CsvFormat.builder().delimiter('\n'));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CsvFormat.builder().maxFieldChars(10).maxRecordChars(5).build());
    assertEquals("maxFieldChars (10) must not exceed maxRecordChars (5)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CsvFormat.builder().maxFieldChars(0));
  }

  @Test
  void aByteOrderMarkIsSkippedAndBadUtf8IsRefusedNamingLineAndByte() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] text = "a,b\n1,\u00e9\n".getBytes(StandardCharsets.UTF_8);
    byte[] both = new byte[bom.length + text.length];
    System.arraycopy(bom, 0, both, 0, 3);
    System.arraycopy(text, 0, both, 3, text.length);
    assertEquals(List.of(List.of("a", "b"), List.of("1", "\u00e9")),
        all(CsvFormat.defaults().open(new ByteArrayInputStream(both), "bom.csv"), null));
    assertEquals(List.of(List.of("a", "b")), all(open("\uFEFFa,b"), null));
    assertNull(CsvFormat.defaults().open(new ByteArrayInputStream(bom), "bom.csv").next());

    byte[] latin1 = "a,b\n1,2\n3,Fran\u00e7e\n".getBytes(StandardCharsets.ISO_8859_1);
    CsvReader r = CsvFormat.defaults().open(new ByteArrayInputStream(latin1), "l.csv");
    assertEquals(List.of("a", "b"), r.next());
    assertEquals(List.of("1", "2"), r.next());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::next);
    assertEquals("l.csv line 3 (byte 14): bytes that are not UTF-8, expected a UTF-8 text", e.getMessage());
    assertThrows(IllegalStateException.class, r::next, "a failed reader is spent");
    // a sequence cut by the end of the stream
    byte[] cut = {'a', '\n', 'b', (byte) 0xC3};
    e = assertThrows(IllegalArgumentException.class,
        () -> all(CsvFormat.defaults().open(new ByteArrayInputStream(cut), "cut.csv"), null));
    assertEquals("cut.csv line 2 (byte 3): bytes that are not UTF-8, expected a UTF-8 text", e.getMessage());
  }

  @Test
  void fieldsAndRecordsOverTheirLimitsAreRefusedNotBuffered() {
    CsvFormat small = CsvFormat.builder().maxFieldChars(8).maxRecordChars(20).build();
    assertEquals(List.of(List.of("12345678", "12345678")),
        all(small.open(new StringReader("12345678,12345678\n"), "s"), null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> all(small.open(new StringReader("a\n\n1,123456789\n"), "s"), null));
    assertEquals("s line 3: field 2 is longer than maxFieldChars (8 characters), see CsvFormat.Builder.maxFieldChars",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> all(small.open(new StringReader("a\n1,2,3,4,5,6,7,8,9,10,11\n"), "s"), null));
    assertTrue(e.getMessage().startsWith("s line 2: the record is longer than maxRecordChars (20 characters)"),
        e.getMessage());

    // endless streams: refused at the default limits, not an OutOfMemoryError
    e = assertThrows(IllegalArgumentException.class,
        () -> CsvFormat.defaults().open(endless("\"", "x\n"), "quoted").next());
    assertEquals("quoted line 1: field 1 is longer than maxFieldChars (1048576 characters), see "
        + "CsvFormat.Builder.maxFieldChars", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> CsvFormat.defaults().open(endless("", "x,"), "fields").next());
    assertTrue(e.getMessage().startsWith("fields line 1: the record is longer than maxRecordChars (8388608 characters)"),
        e.getMessage());
  }

  /** {@code head}, then {@code body} repeated without end. */
  static InputStream endless(String head, String body) {
    byte[] h = head.getBytes(StandardCharsets.UTF_8);
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return new InputStream() {
      long n;

      @Override
      public int read() {
        long i = n++;
        return i < h.length ? h[(int) i] : b[(int) ((i - h.length) % b.length)];
      }

      @Override
      public int read(byte[] buf, int off, int len) {
        for (int i = 0; i < len; i++) {
          buf[off + i] = (byte) read();
        }
        return len;
      }
    };
  }

  @Test
  void blankLinesAreSkippedAndTheEndIsStable() {
    CsvReader r = open("\n\r\n\ra\n\n");
    assertEquals(List.of("a"), r.next());
    assertEquals(4, r.line());
    assertNull(r.next());
    assertNull(r.next());
    r.close();
    assertThrows(IllegalStateException.class, r::next);
  }

  /** Random records written with quoting where needed read back as written (seed: -Dsieveml.test.seed). */
  @Test
  void randomRecordsRoundTrip() {
    long seed = Long.getLong("sieveml.test.seed", 0xC5FL);
    SplittableRandom rnd = new SplittableRandom(seed);
    char[] alphabet = {'a', 'b', '1', ',', ';', '"', '\n', '\r', ' ', '\t', '\u00e9', '\uFEFF', '\uD83D', '\uDE00'};
    for (int round = 0; round < 300; round++) {
      char delimiter = rnd.nextBoolean() ? ',' : ';';
      List<List<String>> records = new ArrayList<>();
      StringBuilder text = new StringBuilder();
      int n = rnd.nextInt(1, 6);
      for (int i = 0; i < n; i++) {
        List<String> rec = new ArrayList<>();
        int fields = rnd.nextInt(1, 5);
        for (int f = 0; f < fields; f++) {
          StringBuilder s = new StringBuilder();
          int len = rnd.nextInt(0, 6);
          for (int k = 0; k < len; k++) {
            char c = alphabet[rnd.nextInt(alphabet.length)];
            s.append(c == '\uD83D' || c == '\uDE00' ? "\uD83D\uDE00" : String.valueOf(c));
          }
          rec.add(s.toString());
          if (f > 0) {
            text.append(delimiter);
          }
          text.append(quote(s.toString(), delimiter, fields == 1));
        }
        records.add(rec);
        text.append(rnd.nextBoolean() ? "\n" : "\r\n");
      }
      CsvFormat format = CsvFormat.builder().delimiter(delimiter).build();
      assertEquals(records, all(format.open(new StringReader(text.toString()), "r"), null),
          "seed " + seed + " round " + round + ": " + text);
      assertEquals(records, all(format.open(new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8)),
          "r"), null), "seed " + seed + " round " + round + ": " + text);
    }
  }

  /** Quotes a field when it must be: a delimiter, quote, line break, surrounding blank, a leading BOM. */
  static String quote(String s, char delimiter, boolean only) {
    boolean must = (only && s.isEmpty()) || s.indexOf(delimiter) >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0
        || s.indexOf('\r') >= 0 || s.startsWith(" ") || s.startsWith("\t") || s.endsWith(" ") || s.endsWith("\t")
        || s.startsWith("\uFEFF");
    return must ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
