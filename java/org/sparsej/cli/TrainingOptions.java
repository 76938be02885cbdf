package org.sparsej.cli;

import picocli.CommandLine.Option;

/**
 * The training options of {@code sparsej finetune}, the same fields a recipe's train stage has (there in snake
 * case: weight_decay, eval_every). Null where not given: a resumed run takes the checkpoint's value instead.
 */
final class TrainingOptions {
  @Option(names = "--steps", paramLabel = "N",
      description = "Updates (default: 1000, or unbounded with --time-limit).")
  Long steps;

  @Option(names = "--batch", paramLabel = "B", description = "Windows per step (default: 4).")
  Integer batch;

  @Option(names = "--seqlen", paramLabel = "L",
      description = "Positions trained per window, BOS first (default: 128, at most the model's context).")
  Integer seqLen;

  @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default: 1e-3).")
  Float lr;

  @Option(names = "--warmup", paramLabel = "N",
      description = "Warm-up steps (default: 20, at most a tenth of --steps).")
  Integer warmup;

  @Option(names = "--weight-decay", paramLabel = "WD",
      description = "AdamW's decoupled weight decay, not applied to norm gains (default: 0).")
  Float weightDecay;

  @Option(names = "--loss", paramLabel = "LOSS",
      description = "ce, kd or kd+squarehead (default: kd with --teacher, else ce).")
  String loss;

  @Option(names = "--seed", paramLabel = "S", description = "Seed of the window draw (default: 0).")
  Long seed;

  @Option(names = "--heldout", paramLabel = "N",
      description = "Ids held out at the end of --data for perplexity (default: 4096; at most a tenth).")
  Integer heldOut;

  @Option(names = "--eval-every", paramLabel = "K",
      description = "Held-out perplexity every K steps (default: 50; 0: at the start and end only).")
  Integer evalEvery;
}
