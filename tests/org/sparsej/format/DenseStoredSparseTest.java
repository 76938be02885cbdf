package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.backend.Backend;
import org.sparsej.backend.Backends;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.StoredWeight;
import org.sparsej.weights.WeightFormat;

/**
 * The default output of the compression commands: every weight stored dense with its zeros in place (int8 where
 * quantized) and the sparsity in config.json's dense sparsity_config, as current transformers / vLLM read it.
 * SparseJ loads it back onto the same sparse formats and kernels, with the same stored values and logits.
 */
class DenseStoredSparseTest {
  private static final HfModelWriter.Options DENSE = HfModelWriter.Options.defaults().withDenseStored(true);

  @TempDir Path tmp;

  private static JsonNode config(Path dir) throws IOException {
    return new ObjectMapper().readTree(dir.resolve("config.json").toFile());
  }

  private static LlamaModel mix(WeightFormat[] formats) {
    return WeightFormatsRoundTripTest.withLinears((i, d) -> formats[i].fromDense(d,
        WeightFormatsRoundTripTest.maskFor(formats[i], d, i)));
  }

  /** Every linear is one plain {@code .weight} tensor (I8 + weight_scale when int8): nothing compressed. */
  private static void assertStoredDense(Path dir) {
    Map<String, ByteBuffer> t = ModelFiles.hfTensors(dir);
    for (String name : t.keySet()) {
      assertFalse(name.endsWith(".compressed") || name.endsWith(".bitmask") || name.endsWith(".row_offsets")
          || name.endsWith(".shape"), name);
    }
    assertEquals(288 * 768 * 4, t.get("model.layers.0.mlp.down_proj.weight").capacity());
  }

  @Test
  void floatSparseWeightsRoundTripThroughDenseStorage() throws IOException {
    // unstructured and 2:4 side by side (the compact layout would have to turn the 2:4 ones into bitmask)
    WeightFormat[] formats = {WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_24_F32, WeightFormat.DENSE_F32,
        WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_24_F32, WeightFormat.SPARSE_BITMASK_F32,
        WeightFormat.SPARSE_24_F32};
    LlamaModel model = mix(formats);
    Path dir = tmp.resolve("f32");
    HfModelWriter.Summary s = HfModelWriter.write(model, dir, DENSE);
    assertEquals(6 * 6, s.sparseWeights());
    assertStoredDense(dir);

    JsonNode c = config(dir);
    assertNull(c.get("quantization_config"), "float weights: no quantization_config (transformers would need "
        + "compressed-tensors)");
    JsonNode sparsity = c.get("sparsity_config");
    assertEquals("dense", sparsity.get("format").asText());
    assertEquals("unstructured", sparsity.get("sparsity_structure").asText());
    assertEquals("Linear", sparsity.get("targets").get(0).asText());
    List<String> ignore = new ArrayList<>();
    sparsity.get("ignore").forEach(n -> ignore.add(n.asText()));
    assertTrue(ignore.contains("model.layers.3.self_attn.v_proj"), ignore.toString());
    assertTrue(ignore.contains("lm_head"));
    assertFalse(ignore.contains("model.layers.3.self_attn.q_proj"));
    double zeros = sparsity.get("global_sparsity").asDouble();  // over the sparse targets: 60% and 50% ones
    assertTrue(zeros > 0.5 && zeros < 0.6, sparsity.toString());

    LlamaModel back = ModelLoader.load(dir);
    WeightFormatsRoundTripTest.assertSameLinears(model, back);
    assertSameLogitsOnEveryBackend(model, back);
  }

  @Test
  void sparseInt8WeightsRoundTripAsInt8WithTheirZeros() throws IOException {
    WeightFormat[] formats = {WeightFormat.SPARSE_BITMASK_W8A8, WeightFormat.SPARSE_24_W8A8,
        WeightFormat.DENSE_W8A8, WeightFormat.SPARSE_BITMASK_W8A8, WeightFormat.SPARSE_24_W8A8,
        WeightFormat.SPARSE_BITMASK_W8A8, WeightFormat.DENSE_W8A8};
    LlamaModel model = mix(formats);
    Path dir = tmp.resolve("w8a8");
    HfModelWriter.write(model, dir, DENSE);
    Map<String, ByteBuffer> t = ModelFiles.hfTensors(dir);
    assertEquals(288 * 768, t.get("model.layers.0.mlp.down_proj.weight").capacity(), "int8, one byte each");
    assertTrue(t.containsKey("model.layers.0.mlp.down_proj.weight_scale"));
    assertFalse(t.containsKey("model.layers.0.mlp.down_proj.bitmask"));

    JsonNode q = config(dir).get("quantization_config");
    assertEquals("int-quantized", q.get("format").asText());
    assertEquals("dense", q.get("sparsity_config").get("format").asText());
    assertEquals("token", q.get("config_groups").get("group_0").get("input_activations").get("strategy").asText());

    LlamaModel back = ModelLoader.load(dir);
    assertSameMatrices(model, back);
    assertSameLogitsOnEveryBackend(model, back);
  }

