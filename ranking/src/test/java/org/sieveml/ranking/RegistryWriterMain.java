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
    double[] y = new double[300];
    List<FeatureVector> data = GbdtRankerTest.synth(300, 3, y);
    GbdtRanker model = GbdtRanker.trainer(GbdtRankerTest.encoder()).rounds(3).train(GbdtRankerTest.frame(data), y,
        null);
    System.out.println("READY");
    System.out.flush();
    while (true) {
      int v = reg.register("m", model, Map.of("auc", 0.5), "fs").version();
      System.out.println("REGISTERED " + v);
      if (v % 2 == 0) {
        reg.promote("m", v);
        System.out.println("PROMOTED " + v);
      }
      System.out.flush();
    }
  }
}
