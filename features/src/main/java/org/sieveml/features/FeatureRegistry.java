package org.sieveml.features;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.sieveml.core.FeatureSpec;
import org.sieveml.features.internal.Definitions;

/**
 * The catalogue of entities, views and feature services. It validates every definition against the
 * others (unique names, known entities, known views and features, consistent types) and identifies
 * each by a content-hash version.
 *
 * <p>Changing a definition is explicit: {@link #apply} registers a new definition or accepts an
 * identical one again, and refuses a different definition under a registered name; {@link #replace}
 * swaps it, after checking that everything that depends on it is still valid. Callers that hold a
 * replaced definition are refused by {@link #checkCurrent(FeatureService)} (which the feature store calls
 * on every request) rather than served stale results: nothing is cached behind the caller's back, in
 * contrast to registry caches that serve old definitions until a refresh.
 *
 * <pre>{@code
 * FeatureRegistry registry = new FeatureRegistry();
 * registry.apply(card);
 * registry.apply(cardStats);
 * registry.apply(fraudV1);
 * }</pre>
 *
 * <p>Thread-safe: reads are lock-free against an immutable snapshot; changes are serialized and
 * publish a new snapshot atomically. A failed change leaves the registry unchanged.
 */
public final class FeatureRegistry {

  private static final class Snapshot {
    final Map<String, Entity> entities;
    final Map<String, ViewDefinition> views;
    final Map<String, FeatureService> services;
    final long generation;
    final Map<String, ResolvedService> resolved = new ConcurrentHashMap<>();

    Snapshot(Map<String, Entity> entities, Map<String, ViewDefinition> views, Map<String, FeatureService> services,
        long generation) {
      this.entities = Collections.unmodifiableMap(entities);
      this.views = Collections.unmodifiableMap(views);
      this.services = Collections.unmodifiableMap(services);
      this.generation = generation;
    }
  }

