package org.sparsej.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.backend.PagedKv;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;

/**
 * Every reference prompt of ../shared/reference/sj-7m-greedy.json as one segment of a single batched pass: each
 * row's logits match the float64 PyTorch reference (top 5 within 1e-4 relative) and equal, bit for bit, what the
 * prompt gives alone through InferenceSession.
 */
class BatchedForwardTest {
  private static final LlamaModel MODEL = Llama2cCheckpoint.load(SharedData.sj7m());
  private static final JsonNode REFERENCE = SharedData.json("reference/sj-7m-greedy.json");

  static Stream<String> backends() {
    return Stream.of("java", "cpu");
  }

  @ParameterizedTest
  @MethodSource("backends")
  void onePassOverAllPromptsMatchesReferenceAndSingleSequences(String backendName) {
    LlamaConfig c = MODEL.config();
    int vocab = c.vocabSize();
    try (Backend backend = backendName.equals("java") ? new JavaBackend(2) : new CpuBackend(2);
         KvCachePool pool = KvCachePool.forModel(backend, c, 64L << 20);
         ForwardPass pass = new ForwardPass(MODEL, backend, 64)) {
      List<int[]> prompts = new ArrayList<>();
      REFERENCE.get("cases").forEach(n -> prompts.add(SharedData.ints(n.get("prompt_ids"))));
      int total = prompts.stream().mapToInt(p -> p.length).sum();
      int[] tokens = new int[total];
      int[] rows = new int[total];
      PagedKv.Builder kv = PagedKv.builder(c.nLayers(), pool.pageTokens(), c.kvDim());
      int row = 0;
      for (int[] p : prompts) {
        KvCache cache = pool.reserve(p.length);
        cache.ensure(p.length);
        cache.addTo(kv, p.length, 0);
        System.arraycopy(p, 0, tokens, row, p.length);
        row += p.length;
      }
      for (int i = 0; i < total; i++) {
        rows[i] = i;
      }
      Tensor batched = pass.forward(tokens, kv.build(), rows, total);

      row = 0;
      int caseIndex = 0;
      for (JsonNode cs : REFERENCE.get("cases")) {
        int[] p = prompts.get(caseIndex++);
        Tensor alone;
        try (InferenceSession session = MODEL.newSession(backend, 64)) {
          alone = session.forward(p, p.length, true);
          for (int i = 0; i < p.length; i++) {
            for (int v = 0; v < vocab; v++) {
              assertEquals(alone.getFloat((long) i * vocab + v), batched.getFloat((long) (row + i) * vocab + v), 0f,
                  backendName + " row " + i + " token " + v);
            }
            for (JsonNode pair : cs.get("top5_logits_at_prompt_positions").get(i)) {
              double expected = pair.get(1).asDouble();
              double actual = batched.getFloat((long) (row + i) * vocab + pair.get(0).asInt());
              assertEquals(expected, actual, 1e-4 * Math.max(1.0, Math.abs(expected)),
                  backendName + " '" + cs.get("prompt").asText() + "' position " + i);
            }
          }
        }
        row += p.length;
      }
    }
  }
}
