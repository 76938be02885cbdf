package org.sparsej.weights;

import org.sparsej.tensor.Tensor;

/**
 * The weight of a linear layer, y = W·x, with W of shape [rows][cols] in some storage format.
 * The model holds every projection as a LinearWeight and hands it to {@code Backend.matmul}; each backend
 * looks the format up in its own kernel table.
 */
public interface LinearWeight {
  /** Output features. */
  int rows();

  /** Input features. */
  int cols();

  WeightFormat format();

  /** Bytes this weight occupies in memory (values plus any index). */
  long residentBytes();

  /**
   * The format's reference semantics in plain Java: out[b][r] = Σ_c W[r][c]·x[b][c] for rows [r0, r1).
   * The {@code java} backend runs this; native and GPU kernels are tested against it.
   */
  void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1);

  /** W as a dense F32 [rows][cols] tensor (tests and format conversion). */
  Tensor toDense();

  /** This weight as files store it (what the writers encode); views of its own buffers where possible. */
  StoredWeight stored();
}
