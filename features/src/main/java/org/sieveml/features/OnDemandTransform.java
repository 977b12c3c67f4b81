package org.sieveml.features;

import org.sieveml.core.FeatureVector;

/**
 * The function of an {@link OnDemandFeatureView}: computes output features from request-time data and
 * other views' features. The same instance runs for training data and for serving, so the two cannot
 * drift apart.
 *
 * <p>Implementations must be pure (the output depends only on the input) and thread-safe: the store
 * calls them concurrently.
 */
@FunctionalInterface
public interface OnDemandTransform {

  /**
   * Computes the outputs.
   *
   * @param input the request fields by their names and the view inputs named {@code view:feature};
   *     any of them may be missing
   * @param output a builder over the view's output schema, all values initially missing; leave a
   *     value missing when it cannot be computed
   */
  void apply(FeatureVector input, FeatureVector.Builder output);
}
