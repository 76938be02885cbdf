package org.sparsej.nativeops;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of the C API in native/include/sparsej (generated and compiled by the JavaCPP plugin).
 * Pointers travel as raw addresses: callers are {@link org.sparsej.backend.CpuBackend} and tests, which
 * validate shapes first, so nothing here checks bounds. Use {@link NativeLibrary} to load it.
 */
@Platform(
    include = {"sparsej/dispatch.h", "sparsej/gemv_dense.h", "sparsej/gemv_q8_0.h", "sparsej/llama_ops.h",
        "sparsej/membench.h", "sparsej/spmv_bitmask.h", "sparsej/sparse24.h", "sparsej/quantize.h",
        "sparsej/attention_paged.h", "sparsej/gemm_int8.h", "sparsej/gemv_half.h", "sparsej/fs_ops.h"},
    link = "sparsej_kernels",
    compiler = "cpp17")
public final class SparsejNative {
  static {
    Loader.load();
  }

  private SparsejNative() {}

  public static native int sj_isa_detected();

  public static native int sj_isa_active();

  public static native int sj_isa_count();

  public static native int sj_isa_select(int isa);

  public static native @Cast("const char*") String sj_isa_name(int isa);

  public static native @Cast("const char*") String sj_cpu_features();

  public static native void sj_set_threads(int n);

  public static native int sj_get_threads();

  /** Swaps two existing paths atomically (renameat2 RENAME_EXCHANGE); 0, or the errno if it cannot. */
  public static native int sj_rename_exchange(String a, String b);

  /** Backs [p, p+bytes) (2 MiB-aligned anonymous memory) with huge pages now; 0, or the errno if it cannot. */
  public static native int sj_huge_pages(@Cast("void*") long p, long bytes);

  /** bytes of zeroed memory from the C allocator, or null; released by {@link #sj_free}. */
  public static native @Cast("char*") BytePointer sj_alloc_zeroed(long bytes);

  public static native void sj_free(@Cast("void*") long p);

  /** Test hook: pool workers sleep this long after each wake-up, as if descheduled (0: off). */
  public static native void sj_pool_test_worker_delay(int micros);

  public static native void sj_matmul_f32(
      @Cast("float*") long out, @Cast("const float*") long x, @Cast("const float*") long w,
      int batch, int rows, int cols);

  /** sj_matmul_f32 for n weights of one input in one parallel job (addresses in outs and ws). */
  public static native void sj_matmul_f32_group(
      int n, @Cast("const int64_t*") long[] outs, @Cast("const float*") long x, @Cast("const int64_t*") long[] ws,
      @Cast("const int32_t*") int[] rows, int batch, int cols);

  public static native void sj_matmul_q8_0(
      @Cast("float*") long out, @Cast("const float*") long x, @Cast("const void*") long w,
      int batch, int rows, int cols);

  public static native void sj_matmul_q4_0(
      @Cast("float*") long out, @Cast("const float*") long x, @Cast("const void*") long w,
      int batch, int rows, int cols);

  // BF16 / F16 weights as stored (gemv_half.h): w holds rows * cols raw 16-bit values.

  public static native void sj_matmul_bf16(
      @Cast("float*") long out, @Cast("const float*") long x, @Cast("const uint16_t*") long w,
      int batch, int rows, int cols);

  public static native void sj_matmul_f16(
      @Cast("float*") long out, @Cast("const float*") long x, @Cast("const uint16_t*") long w,
      int batch, int rows, int cols);

  public static native void sj_rmsnorm(
      @Cast("float*") long out, @Cast("const float*") long x, @Cast("const float*") long weight,
      int batch, int dim, float eps);

  public static native void sj_rope(
      @Cast("float*") long q, @Cast("float*") long k, int batch, int pos0, int nHeads, int nKvHeads,
      int headSize, float theta, int style);

  public static native void sj_rope_freqs(
      @Cast("float*") long q, @Cast("float*") long k, int batch, int pos0, int nHeads, int nKvHeads,
      int headSize, @Cast("const float*") float[] frequencies, float scale, int style);

  public static native void sj_softmax(@Cast("float*") long x, int n);

