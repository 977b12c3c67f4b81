package org.sieveml.micrometer.internal;

import io.micrometer.core.instrument.Tag;
import java.util.ArrayList;
import java.util.List;

/**
 * Argument checks shared by the binders' builders. Stateless and thread-safe.
 */
public final class Checks {

  private Checks() {}

  /**
   * Copies common tags, rejecting null and keys the binder sets itself.
   *
   * @param tags the host's tags
   * @param reserved the keys the binder sets
   * @return a copy
   * @throws IllegalArgumentException if {@code tags} or one of them is null, or a key is reserved
   */
  public static List<Tag> tags(Iterable<Tag> tags, List<String> reserved) {
    if (tags == null) {
      throw new IllegalArgumentException(
          "tags must be an Iterable<Tag> (e.g. Tags.of(\"service\", \"recs\")), was null");
    }
    List<Tag> out = new ArrayList<>();
    for (Tag t : tags) {
      if (t == null) {
        throw new IllegalArgumentException("tags must not contain null, was " + tags);
      }
      if (reserved.contains(t.getKey())) {
        throw new IllegalArgumentException("tag key '" + t.getKey() + "' is set by SieveML itself; expected a key "
            + "other than " + reserved + ", was " + t.getKey() + "=" + t.getValue());
      }
      out.add(t);
    }
    return out;
  }
}
