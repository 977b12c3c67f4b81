package org.sieveml.retrieval.internal.embed;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The PCA embedding file: a versioned header, the fit's parameters, the mean, the kept eigenvalues and
 * the projection, and a trailer with the body's length and CRC32C, verified over the whole file before any
 * field is parsed. Every count is checked against the bytes that remain before anything is allocated. No
 * Java deserialization.
 *
 * <p>Layout of version 1, big-endian: {@code "SVMLPCA1"}, int version 1, int input dimension, int
 * components, byte flags (1 = centered, 2 = whitened), double whitening regularization, long seed, int
 * sample size (0: all rows), int rows fitted, double total variance, then the mean (input dimension
 * floats), the eigenvalues (components doubles) and the projection (components x input dimension floats,
 * row-major, whitening scale applied). Trailer: long body length, int CRC32C of the body.
 *
 * <p>Thread-safety: stateless.
 */
public final class PcaFormat {
  /** The file's first bytes. */
  public static final byte[] MAGIC = "SVMLPCA1".getBytes(StandardCharsets.US_ASCII);
  /** The version this writes and reads. */
  public static final int VERSION = 1;
  private static final int TRAILER = 12;

  private PcaFormat() {}

  /**
   * A fitted projection, as stored.
   *
   * @param inputDimension the input width
   * @param components the output width
   * @param centered whether the mean is subtracted
   * @param whitened whether each component is scaled to unit variance
   * @param regularization added to each eigenvalue before whitening
   * @param seed the sampling seed
   * @param sampleSize the row sample bound (0: all)
   * @param rows rows the fit used
   * @param totalVariance the trace of the covariance
   * @param mean the mean (zeros when not centered)
   * @param eigenvalues the kept eigenvalues, largest first
   * @param weights the projection, row-major
   */
  public record Fit(int inputDimension, int components, boolean centered, boolean whitened, double regularization,
      long seed, int sampleSize, int rows, double totalVariance, float[] mean, double[] eigenvalues,
      float[] weights) {}

  /**
   * Serializes a fit.
   *
   * @param f the fit
   * @return the file's bytes, trailer included
   */
  public static byte[] write(Fit f) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 4 * f.inputDimension() * (1 + f.components()));
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(f.inputDimension());
      out.writeInt(f.components());
      out.writeByte((f.centered() ? 1 : 0) | (f.whitened() ? 2 : 0));
      out.writeDouble(f.regularization());
      out.writeLong(f.seed());
      out.writeInt(f.sampleSize());
      out.writeInt(f.rows());
      out.writeDouble(f.totalVariance());
      for (float x : f.mean()) {
        out.writeFloat(x);
      }
      for (double x : f.eigenvalues()) {
        out.writeDouble(x);
      }
      for (float x : f.weights()) {
        out.writeFloat(x);
      }
      out.flush();
      int bodyLength = bytes.size();
      CRC32C crc = new CRC32C();
      crc.update(bytes.toByteArray(), 0, bodyLength);
      out.writeLong(bodyLength);
      out.writeInt((int) crc.getValue());
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes a fit to a temporary file beside {@code file}, forces it to disk, renames it into place and forces
   * the directory: after a crash or a power loss the destination holds the old file or the new one, whole.
   *
   * @param f the fit
   * @param file the destination
   * @throws UncheckedIOException when it cannot be written (the destination is then unchanged)
   */
  public static void save(Fit f, Path file) {
    byte[] data = write(f);
    Path tmp = null;
    try {
      Path dir = file.toAbsolutePath().getParent();
      tmp = Files.createTempFile(dir, ".pca-", ".tmp");
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
          java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(data);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true); // the bytes are on disk before the name points at them
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      try (java.nio.channels.FileChannel d = java.nio.channels.FileChannel.open(dir,
          java.nio.file.StandardOpenOption.READ)) {
        d.force(true); // the rename survives a power loss
      } catch (IOException notSupported) {
        // some platforms cannot open a directory; the rename is then as durable as the OS makes it
      }
    } catch (IOException e) {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort
        }
      }
      throw new UncheckedIOException("cannot write the PCA model to " + file + ": " + e, e);
    }
  }

  /**
   * Reads a fit back.
   *
   * @param file the file
   * @return the fit
   * @throws UncheckedIOException when it cannot be read
   * @throws IllegalArgumentException when it is not a valid PCA file of this version (truncated, corrupt,
   *     another version), naming what is wrong
   */
  public static Fit load(Path file) {
    byte[] data;
    try {
      data = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the PCA model " + file + ": " + e, e);
    }
    return read(data, file.toString());
  }

  /**
   * Parses a file's bytes.
   *
   * @param data the bytes
   * @param source a name for messages
   * @return the fit
   * @throws IllegalArgumentException when the bytes are not a valid PCA file
   */
  public static Fit read(byte[] data, String source) {
    if (data.length < MAGIC.length + TRAILER || !Arrays.equals(data, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new IllegalArgumentException(source + " is not a SieveML PCA model (no " + new String(MAGIC,
          StandardCharsets.US_ASCII) + " header)");
    }
    ByteBuffer trailer = ByteBuffer.wrap(data, data.length - TRAILER, TRAILER);
    long bodyLength = trailer.getLong();
    int stored = trailer.getInt();
    if (bodyLength != data.length - TRAILER) {
      throw new IllegalArgumentException(source + " is truncated or padded: the trailer gives a body of " + bodyLength
          + " bytes, the file holds " + (data.length - TRAILER));
    }
    CRC32C crc = new CRC32C();
    crc.update(data, 0, (int) bodyLength);
    if ((int) crc.getValue() != stored) {
      throw new IllegalArgumentException(source + " is corrupt: CRC32C " + Integer.toHexString((int) crc.getValue())
          + " does not match the stored " + Integer.toHexString(stored));
    }
    ByteBuffer in = ByteBuffer.wrap(data, MAGIC.length, (int) bodyLength - MAGIC.length);
    try {
      int version = in.getInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(source + " has format version " + version + "; this library reads "
            + VERSION);
      }
      int dim = in.getInt();
      int comps = in.getInt();
      if (dim < 1 || comps < 1 || comps > dim) {
        throw new IllegalArgumentException(source + " declares " + comps + " components of dimension " + dim);
      }
      int flags = in.get();
      double reg = in.getDouble();
      long seed = in.getLong();
      int sampleSize = in.getInt();
      int rows = in.getInt();
      double total = in.getDouble();
      long need = 4L * dim + 8L * comps + 4L * comps * dim;
      if (need != in.remaining()) {
        throw new IllegalArgumentException(source + " holds " + in.remaining() + " bytes of parameters; " + comps
            + " components of dimension " + dim + " need " + need);
      }
      float[] mean = new float[dim];
      for (int i = 0; i < dim; i++) {
        mean[i] = in.getFloat();
      }
      double[] eig = new double[comps];
      for (int i = 0; i < comps; i++) {
        eig[i] = in.getDouble();
      }
      float[] w = new float[comps * dim];
      for (int i = 0; i < w.length; i++) {
        w[i] = in.getFloat();
        if (!Float.isFinite(w[i])) {
          throw new IllegalArgumentException(source + ": projection weight " + i + " is " + w[i]);
        }
      }
      return new Fit(dim, comps, (flags & 1) != 0, (flags & 2) != 0, reg, seed, sampleSize, rows, total, mean, eig, w);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException(source + " ends inside its header", e);
    }
  }
}
