package org.sieveml.features.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.features.WindowTiles;

/**
 * The tile encoding writes straight into arrays (it is on the streaming hot path): its bytes must stay
 * exactly those of the {@link DataOutputStream} encoding the format comment describes, for any key,
 * version and value, NaN and signed zeros included; and they decode back to the same tiles.
 */
class OnlineCodecTest {

  private static final String[] STRINGS = {"a", "card-7", "\u00e9t\u00e9", "\u0000nul", "\ud83d\ude00 emoji",
      "\u4e2d\u6587", "x".repeat(300)};

  @Test
  void tileBytesAreTheDataOutputStreamBytesAndRoundTrip() throws IOException {
    Random rnd = new Random(3);
    OnlineCodec codec = new OnlineCodec();
    for (int round = 0; round < 300; round++) {
      List<WindowTiles> sets = new ArrayList<>();
      for (int s = 0; s < 1 + rnd.nextInt(4); s++) {
        EntityKey.Builder kb = EntityKey.builder();
        int keys = 1 + rnd.nextInt(2);
        for (int k = 0; k < keys; k++) {
          kb.put("k" + k, rnd.nextBoolean() ? (Object) rnd.nextLong() : STRINGS[rnd.nextInt(STRINGS.length)]);
        }
        int fields = rnd.nextInt(3);
        int n = rnd.nextInt(4);
        long[] lengths = new long[n];
        long[] starts = new long[n];
        long[] times = new long[n * WindowTiles.TIMES];
        double[] stats = new double[n * (1 + 4 * fields)];
        for (int i = 0; i < n; i++) {
          lengths[i] = 60_000;
          starts[i] = i * 60_000L;
        }
        for (int i = 0; i < times.length; i++) {
          times[i] = rnd.nextLong();
        }
        double[] odd = {Double.NaN, -0.0, 0.0, Double.MIN_VALUE, Double.longBitsToDouble(0x7ff8000000000123L)};
        for (int i = 0; i < stats.length; i++) {
          stats[i] = rnd.nextInt(4) == 0 ? odd[rnd.nextInt(odd.length)] : rnd.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
          stats[i * (1 + 4 * fields)] = rnd.nextInt(100); // the tile's count
        }
        sets.add(WindowTiles.of(kb.build(), STRINGS[rnd.nextInt(STRINGS.length)], fields, lengths, starts, times,
            stats));
      }
      WindowTiles.Retention ret = WindowTiles.Retention.of(new long[] {60_000}, new long[] {0});
      List<byte[]> payloads = codec.encode(new OnlineCodec.AddTiles("v", sets, ret));
      assertEquals(1, payloads.size());
      assertArrayEquals(reference(sets, ret), payloads.get(0), "round " + round);
      OnlineCodec.AddTiles back = (OnlineCodec.AddTiles) codec.decode(ByteBuffer.wrap(payloads.get(0)));
      assertEquals(sets.size(), back.deltas().size());
      for (int i = 0; i < sets.size(); i++) {
        assertEquals(sets.get(i).key(), back.deltas().get(i).key());
        assertEquals(sets.get(i).version(), back.deltas().get(i).version());
      }
    }
  }

  /** The record as DataOutputStream writes it (the format comment's layout). */
  private static byte[] reference(List<WindowTiles> sets, WindowTiles.Retention ret) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(bytes);
    d.writeLong(0);
    d.writeByte('A');
    d.writeUTF("v");
    d.writeInt(ret.size());
    for (int i = 0; i < ret.size(); i++) {
      d.writeLong(ret.length(i));
      d.writeLong(ret.keepFrom(i));
    }
    d.writeInt(sets.size());
    for (WindowTiles t : sets) {
      RowCodec.writeKey(d, t.key());
      d.writeUTF(t.version());
      d.writeInt(t.fields());
      d.writeInt(t.size());
      for (int i = 0; i < t.size(); i++) {
        d.writeLong(t.length(i));
        d.writeLong(t.start(i));
        for (int k = 0; k < WindowTiles.TIMES; k++) {
          d.writeLong(t.time(i, k));
        }
        for (int k = 0; k < t.width(); k++) {
          d.writeDouble(t.stat(i, k));
        }
      }
    }
    return bytes.toByteArray();
  }
}
