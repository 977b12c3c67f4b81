/**
 * Ranking: Tribuo-based rankers implementing {@link org.sieveml.core.pipeline.Scorer}, calibration,
 * class-imbalance handling, metrics and a model registry.
 *
 * <p>This module's implementation arrives with its own issue; today it holds only the module boundary.
 */
package org.sieveml.ranking;
