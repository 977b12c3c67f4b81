package org.sieveml.core.csv;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureSchema;

/**
 * Random bytes (seeded, biased towards what CSV is made of) through the frame reader and the record
 * reader: every input reads or is refused with an {@link IllegalArgumentException} that names the
 * source; nothing else is ever thrown. Seed: {@code -Dsieveml.test.seed}.
 */
class CsvFuzzTest {

  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("d").addLong("l").addBoolean("b")
      .addString("s").addEmbedding("e", 2).build();
  static final byte[] PIECES_ASCII = "dlbse,\";\n\r \t01-.eE+xtruefalseNaN".getBytes(StandardCharsets.US_ASCII);
  static final byte[][] PIECES = {"d,l,b,s,e\n".getBytes(StandardCharsets.UTF_8), {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
      {(byte) 0xC3}, {(byte) 0xA9}, {(byte) 0xFF}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80},
      "\"\"".getBytes(StandardCharsets.UTF_8), "1.5,2,true,x,1 2\n".getBytes(StandardCharsets.UTF_8)};

  @Test
  void randomBytesOnlyEverGiveIllegalArgument() {
    long seed = Long.getLong("sieveml.test.seed", 0xF022L);
    SplittableRandom rnd = new SplittableRandom(seed);
    CsvFrameReader loose = CsvFrameReader.builder(SCHEMA).build();
    CsvFrameReader strict = CsvFrameReader.builder(SCHEMA).rejectUnknownColumns(true)
        .format(CsvFormat.builder().maxFieldChars(6).maxRecordChars(40).delimiter(';').build()).build();
    int loaded = 0;
    int iterations = 20_000;
    for (int it = 0; it < iterations; it++) {
      byte[] data = input(rnd);
      for (CsvFrameReader reader : new CsvFrameReader[] {loose, strict}) {
        try {
          reader.read(new ByteArrayInputStream(data), "fuzz");
          loaded++;
        } catch (IllegalArgumentException e) {
          assertTrue(e.getMessage() != null && e.getMessage().startsWith("fuzz line "),
              "seed " + seed + " iteration " + it + ": " + e.getMessage());
        } catch (RuntimeException | Error e) {
          throw new AssertionError("seed " + seed + " iteration " + it + ", input (base64) "
              + Base64.getEncoder().encodeToString(data), e);
        }
      }
      try (CsvReader r = CsvFormat.defaults().open(new StringReader(new String(data, StandardCharsets.UTF_8)), "fuzz")) {
        while (r.next() != null) {
          assertTrue(r.line() >= 1);
        }
      } catch (IllegalArgumentException e) {
        assertTrue(e.getMessage().startsWith("fuzz line "), e.getMessage());
      } catch (RuntimeException | Error e) {
        throw new AssertionError("seed " + seed + " iteration " + it + ", text input (base64) "
            + Base64.getEncoder().encodeToString(data), e);
      }
    }
    assertTrue(loaded > iterations / 100, "the inputs are close enough to CSV for some to load: " + loaded);
  }

  static byte[] input(SplittableRandom rnd) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    if (rnd.nextInt(3) > 0) {
      out.writeBytes(PIECES[0]);
    }
    int n = rnd.nextInt(0, 40);
    for (int i = 0; i < n; i++) {
      int k = rnd.nextInt(10);
      if (k < 5) {
        out.write(PIECES_ASCII[rnd.nextInt(PIECES_ASCII.length)]);
      } else if (k < 8) {
        out.writeBytes(PIECES[rnd.nextInt(1, PIECES.length)]);
      } else if (k < 9) {
        out.writeBytes(PIECES[PIECES.length - 1]);
      } else {
        out.write(rnd.nextInt(256));
      }
    }
    return out.toByteArray();
  }
}
