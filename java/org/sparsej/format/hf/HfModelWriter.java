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
import org.sparsej.format.LinearSource;
import org.sparsej.format.QkPermutation;
import org.sparsej.format.safetensors.SafetensorsWriter;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.OffHeapMemory;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Precision;
import org.sparsej.weights.StoredSummary;
import org.sparsej.weights.StoredWeight.Layout;
import org.sparsej.weights.StoredWeight;
import org.sparsej.weights.WeightFormat;

/**
 * Writes a model as a Hugging Face directory (config.json, safetensors, tokenizer files) in compressed-tensors'
 * conventions. With {@link Options#denseStored} (what the commands write by default) every weight is stored dense,
 * zeros in place, and config.json's dense sparsity_config names the sparse ones: what current transformers, vLLM
 * and llm-compressor read. Otherwise each linear weight is written as stored ({@link LinearWeight#stored}): float
 * as F32 (or F16/BF16), int8 as {@code weight} I8 + {@code weight_scale}, sparse formats as "sparse-bitmask" or
 * "sparse-24-bitmask" (read by compressed-tensors before 0.15); with {@link Options#sparseBitmask}, the dense
 * decoder linears are compressed too (as sparse-24-bitmask when every one of them is 2:4). config.json's
 * {@code quantization_config} states formats, sparsity structure, targets and, per int8 group, whether activations
 * are int8 (W8A8) or not (W8A16). q/k rows are stored in Hugging Face's rotate-half order whatever the source's.
 * The directory appears atomically (temp dir, then rename). See docs/formats.md for the exact layout.
 */
public final class HfModelWriter {
  /**
   * @param sparseBitmask compress the dense decoder linear weights too (lm_head is left dense): sparse-24-bitmask
   *     when all of them are 2:4 and no weight is unstructured-sparse already, else sparse-bitmask
   * @param denseStored   write every weight dense, zeros in place (see {@link #withDenseStored})
   * @param shardBytes the largest data size of one safetensors file before the model is sharded
   * @param tokenizerFiles files copied into the directory as they are (tokenizer.json, tokenizer_config.json ...)
   */
  public record Options(boolean sparseBitmask, long shardBytes, List<Path> tokenizerFiles, boolean replace,
                        StDType floatType, boolean denseStored) {
    /** Each weight in its own layout (sparse ones as compressed-tensors' sparse-bitmask / sparse-24-bitmask). */
    public static Options defaults() {
      return new Options(false, 5_000_000_000L, List.of(), false, StDType.F32, false);
    }

    /** F32 (default), F16 or BF16 for the float tensors written (the values are rounded to nearest even). */
    public Options withFloatType(StDType type) {
      if (type != StDType.F32 && type != StDType.F16 && type != StDType.BF16) {
        throw new SparsejException("float tensors can be written as F32, F16 or BF16, not " + type);
      }
      return new Options(sparseBitmask, shardBytes, tokenizerFiles, replace, type, denseStored);
    }

    public Options withSparseBitmask(boolean on) {
      return new Options(on, shardBytes, tokenizerFiles, replace, floatType, denseStored && !on);
    }

    /**
     * Every weight stored dense with its zeros in place (int8 ones as int8), the sparsity in config.json's
     * {@code sparsity_config} (format "dense"): what current transformers, vLLM and llm-compressor read, since
     * compressed-tensors 0.15 dropped the sparse layouts. SparseJ finds the sparse weights again at load.
     */
    public Options withDenseStored(boolean on) {
      return new Options(sparseBitmask && !on, shardBytes, tokenizerFiles, replace, floatType, on);
    }

    public Options withShardBytes(long bytes) {
      return new Options(sparseBitmask, bytes, tokenizerFiles, replace, floatType, denseStored);
    }

    public Options withTokenizerFiles(List<Path> files) {
      return new Options(sparseBitmask, shardBytes, files, replace, floatType, denseStored);
    }

    public Options withReplace(boolean on) {
      return new Options(sparseBitmask, shardBytes, tokenizerFiles, on, floatType, denseStored);
    }
  }

  /** What was written, for logs and tests. */
  public record Summary(int files, long dataBytes, int sparseWeights, int int8Weights, double globalSparsity,
                        String sparseFormat) {}

