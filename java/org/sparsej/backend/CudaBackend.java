package org.sparsej.backend;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.sparsej.nativeops.CudaLibrary;
import org.sparsej.nativeops.SparsejCuda;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseHalfWeight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.WeightFormat;

/**
 * The NVIDIA GPU backend over libsparsej_cuda.so (cuda/): every tensor it allocates or prepares is device memory,
 * every op runs on the device, and only {@link #copyToHost} brings values back (the logits). Weights are uploaded
 * once: BF16 stays BF16, other dense formats become FP16 (cuBLAS, FP32 accumulation); 2:4 weights go to
 * cuSPARSELt (compressed at prepare) or, without it or when SPARSEJ_CUDA_24=mma, to the own mma.sp kernel; other
 * sparse formats run densified to FP16 (said once on stderr).
 *
 * <p>A device tensor is a {@link Tensor} whose address is a device address (its buffer must never be read on the
 * host: only this class touches them). Not thread-safe, like the passes that use it.
 */
public final class CudaBackend implements Backend {
  private final Set<Long> allocations = new HashSet<>();
  private final Set<Long> weights = new HashSet<>();
  private final Map<float[], Long> uploadedFrequencies = new IdentityHashMap<>();
  private final Map<String, Long> thetaFrequencies = new java.util.HashMap<>();
  private final boolean mmaFor24;
  private final Set<String> notes = new HashSet<>();  // each said once on stderr
  private long tokens;        // device int32 scratch for embedding
  private int tokensCapacity;
  private long table;         // device copy of the page table of `tableOf`
  private long tableBytes;
  private PagedKv tableOf;

  public CudaBackend() {
    String reason = unavailableReason();
    if (reason != null) {
      throw new SparsejException("cuda: " + reason);
    }
    String path = System.getProperty("sparsej.cuda.24", System.getenv("SPARSEJ_CUDA_24"));
    mmaFor24 = "mma".equalsIgnoreCase(path) || CudaLibrary.cusparseltReason() != null;
  }

  /** Null if this backend can run here, else one line saying why not (library, driver, device, cuBLAS). */
  public static String unavailableReason() {
    String reason = CudaLibrary.unavailableReason();
    return reason != null ? reason : CudaLibrary.cublasReason();
  }

  @Override
  public String name() {
    return "cuda";
  }

  @Override
  public String describe() {
    String lt = CudaLibrary.cusparseltReason();
    return "cuda (" + SparsejCuda.sjc_describe() + "; 2:4 on " + (mmaFor24 ? "mma.sp" : "cuSPARSELt")
        + (lt != null ? "; " + lt : "") + ")";
  }

  @Override
  public Tensor allocate(DType dtype, int... shape) {
    long elements = 1;
    for (int d : shape) {
      elements *= d;
    }
    long bytes = elements * dtype.bytes();
    long address = malloc(bytes);
    allocations.add(address);
    return deviceTensor(address, bytes, dtype, shape);
  }

  /** A Tensor over device memory: the buffer only carries the address and size (never read on the host). */
  static Tensor deviceTensor(long deviceAddress, long bytes, DType dtype, int... shape) {
    if (bytes > Integer.MAX_VALUE) {
      throw new SparsejException("cuda: tensor of " + bytes + " bytes exceeds 2 GiB");
    }
    ByteBuffer view = new BytePointer() {
      {
        address = deviceAddress;  // Pointer's own field: the parameter must not be called `address`
      }
    }.capacity(bytes).asByteBuffer();
    return Tensor.wrap(view, dtype, shape);
  }

  @Override
  public void free(Tensor t) {
    if (allocations.remove(t.address())) {
      check(SparsejCuda.sjc_free(t.address()), "free");
    }
  }

  @Override
  public LinearWeight prepare(LinearWeight w) {
    if (w instanceof CudaWeight) {
      return w;
    }
    WeightFormat f = w.format();
    long handle;
    if (f == WeightFormat.DENSE_BF16 || f == WeightFormat.DENSE_F16) {
      Tensor values = ((DenseHalfWeight) w).values();
      handle = SparsejCuda.sjc_weight_dense_half(values.address(), w.rows(), w.cols(),
          f == WeightFormat.DENSE_BF16 ? SparsejCuda.BF16 : SparsejCuda.F16);
    } else if (f.storedLayout() == org.sparsej.weights.StoredWeight.Layout.TWO_FOUR) {
      Tensor dense = w.toDense();
      handle = SparsejCuda.sjc_weight_sparse24(dense.address(), w.rows(), w.cols(),
          mmaFor24 ? SparsejCuda.PATH_MMA_SP : SparsejCuda.PATH_CUSPARSELT);
      if (handle == 0 && !mmaFor24) {  // a shape cuSPARSELt refuses still runs 2:4, on the own kernel
        note("cuda: cuSPARSELt refused a " + w.rows() + "x" + w.cols() + " 2:4 weight (" + SparsejCuda.sjc_last_error()
            + "); it runs on the mma.sp kernel");
        handle = SparsejCuda.sjc_weight_sparse24(dense.address(), w.rows(), w.cols(), SparsejCuda.PATH_MMA_SP);
      }
    } else {
      if (f.storedLayout() != org.sparsej.weights.StoredWeight.Layout.DENSE) {
        note("cuda: " + f.id() + " weights run densified to FP16 on the GPU (no sparse kernel for that format there)");
      }
      handle = SparsejCuda.sjc_weight_dense_f32(w.toDense().address(), w.rows(), w.cols(), SparsejCuda.F16);
    }
    if (handle == 0) {
      throw new SparsejException("cuda: cannot prepare a " + f.id() + " " + w.rows() + "x" + w.cols() + " weight: "
          + SparsejCuda.sjc_last_error());
    }
    weights.add(handle);
    return new CudaWeight(handle, w, SparsejCuda.sjc_weight_kind(handle));
  }

