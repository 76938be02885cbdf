package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.BitmaskSparseWeight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Precision;
import org.sparsej.weights.Sparse24Weight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.WeightFormat;

/**
 * Every op of the cuda backend against the Java oracle on odd sizes, outputs poisoned with NaN. Skipped, with the
 * reason, where no GPU can run (this build machine); ci/cuda-device-check.sh runs it on a GPU. Tolerances are
 * FP16's for matmuls (weights and activations are rounded to 16 bits, sums in FP32) and float rounding-order ones
 * for everything else.
 */
class CudaBackendMatchesJavaTest {
  private static final String REASON = CudaBackend.unavailableReason();
  private static JavaBackend oracle;
  private static CudaBackend gpu;

  @BeforeAll
  static void open() {
    oracle = new JavaBackend(2);
    if (REASON == null) {
      gpu = new CudaBackend();
    }
  }

  @AfterAll
  static void close() {
    oracle.close();
    if (gpu != null) {
      gpu.close();
    }
  }

  @BeforeEach
  void needsGpu() {
    assumeTrue(REASON == null, REASON);
  }

  static Tensor up(CudaBackend b, Tensor host) {
    Tensor d = b.allocate(DType.F32, host.shape());
    b.copyFromHost(d, 0, host.toFloatArray(), Math.toIntExact(host.size()));
    return d;
  }

  static Tensor down(CudaBackend b, Tensor d) {
    float[] values = new float[Math.toIntExact(d.size())];
    b.copyToHost(d, 0, values, 0, values.length);
    return Tensor.of(values, d.shape());
  }

  /** |expected - actual| <= absTol + relTol |expected|, and no NaN left from the poison. */
  static void assertNear(Tensor expected, Tensor actual, double absTol, double relTol, String what) {
    for (long i = 0; i < expected.size(); i++) {
      float e = expected.getFloat(i);
      float a = actual.getFloat(i);
      if (Float.isNaN(a)) {
        fail(what + ": element " + i + " was never written (still NaN)");
      }
      assertEquals(e, a, absTol + relTol * Math.abs(e), what + ": element " + i);
    }
  }

  @Test
  void rmsnormSoftmaxSwigluAdd() {
    RandomTensors random = new RandomTensors(21);
    for (int dim : new int[] {1, 37, 4103}) {
      Tensor x = random.uniform(3, dim);
      Tensor w = random.uniform(dim);
      Tensor expected = RandomTensors.poisoned(3, dim);
      oracle.rmsnorm(expected, x, w, 3, dim, 1e-5f);
      Tensor out = up(gpu, RandomTensors.poisoned(3, dim));
      gpu.rmsnorm(out, up(gpu, x), gpu.prepare(w), 3, dim, 1e-5f);
      assertNear(expected, down(gpu, out), 1e-5, 1e-4, "rmsnorm dim " + dim);
    }
    for (int n : new int[] {1, 7, 3001}) {
      Tensor x = random.uniform(n);
      Tensor d = up(gpu, x);
      oracle.softmax(x, n);
      gpu.softmax(d, n);
      assertNear(x, down(gpu, d), 1e-7, 1e-4, "softmax n " + n);
    }
    for (int n : new int[] {1, 1031}) {
      Tensor a = random.uniform(n);
      Tensor b = random.uniform(n);
      Tensor da = up(gpu, a);
      Tensor db = up(gpu, b);
      Tensor sum = RandomTensors.copy(a);
      Tensor dsum = up(gpu, a);
      oracle.swiglu(a, b, n);
      gpu.swiglu(da, db, n);
      assertNear(a, down(gpu, da), 1e-6, 1e-4, "swiglu n " + n);
      oracle.add(sum, b, n);
      gpu.add(dsum, db, n);
      assertNear(sum, down(gpu, dsum), 0, 1e-6, "add n " + n);
    }
  }

