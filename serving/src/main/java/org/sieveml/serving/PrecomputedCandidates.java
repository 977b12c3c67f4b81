package org.sieveml.serving;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureType;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStatus;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.features.OnlineStoreUnavailableException;
import org.sieveml.serving.internal.ItemLists;

/**
 * "Precomputed top-N for this user": the lists a pairs-mode {@link BatchPrediction} stored, served as a
 * pipeline {@link CandidateGenerator}, with an online fallback.
 *
 * <pre>{@code
 * CandidateGenerator recs = PrecomputedCandidates.of("precomputed", store, nightly.predictionService(), ann);
 * TwoStagePipeline p = TwoStagePipeline.builder().addCandidateGenerator(recs, 50)...build();
 * }</pre>
 *
 * <p>Per request it reads the request entity's row of the prediction view through
 * {@link FeatureStore#getOnlineFeatures} (so TTL, definition versions and every online store behave as for
 * any feature) and returns the stored items, best first, with their batch scores as retrieval scores and
 * this generator's name as source. When the row is missing, expired, written under another definition of
 * the view, or holds no item — or the online store is unavailable — it asks the fallback generator instead
 * and returns its candidates with this generator's name as source and the fallback's in
 * {@link Candidate#alsoFrom()}; {@link #fallbacks()} counts those requests, {@link #hits()} the others.
 *
 * <p>Thread-safe (given a thread-safe fallback): the counters are {@link LongAdder}s.
 */
public final class PrecomputedCandidates implements CandidateGenerator {

  private final String name;
  private final FeatureStore store;
  private final FeatureService predictions;
  private final CandidateGenerator fallback;
  private final LongAdder hits = new LongAdder();
  private final LongAdder fallbacks = new LongAdder();

  private PrecomputedCandidates(String name, FeatureStore store, FeatureService predictions,
      CandidateGenerator fallback) {
    this.name = name;
    this.store = store;
    this.predictions = predictions;
    this.fallback = fallback;
  }

  /**
   * A generator over stored top-N lists.
   *
   * @param name the generator's name, non-blank
   * @param store the feature store holding the predictions
   * @param predictions a pairs-mode {@link BatchPrediction#predictionService()}: it must provide
   *     {@value BatchPrediction#ITEMS} and {@value BatchPrediction#SCORES} as strings
   * @param fallback asked when an entity's list is missing or expired
   * @return the generator
   * @throws IllegalArgumentException naming a null or blank argument, or the service's missing features
   */
  public static PrecomputedCandidates of(String name, FeatureStore store, FeatureService predictions,
      CandidateGenerator fallback) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name is '" + name + "', expected a non-blank name");
    }
    if (store == null || predictions == null || fallback == null) {
      throw new IllegalArgumentException("store, predictions and fallback must not be null, were " + store + ", "
          + predictions + ", " + fallback);
    }
    FeatureSchema s = store.getOnlineFeatures(List.of(), predictions).schema();
    for (String f : List.of(BatchPrediction.ITEMS, BatchPrediction.SCORES)) {
      if (!s.contains(f) || s.get(s.indexOf(f)).type() != FeatureType.STRING) {
        throw new IllegalArgumentException("feature service '" + predictions.name() + "' provides " + s
            + ", expected a STRING feature '" + f + "' (a pairs-mode BatchPrediction's predictionService())");
      }
    }
    return new PrecomputedCandidates(name, store, predictions, fallback);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Candidate> generate(PipelineRequest request, int limit) {
    OnlineFeatures f;
    try {
      f = store.getOnlineFeatures(List.of(request.entity()), predictions);
    } catch (OnlineStoreUnavailableException e) {
      return fallBack(request, limit);
    }
    if (f.status(0, BatchPrediction.ITEMS) != FeatureStatus.PRESENT) {
      return fallBack(request, limit);
    }
    List<String> ids = ItemLists.splitIds(f.vector(0).getString(BatchPrediction.ITEMS));
    if (ids.isEmpty()) {
      return fallBack(request, limit);
    }
    double[] scores = ItemLists.splitScores(f.vector(0).getString(BatchPrediction.SCORES), ids.size());
    int n = Math.min(limit, ids.size());
    List<Candidate> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(Candidate.of(ids.get(i), scores[i], name));
    }
    hits.increment();
    return out;
  }

  private List<Candidate> fallBack(PipelineRequest request, int limit) {
    fallbacks.increment();
    List<Candidate> from = fallback.generate(request, limit);
    if (from == null) {
      return null; // the pipeline records the failure, naming this generator
    }
    List<Candidate> out = new ArrayList<>(from.size());
    for (Candidate c : from) {
      out.add(Candidate.of(c.itemId(), c.retrievalScore(), name).withAlsoFrom(c.source()));
    }
    return out;
  }

  /**
   * Requests answered from a stored list.
   *
   * @return the count
   */
  public long hits() {
    return hits.sum();
  }

  /**
   * Requests answered by the fallback (list missing, expired, of another definition, empty, or the online
   * store unavailable).
   *
   * @return the count
   */
  public long fallbacks() {
    return fallbacks.sum();
  }

  @Override
  public String toString() {
    return "PrecomputedCandidates{" + name + " <- " + predictions.name() + ", fallback " + fallback.name() + "}";
  }
}
