package org.sieveml.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FeatureVectorTest {

  static final FeatureSchema SCHEMA = FeatureSchema.builder()
      .addDouble("ctr_7d")
      .addLong("clicks_1h")
      .addBoolean("is_new")
      .addString("country")
      .addEmbedding("emb", 3)
      .build();

  @Test
  void typedValuesRoundTripAndMissingIsExplicit() {
    float[] emb = {0.5f, -1f, 2f};
    FeatureVector v = FeatureVector.builder(SCHEMA)
        .setDouble("ctr_7d", 0.125)
        .setLong("clicks_1h", 7)
        .setBoolean("is_new", true)
        .setString("country", "NZ")
        .setEmbedding("emb", emb)
        .build();
    emb[0] = 99f; // the vector copied it
    assertEquals(0.125, v.getDouble("ctr_7d"));
    assertEquals(7L, v.getLong("clicks_1h"));
    assertTrue(v.getBoolean("is_new"));
    assertEquals("NZ", v.getString("country"));
    assertArrayEquals(new float[] {0.5f, -1f, 2f}, v.getEmbedding("emb"));
    v.getEmbedding("emb")[0] = 42f; // and hands out copies
    assertEquals(0.5f, v.getEmbedding("emb")[0]);
    assertEquals(1.0, v.asDouble(2));
    assertEquals(7.0, v.asDouble(1));
    assertEquals(0, v.missingCount());

    FeatureVector m = v.toBuilder().setMissing("ctr_7d").setString("country", null).build();
    assertFalse(m.isPresent("ctr_7d"));
    assertFalse(m.isPresent(3));
    assertEquals(2, m.missingCount());
    assertTrue(Double.isNaN(m.asDouble(0)));
    assertEquals(-1.0, m.getDouble("ctr_7d", -1.0));
    assertNull(m.getString("country"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.getDouble("ctr_7d"));
    assertTrue(e.getMessage().contains("'ctr_7d' is missing"), e.getMessage());
    assertNotEquals(v, m);
    assertEquals(v, m.toBuilder().setDouble("ctr_7d", 0.125).setString("country", "NZ").build());
  }

  @Test
  void nanIsStoredAsMissing() {
    FeatureVector v = FeatureVector.builder(SCHEMA).setDouble("ctr_7d", Double.NaN).build();
    assertFalse(v.isPresent("ctr_7d"));
    assertEquals(5, v.missingCount());
  }

  @Test
  void wrongTypesAndDimensionsAreRefusedWithTheFeatureNamed() {
    FeatureVector.Builder b = FeatureVector.builder(SCHEMA);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.setLong("ctr_7d", 3));
    assertEquals("feature 'ctr_7d' is DOUBLE, cannot take LONG value Long 3", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.set("country", 3));
    assertEquals("feature 'country' is STRING, cannot take Integer 3", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.setEmbedding("emb", new float[4]));
    assertEquals("feature 'emb' is EMBEDDING[3], got float[4]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.setEmbedding("emb", new float[] {0, Float.NaN, 0}));
    assertTrue(e.getMessage().contains("NaN at position 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> b.setDouble("nope", 1));
    assertTrue(e.getMessage().startsWith("unknown feature 'nope'"), e.getMessage());
    FeatureVector v = b.build();
    e = assertThrows(IllegalArgumentException.class, () -> v.asDouble(3));
    assertEquals("feature 'country' is STRING, not a numeric type", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> v.getLong("ctr_7d"));
    assertEquals("feature 'ctr_7d' is DOUBLE, not LONG", e.getMessage());
  }

  @Test
  void schemaRejectsDuplicatesAndChecksProviders() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureSchema.builder().addDouble("a").addLong("a").build());
    assertTrue(e.getMessage().contains("'a' is declared twice"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FeatureSpec.embedding("e", 0));
    assertEquals("dimension of embedding feature 'e' must be positive, was 0", e.getMessage());
    FeatureSchema need = FeatureSchema.builder().addDouble("ctr_7d").addEmbedding("emb", 4).build();
    e = assertThrows(IllegalArgumentException.class, () -> need.checkProvidedBy(SCHEMA, "scorer 'm'", "source 's'"));
    assertEquals("scorer 'm' needs feature emb:EMBEDDING[4] but source 's' provides emb:EMBEDDING[3]", e.getMessage());
    FeatureSchema subset = FeatureSchema.builder().addString("country").addDouble("ctr_7d").build();
    subset.checkProvidedBy(SCHEMA, "scorer", "source");
    FeatureSchema extra = FeatureSchema.builder().addDouble("age").build();
    e = assertThrows(IllegalArgumentException.class, () -> extra.checkProvidedBy(SCHEMA, "scorer 'm'", "source 's'"));
    assertTrue(e.getMessage().startsWith("scorer 'm' needs feature 'age' but source 's' does not provide it"));
  }

  @Test
  void equalVectorsHaveEqualHashesOnRandomData() {
    long seed = 20261122L;
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int t = 0; t < 200; t++) {
      FeatureVector.Builder a = FeatureVector.builder(SCHEMA);
      FeatureVector.Builder b = FeatureVector.builder(SCHEMA);
      if (rnd.nextBoolean()) {
        double d = rnd.nextDouble();
        a.setDouble(0, d);
        b.setDouble(0, d);
      }
      if (rnd.nextBoolean()) {
        long l = rnd.nextLong();
        a.setLong(1, l);
        b.setLong(1, l);
      }
      if (rnd.nextBoolean()) {
        String s = "c" + rnd.nextInt(5);
        a.setString(3, s);
        b.setString(3, new String(s));
      }
      if (rnd.nextBoolean()) {
        float[] f = {(float) rnd.nextDouble(), 1f, 2f};
        a.setEmbedding(4, f);
        b.setEmbedding(4, f.clone());
      }
      FeatureVector va = a.build();
      FeatureVector vb = b.build();
      assertEquals(va, vb, "seed " + seed + " round " + t);
      assertEquals(va.hashCode(), vb.hashCode(), "seed " + seed + " round " + t);
    }
  }
}
