package org.sparsej.fuzz;

import static org.junit.jupiter.api.Assertions.assertNull;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsej.backend.Backend;
import org.sparsej.fuzz.FuzzTargets.Target;

/**
 * Coverage-guided fuzz targets (Jazzer) for every parser of an untrusted file. Each builds its input from the
 * fuzzer's bytes with a structure-aware writer over a valid seed ({@link Fuzz}, {@link BinaryInputs},
 * {@link SentencePieceInputs}), writes it where the parser expects it, loads it (and runs a forward pass or an
 * encode/decode), and requires acceptance or one clean error line naming the file; anything else is a finding.
 *
 * <p>In the default test run each target replays its regression inputs (tests/fuzz-inputs/org/sparsej/fuzz/
 * ParserFuzzTestsInputs/METHOD/) and the seed. {@code ci/fuzz.sh METHOD SECONDS} fuzzes one target
 * (docs/reliability.md).
 */
class ParserFuzzTests {
  private static final List<String> CONFIG_KEYS = List.of("architectures", "LlamaForCausalLM", "Qwen2ForCausalLM",
      "MistralForCausalLM", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
      "num_key_value_heads", "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "head_dim",
      "rope_scaling", "rope_type", "llama3", "linear", "yarn", "factor", "original_max_position_embeddings",
      "low_freq_factor", "high_freq_factor", "tie_word_embeddings", "sliding_window", "torch_dtype", "bfloat16",
      "quantization_config", "compression_config", "sparsity_config", "format", "sparse-bitmask", "attention_bias",
      "rope_parameters", "bos_token_id", "eos_token_id");
  private static final List<String> SAFETENSORS_KEYS = List.of("dtype", "shape", "data_offsets", "F32", "F16",
      "BF16", "I8", "U8", "I32", "I64", "F64", "BOOL", "__metadata__", "format", "pt", "model.embed_tokens.weight",
      "lm_head.weight", "model.norm.weight", "model.layers.0.self_attn.q_proj.weight",
      "model.layers.0.mlp.down_proj.weight", "model.layers.0.input_layernorm.weight");
  private static final List<String> TOKENIZER_KEYS = List.of("version", "added_tokens", "normalizer",
      "pre_tokenizer", "post_processor", "decoder", "model", "type", "BPE", "Unigram", "WordPiece", "ByteLevel",
      "Metaspace", "Sequence", "Split", "Prepend", "Replace", "Strip", "NFC", "pattern", "String", "Regex",
      "content", "prepend", "vocab", "merges", "byte_fallback", "fuse_unk", "ignore_merges", "unk_token", "id",
      "special", "<s>", "</s>", "<unk>", "\u2581", "H e", "add_prefix_space", "use_regex", "behavior", "Isolated",
      "\\p{L}+|\\p{N}", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
  private static final List<String> INDEX_KEYS = List.of("weight_map", "metadata", "total_size",
      "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model.safetensors", "..", "/etc/passwd",
      "model.embed_tokens.weight", "lm_head.weight", "model.norm.weight");

  /** Seeds, one working directory per target, and a backend, made once per JVM. */
  private static final class Setup {
    static final Setup INSTANCE = create();

    final Path seeds;
    final Map<Target, Path> work = new EnumMap<>(Target.class);
    final Map<Target, byte[]> seed = new EnumMap<>(Target.class);
    final Map<Target, JsonNode> json = new EnumMap<>(Target.class);
    final Map<Target, Integer> fields = new EnumMap<>(Target.class);
    final Backend backend = FuzzTargets.backend();

    private Setup(Path root) throws IOException {
      seeds = Files.createDirectories(root.resolve("seeds"));
      FuzzTargets.writeSeeds(seeds);
      for (Target t : Target.values()) {
        Path w = Files.createDirectories(root.resolve(t.name().toLowerCase()));
        FuzzTargets.companions(t, seeds, w);
        work.put(t, w);
        seed.put(t, Files.readAllBytes(FuzzTargets.seedFile(t, seeds)));
        if (t.fileName.endsWith(".json")) {
          json.put(t, new ObjectMapper().readTree(seed.get(t)));
        }
      }
      for (Target t : Target.values()) {
        Fuzz none = Fuzz.none();
        input(t, none);
        fields.put(t, none.fields());
      }
    }

    private static Setup create() {
      try {
        // Inputs are written once per run: in memory (tmpfs) where there is one.
        Path shm = Path.of("/dev/shm");
        Path root = Files.isDirectory(shm) && Files.isWritable(shm)
            ? Files.createTempDirectory(shm, "sparsej-fuzz-") : Files.createTempDirectory("sparsej-fuzz-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
        return new Setup(root);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The input file of target t as fuzzer f writes it. */
    byte[] input(Target t, Fuzz f) {
      byte[] s = seed.get(t);
      switch (t) {
        case GGUF: return BinaryInputs.gguf(s, f);
        case SAFETENSORS: return BinaryInputs.safetensors(s, f, SAFETENSORS_KEYS);
        case LLAMA2C: return BinaryInputs.llama2c(s, f);
        case TOKENIZER_BIN: return BinaryInputs.tokenizerBin(s, f);
        case TOKENIZER_MODEL: return SentencePieceInputs.model(FuzzTargets.tinyVocabulary(), f);
        case CONFIG_JSON: return f.maybeTruncate(f.json(json.get(t), CONFIG_KEYS));
        case SHARD_INDEX: return f.maybeTruncate(f.json(json.get(t), INDEX_KEYS));
        default: return f.maybeTruncate(f.json(json.get(t), TOKENIZER_KEYS));
      }
    }

    void run(Target t, FuzzedDataProvider data) throws IOException {
      byte[] bytes = input(t, new Fuzz(data, fields.get(t)));
      Files.write(work.get(t).resolve(t.fileName), bytes);
      FuzzTargets.requireClean(t, work.get(t), backend);
    }
  }

  private static void deleteTree(Path root) {
    try (java.util.stream.Stream<Path> s = Files.walk(root)) {
      List<Path> all = new ArrayList<>(s.toList());
      java.util.Collections.reverse(all);
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: a temporary directory
    }
  }

  /** The writers reproduce every seed exactly enough that the parser accepts it: the fuzzers start from valid. */
  @ParameterizedTest
  @EnumSource(Target.class)
  void unmutatedInputIsAccepted(Target t) throws IOException {
    Setup s = Setup.INSTANCE;
    Files.write(s.work.get(t).resolve(t.fileName), s.input(t, Fuzz.none()));
    FuzzTargets.Outcome o = FuzzTargets.run(t, s.work.get(t), s.backend);
    assertNull(o.problem());
    assertNull(o.message(), "the unmutated " + t + " input is refused");
  }

  @FuzzTest
  void gguf(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.GGUF, data);
  }

  @FuzzTest
  void safetensors(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.SAFETENSORS, data);
  }

  @FuzzTest
  void configJson(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.CONFIG_JSON, data);
  }

  @FuzzTest
  void shardIndex(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.SHARD_INDEX, data);
  }

  @FuzzTest
  void tokenizerJson(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.TOKENIZER_JSON, data);
  }

  @FuzzTest
  void tokenizerBin(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.TOKENIZER_BIN, data);
  }

  @FuzzTest
  void llama2c(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.LLAMA2C, data);
  }

  @FuzzTest
  void tokenizerModel(FuzzedDataProvider data) throws IOException {
    Setup.INSTANCE.run(Target.TOKENIZER_MODEL, data);
  }
}
