package org.sparsej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** AdamW against torch.optim.AdamW (tests/resources/train/gen_adamw.py), by hand, and on a masked toy problem. */
class AdamWTest {
  private static final int[] KEPT = {0, 2, 3, 5};
  private static final float[][] GRADS = {
      {0.1f, 0f, -0.4f, 1.5f, 0f, -0.02f},
      {-0.3f, 0f, 0.2f, 0.7f, 0f, 0.05f},
      {0.05f, 0f, -0.6f, -2.0f, 0f, 0.01f}};
  private static final float[] LRS = {1e-2f, 5e-3f, 2e-3f};
  // printed by gen_adamw.py (torch 2.13.0+cpu)
  private static final float[][] TORCH = {
      {4.895000160e-01f, 0f, -1.238749981e+00f, 1.988000035e+00f, 0f, 3.097000122e-01f},
      {4.917261899e-01f, 0f, -1.236798882e+00f, 1.982396126e+00f, 0f, 3.073340952e-01f},
      {4.921828806e-01f, 0f, -1.235280871e+00f, 1.982076049e+00f, 0f, 3.063670993e-01f}};

  private static Parameter masked() {
    return new Parameter("w", new int[] {2, 3}, new float[] {0.5f, 0f, -1.25f, 2.0f, 0f, 0.3f}, KEPT.clone(), true);
  }

  @Test
  void threeStepsMatchTorch() {
    Parameter p = masked();
    AdamW adam = new AdamW(List.of(p), new AdamW.Settings(0.9f, 0.999f, 1e-8f, 0.1f));
    for (int s = 0; s < 3; s++) {
      System.arraycopy(GRADS[s], 0, p.grad(), 0, 6);
      p.grad()[1] = Float.NaN;  // outside kept(): must never be read
      p.grad()[4] = 1e6f;
      adam.step(LRS[s]);
      assertArrayEquals(TORCH[s], p.value(), 2e-7f, "after step " + (s + 1));
      assertEquals(0f, p.value()[1]);
      assertEquals(0f, p.value()[4]);
    }
    assertEquals(3, adam.steps());
    assertEquals(2L * KEPT.length, adam.stateFloats(), "state only for the kept entries");
  }

  @Test
  void firstStepByHandIsLrTimesSignAfterDecay() {
    // Step 1: m^ = g and v^ = g^2 after bias correction, so the update is lr * g / (|g| + eps) ~ lr * sign(g).
    float[] w = {1f, -2f, 3f};
    Parameter p = new Parameter("w", new int[] {3}, w, null, true);
    Parameter norm = new Parameter("norm", new int[] {2}, new float[] {1f, 1f}, null, false);
    p.grad()[0] = 0.5f;
    p.grad()[1] = -4f;
    p.grad()[2] = 0f;
    norm.grad()[0] = 2f;
    AdamW adam = new AdamW(List.of(p, norm), new AdamW.Settings(0.9f, 0.999f, 1e-8f, 0.5f));
    adam.step(0.1f);
    assertEquals(1f * 0.95f - 0.1f, w[0], 1e-6f);
    assertEquals(-2f * 0.95f + 0.1f, w[1], 1e-6f);
    assertEquals(3f * 0.95f, w[2], 1e-6f, "zero gradient: decay only");
    assertEquals(1f - 0.1f, norm.value()[0], 1e-6f, "a norm gain does not decay");
    assertEquals(1f, norm.value()[1], 0f);
  }

  @Test
  void masksStayFixedWhileAToyQuadraticConverges() {
    SplittableRandom random = new SplittableRandom(7);
    int n = 37;
    float[] target = new float[n];
    float[] w = new float[n];
    int[] kept = java.util.stream.IntStream.range(0, n).filter(i -> i % 3 != 0).toArray();
    for (int i = 0; i < n; i++) {
      target[i] = (float) random.nextDouble(-2, 2);
      w[i] = i % 3 == 0 ? 0f : (float) random.nextDouble(-2, 2);
    }
    Parameter p = new Parameter("w", new int[] {n}, w, kept, false);
    AdamW adam = new AdamW(List.of(p), AdamW.Settings.defaults());
    LrSchedule schedule = new LrSchedule(0.05f, 10, 0.001f);
    int steps = 1500;
    for (int s = 0; s < steps; s++) {
      for (int k : kept) {
        p.grad()[k] = 2 * (w[k] - target[k]);  // d/dw of (w - target)^2
      }
      adam.step(schedule.at(s, (double) s / steps));
    }
    for (int i = 0; i < n; i++) {
      if (i % 3 == 0) {
        assertEquals(0f, w[i], 0f, "pruned entry " + i + " moved");
      } else {
        assertEquals(target[i], w[i], 1e-3f, "entry " + i);
      }
    }
  }

  @Test
  void scheduleWarmsUpLinearlyThenDecaysToTheFloor() {
    LrSchedule s = new LrSchedule(1e-3f, 4, 1e-4f);
    assertEquals(0.25e-3f, s.at(0, 0), 1e-9f);
    assertEquals(1e-3f, s.at(3, 0.01), 1e-9f);
    assertEquals(1e-3f, s.at(4, 0), 1e-9f, "peak right after warm-up");
    assertEquals(0.55e-3f, s.at(50, 0.5), 1e-8f, "half way: the mean of peak and floor");
    assertEquals(1e-4f, s.at(99, 1), 1e-9f);
    assertEquals(1e-4f, s.at(200, 3), 1e-9f, "past the end: the floor");
    assertTrue(s.at(30, 0.3) > s.at(31, 0.31));
  }

  @Test
  void clippingScalesTheGlobalNormOnlyWhenAbove() {
    Parameter a = new Parameter("a", new int[] {2}, new float[2], null, true);
    Parameter b = new Parameter("b", new int[] {1}, new float[1], null, true);
    a.grad()[0] = 3f;
    a.grad()[1] = 0f;
    b.grad()[0] = 4f;  // global norm 5
    assertEquals(5.0, GradientClipping.clip(List.of(a, b), 10.0), 1e-12);
    assertEquals(3f, a.grad()[0]);
    assertEquals(5.0, GradientClipping.clip(List.of(a, b), 1.0), 1e-12);
    assertEquals(1.0, GradientClipping.globalNorm(List.of(a, b)), 1e-6);
    assertEquals(0.6f, a.grad()[0], 1e-6f);
    assertEquals(0.8f, b.grad()[0], 1e-6f);
    b.grad()[0] = Float.NaN;
    assertTrue(Double.isNaN(GradientClipping.clip(List.of(a, b), 1.0)), "NaN is reported, not hidden");
  }
}
