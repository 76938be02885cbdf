package org.sparsej.format.hf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.sparsej.backend.RopeStyle;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.Halfs;
import org.sparsej.format.QkPermutation;
import org.sparsej.format.safetensors.SafetensorsWriter;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q8_0Weight;

/**
 * Writes a model as a Hugging Face directory (config.json, safetensors, tokenizer files) in the compressed-tensors
 * layout that vLLM, transformers and llm-compressor read: plain weights as F32; int8 weights as {@code weight} I8 +
 * {@code weight_scale}; with {@link Options#sparseBitmask}, every decoder linear weight as "sparse-bitmask"; and a
 * {@code quantization_config} block in config.json stating formats, sparsity and targets. q/k rows are stored in
 * Hugging Face's rotate-half order whatever the source's. The directory appears atomically (temp dir, then rename).
 * See docs/formats.md for the exact layout.
 */
public final class HfModelWriter {
  /** Finds the int8 form of a weight, or null if it is not int8-quantized (the point where int8 formats plug in). */
  public interface Int8Encoder {
    CompressedTensors.Int8 int8(LinearWeight w);
  }

  /** Q8_0 weights are int8 with group-32 f16 scales: written as such, losslessly. */
  public static final Int8Encoder DEFAULT_INT8 = w -> w instanceof Q8_0Weight q ? fromQ8_0(q) : null;

  /**
   * @param sparseBitmask compress every decoder linear weight as sparse-bitmask (lm_head is left dense)
   * @param int8Activations declare dynamic per-token int8 activations (W8A8) for the int8 weights, else W8A16
   * @param shardBytes the largest data size of one safetensors file before the model is sharded
   * @param tokenizerFiles files copied into the directory as they are (tokenizer.json, tokenizer_config.json ...)
   * @param int8 how int8 weights are recognised
   */
  public record Options(boolean sparseBitmask, boolean int8Activations, long shardBytes, List<Path> tokenizerFiles,
                        Int8Encoder int8, boolean replace, StDType floatType) {
    public static Options defaults() {
      return new Options(false, false, 5_000_000_000L, List.of(), DEFAULT_INT8, false, StDType.F32);
    }

    /** F32 (default), F16 or BF16 for the float tensors written (the values are rounded to nearest even). */
    public Options withFloatType(StDType type) {
      if (type != StDType.F32 && type != StDType.F16 && type != StDType.BF16) {
        throw new SparsejException("float tensors can be written as F32, F16 or BF16, not " + type);
      }
      return new Options(sparseBitmask, int8Activations, shardBytes, tokenizerFiles, int8, replace, type);
    }

    public Options withSparseBitmask(boolean on) {
      return new Options(on, int8Activations, shardBytes, tokenizerFiles, int8, replace, floatType);
    }

    public Options withShardBytes(long bytes) {
      return new Options(sparseBitmask, int8Activations, bytes, tokenizerFiles, int8, replace, floatType);
    }

    public Options withTokenizerFiles(List<Path> files) {
      return new Options(sparseBitmask, int8Activations, shardBytes, files, int8, replace, floatType);
    }

    public Options withInt8(Int8Encoder encoder) {
      return new Options(sparseBitmask, int8Activations, shardBytes, tokenizerFiles, encoder, replace, floatType);
    }

    public Options withInt8Activations(boolean on) {
      return new Options(sparseBitmask, on, shardBytes, tokenizerFiles, int8, replace, floatType);
    }

    public Options withReplace(boolean on) {
      return new Options(sparseBitmask, int8Activations, shardBytes, tokenizerFiles, int8, on, floatType);
    }
  }

  /** What was written, for logs and tests. */
  public record Summary(int files, long dataBytes, int sparseWeights, int int8Weights, double globalSparsity) {}

  private final LlamaModel model;
  private final Options options;
  private final List<Shard> shards = new ArrayList<>();
  private final Map<String, List<String>> int8Groups = new LinkedHashMap<>();  // weights args json -> modules
  private final List<String> denseLinears = new ArrayList<>();
  private int sparseCount;
  private int int8Count;
  private long zeros;
  private long targetElements;

  private record Shard(SafetensorsWriter writer) {}

  private HfModelWriter(LlamaModel model, Options options) {
    this.model = model;
    this.options = options;
  }

