package org.sparsej.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparsej.testing.SharedData;

/** Min-p, the repeat penalty and top logits reach the engine's sampler through GenerationOptions (on sj-7m). */
class SamplingOptionsApiTest {
  private static final String PROMPT = "Once upon a time";
  private static Model model;

  @BeforeAll
  static void load() {
    model = Model.load(SharedData.sj7m(), ModelOptions.defaults().withThreads(1).withSlots(2));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void minPOfOneIsGreedyAtAnyTemperature() {
    int[] greedy = model.generate(PROMPT, GenerationOptions.greedy().withMaxTokens(24)).tokens();
    GenerationOptions hot = GenerationOptions.defaults().withMaxTokens(24).withTemperature(1.5f).withSeed(4L);
    assertArrayEquals(greedy, model.generate(PROMPT, hot.withMinP(1f)).tokens(), "only the top token passes");
    assertNotEquals(java.util.Arrays.toString(greedy), java.util.Arrays.toString(model.generate(PROMPT, hot)
        .tokens()), "without min-p temperature 1.5 samples other tokens");
  }

  @Test
  void aStrongRepeatPenaltyStopsRepeatsAndTopLogitsShowTheModelsChoice() {
    GenerationOptions o = GenerationOptions.greedy().withMaxTokens(40).withTopLogits(5);
    Completion plain = model.generate(PROMPT, o);
    int[] prompt = model.tokenize(PROMPT);
    Set<Integer> seen = new HashSet<>();
    for (int t : prompt) {
      seen.add(t);
    }
    boolean repeats = false;
    for (int t : plain.tokens()) {
      repeats |= !seen.add(t);
    }
    assertTrue(repeats, "greedy sj-7m repeats tokens within 40: the penalty has something to do");
    // Greedy without a penalty: every token is the model's top logit, reported largest first.
    assertEquals(plain.tokens().length, plain.topLogits().size());
    for (TokenLogits t : plain.topLogits()) {
      assertEquals(5, t.ids().length);
      assertEquals(t.token(), t.ids()[0]);
      for (int j = 1; j < 5; j++) {
        assertTrue(t.logits()[j] <= t.logits()[j - 1]);
      }
    }

    Completion penalized = model.generate(PROMPT, o.withRepeatPenalty(100f, 64));
    Set<Integer> window = new HashSet<>();
    for (int t : prompt) {
      window.add(t);
    }
    boolean overruled = false;
    for (int i = 0; i < penalized.tokens().length; i++) {
      int t = penalized.tokens()[i];
      assertTrue(window.add(t), "token " + t + " repeated at " + i + " despite a penalty of 100");
      overruled |= penalized.topLogits().get(i).ids()[0] != t;
    }
    assertTrue(overruled, "the raw top logit was a repeat at least once, and the penalty overruled it");
    assertTrue(GenerationOptions.defaults().topLogits() == 0 && plain.topLogits().size() > 0
        && model.generate(PROMPT, GenerationOptions.greedy().withMaxTokens(3)).topLogits().isEmpty());
  }

  @Test
  void outOfRangeOptionsAreInvalidRequests() {
    GenerationOptions g = GenerationOptions.greedy().withMaxTokens(4);
    for (GenerationOptions bad : new GenerationOptions[] {g.withMinP(1.01f), g.withMinP(-1f),
        g.withRepeatPenalty(0f, 64), g.withRepeatPenalty(1.1f, -1), g.withTopLogits(-1), g.withTopLogits(5000)}) {
      ModelException e = assertThrows(ModelException.class, () -> model.generate(PROMPT, bad));
      assertEquals(ModelException.Kind.INVALID_REQUEST, e.kind(), e.getMessage());
    }
  }
}
