package org.sieveml.serving.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The stored form of a top-N list: item ids joined by U+001F (the unit separator, refused inside ids) and
 * scores as {@link Double#toString} joined by commas, which reads back exactly. Stateless.
 */
public final class ItemLists {

  /** The separator of item ids. */
  public static final char SEPARATOR = '\u001F';

  private ItemLists() {}

  /**
   * Joins ids.
   *
   * @param ids the item ids
   * @return the stored string
   * @throws IllegalArgumentException if an id is empty or holds the separator
   */
  public static String joinIds(List<String> ids) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      if (id.isEmpty() || id.indexOf(SEPARATOR) >= 0) {
        throw new IllegalArgumentException("item id '" + id.replace(SEPARATOR, '?') + "' is "
            + (id.isEmpty() ? "empty" : "holding U+001F") + ", expected a non-empty id without U+001F");
      }
      if (i > 0) {
        sb.append(SEPARATOR);
      }
      sb.append(id);
    }
    return sb.toString();
  }

  /**
   * Joins scores.
   *
   * @param scores the scores
   * @param n how many
   * @return the stored string
   */
  public static String joinScores(double[] scores, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(scores[i]);
    }
    return sb.toString();
  }

  /**
   * Splits stored ids.
   *
   * @param s the stored string
   * @return the ids (empty for an empty string)
   */
  public static List<String> splitIds(String s) {
    List<String> out = new ArrayList<>();
    if (s.isEmpty()) {
      return out;
    }
    int from = 0;
    for (int i = 0; i <= s.length(); i++) {
      if (i == s.length() || s.charAt(i) == SEPARATOR) {
        out.add(s.substring(from, i));
        from = i + 1;
      }
    }
    return out;
  }

  /**
   * Splits stored scores.
   *
   * @param s the stored string
   * @param n the number of ids it goes with
   * @return the scores
   * @throws IllegalArgumentException if there are not {@code n} of them
   */
  public static double[] splitScores(String s, int n) {
    double[] out = new double[n];
    if (n == 0) {
      return out;
    }
    String[] parts = s.split(",", -1);
    if (parts.length != n) {
      throw new IllegalArgumentException("stored scores hold " + parts.length + " values, expected " + n
          + " (one per item)");
    }
    for (int i = 0; i < n; i++) {
      out[i] = Double.parseDouble(parts[i]);
    }
    return out;
  }
}
