package org.sieveml.features;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/**
 * The contract on a persistent embedded store under {@link Durability#SYNC_EVERY_WRITE}, where writes
 * go through the log and concurrent writers share forces and apply in log order; each case also
 * reopens the store at its end and requires the same rows, tiles and marks back.
 */
class PersistentOnlineStoreContractTest extends OnlineStoreContract {
  private Path dir;

  @Override
  OnlineStore newStore() throws IOException {
    dir = Files.createTempDirectory("sieveml-online-contract");
    return EmbeddedOnlineStore.builder(dir).durability(Durability.SYNC_EVERY_WRITE).build();
  }

  @AfterEach
  void reopenAndCompare() throws IOException {
    EmbeddedOnlineStore before = (EmbeddedOnlineStore) store;
    String expected = snapshotOf(before);
    before.close();
    EmbeddedOnlineStore again = EmbeddedOnlineStore.open(dir);
    try {
      org.junit.jupiter.api.Assertions.assertEquals(expected, snapshotOf(again), "the same after reopening");
    } finally {
      again.close();
      OfflineFormatFuzzTest.deleteTree(dir);
    }
  }

  /** Rows, tiles and marks of the names and keys the contract uses. */
  private static String snapshotOf(EmbeddedOnlineStore s) {
    StringBuilder b = new StringBuilder();
    java.util.List<org.sieveml.core.EntityKey> keys = new java.util.ArrayList<>();
    for (long k = 0; k < 100; k++) {
      keys.add(user(k));
    }
    keys.add(org.sieveml.core.EntityKey.of("id", "k:3"));
    keys.add(org.sieveml.core.EntityKey.of("id", "x"));
    keys.add(org.sieveml.core.EntityKey.of("id", "y"));
    for (String view : java.util.List.of("v", "a", "b", "u", "w", "v:w|x")) {
      b.append(view).append(' ').append(s.size(view)).append(s.read(view, keys)).append(s.readTiles(view, keys));
    }
    for (String m : java.util.List.of("m:view/a", "m:view/b")) {
      b.append(m).append('=').append(s.readMark(m));
    }
    return b.toString();
  }
}
