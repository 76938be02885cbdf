package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.sparsej.backend.Backend;
import org.sparsej.fuzz.FuzzTargets;
import org.sparsej.format.hf.HfModelReader;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.format.safetensors.SafetensorsFile;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.model.Llama2cCheckpoint;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.SyntheticCheckpoint;

/**
 * A safetensors file whose header is not padded (which safetensors accepts) puts every tensor at an odd file
 * offset. The reader must hand the kernels aligned memory anyway (a misaligned float load is undefined behaviour in
 * C++, and UBSan flags the kernels' scalar tails), and the model must give the padded file's logits bit for bit.
 */
class UnpaddedSafetensorsTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(value = StDType.class, names = {"F32", "BF16", "F16"})
  void unpaddedFileLoadsAlignedAndGivesTheSameLogits(StDType type) throws Exception {
    Path bin = tmp.resolve("tiny.bin");
    SyntheticCheckpoint.write(bin, SyntheticCheckpoint.parseShape(
        "dim=40,hidden=72,layers=2,heads=4,kv_heads=2,vocab=301,seq=16"), 11, n -> { });
    Path padded = tmp.resolve("padded");
    HfModelWriter.write(Llama2cCheckpoint.load(bin), padded, HfModelWriter.Options.defaults().withFloatType(type));
    Path unpadded = tmp.resolve("unpadded");
    Files.createDirectories(unpadded);
    Files.copy(padded.resolve("config.json"), unpadded.resolve("config.json"));
    long dataStart = writeUnpadded(padded.resolve("model.safetensors"), unpadded.resolve("model.safetensors"));
    assertEquals(1, dataStart % 8, "the rewritten file must leave its data misaligned");

    try (SafetensorsFile f = SafetensorsFile.open(unpadded.resolve("model.safetensors"))) {
      for (SafetensorsFile.Entry e : f.entries().values()) {
        assertNotEquals(0, e.begin() % 2, e.name() + " should sit at an odd offset in the file");
        assertEquals(0, new Pointer(f.map(e)).address() % e.dtype().bytes(), e.name() + " mapped misaligned");
      }
    }
    try (Backend backend = FuzzTargets.backend()) {
      assertArrayEquals(logits(HfModelReader.load(padded), backend), logits(HfModelReader.load(unpadded), backend),
          "unpadded file on " + backend.getClass().getSimpleName());
    }
  }

  /** Copies a safetensors file with its header's trailing padding removed, then one space: data at 1 mod 8. */
  private static long writeUnpadded(Path from, Path to) throws Exception {
    byte[] all = Files.readAllBytes(from);
    long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    String header = new String(all, 8, (int) n, StandardCharsets.UTF_8).stripTrailing();
    while ((8 + header.length()) % 8 != 1) {
      header += " ";
    }
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer out = ByteBuffer.allocate(8 + h.length + all.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
    out.putLong(h.length).put(h).put(all, 8 + (int) n, all.length - 8 - (int) n);
    Files.write(to, out.array());
    return 8 + h.length;
  }

  private static float[] logits(LlamaModel m, Backend backend) {
    int[] tokens = {1, 17, 42, 300, 5};
    return m.newSession(backend, tokens.length).forward(tokens, tokens.length, true).toFloatArray();
  }
}
