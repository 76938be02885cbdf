package org.sparsej.format.gguf;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.sparsej.backend.RopeStyle;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.Halfs;
import org.sparsej.format.QkPermutation;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.OffHeapMemory;
import org.sparsej.tensor.Tensor;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.DenseHalfWeight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q4_0Weight;
import org.sparsej.weights.Q8_0Weight;
import org.sparsej.weights.WeightFormat;

/**
 * Writes a model as GGUF v3 in llama.cpp's "llama" layout (tensor names, dims innermost first, q/k rows in
 * interleaved RoPE order), with the tokenizer embedded when one is given. Matrices are written F32, or Q8_0 with
 * {@code quantize}; Q8_0 and Q4_0 weights stay as they are, byte for byte; norms are always F32. Other weight formats are written
 * dense. The file appears atomically.
 */
public final class GgufModelWriter {
  private GgufModelWriter() {}

  /** @param quantizeQ8_0 quantize F32 matrices (and the embedding) to Q8_0, as llama.cpp's q8_0 files are */
  public static void write(LlamaModel model, Vocabulary vocab, Path out, boolean quantizeQ8_0, boolean replace) {
    write(model, vocab, out, quantizeQ8_0 ? GgmlType.Q8_0 : GgmlType.F32, replace);
  }

  /**
   * @param matrixType the type of the matrices (and the embedding) that are dense F32 in memory: F32, F16, BF16,
   *     Q8_0 or Q4_0 (llama.cpp's reference rounding); Q8_0 weights are always written as they are
   */
  public static void write(LlamaModel model, Vocabulary vocab, Path out, GgmlType matrixType, boolean replace) {
    if (!matrixType.writable()) {
      throw new org.sparsej.util.SparsejException("cannot write GGUF matrices as " + matrixType);
    }
    LlamaConfig c = model.config();
    c.requirePlainLlama("the GGUF writer");
    LlamaWeights w = model.weights();
    GgufWriter g = new GgufWriter();
    g.putString("general.architecture", "llama");
    g.putString("general.name", stripExtension(out.getFileName().toString()));
    g.putU32("llama.context_length", c.seqLen());
    g.putU32("llama.embedding_length", c.dim());
    g.putU32("llama.block_count", c.nLayers());
    g.putU32("llama.feed_forward_length", c.hiddenDim());
    g.putU32("llama.rope.dimension_count", c.headSize());
    g.putU32("llama.attention.head_count", c.nHeads());
    g.putU32("llama.attention.head_count_kv", c.nKvHeads());
    g.putF32("llama.attention.layer_norm_rms_epsilon", c.normEps());
    g.putF32("llama.rope.freq_base", c.ropeTheta());
    GgmlType mostly = written(w.layers().get(0).wq(), matrixType);
    // llama_ftype: 0 all F32, 1 mostly F16, 2 mostly Q4_0, 7 mostly Q8_0, 32 mostly BF16
    g.putU32("general.file_type", mostly == GgmlType.Q8_0 ? 7 : mostly == GgmlType.F16 ? 1
        : mostly == GgmlType.Q4_0 ? 2 : mostly == GgmlType.BF16 ? 32 : 0);
    if (vocab != null) {
      GgufVocabulary.write(g, vocab);
    }
    int dim = c.dim();
    if (c.sharedClassifier()) {
      // Tied: token_embd is the classifier, in the classifier's format (a Q8_0 GGUF keeps its Q8_0 table).
      matrix(g, "token_embd.weight", w.classifier(), c, false, matrixType);
    } else {
      matrix(g, "token_embd.weight", new DenseF32Weight(w.tokenEmbedding()), c, false, matrixType);
    }
    for (int l = 0; l < c.nLayers(); l++) {
      LayerWeights lw = w.layers().get(l);
      String p = "blk." + l + ".";
      vector(g, p + "attn_norm.weight", lw.attentionNorm(), dim);
      matrix(g, p + "attn_q.weight", lw.wq(), c, true, matrixType);
      matrix(g, p + "attn_k.weight", lw.wk(), c, true, matrixType);
      matrix(g, p + "attn_v.weight", lw.wv(), c, false, matrixType);
      matrix(g, p + "attn_output.weight", lw.wo(), c, false, matrixType);
      vector(g, p + "ffn_norm.weight", lw.ffnNorm(), dim);
      matrix(g, p + "ffn_gate.weight", lw.w1(), c, false, matrixType);
      matrix(g, p + "ffn_down.weight", lw.w2(), c, false, matrixType);
      matrix(g, p + "ffn_up.weight", lw.w3(), c, false, matrixType);
    }
    vector(g, "output_norm.weight", w.finalNorm(), dim);
    if (!c.sharedClassifier()) {
      matrix(g, "output.weight", w.classifier(), c, false, matrixType);
    }
    AtomicOutput.file(out, replace, tmp -> g.write(tmp));
  }