  private volatile Snapshot snapshot =
      new Snapshot(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), 0);

  /** Creates an empty registry. */
  public FeatureRegistry() {}

  /**
   * Registers an entity, or accepts an identical one again.
   *
   * @param entity the entity
   * @return the entity's version
   * @throws IllegalStateException if a different entity has this name
   */
  public synchronized String apply(Entity entity) {
    notNull("entity", entity);
    Snapshot s = snapshot;
    Entity prev = s.entities.get(entity.name());
    if (prev != null) {
      if (prev.equals(entity)) {
        return version(entity);
      }
      throw changed("entity", entity.name(), version(prev), version(entity));
    }
    Map<String, Entity> e = new LinkedHashMap<>(s.entities);
    e.put(entity.name(), entity);
    publish(e, s.views, s.services);
    return version(entity);
  }

  /**
   * Registers a view (feature, aggregation or on-demand), or accepts an identical one again.
   *
   * @param view the view
   * @return the view's version
   * @throws IllegalStateException if a different view has this name
   * @throws IllegalArgumentException if the view refers to an unknown or different entity, or an
   *     on-demand view to unknown features
   */
  public synchronized String apply(ViewDefinition view) {
    notNull("view", view);
    Snapshot s = snapshot;
    ViewDefinition prev = s.views.get(view.name());
    if (prev != null) {
      if (prev.version().equals(view.version()) && prev.getClass() == view.getClass()) {
        return view.version();
      }
      throw changed("view", view.name(), prev.version(), view.version());
    }
    Map<String, ViewDefinition> v = new LinkedHashMap<>(s.views);
    v.put(view.name(), view);
    validateView(view, s.entities, v);
    publish(s.entities, v, s.services);
    return view.version();
  }

  /**
   * Registers a feature service, or accepts an identical one again.
   *
   * @param service the service
   * @return the service's version
   * @throws IllegalStateException if a different service has this name
   * @throws IllegalArgumentException if it selects unknown views or features, or two outputs share a
   *     name
   */
  public synchronized String apply(FeatureService service) {
    notNull("feature service", service);
    Snapshot s = snapshot;
    FeatureService prev = s.services.get(service.name());
    if (prev != null) {
      if (prev.equals(service)) {
        return service.version();
      }
      throw changed("feature service", service.name(), prev.version(), service.version());
    }
    ResolvedService.resolve(service, s.views);
    Map<String, FeatureService> m = new LinkedHashMap<>(s.services);
    m.put(service.name(), service);
    publish(s.entities, s.views, m);
    return service.version();
  }

  /**
   * Replaces a registered view with a new definition of the same kind, after checking that every
   * on-demand view and feature service that uses it is still valid.
   *
   * @param view the new definition
   * @return its version
   * @throws IllegalArgumentException if no view has this name, the kind differs, or a dependent
   *     definition would break (the registry is then unchanged)
   */
  public synchronized String replace(ViewDefinition view) {
    notNull("view", view);
    Snapshot s = snapshot;
    ViewDefinition prev = s.views.get(view.name());
    if (prev == null) {
      throw new IllegalArgumentException("cannot replace view '" + view.name() + "': it is not registered (use apply)");
    }
    if (prev.getClass() != view.getClass()) {
      throw new IllegalArgumentException("cannot replace " + prev.getClass().getSimpleName() + " '" + view.name()
          + "' with a " + view.getClass().getSimpleName());
    }
    Map<String, ViewDefinition> v = new LinkedHashMap<>(s.views);
    v.put(view.name(), view);
    for (ViewDefinition d : v.values()) {
      validateView(d, s.entities, v);
    }
    for (FeatureService svc : s.services.values()) {
      ResolvedService.resolve(svc, v);
    }
    publish(s.entities, v, s.services);
    return view.version();
  }

  /**
   * Replaces a registered feature service.
   *
   * @param service the new definition
   * @return its version
   * @throws IllegalArgumentException if no service has this name or the new one is invalid
   */
  public synchronized String replace(FeatureService service) {
    notNull("feature service", service);
    Snapshot s = snapshot;
    if (!s.services.containsKey(service.name())) {
      throw new IllegalArgumentException(
          "cannot replace feature service '" + service.name() + "': it is not registered (use apply)");
    }
    ResolvedService.resolve(service, s.views);
    Map<String, FeatureService> m = new LinkedHashMap<>(s.services);
    m.put(service.name(), service);
    publish(s.entities, s.views, m);
    return service.version();
  }

  /**
   * A registered entity.
   *
   * @param name its name
   * @return the entity
   * @throws IllegalArgumentException if unknown
   */
  public Entity entity(String name) {
    Entity e = snapshot.entities.get(name);
    if (e == null) {
      throw new IllegalArgumentException("unknown entity '" + name + "'; known: " + snapshot.entities.keySet());
    }
    return e;
  }

  /**
   * A registered view.
   *
   * @param name its name
   * @return the view
   * @throws IllegalArgumentException if unknown
   */
  public ViewDefinition view(String name) {
    ViewDefinition v = snapshot.views.get(name);
    if (v == null) {
      throw new IllegalArgumentException("unknown view '" + name + "'; known: " + snapshot.views.keySet());
    }
    return v;
  }

  /**
   * A registered view of a given kind.
   *
   * @param name its name
   * @param kind {@code FeatureView.class}, {@code AggregationView.class} or {@code OnDemandFeatureView.class}
   * @param <T> the kind
   * @return the view
   * @throws IllegalArgumentException if unknown or of another kind
   */
  public <T extends ViewDefinition> T view(String name, Class<T> kind) {
    ViewDefinition v = view(name);
    if (!kind.isInstance(v)) {
      throw new IllegalArgumentException("view '" + name + "' is a " + v.getClass().getSimpleName() + ", expected a "
          + kind.getSimpleName());
    }
    return kind.cast(v);
  }

  /**
   * A registered feature service.
   *
   * @param name its name
   * @return the service
   * @throws IllegalArgumentException if unknown
   */
  public FeatureService featureService(String name) {
    FeatureService f = snapshot.services.get(name);
    if (f == null) {
      throw new IllegalArgumentException("unknown feature service '" + name + "'; known: " + snapshot.services.keySet());
    }
    return f;
  }

  /**
   * All registered views in registration order.
   *
   * @return an unmodifiable snapshot
   */
  public List<ViewDefinition> views() {
    return Collections.unmodifiableList(new ArrayList<>(snapshot.views.values()));
  }

  /**
   * The number of changes made so far: each apply of something new and each replace adds one.
   *
   * @return the generation
   */
  public long generation() {
    return snapshot.generation;
  }

  /**
   * Checks that a service object is the registered one and its views are registered.
   *
   * @param service the caller's service
   * @throws IllegalStateException if the service is unknown or was replaced since the caller got it
   */
  public void checkCurrent(FeatureService service) {
    resolve(service);
  }

  /**
   * Checks that a view object is the registered one.
   *
   * @param view the caller's view
   * @throws IllegalStateException if the view is unknown or was replaced since the caller got it
   */
  public void checkCurrent(ViewDefinition view) {
    notNull("view", view);
    ViewDefinition v = snapshot.views.get(view.name());
    if (v == null) {
      throw new IllegalStateException("view '" + view.name() + "' is not registered");
    }
    if (!v.version().equals(view.version())) {
      throw new IllegalStateException("view '" + view.name() + "' version " + view.version()
          + " is stale: the registry has version " + v.version() + " (it was replaced)");
    }
  }

  /** Resolves a service against the current snapshot, refusing a stale one. */
  ResolvedService resolve(FeatureService service) {
    notNull("feature service", service);
    Snapshot s = snapshot;
    ResolvedService cached = s.resolved.get(service.name());
    if (cached != null && cached.service == service) {
      return cached; // the very object this snapshot resolved: current by construction
    }
    FeatureService registered = s.services.get(service.name());
    if (registered == null) {
      throw new IllegalStateException("feature service '" + service.name() + "' is not registered");
    }
    if (!registered.version().equals(service.version())) {
      throw new IllegalStateException("feature service '" + service.name() + "' version " + service.version()
          + " is stale: the registry has version " + registered.version() + " (it was replaced)");
    }
    ResolvedService rs = s.resolved.computeIfAbsent(service.name(), k -> ResolvedService.resolve(service, s.views));
    return rs;
  }

  private static void validateView(ViewDefinition view, Map<String, Entity> entities,
      Map<String, ViewDefinition> views) {
    Entity e = view.entity();
    if (e != null) {
      Entity known = entities.get(e.name());
      if (known == null) {
        throw new IllegalArgumentException("view '" + view.name() + "' is keyed by unknown entity '" + e.name()
            + "'; register it first (known: " + entities.keySet() + ")");
      }
      if (!known.equals(e)) {
        throw new IllegalArgumentException("view '" + view.name() + "' uses entity '" + e.name() + "' with join keys "
            + e.joinKeys() + ", but the registered entity has " + known.joinKeys());
      }
    }
    if (view instanceof OnDemandFeatureView) {
      OnDemandFeatureView odv = (OnDemandFeatureView) view;
      for (FeatureRef in : odv.inputs()) {
        ViewDefinition src = views.get(in.view());
        if (src == null) {
          throw new IllegalArgumentException(
              "on-demand view '" + view.name() + "' reads " + in + " from unknown view '" + in.view() + "'");
        }
        if (src instanceof OnDemandFeatureView) {
          throw new IllegalArgumentException("on-demand view '" + view.name() + "' reads " + in
              + " from another on-demand view; inputs must be feature or aggregation views");
        }
        if (!src.schema().contains(in.feature())) {
          throw new IllegalArgumentException("on-demand view '" + view.name() + "' reads unknown feature '"
              + in.feature() + "' of view '" + in.view() + "'; it has " + src.schema().names());
        }
      }
      for (FeatureSpec f : odv.requestSchema().specs()) {
        if (f.name().contains(":")) {
          throw new IllegalArgumentException("request field '" + f.name() + "' of on-demand view '" + view.name()
              + "' must not contain ':' (reserved for view:feature inputs)");
        }
      }
    }
  }

  private void publish(Map<String, Entity> e, Map<String, ViewDefinition> v, Map<String, FeatureService> s) {
    snapshot = new Snapshot(new LinkedHashMap<>(e), new LinkedHashMap<>(v), new LinkedHashMap<>(s),
        snapshot.generation + 1);
  }

  private static String version(Entity e) {
    return Definitions.hash("Entity|" + e.name() + "|" + e.joinKeys() + "|" + e.description());
  }

  private static IllegalStateException changed(String kind, String name, String oldVersion, String newVersion) {
    return new IllegalStateException(kind + " '" + name + "' is already registered as version " + oldVersion
        + "; this definition is version " + newVersion + ": call replace(...) to change it explicitly");
  }

  private static void notNull(String field, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
  }
}
