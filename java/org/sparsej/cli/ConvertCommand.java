package org.sparsej.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.format.gguf.GgmlType;
import org.sparsej.format.gguf.GgufModelWriter;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.TokenizerJsonWriter;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.Int8Quantization;
import org.sparsej.weights.LinearWeight;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Rewrites a model in another format. */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = {"Convert a model between formats, keeping its weights (and tokenizer).",
        "",
        "  --to hf    a Hugging Face directory: config.json, model.safetensors (sharded past --shard-size),",
        "             tokenizer.json + tokenizer_config.json. Int8 weights (e.g. from a Q8_0 GGUF) are written in",
        "             the compressed-tensors layout (weight I8 + weight_scale, quantization_config in config.json);",
        "             Sparse weights are stored dense with their zeros in place and their sparsity in config.json",
        "             (what current transformers and vLLM read; SparseJ runs them sparse again at load);",
        "             --sparse-bitmask stores every decoder linear weight in compressed-tensors' compact sparse",
        "             layouts instead (sparse-24-bitmask when all are 2:4, else sparse-bitmask); --int8 w8a8|w8a16",
        "             quantizes them per output row first. Every weight format loads back in the same format.",
        "  --to gguf  one GGUF v3 file in llama.cpp's llama layout with the tokenizer embedded; F32 matrices,",
        "             or F16 / BF16 / Q8_0 / Q4_0 with --type; Q8_0 weights stay Q8_0.",
        "",
        "Inputs: a Hugging Face directory (or a .safetensors file in one), a .gguf file, a llama2.c .bin",
        "(its tokenizer.bin beside it). q/k rows are reordered between Hugging Face's rotate-half and GGUF's",
        "interleaved RoPE layouts as needed. The output appears only when complete (written under a temporary",
        "name, then renamed).",
        "",
        "Example: sparsej convert -m ../shared/models/sj-7m/model.bin -o sj-7m-hf --to hf"})
