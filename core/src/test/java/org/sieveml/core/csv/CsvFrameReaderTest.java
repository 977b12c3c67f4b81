package org.sieveml.core.csv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

class CsvFrameReaderTest {

  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("ctr").addLong("clicks").addBoolean("new")
      .addString("country").addEmbedding("emb", 2).build();

  @TempDir
  Path dir;

  static FeatureFrame read(String text) {
    return CsvFrameReader.builder(SCHEMA).build().read(new StringReader(text), "f.csv");
  }

  static IllegalArgumentException refused(String text) {
    return assertThrows(IllegalArgumentException.class, () -> read(text));
  }

  @Test
  void everyTypeIsParsedAndAnEmptyFieldIsMissing() {
    FeatureFrame f = read(String.join("\n",
        "country,extra,emb,new,clicks,ctr",
        "\"Germany, Berlin\",x,1 -2.5e1,TRUE,-7,0.25",
        ",,,,,",
        "\"\",y,\"\",\"\",\"\",\"\"",
        "\" NZ \",z,  3  4 ,0,+9223372036854775807,-1e-3",
        ""));
    assertEquals(SCHEMA, f.schema());
    assertEquals(4, f.rowCount());
    assertEquals(0.25, f.asDouble(0, 0));
    assertEquals(-7, f.getLong(0, 1, 0));
    assertEquals(1.0, f.asDouble(0, 2));
    assertEquals("Germany, Berlin", f.getString(0, 3));
    assertArrayEquals(new float[] {1, -25}, f.getEmbedding(0, 4));
    for (int row = 1; row <= 2; row++) {
      for (int c = 0; c < SCHEMA.size(); c++) {
        assertFalse(f.isPresent(row, c), "row " + row + " column " + SCHEMA.get(c) + ": empty is missing");
      }
      assertNull(f.getString(row, 3), "never the category \"\"");
      assertEquals(-1, f.getLong(row, 1, -1), "never 0");
    }
    assertEquals(" NZ ", f.getString(3, 3));
    assertEquals(Long.MAX_VALUE, f.getLong(3, 1, 0));
    assertEquals(0.0, f.asDouble(3, 2));
    assertEquals(-0.001, f.asDouble(3, 0));
    assertArrayEquals(new float[] {3, 4}, f.getEmbedding(3, 4));
  }

  @Test
  void aBadValueIsRefusedNamingSourceLineColumnValueAndExpectation() {
    String header = "ctr,clicks,new,country,emb\n";
    String good = "0.5,1,true,DE,1 2\n";
    String quotedBreak = "0.5,1,true,\"two\nlines\",1 2\n"; // lines 3-4
    String[][] cases = {
        {"abc,1,true,DE,1 2", "column 'ctr': value 'abc' is not a DOUBLE (a finite decimal number such as -1.5 or 2e-3)"},
        {"NaN,1,true,DE,1 2", "column 'ctr': value 'NaN' is not a DOUBLE"},
        {"1e999,1,true,DE,1 2", "column 'ctr': value '1e999' is not a finite DOUBLE (leave the field empty for a missing value)"},
        {"0x1p3,1,true,DE,1 2", "column 'ctr': value '0x1p3' is not a DOUBLE"},
        {"1d,1,true,DE,1 2", "column 'ctr': value '1d' is not a DOUBLE"},
        {"1,1.5,true,DE,1 2", "column 'clicks': value '1.5' is not a LONG (a decimal integer from -9223372036854775808 "
            + "to 9223372036854775807)"},
        {"1,9223372036854775808,true,DE,1 2", "column 'clicks': value '9223372036854775808' is not a LONG"},
        {"1,\u0661\u0662,true,DE,1 2", "column 'clicks': value '\u0661\u0662' is not a LONG"},
        {"1,1,yes,DE,1 2", "column 'new': value 'yes' is not a BOOLEAN (true, false, 1 or 0)"},
        {"1,1,true,DE,1", "column 'emb': value '1' is not 2 finite decimal floats separated by spaces (an EMBEDDING[2]), "
            + "found 1"},
        {"1,1,true,DE,1 2 3", "column 'emb': value '1 2 3' is not 2 finite decimal floats separated by spaces (an "
            + "EMBEDDING[2]), found more"},
        {"1,1,true,DE,1 x", "column 'emb': value '1 x' is not 2 finite decimal floats separated by spaces (an "
            + "EMBEDDING[2]), 'x' is not a number"},
        {"1,1,true,DE,1 1e39", "column 'emb': value '1 1e39' is not 2 finite decimal floats separated by spaces (an "
            + "EMBEDDING[2]), 1e39 overflows a float"},
    };
    for (String[] c : cases) {
      IllegalArgumentException e = refused(header + good + quotedBreak + "\n" + c[0] + "\n" + good);
      assertTrue(e.getMessage().startsWith("f.csv line 6: " + c[1]), c[0] + " -> " + e.getMessage());
    }
    IllegalArgumentException e = refused(header + good + "1,2,true\n");
    assertEquals("f.csv line 3: expected 5 fields like the header, got 3", e.getMessage());
    String longValue = "9".repeat(500) + "x";
    e = refused(header + longValue + ",1,true,DE,1 2\n");
    assertTrue(e.getMessage().startsWith("f.csv line 2: column 'ctr': value '" + "9".repeat(60) + "... (501 characters)' "
        + "is not a DOUBLE"), e.getMessage());
  }

