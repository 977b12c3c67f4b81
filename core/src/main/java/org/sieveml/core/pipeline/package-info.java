/**
 * The two-stage pipeline: candidates, then features, scoring and re-ranking.
 *
 * <p>Entry point: {@link org.sieveml.core.pipeline.TwoStagePipeline#builder()}. A host implements the
 * four stage contracts, or takes them from the other SieveML modules:
 * {@link org.sieveml.core.pipeline.CandidateGenerator} (retrieval),
 * {@link org.sieveml.core.pipeline.FeatureSource} (features),
 * {@link org.sieveml.core.pipeline.Scorer} (ranking) and
 * {@link org.sieveml.core.pipeline.ReRanker} (diversity, business rules). Each
 * {@link org.sieveml.core.pipeline.PipelineRequest} yields a
 * {@link org.sieveml.core.pipeline.PipelineResponse} that lists every
 * {@link org.sieveml.core.pipeline.Degradation}: a stage that failed or ran over its budget never
 * produces a silently partial result.
 */
package org.sieveml.core.pipeline;
