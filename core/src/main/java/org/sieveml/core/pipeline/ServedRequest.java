package org.sieveml.core.pipeline;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;

/**
 * One request as a {@link TwoStagePipeline} served it, the record a {@link ServingLog} hands its
 * {@link ServedRequestSink}: enough to build training data from exactly what serving saw, to compute
 * skew, and to replay the request (read the same keys as of {@link #readTimeMillis()}, score with the
 * same model version, compare).
 *
 * <p>Per request: the id, the time it was served (by the log's clock), the entity and k, the names of
 * the pipeline, feature source and scorer, the scorer's {@linkplain Scorer#version() model version},
 * the time the features were read (by the feature source's clock, when it reports one) and the stages
 * that degraded. Per candidate, in retrieval (merge) order: the candidate, the entity key read for it
 * (when the source reports keys), the served feature vector with a {@link ServedStatus} per value, the
 * model's score, and its rank and score in the response. The request's context is not recorded.
 *
 * <p>What is absent says so: {@link #hasFeatures()} is false when the features stage degraded (no
 * vector was served), {@link #isScored()} false when scoring did not succeed (no score was computed).
 *
 * <p>Immutable and thread-safe.
 */
public final class ServedRequest {

  private final String requestId;
  private final long servedAtMillis;
  private final EntityKey entity;
  private final int k;
  private final String pipeline;
  private final String featureSource;
  private final FeatureSchema schema;
  private final String scorer;
  private final String scorerVersion;
  private final long readTimeMillis;
  private final Set<Stage> degraded;
  private final List<Candidate> candidates;
  private final List<EntityKey> keys;
  private final List<FeatureVector> vectors;
  private final byte[] status;
  private final double[] scores;
  private final List<ScoredItem> items;

