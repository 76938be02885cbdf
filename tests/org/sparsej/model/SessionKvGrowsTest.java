package org.sparsej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.RopeStyle;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;

/**
 * A single-sequence session allocates KV memory as its sequence grows, never the model's declared context up
 * front: a tiny model that declares 2^24 positions (its full cache would be 4 GiB) runs 70 tokens on a few pages.
 */
class SessionKvGrowsTest {
  private static final int CONTEXT = 1 << 24;

  @Test
  void kvMemoryFollowsThePositionsUsed() {
    LlamaConfig c = new LlamaConfig(32, 48, 2, 4, 2, 64, CONTEXT, false, 1e-5f, 10000f, RopeStyle.INTERLEAVED);
    long fullContext = KvCachePool.sequenceBytes(c, CONTEXT);
    assertEquals(4L << 30, fullContext, "what sizing by the declared context would take");
    LlamaModel model = randomModel(c, 3);
    try (CpuBackend cpu = new CpuBackend(1); InferenceSession session = model.newSession(cpu, 16)) {
      assertEquals(0, session.kvBytesAllocated(), "nothing before the first token");
      int[] prompt = new SplittableRandom(4).ints(40, 0, c.vocabSize()).toArray();
      session.prefill(prompt);
      assertEquals(KvCachePool.sequenceBytes(c, 40), session.kvBytesAllocated(), "pages for 40 positions");
      for (int i = 0; i < 30; i++) {
        Tensor logits = session.forward(new int[] {i % c.vocabSize()}, 1, false);
        assertFalse(Float.isNaN(logits.getFloat(0)));
      }
      assertEquals(70, session.position());
      assertEquals(KvCachePool.sequenceBytes(c, 70), session.kvBytesAllocated(), "grown page by page to 70");
      assertTrue(session.kvBytesAllocated() < fullContext / 10_000);
    }
  }

  private static LlamaModel randomModel(LlamaConfig c, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < c.nLayers(); l++) {
      layers.add(new LayerWeights(ones(c.dim()), linear(r, c.dim(), c.dim()), linear(r, c.kvDim(), c.dim()),
          linear(r, c.kvDim(), c.dim()), linear(r, c.dim(), c.dim()), ones(c.dim()),
          linear(r, c.hiddenDim(), c.dim()), linear(r, c.dim(), c.hiddenDim()), linear(r, c.hiddenDim(), c.dim())));
    }
    Tensor embedding = linear(r, c.vocabSize(), c.dim()).values();
    return new LlamaModel(c, new LlamaWeights(embedding, layers, ones(c.dim()), linear(r, c.vocabSize(), c.dim())));
  }

  private static Tensor ones(int n) {
    Tensor t = Tensor.allocate(DType.F32, n);
    for (int i = 0; i < n; i++) {
      t.setFloat(i, 1f);
    }
    return t;
  }

  private static DenseF32Weight linear(SplittableRandom r, int rows, int cols) {
    Tensor t = Tensor.allocate(DType.F32, rows, cols);
    for (long i = 0; i < t.size(); i++) {
      t.setFloat(i, (float) ((r.nextDouble() * 2 - 1) / Math.sqrt(cols)));
    }
    return new DenseF32Weight(t);
  }
}
