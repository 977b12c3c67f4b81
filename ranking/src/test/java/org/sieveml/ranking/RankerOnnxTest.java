package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.FeatureFrame;

/**
 * Every exportable model, exported through its public {@code exportOnnx} and run in ONNX Runtime 1.20 on
 * rows with missing values, hashed and one-hot categories and standardized numerics, scores like the model
 * row by row.
 */
class RankerOnnxTest {
  @TempDir Path dir;

  static final double TOLERANCE = 1e-5;

  @Test
  void everyExportScoresLikeItsModelInOnnxRuntime() throws Exception {
    double[] labels = new double[800];
    FeatureFrame train = RegistryFormatTest.trainingRows(labels);
    double[] target = new double[labels.length];
    for (int i = 0; i < target.length; i++) {
      target[i] = labels[i] * 3 - 1 + train.asDouble(i, 2) * 0.2;
    }
    int[] groups = new int[80];
    Arrays.fill(groups, 10);
    FeatureEncoder sparse = FeatureEncoder.builder(RegistryFormatTest.SCHEMA).hashed("country", 32)
        .standardizeNumeric().hashSeed(5).build();
    FeatureEncoder oneHot = FeatureEncoder.builder(RegistryFormatTest.SCHEMA)
        .oneHot("country", List.of("DE", "FR", "JP", "US")).build();
    List<Ranker> models = List.of(
        GbdtRanker.trainer(sparse).rounds(30).maxDepth(5).threads(1).seed(1).name("gbdt").train(train, labels),
        GbdtRanker.trainer(oneHot).rounds(30).maxDepth(4).threads(1).seed(1).name("gbdt-onehot").train(train, labels),
        GbdtRanker.trainer(sparse).objective(GbdtRanker.Objective.SQUARED_ERROR).rounds(20).threads(1).seed(2)
            .name("gbdt-reg").train(train, target),
        GbdtRanker.trainer(sparse).objective(GbdtRanker.Objective.RANK_NDCG).rounds(20).threads(1).seed(3)
            .name("lambdamart").trainRanking(train, labels, groups),
        LinearRanker.trainer(sparse).epochs(3).seed(4).name("logistic").train(train, labels),
        FmRanker.trainer(sparse).epochs(3).factors(4).seed(5).name("fm").train(train, labels),
        LinearRegressor.trainer(sparse).epochs(3).learningRate(0.05).seed(6).name("regression").train(train, target));
    double[] testLabels = new double[1200];
    FeatureFrame all = RegistryFormatTest.trainingRows(testLabels);
    int[] rows = new int[400];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = 800 + i;
    }
    FeatureFrame test = all.rows(rows);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    for (Ranker m : models) {
      Path file = dir.resolve(m.name() + ".onnx");
      export(m, file);
      float[] x = input(m, test);
      int width = m.encoder().width();
      double[] want = m.predict(test);
      double maxDiff = 0;
      try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
        options.setIntraOpNumThreads(1);
        try (OrtSession session = env.createSession(Files.readAllBytes(file), options);
            OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {test.rowCount(), width});
            OrtSession.Result r = session.run(Map.of("features", t))) {
          float[][] out = (float[][]) r.get("score").orElseThrow().getValue();
          assertEquals(test.rowCount(), out.length, m.name());
          for (int i = 0; i < out.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(out[i][0] - want[i]));
          }
          assertTrue(session.getMetadata().getCustomMetadata().get("sieveml.encoder")
              .equals(m.encoder().signature()), m.name() + ": the encoder signature travels with the graph");
        }
      }
      assertTrue(maxDiff <= TOLERANCE, m.name() + ": max |onnx - model| = " + maxDiff);
    }
  }

  @Test
  void anEncoderTooWideForDenseRowsIsRefusedNamingTheWidth() {
    double[] labels = new double[200];
    FeatureFrame train = RegistryFormatTest.trainingRows(labels);
    FeatureEncoder wide = FeatureEncoder.builder(RegistryFormatTest.SCHEMA).hashed("country", 1 << 21).build();
    LinearRanker r = LinearRanker.trainer(wide).epochs(1).name("wide").train(train, labels);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::toOnnx);
    assertTrue(e.getMessage().contains(Integer.toString(wide.width())), e.getMessage());
  }

  private static void export(Ranker m, Path file) {
    if (m instanceof GbdtRanker) {
      ((GbdtRanker) m).exportOnnx(file);
    } else if (m instanceof LinearRanker) {
      ((LinearRanker) m).exportOnnx(file);
    } else if (m instanceof FmRanker) {
      ((FmRanker) m).exportOnnx(file);
    } else {
      ((LinearRegressor) m).exportOnnx(file);
    }
  }

  /**
   * The graph's input: for trees over a sparse encoder, NaN wherever the sparse row has no entry (XGBoost
   * trained on CSR rows); otherwise the dense encoding.
   */
  static float[] input(Ranker m, FeatureFrame frame) {
    int w = m.encoder().width();
    float[] x = new float[frame.rowCount() * w];
    if (m instanceof GbdtRanker && m.encoder().sparse()) {
      Arrays.fill(x, Float.NaN);
      SparseRows s = m.encoder().encodeSparse(frame);
      for (int i = 0; i < s.rowCount(); i++) {
        for (int k = s.rowStart(i); k < s.rowStart(i + 1); k++) {
          x[i * w + s.column(k)] = (float) s.value(k);
        }
      }
    } else {
      double[][] d = m.encoder().encode(frame);
      for (int i = 0; i < d.length; i++) {
        for (int j = 0; j < w; j++) {
          x[i * w + j] = (float) d[i][j];
        }
      }
    }
    return x;
  }
}
