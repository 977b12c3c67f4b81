/**
 * Retrieval: the first stage of the two-stage pipeline — vector indexes, the embeddings that feed them and
 * candidate generators implementing {@link org.sieveml.core.pipeline.CandidateGenerator}.
 *
 * <ul>
 *   <li>{@link org.sieveml.retrieval.HnswVectorIndex}: our HNSW graph (hnswlib-core, Lucene and native
 *       hnswlib are benchmark anchors) with a recall target instead of a fixed ef, per-query ef, filtered
 *       search planned by seeded sampling ({@link org.sieveml.retrieval.VectorFilter}), optional int8
 *       quantization with float re-scoring, a parallel bulk build with progress, background compaction, and
 *       the graph saved and loaded as is in a versioned, checksummed format;
 *       {@link org.sieveml.retrieval.ExactVectorIndex} is the exact reference; both are
 *       {@link org.sieveml.retrieval.VectorIndex}es over a {@link org.sieveml.retrieval.VectorMetric}.
 *   <li>Embeddings: {@link org.sieveml.retrieval.ImplicitAls} (implicit-feedback ALS over
 *       {@link org.sieveml.retrieval.Interactions}) fits an {@link org.sieveml.retrieval.AlsModel} of user and
 *       item vectors; an {@link org.sieveml.retrieval.EmbeddingModel} turns raw vectors (pixels, any fixed-width
 *       input) into the vectors an index holds: {@link org.sieveml.retrieval.PcaEmbeddingModel} fits a
 *       (whitened) principal-component projection in-process, {@link org.sieveml.retrieval.OnnxEmbeddingModel}
 *       runs a model the host brings as an ONNX file (ONNX Runtime is an optional dependency of this module).
 *   <li>Candidate generators: {@link org.sieveml.retrieval.AnnCandidateGenerator} (a context vector against an
 *       index) and {@link org.sieveml.retrieval.PopularityCandidateGenerator} (popularity or trending with
 *       exponential decay); {@link org.sieveml.retrieval.Recall} measures recall@k against exact search.
 * </ul>
 *
 * <pre>{@code
 * HnswVectorIndex index = HnswVectorIndex.builder(64, VectorMetric.INNER_PRODUCT).m(16).efConstruction(100).build();
 * index.addAll(model.itemVectors(), 2, null);
 * List<Neighbor> top = index.search(userVector, 10);
 * }</pre>
 *
 * <p>Thread-safety is stated per type: indexes take concurrent searches and adds; models are immutable.
 */
package org.sieveml.retrieval;
