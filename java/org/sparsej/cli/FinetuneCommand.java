package org.sparsej.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsej.backend.Backend;
import org.sparsej.eval.Perplexity;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.train.AdamW;
import org.sparsej.train.Checkpoint;
import org.sparsej.train.GradientStep;
import org.sparsej.train.LossKind;
import org.sparsej.train.LossSpec;
import org.sparsej.train.TrainableModel;
import org.sparsej.train.Trainer;
import org.sparsej.train.TrainingData;
import org.sparsej.util.SparsejException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Sparse fine-tuning: train a pruned student on text, optionally distilling a dense teacher, its mask fixed. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
    description = {"Fine-tune a (pruned) model -m STUDENT on text with its sparsity mask fixed:",
        "each zero of a sparse linear stays zero; AdamW keeps state for kept ones only.",
        "  ce             next-token cross-entropy on the text (no teacher needed)",
        "  kd             KL(teacher || student) at temperature 2, plus 0.25 x ce",
        "  kd+squarehead  kd plus SquareHead (Kurtic et al. 2023): per block, the MSE",
        "                 of the student's hidden state to the teacher's, normalised",
        "                 by the teacher's",
        "Each step trains on --batch windows of [BOS] + --seqlen ids drawn at random",
        "(seeded) from --data; its last --heldout ids are held out and scored for",
        "perplexity every --eval-every steps. Learning rate: linear warm-up, then cosine",
        "decay to a tenth of --lr by the end of --steps or --time-limit, whichever is",
        "first; gradients clipped to global norm 1.",
        "OUT appears whole at the end in the student's formats (sparse-bitmask and 2:4",
        "stay so) and file type (a Hugging Face directory; for a llama2.c .bin student",
        "a directory with model.bin and tokenizer.bin), with finetune.json and",
        "finetune.csv (one row per step). The checkpoint (OUT.checkpoint unless",
        "--checkpoint DIR) is replaced atomically every --checkpoint-every steps and at",
        "the end; --resume DIR continues an interrupted run, losing at most that many",
        "steps. A loss that becomes NaN stops the run: nothing is written, the last",
        "checkpoint is kept. See docs/finetune.md."})
