package org.sieveml.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The query log of the auto-suggest case study, generated from a seed with planted ground truth: a
 * vocabulary of queries in topics (seeded pronounceable words, or MovieLens 100k titles with their
 * first genre as the topic), users with favourite topics and a habit of repeating their own queries (and logged-out visitors
 * without either, a tenth of the users' traffic), a
 * few planted trends (a rarely searched query that shares its first word with a popular one and
 * overtakes it late in the log, drawing five times its traffic), and sessions typed keystroke by keystroke, some with a typo. While
 * generating, a logging policy (the most popular completions by all-time count, 8 shown) decides what
 * the user saw at each keystroke; the user picks the intended query when it is shown (with a position
 * bias) or types it to the end. The log records per keystroke the prefix typed, the suggestions shown
 * and which one was chosen, and per session the time, the user and the query finally issued.
 *
 * <p>Immutable once built; safe to share between threads.
 */
public final class AutoSuggestData {

  /** Suggestions the logging policy shows per keystroke. */
  static final int SHOWN = 8;
  /** Milliseconds between two keystrokes of a session. */
  static final long KEYSTROKE_MILLIS = 180;
  static final long DAY = 86_400_000L;
  /** The log's first instant (2024-01-01T00:00Z). */
  static final long START = 1_704_067_200_000L;

  /**
   * One keystroke of a session as logged.
   *
   * @param typed characters typed so far (the prefix is {@code session.typed().substring(0, typed)})
   * @param shown query ids the logging policy showed, best first
   * @param chosen the position chosen in {@code shown}, or -1
   *     <p>Immutable by convention (do not write to {@code shown}); safe to share between threads.
   */
  public record Keystroke(int typed, int[] shown, int chosen) {}

  /**
   * One search session.
   *
   * @param user the user, or -1 for a logged-out visitor
   * @param time when the first key was pressed (epoch milliseconds)
   * @param target the query finally issued (chosen from the suggestions or typed to the end)
   * @param typed what the user typed (the target, with a typo when {@code typoAt >= 0})
   * @param typoAt where the typo is in {@code typed}, or -1
   * @param keystrokes the keystrokes as logged, in order
   *     <p>Immutable; safe to share between threads.
   */
  public record Session(int user, long time, int target, String typed, int typoAt, List<Keystroke> keystrokes) {

    /**
     * The time of a keystroke.
     *
     * @param k the keystroke's index
     * @return epoch milliseconds
     */
    public long timeOf(int k) {
      return time + k * KEYSTROKE_MILLIS;
    }
  }

  private final String name;
  private final String[] queries;
  private final int[] topic;
  private final String[] topicNames;
  private final int users;
  private final int days;
  private final List<Session> sessions;
  private final int[][] trends;
  private final int trendDay;
  private final int[][] favourites;

  private AutoSuggestData(String name, String[] queries, int[] topic, String[] topicNames, int users, int days,
      List<Session> sessions, int[][] trends, int trendDay, int[][] favourites) {
    this.name = name;
    this.queries = queries;
    this.topic = topic;
    this.topicNames = topicNames;
    this.users = users;
    this.days = days;
    this.sessions = sessions;
    this.trends = trends;
    this.trendDay = trendDay;
    this.favourites = favourites;
  }

  /** @return a description of the data */
  public String name() {
    return name;
  }

  /** @return the vocabulary (query id to text; lower case letters, digits and single spaces) */
  public String[] queries() {
    return queries.clone();
  }

  String query(int id) {
    return queries[id];
  }

  int queryCount() {
    return queries.length;
  }

  /** @return the topic of every query (catalogue metadata, e.g. a query classifier's output) */
  public int[] topics() {
    return topic.clone();
  }

  int topicOf(int query) {
    return topic[query];
  }

  /** @return the topic names */
  public String[] topicNames() {
    return topicNames.clone();
  }

  /** @return the number of users */
  public int users() {
    return users;
  }

  /** @return the number of days the log covers */
  public int days() {
    return days;
  }

  /** @return the sessions in time order */
  public List<Session> sessions() {
    return sessions;
  }

  /** @return the planted trends: pairs {older popular query, trending query} sharing their first word */
  public int[][] trends() {
    return Arrays.stream(trends).map(int[]::clone).toArray(int[][]::new);
  }

  /** @return the day the planted trends start */
  public int trendDay() {
    return trendDay;
  }

  /** @return every user's two favourite topics (planted) */
  int[][] favourites() {
    return favourites;
  }

  /**
   * A seeded log over a generated vocabulary.
   *
   * @param users users
   * @param topics topics
   * @param queriesPerTopic distinct queries per topic
   * @param days days of log
   * @param seed the seed
   * @return the data
   */
  public static AutoSuggestData seeded(int users, int topics, int queriesPerTopic, int days, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    String cons = "bcdfghklmnprstvz";
    String vow = "aeiou";
    java.util.Set<String> words = new java.util.LinkedHashSet<>();
    while (words.size() < topics * 30 + 150) {
      StringBuilder w = new StringBuilder();
      int syl = 2 + r.nextInt(2);
      for (int s = 0; s < syl; s++) {
        w.append(cons.charAt(r.nextInt(cons.length()))).append(vow.charAt(r.nextInt(vow.length())));
      }
      if (r.nextInt(4) == 0) {
        w.append(cons.charAt(r.nextInt(cons.length())));
      }
      words.add(w.toString());
    }
    String[] all = words.toArray(new String[0]);
    String[] general = Arrays.copyOfRange(all, topics * 30, all.length);
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int t = 0; t < topics; t++) {
      String[] own = Arrays.copyOfRange(all, t * 30, t * 30 + 30);
      int made = 0;
      int guard = 0;
      while (made < queriesPerTopic && guard++ < queriesPerTopic * 50) {
        // first words follow a Zipf-like law, so many queries share them
        StringBuilder q = new StringBuilder(own[(int) Math.min(29, Math.abs(r.nextGaussian()) * 10)]);
        int more = r.nextInt(10) < 2 ? 0 : r.nextInt(10) < 7 ? 1 : 2;
        for (int k = 0; k < more; k++) {
          q.append(' ').append(r.nextInt(3) == 0 ? general[r.nextInt(general.length)] : own[r.nextInt(30)]);
        }
        if (vocab.putIfAbsent(q.toString(), t) == null) {
          made++;
        }
      }
    }
    String[] names = new String[topics];
    for (int t = 0; t < topics; t++) {
      names[t] = "topic " + t;
    }
    return generate("seeded query log (seed " + seed + ")", vocab, names, users, days, r);
  }

  /**
   * A seeded log over MovieLens 100k titles ({@code u.item}; lower-cased, the year and punctuation dropped,
   * "Usual Suspects, The" read as "the usual suspects"); a title's topic is its first genre. Popularity,
   * users and sessions are generated as for {@link #seeded}.
   *
   * @param dir the {@code movielens-100k} directory
   * @param users users
   * @param days days of log
   * @param seed the seed
   * @return the data
   * @throws UncheckedIOException when {@code u.item} cannot be read
   */
  public static AutoSuggestData movieLensTitles(Path dir, int users, int days, long seed) {
    List<String> lines;
    try {
      lines = Files.readAllLines(dir.resolve("u.item"), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read MovieLens titles from " + dir, e);
    }
    String[] genres = {"unknown", "action", "adventure", "animation", "children's", "comedy", "crime", "documentary",
        "drama", "fantasy", "film-noir", "horror", "musical", "mystery", "romance", "sci-fi", "thriller", "war",
        "western"};
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (int n = 0; n < lines.size(); n++) {
      String[] f = lines.get(n).split("\\|", -1);
      if (f.length < 24) {
        continue;
      }
      int g = 0;
      for (int k = 5; k < 24; k++) {
        if (f[k].equals("1")) {
          g = k - 5;
          break;
        }
      }
      String t = normalize(f[1]);
      if (t.length() >= 2) {
        vocab.putIfAbsent(t, g);
      }
    }
    return generate("MovieLens 100k titles (" + dir + "), seeded log (seed " + seed + ")", vocab, genres, users,
        days, new SplittableRandom(seed));
  }

  /** Lower case, no "(year)", "x, the" read as "the x", only letters, digits and single spaces. */
  static String normalize(String title) {
    String t = title.replaceAll("\\(\\d{4}\\)", "").trim().toLowerCase(Locale.ROOT);
    for (String art : new String[] {"the", "a", "an", "les", "la", "le", "il", "das", "der", "die"}) {
      if (t.endsWith(", " + art)) {
        t = art + " " + t.substring(0, t.length() - art.length() - 2);
        break;
      }
    }
    t = t.replaceAll("[^a-z0-9 ]", " ").replaceAll(" +", " ").trim();
    return t;
  }

  private static AutoSuggestData generate(String name, Map<String, Integer> vocab, String[] topicNames, int users,
      int days, SplittableRandom r) {
    String[] queries = vocab.keySet().toArray(new String[0]);
    int q = queries.length;
    int topics = topicNames.length;
    int[] topic = new int[q];
    for (int i = 0; i < q; i++) {
      topic[i] = vocab.get(queries[i]);
    }
    // base popularity: Zipf over a random order of the vocabulary
    int[] order = shuffled(q, r);
    double[] base = new double[q];
    for (int k = 0; k < q; k++) {
      base[order[k]] = 1 / Math.pow(k + 1, 0.9);
    }
    // planted trends: a query rarely searched until trendDay shares its first word with an older,
    // popular one and then draws 5x its traffic
    int trendDay = days * 5 / 8;
    Map<String, List<Integer>> byFirst = new LinkedHashMap<>();
    for (int i = 0; i < q; i++) {
      byFirst.computeIfAbsent(firstWord(queries[i]), k -> new ArrayList<>()).add(i);
    }
    List<int[]> trends = new ArrayList<>();
    boolean[] used = new boolean[q];
    for (int k = 0; k < q && trends.size() < 6; k++) {
      int old = order[k + 5 < q ? k + 5 : k]; // popular, but not the very top
      List<Integer> same = byFirst.get(firstWord(queries[old]));
      // a first word shared by a few queries (not "the"), both in one topic, so the pair competes head on
      if (used[old] || same.size() < 2 || same.size() > 12 || firstWord(queries[old]).length() < 3
          || queries[old].indexOf(' ') < 0) {
        continue;
      }
      int pick = -1;
      for (int c : same) {
        if (c != old && !used[c] && topic[c] == topic[old] && queries[c].indexOf(' ') > 0
            && base[c] < base[old] / 20 && (pick < 0 || c < pick)) {
          pick = c;
        }
      }
      if (pick >= 0) {
        trends.add(new int[] {old, pick});
        for (int c : same) {
          used[c] = true;
        }
      }
    }
    int[] trendOf = new int[q];
    Arrays.fill(trendOf, -1);
    for (int[] t : trends) {
      trendOf[t[1]] = t[0];
    }
    // users: two favourite topics (half and a quarter of their searches), activity, a habit of repeating
    int[][] fav = new int[users][2];
    double[] activity = new double[users];
    for (int u = 0; u < users; u++) {
      fav[u][0] = r.nextInt(topics);
      fav[u][1] = (fav[u][0] + 1 + r.nextInt(topics - 1)) % topics;
      activity[u] = 0.15 + 0.9 * r.nextDouble();
    }
    // per topic, the queries and their cumulative weights (recomputed when trends start)
    List<Session> sessions = new ArrayList<>();
    int[] counts = new int[q];
    boolean[] seen = new boolean[q];
    List<List<Integer>> history = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      history.add(new ArrayList<>());
    }
    PrefixIndex index = null;
    for (int d = 0; d < days; d++) {
      double[][] cum = new double[topics][];
      int[][] members = new int[topics][];
      double[] w = new double[q];
      for (int i = 0; i < q; i++) {
        w[i] = trendOf[i] < 0 ? base[i] : d >= trendDay ? 5 * base[trendOf[i]] : base[trendOf[i]] / 100;
      }
      for (int t = 0; t < topics; t++) {
        final int tt = t;
        members[t] = java.util.stream.IntStream.range(0, q).filter(i -> topic[i] == tt).toArray();
        cum[t] = new double[members[t].length];
        double s = 0;
        for (int k = 0; k < members[t].length; k++) {
          s += w[members[t][k]];
          cum[t][k] = s;
        }
      }
      int[] seenIds = java.util.stream.IntStream.range(0, q).filter(i -> seen[i]).toArray();
      index = PrefixIndex.build(queries, seenIds);
      List<long[]> today = new ArrayList<>(); // {time, user}
      for (int u = 0; u < users; u++) {
        int n = poisson(activity[u], r);
        for (int k = 0; k < n; k++) {
          today.add(new long[] {START + d * DAY + r.nextLong(DAY - 60_000), u});
        }
      }
      // logged-out visitors: no history, topics at random
      int anonymous = poisson(0.1 * users, r);
      for (int k = 0; k < anonymous; k++) {
        today.add(new long[] {START + d * DAY + r.nextLong(DAY - 60_000), -1});
      }
      today.sort(Comparator.<long[]>comparingLong(x -> x[0]).thenComparingLong(x -> x[1]));
      TopK top = new TopK(SHOWN);
      double[] scratch = new double[SHOWN];
      char[] buf = new char[256];
      for (long[] s : today) {
        int u = (int) s[1];
        List<Integer> h = u < 0 ? List.of() : history.get(u);
        int target;
        if (!h.isEmpty() && r.nextDouble() < 0.3) {
          target = h.get(r.nextInt(h.size()));
        } else {
          double x = r.nextDouble();
          int t = u < 0 || x >= 0.75 ? r.nextInt(topics) : x < 0.5 ? fav[u][0] : fav[u][1];
          if (members[t].length == 0) {
            t = topic[order[0]];
          }
          double y = r.nextDouble() * cum[t][cum[t].length - 1];
          int k = Arrays.binarySearch(cum[t], y);
          target = members[t][Math.min(members[t].length - 1, k < 0 ? -k - 1 : k)];
        }
        String intended = queries[target];
        String typed = intended;
        int typoAt = -1;
        if (intended.length() >= 5 && r.nextDouble() < 0.15) {
          typoAt = 1 + r.nextInt(Math.min(intended.length() - 2, 5));
          typed = typo(intended, typoAt, r);
        }
        List<Keystroke> ks = new ArrayList<>();
        for (int k = 1; k <= typed.length(); k++) {
          typed.getChars(0, k, buf, 0);
          int node = index.find(buf, k);
          top.clear();
          if (node >= 0) {
            for (int p = index.lo(node); p < index.hi(node); p++) {
              top.offer(p, counts[index.idAt(p)]);
            }
          }
          int[] shown = new int[top.size()];
          int chosen = -1;
          top.sortedInto(shown, scratch);
          for (int j = 0; j < shown.length; j++) {
            shown[j] = index.idAt(shown[j]);
            if (shown[j] == target && r.nextDouble() < 0.9 - 0.06 * j) {
              chosen = j;
            }
          }
          ks.add(new Keystroke(k, shown, chosen));
          if (chosen >= 0) {
            break;
          }
        }
        sessions.add(new Session(u, s[0], target, typed, typoAt, List.copyOf(ks)));
        counts[target]++;
        seen[target] = true;
        if (u >= 0) {
          h.add(target);
        }
      }
    }
    return new AutoSuggestData(name, queries, topic, topicNames, users, days, Collections.unmodifiableList(sessions),
        trends.toArray(new int[0][]), trendDay, fav);
  }

  static String firstWord(String query) {
    int sp = query.indexOf(' ');
    return sp < 0 ? query : query.substring(0, sp);
  }

  /** One edit at {@code at}: a wrong letter, two letters swapped, one left out or one doubled. */
  static String typo(String s, int at, SplittableRandom r) {
    char[] c = s.toCharArray();
    switch (r.nextInt(4)) {
      case 0: {
        char x;
        do {
          x = (char) ('a' + r.nextInt(26));
        } while (x == c[at]);
        c[at] = x;
        return new String(c);
      }
      case 1:
        if (c[at] != c[at + 1]) {
          char x = c[at];
          c[at] = c[at + 1];
          c[at + 1] = x;
          return new String(c);
        }
        return s.substring(0, at) + s.substring(at + 1);
      case 2:
        return s.substring(0, at) + s.substring(at + 1);
      default:
        return s.substring(0, at) + c[at] + s.substring(at);
    }
  }

  private static int[] shuffled(int n, SplittableRandom r) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int x = a[i];
      a[i] = a[j];
      a[j] = x;
    }
    return a;
  }

  private static int poisson(double mean, SplittableRandom r) {
    double l = Math.exp(-mean);
    int k = 0;
    double p = r.nextDouble();
    while (p > l) {
      k++;
      p *= r.nextDouble();
    }
    return k;
  }

}
