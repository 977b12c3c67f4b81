package org.sieveml.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.ScoredItem;

/**
 * The served log's CSV format: the golden file of version 1 (written byte for byte, read back equal),
 * every truncation of it (read as an intact prefix or refused, never read wrong), and a clear message
 * for each kind of malformed input.
 */
class ServedLogFormatTest {

  static final String GOLDEN = "served-log-v1.csv";

  @TempDir Path dir;

  /** The golden records: three served by the tricky pipeline, one degraded, one without candidates. */
  static List<ServedRequest> goldenRecords() {
    List<ServedRequest> out = new ArrayList<>();
    ServingLog log = ServingLog.builder(ServedRequestSink.callback(out::add)).executor(Runnable::run)
        .clock(() -> 1_733_300_000_000L).build();
    TwoStagePipeline p = LogFixtures.pipeline().servingLog(log).build();
    p.execute(LogFixtures.request("g-1", 11, 3));
    p.execute(LogFixtures.request("g-2", 12, 5));
    FeatureSource broken = FeatureSource.of("broken", LogFixtures.SCHEMA, (r, c) -> null);
    LogFixtures.pipeline().featureSource(broken).servingLog(log).build().execute(LogFixtures.request("g-3", 13, 2));
    log.close();
    out.add(new ServedRequest("g-4 empty", 1_733_300_000_001L, EntityKey.of("user_id", "nobody"), 10, "tricky",
        "tricky", LogFixtures.SCHEMA, "tricky-model", "", FeatureFetch.UNKNOWN_TIME, EnumSet.noneOf(Stage.class),
        List.of(), List.of(), List.of(), new byte[0], null, List.of()));
    return out;
  }

  static byte[] golden() throws IOException {
    try (InputStream in = ServedLogFormatTest.class.getResourceAsStream(GOLDEN)) {
      assertNotNull(in, "test resource " + GOLDEN);
      return in.readAllBytes();
    }
  }

  static List<ServedRequest> read(byte[] data, String source) {
    try (ServedLogReader r = ServedLogReader.open(new ByteArrayInputStream(data), source)) {
      List<ServedRequest> out = new ArrayList<>();
      for (ServedRequest q = r.next(); q != null; q = r.next()) {
        out.add(q);
      }
      return out;
    }
  }

  @Test
  void theGoldenFileIsWhatTheSinkWritesAndReadsBackEqual() throws IOException {
    List<ServedRequest> records = goldenRecords();
    assertEquals(4, records.size());
    assertTrue(records.get(0).hasFeatures() && records.get(0).isScored() && records.get(0).items().size() == 3);
    Path file = dir.resolve("golden.csv");
    try (CsvServedRequestSink sink = CsvServedRequestSink.create(file, LogFixtures.SCHEMA)) {
      for (ServedRequest r : records) {
        sink.write(r);
      }
      assertEquals(4, sink.recordCount());
    }
    byte[] written = Files.readAllBytes(file);
    if (Boolean.getBoolean("sieveml.golden.update")) {
      Files.write(Path.of("src/test/resources/org/sieveml/core/pipeline", GOLDEN), written);
    }
    assertEquals(new String(golden(), StandardCharsets.UTF_8), new String(written, StandardCharsets.UTF_8),
        "the format of version 1 is fixed: a change needs a new version");
    List<ServedRequest> back = read(golden(), GOLDEN);
    assertEquals(records, back);
    for (int i = 0; i < records.size(); i++) {
      assertArrayEquals(ServingLogTest.bits(records.get(i).scores()), ServingLogTest.bits(back.get(i).scores()));
    }
    FeatureFrame frame = ServedLogReader.servedFrame(back, LogFixtures.SCHEMA);
    assertEquals(back.get(0).vectors().size() + back.get(1).vectors().size(), frame.rowCount());
    assertEquals(back.get(1).vectors().get(0), frame.row(back.get(0).vectors().size()));
    assertEquals(records, ServedLogReader.readAll(file));
  }

  @Test
  void everyTruncationReadsAnIntactPrefixOrIsRefusedNamingTheLine() throws IOException {
    byte[] g = golden();
    List<ServedRequest> all = read(g, "full");
    int torn = 0;
    int inside = 0;
    int prefixes = 0;
    for (int cut = 0; cut < g.length; cut++) {
      byte[] data = Arrays.copyOf(g, cut);
      try {
        List<ServedRequest> got = read(data, "cut");
        assertEquals(all.subList(0, got.size()), got, "cut at byte " + cut);
        prefixes++;
      } catch (IllegalArgumentException e) {
        assertTrue(e.getMessage().startsWith("cut line "), "cut at byte " + cut + ": " + e.getMessage());
        torn += e.getMessage().contains("ends with a torn line") ? 1 : 0;
        inside += e.getMessage().contains("the log ends inside request") ? 1 : 0;
      }
    }
    assertTrue(torn > g.length / 2, "most cuts tear a line: " + torn);
    assertTrue(inside > 0 && prefixes >= 4, "cuts between lines: " + inside + " inside a request, " + prefixes
        + " at a request's end");
  }

