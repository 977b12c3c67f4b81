package org.sieveml.retrieval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.sieveml.core.Candidate;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.PipelineRequest;

/**
 * A {@link CandidateGenerator} that reads a query embedding ({@code float[]}) from the request
 * context and returns the nearest items of a {@link VectorIndex}. The retrieval score is the negated
 * distance, so larger is better and candidates come nearest first. A request without the embedding
 * yields no candidates; an embedding of the wrong type or dimension raises {@link
 * IllegalArgumentException} (the pipeline treats that as this source failing).
 *
 * <p>Thread-safety: immutable and thread-safe if the index is (all indexes in this package are).
 */
public final class AnnCandidateGenerator implements CandidateGenerator {
  private final String name;
  private final VectorIndex index;
  private final String contextKey;
  private final int ef;

  private AnnCandidateGenerator(String name, VectorIndex index, String contextKey, int ef) {
    this.name = name;
    this.index = index;
    this.contextKey = contextKey;
    this.ef = ef;
  }

  /**
   * Creates a generator.
   *
   * @param name generator name, non-blank
   * @param index the index to search, not null
   * @param contextKey request context key holding the {@code float[]} query embedding, non-blank
   * @param ef search effort per query, positive (raised to the limit when smaller)
   * @return the generator
   */
  public static AnnCandidateGenerator of(String name, VectorIndex index, String contextKey, int ef) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("name is '" + name + "', expected a non-blank name");
    }
    if (index == null) {
      throw new IllegalArgumentException("index must not be null");
    }
    if (contextKey == null || contextKey.isBlank()) {
      throw new IllegalArgumentException(
          "contextKey is '" + contextKey + "', expected a non-blank key");
    }
    if (ef <= 0) {
      throw new IllegalArgumentException("ef is " + ef + ", expected > 0");
    }
    return new AnnCandidateGenerator(name, index, contextKey, ef);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Candidate> generate(PipelineRequest request, int limit) {
    float[] query = request.context(contextKey, float[].class);
    if (query == null || limit <= 0) {
      return List.of();
    }
    List<Neighbor> hits = index.search(query, limit, Math.max(ef, limit));
    List<Candidate> out = new ArrayList<>(hits.size());
    for (Neighbor n : hits) {
      out.add(Candidate.of(n.id(), -n.distance(), name));
    }
    return Collections.unmodifiableList(out);
  }

  @Override
  public String toString() {
    return "AnnCandidateGenerator[" + name + ", key=" + contextKey + ", ef=" + ef + "]";
  }
}
