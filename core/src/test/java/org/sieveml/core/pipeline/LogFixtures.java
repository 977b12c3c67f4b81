package org.sieveml.core.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;

/**
 * Stages whose values are hard to log: every feature type, doubles and floats at the edges of their
 * representation (signed zeros, subnormals, infinities, values without a short decimal form), strings
 * with delimiters, quotes, line breaks, surrounding blanks and non-ASCII text, empty strings next to
 * missing ones, and item ids and keys with the log's own separators. Everything is a pure function of
 * the request and the candidate, so a test can recompute what was served.
 */
final class LogFixtures {
  private LogFixtures() {}

  static final FeatureSchema SCHEMA = FeatureSchema.builder()
      .addDouble("d")
      .addLong("l")
      .addBoolean("b")
      .addString("s")
      .addEmbedding("e", 3)
      .addDouble("ns:ratio")
      .build();

  static final double[] DOUBLES = {0.0, -0.0, Double.MIN_VALUE, 1e-310, Double.MAX_VALUE, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY, 0.1 + 0.2, Math.nextUp(1.0), 2e22, 1.0E23, 9007199254740993.0, -1.5e-3, Math.PI};
  static final float[] FLOATS = {0f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 1.0E-40f, 0.1f, Math.nextDown(1f),
      -3.4028235E38f, Float.POSITIVE_INFINITY, 8.5899346E9f};
  static final String[] STRINGS = {"", "plain", "a,b", "q\"uote\"", "line\nbreak", "cr\r\nlf", " padded ", "\ttab",
      "é漢😀", "|\\|", "=", "\"", "\uFEFFbom", ",", "missing-next"};
  static final String[] ITEM_IDS = {"item-0", "item,1", "it\"em2", "i|t\\em3", " item4 ", "item\n5", "ítem6", "item7",
      "item8", "item9", "item10", "item11"};

  static long hash(String a, String b, int salt) {
    long h = 0x9E3779B97F4A7C15L * (salt + 1);
    for (String s : new String[] {a, b}) {
      for (int i = 0; i < s.length(); i++) {
        h = (h ^ s.charAt(i)) * 0x100000001B3L;
      }
      h = Long.rotateLeft(h, 17) * 0xBF58476D1CE4E5B9L;
    }
    return h ^ (h >>> 31);
  }

  static String user(PipelineRequest r) {
    return r.entity().value("user_id").toString();
  }

