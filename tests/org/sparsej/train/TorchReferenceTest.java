package org.sparsej.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.format.safetensors.SafetensorsFile;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.util.JsonFiles;

/**
 * The whole model's loss and every parameter's gradient against PyTorch autograd on transformers' own Llama, Qwen2
 * and Mistral (float64), computed once by tests/resources/train/make_reference.py: tied embeddings, GQA, llama3
 * RoPE scaling, a pruned student's mask, q/k/v biases, an untied classifier and a sliding window between them.
 */
class TorchReferenceTest {
  private static final Path DIR = Path.of("tests/resources/train");

  @ParameterizedTest(name = "{0} {1} on {2}")
  @CsvSource({"llama, ce, java", "llama, kd, java", "llama, kd+squarehead, java", "llama, kd+squarehead, cpu",
      "qwen2, ce, java", "qwen2, ce, cpu", "mistral, ce, java", "mistral, ce, cpu"})
  void lossAndGradientsMatchAutograd(String name, String kind, String backendName) {
    Path dir = DIR.resolve(name);
    JsonNode ref = JsonFiles.readObject(dir.resolve("reference.json"));
    JsonNode tokensNode = ref.get("tokens");
    int[][] tokens = new int[tokensNode.size()][];
    for (int b = 0; b < tokens.length; b++) {
      tokens[b] = new int[tokensNode.get(b).size()];
      for (int t = 0; t < tokens[b].length; t++) {
        tokens[b][t] = tokensNode.get(b).get(t).asInt();
      }
    }
    LossKind lossKind = LossKind.parse(kind);
    LossSpec spec = lossKind == LossKind.CE ? LossSpec.defaults(LossKind.CE)
        : new LossSpec(lossKind, (float) ref.get("temperature").asDouble(), (float) ref.get("ce_weight").asDouble(),
            (float) ref.get("squarehead_weight").asDouble());
    TrainableModel student = TrainableModel.of(ModelLoader.load(dir.resolve("student")));
    LlamaModel teacher = lossKind == LossKind.CE ? null : ModelLoader.load(dir.resolve("teacher"));
    Backend backend = backendName.equals("java") ? new JavaBackend(2) : new CpuBackend(2);
    LossReport report;
    try (GradientStep step = new GradientStep(student, teacher, spec, 2, tokens.length, tokens[0].length - 1,
        backend)) {
      report = step.run(tokens);
    }
    JsonNode losses = ref.get("losses").get(kind);
    assertEquals(losses.get("total").asDouble(), report.total(), 2e-5 * Math.abs(losses.get("total").asDouble()));
    assertEquals(losses.get("ce").asDouble(), report.ce(), 2e-5 * losses.get("ce").asDouble());
    if (losses.has("kd")) {
      assertEquals(losses.get("kd").asDouble(), report.kd(), 1e-4 * losses.get("kd").asDouble());
    }
    if (losses.has("squarehead")) {
      assertEquals(losses.get("squarehead").asDouble(), report.squarehead(),
          1e-4 * losses.get("squarehead").asDouble());
    }
    assertEquals(tokens.length * (tokens[0].length - 1), report.tokens());

    int checked = 0;
    try (SafetensorsFile grads = SafetensorsFile.open(dir.resolve("grad-" + kind.replace('+', '-')
        + ".safetensors"))) {
      Map<String, SafetensorsFile.Entry> entries = grads.entries();
      assertEquals(entries.size(), student.parameters().size(), "one reference gradient per parameter");
      for (Parameter p : student.parameters()) {
        SafetensorsFile.Entry e = entries.get(p.name());
        assertTrue(e != null, "no reference gradient for " + p.name());
        float[] expected = grads.f32(e, p.shape()).toFloatArray();
        assertGradient(p, expected);
        checked++;
      }
    }
    assertEquals(student.parameters().size(), checked);
  }

  /** Within 1e-3 of the tensor's largest reference gradient at kept entries; exactly 0 outside the mask. */
  static void assertGradient(Parameter p, float[] expected) {
    float[] grad = p.grad();
    assertEquals(expected.length, grad.length, p.name());
    boolean[] keep = new boolean[grad.length];
    if (p.kept() == null) {
      java.util.Arrays.fill(keep, true);
    } else {
      for (int i : p.kept()) {
        keep[i] = true;
      }
    }
    double scale = 0;
    for (int i = 0; i < grad.length; i++) {
      if (keep[i]) {
        scale = Math.max(scale, Math.abs(expected[i]));
      }
    }
    assertTrue(scale > 0, p.name() + ": reference gradient is all zero");
    for (int i = 0; i < grad.length; i++) {
      if (keep[i]) {
        assertEquals(expected[i], grad[i], 1e-3 * scale, p.name() + "[" + i + "]");
      } else {
        assertEquals(0f, grad[i], p.name() + "[" + i + "] outside the mask");
      }
    }
  }
}
