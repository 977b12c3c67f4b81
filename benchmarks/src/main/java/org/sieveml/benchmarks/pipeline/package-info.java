/**
 * Benchmarks of the two-stage pipeline.
 *
 * <p>{@link org.sieveml.benchmarks.pipeline.PipelineOverheadBenchmark} measures what
 * {@link org.sieveml.core.pipeline.TwoStagePipeline} adds on top of the stage work, against the same
 * stages called by hand; {@link org.sieveml.benchmarks.pipeline.BenchStages} provides the seeded,
 * deterministic stage implementations both paths share.
 */
package org.sieveml.benchmarks.pipeline;
