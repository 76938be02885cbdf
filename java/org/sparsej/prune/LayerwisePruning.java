package org.sparsej.prune;

import java.util.ArrayList;
import java.util.List;
import org.sparsej.backend.Backend;
import org.sparsej.backend.PagedKv;
import org.sparsej.model.BlockBuffers;
import org.sparsej.model.KvCache;
import org.sparsej.model.KvCachePool;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.TransformerBlock;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;

/**
 * One-shot pruning of a Llama model block by block, as the SparseGPT and Wanda reference scripts drive it:
 * the calibration sequences' hidden states enter block 0 from the embedding; for each block, one forward pass of the
 * still-dense block gathers the input statistics of its four linear groups — (wq, wk, wv) share the normed input,
 * wo takes the attention output, (w1, w3) the ffn-normed input, w2 silu(w1·x)·(w3·x) — then all seven linears are
 * pruned, and a second forward pass through the pruned block produces the inputs of the next one. So each block is
 * calibrated on what the already-pruned blocks before it really produce (methods that read no inputs, magnitude,
 * skip the forward passes). Memory: the calibration hidden states
 * (samples × seqlen × dim floats) plus one block's statistics (3·dim² + hidden² doubles).
 */
public final class LayerwisePruning {
  /** Progress of a run, for a progress bar per block and a log line per linear. */
  public interface Listener {
    default void blockStarted(int block, int blocks, int steps) {}

    default void step(int block, int done, String detail) {}

    default void linearPruned(LinearReport report) {}

    default void blockFinished(int block) {}
  }

  /** What pruning did to one linear. */
  public record LinearReport(String name, int rows, int cols, long zeros, double relativeError, double seconds,
                             boolean skipped) {
    public double sparsity() {
      return (double) zeros / ((long) rows * cols);
    }
  }

  /** The pruned model (its linears fresh F32 tensors; embeddings, norms, classifier shared) and a report. */
  public record Result(LlamaModel model, List<LinearReport> linears) {
    /** Zeros over all linears of the blocks. */
    public double overallSparsity() {
      long zeros = 0;
      long total = 0;
      for (LinearReport r : linears) {
        zeros += r.zeros();
        total += (long) r.rows() * r.cols();
      }
      return total == 0 ? 0 : (double) zeros / total;
    }
  }

  private static final String[] NAMES = {"wq", "wk", "wv", "wo", "w1", "w2", "w3"};

  private LayerwisePruning() {}

  /** Fraction of exact zeros over the block linears of a model (a dense trained model has next to none). */
  public static double existingSparsity(LlamaModel model) {
    long zeros = 0;
    long total = 0;
    for (LayerWeights layer : model.weights().layers()) {
      for (LinearWeight w : linears(layer)) {
        Tensor t = w.toDense();
        java.nio.FloatBuffer f = t.floats();
        for (int i = 0; i < f.limit(); i++) {
          if (f.get(i) == 0f) {
            zeros++;
          }
        }
        total += t.size();
      }
    }
    return total == 0 ? 0 : (double) zeros / total;
  }

