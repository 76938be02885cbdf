package org.sparsej.train;

import java.util.Arrays;

/**
 * One trained tensor of a model: its F32 values (the master copy training updates), its gradient of the same
 * shape, and which entries may change. A pruned linear keeps its mask fixed: only the entries in {@link #kept()}
 * train, every other entry stays exactly zero, and the optimizer keeps state for the kept entries only.
 */
public final class Parameter {
  private final String name;
  private final int[] shape;
  private final float[] value;
  private final float[] grad;
  private final int[] kept;  // ascending flat indices that train; null: all of them
  private final boolean decays;

  /**
   * @param name   the tensor's Hugging Face name ("model.layers.0.self_attn.q_proj.weight")
   * @param shape  [rows][cols] for a linear or embedding, [n] for a norm
   * @param value  row-major values, taken as is (not copied)
   * @param kept   ascending flat indices of the entries that train, or null when every entry trains
   * @param decays whether AdamW's weight decay applies (linears and embeddings yes; norm gains no)
   */
  public Parameter(String name, int[] shape, float[] value, int[] kept, boolean decays) {
    long size = 1;
    for (int d : shape) {
      size *= d;
    }
    if (size != value.length) {
      throw new IllegalArgumentException(name + ": " + value.length + " values for shape " + Arrays.toString(shape));
    }
    this.name = name;
    this.shape = shape.clone();
    this.value = value;
    this.grad = new float[value.length];
    this.kept = kept;
    this.decays = decays;
  }

  public String name() {
    return name;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int size() {
    return value.length;
  }

  /** The values, updated in place by the optimizer. */
  public float[] value() {
    return value;
  }

  /** The gradient of the loss, filled by a gradient step; zero outside {@link #kept()}. */
  public float[] grad() {
    return grad;
  }

  /** Ascending flat indices of the entries that train, or null when all do. */
  public int[] kept() {
    return kept;
  }

  /** Entries that train. */
  public int trainable() {
    return kept == null ? value.length : kept.length;
  }

  public boolean decays() {
    return decays;
  }

  public void zeroGrad() {
    Arrays.fill(grad, 0f);
  }
}
