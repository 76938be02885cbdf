package org.sparsej.prune;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.sparsej.weights.LinearWeight;

/**
 * The one runner of every compression recipe — pruning, SmoothQuant, quantization — block by block, as the SparseGPT
 * and Wanda reference scripts and llm-compressor's sequential pipeline drive it. Stages run in order and each
 * modifier of a stage makes one pass over the model: the calibration sequences' hidden states enter block 0 from
 * the embedding; for each block, forward passes of the block as it stands gather the input statistics of its four
 * linear groups — (wq, wk, wv) share the normed input, wo takes the attention output, (w1, w3) the ffn-normed input,
 * w2 silu(w1·x)·(w3·x) — the modifier compresses the block, and a forward pass through the compressed block
 * produces the inputs of the next one. So each block is calibrated on what the already-compressed blocks before it
 * really produce; a modifier that reads no inputs (magnitude, plain quantization without calibration) skips the
 * forward passes. Memory: the calibration hidden states (samples × seqlen × dim floats) plus one block's
 * statistics (3·dim² + hidden² doubles, or 3·dim + hidden floats of ranges).
 */
public final class LayerwisePruning {
  /** Progress of a run: a progress bar per stage and a log line per linear. */
  public interface Listener {
    default void stageStarted(String stage, long steps) {}

    default void step(long done, String detail) {}

    default void linearDone(LinearReport report) {}

    default void stageFinished(String stage) {}

    default void log(String line) {}
  }

  /** What one modifier did to one linear: its new format and size, its relative output error, the time taken. */
  public record LinearReport(String modifier, String name, int rows, int cols, long zeros, double relativeError,
                             double seconds, boolean skipped, String format, long bytes) {
    public double sparsity() {
      return (double) zeros / ((long) rows * cols);
    }

    /** A linear the modifier left as it was. */
    public static LinearReport skipped(String modifier, String name, LinearWeight w) {
      return new LinearReport(modifier, name, w.rows(), w.cols(), BlockLinears.countZeros(w), Double.NaN, 0, true,
          w.format().id(), w.residentBytes());
    }
  }

  /**
   * The compressed model (new linears; embeddings and classifier shared) and every modifier's reports; the model
   * is null after {@link #stream}, which handed its blocks to a sink instead of keeping them.
   */
  public record Result(LlamaModel model, List<LinearReport> linears, LinearWeight classifier) {
    /** Zeros over all linears of the blocks, as the last modifier to touch each left it. */
    public double overallSparsity() {
      Map<String, LinearReport> last = new LinkedHashMap<>();
      for (LinearReport r : linears) {
        last.put(r.name(), r);
      }
      long zeros = 0;
      long total = 0;
      for (LinearReport r : last.values()) {
        zeros += r.zeros();
        total += (long) r.rows() * r.cols();
      }
      return total == 0 ? 0 : (double) zeros / total;
    }
  }

  private LayerwisePruning() {}

  /** Fraction of exact zeros over the block linears of a model (a dense trained model has next to none). */
  public static double existingSparsity(LlamaModel model) {
    long zeros = 0;
    long total = 0;
    for (LayerWeights layer : model.weights().layers()) {
      for (LinearWeight w : linears(layer)) {
        zeros += BlockLinears.countZeros(w);
        total += (long) w.rows() * w.cols();
      }
    }
    return total == 0 ? 0 : (double) zeros / total;
  }

  /** One pruning run: a one-stage recipe. */
  public static Result run(LlamaModel model, Backend backend, List<int[]> samples, PruneRecipe recipe,
                           Listener listener) {
    return run(model, backend, samples, 1, List.of(new Stage("prune", List.of(new PruningModifier(recipe)))),
        listener);
  }

  /** Checks every modifier against the model before any calibration work. */
  public static void validate(LlamaModel model, List<Stage> stages, boolean haveCalibration) {
    for (Stage stage : stages) {
      for (BlockModifier m : stage.modifiers()) {
        m.validate(model);
        if (m.requiresCalibration() && !haveCalibration) {
          throw new SparsejException(m.name() + " (stage " + stage.name() + ") needs calibration text: give --calib");
        }
      }
    }
  }

  /** Receives each block as the last modifier left it, in order, and keeps what it needs of it. */
  public interface BlockSink {
    void accept(int block, LayerWeights compressed);
  }

