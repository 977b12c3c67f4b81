package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.Scorer;

/**
 * Every model kind is trained through the same {@link RankerTrainer} shape ({@code trainer(encoder).name(..)
 * .seed(..).train(frame, labels)}), registered, reloaded by its type, and scores identically: by vector, by
 * frame, and as the pipeline's {@link Scorer}. The calibrated pair comes back with its calibration and its
 * down-sampling correction.
 */
class RankerContractTest {

  @TempDir Path dir;

  /** The kinds, each built through the common builder shape from an encoder. */
  static Map<String, Function<FeatureEncoder, RankerTrainer<? extends Ranker>>> kinds() {
    Map<String, Function<FeatureEncoder, RankerTrainer<? extends Ranker>>> k = new LinkedHashMap<>();
    k.put("gbdt", e -> GbdtRanker.trainer(e).rounds(20).maxDepth(3).threads(1));
    k.put("gbdt-regression", e -> GbdtRanker.trainer(e).objective(GbdtRanker.Objective.SQUARED_ERROR).rounds(10)
        .threads(1));
    k.put("logistic", e -> LinearRanker.trainer(e).epochs(3).learningRate(0.1));
    k.put("fm", e -> FmRanker.trainer(e).epochs(3).learningRate(0.05).factors(4));
    k.put("regression", e -> LinearRegressor.trainer(e).epochs(3).learningRate(0.05));
    return k;
  }

  static FeatureEncoder encoder() {
    return FeatureEncoder.builder(RegistryFormatTest.SCHEMA).hashed("country", 64).standardizeNumeric().hashSeed(3)
        .build();
  }

  @Test
  void everyKindRoundTripsThroughTheRegistryByType() {
    double[] labels = new double[600];
    FeatureFrame frame = RegistryFormatTest.trainingRows(labels);
    List<FeatureVector> test = RegistryFormatTest.inputs();
    FeatureFrame testFrame = frameOf(test);
    ModelRegistry reg = ModelRegistry.open(dir);
    List<Ranker> trained = new ArrayList<>();
    for (Map.Entry<String, Function<FeatureEncoder, RankerTrainer<? extends Ranker>>> k : kinds().entrySet()) {
      Ranker r = k.getValue().apply(encoder()).name(k.getKey()).seed(17).train(frame, labels);
      trained.add(r);
      assertEquals(k.getKey(), r.name());
      assertEquals(17, r.provenance().seed(), k.getKey());
      assertEquals(600, r.provenance().trainingRows(), k.getKey());
      assertTrue(r.encoder().signature().contains("std("), k.getKey() + ": the fitted standardizer is the model's: "
          + r.encoder().signature());
      assertEquals(k.getKey().contains("regression") ? Ranker.OutputKind.REGRESSION : Ranker.OutputKind.PROBABILITY,
          r.outputKind(), k.getKey());
      roundTrip(reg, k.getKey(), r, test, testFrame);
    }
    // the same data gives the same fingerprint whatever the trainer
    assertEquals(trained.get(0).provenance().dataFingerprint(), trained.get(2).provenance().dataFingerprint());
    // and the same trainer, data and seed give the same model
    Ranker again = kinds().get("logistic").apply(encoder()).name("logistic").seed(17).train(frame, labels);
    assertArrayEquals(trained.get(2).predict(testFrame), again.predict(testFrame), 0.0);
  }

  @Test
  void lambdaMartTrainsOnGroupsAndRoundTrips() {
    double[] labels = new double[600];
    FeatureFrame frame = RegistryFormatTest.trainingRows(labels);
    int[] groups = new int[60];
    java.util.Arrays.fill(groups, 10);
    GbdtRanker r = GbdtRanker.trainer(encoder()).objective(GbdtRanker.Objective.RANK_NDCG).rounds(10).threads(1)
        .name("ltr").seed(5).trainRanking(frame, labels, groups);
    assertEquals(Ranker.OutputKind.RANKING_SCORE, r.outputKind());
    assertEquals("rank:ndcg", r.provenance().parameters().get("objective"));
    List<FeatureVector> test = RegistryFormatTest.inputs();
    roundTrip(ModelRegistry.open(dir), "ltr", r, test, frameOf(test));
    assertThrows(IllegalStateException.class, () -> GbdtRanker.trainer(encoder())
        .objective(GbdtRanker.Objective.RANK_NDCG).train(frame, labels));
  }