  /** The golden text with line {@code n} (1-based) replaced by {@code fields} and a correct checksum. */
  static byte[] withLine(byte[] golden, int n, List<String> fields) {
    String[] lines = new String(golden, StandardCharsets.UTF_8).split("\n", -1);
    StringBuilder sb = new StringBuilder();
    for (String f : fields) {
      sb.append(f.contains(",") || f.contains("\"") ? "\"" + f.replace("\"", "\"\"") + "\"" : f).append(',');
    }
    lines[n - 1] = sb.append(ServedLogFormat.crc(fields, fields.size())).toString();
    return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
  }

  /** The fields of data line {@code n} of the golden file, without its checksum. */
  static List<String> fieldsOf(byte[] golden, int n) {
    String header = new String(golden, StandardCharsets.UTF_8).split("\n")[n - 1];
    assertTrue(!header.contains("\""), "line " + n + " of the golden file has no quoted field");
    List<String> f = new ArrayList<>(Arrays.asList(header.split(",", -1)));
    f.remove(f.size() - 1);
    return f;
  }

  static String message(byte[] data) {
    return assertThrows(IllegalArgumentException.class, () -> read(data, "bad.csv")).getMessage();
  }

  @Test
  void malformedInputIsRefusedNamingLineColumnValueAndExpectation() throws IOException {
    byte[] g = golden();
    String text = new String(g, StandardCharsets.UTF_8);
    assertEquals("bad.csv line 1: the file is empty; expected the line 'sieveml-served-log,1'", message(new byte[0]));
    assertTrue(message("name,age\n1,2\n".getBytes(StandardCharsets.UTF_8))
        .startsWith("bad.csv line 1: expected the line 'sieveml-served-log,1' (a served log), found 'name,age'"));
    assertEquals("bad.csv line 1: served log format version '2' is not supported; this reader reads version 1",
        message(text.replaceFirst("sieveml-served-log,1", "sieveml-served-log,2").getBytes(StandardCharsets.UTF_8)));
    assertEquals("bad.csv line 2: header column 21: type of feature 'd' is 'FLOAT', expected DOUBLE, LONG, BOOLEAN, "
        + "STRING or EMBEDDING[d]", message(text.replaceFirst(",d:DOUBLE,", ",d:FLOAT,")
            .getBytes(StandardCharsets.UTF_8)));
    assertEquals("bad.csv line 2: header column 29: dimension of feature 'e' is 2000000000, expected 1 to 524288",
        message(text.replaceFirst("e:EMBEDDING\\[3]", "e:EMBEDDING[2000000000]").getBytes(StandardCharsets.UTF_8)));
    assertEquals("bad.csv line 2: header column 22 is 'd:state', expected 'd:status'",
        message(text.replaceFirst("d:status", "d:state").getBytes(StandardCharsets.UTF_8)));

    // a value changed after the checksum was computed: the line is corrupted
    int third = text.indexOf('\n', text.indexOf('\n', text.indexOf('\n') + 1) + 1) + 1;
    int at = text.indexOf("tricky@v3", third);
    byte[] flipped = g.clone();
    flipped[at + 8] = '4';
    assertTrue(message(flipped).startsWith("bad.csv line 4: the line is corrupted: its checksum is '"),
        message(flipped));

    // values that do not parse, with a valid checksum
    List<String> row = firstDataLine(g);
    int d = ServedLogFormat.FIXED.length;
    List<String> bad = new ArrayList<>(row);
    bad.set(d, "abc");
    bad.set(d + 1, "PRESENT");
    assertEquals("bad.csv line 3: column 'd:DOUBLE': value 'abc' is not a number (a decimal such as -1.5E-3, a "
        + "hexadecimal such as 0x1.8p1, or Infinity)", message(withLine(g, 3, bad)));
    bad = new ArrayList<>(row);
    bad.set(d + 8, "1.0 2.0");
    bad.set(d + 9, "PRESENT");
    assertEquals("bad.csv line 3: column 'e:EMBEDDING[3]' holds 2 space-separated values, expected 3",
        message(withLine(g, 3, bad)));
    bad = new ArrayList<>(row);
    bad.set(d + 1, "LIVE");
    assertEquals("bad.csv line 3: column 'd:status': value 'LIVE' is not a status (UNKNOWN, PRESENT, NOT_FOUND, "
        + "EXPIRED or VERSION_MISMATCH, optionally followed by ;missing)", message(withLine(g, 3, bad)));
    bad = new ArrayList<>(row);
    bad.set(ServedLogFormat.ROW, "1");
    assertEquals("bad.csv line 3: column 'row': value 1, expected 0 (line 1 of request 'g-1')",
        message(withLine(g, 3, bad)));
    bad = new ArrayList<>(row);
    bad.set(3, "user_id=\"x\\y\"");
    assertTrue(message(withLine(g, 3, bad)).startsWith("bad.csv line 3: column 'entity': entity key 'user_id=\"x\\y\"' "
        + "has a backslash at position 10 that escapes neither \\ nor |"), message(withLine(g, 3, bad)));
    bad = new ArrayList<>(row);
    bad.set(4, "0");
    assertEquals("bad.csv line 3: column 'k': value 0 is not a positive int", message(withLine(g, 3, bad)));
    bad = new ArrayList<>(row);
    bad.set(0, "g-other");
    assertTrue(message(withLine(g, 3, bad)).contains("a request's lines must agree"), message(withLine(g, 3, bad)));
  }

