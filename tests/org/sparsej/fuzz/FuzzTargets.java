package org.sparsej.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.format.gguf.GgufFile;
import org.sparsej.format.gguf.GgufModelReader;
import org.sparsej.format.gguf.GgufModelWriter;
import org.sparsej.format.gguf.GgufVocabulary;
import org.sparsej.format.hf.HfCheckpoint;
import org.sparsej.format.hf.HfModelReader;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.Llama2cCheckpoint;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.SyntheticCheckpoint;
import org.sparsej.tokenizer.SentencePieceModelFile;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.tokenizer.TokenizerJson;
import org.sparsej.tokenizer.TokenizerLoader;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.util.SparsejException;

/**
 * The parsers under fuzzing, each as "bytes in, accepted or one clean error out": a Hugging Face directory
 * (model.safetensors, config.json, the shard index), a GGUF file (model and embedded tokenizer), a llama2.c model
 * and tokenizer.bin, tokenizer.json and tokenizer.model. A run that
 * loads also runs one forward pass on the native backend, so a model that passes validation with bad sizes would
 * crash the JVM here rather than in a user's hands.
 */
public final class FuzzTargets {
  /** A parser under test: which file of the seed the mutated bytes replace, and how to consume it. */
  public enum Target {
    SAFETENSORS("model.safetensors"), GGUF("model.gguf"), TOKENIZER_JSON("tokenizer.json"),
    CONFIG_JSON("config.json"), LLAMA2C("model.bin"), TOKENIZER_BIN("tokenizer.bin"),
    SHARD_INDEX(HfCheckpoint.INDEX), TOKENIZER_MODEL("tokenizer.model");

    final String fileName;

    Target(String fileName) {
      this.fileName = fileName;
    }
  }

  /** What one input did: {@code problem} is null when it was accepted (message null) or refused cleanly. */
  public record Outcome(String problem, String message) {}

  public static Outcome run(Target target, Path dir, Backend backend) {
    try {
      consume(target, dir, backend);
      return new Outcome(null, null);
    } catch (SparsejException e) {
      return new Outcome(uncleanMessage(e, dir), e.getMessage());
    } catch (Throwable e) {
      return new Outcome(e.toString(), null);
    }
  }

  /**
   * Runs one input: returns when it was accepted or refused with one line naming the file; anything else is thrown
   * as it came (a finding, with its stack trace for the fuzzer's deduplication).
   */
  public static void requireClean(Target target, Path dir, Backend backend) {
    try {
      consume(target, dir, backend);
    } catch (SparsejException e) {
      String problem = uncleanMessage(e, dir);
      if (problem != null) {
        throw new AssertionError(problem, e);
      }
    }
  }

  /** Null when the error is what a user should see: one line that names the input's directory or file. */
  private static String uncleanMessage(SparsejException e, Path dir) {
    String msg = e.getMessage();
    if (msg == null || msg.contains("\n")) {
      return "error message is not one line: " + msg;
    }
    if (!msg.contains(dir.getFileName().toString())) {
      return "error message does not name the file: " + msg;
    }
    return null;
  }

  private static void consume(Target target, Path dir, Backend backend) {
    Path file = dir.resolve(target.fileName);
    {
      switch (target) {
        case SAFETENSORS: {
          forward(HfModelReader.load(dir), backend);
          break;
        }
        case GGUF: {
          // One parse for the model and its tokenizer: the same checks at half the cost.
          try (GgufFile g = GgufFile.open(file)) {
            forward(GgufModelReader.load(g), backend);
            Tokenizer t = GgufVocabulary.tokenizer(g);
            t.decode(t.encode("Hello, world! 123 \u00e9\ud83e\udd17", true, true));
          }
          break;
        }
        case CONFIG_JSON:
        case SHARD_INDEX: {
          forward(HfModelReader.load(dir), backend);
          break;
        }
        case TOKENIZER_MODEL: {
          Tokenizer t = SentencePieceModelFile.load(file);
          t.decode(t.encode("Hello, world! 123 \u00e9\ud83e\udd17", true, true));
          break;
        }
        case LLAMA2C: {
          forward(Llama2cCheckpoint.load(file), backend);
          break;
        }
        case TOKENIZER_BIN: {
          Tokenizer t = TokenizerLoader.load(file, TINY_VOCAB);
          t.decode(t.encode("Hello, world! 123 \u00e9\ud83e\udd17", true, true));
          break;
        }
        default: {
          Tokenizer t = TokenizerJson.load(file);
          t.decode(t.encode("Hello, world! 123 \u00e9\ud83e\udd17 <s>", true, true));
        }
      }
    }
  }

  /**
   * One forward pass over one token: it reads every weight at its declared shape (what a bad size would crash),
   * at a third of the cost of two tokens, which is most of a valid input's time.
   */
  private static void forward(LlamaModel m, Backend backend) {
    m.newSession(backend, 1).forward(new int[] {1 % m.config().vocabSize()}, 1, true);
  }

  /** The seed file of a target among those {@link #writeSeeds} wrote. */
  public static Path seedFile(Target target, Path seeds) {
    switch (target) {
      case SAFETENSORS: return seeds.resolve("hf/model.safetensors");
      case CONFIG_JSON: return seeds.resolve("hf/config.json");
      case GGUF: return seeds.resolve("tiny.gguf");
      case LLAMA2C: return seeds.resolve("tiny.bin");
      case TOKENIZER_BIN: return seeds.resolve("tokenizer.bin");
      case SHARD_INDEX: return seeds.resolve("hf-sharded/" + HfCheckpoint.INDEX);
      case TOKENIZER_MODEL: return seeds.resolve("tokenizer.model");
      default: return seeds.resolve("tokenizer-spm.json");
    }
  }