  @Test
  void allTwoFourIsDeclaredTwoFourAndQ8StaysQ8() throws IOException {
    WeightFormat[] formats = {WeightFormat.SPARSE_24_F32, WeightFormat.SPARSE_24_F32, WeightFormat.SPARSE_24_F32,
        WeightFormat.Q8_0, WeightFormat.SPARSE_24_I8, WeightFormat.SPARSE_24_F32, WeightFormat.SPARSE_24_F32};
    LlamaModel model = mix(formats);
    Path dir = tmp.resolve("24");
    HfModelWriter.write(model, dir, DENSE);
    JsonNode sparsity = config(dir).get("quantization_config").get("sparsity_config");
    assertEquals("2:4", sparsity.get("sparsity_structure").asText());
    assertEquals(0.5, sparsity.get("global_sparsity").asDouble(), 1e-3);
    LlamaModel back = ModelLoader.load(dir);
    assertSameMatrices(model, back);
    WeightFormatsRoundTripTest.assertSameLogits(model, back);
  }

  @Test
  void withoutTheHintDenseStoredWeightsStayDense() throws IOException {
    // The zeros are only counted where config.json says the weights are sparse: a plain model loads mapped.
    LlamaModel model = mix(new WeightFormat[] {WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_BITMASK_F32,
        WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_BITMASK_F32,
        WeightFormat.SPARSE_BITMASK_F32, WeightFormat.SPARSE_BITMASK_F32});
    Path dir = tmp.resolve("nohint");
    HfModelWriter.write(model, dir, DENSE);
    ObjectNode c = (ObjectNode) config(dir);
    c.remove("sparsity_config");
    Files.writeString(dir.resolve("config.json"), c.toString());
    LlamaModel back = ModelLoader.load(dir);
    for (LayerWeights l : back.weights().layers()) {
      assertEquals(WeightFormat.DENSE_F32, l.w2().format());
    }
  }

  /**
   * Same format (so the same kernel), precision, matrix and scales. Not the same bitmask: an int8 value a mask
   * kept but that rounds to 0 is a zero like the pruned ones once stored dense, so it is no longer kept (it added
   * 0 to every dot product).
   */
  private static void assertSameMatrices(LlamaModel a, LlamaModel b) {
    for (int l = 0; l < a.config().nLayers(); l++) {
      LayerWeights x = a.weights().layers().get(l);
      LayerWeights y = b.weights().layers().get(l);
      LinearWeight[] xs = {x.wq(), x.wk(), x.wv(), x.wo(), x.w1(), x.w2(), x.w3()};
      LinearWeight[] ys = {y.wq(), y.wk(), y.wv(), y.wo(), y.w1(), y.w2(), y.w3()};
      for (int i = 0; i < 7; i++) {
        String where = "layer " + l + " linear " + i;
        assertEquals(xs[i].format(), ys[i].format(), where);
        StoredWeight p = xs[i].stored().toDenseLayout();
        StoredWeight q = ys[i].stored().toDenseLayout();
        assertEquals(p.precision(), q.precision(), where);
        assertEquals(p.values().bytes(), q.values().bytes(), where + " values");
        if (p.scales() != null) {
          assertEquals(p.scales().bytes(), q.scales().bytes(), where + " scales");
        }
      }
    }
  }

  /** Same logits from the saved model as from the model before saving, on the java and native backends. */
  private static void assertSameLogitsOnEveryBackend(LlamaModel a, LlamaModel b) {
    for (String name : new String[] {"java", "cpu"}) {
      try (Backend backend = Backends.open(name, 2, line -> { })) {
        int[] tokens = {1, 403, 1191, 57, 9, 300};
        float[] x = a.newSession(backend, 6).forward(tokens, 6, true).toFloatArray();
        float[] y = b.newSession(backend, 6).forward(tokens, 6, true).toFloatArray();
        assertArrayEquals(x, y, name);
        for (float v : y) {
          assertTrue(Float.isFinite(v), name);
        }
      }
    }
  }
}
