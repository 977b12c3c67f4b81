package org.sieveml.monitoring.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gradient-boosted regression trees for squared loss: a small, deterministic stand-in for the LightGBM
 * model NannyML's DLE trains. Features are cut into at most {@code bins} quantile bins of the training
 * values (NaN gets a bin of its own, after every number); each round fits a depth-limited tree to the
 * residuals of a seeded row subsample (best split by variance reduction, at least {@code minLeaf}
 * rows per leaf) and adds it with shrinkage {@code learningRate}. Training costs
 * O(rounds x depth x rows x features); prediction O(rounds x depth) per row. Immutable and
 * thread-safe once trained.
 */
public final class BoostedTrees {

  private final double[][] cuts;
  private final double base;
  private final List<int[]> treeFeature;
  private final List<int[]> treeBin;
  private final List<double[]> treeValue;

  private BoostedTrees(double[][] cuts, double base, List<int[]> f, List<int[]> b, List<double[]> v) {
    this.cuts = cuts;
    this.base = base;
    this.treeFeature = f;
    this.treeBin = b;
    this.treeValue = v;
  }

  /**
   * Trains on rows {@code x} (n x d, row-major) and targets {@code y}.
   *
   * @param x the rows
   * @param y the targets, finite
   * @param rounds number of trees
   * @param depth maximum tree depth
   * @param learningRate shrinkage
   * @param minLeaf minimum rows per leaf
   * @param subsample share of rows each tree sees
   * @param bins maximum quantile bins per feature
   * @param seed the subsampling seed
   * @return the model
   */
  public static BoostedTrees train(double[][] x, double[] y, int rounds, int depth, double learningRate,
      int minLeaf, double subsample, int bins, long seed) {
    int n = x.length;
    int d = x[0].length;
    double[][] cuts = new double[d][];
    int[][] binned = new int[d][n];
    int[] nBins = new int[d];
    for (int j = 0; j < d; j++) {
      cuts[j] = quantileCuts(x, j, bins);
      nBins[j] = cuts[j].length + 2;
      for (int i = 0; i < n; i++) {
        binned[j][i] = bin(cuts[j], x[i][j]);
      }
    }
    double base = 0;
    for (double v : y) {
      base += v;
    }
    base /= n;
    double[] pred = new double[n];
    Arrays.fill(pred, base);
    double[] resid = new double[n];
    SplittableRandom rnd = new SplittableRandom(seed);
    int sampleSize = Math.max(1, (int) Math.round(subsample * n));
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    int nodes = (1 << (depth + 1)) - 1;
    List<int[]> tf = new ArrayList<>();
    List<int[]> tb = new ArrayList<>();
    List<double[]> tv = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < n; i++) {
        resid[i] = y[i] - pred[i];
      }
      // partial Fisher-Yates: the first sampleSize entries are a uniform sample without replacement
      for (int i = 0; i < sampleSize; i++) {
        int k = i + rnd.nextInt(n - i);
        int t = all[i];
        all[i] = all[k];
        all[k] = t;
      }
      int[] rows = Arrays.copyOf(all, sampleSize);
      Arrays.sort(rows);
      int[] feat = new int[nodes];
      int[] thr = new int[nodes];
      double[] val = new double[nodes];
      Arrays.fill(feat, -1);
      grow(0, 0, rows, resid, binned, nBins, depth, minLeaf, learningRate, feat, thr, val);
      tf.add(feat);
      tb.add(thr);
      tv.add(val);
      for (int i = 0; i < n; i++) {
        int node = 0;
        while (feat[node] >= 0) {
          node = binned[feat[node]][i] <= thr[node] ? 2 * node + 1 : 2 * node + 2;
        }
        pred[i] += val[node];
      }
    }
    return new BoostedTrees(cuts, base, List.copyOf(tf), List.copyOf(tb), List.copyOf(tv));
  }

  private static void grow(int node, int level, int[] rows, double[] resid, int[][] binned, int[] nBins,
      int depth, int minLeaf, double lr, int[] feat, int[] thr, double[] val) {
    double total = 0;
    for (int i : rows) {
      total += resid[i];
    }
    int n = rows.length;
    val[node] = n == 0 ? 0 : lr * total / n;
    if (level >= depth || n < 2 * minLeaf) {
      return;
    }
    double parent = total * total / n;
    double bestGain = 1e-12;
    int bestF = -1;
    int bestB = -1;
    for (int j = 0; j < binned.length; j++) {
      double[] s = new double[nBins[j]];
      int[] c = new int[nBins[j]];
      int[] bj = binned[j];
      for (int i : rows) {
        s[bj[i]] += resid[i];
        c[bj[i]]++;
      }
      double sl = 0;
      int cl = 0;
      for (int b = 0; b < nBins[j] - 1; b++) {
        sl += s[b];
        cl += c[b];
        int cr = n - cl;
        if (cl < minLeaf) {
          continue;
        }
        if (cr < minLeaf) {
          break;
        }
        double sr = total - sl;
        double gain = sl * sl / cl + sr * sr / cr - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestF = j;
          bestB = b;
        }
      }
    }
    if (bestF < 0) {
      return;
    }
    int[] bj = binned[bestF];
    int nl = 0;
    for (int i : rows) {
      if (bj[i] <= bestB) {
        nl++;
      }
    }
    int[] left = new int[nl];
    int[] right = new int[n - nl];
    int a = 0;
    int b = 0;
    for (int i : rows) {
      if (bj[i] <= bestB) {
        left[a++] = i;
      } else {
        right[b++] = i;
      }
    }
    feat[node] = bestF;
    thr[node] = bestB;
    grow(2 * node + 1, level + 1, left, resid, binned, nBins, depth, minLeaf, lr, feat, thr, val);
    grow(2 * node + 2, level + 1, right, resid, binned, nBins, depth, minLeaf, lr, feat, thr, val);
  }

  private static double[] quantileCuts(double[][] x, int j, int bins) {
    double[] v = new double[x.length];
    int m = 0;
    for (double[] row : x) {
      if (!Double.isNaN(row[j])) {
        v[m++] = row[j];
      }
    }
    if (m == 0) {
      return new double[0];
    }
    v = Arrays.copyOf(v, m);
    Arrays.sort(v);
    double[] c = new double[bins];
    int k = 0;
    for (int q = 1; q < bins; q++) {
      double cut = v[(int) ((long) q * (m - 1) / bins)];
      if (cut < v[m - 1] && (k == 0 || cut > c[k - 1])) {
        c[k++] = cut;
      }
    }
    return Arrays.copyOf(c, k);
  }

  /** Bin of {@code v}: the number of cuts below it; NaN goes after every number. */
  private static int bin(double[] cut, double v) {
    if (Double.isNaN(v)) {
      return cut.length + 1;
    }
    int lo = 0;
    int hi = cut.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cut[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The model's prediction for one row.
   *
   * @param row the features, same width as in training
   * @return the prediction
   */
  public double predict(double[] row) {
    double p = base;
    int[] rowBins = new int[cuts.length];
    for (int j = 0; j < cuts.length; j++) {
      rowBins[j] = bin(cuts[j], row[j]);
    }
    for (int t = 0; t < treeFeature.size(); t++) {
      int[] feat = treeFeature.get(t);
      int[] thr = treeBin.get(t);
      int node = 0;
      while (feat[node] >= 0) {
        node = rowBins[feat[node]] <= thr[node] ? 2 * node + 1 : 2 * node + 2;
      }
      p += treeValue.get(t)[node];
    }
    return p;
  }
}