  @Test
  void ropeBothStylesAndFrequencies() {
    RandomTensors random = new RandomTensors(22);
    int[][] shapes = {{5, 1, 6}, {8, 8, 64}, {4, 2, 14}};
    for (int[] s : shapes) {
      for (RopeStyle style : RopeStyle.values()) {
        for (int pos0 : new int[] {0, 17}) {
          Tensor q = random.uniform(3, s[0] * s[2]);
          Tensor k = random.uniform(3, s[1] * s[2]);
          Tensor dq = up(gpu, q);
          Tensor dk = up(gpu, k);
          oracle.rope(q, k, 3, pos0, s[0], s[1], s[2], 10000f, style);
          gpu.rope(dq, dk, 3, pos0, s[0], s[1], s[2], 10000f, style);
          String what = "rope " + style + " " + s[0] + "/" + s[1] + "x" + s[2] + " pos " + pos0;
          assertNear(q, down(gpu, dq), 1e-5, 1e-4, what + " q");
          assertNear(k, down(gpu, dk), 1e-5, 1e-4, what + " k");
          float[] freqs = new float[s[2] / 2];
          for (int i = 0; i < freqs.length; i++) {
            freqs[i] = 0.5f / (i + 1);
          }
          oracle.rope(q, k, 3, pos0, s[0], s[1], s[2], freqs, 0.8f, style);
          gpu.rope(dq, dk, 3, pos0, s[0], s[1], s[2], freqs, 0.8f, style);
          assertNear(q, down(gpu, dq), 1e-5, 1e-4, what + " q, given frequencies");
          assertNear(k, down(gpu, dk), 1e-5, 1e-4, what + " k, given frequencies");
        }
      }
    }
  }

  @Test
  void embeddingRowsAndCopies() {
    RandomTensors random = new RandomTensors(23);
    Tensor table = random.uniform(50, 33);
    int[] tokens = {0, 49, 3, 3, 17};
    Tensor expected = RandomTensors.poisoned(5, 33);
    oracle.embedding(expected, table, tokens, 5);
    Tensor out = up(gpu, RandomTensors.poisoned(5, 33));
    gpu.embedding(out, gpu.prepare(table), tokens, 5);
    assertNear(expected, down(gpu, out), 0, 0, "embedding");
    Tensor copy = up(gpu, RandomTensors.poisoned(5, 33));
    gpu.copy(copy, 33, out, 66, 33 * 2);
    Tensor back = down(gpu, copy);
    for (int i = 0; i < 66; i++) {
      assertEquals(expected.getFloat(66 + i), back.getFloat(33 + i), 0f, "copy element " + i);
    }
  }

  /** Each weight's GPU matmul against the oracle at batches 1, 3, 17 and 70 (decode to prefill). */
  private static void checkMatmul(CudaBackend b, LinearWeight w, RandomTensors random, String what) {
    LinearWeight prepared = b.prepare(w);
    Tensor dense = w.toDense();
    for (int batch : KernelFixture.BATCHES) {
      Tensor x = random.uniform(batch, w.cols());
      Tensor expected = RandomTensors.poisoned(batch, w.rows());
      oracle.matmul(expected, x, w, batch);
      Tensor out = up(b, RandomTensors.poisoned(batch, w.rows()));
      b.matmul(out, up(b, x), prepared, batch);
      Tensor actual = down(b, out);
      Tensor magnitude = KernelFixture.magnitudes(dense, x, batch);
      for (long i = 0; i < expected.size(); i++) {
        float a = actual.getFloat(i);
        if (Float.isNaN(a)) {
          fail(what + " batch " + batch + ": output " + i + " was never written");
        }
        // FP16 rounds weights and inputs to 11 bits (BF16 to 8): 2 roundings per product, FP32 sums.
        double rel = w.format() == WeightFormat.DENSE_BF16 ? 1.6e-2 : 2e-3;
        assertEquals(expected.getFloat(i), a, rel * magnitude.getFloat(i) + 1e-5, what + " batch " + batch
            + ": output " + i);
      }
    }
  }

  @Test
  void denseMatmulsOnCublas() {
    RandomTensors random = new RandomTensors(24);
    for (int[] s : new int[][] {{37, 53}, {1, 8}, {33, 64}, {130, 260}}) {
      Tensor dense = random.uniform(s[0], s[1]);
      for (WeightFormat f : new WeightFormat[] {WeightFormat.DENSE_F32, WeightFormat.DENSE_F16,
          WeightFormat.DENSE_BF16, WeightFormat.Q8_0}) {
        if (f == WeightFormat.Q8_0 && s[1] % 32 != 0) {
          continue;
        }
        checkMatmul(gpu, f.fromDense(dense, null), random, f.id() + " " + s[0] + "x" + s[1]);
      }
      Tensor mask = SparsityMasks.random(s[0], s[1], 0.6, 5);
      checkMatmul(gpu, BitmaskSparseWeight.fromDense(dense, mask, Precision.F32), random,
          "bitmask (densified) " + s[0] + "x" + s[1]);
    }
  }

