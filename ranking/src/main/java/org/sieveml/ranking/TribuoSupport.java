package org.sieveml.ranking;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.sieveml.core.FeatureVector;
import org.sieveml.ranking.internal.ColumnSlots;
import org.tribuo.ImmutableFeatureMap;
import org.tribuo.MutableDataset;
import org.tribuo.Output;
import org.tribuo.OutputFactory;
import org.tribuo.VariableInfo;
import org.tribuo.impl.ArrayExample;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * What the Tribuo-trained models share: datasets built from sparse rows (Tribuo's examples are sparse:
 * absent and zero columns are left out), the mapping of Tribuo's feature ids back to encoder columns, and
 * the linear part of scoring over slots. Stateless; thread-safe.
 */
final class TribuoSupport {
  private TribuoSupport() {}

  static <T extends Output<T>> MutableDataset<T> dataset(FeatureEncoder encoder, SparseRows rows,
      IntFunction<T> label, double[] weights, OutputFactory<T> factory) {
    MutableDataset<T> ds = new MutableDataset<>(
        new SimpleDataSourceProvenance("sieveml:" + abbreviated(encoder.signature()), factory), factory);
    Map<Integer, String> names = new HashMap<>();
    int[] rs = rows.rowStartArray();
    int[] cs = rows.columnArray();
    double[] vs = rows.valueArray();
    for (int i = 0; i < rows.rowCount(); i++) {
      int n = 0;
      for (int k = rs[i]; k < rs[i + 1]; k++) {
        n += vs[k] != 0 ? 1 : 0;
      }
      String[] fn;
      double[] fv;
      if (n == 0) {
        // every value missing or zero: Tribuo refuses an example without features, so carry one explicit
        // zero (it moves no weight, and the row still trains the bias)
        fn = new String[] {names.computeIfAbsent(0, encoder::columnName)};
        fv = new double[] {0.0};
      } else {
        fn = new String[n];
        fv = new double[n];
        int o = 0;
        for (int k = rs[i]; k < rs[i + 1]; k++) {
          if (vs[k] != 0) {
            fn[o] = names.computeIfAbsent(cs[k], encoder::columnName);
            fv[o++] = vs[k];
          }
        }
      }
      ArrayExample<T> e = new ArrayExample<>(label.apply(i), fn, fv);
      e.setWeight(weights == null ? 1f : (float) weights[i]);
      ds.add(e);
    }
    return ds;
  }

  private static String abbreviated(String s) {
    return s.length() <= 1000 ? s : s.substring(0, 1000) + "...";
  }

  /** The encoder column of each Tribuo feature id. */
  static int[] columnsOf(ImmutableFeatureMap fm, FeatureEncoder encoder) {
    int[] cols = new int[fm.size()];
    for (VariableInfo v : fm) {
      int c = encoder.columnOf(v.getName());
      if (c < 0) {
        throw new IllegalArgumentException("the model's feature '" + v.getName() + "' is no column of the encoder "
            + abbreviated(encoder.signature()));
      }
      cols[fm.getID(v.getName())] = c;
    }
    return cols;
  }

  /** Slots for the columns of a Tribuo model's features. */
  static ColumnSlots slots(int[] tribuoColumns, FeatureEncoder encoder) {
    return ColumnSlots.of(encoder.width(), tribuoColumns);
  }

  /**
   * Linear margins {@code w · x + b} of feature vectors over slot weights: numeric-only encoders take the
   * fused pass of {@link LinearScoring}; others go through sparse rows.
   */
  static double[] margins(FeatureEncoder encoder, ColumnSlots slots, double[] w, double[] interleaved, double bias,
      List<FeatureVector> features) {
    if (encoder.scalarOnly() && slots.identity()) {
      return LinearScoring.margins(encoder, w, bias, features);
    }
    return margins(encoder.encodeSparse(features), slots, w, interleaved, bias);
  }

  static double margin(SparseRows rows, int i, ColumnSlots slots, double[] w, double bias) {
    int[] rs = rows.rowStartArray();
    int[] cs = rows.columnArray();
    double[] vs = rows.valueArray();
    double z = bias;
    for (int k = rs[i]; k < rs[i + 1]; k++) {
      int s = slots.slot(cs[k]);
      if (s >= 0) {
        z += w[s] * vs[k];
      }
    }
    return z;
  }

  /**
   * Margins of sparse rows; with {@code interleaved} (weights laid out by {@link ColumnSlots#interleave}) each
   * entry costs one table read instead of a slot lookup and a weight read. Same sums in the same order.
   */
  static double[] margins(SparseRows rows, ColumnSlots slots, double[] w, double[] interleaved, double bias) {
    double[] out = new double[rows.rowCount()];
    if (interleaved == null) {
      for (int i = 0; i < out.length; i++) {
        out[i] = margin(rows, i, slots, w, bias);
      }
      return out;
    }
    int[] rs = rows.rowStartArray();
    int[] cs = rows.columnArray();
    double[] vs = rows.valueArray();
    for (int i = 0; i < out.length; i++) {
      double z = bias;
      for (int k = rs[i], end = rs[i + 1]; k < end; k++) {
        double wk = slots.valueOf(interleaved, cs[k]);
        if (wk != 0) {
          z += wk * vs[k];
        }
      }
      out[i] = z;
    }
    return out;
  }
}
