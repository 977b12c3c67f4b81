package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;

class EntityTest {

  @Test
  void buildsKeysInJoinKeyOrder() {
    Entity pair = Entity.builder("user_item").joinKey("user_id").joinKey("item_id").description("a pair").build();
    assertEquals(List.of("user_id", "item_id"), pair.joinKeys());
    EntityKey k = pair.key(42, "i7");
    assertEquals(EntityKey.builder().put("item_id", "i7").put("user_id", 42L).build(), k);
    assertTrue(pair.accepts(k));
    assertFalse(pair.accepts(EntityKey.of("user_id", 42)));
  }

  @Test
  void refusesBadDefinitionsWithNamedFields() {
    assertEquals("entity name must match [A-Za-z_][A-Za-z0-9_]*, was 'my card'",
        assertThrows(IllegalArgumentException.class, () -> Entity.builder("my card")).getMessage());
    assertEquals("join key 'card_id' of entity 'card' is declared twice",
        assertThrows(IllegalArgumentException.class,
            () -> Entity.builder("card").joinKey("card_id").joinKey("card_id")).getMessage());
    assertEquals("entity 'card' needs at least one join key",
        assertThrows(IllegalStateException.class, () -> Entity.builder("card").build()).getMessage());
    Entity card = Entity.builder("card").joinKey("card_id").build();
    assertEquals("entity 'card' has join keys [card_id], got 2 values",
        assertThrows(IllegalArgumentException.class, () -> card.key(1, 2)).getMessage());
  }
}
