package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import org.sparsej.api.ModelOptions;
import org.sparsej.testing.SharedData;

/**
 * The whole forward pass on the GPU: sj-7m's greedy text on cuda equals the cpu backend's, for one sequence and
 * for four decoded together. Skipped without a GPU. -Dsparsej.cuda.model names another model (the device check
 * carries sj-7m's Q8_0 GGUF, since ../shared does not travel to the GPU machine).
 */
class CudaGreedyTextTest {
  private static final String REASON = CudaBackend.unavailableReason();

  private static Path model() {
    String p = System.getProperty("sparsej.cuda.model");
    return p != null ? Path.of(p) : SharedData.sj7m();
  }

  private static String[] generate(String backend, String[] prompts) throws Exception {
    GenerationOptions options = GenerationOptions.greedy().withMaxTokens(40);
    String[] texts = new String[prompts.length];
    try (Model m = Model.load(model(), ModelOptions.defaults().withBackend(backend).withThreads(2).withSlots(4))) {
      java.util.List<Thread> threads = new java.util.ArrayList<>();
      for (int i = 0; i < prompts.length; i++) {
        int at = i;
        Thread t = new Thread(() -> texts[at] = m.generate(prompts[at], options).text());
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
    }
    return texts;
  }

  @Test
  void greedyTextEqualsCpu() throws Exception {
    assumeTrue(REASON == null, REASON);
    String[] one = {"Once upon a time"};
    String[] cpu = generate("cpu", one);
    String[] cuda = generate("cuda", one);
    assertFalse(cpu[0].isEmpty());
    assertEquals(cpu[0], cuda[0], "one sequence");
    String[] four = {"Once upon a time", "In the beginning", "To be, or not to be", "The king"};
    String[] cpuBatch = generate("cpu", four);
    String[] cudaBatch = generate("cuda", four);
    for (int i = 0; i < four.length; i++) {
      assertEquals(cpuBatch[i], cudaBatch[i], "batched sequence " + i);
    }
  }
}
