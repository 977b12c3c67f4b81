package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.pipeline.PipelineRequest;

class AnnCandidateGeneratorTest {
  @Test
  void nearestItemsFromContextEmbedding() {
    VectorIndex index = HnswVectorIndex.builder(2, VectorMetric.L2).build();
    index.add("a", new float[] {0, 0});
    index.add("b", new float[] {1, 0});
    index.add("c", new float[] {5, 5});
    AnnCandidateGenerator gen = AnnCandidateGenerator.of("ann", index, "embedding", 50);
    PipelineRequest req =
        PipelineRequest.builder(EntityKey.of("user", "u1"))
            .context("embedding", new float[] {0.9f, 0})
            .build();
    List<Candidate> out = gen.generate(req, 2);
    assertEquals(2, out.size());
    assertEquals("b", out.get(0).itemId());
    assertEquals("a", out.get(1).itemId());
    assertEquals("ann", out.get(0).source());
    assertTrue(out.get(0).retrievalScore() > out.get(1).retrievalScore());
    assertEquals(List.of(), gen.generate(PipelineRequest.of(EntityKey.of("user", "u1"), 5), 5));
    PipelineRequest wrongDim =
        PipelineRequest.builder(EntityKey.of("user", "u1")).context("embedding", new float[3]).build();
    assertThrows(IllegalArgumentException.class, () -> gen.generate(wrongDim, 2));
    assertThrows(IllegalArgumentException.class, () -> AnnCandidateGenerator.of(" ", index, "e", 1));
  }
}
