package org.sparsej.backend;

import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;

/** Argument checks shared by all backends: they run in Java before any kernel touches memory. */
final class Shapes {
  private Shapes() {}

  static void checkMatmul(Tensor out, Tensor x, LinearWeight w, int batch) {
    positive("matmul batch", batch);
    f32(out, "matmul out");
    f32(x, "matmul x");
    x.requireSize("matmul x [" + batch + "][" + w.cols() + "]", (long) batch * w.cols());
    out.requireSize("matmul out [" + batch + "][" + w.rows() + "]", (long) batch * w.rows());
  }

  static void checkRmsnorm(Tensor out, Tensor x, Tensor weight, int batch, int dim) {
    positive("rmsnorm batch", batch);
    f32(out, "rmsnorm out");
    f32(x, "rmsnorm x");
    f32(weight, "rmsnorm weight");
    x.requireSize("rmsnorm x", (long) batch * dim);
    out.requireSize("rmsnorm out", (long) batch * dim);
    weight.requireSize("rmsnorm weight", dim);
  }

  static void checkRope(Tensor q, Tensor k, int batch, int nHeads, int nKvHeads, int headSize) {
    positive("rope batch", batch);
    if (headSize % 2 != 0) {
      throw new SparsejException("rope: head size " + headSize + " is odd");
    }
    f32(q, "rope q");
    f32(k, "rope k");
    q.requireSize("rope q", (long) batch * nHeads * headSize);
    k.requireSize("rope k", (long) batch * nKvHeads * headSize);
  }

  static void checkRopeFrequencies(float[] frequencies, int headSize) {
    if (frequencies == null || frequencies.length != headSize / 2) {
      throw new SparsejException("rope: " + (frequencies == null ? "no" : frequencies.length)
          + " frequencies for head size " + headSize);
    }
  }

  static void checkAttention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0,
                             int nHeads, int nKvHeads, int headSize) {
    positive("attention batch", batch);
    if (pos0 < 0) {
      throw new SparsejException("attention: negative position " + pos0);
    }
    if (nKvHeads <= 0 || nHeads % nKvHeads != 0) {
      throw new SparsejException("attention: " + nHeads + " query heads do not divide into " + nKvHeads
          + " key/value heads");
    }
    for (Tensor t : new Tensor[] {out, q, keyCache, valueCache}) {
      f32(t, "attention");
    }
    long rows = (long) batch * nHeads * headSize;
    q.requireSize("attention q", rows);
    out.requireSize("attention out", rows);
    long cached = (long) (pos0 + batch) * nKvHeads * headSize;
    keyCache.requireSize("attention key cache", cached);
    valueCache.requireSize("attention value cache", cached);
  }

  static void checkWriteKv(PagedKv kv, int layer, Tensor k, Tensor v) {
    layerInRange(kv, layer);
    f32(k, "writeKv k");
    f32(v, "writeKv v");
    long n = (long) kv.totalRows() * kv.kvDim();
    k.requireSize("writeKv k", n);
    v.requireSize("writeKv v", n);
  }

  static void checkPagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads,
                                  int headSize) {
    layerInRange(kv, layer);
    if (nKvHeads <= 0 || nHeads % nKvHeads != 0) {
      throw new SparsejException("attention: " + nHeads + " query heads do not divide into " + nKvHeads
          + " key/value heads");
    }
    if (headSize <= 0 || (long) nKvHeads * headSize != kv.kvDim()) {
      throw new SparsejException("attention: " + nKvHeads + " kv heads of " + headSize + " do not make the pages' kv dim "
          + kv.kvDim());
    }
    f32(out, "attention out");
    f32(q, "attention q");
    long n = (long) kv.totalRows() * nHeads * headSize;
    q.requireSize("attention q", n);
    out.requireSize("attention out", n);
  }

  private static void layerInRange(PagedKv kv, int layer) {
    if (layer < 0 || layer >= kv.layers()) {
      throw new SparsejException("paged kv: layer " + layer + " outside 0.." + (kv.layers() - 1));
    }
  }

  private static void positive(String what, int n) {
    if (n <= 0) {
      throw new SparsejException(what + " must be positive, got " + n);
    }
  }

  private static void f32(Tensor t, String what) {
    if (t.dtype() != DType.F32) {
      throw new SparsejException(what + ": expected F32, got " + t.dtype());
    }
  }
}
