package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.backend.RopeStyle;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.WeightFormat;

/**
 * The three layouts of sj-7m in ../shared (llama2.c model.bin, Hugging Face hf/, GGUF F32 and Q8_0) load to the
 * same model and give the same logits on the java and cpu backends, and the reference's top-5 logits.
 */
class SharedModelsAgreeTest {
  private static final JsonNode REFERENCE = SharedData.json("reference/sj-7m-greedy.json");

  static Stream<Arguments> layouts() {
    return Stream.of("java", "cpu").flatMap(b -> Stream.of(
        Arguments.of("models/sj-7m/hf", b, 1e-4),
        Arguments.of("models/sj-7m/hf/model.safetensors", b, 1e-4),
        Arguments.of("models/sj-7m/gguf/sj-7m-f32.gguf", b, 1e-4)));
  }

  static Backend open(String name) {
    return name.equals("java") ? new JavaBackend(2) : new CpuBackend(2);
  }

  @ParameterizedTest
  @MethodSource("layouts")
  void sameConfigAndLogitsAsModelBin(String layout, String backendName, double tol) {
    LlamaModel bin = ModelLoader.load(SharedData.sj7m());
    LlamaModel other = ModelLoader.load(SharedData.path(layout));
    LlamaConfig a = bin.config();
    LlamaConfig b = other.config();
    assertEquals(a.toString(), b.toString());
    assertEquals(a.normEps(), b.normEps());
    assertEquals(a.ropeTheta(), b.ropeTheta());
    assertEquals(layout.contains("hf") ? RopeStyle.HALF : RopeStyle.INTERLEAVED, b.ropeStyle());
    try (Backend backend = open(backendName)) {
      for (JsonNode c : REFERENCE.get("cases")) {
        int[] prompt = SharedData.ints(c.get("prompt_ids"));
        Tensor expected = bin.newSession(backend, 64).forward(prompt, prompt.length, true);
        Tensor actual = other.newSession(backend, 64).forward(prompt, prompt.length, true);
        long n = (long) prompt.length * a.vocabSize();
        for (long i = 0; i < n; i++) {
          float e = expected.getFloat(i);
          assertEquals(e, actual.getFloat(i), tol * Math.max(1, Math.abs(e)), layout + " logit " + i);
        }
        // And the independent float64 reference's top-5 logits at every prompt position.
        JsonNode top5 = c.get("top5_logits_at_prompt_positions");
        for (int p = 0; p < prompt.length; p++) {
          for (JsonNode pair : top5.get(p)) {
            double ref = pair.get(1).asDouble();
            assertEquals(ref, actual.getFloat((long) p * a.vocabSize() + pair.get(0).asInt()),
                1e-4 * Math.max(1, Math.abs(ref)), layout + " vs reference at position " + p);
          }
        }
      }
    }
  }

  /** Q8_0 runs as Q8_0 (no expansion) and stays close to the F32 model: same argmax on almost every position. */
  @ParameterizedTest
  @MethodSource("backendNames")
  void q8_0GgufRunsQuantizedAndTracksF32(String backendName) {
    LlamaModel f32 = ModelLoader.load(SharedData.sj7m());
    LlamaModel q8 = ModelLoader.load(SharedData.path("models/sj-7m/gguf/sj-7m-q8_0.gguf"));
    assertEquals(WeightFormat.Q8_0, q8.weights().layers().get(0).wq().format());
    assertEquals(WeightFormat.Q8_0, q8.weights().classifier().format());
    assertTrue(q8.weights().residentBytes() < 0.5 * f32.weights().residentBytes());
    int positions = 0;
    int agree = 0;
    double maxDiff = 0;
    try (Backend backend = open(backendName)) {
      for (JsonNode c : REFERENCE.get("cases")) {
        int[] prompt = SharedData.ints(c.get("prompt_ids"));
        Tensor e = f32.newSession(backend, 64).forward(prompt, prompt.length, true);
        Tensor a = q8.newSession(backend, 64).forward(prompt, prompt.length, true);
        int vocab = f32.config().vocabSize();
        for (int p = 0; p < prompt.length; p++) {
          positions++;
          agree += argmax(e, p, vocab) == argmax(a, p, vocab) ? 1 : 0;
          for (int i = 0; i < vocab; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(e.getFloat((long) p * vocab + i) - a.getFloat((long) p * vocab + i)));
          }
        }
      }
    }
    assertTrue(agree >= 0.9 * positions, "argmax agrees on " + agree + "/" + positions + " positions");
    assertTrue(maxDiff < 0.5, "largest logit difference " + maxDiff);
  }

  static Stream<String> backendNames() {
    return Stream.of("java", "cpu");
  }

  private static int argmax(Tensor t, int row, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (t.getFloat((long) row * n + i) > t.getFloat((long) row * n + best)) {
        best = i;
      }
    }
    return best;
  }
}
