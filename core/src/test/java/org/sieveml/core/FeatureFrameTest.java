package org.sieveml.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FeatureFrameTest {

  @Test
  void columnsRoundTripWithExplicitMissingValues() {
    BitSet longPresent = new BitSet();
    longPresent.set(0);
    longPresent.set(2);
    FeatureFrame f = FeatureFrame.builder(3)
        .addDouble("ctr", new double[] {0.5, Double.NaN, 0.25})
        .addLong("clicks", new long[] {3, 99, 7}, longPresent)
        .addBoolean("is_new", new boolean[] {true, false, true}, null)
        .addString("country", new String[] {"NZ", null, "DE"})
        .addEmbedding("emb", 2, new float[][] {{1, 2}, null, {3, 4}})
        .build();
    assertEquals(3, f.rowCount());
    assertEquals(0.5, f.asDouble(0, 0));
    assertTrue(Double.isNaN(f.asDouble(1, 0)));
    assertFalse(f.isPresent(1, 1));
    assertEquals(-1, f.getLong(1, 1, -1));
    assertEquals(7, f.getLong(2, 1, -1));
    assertEquals(1.0, f.asDouble(2, 2));
    assertNull(f.getString(1, 3));
    assertArrayEquals(new float[] {3, 4}, f.getEmbedding(2, 4));
    assertEquals(1, f.missingCount(0));
    assertEquals(1, f.missingCount(1));

    FeatureVector row1 = f.row(1);
    assertEquals(4, row1.missingCount());
    assertFalse(row1.getBoolean("is_new"));

    FeatureFrame sel = f.select(List.of("country", "ctr"));
    assertEquals(List.of("country", "ctr"), sel.schema().names());
    assertEquals("DE", sel.getString(2, 0));
    FeatureFrame sub = f.rows(new int[] {2, 2, 0});
    assertEquals(3, sub.rowCount());
    assertEquals(0.25, sub.asDouble(0, 0));
    assertEquals(0.5, sub.asDouble(2, 0));
    assertEquals(f.row(2), sub.row(1));
    assertTrue(f.ramBytesUsed() > 0);
  }

  @Test
  void vectorsEqualTheRowsOneByOneOverEveryTypeAndEdge() {
    int n = 300;
    FeatureFrame f = everyTypeFrame(n);
    List<FeatureVector> all = f.vectors(0, n);
    assertEquals(n, all.size());
    for (int i = 0; i < n; i++) {
      assertEquals(f.row(i), all.get(i), "row " + i);
      assertEquals(f.row(i).missingCount(), all.get(i).missingCount(), "row " + i);
    }
    List<FeatureVector> some = f.vectors(17, 40);
    for (int i = 17; i < 40; i++) {
      assertEquals(f.row(i), some.get(i - 17), "row " + i);
    }
    assertTrue(f.vectors(n, n).isEmpty());
    assertThrows(IndexOutOfBoundsException.class, () -> f.vectors(5, 4));
    assertThrows(IndexOutOfBoundsException.class, () -> f.vectors(0, n + 1));
  }

  /** A seeded frame of n rows over every type with edge values, and more than 64 columns. */
  private static FeatureFrame everyTypeFrame(int n) {
    SplittableRandom rnd = new SplittableRandom(5);
    double[] d = new double[n];
    long[] l = new long[n];
    BitSet lp = new BitSet();
    boolean[] b = new boolean[n];
    BitSet bp = new BitSet();
    String[] s = new String[n];
    float[][] e = new float[n][];
    double[] edges = {0.0, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, Double.NEGATIVE_INFINITY, Double.NaN, 1.5};
    for (int i = 0; i < n; i++) {
      d[i] = edges[rnd.nextInt(edges.length)];
      l[i] = rnd.nextBoolean() ? Long.MIN_VALUE : rnd.nextLong();
      if (rnd.nextInt(3) > 0) {
        lp.set(i);
      }
      b[i] = rnd.nextBoolean();
      if (rnd.nextInt(3) > 0) {
        bp.set(i);
      }
      s[i] = rnd.nextInt(4) == 0 ? null : "v" + rnd.nextInt(5);
      e[i] = rnd.nextInt(4) == 0 ? null : new float[] {rnd.nextInt(9), -0.0f};
    }
    // more than 64 columns, so a vector's presence spans two words
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n).addDouble("d", d).addLong("l", l, lp)
        .addBoolean("b", b, bp).addString("s", s).addEmbedding("e", 2, e);
    for (int c = 0; c < 62; c++) {
      fb.addLong("pad" + c, l, c % 2 == 0 ? lp : null);
    }
    return fb.build();
  }

  @Test
  void concatKeepsEveryRowAndAddColumnSharesAColumnUnderANewName() {
    int n = 300;
    FeatureFrame f = everyTypeFrame(n);
    int[] head = new int[120];
    int[] tail = new int[n - 120];
    for (int i = 0; i < n; i++) {
      if (i < 120) {
        head[i] = i;
      } else {
        tail[i - 120] = i;
      }
    }
    FeatureFrame empty = f.rows(new int[0]);
    FeatureFrame joined = FeatureFrame.concat(List.of(f.rows(head), empty, f.rows(tail)));
    assertEquals(n, joined.rowCount());
    assertEquals(f.schema(), joined.schema());
    for (int i = 0; i < n; i++) {
      assertEquals(f.row(i), joined.row(i), "row " + i);
    }
    assertTrue(FeatureFrame.concat(List.of(f)) == f);
    FeatureFrame other = FeatureFrame.builder(2).addDouble("d", new double[] {1, 2}).build();
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> FeatureFrame.concat(List.of(f, other)));
    assertTrue(bad.getMessage().contains("frames[1]"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FeatureFrame.concat(List.of()));

    FeatureFrame picked = FeatureFrame.builder(n).addColumn("x", f, 0).addColumn("words", f, 3)
        .addColumn("vec", f, 4).addColumn("flag", f, 2).build();
    assertEquals(List.of("x", "words", "vec", "flag"), picked.schema().names());
    assertEquals(FeatureSpec.embedding("vec", 2), picked.schema().get(2));
    for (int i = 0; i < n; i++) {
      assertEquals(f.isPresent(i, 0), picked.isPresent(i, 0), "row " + i);
      assertEquals(Double.doubleToRawLongBits(f.asDouble(i, 0)), Double.doubleToRawLongBits(picked.asDouble(i, 0)));
      assertEquals(f.getString(i, 3), picked.getString(i, 1));
      assertEquals(f.isPresent(i, 4), picked.isPresent(i, 2));
      assertEquals(f.isPresent(i, 2), picked.isPresent(i, 3));
    }
    assertThrows(IllegalArgumentException.class, () -> FeatureFrame.builder(n - 1).addColumn("x", f, 0));
    assertThrows(IllegalArgumentException.class, () -> FeatureFrame.builder(n).addColumn("x", f, 0).addColumn("x", f, 1));
    assertThrows(IndexOutOfBoundsException.class, () -> FeatureFrame.builder(n).addColumn("x", f, f.schema().size()));
  }

  @Test
  void rowBuilderAgreesWithTheRowsItWasGiven() {
    FeatureSchema schema = FeatureSchema.builder().addDouble("x").addLong("n").addString("s").addEmbedding("e", 3).build();
    long seed = 11L;
    SplittableRandom rnd = new SplittableRandom(seed);
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(schema);
    FeatureVector[] rows = new FeatureVector[100];
    for (int i = 0; i < rows.length; i++) {
      FeatureVector.Builder v = FeatureVector.builder(schema);
      if (rnd.nextInt(4) > 0) {
        v.setDouble(0, rnd.nextGaussian());
      }
      if (rnd.nextInt(4) > 0) {
        v.setLong(1, rnd.nextLong());
      }
      if (rnd.nextInt(4) > 0) {
        v.setString(2, "s" + rnd.nextInt(3));
      }
      if (rnd.nextInt(4) > 0) {
        v.setEmbedding(3, new float[] {rnd.nextInt(5), 1, 2});
      }
      rows[i] = v.build();
      b.add(rows[i]);
    }
    FeatureFrame f = b.build();
    assertEquals(rows.length, f.rowCount());
    for (int i = 0; i < rows.length; i++) {
      assertEquals(rows[i], f.row(i), "seed " + seed + " row " + i);
    }
  }

  @Test
  void badColumnsAreRefusedByName() {
    assertEquals("column 'x' has 2 values, expected 3", assertThrows(IllegalArgumentException.class,
        () -> FeatureFrame.builder(3).addDouble("x", new double[2])).getMessage());
    assertEquals("column 'x' was already added", assertThrows(IllegalArgumentException.class,
        () -> FeatureFrame.builder(1).addDouble("x", new double[1]).addLong("x", new long[1], null)).getMessage());
    assertEquals("column 'e' row 0 has float[1], expected EMBEDDING[2]", assertThrows(IllegalArgumentException.class,
        () -> FeatureFrame.builder(1).addEmbedding("e", 2, new float[][] {{1}})).getMessage());
    FeatureFrame f = FeatureFrame.builder(1).addString("s", new String[] {"a"}).build();
    assertEquals("column 's' is STRING, not numeric",
        assertThrows(IllegalArgumentException.class, () -> f.asDouble(0, 0)).getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> f.getString(1, 0));
    assertThrows(IllegalArgumentException.class, () -> f.select(List.of("nope")));
  }

  /** A column filled in place: it starts all missing, NaN stays missing, and the frame equals a copied one. */
  @Test
  void addDoubleFilledInPlaceEqualsTheCopiedColumn() {
    double[] values = {1.5, Double.NaN, -0.0, 7};
    FeatureFrame copied = FeatureFrame.builder(4).addDouble("x", values).build();
    double[][] seen = new double[1][];
    FeatureFrame filled = FeatureFrame.builder(4).addDouble("x", out -> {
      for (double v : out) {
        assertTrue(Double.isNaN(v), "starts missing");
      }
      out[0] = 1.5;
      out[2] = -0.0;
      out[3] = 7;
      seen[0] = out;
    }).build();
    assertEquals(4, seen[0].length);
    for (int i = 0; i < 4; i++) {
      assertEquals(copied.row(i), filled.row(i), "row " + i);
    }
    assertFalse(filled.isPresent(1, 0));
    assertThrows(IllegalArgumentException.class,
        () -> FeatureFrame.builder(4).addDouble("x", (java.util.function.Consumer<double[]>) null));
  }
}
