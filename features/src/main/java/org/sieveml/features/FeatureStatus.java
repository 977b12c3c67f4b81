package org.sieveml.features;

/** The state of one served feature value. */
public enum FeatureStatus {
  /** A live value (it may still be a missing value if the stored row had none). */
  PRESENT,
  /** The store has no row for the entity: the value is the view's default, or missing. */
  NOT_FOUND,
  /** The row is older than the view's TTL: the value is the view's default, or missing. */
  EXPIRED
}
