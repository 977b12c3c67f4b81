package org.sieveml.benchmarks.features;

import java.lang.management.ManagementFactory;
import org.openjdk.jmh.annotations.Fork;
import org.sieveml.benchmarks.Scorecard;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.OnlineStore;

/**
 * Question: how many heap bytes does the as-of history cost per entity on the embedded store, with a
 * 48 h horizon in which each entity was written {@value AsOfReadBenchmark#WRITES} times
 * ({@value AsOfReadBenchmark#FEATURES} DOUBLE features), against the same store without history (its
 * current rows only)? The difference divided by the writes kept is the cost of one retained row
 * version ({@link #bytesPerRowVersion}).
 *
 * <p>Retained heap of the in-memory {@code EmbeddedOnlineStore}, measured as the heap used after full
 * GCs before and after {@code clear(view)} (which drops rows and their history), divided by the
 * number of entities. Not a JMH benchmark: the scorecard runs each method in a fresh JVM
 * ({@link Scorecard.Measured}).
 */
@Fork(jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class AsOfHistoryBytesBenchmark implements Scorecard.Measured {

  /** A new instance (one per JVM). */
  public AsOfHistoryBytesBenchmark() {}

  /**
   * Ours: rows and their 48 h history.
   *
   * @return bytes per entity
   */
  public double withHistory() {
    return perEntity(true);
  }

  /**
   * The anchor: the current rows only (no history horizon).
   *
   * @return bytes per entity
   */
  public double withoutHistory() {
    return perEntity(false);
  }

  /**
   * The cost of one retained row version: (with history - without) / history entries per entity.
   *
   * @return bytes per retained row version
   */
  public double bytesPerRowVersion() {
    double with = perEntity(true);
    double without = perEntity(false);
    return (with - without) / entriesPerEntity;
  }

  private double entriesPerEntity;

  private double perEntity(boolean history) {
    AsOfReadBenchmark.World w = new AsOfReadBenchmark.World(history);
    OnlineStore online = w.store.onlineStore();
    if (history) {
      entriesPerEntity = (double) ((EmbeddedOnlineStore) online).historyEntries() / AsOfReadBenchmark.ENTITIES;
      System.out.println("# " + entriesPerEntity + " history entries per entity");
    }
    long before = usedAfterGc();
    online.clear("user_stats");
    long after = usedAfterGc();
    return (double) (before - after) / AsOfReadBenchmark.ENTITIES;
  }

  private static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /**
   * Prints the three figures (one JVM; the scorecard forks its own).
   *
   * @param args unused
   */
  public static void main(String[] args) {
    AsOfHistoryBytesBenchmark b = new AsOfHistoryBytesBenchmark();
    double with = b.withHistory();
    double without = b.withoutHistory();
    System.out.printf("with history %.0f B/entity, without %.0f B/entity, %.1f entries/entity, %.1f B/row version%n",
        with, without, b.entriesPerEntity, (with - without) / b.entriesPerEntity);
  }
}
