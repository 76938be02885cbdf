package org.sparsej.format.gguf;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparsej.backend.RopeStyle;
import org.sparsej.format.Halfs;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.RopeScaling;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.DenseHalfWeight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q4_0Weight;
import org.sparsej.weights.Q8_0Weight;

/**
 * Loads a GGUF model of llama.cpp's "llama" or "qwen2" architecture (head_dim as attention.key_length, RoPE
 * scaling as rope.scaling.* or a rope_freqs tensor, qwen2's q/k/v biases). F32, F16, BF16, Q8_0 and Q4_0 matrices
 * are memory-mapped and run as stored (F16/BF16, Q8_0 and Q4_0 by their own kernels); K-quant matrices are dequantized to F32
 * off-heap at load. The embedding table and the norms are F32 (dequantized if stored otherwise: only one embedding
 * row is read per token). llama.cpp's converter
 * permutes q/k rows into interleaved-pair RoPE order, hence {@link RopeStyle#INTERLEAVED}.
 */
public final class GgufModelReader {
  private GgufModelReader() {}

  public static LlamaModel load(Path path) {
    try (GgufFile gguf = GgufFile.open(path)) {
      return load(gguf);
    }
  }

  /** The model of an open GGUF file (its tensors stay mapped after the file is closed). */
  public static LlamaModel load(GgufFile gguf) {
    LlamaConfig c = config(gguf);
    return new LlamaModel(c, new Loader(gguf, c).weights());
  }

