package org.sieveml.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.sieveml.core.internal.Checks;

/**
 * The identity of the entity a feature row or a request belongs to: one join key ({@code user_id=42})
 * or several ({@code user_id=42, item_id=7}, a composite key).
 *
 * <p>Each join key has a name and a value that is either a {@link String} or a {@code long} (ints are
 * widened to {@code long}, so {@code of("id", 7)} equals {@code of("id", 7L)}). Keys are held in
 * name order, so two composite keys built in different orders are equal. Instances are immutable and
 * thread-safe.
 */
public final class EntityKey {

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.\\-]*");

  private final String[] names;
  private final Object[] values;
  private final int hash;

  private EntityKey(String[] names, Object[] values) {
    this(names, values, 31 * Arrays.hashCode(names) + Arrays.hashCode(values));
  }

  private EntityKey(String[] names, Object[] values, int hash) {
    this.names = names;
    this.values = values;
    this.hash = hash;
  }

  /**
   * A single-key entity with a string value.
   *
   * @param name the join key's name, e.g. {@code "user_id"}
   * @param value the key's value: 1 to {@value #MAX_STRING_BYTES} UTF-8 bytes
   * @return the key
   * @throws IllegalArgumentException if the name is not a valid identifier or the value is null, empty
   *     or longer
   */
  public static EntityKey of(String name, String value) {
    return new EntityKey(new String[] {checkName(name)}, new Object[] {checkValue(name, value)});
  }

  /**
   * A single-key entity with a numeric value.
   *
   * @param name the join key's name, e.g. {@code "card_id"}
   * @param value the key's value
   * @return the key
   * @throws IllegalArgumentException if the name is not a valid identifier
   */
  public static EntityKey of(String name, long value) {
    OneName one = lastOneName;
    if (one == null || one.name != name) {
      one = new OneName(checkName(name));
      lastOneName = one;
    }
    return new EntityKey(one.names, new Object[] {value}, one.hashBase + Long.hashCode(value));
  }

  /**
   * The names array and hash prefix of single-key keys of one name: keys of one entity share the
   * (never modified) array. Final fields: safely published through the racy cache.
   */
  private static final class OneName {
    final String name;
    final String[] names;
    /** The constructor's hash (Arrays.hashCode of one name and one value) without the value's part. */
    final int hashBase;

    OneName(String name) {
      this.name = name;
      this.names = new String[] {name};
      this.hashBase = 31 * (31 + name.hashCode()) + 31;
    }
  }

  private static volatile OneName lastOneName;

  /**
   * A (possibly composite) key from a map of join-key names to {@code String}, {@code Integer} or
   * {@code Long} values.
   *
   * @param keys the join keys; at least one
   * @return the key
   * @throws IllegalArgumentException if the map is empty, a name is invalid or a value is null or of
   *     another type
   */
  public static EntityKey of(Map<String, ?> keys) {
    Checks.notNull("keys", keys);
    Builder b = builder();
    keys.forEach(b::put);
    return b.build();
  }

  /**
   * Returns a builder for a composite key.
   *
   * @return a new, empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The number of join keys (1 for a single key).
   *
   * @return the number of join keys
   */
  public int size() {
    return names.length;
  }

  /**
   * Whether this key has more than one join key.
   *
   * @return true for composite keys
   */
  public boolean isComposite() {
    return names.length > 1;
  }

  /**
   * The join-key names in name order.
   *
   * @return an unmodifiable list of names
   */
  public List<String> names() {
    return Collections.unmodifiableList(Arrays.asList(names));
  }

  /**
   * The name of the join key at {@code index} (in name order), as {@code names().get(index)} without
   * the list.
   *
   * @param index the position, {@code 0 <= index < size()}
   * @return the name
   */
  public String name(int index) {
    return names[index];
  }

  /**
   * The value of the join key at {@code index} (in name order): a {@link String} or a {@link Long}.
   *
   * @param index the position, {@code 0 <= index < size()}
   * @return the value
   */
  public Object value(int index) {
    return values[index];
  }

  /**
   * The value of the named join key.
   *
   * @param name a join-key name
   * @return the value: a {@link String} or a {@link Long}
   * @throws IllegalArgumentException if this key has no join key of that name
   */
  public Object value(String name) {
    int i = Arrays.binarySearch(names, name);
    if (i < 0) {
      throw new IllegalArgumentException(
          "join key '" + name + "' is not part of entity key " + this + "; it has " + names());
    }
    return values[i];
  }

  /**
   * Whether this key has exactly the given join-key names.
   *
   * @param joinKeys names to compare with, in any order
   * @return true if the sets of names are equal
   */
  public boolean hasNames(List<String> joinKeys) {
    if (joinKeys.size() != names.length) {
      return false;
    }
    // names are sorted and distinct, and the sizes are equal: every join key found means equal sets
    // (join keys are distinct by Entity's contract; a repeated one would make a name missing below)
    for (int i = 0; i < joinKeys.size(); i++) {
      String k = joinKeys.get(i);
      if (names.length == 1 ? !names[0].equals(k) : Arrays.binarySearch(names, k) < 0) {
        return false;
      }
    }
    if (joinKeys.size() > 1 && new java.util.HashSet<>(joinKeys).size() != joinKeys.size()) {
      return false;
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof EntityKey)) {
      return false;
    }
    EntityKey other = (EntityKey) o;
    return hash == other.hash && Arrays.equals(names, other.names) && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Renders as {@code user_id=42} or {@code {item_id=7, user_id=42}}. */
  @Override
  public String toString() {
    if (names.length == 1) {
      return names[0] + "=" + values[0];
    }
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(names[i]).append('=').append(values[i]);
    }
    return sb.append('}').toString();
  }

  private static String checkName(String name) {
    if (name == lastValidName) { // keys of one entity repeat one name object; null never stored
      return name;
    }
    Checks.notNull("join key name", name);
    if (!validName(name)) {
      throw new IllegalArgumentException(
          "join key name must match " + NAME.pattern() + ", was '" + name + "'");
    }
    lastValidName = name;
    return name;
  }

  /** The name {@link #checkName} last accepted (an identity cache; strings are immutable). */
  private static volatile String lastValidName = "_"; // a valid name: a caller passing it skips nothing

  /** {@code NAME.matcher(name).matches()} without a matcher per key (keys are built per event). */
  private static boolean validName(String name) {
    int n = name.length();
    if (n == 0) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = name.charAt(i);
      boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
      if (!letter && (i == 0 || !((c >= '0' && c <= '9') || c == '.' || c == '-'))) {
        return false;
      }
    }
    return true;
  }

  /** The longest string value of a join key, in UTF-8 bytes (stores encode keys with length prefixes). */
  public static final int MAX_STRING_BYTES = 4_096;

  private static Object checkValue(String name, Object value) {
    if (value == null) {
      throw new IllegalArgumentException("value of join key '" + name + "' must not be null");
    }
    if (value instanceof String) {
      String sv = (String) value;
      // the UTF-8 length only matters for long strings: at most 3 bytes per char
      int bytes = sv.length() * 3 <= MAX_STRING_BYTES ? -1 : sv.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (sv.isEmpty() || bytes > MAX_STRING_BYTES) {
        throw new IllegalArgumentException("value of join key '" + name + "' must be a string of 1 to "
            + MAX_STRING_BYTES + " UTF-8 bytes, was " + (sv.isEmpty() ? "''" : bytes + " bytes long"));
      }
      return value;
    }
    if (value instanceof Long) {
      return value;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    throw new IllegalArgumentException(
        "value of join key '" + name + "' must be a String, Integer or Long, was " + Checks.describe(value));
  }

  /**
   * Assembles a composite {@link EntityKey}. Not thread-safe; use from one thread, then call
   * {@link #build()}.
   */
  public static final class Builder {
    private final TreeMap<String, Object> keys = new TreeMap<>();

    private Builder() {}

    /**
     * Adds a join key.
     *
     * @param name the join key's name
     * @param value a {@code String}, {@code Integer} or {@code Long}
     * @return this builder
     * @throws IllegalArgumentException if the name is invalid or already present, or the value is bad
     */
    public Builder put(String name, Object value) {
      checkName(name);
      Object v = checkValue(name, value);
      if (keys.containsKey(name)) {
        throw new IllegalArgumentException(
            "join key '" + name + "' was already set to " + Checks.describe(keys.get(name)));
      }
      keys.put(name, v);
      return this;
    }

    /**
     * Builds the key.
     *
     * @return the immutable key
     * @throws IllegalStateException if no join key was added
     */
    public EntityKey build() {
      if (keys.isEmpty()) {
        throw new IllegalStateException("an entity key needs at least one join key");
      }
      if (keys.size() == 1) {
        Map.Entry<String, Object> only = keys.firstEntry();
        if (only.getValue() instanceof Long v) { // the same key, sharing its name array with others of the name
          return of(only.getKey(), v.longValue());
        }
      }
      List<String> n = new ArrayList<>(keys.keySet());
      return new EntityKey(n.toArray(new String[0]), keys.values().toArray());
    }
  }
}
