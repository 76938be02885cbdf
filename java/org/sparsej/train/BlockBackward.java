package org.sparsej.train;

import java.nio.FloatBuffer;
import org.sparsej.backend.RopeStyle;
import org.sparsej.tensor.Tensor;

/**
 * The backward pass of each element-wise and linear op of a Llama block, one function per op in the manner of
 * llm.c's train_gpt2.c: each takes the gradient of the op's output and the activations the forward kept, and adds
 * the gradients of its inputs and parameters ({@code +=}, so that branches meeting at the residual stream and
 * tied weights sum). Rows are tokens; every tensor is F32 row-major in host (off-heap) memory.
 */
final class BlockBackward {
  private BlockBackward() {}

  /**
   * Linear y[n][out] = x[n][in] · Wᵀ: dx[n][in] += dy · W and dW[out][in] += dyᵀ · x, on OpenBLAS. dx or dW may be
   * null when not wanted (the embedding has no input gradient to pass on).
   */
  static void linear(Tensor dx, Tensor dW, Tensor dy, Tensor x, Tensor w, int n, int out, int in) {
    if (dx != null) {
      Blas.gemm(false, false, n, in, out, 1f, dy, 0, out, w, 0, in, 1f, dx, 0, in);
    }
    if (dW != null) {
      Blas.gemm(true, false, out, in, n, 1f, dy, 0, out, x, 0, in, 1f, dW, 0, in);
    }
  }

  /** Bias y += b over n rows: db[cols] += Σ_rows dy. */
  static void bias(float[] db, Tensor dy, int n, int cols) {
    FloatBuffer g = dy.floats();
    for (int r = 0; r < n; r++) {
      int row = r * cols;
      for (int i = 0; i < cols; i++) {
        db[i] += g.get(row + i);
      }
    }
  }

  /**
   * RMSNorm y = x · rstd · g with rstd = 1/sqrt(mean(x²) + eps), per row of dim:
   * dx_i += rstd · g_i · dy_i − rstd³/dim · x_i · Σ_j dy_j g_j x_j and dg_i += Σ_rows dy_i · x_i · rstd.
   * rstd is recomputed from x (cheap), as llm.c's layernorm_backward recomputes the normalised input.
   */
  static void rmsnorm(Tensor dx, float[] dg, Tensor dy, Tensor x, Tensor weight, int n, int dim, float eps) {
    FloatBuffer gx = dx.floats();
    FloatBuffer gy = dy.floats();
    FloatBuffer xs = x.floats();
    FloatBuffer w = weight.floats();
    for (int r = 0; r < n; r++) {
      int row = r * dim;
      double ss = 0;
      double dot = 0;  // Σ dy·g·x
      for (int i = 0; i < dim; i++) {
        float v = xs.get(row + i);
        ss += v * v;
        dot += gy.get(row + i) * w.get(i) * v;
      }
      float rstd = (float) (1.0 / Math.sqrt(ss / dim + eps));
      float k = (float) (dot * rstd * rstd * rstd / dim);
      for (int i = 0; i < dim; i++) {
        float v = xs.get(row + i);
        float d = gy.get(row + i);
        gx.put(row + i, gx.get(row + i) + rstd * w.get(i) * d - k * v);
        dg[i] += d * v * rstd;
      }
    }
  }

  /** out[n][dim] = rmsnorm(x) · g, the normalised rows the classifier read (recomputed for its weight gradient). */
  static void rmsnormForward(Tensor out, Tensor x, Tensor weight, int n, int dim, float eps) {
    FloatBuffer o = out.floats();
    FloatBuffer xs = x.floats();
    FloatBuffer w = weight.floats();
    for (int r = 0; r < n; r++) {
      int row = r * dim;
      double ss = 0;
      for (int i = 0; i < dim; i++) {
        float v = xs.get(row + i);
        ss += v * v;
      }
      float rstd = (float) (1.0 / Math.sqrt(ss / dim + eps));
      for (int i = 0; i < dim; i++) {
        o.put(row + i, xs.get(row + i) * rstd * w.get(i));
      }
    }
  }

  /**
   * RoPE, in place on the gradient: the forward turned each pair (a, b) by angle pos·f and scaled by s
   * (a' = a·c − b·s', b' = a·s' + b·c with c = cos·s, s' = sin·s), so the gradient turns back by the transpose:
   * da = da'·c + db'·s', db = −da'·s' + db'·c. Rows of one sequence: row r of [rows][heads·headSize] at position
   * pos0 + r.
   */
  static void rope(Tensor grad, long offset, int rows, int pos0, int heads, int headSize, float[] frequencies,
                   float scale, RopeStyle style) {
    FloatBuffer g = grad.floats();
    int half = headSize / 2;
    int width = heads * headSize;
    for (int r = 0; r < rows; r++) {
      int pos = pos0 + r;
      for (int i = 0; i < half; i++) {
        float angle = pos * frequencies[i];  // as the forward computes it
        float c = (float) Math.cos(angle) * scale;
        float s = (float) Math.sin(angle) * scale;
        for (int h = 0; h < heads; h++) {
          int base = Math.toIntExact(offset + (long) r * width + (long) h * headSize);
          int a = base + (style == RopeStyle.HALF ? i : 2 * i);
          int b = base + (style == RopeStyle.HALF ? i + half : 2 * i + 1);
          float da = g.get(a);
          float db = g.get(b);
          g.put(a, da * c + db * s);
          g.put(b, -da * s + db * c);
        }
      }
    }
  }

  /**
   * SwiGLU act = silu(gate) · up with silu(g) = g·σ(g): dgate = dact · up · σ(g)·(1 + g·(1 − σ(g))) and
   * dup = dact · silu(g). Writes (does not add): gate and up feed nothing else.
   */
  static void swiglu(Tensor dGate, Tensor dUp, Tensor dAct, Tensor gate, Tensor up, long count) {
    FloatBuffer dg = dGate.floats();
    FloatBuffer du = dUp.floats();
    FloatBuffer da = dAct.floats();
    FloatBuffer g = gate.floats();
    FloatBuffer u = up.floats();
    int n = Math.toIntExact(count);
    for (int i = 0; i < n; i++) {
      float x = g.get(i);
      float sig = (float) (1.0 / (1.0 + Math.exp(-x)));
      float d = da.get(i);
      dg.put(i, d * u.get(i) * sig * (1f + x * (1f - sig)));
      du.put(i, d * x * sig);
    }
  }

  /** Embedding lookup x[i] = E[tokens[i]]: dE[tokens[i]] += dx[i]. */
  static void embedding(Tensor dTable, Tensor dx, int[] tokens, int n, int dim) {
    FloatBuffer dt = dTable.floats();
    FloatBuffer g = dx.floats();
    for (int i = 0; i < n; i++) {
      int row = tokens[i] * dim;
      for (int j = 0; j < dim; j++) {
        dt.put(row + j, dt.get(row + j) + g.get(i * dim + j));
      }
    }
  }
}
