package org.sieveml.examples;

import java.util.Arrays;

/**
 * The auto-suggest case study's prefix index: the queries sorted as strings, and a trie over them in
 * flat arrays (label, first child, next sibling) whose every node holds the range {@code [lo, hi)} of
 * sorted positions of the queries below it. An exact prefix is a walk of at most its length; a typo'd
 * one is a depth-first search that allows one edit (a wrong letter, a left-out letter, an extra letter,
 * two letters swapped) after the first character. Lookups allocate nothing; the caller supplies the
 * buffers.
 *
 * <p>Immutable once built; safe for concurrent lookups.
 */
final class PrefixIndex {
  private final int[] ids;
  private final int[] posOf;
  private final String[] terms;
  private char[] label;
  private int[] first;
  private int[] next;
  private int[] lo;
  private int[] hi;
  private int nodes;

  private PrefixIndex(String[] queries, int[] ids) {
    this.ids = ids;
    this.terms = new String[ids.length];
    this.posOf = new int[queries.length];
    Arrays.fill(posOf, -1);
    for (int p = 0; p < ids.length; p++) {
      terms[p] = queries[ids[p]];
      posOf[ids[p]] = p;
    }
    int cap = 16;
    for (String t : terms) {
      cap += t.length();
    }
    label = new char[cap];
    first = new int[cap];
    next = new int[cap];
    lo = new int[cap];
    hi = new int[cap];
    Arrays.fill(first, -1);
    Arrays.fill(next, -1);
    int[] last = new int[cap]; // last child of a node (input is sorted, so a new child comes last)
    Arrays.fill(last, -1);
    nodes = 1;
    lo[0] = 0;
    hi[0] = terms.length;
    for (int p = 0; p < terms.length; p++) {
      int n = 0;
      String t = terms[p];
      for (int i = 0; i < t.length(); i++) {
        char c = t.charAt(i);
        int ch = last[n];
        if (ch < 0 || label[ch] != c) {
          int m = nodes++;
          label[m] = c;
          lo[m] = p;
          if (ch < 0) {
            first[n] = m;
          } else {
            next[ch] = m;
          }
          last[n] = m;
          ch = m;
        }
        hi[ch] = p + 1;
        n = ch;
      }
    }
  }

  /**
   * Builds the index over some queries of a vocabulary.
   *
   * @param queries the vocabulary (id to text)
   * @param subset the ids to index
   * @return the index
   */
  static PrefixIndex build(String[] queries, int[] subset) {
    Integer[] boxed = Arrays.stream(subset).boxed().toArray(Integer[]::new);
    Arrays.sort(boxed, (a, b) -> queries[a].compareTo(queries[b]));
    return new PrefixIndex(queries, Arrays.stream(boxed).mapToInt(Integer::intValue).toArray());
  }

  int size() {
    return ids.length;
  }

  int nodeCount() {
    return nodes;
  }

  int idAt(int pos) {
    return ids[pos];
  }

  String termAt(int pos) {
    return terms[pos];
  }

  /** The sorted position of a query, or -1 when it is not indexed. */
  int posOf(int id) {
    return posOf[id];
  }

  int lo(int node) {
    return lo[node];
  }

  int hi(int node) {
    return hi[node];
  }

  private int child(int node, char c) {
    for (int ch = first[node]; ch >= 0; ch = next[ch]) {
      if (label[ch] == c) {
        return ch;
      }
    }
    return -1;
  }

  /**
   * The node of an exact prefix.
   *
   * @param prefix the characters
   * @param len how many of them
   * @return the node, or -1 when no query starts with the prefix
   */
  int find(char[] prefix, int len) {
    int n = 0;
    for (int i = 0; i < len && n >= 0; i++) {
      n = child(n, prefix[i]);
    }
    return n;
  }

  /**
   * The nodes whose path is one edit away from the prefix (the first character kept, and no edit
   * at the last typed character but a left-out letter before it: a user still typing cannot be told
   * from one who mistyped the last key). May include the exact node.
   *
   * @param prefix the characters
   * @param len how many of them, at least 3 (shorter prefixes give nothing)
   * @param out receives distinct nodes
   * @return how many were written (at most {@code out.length})
   */
  int fuzzy(char[] prefix, int len, int[] out) {
    if (len < 3) {
      return 0;
    }
    return fuzzy(0, prefix, len, 0, false, out, 0);
  }

  private int fuzzy(int node, char[] p, int len, int i, boolean edited, int[] out, int n) {
    if (i == len) {
      if (edited && n < out.length) {
        for (int k = 0; k < n; k++) {
          if (out[k] == node) {
            return n;
          }
        }
        out[n++] = node;
      }
      return n;
    }
    int c = child(node, p[i]);
    if (c >= 0) {
      n = fuzzy(c, p, len, i + 1, edited, out, n);
    }
    if (edited || i == 0) {
      return n;
    }
    boolean inner = i <= len - 2;
    for (int ch = first[node]; ch >= 0; ch = next[ch]) {
      if (label[ch] == p[i]) {
        continue;
      }
      if (inner) {
        n = fuzzy(ch, p, len, i + 1, true, out, n); // a wrong letter
      }
      n = fuzzy(ch, p, len, i, true, out, n); // a left-out letter
    }
    if (inner) {
      n = fuzzy(node, p, len, i + 1, true, out, n); // an extra letter
      if (p[i] != p[i + 1]) {
        int a = child(node, p[i + 1]);
        int b = a < 0 ? -1 : child(a, p[i]);
        if (b >= 0) {
          n = fuzzy(b, p, len, i + 2, true, out, n); // two letters swapped
        }
      }
    }
    return n;
  }
}
