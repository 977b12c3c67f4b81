package org.sieveml.features.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.OnlineRow;

/** The byte-array decode path (schema matched by its bytes) equals the stream path; damaged records fail cleanly. */
class RowCodecTest {

  @Test
  void byteArrayAndStreamDecodingAgreeOnRandomRowsAndRefuseTruncation() throws IOException {
    Random r = new Random(8);
    FeatureSchema[] schemas = {
        FeatureSchema.builder().addDouble("a").addLong("b").addBoolean("c").addString("d")
            .add(FeatureSpec.embedding("e", 3)).build(),
        FeatureSchema.builder().addDouble("a").addDouble("x.y:z").build(),
        FeatureSchema.builder().addDouble("a").addLong("b").addBoolean("c").addString("d")
            .add(FeatureSpec.embedding("e", 4)).build()};
    RowCodec codec = new RowCodec();
    for (int n = 0; n < 600; n++) {
      FeatureSchema s = schemas[n % schemas.length];
      FeatureVector.Builder b = FeatureVector.builder(s);
      for (int i = 0; i < s.size(); i++) {
        if (r.nextInt(5) == 0) {
          continue; // missing
        }
        switch (s.get(i).type()) {
          case DOUBLE -> b.setDouble(i, r.nextGaussian());
          case LONG -> b.setLong(i, r.nextLong());
          case BOOLEAN -> b.setBoolean(i, r.nextBoolean());
          case STRING -> b.setString(i, "s" + r.nextInt(1000) + "é");
          default -> {
            float[] e = new float[s.get(i).dimension()];
            for (int k = 0; k < e.length; k++) {
              e[k] = (float) r.nextGaussian();
            }
            b.setEmbedding(i, e);
          }
        }
      }
      EntityKey key = n % 2 == 0 ? EntityKey.of("user_id", r.nextLong()) : EntityKey.of("name", "k" + n + "|:");
      OnlineRow row = new OnlineRow(key, b.build(), r.nextLong(), r.nextLong(), r.nextLong(), "v" + r.nextInt(100));
      byte[] bytes = codec.encode("view-" + (n % 3), row);
      byte[] padded = new byte[bytes.length + 7];
      System.arraycopy(bytes, 0, padded, 3, bytes.length);
      RowCodec.Decoded fast = codec.decode(padded, 3, bytes.length);
      RowCodec.Decoded slow = codec.decode(new DataInputStream(new ByteArrayInputStream(bytes)));
      assertEquals(slow, fast);
      assertEquals(row, fast.row());
      if (n % 50 == 0) {
        for (int cut = 0; cut < bytes.length; cut += Math.max(1, bytes.length / 17)) {
          int len = cut;
          assertThrows(IOException.class, () -> codec.decode(bytes, 0, len), "truncated at " + cut);
        }
      }
    }
    assertThrows(IOException.class, () -> codec.decode(new byte[4], 2, 9));
  }
}
