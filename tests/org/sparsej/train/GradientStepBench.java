package org.sparsej.train;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;

/**
 * Tokens/s of {@link GradientStep#run} (forward + backward, no optimizer) on a real model: not a unit test, run by
 * hand under the benchmark lock (docs/training-backward.md):
 * <pre>
 *   mvn -B -o -q test-compile dependency:build-classpath -pl sparsej-core -Dmdep.outputFile=$PWD/target/cp.txt
 *   flock /tmp/sparsej-bench.lock java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *       org.sparsej.train.GradientStepBench ../shared/models/sj-7m/model.bin 8 256 2 5 ce
 * </pre>
 * args: model, batch, seqLen, threads, steps, loss (ce, kd or kd+squarehead; the teacher is the model itself).
 */
public final class GradientStepBench {
  private GradientStepBench() {}

  public static void main(String[] args) {
    Path model = Path.of(args[0]);
    int batch = Integer.parseInt(args[1]);
    int seqLen = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    int steps = Integer.parseInt(args[4]);
    LossKind kind = LossKind.parse(args.length > 5 ? args[5] : "ce");
    LlamaModel loaded = ModelLoader.load(model);
    TrainableModel student = TrainableModel.of(loaded);
    SplittableRandom random = new SplittableRandom(1);
    int[][] tokens = new int[batch][seqLen + 1];
    for (int[] row : tokens) {
      for (int t = 0; t < row.length; t++) {
        row[t] = random.nextInt(loaded.config().vocabSize());
      }
    }
    try (GradientStep step = new GradientStep(student, kind.needsTeacher() ? loaded : null,
        LossSpec.defaults(kind), threads, batch, seqLen)) {
      step.run(tokens);  // warm-up
      double best = Double.MAX_VALUE;
      double total = 0;
      for (int s = 0; s < steps; s++) {
        long t0 = System.nanoTime();
        LossReport r = step.run(tokens);
        double sec = (System.nanoTime() - t0) / 1e9;
        best = Math.min(best, sec);
        total += sec;
        System.out.printf("step %d: %.3f s, %.0f tokens/s, loss %.4f%n", s, sec, r.tokens() / sec, r.total());
      }
      System.out.printf("%s batch %d seq %d threads %d: mean %.0f tokens/s, best %.0f tokens/s%n", kind, batch,
          seqLen, threads, (double) batch * seqLen * steps / total, batch * seqLen / best);
    }
  }
}