  /**
   * A model to write whose block linears need not all be in memory: each is a {@link LinearSource}, loaded when
   * the writer reaches it (a streamed compression hands its spilled linears over this way).
   *
   * @param blocks     per block: attention norm, ffn norm, and the linears in LayerWeights order wq wk wv wo w1 w2 w3
   * @param classifier null when tied to the embedding
   */
  public record Source(LlamaConfig config, Tensor embedding, List<Block> blocks, Tensor finalNorm,
                       LinearSource classifier) {
    public static Source of(LlamaModel model) {
      LlamaWeights w = model.weights();
      List<Block> blocks = new ArrayList<>();
      for (LayerWeights l : w.layers()) {
        List<LinearSource> linears = new ArrayList<>();
        for (LinearWeight x : new LinearWeight[] {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()}) {
          linears.add(LinearSource.of(x));
        }
        blocks.add(new Block(l.attentionNorm(), l.ffnNorm(), linears, l.bq(), l.bk(), l.bv()));
      }
      boolean tied = w.classifier() instanceof DenseF32Weight d && d.values() == w.tokenEmbedding();
      return new Source(model.config(), w.tokenEmbedding(), blocks, w.finalNorm(),
          tied ? null : LinearSource.of(w.classifier()));
    }
  }

  /** One block of a {@link Source}; bq, bk, bv are Qwen2's q/k/v biases (null for Llama). */
  public record Block(Tensor attentionNorm, Tensor ffnNorm, List<LinearSource> linears, Tensor bq, Tensor bk,
                      Tensor bv) {
    /** A block without biases. */
    public Block(Tensor attentionNorm, Tensor ffnNorm, List<LinearSource> linears) {
      this(attentionNorm, ffnNorm, linears, null, null, null);
    }
  }

  private final Source model;
  private final Options options;
  private final List<Shard> shards = new ArrayList<>();
  private final Map<String, List<String>> int8Groups = new LinkedHashMap<>();  // group args json -> modules
  private final List<String> floatLinears = new ArrayList<>();
  private final List<String> uncompressed = new ArrayList<>();
  private Layout sparseLayout;  // of every compressed weight; null if none
  private final java.util.Set<String> denseSparse = new java.util.LinkedHashSet<>();  // denseStored: the sparse targets, stored dense
  private String denseStructure;  // denseStored: "2:4" or "unstructured"
  private int sparseCount;
  private int int8Count;
  private long zeros;
  private long targetElements;
  private Linear loadedLinear;  // the linear whose tensors are being written, and its data
  private StoredWeight loadedWeight;

  private record Shard(SafetensorsWriter writer) {}

  /** How a linear's stored form is changed on the way out (see {@link #compressIfAsked}). */
  private enum Change { NONE, TO_BITMASK, TO_TWO_FOUR, TWO_FOUR_TO_BITMASK, TO_DENSE }

  /**
   * One linear to write: its module name, its source, the summary as written (after {@code change}), and whether
   * it is q/k (rows permuted) or a decoder linear (lm_head is not).
   */
  private record Linear(String module, LinearSource source, StoredSummary written, Change change, boolean qk,
                        boolean sparseTarget) {}

  private HfModelWriter(Source model, Options options) {
    this.model = model;
    this.options = options;
  }

  public static Summary write(LlamaModel model, Path outDir, Options options) {
    return write(Source.of(model), outDir, options);
  }

  /** Writes {@code model}, loading each linear from its source only while its tensors are written. */
  public static Summary write(Source model, Path outDir, Options options) {
    HfModelWriter w = new HfModelWriter(model, options);
    w.collect();
    AtomicOutput.directory(outDir, options.replace(), tmp -> w.writeTo(tmp));
    int files = w.shards.size();
    return new Summary(files, w.shards.stream().mapToLong(s -> s.writer().dataBytes()).sum(),
        w.sparseCount + w.denseSparse.size(), w.int8Count,
        w.targetElements == 0 ? 0 : (double) w.zeros / w.targetElements,
        w.sparseLayout == null ? "dense" : w.sparseLayout.compressedTensorsName());
  }

