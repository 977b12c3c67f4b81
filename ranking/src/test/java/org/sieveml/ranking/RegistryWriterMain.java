package org.sieveml.ranking;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.sieveml.core.FeatureVector;

/**
 * A child process for {@link RegistryCrashTest}: registers versions of one model and promotes every
 * second one, printing each call after it returned, until it is killed.
 */
final class RegistryWriterMain {

  private RegistryWriterMain() {}

  public static void main(String[] args) {
    ModelRegistry reg = ModelRegistry.open(Path.of(args[0]));
    List<Ranker> models = models();
    System.out.println("READY");
    System.out.flush();
    while (true) {
      int next = reg.versions("m").size() + 1;
      int v = reg.register("m", models.get((next - 1) % models.size()), Map.of("auc", 0.5), "fs").version();
      System.out.println("REGISTERED " + v);
      if (v % 2 == 0) {
        reg.promote("m", v);
        System.out.println("PROMOTED " + v);
      }
      System.out.flush();
    }
  }

  /**
   * The models the child cycles through, version {@code v} holding {@code models().get((v - 1) % 3)}: a GBDT, the
   * calibrated pair over it, a factorization machine. Deterministic, so the parent trains the same ones.
   */
  static List<Ranker> models() {
    double[] y = new double[300];
    List<FeatureVector> data = GbdtRankerTest.synth(300, 3, y);
    GbdtRanker gbdt = GbdtRanker.trainer(GbdtRankerTest.encoder()).rounds(3).threads(1).seed(1)
        .train(GbdtRankerTest.frame(data), y);
    double[] yh = new double[200];
    List<FeatureVector> heldOut = GbdtRankerTest.synth(200, 4, yh);
    CalibratedRanker pair = CalibratedRanker.trainer(gbdt).method(CalibratedRanker.Method.PLATT)
        .negativeSamplingRate(0.5).train(GbdtRankerTest.frame(heldOut), yh);
    FmRanker fm = FmRanker.trainer(GbdtRankerTest.encoder()).epochs(1).factors(2).seed(2)
        .train(GbdtRankerTest.frame(data), y);
    return List.of(gbdt, pair, fm);
  }
}