  /** The model's hyper-parameters from the "llama.*" metadata and the embedding's shape. */
  public static LlamaConfig config(GgufFile g) {
    Object arch = g.metadata().get("general.architecture");
    if (!"llama".equals(arch) && !"qwen2".equals(arch)) {
      throw g.file().error("architecture " + (arch == null ? "(missing)" : "'" + arch + "'")
          + " is not supported (SparseJ reads GGUF models of the 'llama' and 'qwen2' architectures)");
    }
    String a = arch + ".";
    boolean qwen2 = arch.equals("qwen2");  // q/k/v biases; llama.cpp keeps q/k rows in rotate-half order for it
    int dim = intKey(g, a + "embedding_length", -1);
    int hidden = intKey(g, a + "feed_forward_length", -1);
    int layers = intKey(g, a + "block_count", -1);
    int heads = intKey(g, a + "attention.head_count", -1);
    int kvHeads = intKey(g, a + "attention.head_count_kv", heads);
    int seq = intKey(g, a + "context_length", -1);
    float eps = (float) doubleKey(g, a + "attention.layer_norm_rms_epsilon", 1e-5);
    float theta = (float) doubleKey(g, a + "rope.freq_base", 10000.0);
    int headDim = intKey(g, a + "attention.key_length", dim % heads == 0 ? dim / heads : -1);
    if (intKey(g, a + "attention.value_length", headDim) != headDim) {
      throw g.file().error("attention.value_length differs from attention.key_length (not supported)");
    }
    GgufFile.TensorInfo embd = g.tensor("token_embd.weight");
    if (embd == null) {
      throw g.file().error("tensor 'token_embd.weight' is missing");
    }
    if (embd.dims().length != 2 || embd.dims()[0] != dim || embd.dims()[1] > Integer.MAX_VALUE) {
      throw g.file().error("tensor 'token_embd.weight' has dims " + embd.dimsString() + ", expected [" + dim
          + ", vocab]");
    }
    int vocab = (int) embd.dims()[1];
    boolean tied = g.tensor("output.weight") == null;
    LlamaConfig c;
    try {
      c = new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seq, tied, eps, theta,
          qwen2 ? RopeStyle.HALF : RopeStyle.INTERLEAVED, headDim, ropeScaling(g, a, headDim), qwen2, 0);
    } catch (SparsejException e) {
      throw g.file().error(e.getMessage());
    }
    int ropeDims = intKey(g, "llama.rope.dimension_count", c.headSize());
    if (ropeDims != c.headSize()) {
      throw g.file().error("rope.dimension_count " + ropeDims + " differs from the head size " + c.headSize()
          + " (partial rotary embeddings are not supported)");
    }
    return c;
  }

  /** llama.cpp's rope.scaling.* keys, or the rope_freqs tensor its converter writes for llama3 scaling. */
  private static RopeScaling ropeScaling(GgufFile g, String a, int headDim) {
    Object type = g.metadata().get(a + "rope.scaling.type");
    GgufFile.TensorInfo freqs = g.tensor("rope_freqs.weight");
    if (freqs != null) {
      if (type != null && !"none".equals(type)) {
        throw g.file().error("both rope_freqs.weight and rope scaling '" + type + "' (not supported)");
      }
      if (freqs.type() != GgmlType.F32 || !Arrays.equals(freqs.dims(), new long[] {headDim / 2})) {
        throw g.file().error("tensor 'rope_freqs.weight' must be F32 [" + headDim / 2 + "], got " + freqs.type()
            + " " + freqs.dimsString());
      }
      float[] divisors = new float[headDim / 2];
      g.map(freqs).asFloatBuffer().get(divisors);
      return RopeScaling.divisors(divisors);
    }
    if (type == null || "none".equals(type)) {
      return RopeScaling.NONE;
    }
    double factor = doubleKey(g, a + "rope.scaling.factor", -1);
    if ("linear".equals(type)) {
      return RopeScaling.linear(factor);
    }
    if ("yarn".equals(type)) {
      int original = intKey(g, a + "rope.scaling.original_context_length", -1);
      return RopeScaling.yarn(factor, original, doubleKey(g, a + "rope.scaling.yarn_beta_fast", 32),
          doubleKey(g, a + "rope.scaling.yarn_beta_slow", 1), Double.NaN, true);
    }
    throw g.file().error("rope scaling '" + type + "' is not supported (none, linear, yarn and rope_freqs are)");
  }

  static int intKey(GgufFile g, String key, int fallback) {
    Object v = g.metadata().get(key);
    if (v == null) {
      if (fallback >= 0) {
        return fallback;
      }
      throw g.file().error("metadata '" + key + "' is missing");
    }
    if (!(v instanceof Long) || (Long) v <= 0 || (Long) v > Integer.MAX_VALUE) {
      throw g.file().error("metadata '" + key + "' must be a positive integer, got " + describe(v));
    }
    return (int) (long) (Long) v;
  }

  static double doubleKey(GgufFile g, String key, double fallback) {
    Object v = g.metadata().get(key);
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Double) || !Double.isFinite((Double) v) || (Double) v <= 0) {
      throw g.file().error("metadata '" + key + "' must be a positive number, got " + describe(v));
    }
    return (Double) v;
  }

  private static String describe(Object v) {
    return v instanceof GgufArray ? "an array" : String.valueOf(v);
  }

  private static final class Loader {
    final GgufFile g;
    final LlamaConfig c;

    Loader(GgufFile g, LlamaConfig c) {
      this.g = g;
      this.c = c;
    }

    LlamaWeights weights() {
      int dim = c.dim();
      int kv = c.kvDim();
      int hidden = c.hiddenDim();
      GgufFile.TensorInfo embdInfo = g.tensor("token_embd.weight");
      Tensor embedding = floats(require("token_embd.weight", dim, c.vocabSize()), c.vocabSize(), dim);
      List<LayerWeights> layers = new ArrayList<>();
      for (int l = 0; l < c.nLayers(); l++) {
        String p = "blk." + l + ".";
        layers.add(new LayerWeights(
            floats(require(p + "attn_norm.weight", dim), dim),
            linear(p + "attn_q.weight", c.qDim(), dim),
            linear(p + "attn_k.weight", kv, dim),
            linear(p + "attn_v.weight", kv, dim),
            linear(p + "attn_output.weight", dim, c.qDim()),
            floats(require(p + "ffn_norm.weight", dim), dim),
            linear(p + "ffn_gate.weight", hidden, dim),
            linear(p + "ffn_down.weight", dim, hidden),
            linear(p + "ffn_up.weight", hidden, dim),
            c.qkvBias() ? floats(require(p + "attn_q.bias", c.qDim()), c.qDim()) : null,
            c.qkvBias() ? floats(require(p + "attn_k.bias", kv), kv) : null,
            c.qkvBias() ? floats(require(p + "attn_v.bias", kv), kv) : null));
      }
      Tensor norm = floats(require("output_norm.weight", dim), dim);
      LinearWeight classifier;
      if (c.sharedClassifier()) {
        // Tied: the F32 table serves both (mapped, or the one dequantized copy); a Q8_0, Q4_0, BF16 or F16 table stays as
        // stored for the classifier, which then reads the mapped values while lookups use the widened rows.
        GgmlType t = embdInfo.type();
        classifier = t == GgmlType.Q8_0 || t == GgmlType.Q4_0 || t == GgmlType.BF16 || t == GgmlType.F16
            ? linear("token_embd.weight", c.vocabSize(), dim) : new DenseF32Weight(embedding);
      } else {
        classifier = linear("output.weight", c.vocabSize(), dim);
      }
      return new LlamaWeights(embedding, layers, norm, classifier);
    }

    /** A tensor that must exist with these GGUF dims (innermost first) and a type SparseJ reads. */
    GgufFile.TensorInfo require(String name, long... dims) {
      GgufFile.TensorInfo t = g.tensor(name);
      if (t == null) {
        throw g.file().error("tensor '" + name + "' is missing");
      }
      if (!Arrays.equals(t.dims(), dims)) {
        throw g.file().error("tensor '" + name + "' has dims " + t.dimsString() + ", the model's metadata implies "
            + Arrays.toString(dims));
      }
      if (!t.type().supported()) {
        throw g.file().error("tensor '" + name + "' has type " + t.type() + ", which SparseJ does not read "
            + "(supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
      }
      return t;
    }

    LinearWeight linear(String name, int rows, int cols) {
      GgufFile.TensorInfo t = require(name, cols, rows);
      switch (t.type()) {
        case F32:
          return new DenseF32Weight(Tensor.wrap(g.map(t), DType.F32, rows, cols));
        case Q8_0:
          return new Q8_0Weight(Tensor.wrap(g.map(t), DType.I8, (int) t.byteSize()), rows, cols);
        case Q4_0:
          return new Q4_0Weight(Tensor.wrap(g.map(t), DType.I8, (int) t.byteSize()), rows, cols);
        case BF16:
          return new DenseHalfWeight(Tensor.wrap(g.map(t), DType.BF16, rows, cols));
        case F16:
          return new DenseHalfWeight(Tensor.wrap(g.map(t), DType.F16, rows, cols));
        default:
          return new DenseF32Weight(floats(t, rows, cols));
      }
    }

    /** A tensor as F32: mapped if stored F32, else dequantized into a new off-heap buffer. */
    Tensor floats(GgufFile.TensorInfo t, int... shape) {
      ByteBuffer raw = g.map(t);
      if (t.type() == GgmlType.F32) {
        return Tensor.wrap(raw, DType.F32, shape);
      }
      Tensor out = Tensor.allocate(DType.F32, shape);
      dequantize(t.type(), raw, out, t.elementCount());
      return out;
    }
  }

  /** Expands n values of a supported type to F32. */
  public static void dequantize(GgmlType type, ByteBuffer raw, Tensor out, long n) {
    switch (type) {
      case F16:
        for (long i = 0; i < n; i++) {
          out.setFloat(i, Halfs.f16ToF32(raw.getShort(Math.toIntExact(2 * i))));
        }
        break;
      case BF16:
        for (long i = 0; i < n; i++) {
          out.setFloat(i, Halfs.bf16ToF32(raw.getShort(Math.toIntExact(2 * i))));
        }
        break;
      case Q8_0:
        for (long k = 0; k < n / 32; k++) {
          int p = Math.toIntExact(k * 34);
          float d = Halfs.f16ToF32(raw.getShort(p));
          for (int j = 0; j < 32; j++) {
            out.setFloat(k * 32 + j, d * raw.get(p + 2 + j));
          }
        }
        break;
      case Q4_0:
        for (long k = 0; k < n / 32; k++) {
          int p = Math.toIntExact(k * 18);
          float d = Halfs.f16ToF32(raw.getShort(p));
          for (int j = 0; j < 16; j++) {
            int b = raw.get(p + 2 + j) & 0xff;
            out.setFloat(k * 32 + j, d * ((b & 0x0f) - 8));
            out.setFloat(k * 32 + j + 16, d * ((b >>> 4) - 8));
          }
        }
        break;
      case Q4_K:
      case Q5_K:
      case Q6_K:
        KQuants.dequantize(type, raw, out, n);
        break;
      default:
        throw new SparsejException("cannot dequantize " + type);
    }
  }
}
