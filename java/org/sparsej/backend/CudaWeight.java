package org.sparsej.backend;

import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.StoredWeight;
import org.sparsej.weights.WeightFormat;

/**
 * A weight that {@link CudaBackend#prepare(LinearWeight)} uploaded: a handle of libsparsej_cuda (FP16/BF16 for
 * cuBLAS, cuSPARSELt-compressed or mma.sp-packed 2:4). It keeps the source weight's shape and format; its values
 * live on the GPU only, so host-side reads are refused.
 */
final class CudaWeight implements LinearWeight {
  final long handle;
  private final LinearWeight source;
  private final String kind;

  CudaWeight(long handle, LinearWeight source, String kind) {
    this.handle = handle;
    this.source = source;
    this.kind = kind;
  }

  /** How it runs on the GPU: "cublas-f16", "cublas-bf16", "cusparselt-2:4-f16" or "mma.sp-2:4-f16". */
  String kind() {
    return kind;
  }

  @Override
  public int rows() {
    return source.rows();
  }

  @Override
  public int cols() {
    return source.cols();
  }

  @Override
  public WeightFormat format() {
    return source.format();
  }

  @Override
  public long residentBytes() {
    return source.residentBytes();
  }

  @Override
  public void referenceMatmul(Tensor out, Tensor x, int batch, int r0, int r1) {
    throw hostOnly();
  }

  @Override
  public Tensor toDense() {
    throw hostOnly();
  }

  @Override
  public StoredWeight stored() {
    throw hostOnly();
  }

  private static SparsejException hostOnly() {
    return new SparsejException("cuda: a prepared weight lives on the GPU; use the weight it was prepared from");
  }
}
