package org.sieveml.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.FeatureFrame;
import org.sieveml.features.TrainingData;
import org.sieveml.features.Visibility;

/**
 * Issue 16: the Spark join's output is training data as Spark ML takes it. A logistic regression
 * trained on it has the coefficients of the same model trained on the in-process training frame.
 */
class TrainingHandoffTest {

  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  static final String[] FEATURES = {"score", "visits", "amount_sum_2h", "count_30m", "combo"};

  static LogisticRegressionModel fit(Dataset<Row> data) {
    Dataset<Row> filled = data.na().fill(0.0, FEATURES);
    Dataset<Row> assembled = new VectorAssembler().setInputCols(FEATURES).setOutputCol("features")
        .transform(filled.selectExpr("label", "cast(score as double) score", "cast(visits as double) visits",
            "cast(amount_sum_2h as double) amount_sum_2h", "cast(count_30m as double) count_30m",
            "cast(combo as double) combo"));
    return new LogisticRegression().setMaxIter(100).setRegParam(0.01).setTol(1e-12).setStandardization(true)
        .fit(assembled);
  }

  @Test
  void sparkMlTrainsTheSameModelOnBothFrames(@TempDir Path tmp) {
    Random rnd = new Random(99);
    SparkJoinPropertyTest.History h = new SparkJoinPropertyTest.History(rnd, 40, 1_500, 3_000);
    SparkFeatureStore lake = SparkJoinPropertyTest.exported(h, tmp, TestSpark::registry).partitions(3).build();
    List<Row> ents = SparkJoinPropertyTest.entityRows(rnd, h, 800);
    List<Row> labelled = new ArrayList<>();
    for (Row r : ents) {
      labelled.add(RowFactory.create(r.get(0), r.get(1), r.get(2), r.get(3), rnd.nextDouble() < 0.3 ? 1.0 : 0.0));
    }
    StructType schema = SparkJoinPropertyTest.ENTITY_SCHEMA.add("label", DataTypes.DoubleType, false);
    Dataset<Row> training = lake.historicalFeatures(spark.createDataFrame(labelled, schema), "all");

    TrainingData local = SparkJoinPropertyTest.inProcess(h, ents, "all", Visibility.AS_SERVED);
    FeatureFrame f = local.frame();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < f.rowCount(); i++) {
      Object[] v = new Object[FEATURES.length + 1];
      v[0] = labelled.get(i).getDouble(4);
      for (int c = 0; c < FEATURES.length; c++) {
        int col = f.schema().indexOf(FEATURES[c]);
        v[c + 1] = f.isPresent(i, col) ? f.asDouble(i, col) : null;
      }
      rows.add(RowFactory.create(v));
    }
    StructType localSchema = DataTypes.createStructType(List.of(
        DataTypes.createStructField("label", DataTypes.DoubleType, false)));
    for (String c : FEATURES) {
      localSchema = localSchema.add(c, DataTypes.DoubleType, true);
    }
    LogisticRegressionModel a = fit(training);
    LogisticRegressionModel b = fit(spark.createDataFrame(rows, localSchema));
    double[] ca = a.coefficients().toArray();
    double[] cb = b.coefficients().toArray();
    assertEquals(FEATURES.length, ca.length);
    double norm = 0;
    for (int i = 0; i < ca.length; i++) {
      assertEquals(cb[i], ca[i], 1e-6 * Math.max(1, Math.abs(cb[i])), "coefficient of " + FEATURES[i]);
      norm += Math.abs(ca[i]);
    }
    assertEquals(b.intercept(), a.intercept(), 1e-6 * Math.max(1, Math.abs(b.intercept())), "intercept");
    assertTrue(norm > 0, "the model learned something");
    h.store.close();
  }
}