  /**
   * Runs the stages in order on {@code model}. {@code samples} may be empty when no modifier requires calibration;
   * {@code bos} starts the perplexity windows of modifiers that measure the model.
   */
  public static Result run(LlamaModel model, Backend backend, List<int[]> samples, int bos, List<Stage> stages,
                           Listener listener) {
    Runner runner = start(model, backend, samples, bos, stages, listener);
    List<LinearReport> reports = new ArrayList<>();
    for (Stage stage : stages) {
      listener.stageStarted(stage.name(), runner.steps(stage.modifiers()));
      runner.done = 0;
      for (BlockModifier m : stage.modifiers()) {
        listener.log(stage.name() + ": " + m.name() + " (" + m.describe() + ")");
        m.prepare(model, runner);
        List<LayerWeights> layers = new ArrayList<>();
        runner.pass(model, List.of(m), reports, (l, layer) -> layers.add(layer));
        LlamaWeights w = model.weights();
        LinearWeight head = runner.classifier(List.of(m), w.classifier(), reports);
        model = new LlamaModel(model.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), head));
      }
      listener.stageFinished(stage.name());
    }
    return new Result(model, reports, model.weights().classifier());
  }

  /** Whether {@link #stream} can run these stages: no modifier but the first looks at the whole model first. */
  public static boolean canStream(List<Stage> stages) {
    List<BlockModifier> all = modifiers(stages);
    return all.stream().skip(1).noneMatch(BlockModifier::preparesOnWholeModel);
  }

  /**
   * The same compression as {@link #run}, block by block: each block goes through every modifier of every stage
   * in turn and then to {@code sink}, and is not kept. Each modifier that calibrates keeps its own hidden states,
   * the inputs its block sees in {@link #run} (the blocks before it compressed by it and the modifiers before it),
   * so the result is the same; the memory is one block plus one set of calibration states per such modifier.
   * One progress bar covers all stages. Needs {@link #canStream}.
   */
  public static Result stream(LlamaModel model, Backend backend, List<int[]> samples, int bos, List<Stage> stages,
                              Listener listener, BlockSink sink) {
    if (!canStream(stages)) {
      throw new IllegalArgumentException("a modifier after the first measures the whole model: run, not stream");
    }
    Runner runner = start(model, backend, samples, bos, stages, listener);
    List<BlockModifier> all = modifiers(stages);
    String names = String.join(" + stage ", stages.stream().map(Stage::name).toList());
    listener.stageStarted(names, runner.steps(all));
    for (Stage stage : stages) {
      for (BlockModifier m : stage.modifiers()) {
        listener.log(stage.name() + ": " + m.name() + " (" + m.describe() + ")");
      }
    }
    all.get(0).prepare(model, runner);
    List<LinearReport> reports = new ArrayList<>();
    runner.pass(model, all, reports, (l, layer) -> {
      sink.accept(l, layer);
      // A block leaves ~10 linears' worth of garbage (double copies, off-heap buffers freed only when collected):
      // left to itself the JVM grows its heap and off-heap use toward their limits, and the RSS with them. A full
      // GC per block costs well under a second on billion-parameter models.
      System.gc();
    });
    LinearWeight head = runner.classifier(all, model.weights().classifier(), reports);
    listener.stageFinished(names);
    return new Result(null, reports, head);
  }

  private static List<BlockModifier> modifiers(List<Stage> stages) {
    return stages.stream().flatMap(s -> s.modifiers().stream()).toList();
  }

  private static Runner start(LlamaModel model, Backend backend, List<int[]> samples, int bos, List<Stage> stages,
                              Listener listener) {
    LlamaConfig c = model.config();
    int seqlen = samples.isEmpty() ? 0 : samples.get(0).length;
    if (seqlen > c.seqLen()) {
      throw new SparsejException("--seqlen " + seqlen + " exceeds the model's context of " + c.seqLen());
    }
    validate(model, stages, !samples.isEmpty());
    return new Runner(backend, samples, bos, listener, c);
  }

  /** The block loop: one pass of one modifier over the model. */
  private static final class Runner implements BlockModifier.Context {
    private final Backend backend;
    private final List<int[]> samples;
    private final int bos;
    private final Listener listener;
    private final LlamaConfig c;
    private final Buffers buf;
    long done;

    Runner(Backend backend, List<int[]> samples, int bos, Listener listener, LlamaConfig c) {
      this.backend = backend;
      this.samples = samples;
      this.bos = bos;
      this.listener = listener;
      this.c = c;
      this.buf = samples.isEmpty() ? null : new Buffers(c, samples.get(0).length);
    }

    private boolean calibrates(BlockModifier m) {
      return m.needs() != BlockModifier.Needs.NONE && !samples.isEmpty();
    }

    long steps(List<BlockModifier> modifiers) {
      long steps = 0;
      for (BlockModifier m : modifiers) {
        steps += (long) c.nLayers() * ((calibrates(m) ? 2L * samples.size() : 0) + LinearNames.SHORT.size());
      }
      return steps;
    }

    @Override
    public Backend backend() {
      return backend;
    }

    @Override
    public List<int[]> samples() {
      return samples;
    }

    @Override
    public int bos() {
      return bos;
    }

    @Override
    public void log(String line) {
      listener.log(line);
    }

    @Override
    public InputStatistics[][] ranges(LlamaModel model) {
      InputStatistics[][] all = new InputStatistics[c.nLayers()][];
      Tensor[] hidden = embed(model);
      for (int l = 0; l < c.nLayers(); l++) {
        LayerWeights layer = model.weights().layers().get(l);
        all[l] = statistics(layer, hidden, BlockModifier.Needs.RANGES, null);
        forward(layer, hidden, null);
      }
      return all;
    }

    /**
     * One pass over the blocks: each block through {@code group}'s modifiers in order, then to the sink. The
     * modifiers that calibrate each carry their own hidden states from block to block.
     */
    void pass(LlamaModel model, List<BlockModifier> group, List<LinearReport> reports, BlockSink sink) {
      Tensor[][] hidden = new Tensor[group.size()][];
      List<List<LinearReport>> byModifier = new ArrayList<>();  // reported modifier by modifier, as run() does
      for (int j = 0; j < group.size(); j++) {
        hidden[j] = calibrates(group.get(j)) ? embed(model) : null;
        byModifier.add(new ArrayList<>());
      }
      for (int l = 0; l < c.nLayers(); l++) {
        LayerWeights layer = model.weights().layers().get(l);
        String block = "block " + (l + 1) + "/" + c.nLayers() + " ";
        for (int j = 0; j < group.size(); j++) {
          BlockModifier m = group.get(j);
          List<LinearReport> mine = byModifier.get(j);
          InputStatistics[] stats = hidden[j] != null
              ? statistics(layer, hidden[j], m.needs(), block + "calibrating") : null;
          layer = m.apply(l, layer, stats, r -> {
            mine.add(r);
            listener.linearDone(r);
            listener.step(++done, block + r.name());
          });
          // The next block's inputs come from this block as compressed.
          if (hidden[j] != null && l + 1 < c.nLayers()) {
            forward(layer, hidden[j], block + "forward through the compressed block");
          } else if (hidden[j] != null) {
            done += samples.size();
          }
        }
        sink.accept(l, layer);
      }
      byModifier.forEach(reports::addAll);
    }

    /** The classifier after each modifier of {@code group} in turn (most leave it as it is). */
    LinearWeight classifier(List<BlockModifier> group, LinearWeight head, List<LinearReport> reports) {
      for (BlockModifier m : group) {
        head = m.classifier(head, r -> {
          reports.add(r);
          listener.linearDone(r);
        });
      }
      return head;
    }

    private Tensor[] embed(LlamaModel model) {
      int seqlen = samples.get(0).length;
      Tensor[] hidden = new Tensor[samples.size()];
      for (int s = 0; s < samples.size(); s++) {
        hidden[s] = Tensor.allocate(DType.F32, seqlen, c.dim());
        backend.embedding(hidden[s], model.weights().tokenEmbedding(), samples.get(s), seqlen);
      }
      return hidden;
    }

    private InputStatistics[] statistics(LayerWeights layer, Tensor[] hidden, BlockModifier.Needs needs,
                                         String detail) {
      boolean gram = needs == BlockModifier.Needs.GRAM;
      int[] widths = {c.dim(), c.dim(), c.dim(), c.hiddenDim()};
      InputStatistics[] stats = new InputStatistics[widths.length];
      for (int g = 0; g < widths.length; g++) {
        stats[g] = gram ? new InputStatistics(widths[g]) : InputStatistics.rangesOnly(widths[g]);
      }
      int seqlen = samples.get(0).length;
      for (Tensor h : hidden) {
        buf.scratch.bytes().put(h.bytes());
        forwardBlock(backend, c, layer, buf, buf.scratch, seqlen, stats);
        if (detail != null) {
          listener.step(++done, detail);
        }
      }
      return stats;
    }

    private void forward(LayerWeights layer, Tensor[] hidden, String detail) {
      int seqlen = samples.get(0).length;
      for (Tensor h : hidden) {
        forwardBlock(backend, c, layer, buf, h, seqlen, null);
        if (detail != null) {
          listener.step(++done, detail);
        }
      }
    }
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
    return BlockLinears.list(l);
  }
}
