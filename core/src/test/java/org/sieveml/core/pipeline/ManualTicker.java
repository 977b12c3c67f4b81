package org.sieveml.core.pipeline;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.core.Ticker;

/** A ticker that moves only when a test (or an in-test stage) advances it. */
final class ManualTicker implements Ticker {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  @Override
  public long read() {
    return nanos.get();
  }

  void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }
}
