package org.sieveml.examples;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The README's run command: {@code java -jar examples/target/sieveml-examples.jar [--movielens DIR]
 * [--users N] [--items N] [--seed S] [--report FILE]}.
 *
 * <p>Runs the recommendation case study ({@link RecommendationStudy}) on its seeded embedded default
 * (no download, no external service), or on MovieLens 100k when {@code --movielens} names its
 * directory (e.g. {@code ../shared/data/movielens-100k}), printing what each stage did, the offline
 * quality against ALS alone and a popularity baseline, per-stage latency and a drift check; the HTML
 * report goes to {@code target/recommendation-report.html} unless {@code --report} says otherwise.
 *
 * <p><b>Reproducible.</b> The same arguments print the same text at any number of processors, except
 * the lines that carry a measured time, which {@link #isTimingLine} recognises: every clock reading is
 * printed as a number with a unit {@code ns}, {@code us} or {@code ms} (the stages' "in N ms" and the
 * latency table's rows), and no other figure is. {@code FlagshipDeterminismTest} checks it in two JVMs
 * with one and two processors. What makes it so: the data, ALS, the ranker's negative sampling and the
 * HNSW levels are seeded; the HNSW indexes are built with {@code reproducibleBuild(true)} (a parallel bulk
 * build's links depend on how its threads interleave); ALS solves each row on its own, so its thread count
 * (the processors) does not change it; the GBDT trains with a fixed two threads; the popularity and
 * trending lists break ties by id. A request over the pipeline's 2 s budget would degrade and change the
 * figures: the run prints {@code recs.degraded 0}.
 */
public final class Flagship {

  private Flagship() {}

  /**
   * Runs the study.
   *
   * @param args see the class comment
   */
  public static void main(String[] args) {
    int users = 3000;
    int items = 3000;
    long seed = 42;
    Path movieLens = null;
    Path report = Path.of("target", "recommendation-report.html");
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
          case "--seed":
            seed = Long.parseLong(v);
            break;
          case "--movielens":
            movieLens = Path.of(v);
            break;
          case "--report":
            report = Path.of(v);
            break;
          default:
            usage("unknown option " + a);
        }
      } catch (NumberFormatException e) {
        usage("option " + a + " needs a number, was '" + v + "'");
      }
    }
    if (movieLens != null && !Files.exists(movieLens.resolve("u.data"))) {
      usage("--movielens " + movieLens + ": no u.data there; expected the movielens-100k directory");
    }
    System.out.println("SieveML flagship: recommendation end to end (features -> ALS -> HNSW -> GBDT -> MMR)");
    RecData data = movieLens == null ? RecData.seeded(users, items, 12, 40, seed) : RecData.movieLens(movieLens);
    RecommendationStudy.run(data, seed, System.out, report);
  }

  /** A duration as printed: a number and a unit of time below the second. */
  private static final java.util.regex.Pattern DURATION =
      java.util.regex.Pattern.compile("\\d(?:\\.\\d+)?\\s?(?:ns|us|\u00b5s|ms)\\b");

  /**
   * Whether a printed line carries a measured time (and so differs between runs): it holds a number
   * followed by {@code ns}, {@code us}, {@code µs} or {@code ms}. Every other line of the flagship's output
   * is the same for the same arguments.
   *
   * @param line one printed line
   * @return true for a timing line
   */
  public static boolean isTimingLine(String line) {
    return DURATION.matcher(line).find();
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("usage: java -jar sieveml-examples.jar [--movielens DIR] [--users N] [--items N] [--seed S]"
        + " [--report FILE]");
    System.exit(2);
  }
}
