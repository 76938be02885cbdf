package org.sparsej.format.gguf;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.sparsej.backend.RopeStyle;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.QkPermutation;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q8_0Weight;

/**
 * Writes a model as GGUF v3 in llama.cpp's "llama" layout (tensor names, dims innermost first, q/k rows in
 * interleaved RoPE order), with the tokenizer embedded when one is given. Matrices are written F32, or Q8_0 with
 * {@code quantize}; Q8_0 weights stay Q8_0 byte for byte; norms are always F32. Other weight formats are written
 * dense. The file appears atomically.
 */
public final class GgufModelWriter {
  private GgufModelWriter() {}

  /** @param quantizeQ8_0 quantize F32 matrices (and the embedding) to Q8_0, as llama.cpp's q8_0 files are */
  public static void write(LlamaModel model, Vocabulary vocab, Path out, boolean quantizeQ8_0, boolean replace) {
    LlamaConfig c = model.config();
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
    boolean anyQ8 = quantizeQ8_0 || w.layers().get(0).wq() instanceof Q8_0Weight;
    g.putU32("general.file_type", anyQ8 ? 7 : 0);
    if (vocab != null) {
      GgufVocabulary.write(g, vocab);
    }
    int dim = c.dim();
    if (c.sharedClassifier()) {
      // Tied: token_embd is the classifier, in the classifier's format (a Q8_0 GGUF keeps its Q8_0 table).
      matrix(g, "token_embd.weight", w.classifier(), c, false, quantizeQ8_0);
    } else {
      matrix(g, "token_embd.weight", new DenseF32Weight(w.tokenEmbedding()), c, false, quantizeQ8_0);
    }
    for (int l = 0; l < c.nLayers(); l++) {
      LayerWeights lw = w.layers().get(l);
      String p = "blk." + l + ".";
      vector(g, p + "attn_norm.weight", lw.attentionNorm(), dim);
      matrix(g, p + "attn_q.weight", lw.wq(), c, true, quantizeQ8_0);
      matrix(g, p + "attn_k.weight", lw.wk(), c, true, quantizeQ8_0);
      matrix(g, p + "attn_v.weight", lw.wv(), c, false, quantizeQ8_0);
      matrix(g, p + "attn_output.weight", lw.wo(), c, false, quantizeQ8_0);
      vector(g, p + "ffn_norm.weight", lw.ffnNorm(), dim);
      matrix(g, p + "ffn_gate.weight", lw.w1(), c, false, quantizeQ8_0);
      matrix(g, p + "ffn_down.weight", lw.w2(), c, false, quantizeQ8_0);
      matrix(g, p + "ffn_up.weight", lw.w3(), c, false, quantizeQ8_0);
    }
    vector(g, "output_norm.weight", w.finalNorm(), dim);
    if (!c.sharedClassifier()) {
      matrix(g, "output.weight", w.classifier(), c, false, quantizeQ8_0);
    }
    AtomicOutput.file(out, replace, tmp -> g.write(tmp));
  }

  private static void vector(GgufWriter g, String name, Tensor t, int n) {
    t.requireDType(DType.F32);
    g.tensor(name, new long[] {n}, GgmlType.F32, t::bytes);
  }

  private static void matrix(GgufWriter g, String name, LinearWeight w, LlamaConfig c, boolean qk,
                             boolean quantize) {
    int rows = w.rows();
    int cols = w.cols();
    boolean permute = qk && c.ropeStyle() != RopeStyle.INTERLEAVED;
    long[] dims = {cols, rows};
    if (w instanceof Q8_0Weight q) {
      int rowBytes = (int) Q8_0Weight.bytesFor(1, cols);
      g.tensor(name, dims, GgmlType.Q8_0, permute(q.blocks()::bytes, permute, rows, rowBytes, c));
      return;
    }
    Tensor dense = w instanceof DenseF32Weight d ? d.values() : w.toDense();
    Supplier<ByteBuffer> f32 = permute(dense::bytes, permute, rows, cols * 4, c);
    if (quantize) {
      g.tensor(name, dims, GgmlType.Q8_0, () -> Q8_0Weight.quantize(Tensor.wrap(f32.get(), DType.F32, rows, cols))
          .blocks().bytes());
    } else {
      g.tensor(name, dims, GgmlType.F32, f32);
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