  private void collect() {
    LlamaConfig c = model.config();
    if (c.ropeScaling().type().equals("factors")) {
      throw new SparsejException("the Hugging Face writer cannot write this model (its RoPE frequencies come from "
          + "a GGUF rope_freqs tensor, which config.json has no key for)");
    }
    List<Linear> linears = new ArrayList<>();
    for (int l = 0; l < c.nLayers(); l++) {
      String[] m = HfModelReader.Names.linears(l);
      List<LinearSource> lw = model.blocks().get(l).linears();
      for (int i = 0; i < lw.size(); i++) {
        linears.add(new Linear(m[i], lw.get(i), lw.get(i).summary(), Change.NONE, i < 2, true));
      }
    }
    if (!tied()) {
      linears.add(new Linear("lm_head", model.classifier(), model.classifier().summary(), Change.NONE, false, false));
    }
    linears = compressIfAsked(linears);
    addFloats(HfModelReader.Names.EMBED, model.embedding(), c.vocabSize(), c.dim());
    int next = 0;
    for (int l = 0; l < c.nLayers(); l++) {
      Block layer = model.blocks().get(l);
      addFloats(HfModelReader.Names.layer(l, "input_layernorm.weight"), layer.attentionNorm(), c.dim());
      addFloats(HfModelReader.Names.layer(l, "post_attention_layernorm.weight"), layer.ffnNorm(), c.dim());
      for (int i = 0; i < 7; i++) {
        addLinear(linears.get(next++));
      }
      if (c.qkvBias()) {
        String[] m = HfModelReader.Names.linears(l);
        Tensor[] bias = {layer.bq(), layer.bk(), layer.bv()};
        for (int i = 0; i < 3; i++) {
          addBias(m[i] + ".bias", bias[i], i < 2);
        }
      }
    }
    addFloats(HfModelReader.Names.NORM, model.finalNorm(), c.dim());
    if (next < linears.size()) {
      addLinear(linears.get(next));
    }
  }

  /**
   * One sparse layout for the whole model, as compressed-tensors' sparsity_config has one format. With
   * {@link Options#sparseBitmask} the dense decoder linears are compressed too: when every one of them that is
   * pruned (at least {@link WeightFormat#MIN_BITMASK_SPARSITY} zeros) is 2:4 and no weight is unstructured-sparse
   * already, the 2:4 ones are written as sparse-24-bitmask and the others stay dense (layers left unpruned); else
   * all of them are written as sparse-bitmask. A 2:4 weight among unstructured ones is written, and loads, as
   * sparse-bitmask. Decided from the summaries alone; the change is made when each linear is written.
   */
  private List<Linear> compressIfAsked(List<Linear> linears) {
    if (options.denseStored()) {
      return denseStored(linears);
    }
    boolean anyBitmask = false;
    boolean anyTwoFour = false;
    boolean prunedAreTwoFour = true;
    boolean anyCandidate = false;
    for (Linear x : linears) {
      StoredSummary s = x.written();
      anyBitmask |= s.layout() == Layout.BITMASK;
      anyTwoFour |= s.layout() == Layout.TWO_FOUR;
      if (s.layout() == Layout.DENSE && options.sparseBitmask() && x.sparseTarget()) {
        anyCandidate = true;
        if (s.sparsity() >= WeightFormat.MIN_BITMASK_SPARSITY) {
          boolean twoFour = s.twoFour();
          anyTwoFour |= twoFour;
          prunedAreTwoFour &= twoFour;
        }
      }
    }
    if (!anyBitmask && !anyTwoFour && !anyCandidate) {
      return linears;
    }
    sparseLayout = anyTwoFour && prunedAreTwoFour && !anyBitmask ? Layout.TWO_FOUR : Layout.BITMASK;
    List<Linear> out = new ArrayList<>();
    for (Linear x : linears) {
      StoredSummary s = x.written();
      Change change = Change.NONE;
      if (s.layout() == Layout.DENSE && options.sparseBitmask() && x.sparseTarget()) {
        if (sparseLayout == Layout.BITMASK) {
          change = Change.TO_BITMASK;
          s = s.compressed(false);
        } else if (s.twoFour()) {
          change = Change.TO_TWO_FOUR;
          s = s.compressed(true);
        }
      } else if (s.layout() == Layout.TWO_FOUR && sparseLayout == Layout.BITMASK) {
        change = Change.TWO_FOUR_TO_BITMASK;
        s = s.asBitmask();
      }
      out.add(new Linear(x.module(), x.source(), s, change, x.qk(), x.sparseTarget()));
    }
    return out;
  }

