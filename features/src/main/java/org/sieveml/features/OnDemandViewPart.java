package org.sieveml.features;

import org.sieveml.core.FeatureVector;
import org.sieveml.features.internal.Values;

/**
 * An {@link OnDemandFeatureView}'s behaviour, the same offline and online: its transform runs on the
 * request fields and the stored features it reads; online, its outputs take the worst status of those
 * stored inputs ({@link FeatureStatus#worst}) and the latest of their event times. Stateless,
 * thread-safe.
 */
final class OnDemandViewPart {

  private OnDemandViewPart() {}

  /** Copies a stored input: part, slot in the part, target builder and index. */
  @FunctionalInterface
  interface SlotCopier {
    void copy(int part, int slot, FeatureVector.Builder b, int idx);
  }

  /** Runs the transform of one on-demand view for one row. */
  static FeatureVector run(ResolvedService.OnDemandPart od, FeatureVector request, SlotCopier copier) {
    FeatureVector.Builder in = FeatureVector.builder(od.inputSchema);
    for (int k = 0; k < od.requestIndex.length; k++) {
      if (od.requestIndex[k] >= 0) {
        Values.copy(request, od.requestIndex[k], in, k);
      } else {
        copier.copy(od.partIndex[k], od.partSlot[k], in, k);
      }
    }
    FeatureVector.Builder outB = FeatureVector.builder(od.view.schema());
    od.view.transform().apply(in.build(), outB);
    return outB.build();
  }

  /** The worst status of the stored inputs of key {@code i} (PRESENT when it reads only request data). */
  static FeatureStatus status(ResolvedService.OnDemandPart od, ViewPart.Fetched[] fetched, int i) {
    FeatureStatus st = FeatureStatus.PRESENT;
    for (int k = 0; k < od.partIndex.length; k++) {
      if (od.partIndex[k] >= 0) {
        st = st.worst(fetched[od.partIndex[k]].status[i]);
      }
    }
    return st;
  }

  /** The latest event time of the stored inputs of key {@code i}, or {@code now} without any. */
  static long eventTime(ResolvedService.OnDemandPart od, ViewPart.Fetched[] fetched, int i, long now) {
    long t = Long.MIN_VALUE;
    boolean any = false;
    for (int k = 0; k < od.partIndex.length; k++) {
      if (od.partIndex[k] >= 0) {
        any = true;
        t = Math.max(t, fetched[od.partIndex[k]].eventTime[i]);
      }
    }
    return any ? t : now;
  }
}
