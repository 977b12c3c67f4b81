/**
 * Ranking: the {@link org.sieveml.ranking.Ranker} contract (a {@link org.sieveml.core.pipeline.Scorer} with
 * a frame path for batches) and its models, with what surrounds them in production.
 *
 * <ul>
 *   <li>Models, each trained by a builder of one shape ({@link org.sieveml.ranking.RankerTrainer}):
 *       {@link org.sieveml.ranking.GbdtRanker} (XGBoost4J training; binary, regression and LambdaMART
 *       objectives; served by a pure-Java evaluator that scores the same as XGBoost), logistic and linear
 *       regression ({@link org.sieveml.ranking.LinearRanker}, {@link org.sieveml.ranking.LinearRegressor}) and
 *       factorization machines ({@link org.sieveml.ranking.FmRanker}), trained with Tribuo;
 *       {@link org.sieveml.ranking.CalibratedRanker} pairs a model with a {@link org.sieveml.ranking.Calibrator}
 *       (Platt or isotonic) and undoes negative downsampling.
 *   <li>{@link org.sieveml.ranking.FeatureEncoder}: typed features to model inputs, dense or sparse
 *       ({@link org.sieveml.ranking.SparseRows}: signed hashing, one-hot, standardization), the same object at
 *       training and serving time.
 *   <li>{@link org.sieveml.ranking.ModelRegistry}: versioned, checksummed models on disk with provenance and a
 *       production alias; models export to ONNX, verified against our own scores.
 *   <li>{@link org.sieveml.ranking.ClassificationMetrics}, {@link org.sieveml.ranking.RankingMetrics},
 *       {@link org.sieveml.ranking.RegressionMetrics}; re-rankers ({@link org.sieveml.ranking.ReRankers}: MMR,
 *       de-duplication and chains of them) for the pipeline's last stage.
 * </ul>
 *
 * <pre>{@code
 * GbdtRanker model = GbdtRanker.trainer(FeatureEncoder.builder(schema).build())
 *     .rounds(100).maxDepth(6).eta(0.1).seed(1).train(frame, labels, null);
 * TwoStagePipeline p = TwoStagePipeline.builder().addCandidateGenerator(ann, 200)
 *     .featureSource(features).scorer(model).reRanker(ReRankers.mmr(0.8, sameGenre)).build();
 * }</pre>
 *
 * <p>Models are immutable and thread-safe once trained or loaded; trainers and builders are not.
 */
package org.sieveml.ranking;
