package org.sieveml.examples;

import java.awt.image.BufferedImage;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * The images of the visual-search case study: 28 x 28 grey pixels in [0, 1] (1 = ink) with a class label,
 * from the MNIST test set ({@code ann-mnist-t10k}: IDX files, gzip) or from a seeded generator of
 * digit-like strokes; the edits that make near-duplicates (shifts, noise); a PNG data URI for the report.
 * Stateless helpers; the record is immutable by convention (its arrays are not copied).
 *
 * @param pixels one row of {@value #PIXELS} values in [0, 1] per image
 * @param labels the class of each image, 0 to 9
 * @param source where the images come from, for the report
 */
record VisualData(float[][] pixels, int[] labels, String source) {
  static final int SIDE = 28;
  static final int PIXELS = SIDE * SIDE;
  static final String MNIST_DIR = "ann-mnist-t10k";

  int size() {
    return labels.length;
  }

  /**
   * The data directory: {@code sieveml.data.dir}, else {@code SIEVEML_DATA_DIR}, else {@code ../shared/data}.
   *
   * @return the directory (it may not exist)
   */
  static Path defaultDataDir() {
    String d = System.getProperty("sieveml.data.dir");
    if (d == null || d.isBlank()) {
      d = System.getenv("SIEVEML_DATA_DIR");
    }
    return Path.of(d == null || d.isBlank() ? "../shared/data" : d);
  }

  /**
   * Whether the MNIST test set is under a data directory.
   *
   * @param dataDir the data directory
   * @return whether both IDX files are there
   */
  static boolean hasMnist(Path dataDir) {
    Path d = dataDir.resolve(MNIST_DIR);
    return Files.isRegularFile(d.resolve("t10k-images-idx3-ubyte.gz"))
        && Files.isRegularFile(d.resolve("t10k-labels-idx1-ubyte.gz"));
  }

  /**
   * Reads the first {@code limit} MNIST test images and labels.
   *
   * @param dataDir the data directory holding {@value #MNIST_DIR}
   * @param limit at most this many images (10,000 in the file)
   * @return the images, pixels scaled to [0, 1]
   * @throws UncheckedIOException when a file cannot be read or is not IDX
   */
  static VisualData mnist(Path dataDir, int limit) {
    Path d = dataDir.resolve(MNIST_DIR);
    try (DataInputStream img = idx(d.resolve("t10k-images-idx3-ubyte.gz"), 0x803);
        DataInputStream lab = idx(d.resolve("t10k-labels-idx1-ubyte.gz"), 0x801)) {
      int n = img.readInt();
      int rows = img.readInt();
      int cols = img.readInt();
      int nl = lab.readInt();
      if (rows != SIDE || cols != SIDE || n != nl) {
        throw new IOException("expected " + SIDE + "x" + SIDE + " images with one label each, got " + n + " of " + rows
            + "x" + cols + " and " + nl + " labels");
      }
      int m = Math.min(n, limit);
      float[][] px = new float[m][PIXELS];
      int[] labels = new int[m];
      byte[] buf = new byte[PIXELS];
      for (int i = 0; i < m; i++) {
        img.readFully(buf);
        for (int p = 0; p < PIXELS; p++) {
          px[i][p] = (buf[p] & 0xff) / 255f;
        }
        labels[i] = lab.readUnsignedByte();
      }
      return new VisualData(px, labels, "MNIST test set (" + m + " of " + n + " images, " + d + ")");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read MNIST from " + d + ": " + e.getMessage(), e);
    }
  }

  private static DataInputStream idx(Path file, int magic) throws IOException {
    InputStream raw = Files.newInputStream(file);
    DataInputStream in = new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw)));
    int m = in.readInt();
    if (m != magic) {
      in.close();
      throw new IOException(file + ": magic " + Integer.toHexString(m) + ", expected " + Integer.toHexString(magic));
    }
    return in;
  }

  /** Stroke templates of the ten classes: polylines in [0, 1]^2 (x right, y down). */
  private static final double[][][] STROKES = {
      {ellipse(0.5, 0.5, 0.26, 0.38, 14)},
      {{0.55, 0.12, 0.55, 0.88}, {0.55, 0.12, 0.42, 0.25}},
      {{0.25, 0.3, 0.35, 0.14, 0.6, 0.12, 0.72, 0.3, 0.62, 0.5, 0.25, 0.86, 0.78, 0.86}},
      {{0.25, 0.15, 0.7, 0.15, 0.72, 0.35, 0.45, 0.48, 0.72, 0.6, 0.72, 0.8, 0.5, 0.88, 0.25, 0.82}},
      {{0.62, 0.1, 0.22, 0.62, 0.8, 0.62}, {0.62, 0.1, 0.62, 0.9}},
      {{0.75, 0.12, 0.3, 0.12, 0.28, 0.45, 0.6, 0.42, 0.75, 0.6, 0.68, 0.82, 0.45, 0.88, 0.25, 0.8}},
      {{0.7, 0.12, 0.42, 0.3, 0.28, 0.62, 0.35, 0.85, 0.6, 0.88, 0.72, 0.7, 0.55, 0.55, 0.3, 0.62}},
      {{0.22, 0.14, 0.78, 0.14, 0.45, 0.88}},
      {ellipse(0.5, 0.3, 0.2, 0.17, 10), ellipse(0.5, 0.68, 0.24, 0.2, 12)},
      {ellipse(0.48, 0.32, 0.22, 0.2, 12), {0.7, 0.32, 0.66, 0.88}},
  };

  private static double[] ellipse(double cx, double cy, double rx, double ry, int points) {
    double[] p = new double[2 * (points + 1)];
    for (int i = 0; i <= points; i++) {
      double a = 2 * Math.PI * i / points;
      p[2 * i] = cx + rx * Math.sin(a);
      p[2 * i + 1] = cy - ry * Math.cos(a);
    }
    return p;
  }

  /**
   * Seeded digit-like images: each class's strokes under a random affine map (scale, rotation, shear,
   * shift of up to 2 pixels), with jittered control points, a random pen width and pixel noise. Classes
   * are balanced in expectation.
   *
   * @param n images
   * @param seed the seed
   * @return the images
   */
  static VisualData synthetic(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] px = new float[n][];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(10);
      px[i] = render(STROKES[labels[i]], r);
    }
    return new VisualData(px, labels, "seeded synthetic digit-like strokes (" + n + " images, seed " + seed + ")");
  }

  private static float[] render(double[][] strokes, SplittableRandom r) {
    double scale = 0.7 + 0.4 * r.nextDouble();
    double rot = (r.nextDouble() - 0.5) * 0.6;
    double shear = (r.nextDouble() - 0.5) * 0.8;
    double tx = (r.nextDouble() - 0.5) * 4;
    double ty = (r.nextDouble() - 0.5) * 4;
    double pen = 0.6 + 1.4 * r.nextDouble();
    double cos = Math.cos(rot);
    double sin = Math.sin(rot);
    int segments = 0;
    for (double[] s : strokes) {
      segments += s.length / 2 - 1;
    }
    double[] seg = new double[4 * segments];
    int k = 0;
    for (double[] s : strokes) {
      double px = 0;
      double py = 0;
      for (int p = 0; p < s.length / 2; p++) {
        double x = s[2 * p] - 0.5 + 0.07 * r.nextGaussian();
        double y = s[2 * p + 1] - 0.5 + 0.07 * r.nextGaussian();
        x += shear * y;
        double u = (cos * x - sin * y) * scale * 20 + 14 + tx;
        double v = (sin * x + cos * y) * scale * 20 + 14 + ty;
        if (p > 0) {
          seg[k++] = px;
          seg[k++] = py;
          seg[k++] = u;
          seg[k++] = v;
        }
        px = u;
        py = v;
      }
    }
    float[] img = new float[PIXELS];
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        double cx = x + 0.5;
        double cy = y + 0.5;
        double best = Double.MAX_VALUE;
        for (int s = 0; s < seg.length; s += 4) {
          best = Math.min(best, distance(cx, cy, seg[s], seg[s + 1], seg[s + 2], seg[s + 3]));
        }
        double ink = Math.max(0, Math.min(1, pen - best + 0.5));
        ink += 0.08 * r.nextGaussian();
        img[y * SIDE + x] = (float) Math.max(0, Math.min(1, ink));
      }
    }
    return img;
  }

  private static double distance(double px, double py, double ax, double ay, double bx, double by) {
    double dx = bx - ax;
    double dy = by - ay;
    double len = dx * dx + dy * dy;
    double t = len == 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len));
    double ex = ax + t * dx - px;
    double ey = ay + t * dy - py;
    return Math.sqrt(ex * ex + ey * ey);
  }

  /**
   * The image moved by {@code (dx, dy)} pixels; pixels moved in from outside are 0.
   *
   * @param img the image
   * @param dx columns to the right (negative: left)
   * @param dy rows down (negative: up)
   * @return a new image
   */
  static float[] shift(float[] img, int dx, int dy) {
    float[] out = new float[PIXELS];
    for (int y = 0; y < SIDE; y++) {
      int sy = y - dy;
      if (sy < 0 || sy >= SIDE) {
        continue;
      }
      for (int x = 0; x < SIDE; x++) {
        int sx = x - dx;
        if (sx >= 0 && sx < SIDE) {
          out[y * SIDE + x] = img[sy * SIDE + sx];
        }
      }
    }
    return out;
  }

  /**
   * The image moved so that the centre of mass of its ink (pixels above 0.3, weighted by how far above) sits
   * exactly at the centre, as MNIST's own preprocessing placed its digits: a sub-pixel shift with bilinear
   * interpolation. A copy shifted by whole pixels lands on the same image as its original (unless ink left the
   * frame); noise moves the centre by a fraction of a pixel only.
   *
   * @param img the image
   * @return a new image (a copy when there is no ink)
   */
  static float[] recentre(float[] img) {
    double m = 0;
    double sx = 0;
    double sy = 0;
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        double v = Math.max(0, img[y * SIDE + x] - 0.3);
        m += v;
        sx += v * x;
        sy += v * y;
      }
    }
    if (m == 0) {
      return img.clone();
    }
    // sample the source at (x - dx, y - dy)
    double dx = (SIDE - 1) / 2.0 - sx / m;
    double dy = (SIDE - 1) / 2.0 - sy / m;
    float[] out = new float[PIXELS];
    for (int y = 0; y < SIDE; y++) {
      double fy = y - dy;
      int y0 = (int) Math.floor(fy);
      double ty = fy - y0;
      for (int x = 0; x < SIDE; x++) {
        double fx = x - dx;
        int x0 = (int) Math.floor(fx);
        double tx = fx - x0;
        double v = (1 - tx) * (1 - ty) * pixel(img, x0, y0) + tx * (1 - ty) * pixel(img, x0 + 1, y0)
            + (1 - tx) * ty * pixel(img, x0, y0 + 1) + tx * ty * pixel(img, x0 + 1, y0 + 1);
        out[y * SIDE + x] = (float) v;
      }
    }
    return out;
  }

  private static float pixel(float[] img, int x, int y) {
    return x < 0 || y < 0 || x >= SIDE || y >= SIDE ? 0 : img[y * SIDE + x];
  }

  /**
   * The image with Gaussian noise of standard deviation {@code sigma} on every pixel, clipped to [0, 1].
   *
   * @param img the image
   * @param sigma the noise level
   * @param r the random source
   * @return a new image
   */
  static float[] noise(float[] img, double sigma, SplittableRandom r) {
    float[] out = new float[PIXELS];
    for (int p = 0; p < PIXELS; p++) {
      out[p] = (float) Math.max(0, Math.min(1, img[p] + sigma * r.nextGaussian()));
    }
    return out;
  }

  /**
   * A PNG data URI of an image, dark ink on white (ImageIO, 8-bit grey).
   *
   * @param img the image
   * @return {@code data:image/png;base64,...}
   */
  static String pngDataUri(float[] img) {
    BufferedImage b = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < SIDE; y++) {
      for (int x = 0; x < SIDE; x++) {
        int v = 255 - Math.round(255 * Math.max(0, Math.min(1, img[y * SIDE + x])));
        b.getRaster().setSample(x, y, 0, v);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(b, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
  }
}
