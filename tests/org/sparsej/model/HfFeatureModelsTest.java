package org.sparsej.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.generate.Generator;
import org.sparsej.generate.Sampler;
import org.sparsej.tensor.Tensor;

/**
 * Tiny random Hugging Face models of the features beyond plain Llama (llama3 / linear / yarn RoPE scaling,
 * head_dim apart from hidden/heads, Qwen2 q/k/v biases, Mistral sliding window) against transformers' float64
 * forward pass (tests/resources/models/gen_tiny_models.py): every logit at every prompt position within 1e-4, and
 * the same greedy tokens, on the java and cpu backends, through the one transformer block. The GGUF files hold
 * the same weights as llama.cpp's converter lays them out (gen_tiny_gguf.py, the gguf package): rope.scaling.*
 * keys, the rope_freqs tensor for llama3 scaling, attention.key_length, the qwen2 architecture's biases.
 */
class HfFeatureModelsTest {
  static final Path DIR = Path.of("tests/resources/models");

  static Stream<Arguments> cases() {
    return Stream.of("llama3-rope", "linear-rope", "yarn-rope", "head-dim", "qwen2-bias", "mistral-window",
            "llama3-rope.gguf", "linear-rope.gguf", "yarn-rope.gguf", "head-dim.gguf", "qwen2-bias.gguf")
        .flatMap(m -> Stream.of(Arguments.of(m, "java"), Arguments.of(m, "cpu")));
  }

  static JsonNode reference(String model) throws IOException {
    return new ObjectMapper().readTree(DIR.resolve("reference.json").toFile()).get("models")
        .get(model.replace(".gguf", ""));
  }

  static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }

  /** Largest |logit - reference| over every prompt position. */
  static double maxError(LlamaModel model, Backend backend, JsonNode ref) {
    int[] prompt = ints(ref.get("prompt_ids"));
    int vocab = model.config().vocabSize();
    try (InferenceSession session = model.newSession(backend, prompt.length)) {
      Tensor logits = session.forward(prompt, prompt.length, true);
      double worst = 0;
      for (int p = 0; p < prompt.length; p++) {
        for (int t = 0; t < vocab; t++) {
          double want = ref.get("logits").get(p).get(t).asDouble();
          double got = logits.getFloat((long) p * vocab + t);
          worst = Math.max(worst, Double.isNaN(got) ? Double.POSITIVE_INFINITY : Math.abs(got - want));
        }
      }
      return worst;
    }
  }

  static Backend open(String name) {
    return name.equals("java") ? new JavaBackend(2) : new CpuBackend(2);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void logitsAndGreedyTokensMatchTransformers(String name, String backendName) throws IOException {
    JsonNode ref = reference(name);
    LlamaModel model = ModelLoader.load(DIR.resolve(name));
    try (Backend backend = open(backendName)) {
      double err = maxError(model, backend, ref);
      assertTrue(err < 1e-4, name + " on " + backendName + ": logits differ from transformers by " + err);
      int[] expected = ints(ref.get("greedy_ids"));
      int[] prompt = ints(ref.get("prompt_ids"));
      try (InferenceSession session = model.newSession(backend, 8)) {
        int[] actual = new Generator(session, null).generate(prompt, expected.length, Sampler.greedy(), false,
            (p, t) -> { }).generatedTokens();
        assertArrayEquals(expected, actual, name + " on " + backendName + ": greedy tokens");
      }
    }
  }

  /** Writers that cannot hold a feature refuse the model instead of writing one that runs differently. */
  @org.junit.jupiter.api.Test
  void writersRefuseWhatTheyCannotHold(@org.junit.jupiter.api.io.TempDir Path tmp) {
    // (the Hugging Face writer holds every feature: FeatureModelsRoundTripTest)
    org.junit.jupiter.api.Assertions.assertThrows(org.sparsej.util.SparsejException.class,
        () -> Llama2cWriter.write(ModelLoader.load(DIR.resolve("yarn-rope")), tmp.resolve("m.bin")));
    assertTrue(!java.nio.file.Files.exists(tmp.resolve("out")) && !java.nio.file.Files.exists(tmp.resolve("m.bin")));
  }

  /** The references tell the features apart: the same weights read as plain Llama miss them by far more. */
  @ParameterizedTest
  @MethodSource("cases")
  void referencesNeedTheFeature(String name, String backendName) throws IOException {
    if (!backendName.equals("java") || name.endsWith(".gguf")) {
      return;
    }
    LlamaModel model = ModelLoader.load(DIR.resolve(name));
    LlamaConfig c = model.config();
    LlamaModel plain;
    if (name.endsWith("-rope")) {
      plain = new LlamaModel(c.with(c.headDim(), RopeScaling.NONE, c.qkvBias(), c.slidingWindow()), model.weights());
    } else if (name.startsWith("qwen2")) {
      java.util.List<LayerWeights> layers = model.weights().layers().stream()
          .map(l -> new LayerWeights(l.attentionNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.ffnNorm(), l.w1(),
              l.w2(), l.w3())).toList();
      plain = new LlamaModel(c.with(c.headDim(), c.ropeScaling(), false, c.slidingWindow()),
          new LlamaWeights(model.weights().tokenEmbedding(), layers, model.weights().finalNorm(),
              model.weights().classifier()));
    } else if (name.startsWith("mistral")) {
      plain = new LlamaModel(c.with(c.headDim(), c.ropeScaling(), c.qkvBias(), 0), model.weights());
    } else {
      assertEquals(24, c.headSize());
      assertEquals(96, c.qDim());
      return;
    }
    try (Backend backend = new JavaBackend(2)) {
      double err = maxError(plain, backend, reference(name));
      assertTrue(err > 1e-2, name + " without its feature is within " + err + " of the reference");
    }
  }
}