  /**
   * {@link Options#denseStored}: every sparse weight written DENSE (zeros in place, int8 stays int8), and the
   * sparsity counted for config.json's dense sparsity_config: a decoder linear with at least
   * {@link WeightFormat#MIN_BITMASK_SPARSITY} zeros is a sparse target (what SparseJ's reader runs sparse again),
   * the structure is 2:4 when every one of them is 2:4.
   */
  private List<Linear> denseStored(List<Linear> linears) {
    List<Linear> out = new ArrayList<>();
    boolean allTwoFour = true;
    for (Linear x : linears) {
      StoredSummary s = x.written();
      Change change = Change.NONE;
      if (s.layout() != Layout.DENSE) {
        change = Change.TO_DENSE;
        s = s.asDense();
      }
      if (x.sparseTarget() && s.sparsity() >= WeightFormat.MIN_BITMASK_SPARSITY) {
        denseSparse.add(x.module());
        long total = (long) s.rows() * s.cols();
        targetElements += total;
        zeros += total - s.nonZeros();
        allTwoFour &= s.twoFour();
      }
      out.add(new Linear(x.module(), x.source(), s, change, x.qk(), x.sparseTarget()));
    }
    denseStructure = allTwoFour ? "2:4" : "unstructured";
    return out;
  }

  /**
   * The linear as written: loaded from its source, changed, q/k rows permuted. The tensors of one linear are
   * written one after another, so only the last one loaded is kept.
   */
  private StoredWeight data(Linear x) {
    if (loadedLinear != x) {
      loadedWeight = null;  // let the previous one go before loading the next
      StoredWeight s = x.source().load().get();
      switch (x.change()) {
        case TO_BITMASK: s = s.compressed(false); break;
        case TO_TWO_FOUR: s = s.compressed(true); break;
        case TWO_FOUR_TO_BITMASK: s = s.toDenseLayout().compressed(false); break;
        case TO_DENSE: s = s.toDenseLayout(); break;
        default: break;
      }
      LlamaConfig c = model.config();
      if (x.qk() && c.ropeStyle() != RopeStyle.HALF) {
        s = s.permuteRows(r -> QkPermutation.sourceRow(r, c.headSize(), c.ropeStyle(), RopeStyle.HALF));
      }
      if (s.values().size() != x.written().valueCount() || s.layout() != x.written().layout()) {
        throw new IllegalStateException(x.module() + ": its source changed between summary and write");
      }
      loadedLinear = x;
      loadedWeight = s;
    }
    return loadedWeight;
  }

  private boolean tied() {
    return model.classifier() == null;
  }

  private void addFloats(String name, Tensor t, int... shape) {
    t.requireDType(DType.F32);
    addF32(name, longs(shape), t::bytes);
  }

