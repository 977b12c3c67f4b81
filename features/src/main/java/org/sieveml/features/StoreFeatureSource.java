package org.sieveml.features;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.FeatureFetch;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.ServedStatus;

/**
 * The features stage of a two-stage pipeline backed by a {@link FeatureStore}: one online read per
 * request for all its candidates. {@link #fetchWithStatus} reports the keys read, each value's
 * {@link FeatureStatus} (as the {@link ServedStatus} of the same name) and the read time of the
 * {@link OnlineFeatures}, so that a served-feature log can replay the read as of that time. Immutable
 * and thread-safe.
 */
final class StoreFeatureSource implements FeatureSource {

  private static final ServedStatus[] STATUS = new ServedStatus[FeatureStatus.values().length];

  static {
    for (FeatureStatus s : FeatureStatus.values()) {
      STATUS[s.ordinal()] = ServedStatus.parse(s.name());
    }
  }

  private final FeatureStore store;
  private final FeatureService service;
  private final FeatureSchema schema;
  private final BiFunction<PipelineRequest, Candidate, EntityKey> keyOf;

  StoreFeatureSource(FeatureStore store, FeatureService service, FeatureSchema schema,
      BiFunction<PipelineRequest, Candidate, EntityKey> keyOf) {
    this.store = store;
    this.service = service;
    this.schema = schema;
    this.keyOf = keyOf;
  }

  @Override
  public String name() {
    return "features:" + service.name();
  }

  @Override
  public FeatureSchema schema() {
    return schema;
  }

  @Override
  public List<FeatureVector> fetch(PipelineRequest req, List<Candidate> cands) {
    return store.getOnlineFeatures(keys(req, cands), service).vectors();
  }

  @Override
  public FeatureFetch fetchWithStatus(PipelineRequest req, List<Candidate> cands) {
    List<EntityKey> keys = keys(req, cands);
    OnlineFeatures f = store.getOnlineFeatures(keys, service);
    int nf = f.schema().size();
    ServedStatus[] st = new ServedStatus[f.size() * nf];
    for (int i = 0; i < f.size(); i++) {
      for (int j = 0; j < nf; j++) {
        st[i * nf + j] = STATUS[f.status(i, j).ordinal()];
      }
    }
    return FeatureFetch.of(f.vectors(), f.schema(), keys, st, f.readTime());
  }

  private List<EntityKey> keys(PipelineRequest req, List<Candidate> cands) {
    List<EntityKey> keys = new ArrayList<>(cands.size());
    for (Candidate c : cands) {
      keys.add(keyOf.apply(req, c));
    }
    return keys;
  }

  @Override
  public String toString() {
    return "StoreFeatureSource{" + name() + "}";
  }
}
