package org.sparsej.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.prune.LinearNames;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.StoredWeight;
import org.sparsej.weights.WeightFormat;

/**
 * A Llama's trainable F32 master copy, made from a loaded model; pruned linears keep their zeros as a fixed mask.
 * Every tensor is a {@link Parameter} (Hugging Face names). The forward pass runs on {@link #live()}: the same
 * values as dense F32 weights in off-heap tensors, refreshed from the parameters by {@link #sync()} before each
 * step. {@link #toModel()} re-encodes the values in the student's original formats.
 */
public final class TrainableModel {
  /** A linear stored sparse, or dense with at least this fraction of exact zeros, trains under a fixed mask. */
  static final double MASK_MIN_ZEROS = 0.10;

  /** One tensor: its parameter, the off-heap copy the forward reads, and (linears) the format to save it in. */
  static final class Slot {
    final Parameter p;
    final Tensor live;
    final WeightFormat format;  // null for norms, biases and the embedding

    Slot(Parameter p, WeightFormat format) {
      this.p = p;
      this.live = Tensor.allocate(DType.F32, p.shape());
      this.format = format;
    }

    void sync() {
      live.floats().put(p.value());
    }
  }

  /** One block's slots, in LayerWeights order. */
  static final class Layer {
    final Slot attentionNorm;
    final Slot[] linears;  // wq, wk, wv, wo, w1, w2, w3
    final Slot ffnNorm;
    final Slot bq;
    final Slot bk;
    final Slot bv;

    Layer(Slot attentionNorm, Slot[] linears, Slot ffnNorm, Slot bq, Slot bk, Slot bv) {
      this.attentionNorm = attentionNorm;
      this.linears = linears;
      this.ffnNorm = ffnNorm;
      this.bq = bq;
      this.bk = bk;
      this.bv = bv;
    }

    Slot wq() {
      return linears[0];
    }

    Slot wk() {
      return linears[1];
    }

    Slot wv() {
      return linears[2];
    }

    Slot wo() {
      return linears[3];
    }

    Slot w1() {
      return linears[4];
    }

    Slot w2() {
      return linears[5];
    }

    Slot w3() {
      return linears[6];
    }

    boolean hasBiases() {
      return bq != null;
    }
  }

  private final LlamaConfig config;
  private final Slot embedding;
  private final List<Layer> layers;
  private final Slot finalNorm;
  private final Slot classifier;  // null when tied to the embedding
  private final List<Parameter> parameters;
  private final LlamaModel live;

  private TrainableModel(LlamaConfig config, Slot embedding, List<Layer> layers, Slot finalNorm, Slot classifier) {
    this.config = config;
    this.embedding = embedding;
    this.layers = layers;
    this.finalNorm = finalNorm;
    this.classifier = classifier;
    List<Parameter> all = new ArrayList<>();
    for (Slot s : slots()) {
      all.add(s.p);
    }
    this.parameters = Collections.unmodifiableList(all);
    this.live = new LlamaModel(config, weightsOn(true));
    sync();
  }

  /** The model's values as F32 parameters; mask = the exact zeros of each linear that is stored sparse or pruned. */
  public static TrainableModel of(LlamaModel model) {
    LlamaConfig c = model.config();
    LlamaWeights w = model.weights();
    boolean tied = c.sharedClassifier()
        || w.classifier() instanceof DenseF32Weight d && d.values() == w.tokenEmbedding();
    Slot embedding = new Slot(new Parameter("model.embed_tokens.weight", new int[] {c.vocabSize(), c.dim()},
        w.tokenEmbedding().toFloatArray(), null, true), null);
    List<Layer> layers = new ArrayList<>();
    for (int l = 0; l < c.nLayers(); l++) {
      LayerWeights lw = w.layers().get(l);
      LinearWeight[] ws = {lw.wq(), lw.wk(), lw.wv(), lw.wo(), lw.w1(), lw.w2(), lw.w3()};
      Slot[] linears = new Slot[ws.length];
      for (int i = 0; i < ws.length; i++) {
        linears[i] = linear(LinearNames.hfName(l, i) + ".weight", ws[i]);
      }
      String prefix = "model.layers." + l + ".";
      layers.add(new Layer(norm(prefix + "input_layernorm.weight", lw.attentionNorm()), linears,
          norm(prefix + "post_attention_layernorm.weight", lw.ffnNorm()),
          lw.hasBiases() ? norm(prefix + "self_attn.q_proj.bias", lw.bq()) : null,
          lw.hasBiases() ? norm(prefix + "self_attn.k_proj.bias", lw.bk()) : null,
          lw.hasBiases() ? norm(prefix + "self_attn.v_proj.bias", lw.bv()) : null));
    }
    return new TrainableModel(c, embedding, layers, norm("model.norm.weight", w.finalNorm()), tied ? null
        : linear("lm_head.weight", w.classifier()));
  }

