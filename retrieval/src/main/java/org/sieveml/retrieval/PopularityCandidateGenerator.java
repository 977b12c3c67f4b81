package org.sieveml.retrieval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.sieveml.core.Candidate;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.PipelineRequest;

/**
 * A popularity / trending {@link CandidateGenerator}: every interaction adds its weight to an item's
 * score, and scores decay exponentially with a half-life, so a long half-life ranks by all-time
 * popularity and a short one by what is trending now. The retrieval score of a candidate is its decayed
 * score at request time.
 *
 * <p>The ranking is recomputed at most once per {@code refresh} interval (a request in between reuses
 * the last ranking), so a request costs a list copy, not a pass over the catalogue.
 *
 * <p>Thread-safe: {@link #record} may run concurrently with itself and with {@link #generate}.
 */
public final class PopularityCandidateGenerator implements CandidateGenerator {

  /** An item's score as of a time; immutable, replaced atomically on every interaction. */
  private record Score(double value, long time) {}

  private record Ranking(long computedAt, List<Candidate> top) {}

  private final String name;
  private final double halfLifeMillis;
  private final long refreshMillis;
  private final int maxCandidates;
  private final LongSupplier clock;
  /** How far after the clock an interaction may be dated (clocks differ between hosts). */
  static final long MAX_AHEAD_MILLIS = 86_400_000L;
  private final ConcurrentHashMap<String, Score> scores = new ConcurrentHashMap<>();
  private volatile Ranking ranking = new Ranking(Long.MIN_VALUE, List.of());

  private PopularityCandidateGenerator(String name, double halfLifeMillis, long refreshMillis, int maxCandidates,
      LongSupplier clock) {
    this.name = name;
    this.halfLifeMillis = halfLifeMillis;
    this.refreshMillis = refreshMillis;
    this.maxCandidates = maxCandidates;
    this.clock = clock;
  }

  /**
   * Creates a generator.
   *
   * @param name the generator's name, non-blank
   * @param halfLifeMillis how long until an interaction counts half, positive
   * @param refreshMillis how often the ranking may be recomputed, at least 0
   * @param maxCandidates the longest ranking kept, positive
   * @param clock the time source (epoch milliseconds), e.g. {@code System::currentTimeMillis}
   * @return the generator
   */
  public static PopularityCandidateGenerator of(String name, long halfLifeMillis, long refreshMillis,
      int maxCandidates, LongSupplier clock) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name is '" + name + "', expected a non-blank name");
    }
    if (halfLifeMillis <= 0) {
      throw new IllegalArgumentException("halfLifeMillis is " + halfLifeMillis + ", expected > 0");
    }
    if (refreshMillis < 0) {
      throw new IllegalArgumentException("refreshMillis is " + refreshMillis + ", expected >= 0");
    }
    if (maxCandidates <= 0) {
      throw new IllegalArgumentException("maxCandidates is " + maxCandidates + ", expected > 0");
    }
    if (clock == null) {
      throw new IllegalArgumentException("clock must not be null");
    }
    return new PopularityCandidateGenerator(name, halfLifeMillis, refreshMillis, maxCandidates, clock);
  }

  /**
   * Records an interaction.
   *
   * @param itemId the item, not null
   * @param timeMillis when it happened (may be out of order), epoch milliseconds from 0 to one day
   *     after the clock
   * @param weight its weight (e.g. 1 for a view, 5 for a purchase), finite and {@code >= 0}
   */
  public void record(String itemId, long timeMillis, double weight) {
    if (itemId == null) {
      throw new IllegalArgumentException("itemId must not be null");
    }
    if (!(weight >= 0) || Double.isInfinite(weight)) {
      throw new IllegalArgumentException("weight of item '" + itemId + "' is " + weight + ", expected finite >= 0");
    }
    long now = clock.getAsLong();
    if (timeMillis < 0 || timeMillis > now + MAX_AHEAD_MILLIS) {
      // a far-future time decays "backwards" into an unbounded score that would top the list forever
      throw new IllegalArgumentException("timeMillis of item '" + itemId + "' is " + timeMillis + ", expected 0 to "
          + "the clock plus one day (" + (now + MAX_AHEAD_MILLIS) + ")");
    }
    scores.compute(itemId, (k, s) -> {
      if (s == null) {
        return new Score(weight, timeMillis);
      }
      if (timeMillis >= s.time()) {
        return new Score(s.value() * decay(timeMillis - s.time()) + weight, timeMillis);
      }
      return new Score(s.value() + weight * decay(s.time() - timeMillis), s.time());
    });
  }

  /**
   * An item's decayed score at a time (0 for an unknown item).
   *
   * @param itemId the item
   * @param atMillis the time
   * @return the score
   */
  public double score(String itemId, long atMillis) {
    Score s = scores.get(itemId);
    return s == null ? 0 : s.value() * decay(atMillis - s.time());
  }

  private double decay(long elapsedMillis) {
    return Math.pow(0.5, elapsedMillis / halfLifeMillis);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Candidate> generate(PipelineRequest request, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    long now = clock.getAsLong();
    Ranking r = ranking;
    if (r.computedAt == Long.MIN_VALUE || now - r.computedAt >= refreshMillis || now < r.computedAt) {
      r = rank(now);
      ranking = r;
    }
    List<Candidate> top = r.top;
    return top.size() <= limit ? top : top.subList(0, limit);
  }

  private Ranking rank(long now) {
    List<Candidate> all = new ArrayList<>(scores.size());
    for (Map.Entry<String, Score> e : scores.entrySet()) {
      Score sc = e.getValue();
      double v = sc.value() * decay(now - sc.time());
      all.add(Candidate.of(e.getKey(), v, name));
    }
    all.sort((a, b) -> {
      int c = Double.compare(b.retrievalScore(), a.retrievalScore());
      return c != 0 ? c : a.itemId().compareTo(b.itemId());
    });
    List<Candidate> top = all.size() > maxCandidates ? new ArrayList<>(all.subList(0, maxCandidates)) : all;
    return new Ranking(now, Collections.unmodifiableList(top));
  }

  @Override
  public String toString() {
    return "PopularityCandidateGenerator[" + name + ", halfLife=" + (long) halfLifeMillis + " ms, items="
        + scores.size() + "]";
  }
}
