package org.sieveml.ranking;

import java.util.List;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;

/**
 * The margin {@code w · x + b} of linear models over feature vectors, shared by {@link LinearRanker}
 * and {@link LinearRegressor}. Numeric-only encoders take a fused pass (sum first, and redo a row with
 * the encoder's checks only when the sum is not finite); others encode each row. Missing values
 * contribute 0; non-finite inputs are refused as the encoder refuses them. Stateless; thread-safe.
 */
final class LinearScoring {
  private LinearScoring() {}

  static double[] margins(FeatureEncoder encoder, double[] weights, double bias, List<FeatureVector> features) {
    double[] out = new double[features.size()];
    if (encoder.scalarOnly() && !features.isEmpty()) {
      FeatureSchema schema = features.get(0).schema();
      int[] cols = encoder.columnsIn(schema);
      boolean identity = isIdentity(cols);
      for (int i = 0; i < out.length; i++) {
        FeatureVector v = features.get(i);
        if (v.schema() != schema) {
          schema = v.schema();
          cols = encoder.columnsIn(schema);
          identity = isIdentity(cols);
        }
        double z = bias;
        if (identity) {
          for (int j = 0; j < cols.length; j++) {
            z += weights[j] * v.asDouble(j);
          }
        } else {
          for (int j = 0; j < cols.length; j++) {
            z += weights[j] * v.asDouble(cols[j]);
          }
        }
        if (z - z != 0) {
          // a missing value (NaN), a non-finite input or an overflow: redo the row with the checks
          z = checked(encoder, weights, bias, v, cols);
        }
        out[i] = z;
      }
      return out;
    }
    double[] row = new double[encoder.width()];
    for (int i = 0; i < out.length; i++) {
      encoder.encode(features.get(i), row, 0);
      out[i] = margin(weights, bias, row);
    }
    return out;
  }

  /** The margin of an encoded row; NaN (missing) columns contribute 0. */
  static double margin(double[] weights, double bias, double[] row) {
    double z = bias;
    for (int j = 0; j < weights.length; j++) {
      double x = row[j];
      if (x == x) {
        z += weights[j] * x;
      }
    }
    return z;
  }

  private static boolean isIdentity(int[] cols) {
    for (int j = 0; j < cols.length; j++) {
      if (cols[j] != j) {
        return false;
      }
    }
    return true;
  }

  private static double checked(FeatureEncoder encoder, double[] weights, double bias, FeatureVector v, int[] cols) {
    double z = bias;
    for (int j = 0; j < cols.length; j++) {
      double x = encoder.checkedValue(v, cols[j], j);
      if (x == x) { // missing values contribute 0
        z += weights[j] * x;
      }
    }
    return z;
  }
}