  @Test
  void theHeaderMatchesColumnsByName() {
    IllegalArgumentException e = refused("ctr,clicks,new,emb\n1,2,true,1 2\n");
    assertEquals("f.csv line 1: missing column 'country' (feature country:STRING); the header has [ctr, clicks, new, emb]",
        e.getMessage());
    e = refused("ctr,clicks,new,country,emb,ctr\n");
    assertEquals("f.csv line 1: column 'ctr' appears twice in the header (fields 1 and 6)", e.getMessage());
    e = refused("");
    assertTrue(e.getMessage().startsWith("f.csv line 1: no header line"), e.getMessage());
    assertEquals(0, read("emb,country,new,clicks,ctr,other,other\n").rowCount(), "unknown columns are ignored");
    CsvFrameReader strict = CsvFrameReader.builder(SCHEMA).rejectUnknownColumns(true).build();
    assertTrue(strict.rejectsUnknownColumns());
    e = assertThrows(IllegalArgumentException.class,
        () -> strict.read(new StringReader("emb,country,new,other,clicks,ctr\n"), "s.csv"));
    assertEquals("s.csv line 1: column 'other' (field 4) is not in the schema [ctr, clicks, new, country, emb], "
        + "and unknown columns are refused", e.getMessage());
  }

  @Test
  void readsAFileWithAByteOrderMarkAndACustomDelimiter() throws Exception {
    Path file = dir.resolve("semi.csv");
    byte[] text = "\uFEFFctr;clicks;new;country;emb\n0,5;1;false;\"a;b\";1 2\n".replace("0,5", "0.5")
        .getBytes(StandardCharsets.UTF_8);
    Files.write(file, text);
    CsvFrameReader reader = CsvFrameReader.builder(SCHEMA).format(CsvFormat.builder().delimiter(';').build()).build();
    FeatureFrame f = reader.read(file);
    assertEquals(1, f.rowCount());
    assertEquals("a;b", f.getString(0, 3));
    assertEquals(f.row(0), reader.read(new ByteArrayInputStream(text), "bytes").row(0));
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> reader.read(dir.resolve("absent.csv")));
    assertTrue(e.getMessage().contains("absent.csv"), e.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> CsvFrameReader.builder(SCHEMA).build().read(file));
    assertTrue(bad.getMessage().startsWith("semi.csv line 1: missing column 'ctr'"), bad.getMessage());
  }

  @Test
  void theLengthLimitHoldsForFrames() {
    CsvFrameReader small = CsvFrameReader.builder(SCHEMA)
        .format(CsvFormat.builder().maxFieldChars(16).maxRecordChars(64).build()).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> small.read(new StringReader(
        "ctr,clicks,new,country,emb\n1,2,true,\"" + "x".repeat(17) + "\",1 2\n"), "s.csv"));
    assertEquals("s.csv line 2: field 4 is longer than maxFieldChars (16 characters), see "
        + "CsvFormat.Builder.maxFieldChars", e.getMessage());
  }

  @Test
  void parseValueIsTheSharedRule() {
    FeatureSpec d = FeatureSpec.of("d", FeatureType.DOUBLE);
    assertNull(CsvFrameReader.parseValue(d, ""));
    assertEquals(1.5, CsvFrameReader.parseValue(d, "1.5"));
    assertEquals(5.0, CsvFrameReader.parseValue(d, "5."));
    assertEquals(0.5, CsvFrameReader.parseValue(d, ".5"));
    assertThrows(IllegalArgumentException.class, () -> CsvFrameReader.parseValue(d, "."));
    assertThrows(IllegalArgumentException.class, () -> CsvFrameReader.parseValue(d, "1e"));
    assertThrows(IllegalArgumentException.class, () -> CsvFrameReader.parseValue(d, " 1"));
    assertThrows(IllegalArgumentException.class, () -> CsvFrameReader.parseValue(d, "Infinity"));
    assertEquals(Boolean.TRUE, CsvFrameReader.parseValue(FeatureSpec.of("b", FeatureType.BOOLEAN), "1"));
    assertEquals(Boolean.FALSE, CsvFrameReader.parseValue(FeatureSpec.of("b", FeatureType.BOOLEAN), "False"));
    assertEquals(-3L, CsvFrameReader.parseValue(FeatureSpec.of("l", FeatureType.LONG), "-3"));
    assertThrows(IllegalArgumentException.class,
        () -> CsvFrameReader.parseValue(FeatureSpec.of("l", FeatureType.LONG), "-"));
    assertEquals(" ", CsvFrameReader.parseValue(FeatureSpec.of("s", FeatureType.STRING), " "), "a STRING is kept as is");
  }

  /** A frame of every type, written as CSV by this test, reads back equal row by row (seeded). */
  @Test
  void aWrittenFrameRoundTrips() throws Exception {
    long seed = Long.getLong("sieveml.test.seed", 0xF7AL);
    SplittableRandom rnd = new SplittableRandom(seed);
    FeatureSchema schema = FeatureSchema.builder().addDouble("x").addLong("n").addBoolean("b").addString("s")
        .addEmbedding("e", 3).build();
    FeatureFrame.RowBuilder rows = FeatureFrame.rowBuilder(schema);
    String[] strings = {"plain", "with, comma", "say \"hi\"", "two\nlines", "crlf\r\nend", " padded ", "\u65e5\u00df",
        "0", "-", "NaN"};
    for (int i = 0; i < 500; i++) {
      org.sieveml.core.FeatureVector.Builder v = org.sieveml.core.FeatureVector.builder(schema);
      if (rnd.nextInt(5) > 0) {
        double x = rnd.nextInt(3) == 0 ? rnd.nextDouble() * 1e-300 : rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-5, 6));
        v.setDouble(0, rnd.nextInt(50) == 0 ? -0.0 : x);
      }
      if (rnd.nextInt(5) > 0) {
        v.setLong(1, rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(-3, 3));
      }
      if (rnd.nextInt(5) > 0) {
        v.setBoolean(2, rnd.nextBoolean());
      }
      if (rnd.nextInt(5) > 0) {
        v.setString(3, strings[rnd.nextInt(strings.length)]);
      }
      if (rnd.nextInt(5) > 0) {
        v.setEmbedding(4, new float[] {(float) rnd.nextGaussian(), Float.MIN_VALUE, -Float.MAX_VALUE});
      }
      rows.add(v.build());
    }
    FeatureFrame frame = rows.build();
    Path file = dir.resolve("frame.csv");
    Files.writeString(file, write(frame), StandardCharsets.UTF_8);
    FeatureFrame back = CsvFrameReader.builder(schema).build().read(file);
    assertEquals(frame.rowCount(), back.rowCount());
    for (int r = 0; r < frame.rowCount(); r++) {
      assertEquals(frame.row(r), back.row(r), "seed " + seed + " row " + r);
    }
  }

  /** Writes a frame as CSV: a header, then one record per row, an empty field for a missing value. */
  static String write(FeatureFrame f) {
    StringBuilder sb = new StringBuilder(String.join(",", f.schema().names())).append("\r\n");
    for (int r = 0; r < f.rowCount(); r++) {
      for (int c = 0; c < f.schema().size(); c++) {
        if (c > 0) {
          sb.append(',');
        }
        Object v = f.row(r).get(c);
        if (v instanceof float[]) {
          float[] e = (float[]) v;
          for (int i = 0; i < e.length; i++) {
            sb.append(i == 0 ? "" : " ").append(e[i]);
          }
        } else if (v != null) {
          sb.append(CsvReaderTest.quote(v.toString(), ',', false));
        }
      }
      sb.append("\r\n");
    }
    return sb.toString();
  }
}
