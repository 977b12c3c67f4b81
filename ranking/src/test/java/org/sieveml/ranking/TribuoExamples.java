package org.sieveml.ranking;

import java.util.ArrayList;
import java.util.List;
import org.tribuo.Output;
import org.tribuo.impl.ArrayExample;
import org.tribuo.regression.Regressor;

/** Tribuo examples built from an encoded dense row, to score rows through Tribuo itself in tests. */
final class TribuoExamples {
  private TribuoExamples() {}

  /** An example of the non-zero, non-missing columns (Tribuo's examples are sparse). */
  static <T extends Output<T>> ArrayExample<T> example(String[] names, double[] row, T label, float weight) {
    List<String> n = new ArrayList<>();
    List<Double> v = new ArrayList<>();
    for (int j = 0; j < row.length; j++) {
      if (row[j] == row[j] && row[j] != 0) {
        n.add(names[j]);
        v.add(row[j]);
      }
    }
    if (n.isEmpty() && names.length > 0) {
      n.add(names[0]);
      v.add(0.0);
    }
    double[] vals = new double[v.size()];
    for (int j = 0; j < vals.length; j++) {
      vals[j] = v.get(j);
    }
    ArrayExample<T> e = new ArrayExample<>(label, n.toArray(new String[0]), vals);
    e.setWeight(weight);
    return e;
  }

  /** A regression example. */
  static ArrayExample<Regressor> example(String[] names, double[] row, double target) {
    return example(names, row, new Regressor(LinearRegressor.TARGET, target), 1f);
  }
}
