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
 *
 * <p>Served-feature logging: a {@link org.sieveml.core.pipeline.ServingLog} set on the builder records a
 * sample of requests as {@link org.sieveml.core.pipeline.ServedRequest}s (keys, vectors with their
 * {@link org.sieveml.core.pipeline.ServedStatus}, read time, model version, scores, ranking) into a
 * {@link org.sieveml.core.pipeline.ServedRequestSink}, in the background; the
 * {@link org.sieveml.core.pipeline.CsvServedRequestSink} writes a versioned, checksummed CSV file that
 * {@link org.sieveml.core.pipeline.ServedLogReader} reads back bit for bit.
 */
package org.sieveml.core.pipeline;