  @Test
  void twoFourMatmulsOnBothPaths() {
    RandomTensors random = new RandomTensors(25);
    String saved = System.getProperty("sparsej.cuda.24");
    for (String path : new String[] {"mma", "cusparselt"}) {
      System.setProperty("sparsej.cuda.24", path);
      try (CudaBackend b = new CudaBackend()) {
        for (int[] s : new int[][] {{37, 36}, {64, 100}, {130, 1028}, {9, 4132}}) {
          Tensor dense = random.uniform(s[0], s[1]);
          Tensor mask = SparsityMasks.twoFour(dense);
          Sparse24Weight w = Sparse24Weight.fromDense(dense, mask, Precision.F32);
          String kind = ((CudaWeight) b.prepare(w)).kind();
          checkMatmul(b, w, random, "2:4 on " + kind + " " + s[0] + "x" + s[1]);
        }
      } finally {
        if (saved == null) {
          System.clearProperty("sparsej.cuda.24");
        } else {
          System.setProperty("sparsej.cuda.24", saved);
        }
      }
    }
  }

  @Test
  void pagedAttentionAndKvWrites() {
    RandomTensors random = new RandomTensors(26);
    int layers = 2;
    for (int[] s : new int[][] {{6, 2, 13}, {8, 2, 64}, {3, 1, 7}, {12, 4, 130}}) {
      for (int pageTokens : new int[] {1, 3, 16}) {
        for (int window : new int[] {0, 3}) {
          int heads = s[0];
          int kvDim = s[1] * s[2];
          int pageFloats = Math.toIntExact(PagedKv.pageFloats(layers, pageTokens, kvDim));
          PagedKv.Builder host = PagedKv.builder(layers, pageTokens, kvDim);
          PagedKv.Builder device = PagedKv.builder(layers, pageTokens, kvDim);
          java.util.List<Tensor[]> pagePairs = new java.util.ArrayList<>();
          int rows = 0;
          for (int seg = 0; seg < 1 + random.nextInt(4); seg++) {
            int count = 1 + random.nextInt(6);
            int pos0 = random.nextInt(30);
            int pages = (pos0 + count + pageTokens - 1) / pageTokens;
            Tensor[] own = new Tensor[pages];
            Tensor[] ownDevice = new Tensor[pages];
            for (int p = 0; p < pages; p++) {
              own[p] = random.uniform(pageFloats);
              ownDevice[p] = up(gpu, own[p]);
              pagePairs.add(new Tensor[] {own[p], ownDevice[p]});
            }
            host.add(count, pos0, own, pages);
            device.add(count, pos0, ownDevice, pages);
            rows += count;
          }
          PagedKv kvHost = host.build();
          PagedKv kvDevice = device.build();
          Tensor q = random.uniform(rows, heads * s[2]);
          Tensor k = random.uniform(rows, kvDim);
          Tensor v = random.uniform(rows, kvDim);
          String what = heads + "/" + s[1] + "x" + s[2] + " page " + pageTokens + " window " + window;
          oracle.writeKv(kvHost, 1, k, v);
          gpu.writeKv(kvDevice, 1, up(gpu, k), up(gpu, v));
          for (Tensor[] pair : pagePairs) {
            assertNear(pair[0], down(gpu, pair[1]), 0, 0, what + " kv write");
          }
          Tensor expected = RandomTensors.poisoned(rows, heads * s[2]);
          oracle.pagedAttention(expected, q, kvHost, 1, heads, s[1], s[2], window);
          Tensor out = up(gpu, RandomTensors.poisoned(rows, heads * s[2]));
          gpu.pagedAttention(out, up(gpu, q), kvDevice, 1, heads, s[1], s[2], window);
          assertNear(expected, down(gpu, out), 1e-5, 1e-4, what + " attention");
        }
      }
    }
  }

  @Test
  void contiguousAttention() {
    RandomTensors random = new RandomTensors(27);
    int heads = 6;
    int kvHeads = 2;
    int headSize = 13;
    int pos0 = 21;
    int rows = 5;
    Tensor keys = random.uniform(pos0 + rows, kvHeads * headSize);
    Tensor values = random.uniform(pos0 + rows, kvHeads * headSize);
    Tensor q = random.uniform(rows, heads * headSize);
    Tensor expected = RandomTensors.poisoned(rows, heads * headSize);
    oracle.attention(expected, q, keys, values, rows, pos0, heads, kvHeads, headSize);
    Tensor out = up(gpu, RandomTensors.poisoned(rows, heads * headSize));
    gpu.attention(out, up(gpu, q), up(gpu, keys), up(gpu, values), rows, pos0, heads, kvHeads, headSize);
    assertNear(expected, down(gpu, out), 1e-5, 1e-4, "contiguous attention");
  }
}
