package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * Issue 15's findings on the persistent online store: a second open of one directory succeeded (and
 * one store's synced rows were lost after both closed), writes after {@code close()} were accepted but
 * not durable, and temp files of interrupted checkpoints piled up.
 */
class OnlineStoreHardeningTest {

  private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of(FeatureSpec.of("x", FeatureType.DOUBLE)));

  private static OnlineRow row(long id, double x) {
    return new OnlineRow(EntityKey.of("user_id", id), FeatureVector.builder(SCHEMA).setDouble("x", x).build(), 1, 1, 1,
        "v1");
  }

  @Test
  void aSecondOpenOfOneDirectoryIsRefused(@TempDir Path dir) {
    EmbeddedOnlineStore first = EmbeddedOnlineStore.open(dir);
    RuntimeException e = assertThrows(RuntimeException.class, () -> EmbeddedOnlineStore.open(dir));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    first.write("v", List.of(row(1, 1)));
    first.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(1.0, again.read("v", List.of(EntityKey.of("user_id", 1L))).get(0).values().getDouble("x"),
        "the first store's rows are intact");
    again.close();
  }

  @Test
  void writesAfterCloseAreRefused(@TempDir Path dir) {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    s.write("v", List.of(row(1, 1)));
    s.close();
    assertThrows(IllegalStateException.class, () -> s.write("v", List.of(row(2, 2))));
    assertThrows(IllegalStateException.class, () -> s.advanceMark("m", 3));
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertEquals(null, again.read("v", List.of(EntityKey.of("user_id", 2L))).get(0));
    again.close();
  }

  @Test
  void aLeftoverCheckpointTempFileIsRemovedOnOpen(@TempDir Path dir) throws Exception {
    EmbeddedOnlineStore s = EmbeddedOnlineStore.open(dir);
    s.write("v", List.of(row(1, 1)));
    s.checkpoint();
    s.close();
    Path tmp = dir.resolve(EmbeddedOnlineStore.SNAPSHOT + ".tmp");
    Files.write(tmp, new byte[] {1, 2, 3}); // an interrupted checkpoint's file
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    assertFalse(Files.exists(tmp), "the orphaned temp file is removed");
    assertEquals(1.0, again.read("v", List.of(EntityKey.of("user_id", 1L))).get(0).values().getDouble("x"));
    again.close();
  }
}
