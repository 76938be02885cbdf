package org.sparsej.quantize;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.sparsej.backend.Backend;
import org.sparsej.backend.RopeStyle;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;

/** Small random Llama models with grouped-query attention and a few outlier channels, built in memory. */
final class TinyModels {
  /** dim 32, hidden 48, 2 blocks, 4 q heads sharing 2 kv heads, vocab 64, context 32. */
  static final LlamaConfig CONFIG = new LlamaConfig(32, 48, 2, 4, 2, 64, 32, false, 1e-5f, 10000f,
      RopeStyle.INTERLEAVED);

  private TinyModels() {}

  static LlamaModel random(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    LlamaConfig c = CONFIG;
    Tensor embedding = uniform(r, 1f, c.vocabSize(), c.dim());
    // Outlier channels, as trained LLMs have: a few input channels far larger than the rest.
    for (int v = 0; v < c.vocabSize(); v++) {
      embedding.setFloat((long) v * c.dim() + 3, embedding.getFloat((long) v * c.dim() + 3) * 25);
      embedding.setFloat((long) v * c.dim() + 17, embedding.getFloat((long) v * c.dim() + 17) * 12);
    }
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < c.nLayers(); l++) {
      layers.add(new LayerWeights(norm(r, c.dim()), linear(r, c.dim(), c.dim()), linear(r, c.kvDim(), c.dim()),
          linear(r, c.kvDim(), c.dim()), linear(r, c.dim(), c.dim()), norm(r, c.dim()),
          linear(r, c.hiddenDim(), c.dim()), linear(r, c.dim(), c.hiddenDim()), linear(r, c.hiddenDim(), c.dim())));
    }
    return new LlamaModel(c, new LlamaWeights(embedding, layers, norm(r, c.dim()),
        linear(r, c.vocabSize(), c.dim())));
  }

  /** Random token windows. */
  static List<int[]> samples(long seed, int count, int length) {
    SplittableRandom r = new SplittableRandom(seed);
    List<int[]> out = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      out.add(r.ints(length, 0, CONFIG.vocabSize()).toArray());
    }
    return out;
  }

  /** All logits [n][vocab] of {@code tokens} from position 0. */
  static float[] logits(LlamaModel model, Backend backend, int[] tokens) {
    return model.newSession(backend, tokens.length).forward(tokens, tokens.length, true).toFloatArray();
  }

  private static Tensor uniform(SplittableRandom r, float scale, int... shape) {
    Tensor t = Tensor.allocate(DType.F32, shape);
    for (long i = 0; i < t.size(); i++) {
      t.setFloat(i, (float) ((r.nextDouble() * 2 - 1) * scale));
    }
    return t;
  }

  private static Tensor norm(SplittableRandom r, int n) {
    Tensor t = Tensor.allocate(DType.F32, n);
    for (int i = 0; i < n; i++) {
      t.setFloat(i, (float) (0.5 + r.nextDouble()));
    }
    return t;
  }

  private static DenseF32Weight linear(SplittableRandom r, int rows, int cols) {
    return new DenseF32Weight(uniform(r, (float) (1 / Math.sqrt(cols)), rows, cols));
  }
}
