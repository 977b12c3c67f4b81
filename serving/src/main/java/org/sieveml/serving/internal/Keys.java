package org.sieveml.serving.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import org.sieveml.core.EntityKey;

/** Entity keys in one deterministic order, and a fingerprint of a run's inputs. Stateless. */
public final class Keys {

  /** By join key names, then value by value: longs before strings, longs numerically, strings by UTF-16. */
  public static final Comparator<EntityKey> ORDER = Keys::compare;

  private Keys() {}

  /**
   * Distinct keys in {@link #ORDER}; when every key is one integral join key of one name, also their ids.
   *
   * @param keys the keys
   * @param ids the ids of {@code keys} when they are single long keys of the join key {@code name}, else null
   * @param name that join key, or null
   */
  public record Sorted(List<EntityKey> keys, long[] ids, String name) {}

  /**
   * The distinct keys in {@link #ORDER}.
   *
   * @param keys the keys, none null
   * @return a new sorted list without duplicates
   * @throws IllegalArgumentException naming the position of a null key
   */
  public static List<EntityKey> sortedDistinct(Collection<EntityKey> keys) {
    return sort(keys).keys();
  }

  /**
   * The distinct keys in {@link #ORDER}, with a primitive path for single long keys.
   *
   * @param keys the keys, none null
   * @return the sorted keys
   * @throws IllegalArgumentException naming the position of a null key
   */
  public static Sorted sort(Collection<EntityKey> keys) {
    if (keys == null) {
      throw new IllegalArgumentException("entities must not be null");
    }
    String name = null;
    long[] ids = new long[keys.size()];
    int i = 0;
    boolean ascending = true;
    for (EntityKey k : keys) {
      if (k == null) {
        throw new IllegalArgumentException("entity " + i + " is null, expected an entity key");
      }
      if (ids != null) {
        if (k.size() == 1 && k.value(0) instanceof Long v && (name == null || name.equals(k.name(0)))) {
          name = k.name(0);
          ids[i] = v;
          ascending &= i == 0 || ids[i - 1] < v;
        } else {
          ids = null;
        }
      }
      i++;
    }
    if (ids != null && name != null) {
      long[] sortedIds = ids;
      if (!ascending) { // hosts often pass their keys sorted and distinct already: nothing to do then
        java.util.Arrays.sort(ids);
        int m = 0;
        for (int j = 0; j < ids.length; j++) {
          if (m == 0 || ids[j] != ids[m - 1]) {
            ids[m++] = ids[j];
          }
        }
        sortedIds = m == ids.length ? ids : java.util.Arrays.copyOf(ids, m);
      }
      String key = name;
      long[] sortedFinal = sortedIds;
      // keys made on demand: the columnar path reads the ids, and keys only for messages
      List<EntityKey> out = new java.util.AbstractList<>() {
        @Override
        public EntityKey get(int index) {
          return EntityKey.of(key, sortedFinal[index]);
        }

        @Override
        public int size() {
          return sortedFinal.length;
        }
      };
      return new Sorted(out, sortedFinal, name);
    }
    TreeSet<EntityKey> set = new TreeSet<>(ORDER);
    set.addAll(keys);
    return new Sorted(new ArrayList<>(set), null, null);
  }