  public static native void sj_attention(
      @Cast("float*") long out, @Cast("const float*") long q, @Cast("const float*") long keyCache,
      @Cast("const float*") long valueCache, int batch, int pos0, int nHeads, int nKvHeads, int headSize);

  public static native void sj_swiglu(@Cast("float*") long h1, @Cast("const float*") long h3, long n);

  public static native void sj_add(@Cast("float*") long x, @Cast("const float*") long y, long n);

  public static native double sj_sum_f32(@Cast("const float*") long x, long n);

  public static native double sj_core_clock_ghz(long iterations);

  // Sparse kernels (spmv_bitmask.h, sparse24.h, quantize.h): callers check shapes and formats first.

  public static native void sj_bitmask_matmul_f32(
      @Cast("float*") long out, @Cast("const float*") long x, int batch, int rows, int cols,
      @Cast("const uint8_t*") long bitmask, @Cast("const int32_t*") long offsets, @Cast("const float*") long values);

  public static native void sj_bitmask_matmul_i8(
      @Cast("float*") long out, @Cast("const float*") long x, int batch, int rows, int cols,
      @Cast("const uint8_t*") long bitmask, @Cast("const int32_t*") long offsets, @Cast("const int8_t*") long values,
      @Cast("const float*") long scales);

  public static native void sj_bitmask_matmul_w8a8(
      @Cast("float*") long out, @Cast("const int8_t*") long xq, @Cast("const float*") long xScales, int batch,
      int rows, int cols, @Cast("const uint8_t*") long bitmask, @Cast("const int32_t*") long offsets,
      @Cast("const int8_t*") long values, @Cast("const float*") long scales, @Cast("const int32_t*") long rowSums);

  public static native void sj_sparse24_matmul_f32(
      @Cast("float*") long out, @Cast("const float*") long x, int batch, int rows, int cols,
      @Cast("const float*") long values, @Cast("const uint8_t*") long indices);

  public static native void sj_sparse24_matmul_i8(
      @Cast("float*") long out, @Cast("const float*") long x, int batch, int rows, int cols,
      @Cast("const int8_t*") long values, @Cast("const uint8_t*") long indices, @Cast("const float*") long scales);

  public static native void sj_sparse24_matmul_w8a8(
      @Cast("float*") long out, @Cast("const int8_t*") long xq, @Cast("const float*") long xScales, int batch,
      int rows, int cols, @Cast("const int8_t*") long values, @Cast("const uint8_t*") long indices,
      @Cast("const float*") long scales, @Cast("const int32_t*") long rowSums);

  // Dense int8 kernels (gemm_int8.h).

  public static native void sj_matmul_w8a16(
      @Cast("float*") long out, @Cast("const float*") long x, @Cast("const int8_t*") long w,
      @Cast("const float*") long scales, int batch, int rows, int cols);

  public static native void sj_matmul_w8a8(
      @Cast("float*") long out, @Cast("const int8_t*") long xq, @Cast("const float*") long xScales,
      @Cast("const int8_t*") long w, @Cast("const float*") long scales, @Cast("const int32_t*") long rowSums,
      int batch, int rows, int cols);

  public static native void sj_quantize_rows_i8(
      @Cast("int8_t*") long q, @Cast("float*") long scales, @Cast("const float*") long x, int batch, int cols);

  // Paged attention (attention_paged.h): segments [n][4] int32 and pages int64 addresses, as CpuBackend encodes them.

  public static native void sj_attention_paged(
      @Cast("float*") long out, @Cast("const float*") long q, int nSegments, @Cast("const int32_t*") long segments,
      @Cast("const int64_t*") long pages, int pageTokens, long keyOffset, long valueOffset, int nHeads, int nKvHeads,
      int headSize);

  public static native void sj_attention_paged_window(
      @Cast("float*") long out, @Cast("const float*") long q, int nSegments, @Cast("const int32_t*") long segments,
      @Cast("const int64_t*") long pages, int pageTokens, long keyOffset, long valueOffset, int nHeads, int nKvHeads,
      int headSize, int window);

  public static native void sj_kv_write(
      @Cast("const float*") long k, @Cast("const float*") long v, int nSegments,
      @Cast("const int32_t*") long segments, @Cast("const int64_t*") long pages, int pageTokens, long keyOffset,
      long valueOffset, int kvDim);
}
