package org.sparsej.format;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparsej.format.gguf.GgufFile;
import org.sparsej.format.hf.HfCheckpoint;
import org.sparsej.format.safetensors.SafetensorsFile;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;

/** Test helpers: every tensor of a file as bytes, and a magnitude-pruned copy of a model. */
public final class ModelFiles {
  private ModelFiles() {}

  /** name -> raw bytes of every tensor of a Hugging Face directory (all shards). */
  public static Map<String, ByteBuffer> hfTensors(Path dir) {
    Map<String, ByteBuffer> out = new LinkedHashMap<>();
    try (HfCheckpoint c = HfCheckpoint.open(dir)) {
      for (String name : c.names()) {
        SafetensorsFile f = c.fileOf(name);
        out.put(name, f.map(f.entry(name)));
      }
    }
    return out;
  }

  /** name -> raw bytes of every tensor of a GGUF file. */
  static Map<String, ByteBuffer> ggufTensors(Path file) {
    Map<String, ByteBuffer> out = new LinkedHashMap<>();
    try (GgufFile g = GgufFile.open(file)) {
      for (GgufFile.TensorInfo t : g.tensors().values()) {
        out.put(t.name() + " " + t.type() + " " + t.dimsString(), g.map(t));
      }
    }
    return out;
  }

  /** A copy of a dense F32 model whose linear weights (not the classifier) lose their smallest half per row. */
  static LlamaModel magnitudePruned(LlamaModel m, double fraction) {
    LlamaWeights w = m.weights();
    java.util.List<LayerWeights> layers = new java.util.ArrayList<>();
    for (LayerWeights l : w.layers()) {
      layers.add(new LayerWeights(l.attentionNorm(), prune(l.wq(), fraction), prune(l.wk(), fraction),
          prune(l.wv(), fraction), prune(l.wo(), fraction), l.ffnNorm(), prune(l.w1(), fraction),
          prune(l.w2(), fraction), prune(l.w3(), fraction)));
    }
    return new LlamaModel(m.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), w.classifier()));
  }

  private static LinearWeight prune(LinearWeight lw, double fraction) {
    Tensor src = lw.toDense();
    Tensor t = Tensor.allocate(DType.F32, lw.rows(), lw.cols());
    int cols = lw.cols();
    float[] row = new float[cols];
    for (int r = 0; r < lw.rows(); r++) {
      for (int c = 0; c < cols; c++) {
        row[c] = Math.abs(src.getFloat((long) r * cols + c));
      }
      float[] sorted = row.clone();
      java.util.Arrays.sort(sorted);
      float threshold = sorted[(int) (fraction * cols)];
      for (int c = 0; c < cols; c++) {
        float v = src.getFloat((long) r * cols + c);
        t.setFloat((long) r * cols + c, Math.abs(v) < threshold ? 0f : v);
      }
    }
    return new DenseF32Weight(t);
  }
}
