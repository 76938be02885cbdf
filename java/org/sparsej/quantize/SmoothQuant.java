package org.sparsej.quantize;

import java.util.Set;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.prune.BlockLinears;
import org.sparsej.prune.InputStatistics;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;

/**
 * SmoothQuant (Xiao et al., "SmoothQuant: Accurate and Efficient Post-Training Quantization for Large Language
 * Models", ICML 2023): moves the activation outliers of a linear's input into its weights. Per input channel j,
 * s_j = max|X_j|^α / max|W_j|^(1−α), the weight maximum taken over every linear that reads that input; X is divided
 * by s and the weights' column j multiplied by it, so the float model computes the same function (up to rounding)
 * while the input a W8A8 kernel quantizes per token has a flatter range. The division is folded into what produces
 * the input:
 * <ul>
 *   <li>{@link Mapping#QKV}: q, k, v read input_layernorm's output: 1/s into its weight;</li>
 *   <li>{@link Mapping#GATE_UP}: gate, up read post_attention_layernorm's output: 1/s into its weight;</li>
 *   <li>{@link Mapping#O}: o_proj reads the attention output, which is linear in v: 1/s into v_proj's rows. Under
 *       grouped-query attention one v channel (kv head g, dim d) feeds channel d of every q head of group g, so
 *       the scale is shared across those heads (the maxima taken over them) — that makes the fold exact;</li>
 *   <li>{@link Mapping#DOWN}: down_proj reads silu(gate)·up, which is linear in up: 1/s into up_proj's rows.</li>
 * </ul>
 * A channel whose input or weights are all zero keeps s = 1 (no division by zero, no NaN).
 */
public final class SmoothQuant {
  /** Where each smoothing is folded: the llm-compressor mapping of balance layers to the layer before them. */
  public enum Mapping {
    QKV("q_proj, k_proj, v_proj <- input_layernorm"),
    GATE_UP("gate_proj, up_proj <- post_attention_layernorm"),
    O("o_proj <- v_proj"),
    DOWN("down_proj <- up_proj");

    private final String text;

    Mapping(String text) {
      this.text = text;
    }

    @Override
    public String toString() {
      return text;
    }
  }

  private SmoothQuant() {}

  public static void requireAlpha(double alpha) {
    if (!(alpha >= 0 && alpha <= 1)) {
      throw new SparsejException("SmoothQuant strength alpha must be in [0, 1], got " + alpha);
    }
  }

  /** s_j for one channel; 1 where either maximum is zero or the result is not a positive finite number. */
  static float scale(double xMax, double wMax, double alpha) {
    if (!(xMax > 0) || !(wMax > 0)) {
      return 1f;
    }
    double s = Math.pow(xMax, alpha) / Math.pow(wMax, 1 - alpha);
    return s > 0 && Double.isFinite(s) && Double.isFinite(1 / s) ? (float) s : 1f;
  }

