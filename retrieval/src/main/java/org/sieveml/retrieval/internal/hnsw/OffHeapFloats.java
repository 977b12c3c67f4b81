package org.sieveml.retrieval.internal.hnsw;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Float vectors in a memory-mapped scratch file, one mapping per graph segment: the full-precision
 * copies a quantized graph re-scores its best candidates with, off the Java heap (the OS pages them in
 * and out). The file is deleted as soon as it is open (where the OS allows; else on exit): it is scratch
 * space, not a saved format — {@code HnswFormat} saves the floats in the index file. Thread-safe for
 * writes to distinct vectors and reads of published ones.
 */
final class OffHeapFloats {
  private final FileChannel channel;
  private final long segmentBytes;

  OffHeapFloats(Path dir, int segmentNodes, int dim) {
    this.segmentBytes = (long) segmentNodes * dim * 4;
    try {
      Files.createDirectories(dir);
      Path file = Files.createTempFile(dir, "sieveml-hnsw-", ".floats");
      channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        Files.delete(file);
      } catch (IOException e) {
        file.toFile().deleteOnExit();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the off-heap vector file in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Maps segment {@code index} (the file grows to hold it). */
  FloatBuffer map(int index) {
    try {
      MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_WRITE, index * segmentBytes, segmentBytes);
      return m.order(ByteOrder.nativeOrder()).asFloatBuffer();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot map the off-heap vector file: " + e.getMessage(), e);
    }
  }
}
