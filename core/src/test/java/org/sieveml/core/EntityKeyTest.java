package org.sieveml.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EntityKeyTest {

  @Test
  void singleKeysCompareByNameAndValueWithIntsWidened() {
    assertEquals(EntityKey.of("user_id", 42), EntityKey.of("user_id", 42L));
    assertEquals(EntityKey.of("user_id", 42).hashCode(), EntityKey.of("user_id", 42L).hashCode());
    assertNotEquals(EntityKey.of("user_id", 42), EntityKey.of("user_id", "42"));
    assertNotEquals(EntityKey.of("user_id", 42), EntityKey.of("item_id", 42));
    assertEquals("user_id=42", EntityKey.of("user_id", 42).toString());
    assertFalse(EntityKey.of("user_id", 1).isComposite());
  }

  @Test
  void aLongKeyHashesAsTheBuiltKeyAndAnInvalidNameIsRefusedAfterAValidOne() {
    for (long v : new long[] {0, 1, -1, 42, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, -(1L << 40) + 7}) {
      EntityKey fast = EntityKey.of("user_id", v);
      EntityKey built = EntityKey.builder().put("user_id", v).build();
      assertEquals(built, fast);
      assertEquals(built.hashCode(), fast.hashCode(), "hash of user_id=" + v);
      assertEquals(EntityKey.of(Map.of("user_id", v)).hashCode(), fast.hashCode());
    }
    EntityKey.of("user_id", 1); // the name cache holds a valid name now; others are still checked
    assertThrows(IllegalArgumentException.class, () -> EntityKey.of("", 1));
    assertThrows(IllegalArgumentException.class, () -> EntityKey.of("9lives", 1));
    assertThrows(IllegalArgumentException.class, () -> EntityKey.of(null, 1));
    assertThrows(IllegalArgumentException.class, () -> EntityKey.of("user id", "x"));
  }

  @Test
  void compositeKeysAreOrderIndependent() {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("user_id", 42);
    a.put("item_id", "i7");
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("item_id", "i7");
    b.put("user_id", 42L);
    EntityKey ka = EntityKey.of(a);
    EntityKey kb = EntityKey.builder().put("item_id", "i7").put("user_id", 42L).build();
    assertEquals(ka, kb);
    assertEquals(ka, EntityKey.of(b));
    assertTrue(ka.isComposite());
    assertEquals(List.of("item_id", "user_id"), ka.names());
    assertEquals(42L, ka.value("user_id"));
    assertEquals("i7", ka.value(0));
    assertTrue(ka.hasNames(List.of("user_id", "item_id")));
    assertFalse(ka.hasNames(List.of("user_id")));
    assertEquals("{item_id=i7, user_id=42}", ka.toString());
  }

  @Test
  void badInputNamesTheFieldAndValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EntityKey.of("user_id", (String) null));
    assertEquals("value of join key 'user_id' must not be null", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EntityKey.of("user id", 1));
    assertTrue(e.getMessage().contains("'user id'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EntityKey.builder().put("x", 1.5).build());
    assertTrue(e.getMessage().contains("join key 'x'") && e.getMessage().contains("Double 1.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EntityKey.builder().put("x", 1).put("x", 2));
    assertTrue(e.getMessage().contains("already set to Long 1"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> EntityKey.builder().build());
    e = assertThrows(IllegalArgumentException.class, () -> EntityKey.of("user_id", 1).value("item_id"));
    assertTrue(e.getMessage().contains("'item_id'"), e.getMessage());
  }

  /** Empty string ids and ids longer than the stores' length prefixes are refused when the key is made. */
  @Test
  void stringValuesAreOneTo4096Utf8Bytes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EntityKey.of("user_id", ""));
    assertTrue(e.getMessage().contains("'user_id'") && e.getMessage().contains("''"), e.getMessage());
    String ok = "ü".repeat(EntityKey.MAX_STRING_BYTES / 2); // 2 bytes each: exactly the limit
    assertEquals(ok, EntityKey.of("user_id", ok).value(0));
    e = assertThrows(IllegalArgumentException.class, () -> EntityKey.of("user_id", ok + "x"));
    assertTrue(e.getMessage().contains("4097 bytes"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> EntityKey.builder().put("user_id", "x".repeat(70_000)).build());
    assertTrue(e.getMessage().contains("70000 bytes") && e.getMessage().contains("1 to 4096"), e.getMessage());
    assertEquals(" ", EntityKey.of("user_id", " ").value(0), "blank but not empty is an id");
  }
}
