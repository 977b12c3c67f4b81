package org.sieveml.features;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.PipelineRequest;

/**
 * The features stage of a two-stage pipeline backed by a {@link FeatureStore}: one online read per
 * request for all its candidates. Immutable and thread-safe.
 */
final class StoreFeatureSource implements java.util.function.BiFunction<PipelineRequest, List<Candidate>,
    List<FeatureVector>> {

  private final FeatureStore store;
  private final FeatureService service;
  private final BiFunction<PipelineRequest, Candidate, EntityKey> keyOf;

  StoreFeatureSource(FeatureStore store, FeatureService service,
      BiFunction<PipelineRequest, Candidate, EntityKey> keyOf) {
    this.store = store;
    this.service = service;
    this.keyOf = keyOf;
  }

  @Override
  public List<FeatureVector> apply(PipelineRequest req, List<Candidate> cands) {
    List<EntityKey> keys = new ArrayList<>(cands.size());
    for (Candidate c : cands) {
      keys.add(keyOf.apply(req, c));
    }
    return store.getOnlineFeatures(keys, service).vectors();
  }
}
