package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.Scorer;
import org.sieveml.core.pipeline.TwoStagePipeline;

/**
 * Runs the README's quick start, and checks that the README shows exactly this code, so the two
 * cannot drift apart.
 */
class QuickStartTest {

  @Test
  void quickStartRunsAndRanksByTheModel() {
    // quick-start:begin
    FeatureSchema schema = FeatureSchema.builder().addDouble("price").addLong("clicks_1h").build();

    CandidateGenerator popular = CandidateGenerator.of("popular", (request, limit) -> List.of(
        Candidate.of("book-1", 0.9, "popular"),
        Candidate.of("book-2", 0.7, "popular"),
        Candidate.of("book-3", 0.4, "popular")));

    FeatureSource features = FeatureSource.of("catalog", schema, (request, candidates) ->
        candidates.stream()
            .map(c -> FeatureVector.builder(schema)
                .setDouble("price", c.itemId().equals("book-2") ? 5.0 : 20.0)
                .setLong("clicks_1h", c.itemId().length())
                .build())
            .collect(Collectors.toList()));

    Scorer cheapFirst = Scorer.of("cheap-first", schema, v -> -v.getDouble("price"));

    TwoStagePipeline pipeline = TwoStagePipeline.builder()
        .name("books")
        .addCandidateGenerator(popular, 100)
        .featureSource(features)
        .scorer(cheapFirst)
        .build();

    PipelineResponse response = pipeline.execute(PipelineRequest.of(EntityKey.of("user_id", 42), 2));
    System.out.println(response.items());         // [book-2@popular=-5.0, book-1@popular=-20.0]
    System.out.println(response.isComplete());    // true: no stage degraded
    // quick-start:end

    assertEquals(List.of("book-2", "book-1"),
        response.items().stream().map(ScoredItem::itemId).collect(Collectors.toList()));
    assertEquals("[book-2@popular=-5.0, book-1@popular=-20.0]", response.items().toString());
    assertTrue(response.isComplete());
  }

  @Test
  void readmeShowsExactlyTheTestedQuickStart() throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.exists(root.resolve("README.md"))) {
      root = root.getParent();
    }
    assertTrue(root != null, "README.md not found above " + Path.of("").toAbsolutePath());
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String test = Files.readString(
        root.resolve("examples/src/test/java/org/sieveml/examples/QuickStartTest.java"), StandardCharsets.UTF_8);
    String tested = dedent(between(test, "    // quick-start:begin\n", "    // quick-start:end\n"));
    assertTrue(readme.contains("```java\n" + tested + "```"),
        "README.md must contain the quick start exactly as tested:\n" + tested);
  }

  private static String between(String s, String begin, String end) {
    int b = s.indexOf(begin);
    int e = s.indexOf(end);
    assertTrue(b >= 0 && e > b, "quick-start markers not found");
    return s.substring(b + begin.length(), e);
  }

  private static String dedent(String block) {
    return block.lines().map(l -> l.startsWith("    ") ? l.substring(4) : l)
        .collect(Collectors.joining("\n", "", "\n"));
  }
}