  /** A vector that trains whole and does not decay (norm gains, biases). */
  private static Slot norm(String name, Tensor t) {
    return new Slot(new Parameter(name, new int[] {Math.toIntExact(t.size())}, t.toFloatArray(), null, false), null);
  }

  private static Slot linear(String name, LinearWeight w) {
    float[] values = w.toDense().toFloatArray();
    boolean sparse = w.format().storedLayout() != StoredWeight.Layout.DENSE;
    int zeros = 0;
    for (float v : values) {
      if (v == 0f) {
        zeros++;
      }
    }
    int[] kept = null;
    if (sparse || zeros >= MASK_MIN_ZEROS * values.length) {
      kept = new int[values.length - zeros];
      int k = 0;
      for (int i = 0; i < values.length; i++) {
        if (values[i] != 0f) {
          kept[k++] = i;
        }
      }
    }
    return new Slot(new Parameter(name, new int[] {w.rows(), w.cols()}, values, kept, true), w.format());
  }

  public LlamaConfig config() {
    return config;
  }

  /** Every tensor: embedding, norms, linears (and biases), final norm, the classifier when untied. */
  public List<Parameter> parameters() {
    return parameters;
  }

  /** True when some linear trains under a mask (is sparse or pruned). */
  public boolean hasSparseLinears() {
    for (Parameter p : parameters) {
      if (p.kept() != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * The current values as a model in the student's original formats (sparse-bitmask stays sparse-bitmask, 2:4 stays
   * 2:4, dense stays dense), each linear keeping exactly its mask: what evaluation runs and what the writers save.
   */
  public LlamaModel toModel() {
    return new LlamaModel(config, weightsOn(false));
  }

  /** The model the forward pass runs: dense F32 weights over the off-heap copies ({@link #sync()} refreshes them). */
  LlamaModel live() {
    return live;
  }

  /** Copies every parameter's values to the tensors {@link #live()} reads. */
  void sync() {
    for (Slot s : slots()) {
      s.sync();
    }
  }

  Slot embedding() {
    return embedding;
  }

  List<Layer> layers() {
    return layers;
  }

  Slot finalNorm() {
    return finalNorm;
  }

  /** The untied classifier, or null when the embedding table is the classifier. */
  Slot classifier() {
    return classifier;
  }

  List<Slot> slots() {
    List<Slot> all = new ArrayList<>();
    all.add(embedding);
    for (Layer l : layers) {
      all.add(l.attentionNorm);
      for (int i = 0; i < 4; i++) {
        all.add(l.linears[i]);
      }
      if (l.hasBiases()) {
        all.add(l.bq);
        all.add(l.bk);
        all.add(l.bv);
      }
      all.add(l.ffnNorm);
      for (int i = 4; i < 7; i++) {
        all.add(l.linears[i]);
      }
    }
    all.add(finalNorm);
    if (classifier != null) {
      all.add(classifier);
    }
    return all;
  }

  /** Weights on the live tensors (live) or freshly encoded in the original formats (toModel). */
  private LlamaWeights weightsOn(boolean useLive) {
    Tensor emb = useLive ? embedding.live : copy(embedding);
    List<LayerWeights> out = new ArrayList<>();
    for (Layer l : layers) {
      LinearWeight[] ws = new LinearWeight[7];
      for (int i = 0; i < 7; i++) {
        ws[i] = useLive ? new DenseF32Weight(l.linears[i].live) : encode(l.linears[i]);
      }
      out.add(new LayerWeights(useLive ? l.attentionNorm.live : copy(l.attentionNorm), ws[0], ws[1], ws[2], ws[3],
          useLive ? l.ffnNorm.live : copy(l.ffnNorm), ws[4], ws[5], ws[6],
          !l.hasBiases() ? null : useLive ? l.bq.live : copy(l.bq),
          !l.hasBiases() ? null : useLive ? l.bk.live : copy(l.bk),
          !l.hasBiases() ? null : useLive ? l.bv.live : copy(l.bv)));
    }
    LinearWeight cls = classifier == null ? new DenseF32Weight(emb)
        : useLive ? new DenseF32Weight(classifier.live) : encode(classifier);
    return new LlamaWeights(emb, out, useLive ? finalNorm.live : copy(finalNorm), cls);
  }

  private static Tensor copy(Slot s) {
    return Tensor.of(s.p.value(), s.p.shape());
  }

  /** The slot's values in its original format, zero (and, for sparse formats, absent) outside its mask. */
  private static LinearWeight encode(Slot s) {
    Tensor dense = copy(s);
    Tensor mask = null;
    int[] kept = s.p.kept();
    if (kept != null) {
      mask = Tensor.allocate(DType.I8, s.p.shape());
      java.nio.ByteBuffer m = mask.bytes();
      for (int i : kept) {
        m.put(i, (byte) 1);
      }
    }
    return s.format.fromDense(dense, mask);
  }
}
