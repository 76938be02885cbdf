package org.sparsej.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** With top logits recorded, the sampler keeps each drawn token's logit and the step's log-sum-exp. */
class SamplerLogprobsTest {
  @Test
  void recordsTheRawLogitAndNormalizerWhateverThePenaltyAndTemperature() {
    // Raw probabilities 3/6, 2/6, 1/6: log-sum-exp ln 6.
    float[] logits = {(float) Math.log(3), (float) Math.log(2), 0f};
    Sampler s = new Sampler(0f, 1f, 0, 0f, 100f, 64, 2, 0);
    s.begin(new int[] {0});  // the penalty pushes token 0 down: greedy takes token 1
    int t = s.sample(logits, 0, 3);
    assertEquals(1, t);
    Sampler.Step step = s.lastStep();
    assertArrayEquals(new int[] {0, 1}, step.ids());
    assertEquals(Math.log(6), step.logSumExp(), 1e-6);
    assertEquals(Math.log(2.0 / 6), step.tokenLogit() - step.logSumExp(), 1e-6, "raw: before the penalty");
    assertEquals(Math.log(3.0 / 6), step.logits()[0] - step.logSumExp(), 1e-6);

    Sampler hot = new Sampler(2f, 1f, 0, 0f, 1f, 0, 1, 5);
    int a = hot.sample(logits, 0, 3);
    int b = hot.sample(new float[] {9f, 0f, -1f, 3f}, 1, 3);
    assertArrayEquals(new float[] {logits[a], new float[] {0f, -1f, 3f}[b]}, hot.tokenLogits());
    assertEquals(Math.log(6), hot.logSumExps()[0], 1e-6, "not scaled by the temperature");
    assertEquals(Math.log(Math.exp(0) + Math.exp(-1) + Math.exp(3)), hot.logSumExps()[1], 1e-6);
    assertNull(Sampler.greedy().lastStep(), "nothing recorded unless asked");
  }
}