  private static void vector(GgufWriter g, String name, Tensor t, int n) {
    t.requireDType(DType.F32);
    g.tensor(name, new long[] {n}, GgmlType.F32, t::bytes);
  }

  private static void matrix(GgufWriter g, String name, LinearWeight w, LlamaConfig c, boolean qk,
                             GgmlType type) {
    int rows = w.rows();
    int cols = w.cols();
    boolean permute = qk && c.ropeStyle() != RopeStyle.INTERLEAVED;
    long[] dims = {cols, rows};
    if (w.format() == WeightFormat.Q8_0) {  // kept as stored, block for block
      int rowBytes = (int) Q8_0Weight.bytesFor(1, cols);
      g.tensor(name, dims, GgmlType.Q8_0, permute(((Q8_0Weight) w).blocks()::bytes, permute, rows, rowBytes, c));
      return;
    }
    if (w.format() == WeightFormat.Q4_0) {
      int rowBytes = (int) Q4_0Weight.bytesFor(1, cols);
      g.tensor(name, dims, GgmlType.Q4_0, permute(((Q4_0Weight) w).blocks()::bytes, permute, rows, rowBytes, c));
      return;
    }
    GgmlType as = written(w, type);
    if (w instanceof DenseHalfWeight h
        && as == (w.format() == WeightFormat.DENSE_BF16 ? GgmlType.BF16 : GgmlType.F16)) {  // as stored, bit for bit
      g.tensor(name, dims, as, permute(h.values()::bytes, permute, rows, cols * 2, c));
      return;
    }
    Tensor dense = w.toDense();  // a dense F32 weight's own values, no copy
    Supplier<ByteBuffer> f32 = permute(dense::bytes, permute, rows, cols * 4, c);
    g.tensor(name, dims, type, () -> encode(type, f32.get(), rows, cols));
  }

  /**
   * The type a weight is written in: Q8_0 weights as they are, BF16/F16 ones too unless another type than F32
   * (the default) is asked for, everything else in the asked type.
   */
  private static GgmlType written(LinearWeight w, GgmlType type) {
    if (w.format() == WeightFormat.Q8_0) {
      return GgmlType.Q8_0;
    }
    if (w.format() == WeightFormat.Q4_0) {
      return GgmlType.Q4_0;
    }
    if (type == GgmlType.F32 && w.format() == WeightFormat.DENSE_BF16) {
      return GgmlType.BF16;
    }
    if (type == GgmlType.F32 && w.format() == WeightFormat.DENSE_F16) {
      return GgmlType.F16;
    }
    return type;
  }

  /** F32 rows in one of the writable types. */
  public static ByteBuffer encode(GgmlType type, ByteBuffer f32, int rows, int cols) {
    long n = (long) rows * cols;
    switch (type) {
      case F32:
        return f32;
      case Q8_0:
        return Q8_0Weight.quantize(Tensor.wrap(f32, DType.F32, rows, cols)).blocks().bytes();
      case F16:
      case BF16: {
        ByteBuffer out = OffHeapMemory.directBuffer(Math.toIntExact(2 * n)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
          float v = f32.getFloat(Math.toIntExact(4 * i));
          out.putShort(Math.toIntExact(2 * i), type == GgmlType.F16 ? Halfs.f32ToF16(v) : Halfs.f32ToBf16(v));
        }
        return out;
      }
      case Q4_0:
        return Q4_0Weight.quantize(Tensor.wrap(f32, DType.F32, rows, cols)).blocks().bytes();
      default:
        throw new IllegalArgumentException(type.toString());
    }
  }

  private static Supplier<ByteBuffer> permute(Supplier<ByteBuffer> rows, boolean permute, int n, int rowBytes,
                                              LlamaConfig c) {
    if (!permute) {
      return rows;
    }
    return () -> QkPermutation.permute(rows.get(), n, rowBytes, c.headSize(), c.ropeStyle(), RopeStyle.INTERLEAVED);
  }

  private static String stripExtension(String name) {
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }
}