  public static Summary write(LlamaModel model, Path outDir, Options options) {
    HfModelWriter w = new HfModelWriter(model, options);
    w.collect();
    AtomicOutput.directory(outDir, options.replace(), tmp -> w.writeTo(tmp));
    int files = w.shards.size();
    return new Summary(files, w.shards.stream().mapToLong(s -> s.writer().dataBytes()).sum(), w.sparseCount,
        w.int8Count, w.targetElements == 0 ? 0 : (double) w.zeros / w.targetElements);
  }

  private void collect() {
    LlamaConfig c = model.config();
    LlamaWeights w = model.weights();
    addFloats(HfModelReader.Names.EMBED, w.tokenEmbedding(), c.vocabSize(), c.dim());
    for (int l = 0; l < c.nLayers(); l++) {
      LayerWeights layer = w.layers().get(l);
      String[] m = HfModelReader.Names.linears(l);
      LinearWeight[] lw = {layer.wq(), layer.wk(), layer.wv(), layer.wo(), layer.w1(), layer.w2(), layer.w3()};
      addFloats(HfModelReader.Names.layer(l, "input_layernorm.weight"), layer.attentionNorm(), c.dim());
      addFloats(HfModelReader.Names.layer(l, "post_attention_layernorm.weight"), layer.ffnNorm(), c.dim());
      for (int i = 0; i < lw.length; i++) {
        int heads = i == 0 ? c.nHeads() : i == 1 ? c.nKvHeads() : 0;
        addLinear(m[i], lw[i], heads > 0, true);
      }
    }
    addFloats(HfModelReader.Names.NORM, w.finalNorm(), c.dim());
    if (!tied()) {
      addLinear("lm_head", w.classifier(), false, false);
    }
  }

  private boolean tied() {
    LlamaWeights w = model.weights();
    return w.classifier() instanceof DenseF32Weight d && d.values() == w.tokenEmbedding();
  }

  private void addFloats(String name, Tensor t, int... shape) {
    t.requireDType(DType.F32);
    addF32(name, longs(shape), t::bytes);
  }

  /** F32 data, written in the options' float type. */
  private void addF32(String name, long[] shape, Supplier<ByteBuffer> f32) {
    StDType type = options.floatType();
    if (type == StDType.F32) {
      add(name, type, shape, f32);
      return;
    }
    add(name, type, shape, () -> {
      ByteBuffer in = f32.get();
      int n = in.capacity() / 4;
      ByteBuffer out = ByteBuffer.allocateDirect(2 * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        float v = in.getFloat(4 * i);
        out.putShort(2 * i, type == StDType.F16 ? Halfs.f32ToF16(v) : Halfs.f32ToBf16(v));
      }
      return out;
    });
  }

  /** One linear weight: int8 (weight + weight_scale) or F32, either one bitmask-compressed if asked. */
  private void addLinear(String module, LinearWeight weight, boolean permuteQk, boolean sparseTarget) {
    LlamaConfig c = model.config();
    int rows = weight.rows();
    int cols = weight.cols();
    boolean permute = permuteQk && c.ropeStyle() != RopeStyle.HALF;
    CompressedTensors.Int8 q = options.int8().int8(weight);
    boolean bitmask = options.sparseBitmask() && sparseTarget;
    if (q != null) {
      int8Count++;
      int8Groups.computeIfAbsent(weightArgs(q), k -> new ArrayList<>()).add(module);
      ByteBuffer values = permute ? permuteRows(q.values(), rows, cols, c) : q.values();
      ByteBuffer scales = permute ? permuteRows(q.scales(), rows, q.groups() * q.scaleType().bytes(), c)
          : q.scales();
      if (bitmask) {
        addBitmask(module, CompressedTensors.compress(values, StDType.I8, rows, cols));
      } else {
        add(module + ".weight", StDType.I8, new long[] {rows, cols}, () -> values);
      }
      add(module + ".weight_scale", q.scaleType(), new long[] {rows, q.groups()}, () -> scales);
      return;
    }
    denseLinears.add(module);
    Tensor dense = weight instanceof DenseF32Weight d ? d.values() : weight.toDense();
    Supplier<ByteBuffer> values = permute ? () -> permuteRows(dense.bytes(), rows, cols * 4, c) : dense::bytes;
    if (bitmask) {
      addBitmask(module, CompressedTensors.compress(values.get(), StDType.F32, rows, cols));
    } else {
      addF32(module + ".weight", new long[] {rows, cols}, values);
    }
  }