  @Override
  public Tensor prepare(Tensor t) {
    if (allocations.contains(t.address())) {
      return t;
    }
    t.requireDType(DType.F32);
    Tensor d = allocate(DType.F32, t.shape());
    check(SparsejCuda.sjc_upload(d.address(), t.address(), t.byteSize()), "upload");
    return d;
  }

  /** Copies host floats into a device tensor (tests, and what a caller computed on the host). */
  public void copyFromHost(Tensor dst, long dstOffset, float[] src, int count) {
    dst.requireSize("copyFromHost", dstOffset + count);
    check(SparsejCuda.sjc_upload(dst.address() + 4 * dstOffset, src, 4L * count), "upload");
  }

  @Override
  public void copyToHost(Tensor src, long srcOffset, float[] dst, int dstOffset, int count) {
    src.requireSize("copyToHost", srcOffset + count);
    float[] into = dstOffset == 0 ? dst : new float[count];
    check(SparsejCuda.sjc_download(into, src.address() + 4 * srcOffset, 4L * count), "download");
    if (into != dst) {
      System.arraycopy(into, 0, dst, dstOffset, count);
    }
  }

  @Override
  public void copy(Tensor dst, long dstOffset, Tensor src, long srcOffset, long count) {
    dst.requireSize("copy dst", dstOffset + count);
    src.requireSize("copy src", srcOffset + count);
    check(SparsejCuda.sjc_copy(dst.address() + 4 * dstOffset, src.address() + 4 * srcOffset, 4 * count), "copy");
  }

  @Override
  public void matmul(Tensor out, Tensor x, LinearWeight w, int batch) {
    Shapes.checkMatmul(out, x, w, batch);
    if (!(w instanceof CudaWeight cw)) {
      throw new SparsejException("cuda: matmul with a weight that was not prepared by this backend");
    }
    check(SparsejCuda.sjc_matmul(out.address(), x.address(), cw.handle, batch), "matmul");
  }

