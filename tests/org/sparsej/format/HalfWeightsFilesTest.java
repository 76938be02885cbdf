package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsej.format.gguf.GgmlType;
import org.sparsej.format.gguf.GgufModelWriter;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.DType;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.DenseHalfWeight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.WeightFormat;

/**
 * BF16/F16 linear weights stay BF16/F16 through the files: written to GGUF and to a Hugging Face directory with
 * no --type (the default), they are stored in their own type, bit for bit, and load back in their own format.
 */
class HalfWeightsFilesTest {
  private static final Path HF = SharedData.path("models/sj-7m/hf");

  @TempDir Path tmp;

  enum Half {
    BF16(DType.BF16, WeightFormat.DENSE_BF16, GgmlType.BF16), F16(DType.F16, WeightFormat.DENSE_F16, GgmlType.F16);

    final DType dtype;
    final WeightFormat format;
    final GgmlType ggml;

    Half(DType dtype, WeightFormat format, GgmlType ggml) {
      this.dtype = dtype;
      this.format = format;
      this.ggml = ggml;
    }
  }

  private static LlamaModel halfModel(DType d) {
    LlamaModel m = ModelLoader.load(HF);
    LlamaWeights w = m.weights();
    List<LayerWeights> layers = new ArrayList<>();
    for (LayerWeights l : w.layers()) {
      layers.add(new LayerWeights(l.attentionNorm(), half(l.wq(), d), half(l.wk(), d), half(l.wv(), d),
          half(l.wo(), d), l.ffnNorm(), half(l.w1(), d), half(l.w2(), d), half(l.w3(), d)));
    }
    return new LlamaModel(m.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), w.classifier()));
  }

  private static LinearWeight half(LinearWeight w, DType d) {
    return DenseHalfWeight.round(w.toDense(), d);
  }

  @ParameterizedTest
  @EnumSource(Half.class)
  void ggufKeepsThemAsStored(Half h) {
    LlamaModel model = halfModel(h.dtype);
    Path out = tmp.resolve("m.gguf");
    GgufModelWriter.write(model, null, out, GgmlType.F32, false);
    try (org.sparsej.format.gguf.GgufFile g = org.sparsej.format.gguf.GgufFile.open(out)) {
      assertEquals(h.ggml, g.tensor("blk.0.ffn_down.weight").type());
      assertEquals(h.ggml, g.tensor("blk.0.attn_q.weight").type());
    }
    LlamaModel back = ModelLoader.load(out);
    assertSameValues(model, back, h.format);
    // sj-7m is tied: its F32 table is written F32, so the classifier comes back dense F32
    assertEquals(WeightFormat.DENSE_F32, back.weights().classifier().format());
  }

  @ParameterizedTest
  @EnumSource(Half.class)
  void aTiedHalfTableStaysHalfForTheClassifier(Half h) {
    LlamaModel m = halfModel(h.dtype);
    LlamaWeights w = m.weights();
    LinearWeight table = half(w.classifier(), h.dtype);
    LlamaModel tied = new LlamaModel(m.config(),
        new LlamaWeights(table.toDense(), w.layers(), w.finalNorm(), table));
    Path out = tmp.resolve("tied.gguf");
    GgufModelWriter.write(tied, null, out, GgmlType.F32, false);
    LlamaWeights back = ModelLoader.load(out).weights();
    assertEquals(h.format, back.classifier().format(), "the classifier reads the mapped table");
    ByteBuffer e = ((DenseHalfWeight) table).values().bytes();
    assertEquals(0, e.compareTo(((DenseHalfWeight) back.classifier()).values().bytes()), "table bytes");
    for (long i = 0; i < table.rows() * (long) table.cols(); i += 997) {
      assertEquals(tied.weights().tokenEmbedding().getFloat(i), back.tokenEmbedding().getFloat(i), 0f,
          "embedding row values widened exactly, element " + i);
    }
  }

  @ParameterizedTest
  @EnumSource(Half.class)
  void huggingFaceKeepsThemAsStored(Half h) {
    LlamaModel model = halfModel(h.dtype);
    HfModelWriter.write(model, tmp.resolve("m"), HfModelWriter.Options.defaults());
    assertSameValues(model, ModelLoader.load(tmp.resolve("m")), h.format);
  }

  /** Each linear back in {@code format}; those no RoPE permutation touches (v, o, MLP) identical byte for byte. */
  private static void assertSameValues(LlamaModel model, LlamaModel back, WeightFormat format) {
    for (int l = 0; l < model.config().nLayers(); l++) {
      LayerWeights a = model.weights().layers().get(l);
      LayerWeights b = back.weights().layers().get(l);
      LinearWeight[] x = {a.wv(), a.wo(), a.w1(), a.w2(), a.w3()};
      LinearWeight[] y = {b.wv(), b.wo(), b.w1(), b.w2(), b.w3()};
      assertEquals(format, b.wq().format(), "layer " + l + " q");
      assertEquals(format, b.wk().format(), "layer " + l + " k");
      for (int i = 0; i < x.length; i++) {
        assertEquals(format, y[i].format(), "layer " + l + " linear " + i);
        ByteBuffer e = ((DenseHalfWeight) x[i]).values().bytes();
        ByteBuffer g = ((DenseHalfWeight) y[i]).values().bytes();
        assertEquals(0, e.compareTo(g), "layer " + l + " linear " + i + " bytes");
      }
    }
  }
}
