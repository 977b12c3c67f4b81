package org.sieveml.micrometer.internal;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The registries a binder was bound to and the meters it registered in them, so that it can add a
 * meter to every registry at once and remove all of its meters on close.
 *
 * <p>Thread-safe: every method synchronizes on this object; meter registration happens under that lock
 * (it is rare: once per new metric and registry).
 */
public final class Registrations {

  private final List<MeterRegistry> registries = new ArrayList<>();
  private final java.util.Set<Registered> meters = new java.util.LinkedHashSet<>();
  private boolean closed;

  private record Registered(MeterRegistry registry, Meter meter) {}

  /** What was registered where: a registry (by identity) and the caller's key of the meter. */
  private final java.util.Map<MeterRegistry, java.util.Set<Object>> keys = new java.util.IdentityHashMap<>();

  /** Creates an empty set of registrations. */
  public Registrations() {}

  /**
   * Remembers a registry (once) and registers in it what {@code bindAll} registers.
   *
   * @param registry the registry
   * @param bindAll registers every meter known so far in the registry it is given
   * @throws IllegalStateException after {@link #close()}
   */
  public synchronized void bind(MeterRegistry registry, java.util.function.Consumer<MeterRegistry> bindAll) {
    if (closed) {
      throw new IllegalStateException("the binder is closed; create a new one to bind " + registry);
    }
    if (registries.stream().noneMatch(r -> r == registry)) {
      registries.add(registry);
    }
    bindAll.accept(registry);
  }

  /**
   * Registers a meter in one registry and remembers it, unless a meter of the same key was already
   * registered there through this object (Micrometer warns about a function meter registered twice).
   *
   * @param registry the registry
   * @param key identifies the meter among this binder's meters (e.g. its source object)
   * @param meter registers the meter in the registry it is given
   */
  public synchronized void add(MeterRegistry registry, Object key, Function<MeterRegistry, Meter> meter) {
    if (closed || !keys.computeIfAbsent(registry, r -> new java.util.HashSet<>()).add(key)) {
      return;
    }
    meters.add(new Registered(registry, meter.apply(registry)));
  }

  /**
   * Registers a meter in every registry bound so far (nothing after {@link #close()}).
   *
   * @param key identifies the meter among this binder's meters
   * @param meter registers the meter in the registry it is given
   */
  public synchronized void addEverywhere(Object key, Function<MeterRegistry, Meter> meter) {
    for (MeterRegistry r : registries) {
      add(r, key, meter);
    }
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return true once closed
   */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Removes every meter registered through this object from its registry; idempotent. */
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Registered r : meters) {
      r.registry.remove(r.meter);
    }
    meters.clear();
    keys.clear();
    registries.clear();
  }
}
