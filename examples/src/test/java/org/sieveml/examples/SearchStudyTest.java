package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search case study on a small generated corpus with known graded relevance. */
class SearchStudyTest {

  @TempDir
  Path tmp;

  @Test
  void learningToRankBeatsBm25AndEmbeddingsOnGradedRelevance() throws Exception {
    Path report = tmp.resolve("search.html");
    SearchStudy.Result r = SearchStudy.run(5000, 250, 11, new PrintStream(OutputStream.nullOutputStream()), report);
    double ltr = r.ndcg().get("ltr");
    double bm25 = r.ndcg().get("bm25");
    double emb = r.ndcg().get("embedding");
    assertTrue(r.testQueries() >= 90, "test queries " + r.testQueries());
    // BM25 sees words only; the ranker also learns quality from the noisy click-through rate
    assertTrue(ltr > bm25 + 0.15, "LTR NDCG@10 " + ltr + " vs BM25 " + bm25);
    assertTrue(ltr > emb + 0.15, "LTR NDCG@10 " + ltr + " vs embeddings " + emb);
    assertTrue(bm25 > 0.2 && emb > 0.1, "both first-stage retrievers find on-topic documents: " + r.ndcg());
    assertTrue(r.recallCandidates() > 0.3, "candidate recall " + r.recallCandidates());
    assertTrue(Files.readString(report).contains("NDCG@10"));
  }
}
