package org.sieveml.features;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.sieveml.core.EntityKey;

/**
 * A kind of thing that features describe (a user, a card, an advertiser, a user-item pair), named, and
 * identified by one or more join keys. The analogue of a Feast {@code Entity}.
 *
 * <pre>{@code
 * Entity card = Entity.builder("card").joinKey("card_id").description("a payment card").build();
 * EntityKey key = card.key(4711L);
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Entity {

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final String name;
  private final List<String> joinKeys;
  private final String description;

  private Entity(Builder b) {
    this.name = b.name;
    this.joinKeys = Collections.unmodifiableList(new ArrayList<>(b.joinKeys));
    this.description = b.description;
  }

  /**
   * Returns a builder for an entity.
   *
   * @param name the entity's name, matching {@code [A-Za-z_][A-Za-z0-9_]*}
   * @return a new builder
   * @throws IllegalArgumentException if the name is invalid
   */
  public static Builder builder(String name) {
    return new Builder(check("entity name", name));
  }

  /**
   * The entity's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The join keys, in declaration order.
   *
   * @return an unmodifiable, non-empty list
   */
  public List<String> joinKeys() {
    return joinKeys;
  }

  /**
   * A free-text description.
   *
   * @return the description, possibly empty
   */
  public String description() {
    return description;
  }

  /**
   * Builds the key of one instance of this entity, values given in join-key declaration order.
   *
   * @param values one {@code String}, {@code Integer} or {@code Long} per join key
   * @return the key
   * @throws IllegalArgumentException if the number of values differs from the number of join keys, or
   *     a value is null or of another type
   */
  public EntityKey key(Object... values) {
    if (values == null || values.length != joinKeys.size()) {
      throw new IllegalArgumentException(
          "entity '" + name + "' has join keys " + joinKeys + ", got "
              + (values == null ? "null" : values.length + " values"));
    }
    EntityKey.Builder b = EntityKey.builder();
    for (int i = 0; i < values.length; i++) {
      b.put(joinKeys.get(i), values[i]);
    }
    return b.build();
  }

  /**
   * Whether {@code key} has exactly this entity's join keys.
   *
   * @param key a key
   * @return true if it identifies an instance of this entity
   */
  public boolean accepts(EntityKey key) {
    return key != null && key.hasNames(joinKeys);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Entity)) {
      return false;
    }
    Entity e = (Entity) o;
    return name.equals(e.name) && joinKeys.equals(e.joinKeys) && description.equals(e.description);
  }

  @Override
  public int hashCode() {
    return (name.hashCode() * 31 + joinKeys.hashCode()) * 31 + description.hashCode();
  }

  @Override
  public String toString() {
    return "Entity{" + name + ", joinKeys=" + joinKeys + "}";
  }

  private static String check(String field, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field + " must match " + NAME.pattern() + ", was " + (value == null ? "null" : "'" + value + "'"));
    }
    return value;
  }

  /** Assembles an {@link Entity}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final Set<String> joinKeys = new LinkedHashSet<>();
    private String description = "";

    private Builder(String name) {
      this.name = name;
    }

    /**
     * Adds a join key.
     *
     * @param joinKey a name matching {@code [A-Za-z_][A-Za-z0-9_]*}, not already added
     * @return this builder
     */
    public Builder joinKey(String joinKey) {
      check("join key of entity '" + name + "'", joinKey);
      if (!joinKeys.add(joinKey)) {
        throw new IllegalArgumentException("join key '" + joinKey + "' of entity '" + name + "' is declared twice");
      }
      return this;
    }

    /**
     * Sets the description.
     *
     * @param text free text, not null
     * @return this builder
     */
    public Builder description(String text) {
      if (text == null) {
        throw new IllegalArgumentException("description of entity '" + name + "' must not be null");
      }
      this.description = text;
      return this;
    }

    /**
     * Builds the entity.
     *
     * @return the entity
     * @throws IllegalStateException if no join key was added
     */
    public Entity build() {
      if (joinKeys.isEmpty()) {
        throw new IllegalStateException("entity '" + name + "' needs at least one join key");
      }
      return new Entity(this);
    }
  }
}
