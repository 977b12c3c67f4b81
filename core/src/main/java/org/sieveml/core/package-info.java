/**
 * Shared value types that every SieveML module exchanges.
 *
 * <p>Entry points: {@link org.sieveml.core.EntityKey} identifies who or what a feature row belongs to;
 * {@link org.sieveml.core.FeatureSchema} declares typed features ({@link org.sieveml.core.FeatureSpec},
 * {@link org.sieveml.core.FeatureType}); {@link org.sieveml.core.FeatureVector} holds one immutable row of
 * values with explicit missing values; {@link org.sieveml.core.Candidate} and
 * {@link org.sieveml.core.ScoredItem} carry items through the two-stage pipeline
 * ({@link org.sieveml.core.pipeline}) and remember which source produced them.
 *
 * <p>All types in this package are immutable and safe to share between threads.
 */
package org.sieveml.core;
