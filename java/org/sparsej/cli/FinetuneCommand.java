package org.sparsej.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.train.Checkpoint;
import org.sparsej.train.FinetuneSettings;
import org.sparsej.train.LossKind;
import org.sparsej.train.Trainer;
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
  @Mixin TrainingOptions training;

  @Option(names = "--teacher", paramLabel = "TEACHER",
      description = "The dense model to distil (same architecture and vocabulary); required for kd losses.")
  Path teacher;

  @Option(names = "--data", required = true, paramLabel = "TEXT", description = "UTF-8 training text.")
  Path data;

  @Option(names = "--time-limit", paramLabel = "MINUTES",
      description = "Stop cleanly after this long (training and evaluation, resumed runs included) and save.")
  Double timeLimit;

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
    TrainingOptions o = training;
    long s = value("steps", o.steps, timeLimit != null ? Long.MAX_VALUE : 1000L, resumed, false);
    int b = (int) value("batch", o.batch == null ? null : (long) o.batch, FinetuneSettings.DEFAULT_BATCH, resumed,
        true);
    long sd = value("seed", o.seed, 0L, resumed, true);
    int held = (int) value("heldout", o.heldOut == null ? null : (long) o.heldOut, FinetuneSettings.DEFAULT_HELD_OUT,
        resumed, true);
    String lossText = o.loss != null ? o.loss : resumed.getOrDefault("loss", teacher != null ? "kd" : "ce");
    if (resume != null && !lossText.equals(resumed.get("loss"))) {
      throw usage("--resume " + resume + " was trained with --loss " + resumed.get("loss") + ", not " + lossText);
    }
    LossKind kind;
    try {
      kind = LossKind.parse(lossText);
    } catch (SparsejException e) {
      throw usage(e.getMessage());
    }
    if (kind.needsTeacher() && teacher == null) {
      throw usage("--loss " + lossText + " distils a teacher: give --teacher MODEL");
    }
    String stored = resumed.get("seqlen");
    Integer l = o.seqLen != null ? o.seqLen : stored != null && !stored.isEmpty() ? Integer.valueOf(stored) : null;
    if (o.seqLen != null && stored != null && !stored.isEmpty() && !o.seqLen.equals(Integer.valueOf(stored))) {
      throw usage("--resume " + resume + " was trained with --seqlen " + stored + ", not " + o.seqLen);
    }
    FinetuneSettings settings = new FinetuneSettings(data, teacher, kind, s, b, l,
        o.lr == null ? FinetuneSettings.DEFAULT_LR : o.lr, o.warmup == null ? FinetuneSettings.DEFAULT_WARMUP
        : o.warmup, o.weightDecay == null ? 0f : o.weightDecay, sd, held,
        o.evalEvery == null ? FinetuneSettings.DEFAULT_EVAL_EVERY : o.evalEvery, checkpointEvery,
        timeLimit == null ? Double.POSITIVE_INFINITY : timeLimit * 60);
    String problem = settings.problem();
    if (problem != null) {
      throw usage("--" + problem);
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
    int window = FinetuneRun.seqLen(settings, studentModel);
    if (window < 1 || window > studentModel.config().seqLen()) {
      throw usage("--seqlen must be in 1.." + studentModel.config().seqLen() + " (the model's context), got "
          + window);
    }
    Tokenizer tok = modelOptions.loadTokenizer(studentModel);
    FinetuneRun.Outcome run = FinetuneRun.run(student.toString(), studentModel, tok, settings, t, ck, resume);
    Trainer.Result result = run.result();
    Map<String, String> extras = new LinkedHashMap<>();
    ObjectNode json = describe(run.described(), result, t);
    ((ObjectNode) json.get("options")).put("time_limit_minutes", timeLimit == null ? 0 : timeLimit);
    extras.put("finetune.json", CompressionRun.text(json));
    extras.put("finetune.csv", run.csv());
    if (ModelLoader.detect(student) == ModelLoader.Format.LLAMA2C) {
      CompressionRun.writeLlama2c(modelOptions, run.model(), output, extras);
    } else {
      CompressionRun.writeHf(modelOptions, HfModelWriter.Source.of(run.model()), output, extras,
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

  /** finetune.json: the options, how the run ended, the held-out perplexity and peak RSS. */
  static ObjectNode describe(Map<String, String> described, Trainer.Result r, int threads) {
    ObjectNode root = CompressionRun.JSON.createObjectNode();
    ObjectNode o = root.putObject("options");
    described.forEach(o::put);
    o.put("threads", threads);
    root.put("steps", r.steps());
    root.put("timed_out", r.timedOut());
    root.put("seconds", r.seconds());
    putMeasured(root, "last_loss", r.lastLoss());
    putMeasured(root, "heldout_ppl", r.lastPerplexity());
    root.put("peak_rss_bytes", peakRssBytes());
    return root;
  }

  /** A figure the run may not have measured (no step trained, no evaluation): null then, not the string "NaN". */
  private static void putMeasured(ObjectNode root, String name, double value) {
    if (Double.isNaN(value)) {
      root.putNull(name);
    } else {
      root.put(name, value);
    }
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

  private ParameterException usage(String message) {
    return new ParameterException(new CommandLine(this), message);
  }
}
