package org.sparsej.train;

import org.sparsej.model.LlamaConfig;
import org.sparsej.model.TransformerBlock;
import org.sparsej.model.TransformerBlock.Activation;
import org.sparsej.model.TransformerBlock.LinearInput;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * What one block's forward leaves for its backward (llm.c's ActivationTensors, one block of them), copied out of the
 * block's working buffers by the {@link TransformerBlock.Observer} this class is: rows [n] of each activation.
 */
final class Activations implements TransformerBlock.Observer {
  final Tensor xIn;     // [n][dim] block input
  final Tensor xnAtt;   // [n][dim] attention-normed input of wq, wk, wv
  final Tensor q;       // [n][qDim] after bias and rope
  final Tensor k;       // [n][kvDim] after bias and rope
  final Tensor v;       // [n][kvDim]
  final Tensor att;     // [n][qDim] attention output, input of wo
  final Tensor xMid;    // [n][dim] after the attention residual
  final Tensor xnFfn;   // [n][dim] ffn-normed input of w1, w3
  final Tensor gate;    // [n][hidden] w1·x
  final Tensor up;      // [n][hidden] w3·x
  final Tensor act;     // [n][hidden] silu(gate)·up, input of w2
  final Tensor xOut;    // [n][dim] block output (SquareHead's hidden state)

  /** All activations (a student block), or only the block output (a teacher block for SquareHead). */
  Activations(LlamaConfig c, int n, boolean all) {
    xOut = f32(n, c.dim());
    xIn = all ? f32(n, c.dim()) : null;
    xnAtt = all ? f32(n, c.dim()) : null;
    q = all ? f32(n, c.qDim()) : null;
    k = all ? f32(n, c.kvDim()) : null;
    v = all ? f32(n, c.kvDim()) : null;
    att = all ? f32(n, c.qDim()) : null;
    xMid = all ? f32(n, c.dim()) : null;
    xnFfn = all ? f32(n, c.dim()) : null;
    gate = all ? f32(n, c.hiddenDim()) : null;
    up = all ? f32(n, c.hiddenDim()) : null;
    act = all ? f32(n, c.hiddenDim()) : null;
  }

  private static Tensor f32(int rows, int cols) {
    return Tensor.allocate(DType.F32, rows, cols);
  }

  @Override
  public void onInput(LinearInput which, Tensor input, int rows) {
    switch (which) {
      case QKV -> keep(xnAtt, input, rows);
      case ATTENTION_OUTPUT -> keep(att, input, rows);
      case FFN -> keep(xnFfn, input, rows);
      case DOWN -> keep(act, input, rows);
      default -> throw new IllegalStateException("unknown linear input " + which);
    }
  }

  @Override
  public void onActivation(Activation which, Tensor value, int rows) {
    switch (which) {
      case BLOCK_INPUT -> keep(xIn, value, rows);
      case QUERY -> keep(q, value, rows);
      case KEY -> keep(k, value, rows);
      case VALUE -> keep(v, value, rows);
      case ATTENTION_RESIDUAL -> keep(xMid, value, rows);
      case GATE -> keep(gate, value, rows);
      case UP -> keep(up, value, rows);
      case BLOCK_OUTPUT -> keep(xOut, value, rows);
      default -> throw new IllegalStateException("unknown activation " + which);
    }
  }

  /** Copies the first rows of src (host memory: the java and cpu backends) into dst; skipped when not kept. */
  private static void keep(Tensor dst, Tensor src, int rows) {
    if (dst != null) {
      int count = Math.toIntExact((long) rows * dst.dim(1));
      dst.view(0, count).bytes().put(src.view(0, count).bytes());
    }
  }
}