  /**
   * The block smoothed by the given mappings, from statistics (ranges) of its unsmoothed inputs: groups 0 (qkv),
   * 1 (o), 2 (gate/up), 3 (down). The norms become fresh tensors; the linears keep their float formats.
   */
  public static LayerWeights smooth(LlamaConfig c, LayerWeights layer, InputStatistics[] stats, double alpha,
                                    Set<Mapping> mappings) {
    requireAlpha(alpha);
    if (layer.hasBiases()) {  // folding o into v would have to scale v's bias too
      throw new org.sparsej.util.SparsejException("SmoothQuant of a model with q/k/v biases (Qwen2) is not "
          + "supported yet");
    }
    LinearWeight[] original = BlockLinears.of(layer);
    float[][] w = new float[original.length][];
    for (int i = 0; i < w.length; i++) {
      w[i] = original[i].toDense().toFloatArray();
    }
    float[] attnNorm = layer.attentionNorm().toFloatArray();
    float[] ffnNorm = layer.ffnNorm().toFloatArray();
    boolean[] changed = new boolean[original.length];
    // Column maxima before any row is rescaled (O and DOWN rescale rows of v and up).
    if (mappings.contains(Mapping.QKV)) {
      foldIntoNorm(attnNorm, stats[0], alpha, w, original, new int[] {0, 1, 2}, changed);
    }
    if (mappings.contains(Mapping.GATE_UP)) {
      foldIntoNorm(ffnNorm, stats[2], alpha, w, original, new int[] {4, 6}, changed);
    }
    if (mappings.contains(Mapping.O)) {
      foldOIntoV(c, stats[1], alpha, w, original);
      changed[2] = changed[3] = true;
    }
    if (mappings.contains(Mapping.DOWN)) {
      float[] wMax = columnMax(w, original, new int[] {5});
      int hidden = original[5].cols();
      int dim = original[5].rows();
      for (int j = 0; j < hidden; j++) {
        float s = scale(stats[3].absMax(j), wMax[j], alpha);
        scaleRow(w[6], j, original[6].cols(), 1 / s);  // up_proj [hidden][dim]: row j
        for (int r = 0; r < dim; r++) {
          w[5][r * hidden + j] *= s;
        }
      }
      changed[5] = changed[6] = true;
    }
    LinearWeight[] out = original.clone();
    for (int i = 0; i < out.length; i++) {
      if (changed[i]) {
        out[i] = BlockLinears.likeOriginal(original[i], Tensor.of(w[i], original[i].rows(), original[i].cols()));
      }
    }
    return new LayerWeights(Tensor.of(attnNorm, attnNorm.length), out[0], out[1], out[2], out[3],
        Tensor.of(ffnNorm, ffnNorm.length), out[4], out[5], out[6]).withBiasesOf(layer);
  }

  private static void foldIntoNorm(float[] norm, InputStatistics x, double alpha, float[][] w,
                                   LinearWeight[] shapes, int[] readers, boolean[] changed) {
    float[] wMax = columnMax(w, shapes, readers);
    int cols = norm.length;
    for (int j = 0; j < cols; j++) {
      float s = scale(x.absMax(j), wMax[j], alpha);
      norm[j] /= s;
      for (int i : readers) {
        int rows = shapes[i].rows();
        for (int r = 0; r < rows; r++) {
          w[i][r * cols + j] *= s;
        }
      }
    }
    for (int i : readers) {
      changed[i] = true;
    }
  }

  /** o_proj's input channel h·hs+d is v's output channel g(h)·hs+d times attention weights: one s per (g, d). */
  private static void foldOIntoV(LlamaConfig c, InputStatistics x, double alpha, float[][] w, LinearWeight[] shapes) {
    int hs = c.headSize();
    int group = c.nHeads() / c.nKvHeads();
    int dim = shapes[3].cols();
    float[] wMax = columnMax(w, shapes, new int[] {3});
    for (int g = 0; g < c.nKvHeads(); g++) {
      for (int d = 0; d < hs; d++) {
        double xm = 0;
        double wm = 0;
        for (int h = g * group; h < (g + 1) * group; h++) {
          xm = Math.max(xm, x.absMax(h * hs + d));
          wm = Math.max(wm, wMax[h * hs + d]);
        }
        float s = scale(xm, wm, alpha);
        scaleRow(w[2], g * hs + d, shapes[2].cols(), 1 / s);
        for (int h = g * group; h < (g + 1) * group; h++) {
          int col = h * hs + d;
          for (int r = 0; r < shapes[3].rows(); r++) {
            w[3][r * dim + col] *= s;
          }
        }
      }
    }
  }

  private static void scaleRow(float[] w, int row, int cols, float factor) {
    for (int k = row * cols; k < (row + 1) * cols; k++) {
      w[k] *= factor;
    }
  }

  /** max_r |W_i[r][j]| over the given linears, per column j. */
  private static float[] columnMax(float[][] w, LinearWeight[] shapes, int[] linears) {
    int cols = shapes[linears[0]].cols();
    float[] m = new float[cols];
    for (int i : linears) {
      for (int k = 0; k < w[i].length; k++) {
        m[k % cols] = Math.max(m[k % cols], Math.abs(w[i][k]));
      }
    }
    return m;
  }
}