  private ByteBuffer permuteRows(ByteBuffer b, int rows, int rowBytes, LlamaConfig c) {
    return QkPermutation.permute(b, rows, rowBytes, c.headSize(), c.ropeStyle(), RopeStyle.HALF);
  }

  private void addBitmask(String module, CompressedTensors.Bitmask m) {
    sparseCount++;
    targetElements += (long) m.rows() * m.cols();
    zeros += (long) m.rows() * m.cols() - m.nonZeros();
    ByteBuffer shape = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN).putLong(m.rows())
        .putLong(m.cols()).flip();
    ByteBuffer offsets = ByteBuffer.allocateDirect(8 * m.rows()).order(ByteOrder.LITTLE_ENDIAN);
    for (long o : m.rowOffsets()) {
      offsets.putLong(o);
    }
    offsets.flip();
    add(module + ".shape", StDType.I64, new long[] {2}, () -> shape);
    add(module + ".compressed", m.valueType(), new long[] {m.nonZeros()}, m::values);
    add(module + ".bitmask", StDType.U8, new long[] {m.rows(), CompressedTensors.Bitmask.maskStride(m.cols())},
        m::bitmask);
    add(module + ".row_offsets", StDType.I64, new long[] {m.rows()}, () -> offsets);
  }

  private void add(String name, StDType dtype, long[] shape, Supplier<ByteBuffer> data) {
    long bytes = dtype.bytes();
    for (long d : shape) {
      bytes *= d;
    }
    if (shards.isEmpty() || shards.get(shards.size() - 1).writer().dataBytes() + bytes > options.shardBytes()
        && !shards.get(shards.size() - 1).writer().isEmpty()) {
      shards.add(new Shard(new SafetensorsWriter()));
    }
    shards.get(shards.size() - 1).writer().add(name, dtype, shape, data);
  }

  private void writeTo(Path dir) throws IOException {
    Map<String, String> meta = Map.of("format", "pt");
    if (shards.size() == 1) {
      shards.get(0).writer().write(dir.resolve(HfCheckpoint.SINGLE), meta);
    } else {
      ObjectNode index = JsonNodeFactory.instance.objectNode();
      long total = 0;
      ObjectNode map = JsonNodeFactory.instance.objectNode();
      for (int i = 0; i < shards.size(); i++) {
        String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
        SafetensorsWriter sw = shards.get(i).writer();
        sw.write(dir.resolve(name), meta);
        total += sw.dataBytes();
        for (String t : sw.names()) {
          map.put(t, name);
        }
      }
      index.putObject("metadata").put("total_size", total);
      index.set("weight_map", map);
      Files.write(dir.resolve(HfCheckpoint.INDEX), HfConfig.JSON.writerWithDefaultPrettyPrinter()
          .writeValueAsBytes(index));
    }
    Files.write(dir.resolve("config.json"), HfConfig.JSON.writerWithDefaultPrettyPrinter()
        .writeValueAsBytes(config()));
    for (Path f : options.tokenizerFiles()) {
      if (!Files.isRegularFile(f)) {
        throw new SparsejException(f + ": tokenizer file not found");
      }
      Files.copy(f, dir.resolve(f.getFileName().toString()));
    }
  }

  /** config.json: the Llama hyper-parameters, plus quantization_config when anything is compressed. */
  private ObjectNode config() {
    LlamaConfig c = model.config();
    ObjectNode j = JsonNodeFactory.instance.objectNode();
    j.putArray("architectures").add("LlamaForCausalLM");
    j.put("model_type", "llama");
    j.put("hidden_size", c.dim());
    j.put("intermediate_size", c.hiddenDim());
    j.put("num_hidden_layers", c.nLayers());
    j.put("num_attention_heads", c.nHeads());
    j.put("num_key_value_heads", c.nKvHeads());
    j.put("vocab_size", c.vocabSize());
    j.put("max_position_embeddings", c.seqLen());
    j.put("rms_norm_eps", c.normEps());
    j.put("rope_theta", c.ropeTheta());
    j.putNull("rope_scaling");
    j.put("tie_word_embeddings", tied());
    j.put("hidden_act", "silu");
    j.put("attention_bias", false);
    j.put("mlp_bias", false);
    j.put("bos_token_id", 1);
    j.put("eos_token_id", 2);
    j.put("torch_dtype", options.floatType() == StDType.F16 ? "float16" : options.floatType() == StDType.BF16
        ? "bfloat16" : "float32");
    if (sparseCount > 0 || int8Count > 0) {
      j.set("quantization_config", compressionConfig());
    }
    return j;
  }

  private ObjectNode compressionConfig() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode q = f.objectNode();
    q.put("quant_method", "compressed-tensors");
    if (int8Count > 0) {
      q.put("format", "int-quantized");
      q.put("quantization_status", "compressed");
      q.putNull("kv_cache_scheme");
      q.putNull("global_compression_ratio");
      ObjectNode groups = q.putObject("config_groups");
      ArrayNode ignore = q.putArray("ignore");
      boolean single = int8Groups.size() == 1;
      int g = 0;
      for (Map.Entry<String, List<String>> e : int8Groups.entrySet()) {
        ObjectNode group = groups.putObject("group_" + g++);
        ArrayNode targets = group.putArray("targets");
        if (single) {
          targets.add("Linear");
        } else {
          e.getValue().forEach(targets::add);
        }
        try {
          group.set("weights", HfConfig.JSON.readTree(e.getKey()));
        } catch (IOException ex) {
          throw new IllegalStateException(ex);
        }
        if (options.int8Activations()) {
          ObjectNode in = group.putObject("input_activations");
          in.put("num_bits", 8).put("type", "int").put("symmetric", true).putNull("group_size");
          in.put("strategy", "token").putNull("block_structure").put("dynamic", true).putNull("actorder");
          in.putNull("observer").putObject("observer_kwargs");
        } else {
          group.putNull("input_activations");
        }
        group.putNull("output_activations");
        group.put("format", "int-quantized");
      }
      if (single) {
        denseLinears.forEach(ignore::add);
      }
    }
    ObjectNode s = q.putObject("sparsity_config");
    if (sparseCount > 0) {
      s.put("format", "sparse-bitmask");
      s.put("global_sparsity", targetElements == 0 ? 0.0 : (double) zeros / targetElements);
      s.put("sparsity_structure", "unstructured");
      s.putArray("targets").add("Linear");
      s.putArray("ignore").add("lm_head");
      s.put("registry_requires_subclass", false);
    }
    q.putObject("transform_config");
    return q;
  }

  private static String weightArgs(CompressedTensors.Int8 q) {
    ObjectNode w = JsonNodeFactory.instance.objectNode();
    w.put("num_bits", 8).put("type", "int").put("symmetric", q.zeroPoints() == null);
    if (q.groups() == 1) {
      w.putNull("group_size").put("strategy", "channel");
    } else {
      w.put("group_size", q.groupSize()).put("strategy", "group");
    }
    w.putNull("block_structure").put("dynamic", false).putNull("actorder");
    w.put("scale_dtype", q.scaleType() == StDType.F32 ? "torch.float32" : q.scaleType() == StDType.F16
        ? "torch.float16" : "torch.bfloat16");
    w.putNull("zp_dtype").put("observer", "minmax").putObject("observer_kwargs");
    return w.toString();
  }

  /** The int8 view of Q8_0 blocks: values [rows][cols] and f16 scales [rows][cols/32], copied off-heap. */
  public static CompressedTensors.Int8 fromQ8_0(Q8_0Weight w) {
    int rows = w.rows();
    int cols = w.cols();
    int nb = cols / Q8_0Weight.BLOCK;
    ByteBuffer blocks = w.blocks().bytes();
    ByteBuffer values = CompressedTensors.direct((long) rows * cols);
    ByteBuffer scales = CompressedTensors.direct((long) rows * nb * 2);
    for (int k = 0; k < rows * nb; k++) {
      int p = k * Q8_0Weight.BLOCK_BYTES;
      scales.putShort(2 * k, blocks.getShort(p));
      for (int j = 0; j < Q8_0Weight.BLOCK; j++) {
        values.put(k * Q8_0Weight.BLOCK + j, blocks.get(p + 2 + j));
      }
    }
    return new CompressedTensors.Int8(rows, cols, values, StDType.F16, scales, nb, null);
  }

  private static long[] longs(int... shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }
}
