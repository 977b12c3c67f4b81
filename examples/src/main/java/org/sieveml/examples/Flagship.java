package org.sieveml.examples;

import java.util.Locale;

/**
 * The README's run command: {@code java -jar examples/target/sieveml-examples.jar [--users N]
 * [--items N] [--requests N] [--seed S]}.
 *
 * <p>Runs {@link PipelineDemo} on its seeded embedded default (no download, no external service) and
 * prints what each stage did, the offline quality against the planted ground truth and a popularity
 * baseline, and per-stage latency telemetry.
 */
public final class Flagship {

  private Flagship() {}

  /**
   * Runs the demo.
   *
   * @param args optional {@code --users}, {@code --items}, {@code --requests}, {@code --seed}
   */
  public static void main(String[] args) {
    int users = 1000;
    int items = 20_000;
    int requests = 5000;
    long seed = 42;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        usage("missing value after " + a);
      }
      String v = args[++i];
      try {
        switch (a) {
          case "--users":
            users = Integer.parseInt(v);
            break;
          case "--items":
            items = Integer.parseInt(v);
            break;
          case "--requests":
            requests = Integer.parseInt(v);
            break;
          case "--seed":
            seed = Long.parseLong(v);
            break;
          default:
            usage("unknown option " + a);
        }
      } catch (NumberFormatException e) {
        usage("option " + a + " needs a number, was '" + v + "'");
      }
    }
    System.out.println("SieveML flagship demo: two-stage recommendation on a seeded world");
    PipelineDemo.Result r = PipelineDemo.run(users, items, requests, seed, System.out);
    System.out.println();
    System.out.println("Offline quality (mean over requests, against the planted ground truth):");
    System.out.printf(Locale.ROOT, "  %-22s %10s %10s%n", "", "NDCG@10", "recall@10");
    System.out.printf(Locale.ROOT, "  %-22s %10.4f %10.4f%n", "two-stage pipeline", r.ndcgAt10(), r.recallAt10());
    System.out.printf(Locale.ROOT, "  %-22s %10.4f %10.4f%n", "popularity baseline", r.baselineNdcgAt10(),
        r.baselineRecallAt10());
    System.out.printf(Locale.ROOT, "  catalogue coverage of the pipeline: %.1f %%%n", 100 * r.coverage());
    System.out.println();
    System.out.println("Per-stage telemetry of the healthy pass (pipeline 'recs'):");
    System.out.print(r.telemetry().toTable());
    System.out.println();
    System.out.printf(Locale.ROOT, "Fault injection: %d of %d responses degraded (%d failures injected), "
        + "%d silently partial.%n", r.degradedResponses(), r.faultyRequests(), r.injectedFailures(),
        r.silentlyPartial());
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("usage: java -jar sieveml-examples.jar [--users N] [--items N] [--requests N] [--seed S]");
    System.exit(2);
  }
}