  @Override
  public void rmsnorm(Tensor out, Tensor x, Tensor weight, int batch, int dim, float eps) {
    Shapes.checkRmsnorm(out, x, weight, batch, dim);
    check(SparsejCuda.sjc_rmsnorm(out.address(), x.address(), weight.address(), batch, dim, eps), "rmsnorm");
  }

  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize, float theta,
                   RopeStyle style) {
    long freqs = thetaFrequencies.computeIfAbsent(theta + "/" + headSize, key -> {
      float[] f = new float[headSize / 2];
      for (int i = 0; i < f.length; i++) {
        f[i] = 1.0f / (float) Math.pow(theta, (2.0f * i) / headSize);  // as JavaBackend
      }
      return upload(f);
    });
    Shapes.checkRope(q, k, batch, nHeads, nKvHeads, headSize);
    check(SparsejCuda.sjc_rope(q.address(), k.address(), batch, pos0, nHeads, nKvHeads, headSize, freqs, 1.0f,
        style.ordinal()), "rope");
  }

  /** The frequency array is uploaded once per array instance: callers keep one per model (BlockBuffers). */
  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize,
                   float[] frequencies, float scale, RopeStyle style) {
    Shapes.checkRope(q, k, batch, nHeads, nKvHeads, headSize);
    Shapes.checkRopeFrequencies(frequencies, headSize);
    long freqs = uploadedFrequencies.computeIfAbsent(frequencies, this::upload);
    check(SparsejCuda.sjc_rope(q.address(), k.address(), batch, pos0, nHeads, nKvHeads, headSize, freqs, scale,
        style.ordinal()), "rope");
  }

  private long upload(float[] values) {
    long d = malloc(4L * values.length);
    allocations.add(d);
    check(SparsejCuda.sjc_upload(d, values, 4L * values.length), "upload");
    return d;
  }

  @Override
  public void softmax(Tensor x, int n) {
    x.requireSize("softmax", n);
    check(SparsejCuda.sjc_softmax(x.address(), n), "softmax");
  }

  /** A contiguous cache is one page holding every position: keys at keyCache, values at their offset from it. */
  @Override
  public void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0, int nHeads,
                        int nKvHeads, int headSize) {
    Shapes.checkAttention(out, q, keyCache, valueCache, batch, pos0, nHeads, nKvHeads, headSize);
    ByteBuffer host = ByteBuffer.allocateDirect(24).order(java.nio.ByteOrder.nativeOrder());
    host.putInt(0).putInt(batch).putInt(pos0).putInt(0).putLong(keyCache.address());
    long d = uploadTable(new Pointer(host).address(), 24);
    tableOf = null;
    long valueOffset = (valueCache.address() - keyCache.address()) / 4;
    check(SparsejCuda.sjc_attention_paged(out.address(), q.address(), batch, 1, d, pos0 + batch, 0, valueOffset,
        nHeads, nKvHeads, headSize, 0), "attention");
  }

  @Override
  public void writeKv(PagedKv kv, int layer, Tensor k, Tensor v) {
    Shapes.checkWriteKv(kv, layer, k, v);
    check(SparsejCuda.sjc_kv_write(k.address(), v.address(), kv.totalRows(), kv.segments(), deviceTable(kv),
        kv.pageTokens(), kv.keyOffset(layer, 0), kv.valueOffset(layer, 0), kv.kvDim()), "kv write");
  }

  @Override
  public void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads, int headSize,
                             int window) {
    Shapes.checkPagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize);
    check(SparsejCuda.sjc_attention_paged(out.address(), q.address(), kv.totalRows(), kv.segments(), deviceTable(kv),
        kv.pageTokens(), kv.keyOffset(layer, 0), kv.valueOffset(layer, 0), nHeads, nKvHeads, headSize,
        Math.max(0, window)), "attention");
  }

  /** The pass's page table on the device, uploaded once per PagedKv (every layer of a pass shares it). */
  private long deviceTable(PagedKv kv) {
    if (kv != tableOf) {
      NativePageTable t = NativePageTable.of(kv);
      uploadTable(t.segmentsAddress, 16L * kv.segments() + 8L * kv.tableSize());
      tableOf = kv;
    }
    return table;
  }

  private long uploadTable(long hostAddress, long bytes) {
    if (bytes > tableBytes) {
      if (table != 0) {
        allocations.remove(table);
        check(SparsejCuda.sjc_free(table), "free");
      }
      tableBytes = Math.max(bytes, 4096);
      table = malloc(tableBytes);
      allocations.add(table);
    }
    check(SparsejCuda.sjc_upload(table, hostAddress, bytes), "upload");
    return table;
  }

  @Override
  public void swiglu(Tensor h1, Tensor h3, long n) {
    h1.requireSize("swiglu h1", n);
    h3.requireSize("swiglu h3", n);
    check(SparsejCuda.sjc_swiglu(h1.address(), h3.address(), n), "swiglu");
  }

  @Override
  public void add(Tensor x, Tensor y, long n) {
    x.requireSize("add x", n);
    y.requireSize("add y", n);
    check(SparsejCuda.sjc_add(x.address(), y.address(), n), "add");
  }

  @Override
  public void embedding(Tensor out, Tensor table, int[] ids, int count) {
    int dim = table.dim(1);
    out.requireSize("embedding", (long) count * dim);
    for (int i = 0; i < count; i++) {
      if (ids[i] < 0 || ids[i] >= table.dim(0)) {
        throw new SparsejException("token id " + ids[i] + " outside vocabulary of " + table.dim(0));
      }
    }
    if (count > tokensCapacity) {
      if (tokens != 0) {
        allocations.remove(tokens);
        check(SparsejCuda.sjc_free(tokens), "free");
      }
      tokensCapacity = Math.max(count, 256);
      tokens = malloc(4L * tokensCapacity);
      allocations.add(tokens);
    }
    check(SparsejCuda.sjc_upload(tokens, ids, 4L * count), "upload");
    check(SparsejCuda.sjc_embedding(out.address(), table.address(), tokens, count, dim), "embedding");
  }

  @Override
  public void close() {
    for (long w : weights) {
      SparsejCuda.sjc_weight_free(w);
    }
    for (long a : allocations) {
      SparsejCuda.sjc_free(a);
    }
    weights.clear();
    allocations.clear();
    uploadedFrequencies.clear();
    thetaFrequencies.clear();
    tableOf = null;
    table = tokens = 0;
    tableBytes = tokensCapacity = 0;
  }

  private void note(String line) {
    if (notes.add(line.replaceAll("[0-9]+x[0-9]+ ", ""))) {
      System.err.println(line);
    }
  }

  private static long malloc(long bytes) {
    long address = SparsejCuda.sjc_malloc(bytes);
    if (address == 0) {
      throw new SparsejException("cuda: cannot allocate " + bytes + " bytes: " + SparsejCuda.sjc_last_error());
    }
    return address;
  }

  private static void check(int status, String what) {
    if (status != 0) {
      throw new SparsejException("cuda: " + what + " failed: " + SparsejCuda.sjc_last_error());
    }
  }
}
