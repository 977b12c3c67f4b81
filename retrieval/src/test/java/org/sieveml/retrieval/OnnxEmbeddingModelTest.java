package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ONNX embedding model on graphs this test writes itself (ONNX protobuf, as ranking's export does): a
 * {@code MatMul + Add} graph holding a fitted PCA embeds like the PCA, in batches split by {@code maxBatch};
 * a plain {@code MatMul} over an image-shaped input {@code [batch, 1, 4, 4]} gives the matrix product; names
 * are checked; a closed model refuses to embed; and where ONNX Runtime is absent (a class loader that cannot
 * see it) building fails naming the library while the rest of the module works.
 */
class OnnxEmbeddingModelTest {
  @TempDir Path dir;

  static ValueInfoProto floatTensor(String name, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String) {
        dim.setDimParam((String) d);
      } else {
        dim.setDimValue(((Number) d).longValue());
      }
      shape.addDim(dim);
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
        TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
  }

  static TensorProto tensor(String name, float[] values, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT.getNumber());
    for (long d : dims) {
      t.addDims(d);
    }
    for (float f : values) {
      t.addFloatData(f);
    }
    return t.build();
  }

  static NodeProto node(String op, String output, String... inputs) {
    NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(output).addOutput(output);
    for (String i : inputs) {
      n.addInput(i);
    }
    return n.build();
  }

  static Path write(GraphProto graph, Path file) throws Exception {
    byte[] bytes = ModelProto.newBuilder().setIrVersion(7).setProducerName("SieveML test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(graph).build()
        .toByteArray();
    Files.write(file, bytes);
    return file;
  }

  /** {@code embedding = pixels · W^T + b} for a fitted PCA, batch dimension symbolic. */
  static Path pcaGraph(PcaEmbeddingModel pca, Path file) throws Exception {
    int d = pca.inputDimension();
    int k = pca.dimension();
    float[][] w = pca.weights();
    float[] wt = new float[d * k];
    for (int i = 0; i < d; i++) {
      for (int c = 0; c < k; c++) {
        wt[i * k + c] = w[c][i];
      }
    }
    GraphProto g = GraphProto.newBuilder().setName("pca")
        .addInput(floatTensor("pixels", "batch", d))
        .addOutput(floatTensor("embedding", "batch", k))
        .addInitializer(tensor("w", wt, d, k))
        .addInitializer(tensor("b", pca.bias(), k))
        .addNode(node("MatMul", "projected", "pixels", "w"))
        .addNode(node("Add", "embedding", "projected", "b"))
        .build();
    return write(g, file);
  }

  @Test
  void aMatMulAddGraphEmbedsLikeThePcaItHolds() throws Exception {
    int d = 30;
    float[][] x = PcaEmbeddingModelTest.planted(600, new double[] {9, 6, 4, 3, 2, 1, 0.5}, PcaEmbeddingModelTest.basis(d,
        11), 12);
    PcaEmbeddingModel pca = PcaEmbeddingModel.builder(6).whiten(true).fit(x);
    Path file = pcaGraph(pca, dir.resolve("pca.onnx"));
    try (OnnxEmbeddingModel onnx = OnnxEmbeddingModel.builder(file).inputName("pixels").outputName("embedding")
        .intraOpThreads(1).maxBatch(128).build()) {
      assertEquals(d, onnx.inputDimension());
      assertEquals(6, onnx.dimension());
      float[][] batch = onnx.embed(x);
      float[][] want = pca.embed(x);
      double maxDiff = 0;
      for (int r = 0; r < x.length; r++) {
        assertEquals(6, batch[r].length);
        for (int c = 0; c < 6; c++) {
          maxDiff = Math.max(maxDiff, Math.abs(batch[r][c] - want[r][c]));
        }
      }
      // whitened components are O(1); float32 MatMul vs the double sum rounded once
      assertTrue(maxDiff < 1e-4, "max |onnx - pca| = " + maxDiff);
      float[] one = onnx.embed(x[7]);
      for (int c = 0; c < 6; c++) {
        assertEquals(want[7][c], one[c], 1e-4);
      }
      assertTrue(assertThrows(IllegalArgumentException.class, () -> onnx.embed(new float[d + 1])).getMessage()
          .contains("expected " + d));
      onnx.close();
      assertThrows(IllegalStateException.class, () -> onnx.embed(x[0]));
    }
  }

  @Test
  void concurrentEmbedsShareOneSessionAndAgreeWithThePca() throws Exception {
    int d = 20;
    float[][] x = PcaEmbeddingModelTest.planted(400, new double[] {5, 4, 3, 2, 1}, PcaEmbeddingModelTest.basis(d, 31),
        32);
    PcaEmbeddingModel pca = PcaEmbeddingModel.builder(4).fit(x);
    float[][] want = pca.embed(x);
    Path file = pcaGraph(pca, dir.resolve("concurrent.onnx"));
    try (OnnxEmbeddingModel onnx = OnnxEmbeddingModel.builder(file).intraOpThreads(1).maxBatch(16).build()) {
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        java.util.List<java.util.concurrent.Future<Double>> results = new java.util.ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int offset = t;
          results.add(pool.submit(() -> {
            double worst = 0;
            for (int round = 0; round < 25; round++) {
              int from = (offset * 37 + round * 13) % (x.length - 40);
              float[][] part = java.util.Arrays.copyOfRange(x, from, from + 1 + round);
              float[][] got = onnx.embed(part);
              for (int r = 0; r < got.length; r++) {
                for (int c = 0; c < 4; c++) {
                  worst = Math.max(worst, Math.abs(got[r][c] - want[from + r][c]) / (1 + Math.abs(want[from + r][c])));
                }
              }
            }
            return worst;
          }));
        }
        for (java.util.concurrent.Future<Double> f : results) {
          double worst = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
          assertTrue(worst < 1e-5, "relative |onnx - pca| under 4 threads: " + worst);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aPlainMatrixProductOverImageShapedInputWithDefaultNames() throws Exception {
    SplittableRandom r = new SplittableRandom(5);
    int d = 16;
    int k = 3;
    float[] m = new float[d * k];
    for (int i = 0; i < m.length; i++) {
      m[i] = (float) r.nextGaussian();
    }
    GraphProto g = GraphProto.newBuilder().setName("product")
        .addInput(floatTensor("image", "n", 1, 4, 4))
        .addOutput(floatTensor("out", "n", k))
        .addInitializer(tensor("m", m, d, k))
        .addNode(NodeProto.newBuilder().setOpType("Flatten").setName("flat").addInput("image").addOutput("flat")
            .addAttribute(ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("axis")
                .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.INT).setI(1)))
        .addNode(node("MatMul", "out", "flat", "m"))
        .build();
    Path file = write(g, dir.resolve("product.onnx"));
    float[][] x = new float[5][d];
    for (float[] row : x) {
      for (int i = 0; i < d; i++) {
        row[i] = (float) r.nextGaussian();
      }
    }
    try (OnnxEmbeddingModel onnx = OnnxEmbeddingModel.builder(file).build()) {
      assertEquals("image", onnx.inputName());
      assertEquals("out", onnx.outputName());
      assertEquals(d, onnx.inputDimension());
      float[][] y = onnx.embed(x);
      for (int n = 0; n < x.length; n++) {
        for (int c = 0; c < k; c++) {
          double s = 0;
          for (int i = 0; i < d; i++) {
            s += (double) x[n][i] * m[i * k + c];
          }
          assertEquals(s, y[n][c], 1e-4, "row " + n + " column " + c);
        }
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxEmbeddingModel.builder(file).inputName("pixels").build());
    assertTrue(e.getMessage().contains("no input 'pixels'") && e.getMessage().contains("[image]"), e.getMessage());
    Path garbage = Files.writeString(dir.resolve("garbage.onnx"), "not a graph");
    assertThrows(IllegalArgumentException.class, () -> OnnxEmbeddingModel.builder(garbage).build());
    assertThrows(java.io.UncheckedIOException.class,
        () -> OnnxEmbeddingModel.builder(dir.resolve("absent.onnx")).build());
  }

  @Test
  void withoutOnnxRuntimeBuildingFailsNamingTheLibraryAndPcaStillWorks() throws Exception {
    assertTrue(OnnxEmbeddingModel.runtimeAvailable(), "the test class path has ONNX Runtime");
    URL classes = OnnxEmbeddingModel.class.getProtectionDomain().getCodeSource().getLocation();
    // this module's classes only, over the platform loader: no ONNX Runtime, no other jar
    try (URLClassLoader bare = new URLClassLoader(new URL[] {classes}, ClassLoader.getPlatformClassLoader())) {
      Class<?> model = bare.loadClass(OnnxEmbeddingModel.class.getName());
      assertFalse((Boolean) model.getMethod("runtimeAvailable").invoke(null));
      Object builder = model.getMethod("builder", Path.class).invoke(null, dir.resolve("any.onnx"));
      Method build = builder.getClass().getMethod("build");
      InvocationTargetException e = assertThrows(InvocationTargetException.class, () -> build.invoke(builder));
      assertInstanceOf(IllegalStateException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("com.microsoft.onnxruntime:onnxruntime"), e.getCause().getMessage());
      // the PCA model does not need it
      Class<?> pca = bare.loadClass(PcaEmbeddingModel.class.getName());
      Object b = pca.getMethod("builder", int.class).invoke(null, 1);
      Object fitted = b.getClass().getMethod("fit", float[][].class).invoke(b, (Object) new float[][] {{0, 1}, {2, 3}});
      assertEquals(1, pca.getMethod("dimension").invoke(fitted));
    }
  }
}
