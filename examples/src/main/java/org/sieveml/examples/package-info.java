/**
 * Runnable case studies that wire SieveML's modules together in-process, as a host service would, each on a
 * seeded embedded default and, where given {@code --data}, on real public data.
 *
 * <p>{@link org.sieveml.examples.Flagship} is the README's run command: the recommendation study
 * ({@link org.sieveml.examples.RecommendationStudy}: activity windows, implicit ALS, HNSW and trending
 * candidates, a GBDT ranker, MMR; online and precomputed batch serving compared). The others:
 * {@link org.sieveml.examples.AdClickStudy} (click to conversion with attribution-time windows and
 * calibration), {@link org.sieveml.examples.FraudStudy} (velocity windows, PR-AUC, DDM on missed fraud),
 * {@link org.sieveml.examples.EtaStudy} (GBDT regression, ADWIN on the error stream),
 * {@link org.sieveml.examples.SearchStudy} (BM25 and embeddings to LambdaMART),
 * {@link org.sieveml.examples.AutoSuggestStudy} (prefix trie, typo tolerance, trending, LambdaMART and MMR per
 * keystroke) and {@link org.sieveml.examples.VisualSearchStudy} (PCA embeddings of images in HNSW, near-duplicate
 * detection, a moderation classifier). Each prints its figures and
 * writes one HTML report; the README's case-study table lists their commands and figures.
 */
package org.sieveml.examples;