final class FinetuneCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;  // -m STUDENT (the model to train), -z TOKENIZER

  @Option(names = "--teacher", paramLabel = "TEACHER",
      description = "The dense model to distil (same architecture and vocabulary); required for kd losses.")
  Path teacher;

  @Option(names = "--data", required = true, paramLabel = "TEXT", description = "UTF-8 training text.")
  Path data;

  @Option(names = "--steps", paramLabel = "N",
      description = "Updates (default: 1000, or unbounded with --time-limit).")
  Long steps;

  @Option(names = "--batch", paramLabel = "B", description = "Windows per step (default: 4).")
  Integer batch;

  @Option(names = "--seqlen", paramLabel = "L",
      description = "Positions trained per window, BOS first (default: 128, at most the model's context).")
  Integer seqLen;

  @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
  float lr = 1e-3f;

  @Option(names = "--warmup", paramLabel = "N",
      description = "Warm-up steps (default: ${DEFAULT-VALUE}, at most a tenth of --steps).")
  int warmup = 20;

  @Option(names = "--weight-decay", paramLabel = "WD",
      description = "AdamW's decoupled weight decay, not applied to norm gains (default: ${DEFAULT-VALUE}).")
  float weightDecay = 0.0f;

  @Option(names = "--loss", paramLabel = "LOSS",
      description = "ce, kd or kd+squarehead (default: kd with --teacher, else ce).")
  String loss;

  @Option(names = "--time-limit", paramLabel = "MINUTES",
      description = "Stop cleanly after this long (training and evaluation, resumed runs included) and save.")
  Double timeLimit;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the window draw (default: 0).")
  Long seed;

  @Option(names = "--heldout", paramLabel = "N",
      description = "Ids held out at the end of --data for perplexity (default: 4096; at most a tenth).")
  Integer heldOut;

  @Option(names = "--eval-every", paramLabel = "K",
      description = "Held-out perplexity every K steps (default: ${DEFAULT-VALUE}; 0: at the start and end only).")
  int evalEvery = 50;

  @Option(names = "--checkpoint-every", paramLabel = "K",
      description = "Checkpoint every K steps (default: ${DEFAULT-VALUE}; 0: at the end only).")
  int checkpointEvery = 50;

  @Option(names = "--checkpoint", paramLabel = "DIR", description = "Checkpoint directory (default: OUT.checkpoint).")
  Path checkpoint;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the run that wrote this checkpoint (same data, batch, seqlen, seed and loss).")
  Path resume;

  @Option(names = {"-t", "--threads"}, paramLabel = "T", description = "Threads (default: all cores).")
  Integer threads;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output (new).")
  Path output;

  @Override
  public Integer call() {
    Map<String, String> resumed = resume == null ? Map.of() : Checkpoint.options(resume);
    long s = value("steps", steps, timeLimit != null ? Long.MAX_VALUE : 1000L, resumed, false);
    int b = (int) value("batch", batch == null ? null : (long) batch, 4L, resumed, true);
    long sd = value("seed", seed, 0L, resumed, true);
    int held = (int) value("heldout", heldOut == null ? null : (long) heldOut, 4096L, resumed, true);
    String lossText = loss != null ? loss : resumed.getOrDefault("loss", teacher != null ? "kd" : "ce");
    if (resume != null && !lossText.equals(resumed.get("loss"))) {
      throw usage("--resume " + resume + " was trained with --loss " + resumed.get("loss") + ", not " + lossText);
    }
    checkRange(s >= 1, "--steps must be positive, got " + s);
    checkRange(b >= 1, "--batch must be positive, got " + b);
    checkRange(lr > 0 && Float.isFinite(lr), "--lr must be a positive number, got " + lr);
    checkRange(warmup >= 0 && evalEvery >= 0 && checkpointEvery >= 0 && held >= 0,
        "--warmup, --eval-every, --checkpoint-every and --heldout must be non-negative");
    checkRange(weightDecay >= 0 && weightDecay < 1, "--weight-decay must be in [0, 1), got " + weightDecay);
    checkRange(timeLimit == null || (timeLimit > 0 && Double.isFinite(timeLimit)),
        "--time-limit must be a positive number of minutes, got " + timeLimit);
    LossKind kind;
    try {
      kind = LossKind.parse(lossText);
    } catch (SparsejException e) {
      throw usage(e.getMessage());
    }
    if (kind.needsTeacher() && teacher == null) {
      throw usage("--loss " + lossText + " distils a teacher: give --teacher MODEL");
    }
    int t = threads == null ? org.sparsej.backend.Backends.defaultThreads() : threads;
    String threadProblem = org.sparsej.backend.Backends.threadsProblem(t);
    if (threadProblem != null) {
      throw usage("--threads " + threadProblem);
    }
    Path ck = checkpoint != null ? checkpoint : resume != null ? resume
        : output.resolveSibling(output.getFileName() + ".checkpoint");
    AtomicOutput.checkWritable(output, false);  // before minutes of training
    if (resume == null && Files.exists(ck)) {
      throw new SparsejException(ck + ": a checkpoint is there already: continue it with --resume " + ck
          + ", or remove it");
    }
    AtomicOutput.checkWritable(ck, true);

    Path student = modelOptions.model;
    LlamaModel studentModel = modelOptions.loadModel();
    int l = (int) value("seqlen", seqLen == null ? null : (long) seqLen,
        (long) Math.min(128, studentModel.config().seqLen()), resumed, true);
    checkRange(l >= 1 && l <= studentModel.config().seqLen(), "--seqlen must be in 1.." + studentModel.config().seqLen()
        + " (the model's context), got " + l);
    LlamaModel teacherModel = null;
    if (teacher != null && kind.needsTeacher()) {
      teacherModel = ModelLoader.load(teacher);
    } else if (teacher != null) {
      System.err.println("note: --loss ce does not read the teacher; " + teacher + " is not loaded");
    }
    TrainableModel trainable = TrainableModel.of(studentModel);
    if (!trainable.hasSparseLinears()) {
      System.err.println("warning: " + student + " has no sparse layers: it trains dense");
    }
    Tokenizer tok = modelOptions.loadTokenizer(studentModel);
    long t0 = System.nanoTime();
    int[] ids = tok.encode(TextFiles.read(data, "training"), false, false);
    TrainingData trainingData;
    try {
      trainingData = new TrainingData(ids, tok.bos(), l, b, held, sd);
    } catch (SparsejException e) {
      throw new SparsejException(data + ": " + e.getMessage());
    }
    System.err.printf(Locale.ROOT, "data: %d tokens from %s (%d trained on, %d held out; tokenized in %.1f s)%n",
        ids.length, data, trainingData.trainTokens(), trainingData.heldOut().length, (System.nanoTime() - t0) / 1e9);

    Map<String, String> described = new LinkedHashMap<>();
    described.put("student", modelOptions.model.toString());
    described.put("teacher", teacher == null ? "" : teacher.toString());
    described.put("data", data.toString());
    described.put("loss", lossText);
    described.put("batch", Integer.toString(b));
    described.put("seqlen", Integer.toString(l));
    described.put("seed", Long.toString(sd));
    described.put("heldout", Integer.toString(held));
    described.put("steps", s == Long.MAX_VALUE ? "" : Long.toString(s));
    described.put("lr", Float.toString(lr));
    Trainer.Options options = new Trainer.Options(s, lr, (int) Math.min(warmup, Math.max(0, s / 10)), 0.1f, 1.0,
        timeLimit == null ? Double.POSITIVE_INFINITY : timeLimit * 60, evalEvery, checkpointEvery,
        new AdamW.Settings(0.9f, 0.999f, 1e-8f, weightDecay));
    LossSpec spec = LossSpec.defaults(kind);
    int[] heldOutIds = trainingData.heldOut();
    Trainer.Result result;
    Trainer trainer;
    try (GradientStep step = new GradientStep(trainable, teacherModel, spec, t, b, l);
         Backend backend = org.sparsej.backend.Backends.open(null, t, line -> System.err.println(line))) {
      Trainer.Evaluator evaluator = () -> heldOutIds.length == 0 ? Double.NaN
          : new Perplexity(trainable.toModel(), backend, Math.min(l + 1, studentModel.config().seqLen()), 0)
              .evaluate(heldOutIds, tok.bos(), null).ppl();
      BarListener bar = new BarListener(s, timeLimit);
      trainer = new Trainer(trainable.parameters(), trainingData, tokens -> bar.record(step.run(tokens)), evaluator,
          options, ck, described, bar);
      if (resume != null) {
        Checkpoint.State state = trainer.resume(resume);
        System.err.printf(Locale.ROOT, "resumed %s at step %d (%.1f s trained)%n", resume, state.step(),
            state.elapsedSeconds());
      }
      System.err.printf(Locale.ROOT, "training: %s, %s steps of %d x %d tokens, lr %.3g, %d threads; optimizer "
          + "state %.1f MB for %d trained weights%n", lossText, s == Long.MAX_VALUE ? "unbounded" : s, b, l, lr, t,
          trainer.optimizerStateFloats() * 4 / 1e6, trainer.optimizerStateFloats() / 2);
      result = trainer.run();
      bar.finish(result);
    }
    LlamaModel trained = trainable.toModel();
    Map<String, String> extras = new LinkedHashMap<>();
    extras.put("finetune.json", CompressionRun.text(describe(described, result)));
    extras.put("finetune.csv", trainer.csv());
    if (ModelLoader.detect(student) == ModelLoader.Format.LLAMA2C) {
      CompressionRun.writeLlama2c(modelOptions, trained, output, extras);
    } else {
      CompressionRun.writeHf(modelOptions, HfModelWriter.Source.of(trained), output, extras,
          HfModelWriter.Options.defaults());
    }
    System.out.printf(Locale.ROOT, "finetune: %d steps in %.1f s%s; held-out ppl %.4f; peak RSS %.0f MB%n",
        result.steps(), result.seconds(), result.timedOut() ? " (time limit)" : "", result.lastPerplexity(),
        peakRssBytes() / 1e6);
    System.err.println("wrote " + output + " (checkpoint " + ck + ")");
    return 0;
  }

  /** A numeric option: as given, else the resumed checkpoint's, else the default; given ≠ checkpoint's is refused. */
  private long value(String name, Long given, long fallback, Map<String, String> resumed, boolean mustMatch) {
    String stored = resumed.get(name);
    if (stored != null && !stored.isEmpty()) {
      long s = Long.parseLong(stored);
      if (given != null && given != s && mustMatch) {
        throw usage("--resume " + resume + " was trained with --" + name + " " + s + ", not " + given);
      }
      return given != null ? given : s;
    }
    return given != null ? given : fallback;
  }

  private ObjectNode describe(Map<String, String> described, Trainer.Result r) {
    ObjectNode root = CompressionRun.JSON.createObjectNode();
    ObjectNode o = root.putObject("options");
    described.forEach(o::put);
    o.put("threads", threads == null ? org.sparsej.backend.Backends.defaultThreads() : threads);
    o.put("time_limit_minutes", timeLimit == null ? 0 : timeLimit);
    root.put("steps", r.steps());
    root.put("timed_out", r.timedOut());
    root.put("seconds", r.seconds());
    root.put("last_loss", r.lastLoss());
    root.put("heldout_ppl", r.lastPerplexity());
    root.put("peak_rss_bytes", peakRssBytes());
    return root;
  }

  /** VmHWM of /proc/self/status (0 where there is none). */
  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no figure
    }
    return 0;
  }

  private void checkRange(boolean ok, String message) {
    if (!ok) {
      throw usage(message);
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(new CommandLine(this), message);
  }

  /** Progress bar over steps (or over time with --time-limit alone) with loss, lr and tokens/s; eval lines. */
  private static final class BarListener implements Trainer.Listener {
    private final ProgressBar bar;
    private final boolean byTime;
    private final long start = System.nanoTime();
    private org.sparsej.train.LossReport last;

    BarListener(long steps, Double timeLimit) {
      this.byTime = steps == Long.MAX_VALUE;
      this.bar = new ProgressBar("finetune", byTime ? (long) (timeLimit * 60) : steps);
    }

    double record(org.sparsej.train.LossReport r) {
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
