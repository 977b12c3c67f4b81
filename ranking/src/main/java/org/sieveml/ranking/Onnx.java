package org.sieveml.ranking;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import org.sieveml.ranking.internal.ColumnSlots;

/**
 * What the models' ONNX exports share: the input width bound, the metadata (name, encoder signature,
 * provenance), slot weights spread over encoder columns, and an atomic file write. Stateless; thread-safe.
 */
final class Onnx {
  /** The widest input an export accepts: its graph takes dense rows of the encoder's width. */
  static final int MAX_WIDTH = 1 << 20;

  private Onnx() {}

  static int width(Ranker r) {
    int w = r.encoder().width();
    if (w > MAX_WIDTH) {
      throw new IllegalArgumentException("model '" + r.name() + "' has an encoder " + w + " columns wide; an ONNX "
          + "export takes dense rows, at most " + MAX_WIDTH + " columns (use fewer hash buckets to export)");
    }
    return w;
  }

  static Map<String, String> metadata(Ranker r, String inputDescription) {
    Map<String, String> m = new TreeMap<>();
    m.put("sieveml.name", r.name());
    m.put("sieveml.encoder", r.encoder().signature());
    m.put("sieveml.output", r.outputKind().name());
    m.put("sieveml.input", inputDescription);
    r.provenance().toProperties().forEach((k, v) -> m.put("sieveml.provenance." + k, v));
    return m;
  }

  /** Slot values spread over the encoder's columns (columns without a slot are 0). */
  static double[] dense(ColumnSlots slots, double[] perSlot, int width, int stride) {
    double[] out = new double[width * stride];
    int[] cols = slots.columns();
    for (int s = 0; s < cols.length; s++) {
      System.arraycopy(perSlot, s * stride, out, cols[s] * stride, stride);
    }
    return out;
  }

  /** Writes the bytes to a temporary file beside {@code file}, then renames it into place. */
  static void write(byte[] model, Path file) {
    Path tmp = null;
    try {
      Path dir = file.toAbsolutePath().getParent();
      tmp = Files.createTempFile(dir, ".onnx-", ".tmp");
      Files.write(tmp, model);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort
        }
      }
      throw new UncheckedIOException("cannot write the ONNX model to " + file + ": " + e, e);
    }
  }
}
