package org.sparsej.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loop on a toy problem: a masked vector pulled towards a target by a quadratic loss whose gradient also
 * depends on the batch's tokens, so that a resumed run only matches if it draws the same batches.
 */
class TrainerTest {
  private static final int N = 23;
  private static final int[] IDS = IntStream.range(0, 3000).map(i -> (i * 7919) % 1000).toArray();

  @TempDir Path tmp;

  private static float target(int i) {
    return (float) Math.sin(i + 1.0);
  }

  private static Parameter vector() {
    float[] w = new float[N];
    int[] kept = IntStream.range(0, N).filter(i -> i % 4 != 1).toArray();
    for (int k : kept) {
      w[k] = 0.1f * k;
    }
    return new Parameter("w", new int[] {N}, w, kept, true);
  }

  private static Trainer.BatchGradient quadratic(Parameter p) {
    return tokens -> {
      double loss = 0;
      p.zeroGrad();
      float noise = (tokens[0][1] + tokens[1][3]) / 2000f - 0.5f;  // depends on the batch drawn
      for (int k : p.kept()) {
        float d = p.value()[k] - target(k);
        loss += d * d;
        p.grad()[k] = 2 * d + 0.05f * noise;
      }
      return loss;
    };
  }

  private static Trainer.Evaluator exp(Parameter p) {
    return () -> {
      double loss = 0;
      for (int k : p.kept()) {
        loss += Math.pow(p.value()[k] - target(k), 2);
      }
      return Math.exp(loss);
    };
  }

  private static Trainer.Options options(long steps, double timeLimit, int checkpointEvery) {
    return new Trainer.Options(steps, 0.05f, 5, 0.1f, 1.0, timeLimit, 10, checkpointEvery,
        AdamW.Settings.defaults());
  }

  private static TrainingData data() {
    return new TrainingData(IDS, 1, 16, 2, 100, 3);
  }

  private Trainer trainer(Parameter p, Trainer.BatchGradient g, Trainer.Options o, Path ck) {
    return new Trainer(List.of(p), data(), g, exp(p), o, ck, Map.of("batch", "2"), new Trainer.Listener() {});
  }

  @Test
  void lossFallsMaskStaysAndTheLogHasARowPerStep() {
    Parameter p = vector();
    Trainer t = trainer(p, quadratic(p), options(200, Double.POSITIVE_INFINITY, 0), null);
    double before = exp(p).heldOutPerplexity();
    Trainer.Result r = t.run();
    assertEquals(200, r.steps());
    assertTrue(r.lastPerplexity() < 1.01 && before > 2, before + " -> " + r.lastPerplexity());
    for (int i = 1; i < N; i += 4) {
      assertEquals(0f, p.value()[i], 0f);
    }
    List<String> rows = t.csv().lines().toList();
    assertEquals("step,tokens,seconds,loss,lr,grad_norm,heldout_ppl", rows.get(0));
    assertEquals(1 + 201, rows.size(), "header, step 0, 200 steps");
    assertTrue(rows.get(1).startsWith("0,0,") && !rows.get(1).endsWith(","), "perplexity before training");
    assertTrue(rows.get(10).endsWith(",") && !rows.get(11).endsWith(","), "perplexity every 10 steps");
    assertEquals(2 * 17, t.optimizerStateFloats(), "m and v for the 17 kept entries");
  }

  @Test
  void anInterruptedRunResumesToTheSameResult() {
    Parameter straight = vector();
    trainer(straight, quadratic(straight), options(40, Double.POSITIVE_INFINITY, 0), null).run();

    Parameter first = vector();
    Path ck = tmp.resolve("ck");
    Trainer.BatchGradient g = quadratic(first);
    int[] calls = {0};
    Trainer.BatchGradient dies = tokens -> {
      if (++calls[0] == 28) {
        throw new IllegalStateException("killed");  // between checkpoints 25 and 30: steps 26, 27 are lost
      }
      return g.run(tokens);
    };
    assertThrows(IllegalStateException.class, () -> trainer(first, dies, options(40, 1e9, 5), ck).run());

    Parameter resumed = vector();
    Trainer t = trainer(resumed, quadratic(resumed), options(40, 1e9, 5), ck);
    assertEquals(25, t.resume(ck).step());
    Trainer.Result r = t.run();
    assertEquals(40, r.steps());
    assertArrayEquals(straight.value(), resumed.value(), 0f, "same batches, same moments, same schedule");
    assertEquals(1 + 41, t.csv().lines().count(), "the lost steps' rows are gone, no row twice");
  }

  @Test
  void aNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() {
    Parameter p = vector();
    Path ck = tmp.resolve("ck");
    Trainer.BatchGradient g = quadratic(p);
    int[] calls = {0};
    Trainer.BatchGradient explodes = tokens -> ++calls[0] == 13 ? Double.NaN : g.run(tokens);
    Trainer.Diverged e = assertThrows(Trainer.Diverged.class,
        () -> trainer(p, explodes, options(100, Double.POSITIVE_INFINITY, 5), ck).run());
    assertTrue(e.getMessage().contains("became NaN at step 13") && e.getMessage().contains(ck + " (step 10)"),
        e.getMessage());
    Parameter back = vector();
    assertEquals(10, trainer(back, quadratic(back), options(100, 1e9, 5), ck).resume(ck).step());

    Parameter q = vector();
    Trainer.BatchGradient g2 = quadratic(q);
    e = assertThrows(Trainer.Diverged.class, () -> trainer(q, tokens -> {
      g2.run(tokens);
      q.grad()[0] = Float.POSITIVE_INFINITY;
      return 1.0;
    }, options(100, Double.POSITIVE_INFINITY, 0), null).run());
    assertTrue(e.getMessage().contains("gradient") && e.getMessage().contains("no checkpoint"), e.getMessage());
  }

  @Test
  void theTimeLimitStopsCleanlyAndTheScheduleEndsAtTheFloor() {
    Parameter p = vector();
    Trainer.BatchGradient g = quadratic(p);
    float[] lastLr = {0};
    Trainer t = new Trainer(List.of(p), data(), tokens -> {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return g.run(tokens);
    }, exp(p), options(Long.MAX_VALUE, 0.5, 0), tmp.resolve("ck"), Map.of(), new Trainer.Listener() {
      @Override
      public void stepped(long step, long steps, double loss, float lr, double gradNorm, double tokensPerSecond) {
        lastLr[0] = lr;
      }
    });
    Trainer.Result r = t.run();
    assertTrue(r.timedOut() && r.steps() > 5 && r.steps() < 30, r.toString());
    assertTrue(lastLr[0] < 0.05f * 0.3f, "decayed by time towards 0.1 * lr: " + lastLr[0]);
    assertEquals(r.steps(), trainer(vector(), g, options(100, 1e9, 5), tmp.resolve("ck")).resume(tmp.resolve("ck"))
        .step(), "saved where it stopped");
  }
}
