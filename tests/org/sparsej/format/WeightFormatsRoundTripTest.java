package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsej.backend.JavaBackend;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.Int8Quantization;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.StoredWeight;
import org.sparsej.weights.WeightFormat;

/**
 * Every weight format, and mixes of them, written as a Hugging Face directory in the compressed-tensors layout and
 * read back: each linear comes back in the same format with the same stored bytes, config.json says what
 * llm-compressor would, and the logits are identical.
 */
class WeightFormatsRoundTripTest {
  private static final Path HF = SharedData.path("models/sj-7m/hf");

  @TempDir Path tmp;

  /** sj-7m with linear i of every layer replaced by {@code make.apply(i, its dense weight)}. */
  static LlamaModel withLinears(BiFunction<Integer, Tensor, LinearWeight> make) {
    LlamaModel m = ModelLoader.load(HF);
    LlamaWeights w = m.weights();
    List<LayerWeights> layers = new ArrayList<>();
    for (LayerWeights l : w.layers()) {
      LinearWeight[] x = linears(l);
      LinearWeight[] y = new LinearWeight[7];
      for (int i = 0; i < 7; i++) {
        y[i] = make.apply(i, x[i].toDense());
      }
      layers.add(new LayerWeights(l.attentionNorm(), y[0], y[1], y[2], y[3], l.ffnNorm(), y[4], y[5], y[6]));
    }
    return new LlamaModel(m.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), w.classifier()));
  }

  private static LinearWeight[] linears(LayerWeights l) {
    return new LinearWeight[] {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()};
  }

  /** The mask a format is built with in these tests: 60% random for bitmask, magnitude 2:4, none for dense. */
  static Tensor maskFor(WeightFormat f, Tensor dense, long seed) {
    switch (f.storedLayout()) {
      case BITMASK: return SparsityMasks.random(dense.dim(0), dense.dim(1), 0.6, seed);
      case TWO_FOUR: return SparsityMasks.twoFour(dense);
      default: return null;
    }
  }

  private static JsonNode quantizationConfig(Path dir) throws IOException {
    return new ObjectMapper().readTree(dir.resolve("config.json").toFile()).get("quantization_config");
  }

  @ParameterizedTest
  @EnumSource(WeightFormat.class)
  void everyFormatLoadsBackAsStored(WeightFormat format) throws IOException {
    LlamaModel model = withLinears((i, d) -> format.fromDense(d, maskFor(format, d, i)));
    HfModelWriter.write(model, tmp.resolve("m"), HfModelWriter.Options.defaults());
    LlamaModel back = ModelLoader.load(tmp.resolve("m"));
    assertSameLinears(model, back);
    assertSameLogits(model, back);

    JsonNode q = quantizationConfig(tmp.resolve("m"));
    if (format.storedLayout() == StoredWeight.Layout.DENSE && !format.precision().int8Values()) {
      assertTrue(q == null, "a plain model (F32, BF16, F16) has no quantization_config");
      return;
    }
    JsonNode sparsity = q.get("sparsity_config");
    switch (format.storedLayout()) {
      case BITMASK:
        assertEquals("sparse-bitmask", sparsity.get("format").asText());
        assertEquals("unstructured", sparsity.get("sparsity_structure").asText());
        break;
      case TWO_FOUR:
        assertEquals("sparse-24-bitmask", sparsity.get("format").asText());
        assertEquals("2:4", sparsity.get("sparsity_structure").asText());
        assertEquals(0.5, sparsity.get("global_sparsity").asDouble(), 0.01);
        break;
      default:
        assertFalse(sparsity.has("format"), "dense: " + sparsity);
    }
    if (format.precision().int8Values()) {
      assertEquals("int-quantized", q.get("format").asText());
      JsonNode group = q.get("config_groups").get("group_0");
      assertEquals("Linear", group.get("targets").get(0).asText());
      assertEquals(format == WeightFormat.Q8_0 || format == WeightFormat.Q4_0 ? "group" : "channel", group.get("weights").get("strategy").asText());
      JsonNode act = group.get("input_activations");
      if (format.precision() == org.sparsej.weights.Precision.W8A8) {
        assertEquals("token", act.get("strategy").asText());
        assertTrue(act.get("dynamic").asBoolean());
        assertEquals(8, act.get("num_bits").asInt());
      } else {
        assertTrue(act.isNull(), "weight-only: " + act);
      }
    } else {
      assertFalse(q.has("config_groups"));
    }
  }

  @Test
  void aMixOfFormatsInOneModelLoadsBackLinearByLinear() {
    // q..up in seven different formats; 2:4 ones cannot share a model with sparse-bitmask ones (one sparsity_config).
    WeightFormat[] mix = {WeightFormat.DENSE_F32, WeightFormat.DENSE_W8A8, WeightFormat.DENSE_W8A16,
        WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_BITMASK_I8, WeightFormat.SPARSE_BITMASK_W8A8,
        WeightFormat.Q8_0};
    LlamaModel model = withLinears((i, d) -> mix[i].fromDense(d, maskFor(mix[i], d, i)));
    HfModelWriter.write(model, tmp.resolve("mix"), HfModelWriter.Options.defaults());
    LlamaModel back = ModelLoader.load(tmp.resolve("mix"));
    assertSameLinears(model, back);
    assertSameLogits(model, back);

    WeightFormat[] mix24 = {WeightFormat.SPARSE_24_F32, WeightFormat.SPARSE_24_I8, WeightFormat.SPARSE_24_W8A8,
        WeightFormat.DENSE_W8A8, WeightFormat.DENSE_F32, WeightFormat.DENSE_W8A16, WeightFormat.SPARSE_24_W8A8};
    LlamaModel model24 = withLinears((i, d) -> mix24[i].fromDense(d, maskFor(mix24[i], d, i)));
    HfModelWriter.write(model24, tmp.resolve("mix24"), HfModelWriter.Options.defaults());
    LlamaModel back24 = ModelLoader.load(tmp.resolve("mix24"));
    assertSameLinears(model24, back24);
    assertSameLogits(model24, back24);
  }

  @Test
  void denseTwoFourPrunedWeightsAreWrittenAndLoadedAs24() throws IOException {
    // What prune --pattern 2:4 hands the writer: dense F32 weights whose zeros happen to be 2:4.
    LlamaModel pruned = withLinears((i, d) -> WeightFormat.DENSE_F32.fromDense(d, SparsityMasks.twoFour(d)));
    HfModelWriter.write(pruned, tmp.resolve("p24"), HfModelWriter.Options.defaults().withSparseBitmask(true));
    JsonNode sparsity = quantizationConfig(tmp.resolve("p24")).get("sparsity_config");
    assertEquals("sparse-24-bitmask", sparsity.get("format").asText());
    assertEquals("2:4", sparsity.get("sparsity_structure").asText());
    Map<String, java.nio.ByteBuffer> t = ModelFiles.hfTensors(tmp.resolve("p24"));
    assertFalse(t.containsKey("model.layers.0.mlp.down_proj.row_offsets"));
    assertEquals(288 * 768 / 2 * 4, t.get("model.layers.0.mlp.down_proj.compressed").capacity());
    LlamaModel back = ModelLoader.load(tmp.resolve("p24"));
    for (LayerWeights l : back.weights().layers()) {
      for (LinearWeight w : linears(l)) {
        assertEquals(WeightFormat.SPARSE_24_F32, w.format());
      }
    }
    assertSameLogits(pruned, back);

    // A layer left unpruned (prune --skip) stays dense; the pruned ones still make a 2:4 model.
    LlamaModel skipped = withLinears((i, d) -> i == 3 ? WeightFormat.DENSE_F32.fromDense(d, null)
        : WeightFormat.DENSE_F32.fromDense(d, SparsityMasks.twoFour(d)));
    HfModelWriter.write(skipped, tmp.resolve("skip"), HfModelWriter.Options.defaults().withSparseBitmask(true));
    JsonNode skipConfig = quantizationConfig(tmp.resolve("skip")).get("sparsity_config");
    assertEquals("sparse-24-bitmask", skipConfig.get("format").asText());
    assertEquals("model.layers.0.self_attn.o_proj", skipConfig.get("ignore").get(0).asText());
    LlamaModel skippedBack = ModelLoader.load(tmp.resolve("skip"));
    assertEquals(WeightFormat.DENSE_F32, skippedBack.weights().layers().get(2).wo().format());
    assertEquals(WeightFormat.SPARSE_24_F32, skippedBack.weights().layers().get(2).w1().format());
    assertSameLogits(skipped, skippedBack);

    // ...and quantized: the 2:4 weights stay 2:4, W8A8.
    LlamaModel q = withLinears((i, d) -> Int8Quantization.toInt8(WeightFormat.DENSE_F32.fromDense(d,
        SparsityMasks.twoFour(d)), true, true));
    HfModelWriter.write(q, tmp.resolve("q24"), HfModelWriter.Options.defaults());
    LlamaModel qBack = ModelLoader.load(tmp.resolve("q24"));
    assertEquals(WeightFormat.SPARSE_24_W8A8, qBack.weights().layers().get(5).w2().format());
    assertSameLinears(q, qBack);
  }

  @Test
  void packQuantizedW8A16AsLlmCompressorWritesItLoadsAsW8A16() throws IOException {
    // llm-compressor stores weight-only int8 as "pack-quantized": q + 128 packed four to an int32 word.
    LlamaModel model = withLinears((i, d) -> WeightFormat.DENSE_W8A16.fromDense(d, null));
    Path plain = tmp.resolve("int");
    HfModelWriter.write(model, plain, HfModelWriter.Options.defaults());
    Path packed = tmp.resolve("packed");
    java.nio.file.Files.createDirectories(packed);
    java.nio.file.Files.writeString(packed.resolve("config.json"), java.nio.file.Files.readString(
        plain.resolve("config.json")).replace("\"int-quantized\"", "\"pack-quantized\""));
    org.sparsej.format.safetensors.SafetensorsWriter out = new org.sparsej.format.safetensors.SafetensorsWriter();
    try (org.sparsej.format.hf.HfCheckpoint in = org.sparsej.format.hf.HfCheckpoint.open(plain)) {
      for (String name : in.names()) {
        org.sparsej.format.safetensors.SafetensorsFile.Entry e = in.entry(name);
        java.nio.ByteBuffer data = in.fileOf(name).map(e);
        if (e.dtype() == org.sparsej.format.safetensors.StDType.I8 && name.endsWith(".weight")) {
          String module = name.substring(0, name.length() - ".weight".length());
          java.nio.ByteBuffer words = java.nio.ByteBuffer.allocateDirect(data.capacity());
          for (int i = 0; i < data.capacity(); i++) {
            words.put(i, (byte) (data.get(i) ^ 0x80));
          }
          out.add(module + ".weight_packed", org.sparsej.format.safetensors.StDType.I32,
              new long[] {e.shape()[0], e.shape()[1] / 4}, () -> words);
          java.nio.ByteBuffer shape = java.nio.ByteBuffer.allocateDirect(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
              .putInt((int) e.shape()[0]).putInt((int) e.shape()[1]).flip();
          out.add(module + ".weight_shape", org.sparsej.format.safetensors.StDType.I32, new long[] {2}, () -> shape);
        } else {
          out.add(name, e.dtype(), e.shape(), () -> data);
        }
      }
      out.write(packed.resolve("model.safetensors"), Map.of("format", "pt"));
    }
    assertTrue(quantizationConfig(packed).get("format").asText().equals("pack-quantized"));
    LlamaModel back = ModelLoader.load(packed);
    assertSameLinears(model, back);
    assertSameLogits(model, back);
  }

  @Test
  void aCorrupt24BitmaskIsOneLineNamingTheModule() throws IOException {
    LlamaModel model = withLinears((i, d) -> WeightFormat.SPARSE_24_F32.fromDense(d, SparsityMasks.twoFour(d)));
    Path good = tmp.resolve("good");
    HfModelWriter.write(model, good, HfModelWriter.Options.defaults());
    Path bad = tmp.resolve("bad");
    java.nio.file.Files.createDirectories(bad);
    java.nio.file.Files.copy(good.resolve("config.json"), bad.resolve("config.json"));
    org.sparsej.format.safetensors.SafetensorsWriter out = new org.sparsej.format.safetensors.SafetensorsWriter();
    try (org.sparsej.format.hf.HfCheckpoint in = org.sparsej.format.hf.HfCheckpoint.open(good)) {
      for (String name : in.names()) {
        org.sparsej.format.safetensors.SafetensorsFile.Entry e = in.entry(name);
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocateDirect((int) e.byteSize()).put(in.fileOf(name).map(e));
        if (name.equals("model.layers.1.mlp.up_proj.bitmask")) {
          data.put(0, (byte) 0x07);  // 3 of the first 4 columns kept
        }
        out.add(name, e.dtype(), e.shape(), () -> data.clear());
      }
      out.write(bad.resolve("model.safetensors"), Map.of("format", "pt"));
    }
    org.sparsej.util.SparsejException e = org.junit.jupiter.api.Assertions.assertThrows(
        org.sparsej.util.SparsejException.class, () -> ModelLoader.load(bad));
    assertTrue(e.getMessage().contains("model.layers.1.mlp.up_proj") && e.getMessage().contains("keep 3 weights, not 2")
        && !e.getMessage().contains("\n"), e.getMessage());
  }

  /** Same format, same stored values, bitmask and scales, linear by linear (sj-7m's hf/ is rotate-half: no permutation). */
  static void assertSameLinears(LlamaModel a, LlamaModel b) {
    for (int l = 0; l < a.config().nLayers(); l++) {
      LinearWeight[] xs = linears(a.weights().layers().get(l));
      LinearWeight[] ys = linears(b.weights().layers().get(l));
      for (int i = 0; i < 7; i++) {
        String where = "layer " + l + " linear " + i;
        assertEquals(xs[i].format(), ys[i].format(), where);
        StoredWeight x = xs[i].stored();
        StoredWeight y = ys[i].stored();
        assertEquals(x.layout(), y.layout(), where);
        assertEquals(x.precision(), y.precision(), where);
        assertEquals(x.values().bytes(), y.values().bytes(), where + " values");
        if (x.bitmask() != null) {
          assertEquals(x.bitmask().bytes(), y.bitmask().bytes(), where + " bitmask");
        }
        if (x.scales() != null) {
          assertEquals(x.scales().bytes(), y.scales().bytes(), where + " scales");
        }
      }
    }
  }

  static void assertSameLogits(LlamaModel a, LlamaModel b) {
    try (JavaBackend java = new JavaBackend(2)) {
      int[] tokens = {1, 403, 1191, 57};
      float[] x = a.newSession(java, 4).forward(tokens, 4, true).toFloatArray();
      float[] y = b.newSession(java, 4).forward(tokens, 4, true).toFloatArray();
      assertArrayEquals(x, y);
      for (float v : y) {
        assertTrue(Float.isFinite(v));
      }
    }
  }
}
