/**
 * Candidate generation: HNSW (hnswlib-core) and exact vector indexes, filters, persistence and
 * candidate generators implementing {@link org.sieveml.core.pipeline.CandidateGenerator}.
 *
 * <p>This module's implementation arrives with its own issue; today it holds only the module boundary.
 */
package org.sieveml.retrieval;