  /** One vector, from the user and the item. */
  static FeatureVector vector(String user, String item) {
    SplittableRandom rnd = new SplittableRandom(hash(user, item, 0));
    FeatureVector.Builder b = FeatureVector.builder(SCHEMA);
    int pick = rnd.nextInt(DOUBLES.length + 3);
    if (pick < DOUBLES.length) {
      b.setDouble(0, DOUBLES[pick]);
    } else if (pick == DOUBLES.length) {
      b.setDouble(0, rnd.nextDouble() * 1e6 - 5e5);
    } // else missing
    if (rnd.nextInt(6) > 0) {
      long[] longs = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, rnd.nextLong()};
      b.setLong(1, longs[rnd.nextInt(longs.length)]);
    }
    if (rnd.nextInt(5) > 0) {
      b.setBoolean(2, rnd.nextBoolean());
    }
    int s = rnd.nextInt(STRINGS.length);
    b.setString(3, STRINGS[s].equals("missing-next") ? null : STRINGS[s]);
    if (rnd.nextInt(6) > 0) {
      float[] e = new float[3];
      for (int j = 0; j < 3; j++) {
        e[j] = rnd.nextBoolean() ? FLOATS[rnd.nextInt(FLOATS.length)] : (float) rnd.nextGaussian();
      }
      b.setEmbedding(4, e);
    }
    b.setDouble(5, rnd.nextInt(4) == 0 ? Double.NaN : rnd.nextDouble());
    return b.build();
  }

  static ServedStatus status(String user, String item, int feature) {
    ServedStatus[] v = ServedStatus.values();
    return v[(int) Math.floorMod(hash(user, item, feature + 1), (long) v.length)];
  }

  static EntityKey key(String user, String item) {
    return EntityKey.builder().put("user_id", user).put("item", "k|" + item).put("n", item.length()).build();
  }

  /** A feature source that reports keys, statuses and a read time derived from the request id. */
  static final class TrickySource implements FeatureSource {
    @Override
    public String name() {
      return "tricky";
    }

    @Override
    public FeatureSchema schema() {
      return SCHEMA;
    }

    @Override
    public List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates) {
      List<FeatureVector> out = new ArrayList<>(candidates.size());
      for (Candidate c : candidates) {
        out.add(vector(user(request), c.itemId()));
      }
      return out;
    }

    @Override
    public FeatureFetch fetchWithStatus(PipelineRequest request, List<Candidate> candidates) {
      List<EntityKey> keys = new ArrayList<>();
      ServedStatus[] st = new ServedStatus[candidates.size() * SCHEMA.size()];
      for (int i = 0; i < candidates.size(); i++) {
        keys.add(key(user(request), candidates.get(i).itemId()));
        for (int f = 0; f < SCHEMA.size(); f++) {
          st[i * SCHEMA.size() + f] = status(user(request), candidates.get(i).itemId(), f);
        }
      }
      return FeatureFetch.of(fetch(request, candidates), SCHEMA, keys, st, readTime(request));
    }
  }

  static long readTime(PipelineRequest r) {
    return 1_700_000_000_000L + Math.floorMod(hash(r.requestId(), "", 9), 1_000_000L);
  }

  /** The items of a user: a pure function of the user, with the log's separators in their ids. */
  static final class TrickyGenerator implements CandidateGenerator {
    final String name;
    final int salt;

    TrickyGenerator(String name, int salt) {
      this.name = name;
      this.salt = salt;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public List<Candidate> generate(PipelineRequest request, int limit) {
      List<Candidate> out = new ArrayList<>();
      String u = user(request);
      for (String id : ITEM_IDS) {
        long h = hash(u, id, 100 + salt);
        if ((h & 3) != 0 && out.size() < limit) {
          double score = (h & 16) == 0 ? DOUBLES[(int) Math.floorMod(h, (long) DOUBLES.length)]
              : (h >>> 11) * 0x1.0p-53;
          out.add(Candidate.of(id, score, name));
        }
      }
      return out;
    }
  }

  /** A model of version {@code tricky@v3}: finite scores that use every bit. */
  static final class TrickyScorer implements Scorer {
    @Override
    public String name() {
      return "tricky-model";
    }

    @Override
    public String version() {
      return "tricky@v3";
    }

    @Override
    public FeatureSchema inputSchema() {
      return FeatureSchema.builder().addDouble("d").build();
    }

    @Override
    public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
      double[] s = new double[candidates.size()];
      for (int i = 0; i < s.length; i++) {
        double d = features.get(i).asDouble(0);
        s[i] = Double.isFinite(d) ? d * 1e-300 + Math.sin(i) / 3 : (hash(user(request), candidates.get(i).itemId(), 5)
            >>> 11) * 0x1.0p-53;
      }
      return s;
    }
  }

  /** Reverses the order of the top k and rescales the scores (so served scores differ from model scores). */
  static final class ReverseReRanker implements ReRanker {
    @Override
    public String name() {
      return "reverse";
    }

    @Override
    public List<ScoredItem> rerank(PipelineRequest request, List<ScoredItem> scored, int k) {
      List<ScoredItem> top = new ArrayList<>(scored.subList(0, Math.min(k, scored.size())));
      java.util.Collections.reverse(top);
      List<ScoredItem> out = new ArrayList<>();
      for (ScoredItem s : top) {
        out.add(s.withScore(s.score() / 7));
      }
      return out;
    }
  }

  static TwoStagePipeline.Builder pipeline() {
    return TwoStagePipeline.builder()
        .name("tricky")
        .addCandidateGenerator(new TrickyGenerator("gen-a", 1), 8)
        .addCandidateGenerator(new TrickyGenerator("gen.b", 2), 8)
        .featureSource(new TrickySource())
        .scorer(new TrickyScorer())
        .reRanker(new ReverseReRanker());
  }

  static PipelineRequest request(String id, int user, int k) {
    return PipelineRequest.builder(EntityKey.builder().put("user_id", "u\"|\\" + user).put("shard", user % 3).build())
        .requestId(id).k(k).build();
  }
}
