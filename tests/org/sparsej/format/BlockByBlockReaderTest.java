package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.format.hf.HfModelReader;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.prune.BlockLinears;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;

/** A BF16 directory read block by block gives, block for block, what loading it whole gives. */
class BlockByBlockReaderTest {
  @TempDir Path tmp;

  @Test
  void bf16BlocksReadOnDemandEqualTheWholeLoad() {
    LlamaModel f32 = ModelLoader.load(SharedData.path("models/sj-7m/hf"));
    Path dir = tmp.resolve("bf16");
    HfModelWriter.write(f32, dir, HfModelWriter.Options.defaults().withFloatType(StDType.BF16));
    LlamaModel whole = HfModelReader.load(dir);
    LlamaModel lazy = HfModelReader.loadBlockByBlock(dir);
    assertEquals(whole.config().nLayers(), lazy.weights().layers().size());
    for (int l = 0; l < whole.config().nLayers(); l++) {
      LayerWeights a = whole.weights().layers().get(l);
      LayerWeights b = lazy.weights().layers().get(l);
      assertNotSame(b, lazy.weights().layers().get(l), "read again each time, not kept");
      assertArrayEquals(a.attentionNorm().toFloatArray(), b.attentionNorm().toFloatArray());
      LinearWeight[] wa = BlockLinears.of(a);
      LinearWeight[] wb = BlockLinears.of(b);
      for (int i = 0; i < wa.length; i++) {
        assertEquals(wa[i].format(), wb[i].format());
        assertArrayEquals(wa[i].toDense().toFloatArray(), wb[i].toDense().toFloatArray(), "block " + l + " " + i);
      }
    }
    assertArrayEquals(whole.weights().tokenEmbedding().toFloatArray(), lazy.weights().tokenEmbedding().toFloatArray());
    assertThrows(IndexOutOfBoundsException.class, () -> lazy.weights().layers().get(whole.config().nLayers()));
  }
}
