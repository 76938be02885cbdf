package org.sparsej.prune;

import java.nio.FloatBuffer;
import java.util.List;
import org.sparsej.model.LayerWeights;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.BitmaskSparseWeight;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Precision;
import org.sparsej.weights.Sparse24Weight;

/** The seven linears of a block as an array, and the conversions the modifiers share. */
public final class BlockLinears {
  /** Input group of each linear in LayerWeights order: qkv, qkv, qkv, o, gate/up, down, gate/up. */
  public static final int[] GROUP = {0, 0, 0, 1, 2, 3, 2};
  public static final int GROUPS = 4;

  /** Whether no linear after {@code i} reads the same inputs. */
  public static boolean lastOfGroup(int i) {
    for (int j = i + 1; j < GROUP.length; j++) {
      if (GROUP[j] == GROUP[i]) {
        return false;
      }
    }
    return true;
  }

  private BlockLinears() {}

  public static LinearWeight[] of(LayerWeights l) {
    return new LinearWeight[] {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()};
  }

  public static List<LinearWeight> list(LayerWeights l) {
    return List.of(of(l));
  }

  /** The block with its linears replaced (norms and biases kept). */
  public static LayerWeights with(LayerWeights l, LinearWeight[] w) {
    return new LayerWeights(l.attentionNorm(), w[0], w[1], w[2], w[3], l.ffnNorm(), w[4], w[5], w[6], l.bq(), l.bk(),
        l.bv());
  }

  public static double[] toDoubles(LinearWeight w) {
    float[] f = w.toDense().toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  public static DenseF32Weight toWeight(double[] values, int rows, int cols) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return new DenseF32Weight(Tensor.of(f, rows, cols));
  }

  /**
   * {@code dense} [rows][cols] in the float format of {@code like} (dense, sparse-bitmask or 2:4 F32), for steps that
   * rescale weights without changing where the zeros are. Quantized weights are refused: such steps must come first.
   */
  public static LinearWeight likeOriginal(LinearWeight like, Tensor dense) {
    switch (like.format()) {
      case DENSE_F32: return new DenseF32Weight(dense);
      case SPARSE_BITMASK_F32: return BitmaskSparseWeight.fromDense(dense, Precision.F32);
      case SPARSE_24_F32: return Sparse24Weight.fromDense(dense, Precision.F32);
      default:
        throw new SparsejException("a " + like.format().id() + " weight is already quantized: smoothing and "
            + "pruning must come before quantization (start from the float model)");
    }
  }

  public static long countZeros(LinearWeight w) {
    FloatBuffer f = w.toDense().floats();
    long zeros = 0;
    for (int i = 0; i < f.limit(); i++) {
      if (f.get(i) == 0f) {
        zeros++;
      }
    }
    return zeros;
  }
}