  @Test
  void theCalibratedPairReloadsWithItsCalibrationAndDownSamplingCorrection() {
    double[] labels = new double[600];
    FeatureFrame frame = RegistryFormatTest.trainingRows(labels);
    double[] heldOutLabels = new double[300];
    FeatureFrame heldOut = RegistryGoldenV3Test.heldOut(heldOutLabels);
    List<FeatureVector> test = RegistryFormatTest.inputs();
    FeatureFrame testFrame = frameOf(test);
    ModelRegistry reg = ModelRegistry.open(dir);
    for (Map.Entry<String, Function<FeatureEncoder, RankerTrainer<? extends Ranker>>> k : kinds().entrySet()) {
      if (k.getKey().contains("regression")) {
        continue;
      }
      Ranker base = k.getValue().apply(encoder()).name(k.getKey()).seed(3).train(frame, labels);
      for (CalibratedRanker.Method m : CalibratedRanker.Method.values()) {
        CalibratedRanker pair = CalibratedRanker.trainer(base).method(m).negativeSamplingRate(0.1).seed(4)
            .name(k.getKey() + "-" + m).train(heldOut, heldOutLabels);
        double[] p = base.predict(testFrame);
        double[] want = new double[p.length];
        Calibrator correction = Calibrator.downsampling(0.1);
        for (int i = 0; i < p.length; i++) {
          double c = m == CalibratedRanker.Method.NONE ? p[i] : pair.calibrator().calibrate(p[i]);
          want[i] = correction.calibrate(c);
        }
        assertArrayEquals(want, pair.predict(testFrame), 0.0, k.getKey() + " " + m);
        // down-sampling at 10 % lowers every probability in (0, 1)
        for (int i = 0; i < p.length; i++) {
          double c = m == CalibratedRanker.Method.NONE ? p[i] : pair.calibrator().calibrate(p[i]);
          if (c > 0 && c < 1) {
            assertTrue(want[i] < c, k.getKey() + " " + m + " row " + i);
          }
        }
        CalibratedRanker back = roundTrip(reg, k.getKey() + "-" + m.name().toLowerCase(java.util.Locale.ROOT), pair,
            test, testFrame);
        assertEquals(0.1, back.negativeSamplingRate());
        assertEquals(pair.calibrator(), back.calibrator());
        assertEquals(base.provenance(), back.base().provenance());
        assertEquals(base.getClass(), back.base().getClass());
      }
    }
    Ranker regression = kinds().get("regression").apply(encoder()).seed(1).train(frame, labels);
    assertThrows(IllegalArgumentException.class, () -> CalibratedRanker.trainer(regression));
  }

  /** Tribuo's java.util.logging output is forwarded to slf4j by a handler on its two loggers only. */
  @Test
  void tribuoLoggingIsBridgedToSlf4jWithoutTouchingTheRootLogger() {
    java.util.logging.Handler[] root = java.util.logging.Logger.getLogger("").getHandlers();
    double[] labels = new double[200];
    kinds().get("logistic").apply(encoder()).seed(1).train(RegistryFormatTest.trainingRows(labels), labels);
    for (String name : List.of("org.tribuo", "com.oracle.labs.olcut")) {
      java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
      assertTrue(!l.getUseParentHandlers(), name + " no longer writes to JUL's console handler");
      assertTrue(java.util.Arrays.stream(l.getHandlers()).anyMatch(h -> h.getClass().getName()
          .endsWith("Slf4jHandler")), name + ": " + java.util.Arrays.toString(l.getHandlers()));
    }
    assertArrayEquals(root, java.util.logging.Logger.getLogger("").getHandlers(), "the root logger is untouched");
  }

  /** Registers, promotes, reloads by exact type and by {@link Ranker}, and compares every way of scoring. */
  @SuppressWarnings("unchecked")
  private static <T extends Ranker> T roundTrip(ModelRegistry reg, String name, T r, List<FeatureVector> test,
      FeatureFrame testFrame) {
    ModelVersion mv = reg.register(name, r, Map.of(), "fs");
    reg.promote(name, mv.version());
    Class<T> type = (Class<T>) r.getClass();
    T back = reg.loadProduction(name, type, RegistryFormatTest.SCHEMA);
    assertSame(type, back.getClass());
    assertEquals(r.provenance(), back.provenance(), name);
    assertEquals(r.encoder(), back.encoder(), name);
    assertEquals(r.outputKind(), back.outputKind(), name);
    double[] want = r.predict(testFrame);
    assertArrayEquals(want, back.predict(testFrame), 0.0, name + " by frame");
    assertArrayEquals(want, back.predict(test), 0.0, name + " by vectors");
    for (int i = 0; i < test.size(); i++) {
      assertEquals(want[i], back.predict(test.get(i)), 0.0, name + " vector " + i);
    }
    Scorer s = reg.loadProduction(name, Ranker.class);
    assertArrayEquals(want, RegistryFormatTest.score(s), 0.0, name + " as a Scorer");
    // a load by the wrong type names both
    Class<? extends Ranker> wrong = r instanceof GbdtRanker ? FmRanker.class : GbdtRanker.class;
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.loadProduction(name, wrong));
    assertTrue(e.getMessage().contains(wrong.getSimpleName()), e.getMessage());
    assertNotEquals(0, want.length);
    return back;
  }

  static FeatureFrame frameOf(List<FeatureVector> vs) {
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(RegistryFormatTest.SCHEMA);
    vs.forEach(b::add);
    return b.build();
  }
}