  /** Copies into work the unmutated files a target's input needs beside it (the other half of an HF directory). */
  public static void companions(Target target, Path seeds, Path work) throws IOException {
    if (target == Target.SAFETENSORS) {
      Files.copy(seeds.resolve("hf/config.json"), work.resolve("config.json"));
    } else if (target == Target.CONFIG_JSON) {
      Files.copy(seeds.resolve("hf/model.safetensors"), work.resolve("model.safetensors"));
    } else if (target == Target.SHARD_INDEX) {
      try (java.util.stream.Stream<Path> files = Files.list(seeds.resolve("hf-sharded"))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          if (!f.getFileName().toString().equals(HfCheckpoint.INDEX)) {
            Files.copy(f, work.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
  }

  static final int TINY_VOCAB = 300;

  /**
   * Writes the seed inputs of every target into dir: a tiny random model as llama2.c, HF (whole and in shards) and
   * GGUF, a llama2.c tokenizer.bin, a tokenizer.json and a SentencePiece tokenizer.model.
   */
  public static void writeSeeds(Path dir) throws IOException {
    Path bin = dir.resolve("tiny.bin");
    SyntheticCheckpoint.write(bin, SyntheticCheckpoint.parseShape(
        "dim=32,hidden=64,layers=1,heads=4,kv_heads=2,vocab=300,seq=16"), 7, n -> { });
    LlamaModel tiny = Llama2cCheckpoint.load(bin);
    HfModelWriter.write(tiny, dir.resolve("hf"), HfModelWriter.Options.defaults());
    HfModelWriter.write(tiny, dir.resolve("hf-sharded"), HfModelWriter.Options.defaults().withShardBytes(20_000));
    Files.write(dir.resolve("tokenizer.model"), SentencePieceInputs.model(tinyVocabulary(), Fuzz.none()));
    GgufModelWriter.write(tiny, tinyVocabulary(), dir.resolve("tiny.gguf"), true, false);
    Files.writeString(dir.resolve("tokenizer-spm.json"), TINY_SPM_JSON);
    writeTokenizerBin(tinyVocabulary(), dir.resolve("tokenizer.bin"));
  }

  /** llama2.c's tokenizer.bin: max token length (int32), then per token its score (f32), length (int32), bytes. */
  private static void writeTokenizerBin(Vocabulary v, Path file) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    List<byte[]> pieces = new ArrayList<>();
    int max = 0;
    for (String t : v.tokens()) {
      byte[] p = t.replace('\u2581', ' ').getBytes(java.nio.charset.StandardCharsets.UTF_8);
      pieces.add(p);
      max = Math.max(max, p.length);
    }
    out.write(b.putInt(0, max).array(), 0, 4);
    for (int i = 0; i < pieces.size(); i++) {
      out.write(b.putFloat(0, v.scores()[i]).putInt(4, pieces.get(i).length).array(), 0, 8);
      out.write(pieces.get(i));
    }
    Files.write(file, out.toByteArray());
  }

  /** 3 control tokens, 256 byte tokens, then pieces. */
  static Vocabulary tinyVocabulary() {
    List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
    int[] types = new int[300];
    types[0] = Vocabulary.UNKNOWN;
    types[1] = Vocabulary.CONTROL;
    types[2] = Vocabulary.CONTROL;
    for (int b = 0; b < 256; b++) {
      tokens.add(String.format("<0x%02X>", b));
      types[3 + b] = Vocabulary.BYTE;
    }
    String letters = "abcdefghijklmnopqrstuvwxyzHW,!";
    for (int i = 0; tokens.size() < 300; i++) {
      tokens.add(i < letters.length() ? String.valueOf(letters.charAt(i)) : "\u2581" + letters.charAt(i % 26));
      types[tokens.size() - 1] = Vocabulary.NORMAL;
    }
    float[] scores = new float[300];
    for (int i = 0; i < 300; i++) {
      scores[i] = -i;
    }
    return new Vocabulary("llama", tokens, scores, types, null, 1, 2, 0, true, null, null);
  }

  static final String TINY_SPM_JSON = "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\","
      + "\"special\":true},{\"id\":1,\"content\":\"<s>\",\"special\":true},{\"id\":2,\"content\":\"</s>\","
      + "\"special\":true}],\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Prepend\","
      + "\"prepend\":\"\u2581\"},{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\u2581\"}]},"
      + "\"pre_tokenizer\":null,\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"vocab\":{\"<unk>\":0,"
      + "\"<s>\":1,\"</s>\":2,\"<0x48>\":3,\"\u2581\":4,\"H\":5,\"e\":6,\"l\":7,\"o\":8,\"He\":9,\"ll\":10,"
      + "\"\u2581He\":11,\"llo\":12,\"\u2581Hello\":13},\"merges\":[\"H e\",\"l l\",\"\u2581 He\",\"ll o\","
      + "\"\u2581He llo\"]}}";

  /** A CPU backend when the native library loads, else the Java one. */
  public static Backend backend() {
    return CpuBackend.unavailableReason() == null ? new CpuBackend(1) : new org.sparsej.backend.JavaBackend(1);
  }
}
