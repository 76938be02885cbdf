package org.sparsej.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.sparsej.backend.Backend;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.OffHeapMemory;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.weights.LinearWeight;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Loads a model and reports what it is and what loading it cost. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = {"Load a model (any format) and show its format, shape, weight formats, tokenizer and memory.",
        "The weight format each linear runs in (layer by layer), the tokenizer, and the",
        "load time and memory: weight bytes held, and the process's resident memory (VmRSS) before loading,",
        "after loading and after one forward pass has touched every weight (mapped files count once read)."})
final class InspectCommand implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
      description = "A Hugging Face directory (or .safetensors in one), a .gguf file or a llama2.c .bin.")
  Path model;

  @Mixin BackendOptions backendOptions;

  @Override
  public Integer call() {
    try (Backend backend = backendOptions.open()) {  // native libraries load before the first measurement
      return inspect(backend);
    }
  }

  private int inspect(Backend backend) {
    long rss0 = rssBytes();
    long t0 = System.nanoTime();
    LlamaModel loaded = ModelLoader.load(model);
    long t1 = System.nanoTime();
    long rss1 = rssBytes();
    System.out.printf("model:     %s (%s)%n", model, ModelLoader.detect(model));
    System.out.printf("config:    %s, eps %.0e, rope theta %.0f, %s%n", loaded.config(), loaded.config().normEps(),
        loaded.config().ropeTheta(), loaded.config().ropeStyle());
    Map<String, Integer> formats = new TreeMap<>();
    for (LayerWeights l : loaded.weights().layers()) {
      for (LinearWeight w : new LinearWeight[] {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()}) {
        formats.merge(w.format().id(), 1, Integer::sum);
      }
    }
    System.out.printf("weights:   %s; classifier %s%n", formats, loaded.weights().classifier().format().id());
    printLinears(loaded);
    try {
      Tokenizer t = ModelTokenizers.forModel(model, loaded.config().vocabSize());
      System.out.printf("tokenizer: %s, %d tokens, bos %d, eos %d%n", t.getClass().getSimpleName(), t.vocabSize(),
          t.bos(), t.eos());
    } catch (org.sparsej.util.SparsejException e) {
      System.out.printf("tokenizer: none (%s)%n", e.getMessage());
    }
    loaded.newSession(backend, 1).forward(new int[] {1}, 1, false);
    long rss2 = rssBytes();
    long mapped = pool("mapped");
    long direct = pool("direct") + OffHeapMemory.nativeBlockBytes();
    long weightBytes = loaded.weights().residentBytes();
    loaded = null;  // a converted 7B model (13.7 GB) fits once, not twice: the reload may reuse its memory
    long t2 = System.nanoTime();
    ModelLoader.load(model);
    long t3 = System.nanoTime();
    System.out.printf("load:      %.1f ms (first in this JVM), %.1f ms (again)%n", (t1 - t0) / 1e6, (t3 - t2) / 1e6);
    System.out.printf("buffers:   %.1f MB memory-mapped from the file, %.1f MB allocated off-heap (converted or "
        + "decoded weights, KV cache, activations)%n", mapped / 1e6, direct / 1e6);
    System.out.printf("memory:    weights %.1f MB; RSS %.1f MB before load, %.1f MB after, %.1f MB after a forward "
        + "pass (+%.1f MB)%n", weightBytes / 1e6, rss0 / 1e6, rss1 / 1e6, rss2 / 1e6,
        (rss2 - rss0) / 1e6);
    return 0;
  }

  private static final String[] LINEAR_NAMES = {"q", "k", "v", "o", "gate", "down", "up"};

  /** The format each linear runs in, layer by layer; consecutive layers alike share a line. */
  private static void printLinears(LlamaModel m) {
    java.util.List<LayerWeights> layers = m.weights().layers();
    int first = 0;
    for (int l = 1; l <= layers.size(); l++) {
      String line = l < layers.size() ? describe(layers.get(l)) : null;
      if (l == layers.size() || !line.equals(describe(layers.get(first)))) {
        String which = first == l - 1 ? "layer " + first : "layers " + first + "-" + (l - 1);
        System.out.printf("  %-12s %s%n", which + ":", describe(layers.get(first)));
        first = l;
      }
    }
  }

  private static String describe(LayerWeights l) {
    LinearWeight[] w = {l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()};
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      sb.append(i == 0 ? "" : ", ").append(LINEAR_NAMES[i]).append(' ').append(w[i].format().id());
      if (w[i].format().storedLayout() == org.sparsej.weights.StoredWeight.Layout.BITMASK) {
        sb.append(String.format(" (%.0f%% zeros)", 100 * w[i].stored().sparsity()));
      }
    }
    return sb.toString();
  }

  /** Bytes held by a JVM buffer pool ("mapped" or "direct"). */
  static long pool(String name) {
    for (java.lang.management.BufferPoolMXBean b
        : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
      if (b.getName().equals(name)) {
        return b.getMemoryUsed();
      }
    }
    return -1;
  }

  /** This process's resident set size from /proc (Linux), or -1. */
  static long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // not Linux
    }
    return -1;
  }
}
