package org.sparsej.backend;

import org.sparsej.tensor.Tensor;
import org.sparsej.weights.LinearWeight;

/**
 * Plain-Java implementation of every operation: readable, portable, and the oracle the native and GPU
 * kernels are tested against. Matmul and attention run on {@code threads} Java threads.
 */
public final class JavaBackend implements Backend {
  private final ParallelRows parallel;

  public JavaBackend(int threads) {
    this.parallel = new ParallelRows(Math.max(1, threads));
  }

  @Override
  public String name() {
    return "java";
  }

  @Override
  public String describe() {
    return "java (pure Java reference, " + parallel.threads() + " threads)";
  }

  @Override
  public void matmul(Tensor out, Tensor x, LinearWeight w, int batch) {
    Shapes.checkMatmul(out, x, w, batch);
    parallel.forRange(w.rows(), (long) batch * w.rows() * w.cols(),
        (r0, r1) -> w.referenceMatmul(out, x, batch, r0, r1));
  }

  @Override
  public void rmsnorm(Tensor out, Tensor x, Tensor weight, int batch, int dim, float eps) {
    Shapes.checkRmsnorm(out, x, weight, batch, dim);
    for (int b = 0; b < batch; b++) {
      long row = (long) b * dim;
      float ss = 0f;
      for (int i = 0; i < dim; i++) {
        float v = x.getFloat(row + i);
        ss += v * v;
      }
      float scale = (float) (1.0 / Math.sqrt(ss / dim + eps));
      for (int i = 0; i < dim; i++) {
        out.setFloat(row + i, x.getFloat(row + i) * scale * weight.getFloat(i));
      }
    }
  }

  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize, float theta,
                   RopeStyle style) {
    float[] freq = new float[headSize / 2];
    for (int i = 0; i < freq.length; i++) {
      freq[i] = 1.0f / (float) Math.pow(theta, (2.0f * i) / headSize);  // pair i turns by pos·theta^(-2i/headSize)
    }
    rope(q, k, batch, pos0, nHeads, nKvHeads, headSize, freq, 1.0f, style);
  }

  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize,
                   float[] frequencies, float scale, RopeStyle style) {
    Shapes.checkRope(q, k, batch, nHeads, nKvHeads, headSize);
    Shapes.checkRopeFrequencies(frequencies, headSize);
    for (int b = 0; b < batch; b++) {
      rotate(q, (long) b * nHeads * headSize, nHeads, headSize, pos0 + b, frequencies, scale, style);
      rotate(k, (long) b * nKvHeads * headSize, nKvHeads, headSize, pos0 + b, frequencies, scale, style);
    }
  }

  private static void rotate(Tensor v, long offset, int heads, int headSize, int pos, float[] frequencies,
                             float scale, RopeStyle style) {
    int half = headSize / 2;
    for (int h = 0; h < heads; h++) {
      long base = offset + (long) h * headSize;
      for (int i = 0; i < half; i++) {
        // The layouts differ only in which two values form pair i.
        float angle = pos * frequencies[i];
        float c = (float) Math.cos(angle) * scale;
        float s = (float) Math.sin(angle) * scale;
        long a = base + (style == RopeStyle.HALF ? i : 2L * i);
        long b = base + (style == RopeStyle.HALF ? i + half : 2L * i + 1);
        float v0 = v.getFloat(a);
        float v1 = v.getFloat(b);
        v.setFloat(a, v0 * c - v1 * s);
        v.setFloat(b, v0 * s + v1 * c);
      }
    }
  }


  @Override
  public void softmax(Tensor x, int n) {
    x.requireSize("softmax", n);
    softmax(x, 0, n);
  }

  private static void softmax(Tensor x, long offset, int n) {
    if (n <= 0) {
      return;
    }
    float max = x.getFloat(offset);
    for (int i = 1; i < n; i++) {
      max = Math.max(max, x.getFloat(offset + i));
    }
    float sum = 0f;
    for (int i = 0; i < n; i++) {
      float e = (float) Math.exp(x.getFloat(offset + i) - max);
      x.setFloat(offset + i, e);
      sum += e;
    }
    float inv = 1f / sum;
    for (int i = 0; i < n; i++) {
      x.setFloat(offset + i, x.getFloat(offset + i) * inv);
    }
  }

  @Override
  public void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0, int nHeads,
                        int nKvHeads, int headSize) {
    Shapes.checkAttention(out, q, keyCache, valueCache, batch, pos0, nHeads, nKvHeads, headSize);
    int dim = nHeads * headSize;
    int kvDim = nKvHeads * headSize;
    int group = nHeads / nKvHeads;
    float scale = (float) (1.0 / Math.sqrt(headSize));
    long work = (long) batch * nHeads * (pos0 + batch) * headSize * 2;
    parallel.forRange(batch * nHeads, work, (t0, t1) -> {
      float[] scores = new float[pos0 + batch];
      for (int task = t0; task < t1; task++) {
        int b = task / nHeads;
        int h = task % nHeads;
        int last = pos0 + b;
        long qh = (long) b * dim + (long) h * headSize;
        long kvh = (long) (h / group) * headSize;
        float max = Float.NEGATIVE_INFINITY;
        for (int t = 0; t <= last; t++) {
          float s = 0f;
          for (int i = 0; i < headSize; i++) {
            s += q.getFloat(qh + i) * keyCache.getFloat((long) t * kvDim + kvh + i);
          }
          scores[t] = s * scale;
          max = Math.max(max, scores[t]);
        }
        float sum = 0f;
        for (int t = 0; t <= last; t++) {
          scores[t] = (float) Math.exp(scores[t] - max);
          sum += scores[t];
        }
        for (int i = 0; i < headSize; i++) {
          float acc = 0f;
          for (int t = 0; t <= last; t++) {
            acc += scores[t] / sum * valueCache.getFloat((long) t * kvDim + kvh + i);
          }
          out.setFloat(qh + i, acc);
        }
      }
    });
  }

  @Override
  public void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads,
                             int headSize, int window) {
    Shapes.checkPagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize);
    int rows = kv.totalRows();
    int[] segmentOf = new int[rows];
    long work = 0;
    for (int s = 0; s < kv.segments(); s++) {
      java.util.Arrays.fill(segmentOf, kv.row0(s), kv.row0(s) + kv.rows(s), s);
      work += (long) kv.rows(s) * nHeads * (kv.pos0(s) + kv.rows(s)) * headSize * 2;
    }
    int dim = nHeads * headSize;
    int group = nHeads / nKvHeads;
    float scale = (float) (1.0 / Math.sqrt(headSize));
    parallel.forRange(rows * nHeads, work, (t0, t1) -> {
      float[] scores = new float[0];
      for (int task = t0; task < t1; task++) {
        int r = task / nHeads;
        int h = task % nHeads;
        int s = segmentOf[r];
        int last = kv.pos0(s) + r - kv.row0(s);
        int from = window > 0 ? Math.max(0, last - window + 1) : 0;  // sliding window: the last `window` only
        if (scores.length < last + 1) {
          scores = new float[last + 1];
        }
        long qh = (long) r * dim + (long) h * headSize;
        long kvh = (long) (h / group) * headSize;
        // The same sums in the same order as attention() over a contiguous cache.
        float max = Float.NEGATIVE_INFINITY;
        for (int t = from; t <= last; t++) {
          Tensor page = kv.page(s, t);
          long key = kv.keyOffset(layer, t) + kvh;
          float dot = 0f;
          for (int i = 0; i < headSize; i++) {
            dot += q.getFloat(qh + i) * page.getFloat(key + i);
          }
          scores[t] = dot * scale;
          max = Math.max(max, scores[t]);
        }
        float sum = 0f;
        for (int t = from; t <= last; t++) {
          scores[t] = (float) Math.exp(scores[t] - max);
          sum += scores[t];
        }
        for (int i = 0; i < headSize; i++) {
          float acc = 0f;
          for (int t = from; t <= last; t++) {
            acc += scores[t] / sum * kv.page(s, t).getFloat(kv.valueOffset(layer, t) + kvh + i);
          }
          out.setFloat(qh + i, acc);
        }
      }
    });
  }

  @Override
  public void swiglu(Tensor h1, Tensor h3, long n) {
    h1.requireSize("swiglu h1", n);
    h3.requireSize("swiglu h3", n);
    for (long i = 0; i < n; i++) {
      float v = h1.getFloat(i);
      h1.setFloat(i, (float) (v / (1.0 + Math.exp(-v))) * h3.getFloat(i));
    }
  }

  @Override
  public void add(Tensor x, Tensor y, long n) {
    x.requireSize("add x", n);
    y.requireSize("add y", n);
    for (long i = 0; i < n; i++) {
      x.setFloat(i, x.getFloat(i) + y.getFloat(i));
    }
  }

  @Override
  public void close() {
    parallel.close();
  }
}