final class ConvertCommand implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, required = true, paramLabel = "IN", description = "Model to read.")
  Path input;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT",
      description = "Output directory (--to hf) or .gguf file (--to gguf).")
  Path output;

  @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "hf or gguf.")
  String to;

  @Option(names = {"-z", "--tokenizer"}, paramLabel = "FILE",
      description = "Tokenizer to carry over (default: the model's own, if it has one).")
  Path tokenizer;

  @Option(names = "--type", paramLabel = "TYPE",
      description = "Type of the dense weights written: f32 (default), f16 or bf16; for gguf also q8_0 or q4_0 "
          + "(matrices; llama.cpp's rounding). Q8_0 and int8 weights are kept as they are.")
  String type = "f32";

  @Option(names = "--sparse-bitmask",
      description = "hf only: store decoder linear weights in compressed-tensors' sparse-bitmask layouts (read by "
          + "SparseJ and compressed-tensors < 0.15) instead of dense with the zeros in place.")
  boolean sparseBitmask;

  @Option(names = "--int8", paramLabel = "SCHEME",
      description = "hf only: quantize the decoder linear weights to int8, one scale per output row, rounding to "
          + "nearest (no calibration; sparsej quantize adds SmoothQuant and selective quantization): w8a8 (int8 "
          + "activations per token) or w8a16 (weight-only). Pruned weights (30%% zeros or more) stay sparse.")
  String int8;

  @Option(names = "--int8-lm-head",
      description = "With --int8: quantize the classifier (lm_head) too; a classifier tied to the embedding is then "
          + "stored untied (the embedding table stays F32).")
  boolean int8LmHead;

  @Option(names = "--shard-size", paramLabel = "BYTES",
      description = "hf only: largest safetensors file before sharding (default: ${DEFAULT-VALUE}).")
  long shardSize = 5_000_000_000L;

  @Option(names = "--force", description = "Replace OUT if it exists.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    String format = to.toLowerCase(Locale.ROOT);
    if (!format.equals("hf") && !format.equals("gguf")) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--to must be hf or gguf, got '" + to + "'");
    }
    String t = type.toLowerCase(Locale.ROOT);
    if (!java.util.List.of("f32", "f16", "bf16", "q8_0", "q4_0").contains(t)) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--type must be f32, f16, bf16, q8_0 or q4_0, got '" + type + "'");
    }
    if (shardSize < 1) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--shard-size must be positive");
    }
    String scheme = int8 == null ? null : int8.toLowerCase(Locale.ROOT);
    if (scheme != null && !scheme.equals("w8a8") && !scheme.equals("w8a16")) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--int8 must be w8a8 or w8a16, got '" + int8 + "'");
    }
    if (scheme != null && format.equals("gguf")) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--int8 applies to --to hf only (GGUF's int8 is --type q8_0)");
    }
    if (int8LmHead && scheme == null) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), "--int8-lm-head needs --int8");
    }
    AtomicOutput.checkWritable(output, force);  // before loading and converting, not after
    long t0 = System.nanoTime();
    LlamaModel model = ModelLoader.load(input);
    if (scheme != null) {
      model = quantized(model, scheme.equals("w8a8"), int8LmHead);
    }
    int vocabSize = model.config().vocabSize();
    Vocabulary vocab = tokenizer != null ? ModelTokenizers.vocabularyFromFile(tokenizer, vocabSize)
        : ModelTokenizers.vocabularyOrNull(input, vocabSize);
    if (vocab == null) {
      System.err.println("note: " + input + " has no tokenizer beside it; writing the weights only");
    }
    if (format.equals("gguf")) {
      if (sparseBitmask) {
        throw new SparsejException("--sparse-bitmask applies to --to hf only");
      }
      GgufModelWriter.write(model, vocab, output, GgmlType.valueOf(t.toUpperCase(Locale.ROOT)), force);
    } else {
      if (t.startsWith("q")) {
        throw new SparsejException("--type " + t + " applies to --to gguf only (hf keeps Q8_0 weights as int8)");
      }
      Path tokDir = AtomicOutput.scratchDirectory(output);
      try {
        List<Path> files = new ArrayList<>();
        if (vocab != null) {
          TokenizerJsonWriter.write(vocab, tokDir);
          files.add(tokDir.resolve("tokenizer.json"));
          files.add(tokDir.resolve("tokenizer_config.json"));
        }
        if (ModelLoader.detect(input) == ModelLoader.Format.HF && tokenizer == null) {
          Path spModel = ModelLoader.hfDirectory(input).resolve("tokenizer.model");
          if (Files.isRegularFile(spModel)) {
            files.add(spModel);
          }
        }
        HfModelWriter.Summary s = HfModelWriter.write(model, output, HfModelWriter.Options.defaults()
            .withSparseBitmask(sparseBitmask).withDenseStored(!sparseBitmask).withShardBytes(shardSize).withTokenizerFiles(files).withReplace(force)
            .withFloatType(StDType.valueOf(t.toUpperCase(Locale.ROOT))));
        if (s.sparseWeights() > 0) {
          System.err.printf("%s: %d weights, %.1f%% zeros%n", s.sparseFormat(), s.sparseWeights(),
              100 * s.globalSparsity());
        }
        if (s.int8Weights() > 0) {
          System.err.printf("int8 (compressed-tensors int-quantized%s): %d weights%n",
              scheme == null ? "" : ", " + scheme.toUpperCase(Locale.ROOT), s.int8Weights());
        }
      } finally {
        try (var files = Files.list(tokDir)) {
          for (Path p : (Iterable<Path>) files::iterator) {
            Files.delete(p);
          }
        }
        Files.delete(tokDir);
      }
    }
    System.err.printf("wrote %s (%s) in %.1f s%n", output, format, (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  /** Every decoder linear weight per-row int8, its sparsity kept; the classifier too if asked (not the embedding). */
  private static LlamaModel quantized(LlamaModel m, boolean int8Activations, boolean classifier) {
    LlamaWeights w = m.weights();
    List<LayerWeights> layers = new ArrayList<>();
    for (LayerWeights l : w.layers()) {
      layers.add(new LayerWeights(l.attentionNorm(), q(l.wq(), int8Activations), q(l.wk(), int8Activations),
          q(l.wv(), int8Activations), q(l.wo(), int8Activations), l.ffnNorm(), q(l.w1(), int8Activations),
          q(l.w2(), int8Activations), q(l.w3(), int8Activations)).withBiasesOf(l));
    }
    LinearWeight head = classifier ? Int8Quantization.toInt8(w.classifier(), int8Activations) : w.classifier();
    return new LlamaModel(m.config(), new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), head));
  }

  private static LinearWeight q(LinearWeight w, boolean int8Activations) {
    return Int8Quantization.toInt8(w, int8Activations, true);
  }
}