  public static Result run(LlamaModel model, Backend backend, List<int[]> samples, PruneRecipe recipe,
                           Listener listener) {
    LlamaConfig c = model.config();
    if (samples.isEmpty()) {
      throw new SparsejException("no calibration samples");
    }
    int seqlen = samples.get(0).length;
    if (seqlen > c.seqLen()) {
      throw new SparsejException("--seqlen " + seqlen + " exceeds the model's context of " + c.seqLen());
    }
    for (int l = 0; l < c.nLayers(); l++) {
      LayerWeights layer = model.weights().layers().get(l);
      List<LinearWeight> ws = linears(layer);
      for (int i = 0; i < NAMES.length; i++) {
        String name = "layers." + l + "." + NAMES[i];
        if (!recipe.ignores(name)) {
          recipe.pattern().requireDivides(ws.get(i).cols(), name);
        }
      }
    }

    Buffers buf = new Buffers(c, seqlen);
    // Hidden states of every calibration sequence entering the current block.
    Tensor[] hidden = new Tensor[samples.size()];
    for (int s = 0; s < samples.size(); s++) {
      hidden[s] = Tensor.allocate(DType.F32, seqlen, c.dim());
      backend.embedding(hidden[s], model.weights().tokenEmbedding(), samples.get(s), seqlen);
    }

    List<LayerWeights> prunedLayers = new ArrayList<>();
    List<LinearReport> reports = new ArrayList<>();
    int steps = 2 * samples.size() + NAMES.length;
    for (int l = 0; l < c.nLayers(); l++) {
      LayerWeights layer = model.weights().layers().get(l);
      listener.blockStarted(l, c.nLayers(), steps);
      InputStatistics[] stats = {new InputStatistics(c.dim()), new InputStatistics(c.dim()),
          new InputStatistics(c.dim()), new InputStatistics(c.hiddenDim())};
      boolean calibrate = recipe.method().needsCalibration();
      for (int s = 0; calibrate && s < samples.size(); s++) {
        buf.scratch.bytes().put(hidden[s].bytes());
        forwardBlock(backend, c, layer, buf, buf.scratch, seqlen, stats);
        listener.step(l, s + 1, "calibrating");
      }
      // Group of each linear in NAMES order: qkv, qkv, qkv, o, up, down, up.
      int[] group = {0, 0, 0, 1, 2, 3, 2};
      List<LinearWeight> ws = linears(layer);
      LinearWeight[] pruned = new LinearWeight[NAMES.length];
      for (int i = 0; i < NAMES.length; i++) {
        String name = "layers." + l + "." + NAMES[i];
        long start = System.nanoTime();
        LinearReport report;
        if (recipe.ignores(name)) {
          pruned[i] = ws.get(i);
          report = new LinearReport(name, ws.get(i).rows(), ws.get(i).cols(), countZeros(ws.get(i)), 0,
              0, true);
        } else {
          LinearWeight w = ws.get(i);
          double[] original = toDoubles(w);
          double[] values = original.clone();
          recipe.method().prune(values, w.rows(), w.cols(), stats[group[i]], recipe.targetSparsity(),
              recipe.pattern());
          double error = calibrate ? stats[group[i]].relativeError(original, values, w.rows()) : Double.NaN;
          pruned[i] = toWeight(values, w.rows(), w.cols());
          report = new LinearReport(name, w.rows(), w.cols(), countZeros(pruned[i]), error,
              (System.nanoTime() - start) / 1e9, false);
        }
        reports.add(report);
        listener.linearPruned(report);
        listener.step(l, samples.size() + i + 1, name);
      }
      LayerWeights prunedLayer = new LayerWeights(layer.attentionNorm(), pruned[0], pruned[1], pruned[2], pruned[3],
          layer.ffnNorm(), pruned[4], pruned[5], pruned[6]);
      prunedLayers.add(prunedLayer);
      // The next block's inputs come from this block as pruned.
      for (int s = 0; calibrate && s < samples.size(); s++) {
        forwardBlock(backend, c, prunedLayer, buf, hidden[s], seqlen, null);
        listener.step(l, samples.size() + NAMES.length + s + 1, "forward through the pruned block");
      }
      listener.blockFinished(l);
    }
    LlamaWeights w = model.weights();
    LlamaModel result = new LlamaModel(c, new LlamaWeights(w.tokenEmbedding(), prunedLayers, w.finalNorm(),
        w.classifier()));
    return new Result(result, reports);
  }

  /** Activation buffers and the KV pages of one sequence through one block, from the backend on first use. */
  private static final class Buffers {
    final Tensor scratch;
    private final LlamaConfig c;
    private final int t;
    private BlockBuffers block;
    private PagedKv kv;  // one sequence of t tokens from position 0, in a one-layer cache

    Buffers(LlamaConfig c, int t) {
      this.c = c;
      this.t = t;
      scratch = Tensor.allocate(DType.F32, t, c.dim());
    }

    void allocate(Backend b) {
      if (block != null) {
        return;
      }
      block = new BlockBuffers(b, c, t);
      int pageTokens = KvCachePool.DEFAULT_PAGE_TOKENS;
      long pages = (t + pageTokens - 1) / pageTokens;
      KvCachePool pool = new KvCachePool(b, 1, c.kvDim(), pageTokens,
          pages * KvCachePool.pageBytes(1, c.kvDim(), pageTokens));
      KvCache cache = pool.reserve(t);
      cache.ensure(t);
      PagedKv.Builder table = PagedKv.builder(1, pageTokens, c.kvDim());
      cache.addTo(table, t, 0);
      kv = table.build();
    }
  }

  /**
   * x [t][dim] through one block in place (the shared {@link TransformerBlock} forward, from position 0), adding
   * each linear group's inputs to {@code stats} when given.
   */
  private static void forwardBlock(Backend b, LlamaConfig c, LayerWeights layer, Buffers buf, Tensor x, int t,
                                   InputStatistics[] stats) {
    // LinearInput order (QKV, ATTENTION_OUTPUT, FFN, DOWN) is the order of stats.
    TransformerBlock.Observer observer = stats == null ? null
        : (which, input, rows) -> stats[which.ordinal()].add(input, rows, b);
    buf.allocate(b);
    TransformerBlock.forward(b, c, layer, 0, buf.kv, buf.block, x, t, observer);
  }

  static List<LinearWeight> linears(LayerWeights l) {
    return List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3());
  }

  private static double[] toDoubles(LinearWeight w) {
    float[] f = w.toDense().toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  private static LinearWeight toWeight(double[] values, int rows, int cols) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return new DenseF32Weight(Tensor.of(f, rows, cols));
  }

  private static long countZeros(LinearWeight w) {
    java.nio.FloatBuffer f = w.toDense().floats();
    long zeros = 0;
    for (int i = 0; i < f.limit(); i++) {
      if (f.get(i) == 0f) {
        zeros++;
      }
    }
    return zeros;
  }
}
