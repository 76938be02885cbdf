package org.sparsej.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.sparsej.backend.Backend;
import org.sparsej.backend.Backends;
import org.sparsej.eval.Perplexity;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.train.FinetuneSettings;
import org.sparsej.train.GradientStep;
import org.sparsej.train.LossReport;
import org.sparsej.train.LossSpec;
import org.sparsej.train.TrainableModel;
import org.sparsej.train.Trainer;
import org.sparsej.train.TrainingData;
import org.sparsej.util.SparsejException;

/**
 * One fine-tuning run, what {@code sparsej finetune} and a recipe's train stage share: tokenize the data, load the
 * teacher, train the student with its masks fixed (Trainer + GradientStep), with a progress bar and held-out
 * perplexity. Writes nothing but the checkpoint; the caller writes the trained model.
 */
final class FinetuneRun {
  /** The trained model in the student's formats, how the run ended, its per-step CSV and options as text. */
  record Outcome(LlamaModel model, Trainer.Result result, String csv, Map<String, String> described) {}

  private FinetuneRun() {}

  /** The window length: as given, else min(128, the model's context); null where it does not fit the context. */
  static int seqLen(FinetuneSettings s, LlamaModel student) {
    return s.seqLen() != null ? s.seqLen() : Math.min(128, student.config().seqLen());
  }

  /**
   * Trains {@code student} (named {@code name} in messages) on {@code s}; {@code checkpointDir} null writes no
   * checkpoint; {@code resume} non-null continues the run that wrote it.
   */
  static Outcome run(String name, LlamaModel student, Tokenizer tok, FinetuneSettings s, int threads,
                     Path checkpointDir, Path resume) {
    String problem = s.problem();
    if (problem != null) {
      throw new SparsejException(problem);
    }
    int l = seqLen(s, student);
    if (l < 1 || l > student.config().seqLen()) {
      throw new SparsejException("seqlen must be in 1.." + student.config().seqLen() + " (the model's context), got "
          + l);
    }
    LlamaModel teacherModel = null;
    if (s.teacher() != null && s.loss().needsTeacher()) {
      teacherModel = ModelLoader.load(s.teacher());
    } else if (s.teacher() != null) {
      System.err.println("note: loss ce does not read the teacher; " + s.teacher() + " is not loaded");
    }
    TrainableModel trainable = TrainableModel.of(student);
    if (!trainable.hasSparseLinears()) {
      System.err.println("warning: " + name + " has no sparse layers: it trains dense");
    }
    long t0 = System.nanoTime();
    int[] ids = tok.encode(TextFiles.read(s.data(), "training"), false, false);
    TrainingData data;
    try {
      data = new TrainingData(ids, tok.bos(), l, s.batch(), s.heldOut(), s.seed());
    } catch (SparsejException e) {
      throw new SparsejException(s.data() + ": " + e.getMessage());
    }
    System.err.printf(Locale.ROOT, "data: %d tokens from %s (%d trained on, %d held out; tokenized in %.1f s)%n",
        ids.length, s.data(), data.trainTokens(), data.heldOut().length, (System.nanoTime() - t0) / 1e9);
    Map<String, String> described = describe(name, s, l);
    int[] heldOut = data.heldOut();
    Trainer trainer;
    Trainer.Result result;
    try (GradientStep step = new GradientStep(trainable, teacherModel, LossSpec.defaults(s.loss()), threads,
        s.batch(), l);
         Backend backend = Backends.open(null, threads, line -> System.err.println(line))) {
      Trainer.Evaluator evaluator = () -> heldOut.length == 0 ? Double.NaN
          : new Perplexity(trainable.toModel(), backend, Math.min(l + 1, student.config().seqLen()), 0)
              .evaluate(heldOut, tok.bos(), null).ppl();
      BarListener bar = new BarListener(s.steps(), s.timeLimitSeconds());
      trainer = new Trainer(trainable.parameters(), data, tokens -> bar.record(step.run(tokens)), evaluator,
          s.trainerOptions(), checkpointDir, described, bar);
      if (resume != null) {
        var state = trainer.resume(resume);
        System.err.printf(Locale.ROOT, "resumed %s at step %d (%.1f s trained)%n", resume, state.step(),
            state.elapsedSeconds());
      }
      System.err.printf(Locale.ROOT, "training: %s, %s steps of %d x %d tokens, lr %.3g, %d threads; optimizer "
          + "state %.1f MB for %d trained weights%n", FinetuneSettings.name(s.loss()),
          s.steps() == Long.MAX_VALUE ? "unbounded" : s.steps(), s.batch(), l, s.lr(), threads,
          trainer.optimizerStateFloats() * 4 / 1e6, trainer.optimizerStateFloats() / 2);
      result = trainer.run();
      bar.finish(result);
    }
    return new Outcome(trainable.toModel(), result, trainer.csv(), described);
  }

  /** The options as text, stored in every checkpoint (a resumed run is compared against them) and finetune.json. */
  private static Map<String, String> describe(String student, FinetuneSettings s, int seqLen) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("student", student);
    d.put("teacher", s.teacher() == null ? "" : s.teacher().toString());
    d.put("data", s.data().toString());
    d.put("loss", FinetuneSettings.name(s.loss()));
    d.put("batch", Integer.toString(s.batch()));
    d.put("seqlen", Integer.toString(seqLen));
    d.put("seed", Long.toString(s.seed()));
    d.put("heldout", Integer.toString(s.heldOut()));
    d.put("steps", s.steps() == Long.MAX_VALUE ? "" : Long.toString(s.steps()));
    d.put("lr", Float.toString(s.lr()));
    return d;
  }

  /** Progress bar over steps (or over time with a time limit alone) with loss, lr and tokens/s; eval lines. */
  private static final class BarListener implements Trainer.Listener {
    private final ProgressBar bar;
    private final boolean byTime;
    private final long start = System.nanoTime();
    private LossReport last;

    BarListener(long steps, double timeLimitSeconds) {
      this.byTime = steps == Long.MAX_VALUE;
      this.bar = new ProgressBar("finetune", byTime ? (long) timeLimitSeconds : steps);
    }

    double record(LossReport r) {
      last = r;
      return r.total();
    }

    @Override
    public void stepped(long step, long steps, double loss, float lr, double gradNorm, double tokensPerSecond) {
      String detail = String.format(Locale.ROOT, "step %d loss %.4f%s lr %.2e |g| %.2f %.0f tok/s", step, loss,
          last == null || last.kd() == 0 ? "" : String.format(Locale.ROOT, " (ce %.3f kd %.3f%s)", last.ce(),
              last.kd(), last.squarehead() == 0 ? "" : String.format(Locale.ROOT, " sqh %.3f", last.squarehead())),
          lr, gradNorm, tokensPerSecond);
      bar.update(byTime ? (long) ((System.nanoTime() - start) / 1e9) : step, detail);
    }

    @Override
    public void evaluated(long step, double perplexity) {
      bar.log(String.format(Locale.ROOT, "step %d: held-out ppl %.4f (%.0f s)", step, perplexity,
          (System.nanoTime() - start) / 1e9));
    }

    void finish(Trainer.Result r) {
      bar.finish(String.format(Locale.ROOT, "%d steps%s", r.steps(), r.timedOut() ? ", time limit" : ""));
    }
  }
}
