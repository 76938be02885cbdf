package org.sparsej.model;

import java.util.List;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;

/** All weights of a Llama model, whatever file they came from. */
public record LlamaWeights(
    Tensor tokenEmbedding,      // [vocab][dim] F32
    List<LayerWeights> layers,
    Tensor finalNorm,           // [dim]
    LinearWeight classifier) {  // [vocab][dim]; the embedding table itself when tied

  public long residentBytes() {
    long bytes = tokenEmbedding.byteSize() + finalNorm.byteSize();
    boolean tied = classifier instanceof DenseF32Weight d && d.values() == tokenEmbedding;
    if (!tied) {
      bytes += classifier.residentBytes();
    }
    for (LayerWeights l : layers) {
      bytes += l.attentionNorm().byteSize() + l.ffnNorm().byteSize();
      for (LinearWeight w : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3())) {
        bytes += w.residentBytes();
      }
    }
    return bytes;
  }
}
