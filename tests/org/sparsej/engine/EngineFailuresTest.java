package org.sparsej.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.PagedKv;
import org.sparsej.backend.RopeStyle;
import org.sparsej.model.Llama2cCheckpoint;
import org.sparsej.model.LlamaModel;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;

/**
 * What the engine does when things go wrong after a request was accepted: KV pages the backend cannot give, a
 * listener that throws. The sequence concerned fails (onError, completion exceptional); the others go on.
 */
class EngineFailuresTest {
  private static final LlamaModel MODEL = Llama2cCheckpoint.load(SharedData.sj7m());

  /** The cpu backend, except that allocating KV pages fails once {@code pagesLeft} runs out. */
  private static final class ScarcePages implements Backend {
    private final CpuBackend inner = new CpuBackend(2);
    private final long pageFloats = PagedKv.pageFloats(MODEL.config().nLayers(), 16, MODEL.config().kvDim());
    final AtomicInteger pagesLeft;

    ScarcePages(int pages) {
      pagesLeft = new AtomicInteger(pages);
    }

    @Override
    public Tensor allocate(DType dtype, int... shape) {
      if (shape.length == 1 && shape[0] == pageFloats && pagesLeft.getAndDecrement() <= 0) {
        throw new OutOfMemoryError("Cannot reserve direct buffer memory (test)");
      }
      return inner.allocate(dtype, shape);
    }

    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public String describe() {
      return inner.describe();
    }

    @Override
    public void matmul(Tensor out, Tensor x, LinearWeight w, int batch) {
      inner.matmul(out, x, w, batch);
    }

    @Override
    public void matmulGroup(Tensor[] outs, Tensor x, LinearWeight[] weights, int batch) {
      inner.matmulGroup(outs, x, weights, batch);
    }

    @Override
    public void rmsnorm(Tensor out, Tensor x, Tensor weight, int batch, int dim, float eps) {
      inner.rmsnorm(out, x, weight, batch, dim, eps);
    }

    @Override
    public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize, float theta,
                     RopeStyle style) {
      inner.rope(q, k, batch, pos0, nHeads, nKvHeads, headSize, theta, style);
    }

    @Override
    public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize,
                     float[] frequencies, float scale, RopeStyle style) {
      inner.rope(q, k, batch, pos0, nHeads, nKvHeads, headSize, frequencies, scale, style);
    }

    @Override
    public void softmax(Tensor x, int n) {
      inner.softmax(x, n);
    }

    @Override
    public void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0, int nHeads,
                          int nKvHeads, int headSize) {
      inner.attention(out, q, keyCache, valueCache, batch, pos0, nHeads, nKvHeads, headSize);
    }

    @Override
    public void writeKv(PagedKv kv, int layer, Tensor k, Tensor v) {
      inner.writeKv(kv, layer, k, v);
    }

    @Override
    public void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads,
                               int headSize) {
      inner.pagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize);
    }

    @Override
    public void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads,
                               int headSize, int window) {
      inner.pagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize, window);
    }

    @Override
    public void swiglu(Tensor h1, Tensor h3, long n) {
      inner.swiglu(h1, h3, n);
    }

    @Override
    public void add(Tensor x, Tensor y, long n) {
      inner.add(x, y, n);
    }
  }

  private static final class Recording implements SequenceListener {
    final AtomicReference<RuntimeException> error = new AtomicReference<>();
    final AtomicInteger tokens = new AtomicInteger();
    final boolean throwOnToken;

    Recording(boolean throwOnToken) {
      this.throwOnToken = throwOnToken;
    }

    @Override
    public boolean onToken(int token) {
      tokens.incrementAndGet();
      if (throwOnToken) {
        throw new IllegalStateException("listener bug (test)");
      }
      return true;
    }

    @Override
    public void onFinished(SequenceResult result) {}

    @Override
    public void onError(RuntimeException e) {
      error.set(e);
    }
  }

  @Test
  void pagesTheBackendCannotGiveFailOnlyThatSequence() throws Exception {
    // Two pages of 16 positions exist: the first sequence (20 positions) takes both; the second one's first
    // page cannot be had.
    ScarcePages backend = new ScarcePages(2);
    try (Engine engine = new Engine(MODEL, backend, new EngineOptions(2, 64, 64L << 20, 4))) {
      Recording first = new Recording(false);
      SequenceHandle a = engine.submit(SequenceRequest.greedy(new int[] {1, 400, 500, 600}, 17), first);
      SequenceResult ra = a.completion().get(30, TimeUnit.SECONDS);
      assertEquals(17, ra.generated().length);
      // Its pages are back in the pool, so the next sequence reuses them; a longer one needs a third page.
      Recording second = new Recording(false);
      SequenceHandle b = engine.submit(SequenceRequest.greedy(new int[] {1, 400, 500, 600}, 40), second);
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> b.completion().get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("KV pages could not be had"), e.getCause().getMessage());
      assertTrue(second.error.get() != null);
      assertEquals(0, engine.stats().kvBytesInUse());
      assertEquals(0, engine.stats().running());
      // The engine goes on: the same request as the first gives the same tokens.
      SequenceResult again = engine.submit(SequenceRequest.greedy(new int[] {1, 400, 500, 600}, 17),
          SequenceListener.ignoring()).completion().get(30, TimeUnit.SECONDS);
      assertArrayEquals(ra.generated(), again.generated());
    } finally {
      backend.inner.close();
    }
  }

  @Test
  void aThrowingListenerFailsItsOwnSequenceOnly() throws Exception {
    try (CpuBackend cpu = new CpuBackend(2);
         Engine engine = new Engine(MODEL, cpu, new EngineOptions(4, 64, 0, 4))) {
      Recording bad = new Recording(true);
      SequenceHandle h = engine.submit(SequenceRequest.greedy(new int[] {1, 42, 43}, 10), bad);
      SequenceHandle good = engine.submit(SequenceRequest.greedy(new int[] {1, 42, 43}, 10),
          SequenceListener.ignoring());
      ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> h.completion().get(30, TimeUnit.SECONDS));
      assertEquals("listener bug (test)", e.getCause().getMessage());
      assertEquals(1, bad.tokens.get());
      assertEquals(10, good.completion().get(30, TimeUnit.SECONDS).generated().length);
      assertEquals(0, engine.stats().kvBytesInUse());
    }
  }
}
