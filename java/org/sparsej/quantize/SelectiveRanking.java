package org.sparsej.quantize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import org.sparsej.eval.Perplexity;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.prune.BlockLinears;
import org.sparsej.prune.BlockModifier;
import org.sparsej.prune.InputStatistics;
import org.sparsej.prune.LinearNames;
import org.sparsej.weights.LinearWeight;

/**
 * Which linears to keep in FP32: each candidate is ranked by the range of its input activations (max |x| over the
 * calibration tokens, the outliers a per-token INT8 scale must cover) and by the perplexity change on calibration
 * text when it alone is quantized — the measured sensitivity, which orders the ranking.
 */
public final class SelectiveRanking {
  /** One linear's sensitivity: its input range and the relative perplexity change quantizing it alone causes. */
  public record Entry(String name, int layer, int index, float inputRange, double pplChange) {}

  /** Which linears may be ranked (those the quantization targets). */
  public interface Candidates {
    boolean test(int layer, int index);
  }

  private SelectiveRanking() {}

  /**
   * Ranks the candidates of {@code model}, most sensitive first, measuring perplexity on the first
   * {@code rankSamples} calibration sequences.
   */
  public static List<Entry> rank(LlamaModel model, BlockModifier.Context context, UnaryOperator<LinearWeight> quantize,
                                 Candidates candidates, int rankSamples) {
    InputStatistics[][] ranges = context.ranges(model);
    List<int[]> samples = context.samples().subList(0, Math.min(rankSamples, context.samples().size()));
    int seqlen = samples.get(0).length;
    int[] ids = new int[samples.size() * seqlen];
    for (int s = 0; s < samples.size(); s++) {
      System.arraycopy(samples.get(s), 0, ids, s * seqlen, seqlen);
    }
    // One window per sample: [BOS] + its seqlen ids (or the model's context if shorter).
    int ctx = Math.min(seqlen + 1, model.config().seqLen());
    double base = ppl(model, context, ctx, ids);
    List<Entry> entries = new ArrayList<>();
    int layers = model.config().nLayers();
    int done = 0;
    int total = 0;
    for (int l = 0; l < layers; l++) {
      for (int i = 0; i < LinearNames.SHORT.size(); i++) {
        total += candidates.test(l, i) ? 1 : 0;
      }
    }
    for (int l = 0; l < layers; l++) {
      for (int i = 0; i < LinearNames.SHORT.size(); i++) {
        if (!candidates.test(l, i)) {
          continue;
        }
        double ppl = ppl(replaced(model, l, i, quantize), context, ctx, ids);
        entries.add(new Entry(LinearNames.name(l, i), l, i, ranges[l][BlockLinears.GROUP[i]].range(),
            ppl / base - 1));
        if (++done % 10 == 0 || done == total) {
          context.log(String.format("ranking: %d/%d linears measured", done, total));
        }
      }
    }
    entries.sort(Comparator.comparingDouble(Entry::pplChange).reversed());
    context.log(String.format("ranking: base ppl %.4f over %d calibration tokens", base, ids.length));
    return entries;
  }

  /** The ranking as printed: sensitivity rank, name, input range and its rank, perplexity change. */
  public static List<String> table(List<Entry> entries, int keep) {
    Entry[] byRange = entries.toArray(new Entry[0]);
    Arrays.sort(byRange, Comparator.comparingDouble(Entry::inputRange).reversed());
    List<String> lines = new ArrayList<>();
    lines.add(String.format("%4s  %-14s %12s %10s %12s  %s", "rank", "linear", "input range", "range rank",
        "ppl change", ""));
    for (int r = 0; r < entries.size(); r++) {
      Entry e = entries.get(r);
      int rangeRank = Arrays.asList(byRange).indexOf(e) + 1;
      lines.add(String.format("%4d  %-14s %12.3f %10d %+11.3f%%  %s", r + 1, e.name(), e.inputRange(), rangeRank,
          100 * e.pplChange(), r < keep ? "kept FP32" : ""));
    }
    return lines;
  }

  private static double ppl(LlamaModel model, BlockModifier.Context context, int ctx, int[] ids) {
    return new Perplexity(model, context.backend(), ctx, 0).evaluate(ids, context.bos(), null).ppl();
  }

  private static LlamaModel replaced(LlamaModel model, int layer, int index, UnaryOperator<LinearWeight> quantize) {
    LlamaWeights w = model.weights();
    List<LayerWeights> layers = new ArrayList<>(w.layers());
    LinearWeight[] ws = BlockLinears.of(layers.get(layer));
    ws[index] = quantize.apply(ws[index]);
    layers.set(layer, BlockLinears.with(layers.get(layer), ws));
    return new LlamaModel(model.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(),
        w.classifier()));
  }
}
