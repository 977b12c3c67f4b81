package org.sieveml.benchmarks.ranking;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.Scorer;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.FmRanker;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.ranking.LinearRanker;

/**
 * The "no drift" check: serves {@code N} requests (default 100,000) of 500 candidates x 50
 * features through each ranker on one thread, timing every request, and prints the p99 of the first
 * and the last 10 % of requests, their ratio (a leak such as Tribuo's per-call DMatrix shows up as a
 * ratio far above 1) and the overall p99. The first 2,000 requests are warm-up and not counted.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.ranking.ScoringLatencyDrift [requests]
 * </pre>
 */
public final class ScoringLatencyDrift {
  private ScoringLatencyDrift() {}

  /**
   * Runs the check.
   *
   * @param args optional request count
   */
  public static void main(String[] args) {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int candidates = 500;
    int features = 50;
    Random r = new Random(42);
    List<FeatureSpec> specs = new ArrayList<>();
    for (int j = 0; j < features; j++) {
      specs.add(FeatureSpec.of("f" + j, FeatureType.DOUBLE));
    }
    FeatureSchema schema = FeatureSchema.of(specs);
    FeatureEncoder enc = FeatureEncoder.builder(schema).build();
    int n = 5000;
    double[][] cols = new double[features][n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int j = 0; j < features; j++) {
        cols[j][i] = r.nextGaussian();
        z += (j % 5 == 0 ? 1 : 0.1) * cols[j][i] * (j % 2 == 0 ? 1 : -1) + (j == 1 ? cols[0][i] * cols[1][i] : 0);
      }
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(n);
    for (int j = 0; j < features; j++) {
      fb.addDouble("f" + j, cols[j]);
    }
    FeatureFrame train = fb.build();
    List<Scorer> rankers = List.of(
        GbdtRanker.trainer(enc).name("gbdt-100x6").rounds(100).maxDepth(6).seed(1).threads(1).train(train, y, null),
        LinearRanker.trainer(enc).name("logistic").epochs(2).learningRate(0.1).seed(1).train(train, y, null),
        FmRanker.trainer(enc).name("fm-8").epochs(2).learningRate(0.05).factors(8).seed(1).train(train, y, null));
    List<FeatureVector> vectors = new ArrayList<>();
    List<Candidate> cs = new ArrayList<>();
    for (int i = 0; i < candidates; i++) {
      FeatureVector.Builder b = FeatureVector.builder(schema);
      for (int j = 0; j < features; j++) {
        b.setDouble(j, r.nextGaussian());
      }
      vectors.add(b.build());
      cs.add(Candidate.of("item" + i, 0, "bench"));
    }
    PipelineRequest request = PipelineRequest.of(EntityKey.of("user_id", 1L), 10);
    System.out.printf(Locale.ROOT, "# %d requests of %d candidates x %d features per ranker, one thread%n", requests,
        candidates, features);
    System.out.printf(Locale.ROOT, "%-12s %14s %14s %8s %12s%n", "ranker", "p99 first 10%", "p99 last 10%", "ratio",
        "p99 all");
    double sink = 0;
    for (Scorer s : rankers) {
      for (int w = 0; w < 2_000; w++) {
        sink += s.score(request, cs, vectors)[w % candidates];
      }
      long[] ns = new long[requests];
      for (int q = 0; q < requests; q++) {
        long t0 = System.nanoTime();
        sink += s.score(request, cs, vectors)[q % candidates];
        ns[q] = System.nanoTime() - t0;
      }
      int tenth = requests / 10;
      double first = p99(Arrays.copyOfRange(ns, 0, tenth));
      double last = p99(Arrays.copyOfRange(ns, requests - tenth, requests));
      System.out.printf(Locale.ROOT, "%-12s %11.1f us %11.1f us %8.3f %9.1f us%n", s.name(), first / 1000,
          last / 1000, last / first, p99(ns) / 1000);
    }
    if (sink == 42) {
      System.out.println();
    }
  }

  private static double p99(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[(int) Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)];
  }
}
