package org.sparsej.nativeops;

/**
 * Loads the CUDA backend's library ({@link SparsejCuda}) on first use, only when the cuda backend is asked about,
 * and knows in one line why it cannot run: the library did not load, the build had no nvcc, no driver, no device.
 */
public final class CudaLibrary {
  private CudaLibrary() {}

  private static final class Holder {
    static final String REASON = probe();
  }

  private static String probe() {
    try {
      return SparsejCuda.sjc_unavailable_reason();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      String msg = e.getMessage() != null ? e.getMessage() : e.toString();
      return "the CUDA library did not load (" + msg.lines().findFirst().orElse(msg) + ")";
    }
  }

  /** Null when a CUDA device can run the kernels, else one line saying why not. */
  public static String unavailableReason() {
    return Holder.REASON;
  }

  /** Null when 2:4 weights can run on cuSPARSELt, else one line naming what is missing. */
  public static String cusparseltReason() {
    return unavailableReason() != null ? unavailableReason() : SparsejCuda.sjc_cusparselt_reason();
  }

  /** Null when dense weights can run on cuBLAS, else one line naming what is missing. */
  public static String cublasReason() {
    return unavailableReason() != null ? unavailableReason() : SparsejCuda.sjc_cublas_reason();
  }
}