  /** The first data line of the golden file, re-parsed (it may hold quoted fields). */
  static List<String> firstDataLine(byte[] g) {
    try (org.sieveml.core.csv.CsvReader r = org.sieveml.core.csv.CsvFormat.defaults()
        .open(new ByteArrayInputStream(g), "golden")) {
      r.next();
      r.next();
      List<String> f = new ArrayList<>(r.next());
      f.remove(f.size() - 1);
      return f;
    }
  }

  @Test
  void theSinkRefusesWhatItCannotWriteFaithfullyAndWritesNothingOfIt() throws IOException {
    Path file = dir.resolve("refuse.csv");
    FeatureSchema other = FeatureSchema.builder().addDouble("x").build();
    ServedRequest good = goldenRecords().get(0);
    try (CsvServedRequestSink sink = CsvServedRequestSink.create(file, LogFixtures.SCHEMA)) {
      ServedRequest wrongSchema = new ServedRequest("w", 0, EntityKey.of("id", 1), 1, "p", "f", other, "s", "", 0,
          EnumSet.noneOf(Stage.class), List.of(), List.of(), List.of(), new byte[0], null, List.of());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sink.write(wrongSchema));
      assertTrue(e.getMessage().startsWith("request 'w' has feature schema"), e.getMessage());
      Candidate lone = Candidate.of("bad\uD800id", 1, "g");
      ServedRequest surrogate = new ServedRequest("s", 0, EntityKey.of("id", 1), 1, "p", "f", LogFixtures.SCHEMA, "s",
          "", 0, EnumSet.noneOf(Stage.class), List.of(Candidate.of("ok", 1, "g"), lone), List.of(), List.of(),
          new byte[0], null, List.of(ScoredItem.unscored(lone)));
      e = assertThrows(IllegalArgumentException.class, () -> sink.write(surrogate));
      assertEquals("column 'item_id' holds a lone surrogate at position 3; it cannot be written as UTF-8",
          e.getMessage());
      sink.write(good);
    }
    assertEquals(List.of(good), ServedLogReader.readAll(file), "the refused records left nothing behind");
    UncheckedIOException exists = assertThrows(UncheckedIOException.class,
        () -> CsvServedRequestSink.create(file, LogFixtures.SCHEMA));
    assertTrue(exists.getMessage().startsWith("cannot create served log " + file), exists.getMessage());
  }

  @Test
  void keysAndNumbersRoundTripThroughTheirTextForms() {
    for (String s : new String[] {"", "|", "\\", "\\|", "a\"", "\"", "=", "x=\"y\"|z"}) {
      EntityKey k = EntityKey.builder().put("a", s.isEmpty() ? "e" : s).put("b", -7L).build();
      StringBuilder sb = new StringBuilder();
      ServedLogFormat.appendKey(sb, k);
      assertEquals(k, ServedLogFormat.parseKey(sb.toString(), "key"), sb.toString());
    }
    for (double x : LogFixtures.DOUBLES) {
      String t = ServedLogFormat.formatDouble(x);
      assertEquals(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits(ServedLogFormat.parseDouble(t, "x")), t);
    }
    for (float x : LogFixtures.FLOATS) {
      String t = ServedLogFormat.formatFloat(x);
      assertEquals(Float.floatToRawIntBits(x), Float.floatToRawIntBits(ServedLogFormat.parseFloat(t, "x")), t);
    }
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
    for (int i = 0; i < 20_000; i++) {
      double x = Double.longBitsToDouble(rnd.nextLong());
      if (!Double.isNaN(x)) {
        assertEquals(Double.doubleToRawLongBits(x),
            Double.doubleToRawLongBits(ServedLogFormat.parseDouble(ServedLogFormat.formatDouble(x), "x")));
      }
      float f = Float.intBitsToFloat(rnd.nextInt());
      if (!Float.isNaN(f)) {
        assertEquals(Float.floatToRawIntBits(f),
            Float.floatToRawIntBits(ServedLogFormat.parseFloat(ServedLogFormat.formatFloat(f), "x")));
      }
    }
    assertThrows(IllegalArgumentException.class, () -> ServedLogFormat.parseDouble("1.5d", "x"));
    assertThrows(IllegalArgumentException.class, () -> ServedLogFormat.parseDouble("NaN", "x"));
    assertThrows(IllegalArgumentException.class, () -> ServedLogFormat.parseDouble(" 1", "x"));
  }

}
