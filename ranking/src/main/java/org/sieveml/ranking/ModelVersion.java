package org.sieveml.ranking;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One registered model version, as described by its manifest in a {@link ModelRegistry}.
 *
 * <p>Thread-safety: immutable.
 */
public final class ModelVersion {
  private final String name;
  private final int version;
  private final ModelRegistry.Stage stage;
  private final String kind;
  private final String sha256;
  private final String encoderSignature;
  private final String featureServiceVersion;
  private final String provenance;
  private final Map<String, Double> metrics;
  private final Instant createdAt;

  ModelVersion(String name, int version, ModelRegistry.Stage stage, String kind, String sha256,
      String encoderSignature, String featureServiceVersion, String provenance, Map<String, Double> metrics,
      Instant createdAt) {
    this.name = name;
    this.version = version;
    this.stage = stage;
    this.kind = kind;
    this.sha256 = sha256;
    this.encoderSignature = encoderSignature;
    this.featureServiceVersion = featureServiceVersion;
    this.provenance = provenance;
    this.metrics = Collections.unmodifiableMap(new TreeMap<>(metrics));
    this.createdAt = createdAt;
  }

  /**
   * The model's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The version number, from 1.
   *
   * @return the version
   */
  public int version() {
    return version;
  }

  /**
   * The stage when this description was read.
   *
   * @return the stage
   */
  public ModelRegistry.Stage stage() {
    return stage;
  }

  /**
   * The artifact kind: {@code xgboost-json} (a {@link GbdtRanker}) or {@code tribuo-linear-sgd} (a
   * {@link LinearRanker}, stored with Tribuo's protobuf serialization).
   *
   * @return the kind
   */
  public String kind() {
    return kind;
  }

  /**
   * The SHA-256 of the model file, hex.
   *
   * @return the checksum
   */
  public String sha256() {
    return sha256;
  }

  /**
   * The {@link FeatureEncoder#signature()} the model was trained with.
   *
   * @return the signature
   */
  public String encoderSignature() {
    return encoderSignature;
  }

  /**
   * The version of the feature service the model was trained against.
   *
   * @return the feature service version
   */
  public String featureServiceVersion() {
    return featureServiceVersion;
  }

  /**
   * The training provenance: Tribuo's provenance for Tribuo models, the booster's parameters for GBDT.
   *
   * @return the provenance text
   */
  public String provenance() {
    return provenance;
  }

  /**
   * The training or evaluation metrics registered with the model.
   *
   * @return an unmodifiable, name-sorted map
   */
  public Map<String, Double> metrics() {
    return metrics;
  }

  /**
   * When the version was registered.
   *
   * @return the instant
   */
  public Instant createdAt() {
    return createdAt;
  }

  @Override
  public String toString() {
    return "ModelVersion{" + name + " v" + version + " " + stage + " " + kind + " metrics=" + metrics + "}";
  }
}
