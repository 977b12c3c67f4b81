package org.sieveml.ranking;

/** Argument checks shared by the trainers. */
final class Checks {
  private Checks() {}

  static void trainingData(double[][] rows, double[] labels, double[] weights, int width, boolean binary) {
    if (rows == null || rows.length == 0) {
      throw new IllegalArgumentException("training set is empty; expected at least one row");
    }
    for (int i = 0; i < rows.length; i++) {
      if (rows[i].length != width) {
        throw new IllegalArgumentException("row " + i + " has " + rows[i].length + " columns; expected " + width);
      }
    }
    labels(rows.length, labels, weights, binary);
  }

  static void labels(int rows, double[] labels, double[] weights, boolean binary) {
    if (rows == 0) {
      throw new IllegalArgumentException("training set is empty; expected at least one row");
    }
    if (labels == null || labels.length != rows) {
      throw new IllegalArgumentException("labels has " + (labels == null ? "null" : labels.length)
          + " entries; expected one per row (" + rows + ")");
    }
    if (weights != null && weights.length != rows) {
      throw new IllegalArgumentException("weights has " + weights.length + " entries; expected " + rows);
    }
    boolean pos = false;
    boolean neg = false;
    for (int i = 0; i < rows; i++) {
      double y = labels[i];
      if (!Double.isFinite(y)) {
        throw new IllegalArgumentException("labels[" + i + "] is " + y + "; expected a finite value");
      }
      if (binary) {
        if (y != 0 && y != 1) {
          throw new IllegalArgumentException("labels[" + i + "] is " + y + "; expected 0 or 1");
        }
        pos |= y == 1;
        neg |= y == 0;
      }
      if (weights != null && !(weights[i] > 0 && Double.isFinite(weights[i]))) {
        throw new IllegalArgumentException("weights[" + i + "] is " + weights[i] + "; expected a positive finite value");
      }
    }
    if (binary && !(pos && neg)) {
      throw new IllegalArgumentException(
          "training labels hold a single class (" + (pos ? "1" : "0") + "); expected both 0 and 1");
    }
  }
}