  /** A q/k/v bias, its q/k entries in rotate-half order as their weight rows are. */
  private void addBias(String name, Tensor b, boolean qk) {
    if (b == null) {
      throw new SparsejException("the model declares q/k/v biases but block tensor " + name + " is missing");
    }
    b.requireDType(DType.F32);
    LlamaConfig c = model.config();
    int n = Math.toIntExact(b.size());
    if (!qk || c.ropeStyle() == RopeStyle.HALF) {
      addFloats(name, b, n);
      return;
    }
    addF32(name, new long[] {n}, () -> {
      ByteBuffer out = OffHeapMemory.directBuffer(4 * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int r = 0; r < n; r++) {
        out.putFloat(4 * r, b.getFloat(QkPermutation.sourceRow(r, c.headSize(), c.ropeStyle(), RopeStyle.HALF)));
      }
      return out;
    });
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
      ByteBuffer out = OffHeapMemory.directBuffer(2 * n).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        float v = in.getFloat(4 * i);
        out.putShort(2 * i, type == StDType.F16 ? Halfs.f32ToF16(v) : Halfs.f32ToBf16(v));
      }
      return out;
    });
  }

  /** One linear weight in its stored layout: values (compressed or not), and int8 scales. */
  private void addLinear(Linear x) {
    StoredSummary s = x.written();
    String module = x.module();
    int rows = s.rows();
    int cols = s.cols();
    StDType valueType = s.int8() ? StDType.I8 : StDType.F32;
    switch (s.layout()) {
      case DENSE:
        uncompressed.add(module);
        StDType half = !s.half() ? null : s.valueType() == DType.BF16 ? StDType.BF16 : StDType.F16;
        if (s.int8()) {
          add(module + ".weight", StDType.I8, new long[] {rows, cols}, () -> data(x).values().bytes());
        } else if (half != null && (options.floatType() == StDType.F32 || options.floatType() == half)) {
          add(module + ".weight", half, new long[] {rows, cols}, () -> data(x).values().bytes());  // as stored, bit for bit
        } else if (half != null) {
          addF32(module + ".weight", new long[] {rows, cols}, () -> data(x).widened().values().bytes());
        } else {
          addF32(module + ".weight", new long[] {rows, cols}, () -> data(x).values().bytes());
        }
        break;
      case BITMASK:
        addCompressed(x, new long[] {2}, new long[] {s.valueCount()}, valueType);
        add(module + ".row_offsets", StDType.I64, new long[] {rows}, () -> {
          int[] starts = data(x).rowStarts();
          ByteBuffer offsets = OffHeapMemory.directBuffer(8 * rows).order(ByteOrder.LITTLE_ENDIAN);
          for (int r = 0; r < rows; r++) {
            offsets.putLong(8 * r, starts[r]);
          }
          return offsets;
        });
        break;
      case TWO_FOUR:
        // compressed-tensors stores this shape as a column, [[rows], [cols]]
        addCompressed(x, new long[] {2, 1}, new long[] {rows, cols / 2}, valueType);
        break;
      default:
        throw new IllegalStateException(s.layout().toString());
    }
    if (s.int8()) {
      int8Count++;
      int8Groups.computeIfAbsent(groupArgs(s), k -> new ArrayList<>()).add(module);
      StDType scaleType = s.scaleType() == DType.F16 ? StDType.F16 : StDType.F32;
      add(module + ".weight_scale", scaleType, new long[] {rows, s.groups()}, () -> data(x).scales().bytes());
    } else {
      floatLinears.add(module);
    }
  }

  private void addCompressed(Linear x, long[] shapeShape, long[] valuesShape, StDType type) {
    StoredSummary s = x.written();
    String module = x.module();
    sparseCount++;
    long total = (long) s.rows() * s.cols();
    targetElements += total;
    zeros += total - s.nonZeros();
    ByteBuffer shape = ByteBuffer.allocateDirect(16).order(ByteOrder.LITTLE_ENDIAN).putLong(s.rows())
        .putLong(s.cols()).flip();
    add(module + ".shape", StDType.I64, shapeShape, () -> shape);
    add(module + ".compressed", type, valuesShape, () -> data(x).values().bytes());
    add(module + ".bitmask", StDType.U8, new long[] {s.rows(), StoredWeight.maskStride(s.cols())},
        () -> data(x).bitmask().bytes());
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
    // Qwen2 is the architecture with q/k/v biases, Mistral the one with a sliding window (transformers' Llama
    // has neither); each reads head_dim and rope_scaling as Llama does
    String type = c.qkvBias() ? "qwen2" : c.slidingWindow() > 0 ? "mistral" : "llama";
    j.putArray("architectures").add(type.equals("qwen2") ? "Qwen2ForCausalLM" : type.equals("mistral")
        ? "MistralForCausalLM" : "LlamaForCausalLM");
    j.put("model_type", type);
    j.put("hidden_size", c.dim());
    j.put("intermediate_size", c.hiddenDim());
    j.put("num_hidden_layers", c.nLayers());
    j.put("num_attention_heads", c.nHeads());
    j.put("num_key_value_heads", c.nKvHeads());
    j.put("vocab_size", c.vocabSize());
    j.put("max_position_embeddings", c.seqLen());
    j.put("rms_norm_eps", c.normEps());
    j.put("rope_theta", c.ropeTheta());
    if (c.headDim() * c.nHeads() != c.dim()) {
      j.put("head_dim", c.headDim());
    }
    RopeScalingJson.put(j, c.ropeScaling());
    if (c.slidingWindow() > 0) {
      j.put("sliding_window", c.slidingWindow());
    } else if (type.equals("mistral") || type.equals("qwen2")) {
      j.putNull("sliding_window");
    }
    if (type.equals("qwen2")) {
      j.put("use_sliding_window", false);
    }
    j.put("tie_word_embeddings", tied());
    j.put("hidden_act", "silu");
    if (!type.equals("qwen2")) {  // Qwen2's biases are implied by its architecture
      j.put("attention_bias", false);
      j.put("mlp_bias", false);
    }
    j.put("bos_token_id", 1);
    j.put("eos_token_id", 2);
    j.put("torch_dtype", options.floatType() == StDType.F16 ? "float16" : options.floatType() == StDType.BF16
        ? "bfloat16" : "float32");
    if (sparseCount > 0 || int8Count > 0) {
      j.set("quantization_config", compressionConfig());
    } else if (!denseSparse.isEmpty()) {
      // no quantization_config for float weights: transformers would then require compressed-tensors (and
      // llm-compressor writes none); transformers keeps an unknown top-level key as a config attribute
      j.set("sparsity_config", denseSparsityConfig());
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
        ObjectNode args;
        try {
          args = (ObjectNode) HfConfig.JSON.readTree(e.getKey());
        } catch (IOException ex) {
          throw new IllegalStateException(ex);
        }
        boolean int8Activations = args.remove("int8_activations").asBoolean();
        group.set("weights", args);
        if (int8Activations) {
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
        floatLinears.forEach(ignore::add);
        if (tied()) {
          ignore.add("lm_head");  // tied: no lm_head tensor, but "Linear" would target the module
        }
      }
    }
    ObjectNode s = q.putObject("sparsity_config");
    if (!denseSparse.isEmpty()) {
      q.set("sparsity_config", denseSparsityConfig());
    } else if (sparseCount > 0) {
      s.put("format", sparseLayout.compressedTensorsName());
      s.put("global_sparsity", targetElements == 0 ? 0.0 : (double) zeros / targetElements);
      s.put("sparsity_structure", sparseLayout == Layout.TWO_FOUR ? "2:4" : "unstructured");
      s.putArray("targets").add("Linear");
      ArrayNode ignore = s.putArray("ignore");
      uncompressed.forEach(ignore::add);
      if (!uncompressed.contains("lm_head")) {
        ignore.add("lm_head");  // tied: no lm_head tensor, but compressed-tensors names the module
      }
      s.put("registry_requires_subclass", false);
    }
    q.putObject("transform_config");
    return q;
  }

  /**
   * compressed-tensors' DenseSparsityConfig: format "dense", global_sparsity and sparsity_structure over the sparse
   * targets, which are "Linear" less {@code ignore} (every other linear, lm_head included, tied or not).
   */
  private ObjectNode denseSparsityConfig() {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("format", Layout.DENSE.compressedTensorsName());
    s.put("global_sparsity", (double) zeros / targetElements);
    s.put("sparsity_structure", denseStructure);
    s.putArray("targets").add("Linear");
    ArrayNode ignore = s.putArray("ignore");
    int layers = model.config().nLayers();
    for (int l = 0; l < layers; l++) {
      for (String m : HfModelReader.Names.linears(l)) {
        if (!denseSparse.contains(m)) {
          ignore.add(m);
        }
      }
    }
    ignore.add("lm_head");
    s.put("registry_requires_subclass", false);
    return s;
  }

  /** The weights block of an int8 group, plus a marker of its activations (taken out again when written). */
  private static String groupArgs(StoredSummary q) {
    ObjectNode w = JsonNodeFactory.instance.objectNode();
    w.put("num_bits", 8).put("type", "int").put("symmetric", true);
    if (q.groups() == 1) {
      w.putNull("group_size").put("strategy", "channel");
    } else {
      w.put("group_size", q.cols() / q.groups()).put("strategy", "group");
    }
    w.putNull("block_structure").put("dynamic", false).putNull("actorder");
    w.put("scale_dtype", q.scaleType() == DType.F16 ? "torch.float16" : "torch.float32");
    w.putNull("zp_dtype").put("observer", "minmax").putObject("observer_kwargs");
    w.put("int8_activations", q.precision() == Precision.W8A8);
    return w.toString();
  }

  private static long[] longs(int... shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }
}
