/**
 * Candidate generation: HNSW (our own graph) and exact vector indexes, filters, persistence and
 * candidate generators implementing {@link org.sieveml.core.pipeline.CandidateGenerator}.
 *
 * <p>Embeddings: {@link org.sieveml.retrieval.EmbeddingModel} turns raw vectors (pixels, any fixed-width
 * input) into the vectors an index holds; {@link org.sieveml.retrieval.PcaEmbeddingModel} fits a (whitened)
 * principal-component projection in-process, {@link org.sieveml.retrieval.OnnxEmbeddingModel} runs a model
 * the host brings as an ONNX file (ONNX Runtime is an optional dependency of this module).
 */
package org.sieveml.retrieval;
