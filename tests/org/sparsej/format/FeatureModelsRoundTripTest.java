package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsej.backend.JavaBackend;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;

/**
 * The Hugging Face writer carries the features beyond plain Llama (head_dim apart, RoPE scaling linear / llama3 /
 * yarn, Qwen2's q/k/v biases, Mistral's sliding window) to config.json and the tensors, so a model with them
 * written and read again has the same config and the same logits. The models are the transformers-made ones of
 * HfFeatureModelsTest, and two of their GGUF twins (the llama one with interleaved q/k rows, permuted on the way).
 */
class FeatureModelsRoundTripTest {
  private static final Path DIR = Path.of("tests/resources/models");

  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"head-dim", "linear-rope", "llama3-rope", "yarn-rope", "qwen2-bias", "mistral-window",
      "qwen2-bias.gguf", "linear-rope.gguf"})
  void writtenAndReadAgainRunsTheSame(String name) throws IOException {
    LlamaModel model = ModelLoader.load(DIR.resolve(name));
    Path out = tmp.resolve("out");
    HfModelWriter.write(model, out, HfModelWriter.Options.defaults());
    LlamaModel back = ModelLoader.load(out);
    assertEquals(model.config().headDim(), back.config().headDim());
    assertEquals(model.config().ropeScaling(), back.config().ropeScaling());
    assertEquals(model.config().qkvBias(), back.config().qkvBias());
    assertEquals(model.config().slidingWindow(), back.config().slidingWindow());
    assertEquals(model.config().toString(), back.config().toString());  // all but the q/k row order
    assertEquals(model.config().normEps(), back.config().normEps());
    assertEquals(model.config().ropeTheta(), back.config().ropeTheta());
    JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
    if (model.config().qkvBias()) {
      assertEquals("Qwen2ForCausalLM", config.get("architectures").get(0).asText());
    }
    if (model.config().slidingWindow() > 0) {
      assertEquals("MistralForCausalLM", config.get("architectures").get(0).asText());
    }
    try (JavaBackend java = new JavaBackend(2)) {
      int[] tokens = {1, 5, 17, 42, 3, 95, 7, 8};
      float[] x = model.newSession(java, tokens.length).forward(tokens, tokens.length, true).toFloatArray();
      float[] y = back.newSession(java, tokens.length).forward(tokens, tokens.length, true).toFloatArray();
      assertArrayEquals(x, y, 1e-5f * maxAbs(x), name);
      assertTrue(maxAbs(y) > 0);
    }
  }

  private static float maxAbs(float[] v) {
    float m = 0;
    for (float f : v) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }
}
