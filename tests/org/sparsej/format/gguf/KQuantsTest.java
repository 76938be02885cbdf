package org.sparsej.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * Q4_K, Q5_K and Q6_K against the gguf package (tests/resources/gguf-kquants/gen_kquants.py): random super-blocks
 * dequantized bit for bit as gguf does, and a one-layer GGUF whose matrices are all K-quants giving transformers'
 * logits (computed from gguf's dequantized weights) on the java and cpu backends.
 */
class KQuantsTest {
  private static final Path DIR = Path.of("tests/resources/gguf-kquants");

  @ParameterizedTest
  @ValueSource(strings = {"Q4_K", "Q5_K", "Q6_K"})
  void dequantizesAsTheGgufPackage(String name) throws Exception {
    GgmlType type = GgmlType.valueOf(name);
    byte[] raw = Files.readAllBytes(DIR.resolve(name + ".bin"));
    ByteBuffer want = ByteBuffer.wrap(Files.readAllBytes(DIR.resolve(name + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
    int n = raw.length / type.blockBytes() * 256;
    assertEquals(n * 4, want.capacity());
    Tensor out = Tensor.allocate(DType.F32, n);
    GgufModelReader.dequantize(type, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN), out, n);
    int nonZero = 0;
    for (int i = 0; i < n; i++) {
      float w = want.getFloat(4 * i);
      assertEquals(w, out.getFloat(i), name + " value " + i);
      nonZero += w != 0 ? 1 : 0;
    }
    assertTrue(nonZero > n / 2, "the blocks hold varied values");
  }

  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void kQuantModelGivesTransformersLogits(String backendName) throws Exception {
    JsonNode ref = new ObjectMapper().readTree(DIR.resolve("kquant-model.json").toFile());
    LlamaModel model = ModelLoader.load(DIR.resolve("kquant-model.gguf"));
    int[] prompt = new int[ref.get("prompt_ids").size()];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = ref.get("prompt_ids").get(i).asInt();
    }
    int vocab = model.config().vocabSize();
    try (Backend backend = backendName.equals("java") ? new JavaBackend(2) : new CpuBackend(2);
         InferenceSession session = model.newSession(backend, prompt.length)) {
      Tensor logits = session.forward(prompt, prompt.length, true);
      double worst = 0;
      double spread = 0;
      for (int p = 0; p < prompt.length; p++) {
        for (int t = 0; t < vocab; t++) {
          double w = ref.get("logits").get(p).get(t).asDouble();
          worst = Math.max(worst, Math.abs(logits.getFloat((long) p * vocab + t) - w));
          spread = Math.max(spread, Math.abs(w));
        }
      }
      assertTrue(spread > 1, "logits are informative (largest " + spread + ")");
      assertTrue(worst < 1e-4 * Math.max(1, spread), backendName + ": logits differ by " + worst);
    }
  }

  @Test
  void kQuantsAreReadNotWritten() {
    for (GgmlType t : new GgmlType[] {GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K}) {
      assertTrue(t.supported());
      assertTrue(!t.writable());
    }
  }
}
