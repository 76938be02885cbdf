package org.sparsej.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.WeightFormat;

/** What `bench` counts as read per decoded token, on the shared sj-7m files (both tied: one table). */
class StreamedWeightBytesTest {
  /** The layers' linears and norms plus the final norm: what every token reads whatever the classifier is. */
  private static long decoderBytes(LlamaModel m) {
    long bytes = m.weights().finalNorm().byteSize();
    for (LayerWeights l : m.weights().layers()) {
      bytes += l.attentionNorm().byteSize() + l.ffnNorm().byteSize();
      for (LinearWeight w : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3())) {
        bytes += w.residentBytes();
      }
    }
    return bytes;
  }

  @Test
  void tiedF32ModelReadsItsTableOnceAsTheClassifier() {
    LlamaModel m = ModelLoader.load(SharedData.sj7m());
    assertTrue(m.config().sharedClassifier(), "sj-7m is tied");
    long vocab = m.config().vocabSize();
    long dim = m.config().dim();
    long table = vocab * dim * 4;
    assertEquals(decoderBytes(m) + table + dim * 4, GenerationBench.streamedWeightBytes(m),
        "decoder + the F32 table as classifier + one embedding row");
  }

  @Test
  void tiedQ8_0ModelCountsTheQ8ClassifierNotTheWidenedTable() {
    LlamaModel m = ModelLoader.load(SharedData.path("models/sj-7m/gguf/sj-7m-q8_0.gguf"));
    assertTrue(m.config().sharedClassifier(), "sj-7m is tied");
    LinearWeight classifier = m.weights().classifier();
    assertEquals(WeightFormat.Q8_0, classifier.format(), "the classifier runs on the table as stored");
    long vocab = m.config().vocabSize();
    long dim = m.config().dim();
    long q8Table = vocab * (dim / 32) * 34;
    assertEquals(q8Table, classifier.residentBytes());
    long expected = decoderBytes(m) + q8Table + dim * 4;  // one widened F32 row per token, not the whole table
    assertEquals(expected, GenerationBench.streamedWeightBytes(m));
    assertTrue(GenerationBench.streamedWeightBytes(m) < decoderBytes(m) + vocab * dim * 4,
        "the widened F32 embedding table is not counted as streamed");
  }

  @Test
  void medianAndBestOfRepetitions() {
    assertEquals(2.0, GenerationBench.median(new double[] {3, 1, 2}));
    assertEquals(2.5, GenerationBench.median(new double[] {4, 1, 2, 3}));
    GenerationBench.Result r = new GenerationBench.Result(new double[] {0.5, 0.25, 1.0}, new double[] {2, 1, 4},
        64, 32, 1000, 3.0, 5, 3.2);
    assertEquals(256.0, r.prefillTokensPerSecond(), 1e-9);
    assertEquals(128.0, r.medianPrefillTokensPerSecond(), 1e-9);
    assertEquals(32.0, r.decodeTokensPerSecond(), 1e-9);
    assertEquals(16.0, r.medianDecodeTokensPerSecond(), 1e-9);
    assertEquals(16.0 * 1000 / 1e9, r.medianDecodeGBps(), 1e-15);
  }

  @Test
  void machineLineNamesCpuIsaLoadAndClock() {
    String line = MachineInfo.line();
    assertTrue(line.startsWith("cpu: ") && line.contains("; kernels: ") && line.contains("; load average: ")
        && line.contains("; core clock: "), line);
    assertTrue(MachineInfo.loadAverage().matches("[0-9.]+ [0-9.]+ [0-9.]+|unknown"), MachineInfo.loadAverage());
    // A probe of dependent adds: some fraction of a GHz at least on any machine that runs the tests, never 20.
    String clock = MachineInfo.coreClock();
    assertTrue(clock.matches("[0-9]+\\.[0-9]{2} GHz"), clock);
    double ghz = Double.parseDouble(clock.split(" ")[0]);
    assertTrue(ghz > 0.05 && ghz < 20, clock);
  }
}