  ServedRequest(String requestId, long servedAtMillis, EntityKey entity, int k, String pipeline,
      String featureSource, FeatureSchema schema, String scorer, String scorerVersion, long readTimeMillis,
      Set<Stage> degraded, List<Candidate> candidates, List<EntityKey> keys, List<FeatureVector> vectors,
      byte[] status, double[] scores, List<ScoredItem> items) {
    int n = candidates.size();
    if (!keys.isEmpty() && keys.size() != n) {
      throw new IllegalArgumentException("served request '" + requestId + "' has " + keys.size()
          + " keys for " + n + " candidates");
    }
    if (!vectors.isEmpty() && vectors.size() != n) {
      throw new IllegalArgumentException("served request '" + requestId + "' has " + vectors.size()
          + " vectors for " + n + " candidates");
    }
    if (status.length != 0 && status.length != vectors.size() * schema.size()) {
      throw new IllegalArgumentException("served request '" + requestId + "' has " + status.length
          + " statuses, expected " + vectors.size() * schema.size());
    }
    if (scores != null && scores.length != n) {
      throw new IllegalArgumentException("served request '" + requestId + "' has " + scores.length
          + " scores for " + n + " candidates");
    }
    this.requestId = requestId;
    this.servedAtMillis = servedAtMillis;
    this.entity = entity;
    this.k = k;
    this.pipeline = pipeline;
    this.featureSource = featureSource;
    this.schema = schema;
    this.scorer = scorer;
    this.scorerVersion = scorerVersion == null ? "" : scorerVersion;
    this.readTimeMillis = readTimeMillis;
    this.degraded = degraded.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(degraded));
    this.candidates = candidates;
    this.keys = keys;
    this.vectors = vectors;
    this.status = status;
    this.scores = scores;
    this.items = items;
  }

  /**
   * The request's id.
   *
   * @return the id
   */
  public String requestId() {
    return requestId;
  }

  /**
   * When the request was served, by the {@link ServingLog}'s clock (at the start of the request).
   *
   * @return epoch milliseconds
   */
  public long servedAtMillis() {
    return servedAtMillis;
  }

  /**
   * The request's subject.
   *
   * @return the entity key
   */
  public EntityKey entity() {
    return entity;
  }

  /**
   * How many items the request asked for.
   *
   * @return k
   */
  public int k() {
    return k;
  }

  /**
   * The name of the pipeline that served it.
   *
   * @return the pipeline's name
   */
  public String pipeline() {
    return pipeline;
  }

  /**
   * The name of the feature source.
   *
   * @return the source's name
   */
  public String featureSource() {
    return featureSource;
  }

  /**
   * The schema of the served vectors (the feature source's).
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The name of the scorer.
   *
   * @return the scorer's name
   */
  public String scorer() {
    return scorer;
  }

  /**
   * The scorer's {@linkplain Scorer#version() model version}.
   *
   * @return the version, or the empty string when the scorer does not know it
   */
  public String scorerVersion() {
    return scorerVersion;
  }

  /**
   * When the features were read, by the feature source's clock: the time to read the store as of to
   * replay this request.
   *
   * @return epoch milliseconds, or {@link FeatureFetch#UNKNOWN_TIME} when the source does not report it
   *     or no features were served
   */
  public long readTimeMillis() {
    return readTimeMillis;
  }

  /**
   * The stages that degraded while serving the request.
   *
   * @return an unmodifiable set, empty for a complete response
   */
  public Set<Stage> degradedStages() {
    return degraded;
  }

  /**
   * The merged candidates, in retrieval order: row {@code i} of every per-candidate accessor.
   *
   * @return an unmodifiable list
   */
  public List<Candidate> candidates() {
    return candidates;
  }

  /**
   * The entity key the feature source read for each candidate.
   *
   * @return an unmodifiable list, one per candidate, or empty when the source does not report keys
   */
  public List<EntityKey> keys() {
    return keys;
  }

  /**
   * Whether features were served (the features stage succeeded).
   *
   * @return true when {@link #vectors()} holds one vector per candidate
   */
  public boolean hasFeatures() {
    return !vectors.isEmpty();
  }

  /**
   * The served feature vectors, one per candidate.
   *
   * @return an unmodifiable list, empty when the features stage degraded or there were no candidates
   */
  public List<FeatureVector> vectors() {
    return vectors;
  }

  /**
   * The status of one served value.
   *
   * @param row the candidate's position
   * @param feature the feature's index in {@link #schema()}
   * @return the status; {@link ServedStatus#UNKNOWN} when the source did not report statuses
   * @throws IndexOutOfBoundsException if there is no such served value
   */
  public ServedStatus status(int row, int feature) {
    if (row < 0 || row >= vectors.size() || feature < 0 || feature >= schema.size()) {
      throw new IndexOutOfBoundsException("no served value at row " + row + ", feature " + feature + " (rows: "
          + vectors.size() + ", features: " + schema.size() + ")");
    }
    return status.length == 0 ? ServedStatus.UNKNOWN : ServedStatus.ofOrdinal(status[row * schema.size() + feature]);
  }

  /**
   * Whether the model scored the candidates.
   *
   * @return true when the scoring stage succeeded
   */
  public boolean isScored() {
    return scores != null;
  }

  /**
   * The model's scores, one per candidate (before any re-ranking).
   *
   * @return a copy, or an empty array when not {@linkplain #isScored() scored}
   */
  public double[] scores() {
    return scores == null ? new double[0] : scores.clone();
  }

  /**
   * The response's items, best first: the final ranking.
   *
   * @return an unmodifiable list
   */
  public List<ScoredItem> items() {
    return items;
  }

  byte[] statusCodes() {
    return status;
  }

  double[] scoresOrNull() {
    return scores;
  }

  /** Equal when every field is: doubles compared bit for bit, vectors value for value. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ServedRequest)) {
      return false;
    }
    ServedRequest r = (ServedRequest) o;
    return requestId.equals(r.requestId) && servedAtMillis == r.servedAtMillis && entity.equals(r.entity)
        && k == r.k && pipeline.equals(r.pipeline) && featureSource.equals(r.featureSource)
        && schema.equals(r.schema) && scorer.equals(r.scorer) && scorerVersion.equals(r.scorerVersion)
        && readTimeMillis == r.readTimeMillis && degraded.equals(r.degraded) && candidates.equals(r.candidates)
        && keys.equals(r.keys) && vectors.equals(r.vectors) && sameStatuses(r)
        && Arrays.equals(scores, r.scores) && items.equals(r.items);
  }

  private boolean sameStatuses(ServedRequest r) {
    if (Arrays.equals(status, r.status)) {
      return true;
    }
    // an all-UNKNOWN status array equals the empty one
    byte[] a = status.length == 0 ? r.status : status;
    byte[] b = status.length == 0 ? status : r.status;
    if (b.length != 0) {
      return false;
    }
    for (byte x : a) {
      if (x != ServedStatus.UNKNOWN.ordinal()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return requestId.hashCode() * 31 + Long.hashCode(servedAtMillis);
  }

  @Override
  public String toString() {
    return "ServedRequest{" + requestId + ", " + entity + ", candidates=" + candidates.size() + ", features="
        + hasFeatures() + ", scored=" + isScored() + ", items=" + items.size()
        + (scorerVersion.isEmpty() ? "" : ", model=" + scorerVersion) + (degraded.isEmpty() ? "" : ", degraded="
        + degraded) + "}";
  }
}
