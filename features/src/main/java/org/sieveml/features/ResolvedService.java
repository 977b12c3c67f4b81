package org.sieveml.features;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.internal.Values;

/**
 * A feature service resolved against one registry snapshot: which features of which views to read,
 * where each lands in the output, and how on-demand views get their inputs. Immutable.
 */
final class ResolvedService {

  /** The features read from one stored (feature or aggregation) view. */
  static final class StoredPart {
    final ViewDefinition view;
    /** Indices into the view's schema, ascending. */
    final int[] featureIndex;
    /** Output position of each read feature, or -1 when it is only an on-demand input. */
    final int[] outputPosition;
    /** The schema of the read features, in slot order. */
    final FeatureSchema slots;

    StoredPart(ViewDefinition view, int[] featureIndex, int[] outputPosition) {
      this.view = view;
      this.featureIndex = featureIndex;
      this.outputPosition = outputPosition;
      List<FeatureSpec> specs = new ArrayList<>(featureIndex.length);
      for (int fi : featureIndex) {
        specs.add(view.schema().get(fi));
      }
      this.slots = FeatureSchema.of(specs);
    }
  }

  /** One on-demand view and where its inputs come from. */
  static final class OnDemandPart {
    final OnDemandFeatureView view;
    /** Request fields first, then {@code view:feature} inputs. */
    final FeatureSchema inputSchema;
    /** For each input: the request-schema index of a request field, else -1. */
    final int[] requestIndex;
    /** For each input: the stored part index, else -1. */
    final int[] partIndex;
    /** For each input: the slot in that part's {@code featureIndex}, else -1. */
    final int[] partSlot;
    /** Output position of each of the view's outputs, or -1 when not selected. */
    final int[] outputPosition;

    OnDemandPart(OnDemandFeatureView view, FeatureSchema inputSchema, int[] requestIndex, int[] partIndex,
        int[] partSlot, int[] outputPosition) {
      this.view = view;
      this.inputSchema = inputSchema;
      this.requestIndex = requestIndex;
      this.partIndex = partIndex;
      this.partSlot = partSlot;
      this.outputPosition = outputPosition;
    }
  }

  final FeatureService service;
  final FeatureSchema outputSchema;
  final FeatureSchema requestSchema;
  final List<StoredPart> stored;
  final List<OnDemandPart> onDemand;
  /** For each output column, the view and feature it comes from. */
  final List<FeatureRef> outputSource;
  /** True when the output is exactly one stored view's schema, in order, with no on-demand views. */
  final boolean wholeSingleView;
  private final FeatureVector defaults;

  private ResolvedService(FeatureService service, FeatureSchema outputSchema, FeatureSchema requestSchema,
      List<StoredPart> stored, List<OnDemandPart> onDemand, List<FeatureRef> outputSource) {
    this.service = service;
    this.outputSchema = outputSchema;
    this.requestSchema = requestSchema;
    this.stored = stored;
    this.onDemand = onDemand;
    this.outputSource = outputSource;
    boolean whole = stored.size() == 1 && onDemand.isEmpty() && stored.get(0).view.schema().equals(outputSchema);
    this.wholeSingleView = whole;
    if (whole && stored.get(0).view instanceof FeatureView) {
      FeatureView fv = (FeatureView) stored.get(0).view;
      FeatureVector.Builder b = FeatureVector.builder(outputSchema);
      for (int i = 0; i < outputSchema.size(); i++) {
        Values.setDefault(b, i, fv.defaultValue(outputSchema.get(i).name()));
      }
      this.defaults = b.build();
    } else {
      this.defaults = null;
    }
  }

  /** The defaults vector of a whole single feature view (what its keys that are not PRESENT get), else null. */
  FeatureVector defaults() {
    return defaults;
  }

