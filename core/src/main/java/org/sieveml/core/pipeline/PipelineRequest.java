package org.sieveml.core.pipeline;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.core.EntityKey;

/**
 * One request to a {@link TwoStagePipeline}: who it is for, request-time context, and how many items
 * to return.
 *
 * <p>The {@linkplain #entity() entity} is the subject of the request (a user, a session, a query, an
 * ad slot); the {@linkplain #context() context} carries request-time data that stages may read, such as
 * a query embedding ({@code float[]}), the device, or ids to exclude. Context values are not copied
 * deeply: pass immutable values, or arrays that nobody mutates afterwards. Immutable and
 * thread-safe.
 */
public final class PipelineRequest {

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final String requestId;
  private final EntityKey entity;
  private final Map<String, Object> context;
  private final int k;

  private PipelineRequest(Builder b) {
    this.requestId = b.requestId != null ? b.requestId : "req-" + SEQUENCE.incrementAndGet();
    this.entity = b.entity;
    this.context = Collections.unmodifiableMap(new LinkedHashMap<>(b.context));
    this.k = b.k;
  }

  /**
   * A request for the top {@code k} items for {@code entity}, without context.
   *
   * @param entity the request's subject, not null
   * @param k how many items to return, positive
   * @return the request
   * @throws IllegalArgumentException if entity is null or k is not positive
   */
  public static PipelineRequest of(EntityKey entity, int k) {
    return builder(entity).k(k).build();
  }

  /**
   * Returns a builder for a request about {@code entity}.
   *
   * @param entity the request's subject, not null
   * @return a new builder
   * @throws IllegalArgumentException if entity is null
   */
  public static Builder builder(EntityKey entity) {
    if (entity == null) {
      throw new IllegalArgumentException("request entity must not be null");
    }
    return new Builder(entity);
  }

  /**
   * The request's id (given, or generated as {@code req-N}).
   *
   * @return the id
   */
  public String requestId() {
    return requestId;
  }

  /**
   * The subject of the request.
   *
   * @return the entity key
   */
  public EntityKey entity() {
    return entity;
  }

  /**
   * Request-time data by name.
   *
   * @return an unmodifiable map, possibly empty
   */
  public Map<String, Object> context() {
    return context;
  }

  /**
   * A context value of an expected type.
   *
   * @param name the context key
   * @param type the expected class
   * @param <T> the expected type
   * @return the value, or null when absent
   * @throws IllegalArgumentException if present with another type
   */
  public <T> T context(String name, Class<T> type) {
    Object v = context.get(name);
    if (v == null) {
      return null;
    }
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException(
          "request context '" + name + "' must be a " + type.getSimpleName() + ", was "
              + v.getClass().getSimpleName());
    }
    return type.cast(v);
  }

  /**
   * How many items the response should hold at most.
   *
   * @return k, positive
   */
  public int k() {
    return k;
  }

  @Override
  public String toString() {
    return "PipelineRequest{" + requestId + ", " + entity + ", k=" + k + ", context=" + context.keySet() + "}";
  }

  /** Assembles a {@link PipelineRequest}. Not thread-safe. */
  public static final class Builder {
    private final EntityKey entity;
    private final Map<String, Object> context = new LinkedHashMap<>();
    private String requestId;
    private int k = 10;

    private Builder(EntityKey entity) {
      this.entity = entity;
    }

    /**
     * Sets the request id (default: a generated {@code req-N}).
     *
     * @param id a non-blank id
     * @return this builder
     */
    public Builder requestId(String id) {
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException(
            "requestId must be a non-blank string, was " + (id == null ? "null" : "'" + id + "'"));
      }
      this.requestId = id;
      return this;
    }

    /**
     * Sets how many items to return (default 10).
     *
     * @param k positive
     * @return this builder
     */
    public Builder k(int k) {
      if (k <= 0) {
        throw new IllegalArgumentException("k must be positive, was " + k);
      }
      this.k = k;
      return this;
    }

    /**
     * Adds a request-time context value.
     *
     * @param name the key, non-blank
     * @param value the value, not null
     * @return this builder
     */
    public Builder context(String name, Object value) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException(
            "context name must be a non-blank string, was " + (name == null ? "null" : "'" + name + "'"));
      }
      if (value == null) {
        throw new IllegalArgumentException("context value for '" + name + "' must not be null");
      }
      context.put(name, value);
      return this;
    }

    /**
     * Builds the request.
     *
     * @return the immutable request
     */
    public PipelineRequest build() {
      return new PipelineRequest(this);
    }
  }
}
