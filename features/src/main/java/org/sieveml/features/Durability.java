package org.sieveml.features;

import java.time.Duration;

/**
 * When a persistent {@link EmbeddedOnlineStore} forces its write-ahead log to stable storage, and so
 * what a crash can lose. Under every policy a write is appended to the log (a {@code write(2)} into
 * the operating system's page cache, no buffer in the process) before it changes memory and before
 * the call returns, so <b>a process crash ({@code kill -9}, an OOM kill, a JVM crash) loses no write
 * whose call returned</b>. The policies differ on a power loss or an operating-system crash:
 *
 * <ul>
 *   <li>{@link #SYNC_EVERY_WRITE}: every write call returns only after the log was forced
 *       ({@code fdatasync}) past its record; concurrent writers share one force. A power loss loses
 *       nothing that returned. Readers see a write only once it is durable.
 *   <li>{@link #groupCommit(Duration) groupCommit(interval)} ({@link #DEFAULT}: every 50 ms): writes
 *       return after the append; a background task forces the log every {@code interval}. A power
 *       loss loses at most the writes that returned in the last {@code interval} plus the duration of
 *       one force before it (typically a few milliseconds on an SSD).
 *   <li>{@link #MANUAL}: the log is forced only by {@link EmbeddedOnlineStore#sync()},
 *       {@link EmbeddedOnlineStore#checkpoint()} (also the automatic ones, see
 *       {@link EmbeddedOnlineStore.Builder#checkpointAfterLogBytes(long)}) and
 *       {@link EmbeddedOnlineStore#close()}. A power loss loses every write that returned after the
 *       last of those.
 * </ul>
 *
 * <p>Whatever is lost is lost as a suffix of the log: the recovered state is always the state after
 * some prefix of the writes, in the order they were applied (never a later write without an earlier
 * one, never half of a key's update).
 *
 * <p>Immutable and thread-safe.
 */
public final class Durability {

  /** How the log is forced. */
  public enum Mode {
    /** Before every write returns. */
    SYNC_EVERY_WRITE,
    /** Every interval, in the background. */
    GROUP_COMMIT,
    /** Only when asked. */
    MANUAL
  }

  /** Every write is forced before it returns. */
  public static final Durability SYNC_EVERY_WRITE = new Durability(Mode.SYNC_EVERY_WRITE, Duration.ZERO);

  /** The log is forced only by {@code sync()}, {@code checkpoint()} and {@code close()}. */
  public static final Durability MANUAL = new Durability(Mode.MANUAL, Duration.ZERO);

  /** The default: group commit every 50 ms. */
  public static final Durability DEFAULT = new Durability(Mode.GROUP_COMMIT, Duration.ofMillis(50));

  private final Mode mode;
  private final Duration interval;

  private Durability(Mode mode, Duration interval) {
    this.mode = mode;
    this.interval = interval;
  }

  /**
   * Group commit: the log is forced in the background every {@code interval}.
   *
   * @param interval between 1 ms and 1 hour
   * @return the policy
   * @throws IllegalArgumentException naming the value when it is outside that range
   */
  public static Durability groupCommit(Duration interval) {
    if (interval == null || interval.compareTo(Duration.ofMillis(1)) < 0 || interval.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("group commit interval was " + interval + ", expected 1 ms to 1 hour");
    }
    return new Durability(Mode.GROUP_COMMIT, interval);
  }

  /**
   * The mode.
   *
   * @return how the log is forced
   */
  public Mode mode() {
    return mode;
  }

  /**
   * The group commit interval.
   *
   * @return the interval, {@link Duration#ZERO} unless {@link Mode#GROUP_COMMIT}
   */
  public Duration interval() {
    return interval;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Durability d && d.mode == mode && d.interval.equals(interval);
  }

  @Override
  public int hashCode() {
    return mode.hashCode() * 31 + interval.hashCode();
  }

  @Override
  public String toString() {
    return mode == Mode.GROUP_COMMIT ? "groupCommit(" + interval.toMillis() + " ms)" : mode.name();
  }
}