  /**
   * Resolves a service against a map of views by name, validating every reference.
   *
   * @throws IllegalArgumentException naming the bad reference
   */
  static ResolvedService resolve(FeatureService svc, Map<String, ViewDefinition> views) {
    String where = "feature service '" + svc.name() + "'";
    // 1. output columns in selection order
    List<FeatureSpec> out = new ArrayList<>();
    List<FeatureRef> outSrc = new ArrayList<>();
    Map<String, FeatureRef> byOutName = new LinkedHashMap<>();
    for (FeatureService.Selection sel : svc.selections()) {
      ViewDefinition v = views.get(sel.view());
      if (v == null) {
        throw new IllegalArgumentException(where + " selects unknown view '" + sel.view() + "'; known views: "
            + views.keySet());
      }
      List<String> names = sel.features().isEmpty() ? v.schema().names() : sel.features();
      for (String f : names) {
        if (!v.schema().contains(f)) {
          throw new IllegalArgumentException(where + " selects unknown feature '" + f + "' of view '" + v.name()
              + "'; it has " + v.schema().names());
        }
        FeatureSpec spec = v.schema().get(v.schema().indexOf(f));
        String outName = svc.fullFeatureNames() ? v.name() + ":" + f : f;
        FeatureRef prev = byOutName.put(outName, FeatureRef.of(v.name(), f));
        if (prev != null) {
          throw new IllegalArgumentException(where + " has two features named '" + outName + "' (" + prev + " and "
              + v.name() + ":" + f + "): use fullFeatureNames(true) or select one");
        }
        out.add(rename(spec, outName));
        outSrc.add(FeatureRef.of(v.name(), f));
      }
    }
    FeatureSchema outputSchema = FeatureSchema.of(out);

    // 2. stored views: selected ones plus on-demand inputs
    Map<String, List<Integer>> wanted = new LinkedHashMap<>();
    List<OnDemandFeatureView> odvs = new ArrayList<>();
    for (FeatureRef r : outSrc) {
      ViewDefinition v = views.get(r.view());
      if (v instanceof OnDemandFeatureView) {
        if (!odvs.contains(v)) {
          odvs.add((OnDemandFeatureView) v);
        }
      } else {
        addWanted(wanted, v.name(), v.schema().indexOf(r.feature()));
      }
    }
    List<FeatureSpec> request = new ArrayList<>();
    for (OnDemandFeatureView odv : odvs) {
      for (FeatureRef in : odv.inputs()) {
        ViewDefinition v = views.get(in.view());
        if (v == null || v instanceof OnDemandFeatureView || !v.schema().contains(in.feature())) {
          throw new IllegalArgumentException("on-demand view '" + odv.name() + "' reads " + in
              + ", which is not a feature of a registered feature or aggregation view");
        }
        addWanted(wanted, v.name(), v.schema().indexOf(in.feature()));
      }
      for (FeatureSpec f : odv.requestSchema().specs()) {
        boolean seen = false;
        for (FeatureSpec g : request) {
          if (g.name().equals(f.name())) {
            seen = true;
            if (!g.equals(f)) {
              throw new IllegalArgumentException(where + ": request field '" + f.name() + "' is declared as " + g
                  + " and as " + f + " by different on-demand views");
            }
          }
        }
        if (!seen) {
          request.add(f);
        }
      }
    }
    List<StoredPart> stored = new ArrayList<>();
    Map<String, Integer> partOf = new LinkedHashMap<>();
    for (Map.Entry<String, List<Integer>> e : wanted.entrySet()) {
      ViewDefinition v = views.get(e.getKey());
      int[] idx = e.getValue().stream().mapToInt(Integer::intValue).sorted().toArray();
      int[] pos = new int[idx.length];
      for (int i = 0; i < idx.length; i++) {
        pos[i] = outSrc.indexOf(FeatureRef.of(v.name(), v.schema().get(idx[i]).name()));
      }
      partOf.put(v.name(), stored.size());
      stored.add(new StoredPart(v, idx, pos));
    }
    FeatureSchema requestSchema = FeatureSchema.of(request);

    // 3. on-demand parts
    List<OnDemandPart> od = new ArrayList<>();
    for (OnDemandFeatureView odv : odvs) {
      List<FeatureSpec> in = new ArrayList<>(odv.requestSchema().specs());
      int n = in.size() + odv.inputs().size();
      int[] reqIdx = new int[n];
      int[] partIdx = new int[n];
      int[] slot = new int[n];
      for (int i = 0; i < odv.requestSchema().size(); i++) {
        reqIdx[i] = requestSchema.indexOf(odv.requestSchema().get(i).name());
        partIdx[i] = -1;
        slot[i] = -1;
      }
      int i = odv.requestSchema().size();
      for (FeatureRef r : odv.inputs()) {
        ViewDefinition v = views.get(r.view());
        FeatureSpec spec = v.schema().get(v.schema().indexOf(r.feature()));
        in.add(rename(spec, r.toString()));
        reqIdx[i] = -1;
        partIdx[i] = partOf.get(v.name());
        StoredPart p = stored.get(partIdx[i]);
        int fi = v.schema().indexOf(r.feature());
        for (int s = 0; s < p.featureIndex.length; s++) {
          if (p.featureIndex[s] == fi) {
            slot[i] = s;
          }
        }
        i++;
      }
      int[] outPos = new int[odv.schema().size()];
      for (int o = 0; o < outPos.length; o++) {
        outPos[o] = outSrc.indexOf(FeatureRef.of(odv.name(), odv.schema().get(o).name()));
      }
      od.add(new OnDemandPart(odv, FeatureSchema.of(in), reqIdx, partIdx, slot, outPos));
    }
    return new ResolvedService(svc, outputSchema, requestSchema, Collections.unmodifiableList(stored),
        Collections.unmodifiableList(od), Collections.unmodifiableList(outSrc));
  }

  private static void addWanted(Map<String, List<Integer>> wanted, String view, int index) {
    List<Integer> l = wanted.computeIfAbsent(view, k -> new ArrayList<>());
    if (!l.contains(index)) {
      l.add(index);
    }
  }

  static FeatureSpec rename(FeatureSpec spec, String name) {
    return spec.dimension() > 0 ? FeatureSpec.embedding(name, spec.dimension()) : FeatureSpec.of(name, spec.type());
  }
}
