package org.sieveml.retrieval.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.sieveml.retrieval.Neighbor;

/**
 * Collects the {@code k} nearest of offered (id, distance) pairs; ties broken by id so results are
 * deterministic. Not thread-safe (one per search).
 */
public final class TopK {
  private static final Comparator<Neighbor> FARTHEST_FIRST =
      Comparator.comparingDouble(Neighbor::distance).thenComparing(Neighbor::id).reversed();

  private final int k;
  private final PriorityQueue<Neighbor> heap;

  /**
   * A collector.
   *
   * @param k how many to keep, positive
   */
  public TopK(int k) {
    this.k = k;
    // the heap grows with what is offered: a huge k (e.g. Integer.MAX_VALUE for "all") allocates nothing
    this.heap = new PriorityQueue<>(Math.min(k, 1_024) + 1, FARTHEST_FIRST);
  }

  /**
   * Offers a candidate.
   *
   * @param id its id
   * @param distance its distance
   */
  public void offer(String id, float distance) {
    if (heap.size() < k) {
      heap.add(new Neighbor(id, distance));
    } else {
      Neighbor worst = heap.peek();
      if (distance < worst.distance() || (distance == worst.distance() && id.compareTo(worst.id()) < 0)) {
        heap.poll();
        heap.add(new Neighbor(id, distance));
      }
    }
  }

  /**
   * The kept neighbours, nearest first.
   *
   * @return an unmodifiable list
   */
  public List<Neighbor> result() {
    List<Neighbor> out = new ArrayList<>(heap);
    out.sort(Collections.reverseOrder(FARTHEST_FIRST));
    return Collections.unmodifiableList(out);
  }
}
