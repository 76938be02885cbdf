package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.backend.JavaBackend;
import org.sparsej.format.gguf.GgufFile;
import org.sparsej.format.gguf.GgufModelWriter;
import org.sparsej.format.gguf.GgufVocabulary;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.generate.Generator;
import org.sparsej.generate.Sampler;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.tokenizer.Vocabularies;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q8_0Weight;

/** Writing and reading back: every tensor bit-identical, and the same generated text. */
class ConvertRoundTripTest {
  private static final Path BIN = SharedData.sj7m();
  private static final Path HF = SharedData.path("models/sj-7m/hf");
  private static final Path F32 = SharedData.path("models/sj-7m/gguf/sj-7m-f32.gguf");
  private static final Path Q8 = SharedData.path("models/sj-7m/gguf/sj-7m-q8_0.gguf");

  @TempDir Path tmp;

  private static Vocabulary sj7mVocabulary() {
    return Vocabularies.llama2c(SharedData.path("models/sj-7m/tokenizer.bin"), 4096);
  }

  private static void assertSameTensors(Map<String, ByteBuffer> expected, Map<String, ByteBuffer> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      assertEquals(expected.get(name), actual.get(name), name + " differs");
    }
  }

  @Test
  void llama2cToHfGivesTheSharedSafetensorsBitForBit() {
    // The shared hf/ was made from model.bin by transformers' q/k permutation: ours must agree on every byte.
    HfModelWriter.write(ModelLoader.load(BIN), tmp.resolve("hf"), HfModelWriter.Options.defaults());
    assertSameTensors(ModelFiles.hfTensors(HF), ModelFiles.hfTensors(tmp.resolve("hf")));
  }

  @Test
  void llama2cToGgufGivesTheSharedGgufFilesBitForBit() {
    LlamaModel model = ModelLoader.load(BIN);
    GgufModelWriter.write(model, sj7mVocabulary(), tmp.resolve("f32.gguf"), false, false);
    GgufModelWriter.write(model, sj7mVocabulary(), tmp.resolve("q8.gguf"), true, false);
    assertSameTensors(ModelFiles.ggufTensors(F32), ModelFiles.ggufTensors(tmp.resolve("f32.gguf")));
    // Q8_0 quantization rounds exactly as gguf-py did.
    assertSameTensors(ModelFiles.ggufTensors(Q8), ModelFiles.ggufTensors(tmp.resolve("q8.gguf")));
    try (GgufFile mine = GgufFile.open(tmp.resolve("q8.gguf")); GgufFile ref = GgufFile.open(Q8)) {
      for (String key : List.of("tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type",
          "tokenizer.ggml.bos_token_id", "llama.rope.freq_base", "llama.attention.head_count_kv")) {
        assertEquals(ref.metadata().get(key), mine.metadata().get(key), key);
      }
    }
  }

  @Test
  void hfToGgufToHfIsBitIdentical() {
    GgufModelWriter.write(ModelLoader.load(HF), null, tmp.resolve("m.gguf"), false, false);
    HfModelWriter.write(ModelLoader.load(tmp.resolve("m.gguf")), tmp.resolve("back"),
        HfModelWriter.Options.defaults());
    assertSameTensors(ModelFiles.hfTensors(HF), ModelFiles.hfTensors(tmp.resolve("back")));
  }

  @Test
  void shardedDirectoryLoadsTheSameWeights() throws IOException {
    HfModelWriter.Summary s = HfModelWriter.write(ModelLoader.load(HF), tmp.resolve("sharded"),
        HfModelWriter.Options.defaults().withShardBytes(3_000_000));
    assertTrue(s.files() > 5, "files: " + s.files());
    assertTrue(Files.exists(tmp.resolve("sharded/model.safetensors.index.json")));
    assertFalse(Files.exists(tmp.resolve("sharded/model.safetensors")));
    assertSameTensors(ModelFiles.hfTensors(HF), ModelFiles.hfTensors(tmp.resolve("sharded")));
    assertSameText(ModelLoader.load(HF), ModelLoader.load(tmp.resolve("sharded")));
  }

  @Test
  void q8_0GgufBecomesCompressedTensorsInt8AndComesBackBitIdentical() throws IOException {
    LlamaModel q8 = ModelLoader.load(Q8);
    HfModelWriter.Summary s = HfModelWriter.write(q8, tmp.resolve("int8"), HfModelWriter.Options.defaults());
    assertEquals(6 * 7 + 1, s.int8Weights());  // every linear weight, and the (untied) Q8_0 classifier
    JsonNode q = config(tmp.resolve("int8")).get("quantization_config");
    assertEquals("compressed-tensors", q.get("quant_method").asText());
    assertEquals("int-quantized", q.get("format").asText());
    JsonNode weights = q.get("config_groups").get("group_0").get("weights");
    assertEquals(8, weights.get("num_bits").asInt());
    assertEquals("group", weights.get("strategy").asText());
    assertEquals(32, weights.get("group_size").asInt());
    Map<String, ByteBuffer> tensors = ModelFiles.hfTensors(tmp.resolve("int8"));
    assertTrue(tensors.containsKey("model.layers.0.self_attn.q_proj.weight_scale"));

    LlamaModel back = ModelLoader.load(tmp.resolve("int8"));
    assertInstanceOf(Q8_0Weight.class, back.weights().layers().get(3).w2());
    assertSameLinears(q8, back);
    assertSameText(q8, back);
    // And back to GGUF: the matrices are the original file's bytes.
    GgufModelWriter.write(back, null, tmp.resolve("again.gguf"), false, false);
    Map<String, ByteBuffer> orig = ModelFiles.ggufTensors(Q8);
    Map<String, ByteBuffer> again = ModelFiles.ggufTensors(tmp.resolve("again.gguf"));
    for (String name : orig.keySet()) {
      if (name.startsWith("blk.")) {
        assertEquals(orig.get(name), again.get(name), name);
      }
    }
  }

  @Test
  void prunedModelAsSparseBitmaskRoundTrips() throws IOException {
    LlamaModel pruned = ModelFiles.magnitudePruned(ModelLoader.load(HF), 0.5);
    HfModelWriter.Summary s = HfModelWriter.write(pruned, tmp.resolve("sparse"),
        HfModelWriter.Options.defaults().withSparseBitmask(true));
    assertEquals(6 * 7, s.sparseWeights());
    assertEquals(0.5, s.globalSparsity(), 0.01);
    JsonNode sc = config(tmp.resolve("sparse")).get("quantization_config").get("sparsity_config");
    assertEquals("sparse-bitmask", sc.get("format").asText());
    assertEquals("unstructured", sc.get("sparsity_structure").asText());
    assertEquals(0.5, sc.get("global_sparsity").asDouble(), 0.01);
    assertEquals("Linear", sc.get("targets").get(0).asText());
    assertEquals("lm_head", sc.get("ignore").get(0).asText());
    assertFalse(config(tmp.resolve("sparse")).get("quantization_config").has("config_groups"));
    Map<String, ByteBuffer> t = ModelFiles.hfTensors(tmp.resolve("sparse"));
    for (String part : List.of("shape", "compressed", "bitmask", "row_offsets")) {
      assertTrue(t.containsKey("model.layers.2.mlp.down_proj." + part), part);
    }
    assertFalse(t.containsKey("model.layers.2.mlp.down_proj.weight"));
    // The files hold about half the values plus one bit per weight.
    long bytes = Files.size(tmp.resolve("sparse/model.safetensors"));
    assertTrue(bytes < 0.7 * Files.size(HF.resolve("model.safetensors")), "size " + bytes);

    LlamaModel back = ModelLoader.load(tmp.resolve("sparse"));
    // Stored sparse, loaded sparse: the block linears run on the sparse kernels, with the very same values.
    assertSameLinears(pruned, back, org.sparsej.weights.WeightFormat.SPARSE_BITMASK_F32);
    assertSameText(pruned, back);
  }

  @Test
  void sparseInt8StacksBitmaskOverInt8() {
    LlamaModel q8 = ModelLoader.load(Q8);
    HfModelWriter.write(q8, tmp.resolve("both"), HfModelWriter.Options.defaults().withSparseBitmask(true));
    Map<String, ByteBuffer> t = ModelFiles.hfTensors(tmp.resolve("both"));
    assertTrue(t.containsKey("model.layers.0.self_attn.q_proj.compressed"));
    assertTrue(t.containsKey("model.layers.0.self_attn.q_proj.weight_scale"));
    LlamaModel back = ModelLoader.load(tmp.resolve("both"));
    assertSameLinears(q8, back);
  }

  private static JsonNode config(Path dir) throws IOException {
    return new ObjectMapper().readTree(dir.resolve("config.json").toFile());
  }

  /**
   * Every linear weight of b holds the same values as a's, in the same format; q/k rows are compared in a's RoPE
   * layout (a Hugging Face directory stores them in rotate-half order, GGUF interleaved).
   */
  private static void assertSameLinears(LlamaModel a, LlamaModel b) {
    assertSameLinears(a, b, null);
  }

  /** As above, but b's linears are expected in {@code format} (null: a's own format). */
  private static void assertSameLinears(LlamaModel a, LlamaModel b, org.sparsej.weights.WeightFormat format) {
    for (int l = 0; l < a.config().nLayers(); l++) {
      LayerWeights x = a.weights().layers().get(l);
      LayerWeights y = b.weights().layers().get(l);
      LinearWeight[] xs = {x.wq(), x.wk(), x.wv(), x.wo(), x.w1(), x.w2(), x.w3()};
      LinearWeight[] ys = {y.wq(), y.wk(), y.wv(), y.wo(), y.w1(), y.w2(), y.w3()};
      for (int i = 0; i < xs.length; i++) {
        assertEquals(format == null ? xs[i].format() : format, ys[i].format());
        int heads = i == 0 ? a.config().nHeads() : i == 1 ? a.config().nKvHeads() : 0;
        int rows = ys[i].rows();
        if (xs[i] instanceof Q8_0Weight qa) {
          ByteBuffer yb = ((Q8_0Weight) ys[i]).blocks().bytes();
          if (heads > 0) {
            yb = QkPermutation.permute(yb, rows, yb.capacity() / rows, a.config().headSize(), b.config().ropeStyle(),
                a.config().ropeStyle());
          }
          assertEquals(qa.blocks().bytes(), yb, "layer " + l + " weight " + i);
        } else {
          ByteBuffer yb = ys[i].toDense().bytes();
          if (heads > 0) {
            yb = QkPermutation.permute(yb, rows, yb.capacity() / rows, a.config().headSize(), b.config().ropeStyle(),
                a.config().ropeStyle());
          }
          assertEquals(xs[i].toDense().bytes(), yb, "layer " + l + " weight " + i);
        }
      }
    }
  }

  /** Both models generate the same greedy text from the same prompt. */
  private static void assertSameText(LlamaModel a, LlamaModel b) {
    Tokenizer tok = ModelTokenizers.forModel(BIN, 4096);
    try (JavaBackend backend = new JavaBackend(2)) {
      String ta = text(a, tok, backend);
      String tb = text(b, tok, backend);
      assertEquals(ta, tb);
      assertTrue(ta.length() > 20, ta);
    }
  }

  private static String text(LlamaModel m, Tokenizer tok, JavaBackend backend) {
    Generator g = new Generator(m.newSession(backend, 16), tok);
    int[] ids = g.generate("In the beginning", 24, Sampler.greedy(), false, (p, t) -> { }).generatedTokens();
    return tok.decode(ids);
  }
}