  private static int compare(EntityKey a, EntityKey b) {
    int n = Math.min(a.size(), b.size());
    List<String> an = a.names();
    List<String> bn = b.names();
    for (int i = 0; i < n; i++) {
      int c = an.get(i).compareTo(bn.get(i));
      if (c != 0) {
        return c;
      }
    }
    if (a.size() != b.size()) {
      return Integer.compare(a.size(), b.size());
    }
    for (int i = 0; i < n; i++) {
      Object x = a.value(i);
      Object y = b.value(i);
      int c;
      if (x instanceof Long lx && y instanceof Long ly) {
        c = Long.compare(lx, ly);
      } else if (x instanceof Long) {
        c = -1;
      } else if (y instanceof Long) {
        c = 1;
      } else {
        c = String.valueOf(x).compareTo(String.valueOf(y));
      }
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /** A SHA-256 over length-prefixed fields, for run identities. Not thread-safe. */
  public static final class Fingerprint {
    private final MessageDigest md;
    private final byte[] buf = new byte[8192];
    private int len;

    /** A new, empty fingerprint. */
    public Fingerprint() {
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required of every Java platform", e);
      }
    }

    /**
     * Adds a string.
     *
     * @param s the string (null is distinct from empty)
     * @return this
     */
    public Fingerprint add(String s) {
      if (s == null) {
        addLong(-1);
        return this;
      }
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      addLong(b.length);
      flush();
      md.update(b);
      return this;
    }

    /**
     * Adds many longs (a run's sorted entity ids) as their count and their 128-bit MurmurHash3
     * (x64_128, seed 0, over the values as little-endian 8-byte words): one pass of a few multiplies
     * per value, about ten times faster than feeding their bytes to SHA-256, which then digests 24
     * bytes. Accidental collisions of two id lists are as unlikely as of 128 random bits; ids are the
     * host's own, not an adversary's.
     *
     * @param v the values
     * @return this
     */
    public Fingerprint addLongs(long[] v) {
      long[] h = murmur3(v);
      addLong(v.length);
      addLong(h[0]);
      addLong(h[1]);
      return this;
    }

    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    /** MurmurHash3 x64_128 with seed 0 over {@code v} as little-endian words: {h1, h2}. */
    static long[] murmur3(long[] v) {
      long h1 = 0;
      long h2 = 0;
      int i = 0;
      for (; i + 1 < v.length; i += 2) {
        h1 ^= mixK1(v[i]);
        h1 = Long.rotateLeft(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;
        h2 ^= Long.rotateLeft(v[i + 1] * C2, 33) * C1;
        h2 = Long.rotateLeft(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
      }
      if (i < v.length) { // a tail of 8 bytes: the first word of a block
        h1 ^= mixK1(v[i]);
      }
      long bytes = 8L * v.length;
      h1 ^= bytes;
      h2 ^= bytes;
      h1 += h2;
      h2 += h1;
      h1 = fmix64(h1);
      h2 = fmix64(h2);
      h1 += h2;
      h2 += h1;
      return new long[] {h1, h2};
    }

    /** The mixing of a block's first word, in a block and in the tail alike. */
    private static long mixK1(long k1) {
      return Long.rotateLeft(k1 * C1, 31) * C2;
    }

    private static long fmix64(long k) {
      k ^= k >>> 33;
      k *= 0xff51afd7ed558ccdL;
      k ^= k >>> 33;
      k *= 0xc4ceb9fe1a85ec53L;
      k ^= k >>> 33;
      return k;
    }

    /**
     * Adds a long.
     *
     * @param v the value
     * @return this
     */
    public Fingerprint addLong(long v) {
      if (len + 8 > buf.length) {
        flush();
      }
      for (int i = 7; i >= 0; i--) {
        buf[len++] = (byte) (v >>> (8 * i));
      }
      return this;
    }

    private void addByte(byte b) {
      if (len == buf.length) {
        flush();
      }
      buf[len++] = b;
    }

    private void flush() {
      md.update(buf, 0, len);
      len = 0;
    }

    /**
     * Adds a key: its names and typed values.
     *
     * @param k the key
     * @return this
     */
    public Fingerprint add(EntityKey k) {
      addLong(k.size());
      for (int i = 0; i < k.size(); i++) {
        add(k.names().get(i));
        Object v = k.value(i);
        if (v instanceof Long l) {
          addByte((byte) 'L');
          addLong(l);
        } else {
          addByte((byte) 'S');
          add(String.valueOf(v));
        }
      }
      return this;
    }

    /**
     * The first 16 hex digits of the digest (64 bits).
     *
     * @return the digest prefix
     */
    public String hex16() {
      flush();
      return HexFormat.of().formatHex(md.digest(), 0, 8);
    }
  }
}
