package org.sparsej.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sparsej.backend.Backend;
import org.sparsej.backend.PagedKv;
import org.sparsej.backend.RopeStyle;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.LinearWeight;

/**
 * A backend that runs another and adds up the time spent in each kind of op (matmul, attention, ...), so a
 * benchmark can say what limits a pass. Ops are synchronous on the host backends, so the wall time of a call is
 * its cost. One caller thread at a time.
 */
public final class TimedBackend implements Backend {
  private final Backend inner;
  private final Map<String, long[]> nanos = new LinkedHashMap<>();

  public TimedBackend(Backend inner) {
    this.inner = inner;
    for (String kind : new String[] {"matmul", "attention", "rope", "norm", "other"}) {
      nanos.put(kind, new long[1]);
    }
  }

  /** Nanoseconds per kind of op since the last reset, in a stable order. */
  public Map<String, Long> nanosByKind() {
    Map<String, Long> out = new LinkedHashMap<>();
    nanos.forEach((k, v) -> out.put(k, v[0]));
    return out;
  }

  public void reset() {
    nanos.values().forEach(v -> v[0] = 0);
  }

  private void add(String kind, long t0) {
    nanos.get(kind)[0] += System.nanoTime() - t0;
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
  public Tensor allocate(DType dtype, int... shape) {
    return inner.allocate(dtype, shape);
  }

  @Override
  public void free(Tensor t) {
    inner.free(t);
  }

  @Override
  public LinearWeight prepare(LinearWeight w) {
    return inner.prepare(w);
  }

  @Override
  public Tensor prepare(Tensor t) {
    return inner.prepare(t);
  }

  @Override
  public void copyToHost(Tensor src, long srcOffset, float[] dst, int dstOffset, int count) {
    long t0 = System.nanoTime();
    inner.copyToHost(src, srcOffset, dst, dstOffset, count);
    add("other", t0);
  }

  @Override
  public void copy(Tensor dst, long dstOffset, Tensor src, long srcOffset, long count) {
    long t0 = System.nanoTime();
    inner.copy(dst, dstOffset, src, srcOffset, count);
    add("other", t0);
  }

  @Override
  public void matmul(Tensor out, Tensor x, LinearWeight w, int batch) {
    long t0 = System.nanoTime();
    inner.matmul(out, x, w, batch);
    add("matmul", t0);
  }

  @Override
  public void matmulGroup(Tensor[] outs, Tensor x, LinearWeight[] weights, int batch) {
    long t0 = System.nanoTime();
    inner.matmulGroup(outs, x, weights, batch);
    add("matmul", t0);
  }

  @Override
  public void rmsnorm(Tensor out, Tensor x, Tensor weight, int batch, int dim, float eps) {
    long t0 = System.nanoTime();
    inner.rmsnorm(out, x, weight, batch, dim, eps);
    add("norm", t0);
  }

  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize, float theta,
                   RopeStyle style) {
    long t0 = System.nanoTime();
    inner.rope(q, k, batch, pos0, nHeads, nKvHeads, headSize, theta, style);
    add("rope", t0);
  }

  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize,
                   float[] frequencies, float scale, RopeStyle style) {
    long t0 = System.nanoTime();
    inner.rope(q, k, batch, pos0, nHeads, nKvHeads, headSize, frequencies, scale, style);
    add("rope", t0);
  }

  @Override
  public void softmax(Tensor x, int n) {
    long t0 = System.nanoTime();
    inner.softmax(x, n);
    add("other", t0);
  }

  @Override
  public void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0, int nHeads,
                        int nKvHeads, int headSize) {
    long t0 = System.nanoTime();
    inner.attention(out, q, keyCache, valueCache, batch, pos0, nHeads, nKvHeads, headSize);
    add("attention", t0);
  }

  @Override
  public void writeKv(PagedKv kv, int layer, Tensor k, Tensor v) {
    long t0 = System.nanoTime();
    inner.writeKv(kv, layer, k, v);
    add("attention", t0);
  }

  @Override
  public void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads, int headSize) {
    long t0 = System.nanoTime();
    inner.pagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize);
    add("attention", t0);
  }

  @Override
  public void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads, int headSize,
                             int window) {
    long t0 = System.nanoTime();
    inner.pagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize, window);
    add("attention", t0);
  }

  @Override
  public void swiglu(Tensor h1, Tensor h3, long n) {
    long t0 = System.nanoTime();
    inner.swiglu(h1, h3, n);
    add("other", t0);
  }

  @Override
  public void add(Tensor x, Tensor y, long n) {
    long t0 = System.nanoTime();
    inner.add(x, y, n);
    add("other", t0);
  }

  @Override
  public void embedding(Tensor out, Tensor table, int[] tokens, int count) {
    long t0 = System.nanoTime();
    inner.embedding(out, table, tokens, count);
    add("other", t0);
  }

  /** The inner backend stays open: its owner closes it. */
  @Override
  public void close() {}
}
