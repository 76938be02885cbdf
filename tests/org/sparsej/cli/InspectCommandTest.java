package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.ModelLoader;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.Int8Quantization;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.WeightFormat;

/** `sparsej inspect` says which format each linear runs in. */
class InspectCommandTest {
  @Test
  void showsTheFormatOfEveryLinear(@TempDir Path dir) {
    LlamaModel m = ModelLoader.load(SharedData.path("models/sj-7m/hf"));
    LlamaWeights w = m.weights();
    List<LayerWeights> layers = new ArrayList<>();
    for (int i = 0; i < w.layers().size(); i++) {
      LayerWeights l = w.layers().get(i);
      boolean sparse = i >= 2;  // layers 0-1 dense W8A8, layers 2-5 2:4 W8A8 except the bitmask down_proj
      layers.add(new LayerWeights(l.attentionNorm(), q(l.wq(), sparse), q(l.wk(), sparse), q(l.wv(), sparse),
          q(l.wo(), sparse), l.ffnNorm(), q(l.w1(), sparse), l.w2(), q(l.w3(), sparse)));
    }
    HfModelWriter.write(new LlamaModel(m.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(),
        w.classifier())), dir.resolve("m"), HfModelWriter.Options.defaults());
    CliRun run = CliRun.of("inspect", "-m", dir.resolve("m").toString(), "--backend", "java");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("layers 0-1:  q dense-w8a8, k dense-w8a8"), run.out());
    assertTrue(run.out().contains("layers 2-5:  q sparse-2:4-w8a8"), run.out());
    assertTrue(run.out().contains("down dense-f32, up sparse-2:4-w8a8"), run.out());
  }

  private static org.sparsej.weights.LinearWeight q(org.sparsej.weights.LinearWeight w, boolean twoFour) {
    return Int8Quantization.toInt8(twoFour ? WeightFormat.SPARSE_24_F32.fromDense(w.toDense(),
        SparsityMasks.twoFour(w.toDense())) : w, true);
  }
}
