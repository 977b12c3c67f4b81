package org.sieveml.retrieval;

import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which items a filtered search may return. Two kinds, planned differently by the index:
 *
 * <ul>
 *   <li>{@link #ids(Collection)}: the matching ids are known (a category's items from the host's
 *       inverted index, a user's allowed set). The index knows exactly how many match and searches only
 *       them: exactly when few match, by filtered graph traversal otherwise, never looking at the items
 *       that do not match one by one.
 *   <li>{@link #where(Predicate)}: an opaque test. The index estimates its selectivity from a seeded
 *       sample of items; when few items are estimated to match it tests every live item (there is no
 *       other way to find an opaque test's matches), otherwise it traverses the graph testing the
 *       nodes it visits.
 * </ul>
 *
 * <p>Thread-safety: immutable (the id set is copied); a predicate must be thread-safe if the filter is
 * used by concurrent searches.
 */
public final class VectorFilter {
  private final Set<String> ids;
  private final Predicate<String> predicate;
  /**
   * What an index resolved the ids to last time (its nodes), reused while that index's graph is
   * unchanged: a filter kept for many queries is resolved once. Set by the index; any value is valid.
   */
  volatile Object resolved;

  private VectorFilter(Set<String> ids, Predicate<String> predicate) {
    this.ids = ids;
    this.predicate = predicate;
  }

  /**
   * A filter of known matching ids; ids the index does not hold are ignored.
   *
   * @param ids the ids, not null, without null elements
   * @return the filter
   * @throws IllegalArgumentException when {@code ids} is or contains null
   */
  public static VectorFilter ids(Collection<String> ids) {
    if (ids == null) {
      throw new IllegalArgumentException("ids must not be null");
    }
    Set<String> copy = new LinkedHashSet<>(Math.max(16, (int) (ids.size() / 0.75f) + 1));
    for (String id : ids) {
      if (id == null) {
        throw new IllegalArgumentException("ids contains null, expected ids only");
      }
      copy.add(id);
    }
    return new VectorFilter(java.util.Collections.unmodifiableSet(copy), null);
  }

  /**
   * A filter of known matching ids.
   *
   * @param ids the ids
   * @return the filter
   * @throws IllegalArgumentException when {@code ids} is or contains null
   */
  public static VectorFilter ids(String... ids) {
    if (ids == null) {
      throw new IllegalArgumentException("ids must not be null");
    }
    return ids(Arrays.asList(ids));
  }

  /**
   * A filter by an opaque test of ids.
   *
   * @param predicate the test, not null
   * @return the filter
   * @throws IllegalArgumentException when {@code predicate} is null
   */
  public static VectorFilter where(Predicate<String> predicate) {
    if (predicate == null) {
      throw new IllegalArgumentException("predicate must not be null");
    }
    return new VectorFilter(null, predicate);
  }

  /**
   * The matching ids of an {@link #ids} filter.
   *
   * @return them, or null for a {@link #where} filter
   */
  public Set<String> idSet() {
    return ids;
  }

  /**
   * Tests an id.
   *
   * @param id the id
   * @return whether it may be returned
   */
  public boolean test(String id) {
    return ids != null ? ids.contains(id) : predicate.test(id);
  }

  @Override
  public String toString() {
    return ids != null ? "VectorFilter.ids(" + ids.size() + " ids)" : "VectorFilter.where(" + predicate + ")";
  }
}
