package org.sieveml.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sieveml.core.csv.CsvFormat;
import org.sieveml.core.csv.CsvReader;

/**
 * Fuzzing of {@link ServedLogReader}: every input reads or is refused with an
 * {@link IllegalArgumentException} whose message names the source and the line; nothing else is ever
 * thrown (no index error, no allocation sized by the input). Inputs are the golden log mutated byte by
 * byte, and, so that mutations reach the value parsers behind the checksum, mutated field by field and
 * resealed with correct checksums.
 *
 * <ul>
 *   <li>{@code reader} (Jazzer, coverage-guided; {@code mvn verify} replays its corpus under
 *       {@code ServedLogFuzzTestInputs/reader}): the input's first byte chooses whether to reseal the
 *       checksums, the rest is the log;
 *   <li>{@link #seededMutationsOfTheGoldenLog()}: seeded mutations (seed {@code -Dsieveml.test.seed},
 *       count {@code -Dsieveml.fuzz.iterations}, default 500), run by every build.
 * </ul>
 */
class ServedLogFuzzTest {

  /** Reads the whole input; returns the number of requests, or -1 when refused as it should be. */
  static int readAll(byte[] data) {
    try (ServedLogReader r = ServedLogReader.open(new ByteArrayInputStream(data), "fuzz")) {
      int n = 0;
      while (r.next() != null) {
        n++;
      }
      return n;
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("fuzz line ")) {
        throw new AssertionError("a refusal must name the source and line: " + e.getMessage(), e);
      }
      return -1;
    }
  }

  @FuzzTest(maxDuration = "20s")
  void reader(byte[] data) {
    if (data.length == 0) {
      readAll(data);
      return;
    }
    byte[] rest = java.util.Arrays.copyOfRange(data, 1, data.length);
    readAll((data[0] & 1) == 1 ? reseal(rest) : rest);
  }

  /** Recomputes the checksum of every record after the two header lines; unparseable text is returned as is. */
  static byte[] reseal(byte[] text) {
    List<List<String>> records = new ArrayList<>();
    try (CsvReader r = CsvFormat.defaults().open(new ByteArrayInputStream(text), "reseal")) {
      for (List<String> f = r.next(); f != null; f = r.next()) {
        records.add(new ArrayList<>(f));
      }
    } catch (IllegalArgumentException e) {
      return text;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < records.size(); i++) {
      List<String> f = records.get(i);
      if (i >= 2 && !f.isEmpty()) {
        f.set(f.size() - 1, ServedLogFormat.crc(f, f.size() - 1));
      }
      for (int j = 0; j < f.size(); j++) {
        if (j > 0) {
          sb.append(',');
        }
        String v = f.get(j);
        boolean quote = v.isEmpty() ? false : v.matches("(?s).*[,\"\r\n].*|^[ \t].*|.*[ \t]$");
        sb.append(quote ? "\"" + v.replace("\"", "\"\"") + "\"" : v);
      }
      sb.append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  static final String[] PIECES = {",", "\"", "\n", "|", "\\", "=", ";missing", " ", "-", "0", "1e308", "0x1p-1074",
      "Infinity", "NaN", "EMBEDDING[", "]", ":", "PRESENT", "UNKNOWN", "99999999999", "-1", "é", "\uD83D\uDE00",
      "true", "\"\"", "row", "candidates"};

  @Test
  void seededMutationsOfTheGoldenLog() throws IOException {
    long seed = Long.getLong("sieveml.test.seed", 0x5E12L);
    int iterations = Integer.getInteger("sieveml.fuzz.iterations", 500);
    SplittableRandom rnd = new SplittableRandom(seed);
    byte[] golden = ServedLogFormatTest.golden();
    int read = 0;
    int refusedAfterReseal = 0;
    for (int it = 0; it < iterations; it++) {
      boolean byField = rnd.nextBoolean();
      byte[] data = byField ? reseal(mutateFields(golden, rnd)) : mutateBytes(golden, rnd);
      try {
        int n = readAll(data);
        read += n >= 0 ? 1 : 0;
        refusedAfterReseal += byField && n < 0 ? 1 : 0;
      } catch (RuntimeException | Error e) {
        throw new AssertionError("seed " + seed + " iteration " + it + ", input (base64) "
            + Base64.getEncoder().encodeToString(data), e);
      }
    }
    assertTrue(read > 0, "some mutations still read: " + read);
    assertTrue(refusedAfterReseal > iterations / 10, "resealed mutations reach the value checks: " + refusedAfterReseal);
  }

  static byte[] mutateBytes(byte[] g, SplittableRandom rnd) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int edits = 1 + rnd.nextInt(4);
    byte[] d = g.clone();
    for (int e = 0; e < edits; e++) {
      int at = rnd.nextInt(d.length);
      switch (rnd.nextInt(4)) {
        case 0:
          d[at] = (byte) rnd.nextInt(256);
          break;
        case 1:
          d = concat(java.util.Arrays.copyOf(d, at), java.util.Arrays.copyOfRange(d, Math.min(d.length, at + 1
              + rnd.nextInt(20)), d.length));
          break;
        case 2:
          d = concat(concat(java.util.Arrays.copyOf(d, at),
              PIECES[rnd.nextInt(PIECES.length)].getBytes(StandardCharsets.UTF_8)),
              java.util.Arrays.copyOfRange(d, at, d.length));
          break;
        default:
          d = java.util.Arrays.copyOf(d, at);
      }
      if (d.length == 0) {
        break;
      }
    }
    out.writeBytes(d);
    return out.toByteArray();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  /** Replaces, extends or empties a few fields of the parsed golden log (header lines included). */
  static byte[] mutateFields(byte[] g, SplittableRandom rnd) {
    List<List<String>> records = new ArrayList<>();
    try (CsvReader r = CsvFormat.defaults().open(new ByteArrayInputStream(g), "golden")) {
      for (List<String> f = r.next(); f != null; f = r.next()) {
        records.add(new ArrayList<>(f));
      }
    }
    int edits = 1 + rnd.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int rec = rnd.nextInt(10) == 0 ? rnd.nextInt(2) : 2 + rnd.nextInt(records.size() - 2);
      List<String> f = records.get(rec);
      int col = rnd.nextInt(f.size());
      String v = f.get(col);
      String piece = PIECES[rnd.nextInt(PIECES.length)];
      switch (rnd.nextInt(4)) {
        case 0:
          f.set(col, piece);
          break;
        case 1:
          f.set(col, v + piece);
          break;
        case 2:
          f.set(col, "");
          break;
        default:
          if (rnd.nextBoolean()) {
            f.remove(col);
          } else {
            records.remove(rec);
          }
      }
    }
    StringBuilder sb = new StringBuilder();
    for (List<String> f : records) {
      for (int j = 0; j < f.size(); j++) {
        if (j > 0) {
          sb.append(',');
        }
        sb.append('"').append(f.get(j).replace("\"", "\"\"")).append('"');
      }
      sb.append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
