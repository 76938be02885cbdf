package org.sparsej.fuzz;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.backend.Backend;
import org.sparsej.backend.RopeStyle;
import org.sparsej.fuzz.FuzzTargets.Target;
import org.sparsej.model.KvCachePool;
import org.sparsej.model.LlamaConfig;

/**
 * What the coverage-guided fuzzers found, each as a plain test (their inputs also replay from
 * tests/fuzz-inputs/.../ParserFuzzTestsInputs/TARGET/finding-*).
 */
class FuzzFindingsTest {
  /**
   * configJson: a config.json declaring max_position_embeddings near 2^31 passed validation, then the session's KV
   * budget overflowed int (pages rounded up as tokens + page - 1) and became negative: the internal message "kv pool:
   * page tokens must be positive and the budget not negative", naming no file.
   */
  @Test
  void contextNearIntMaxIsNotAnInternalError(@TempDir Path dir) throws IOException {
    Path seeds = Files.createDirectories(dir.resolve("seeds"));
    FuzzTargets.writeSeeds(seeds);
    Path work = Files.createDirectories(dir.resolve("work"));
    FuzzTargets.companions(Target.CONFIG_JSON, seeds, work);
    ObjectNode config = (ObjectNode) new ObjectMapper().readTree(seeds.resolve("hf/config.json").toFile());
    config.put("max_position_embeddings", Integer.MAX_VALUE);
    Files.writeString(work.resolve("config.json"), config.toString());
    try (Backend backend = FuzzTargets.backend()) {
      FuzzTargets.Outcome o = FuzzTargets.run(Target.CONFIG_JSON, work, backend);
      assertNull(o.problem());
    }
    LlamaConfig c = new LlamaConfig(32, 64, 1, 4, 2, 300, Integer.MAX_VALUE, true, 1e-5f, 10000f,
        RopeStyle.INTERLEAVED);
    assertTrue(KvCachePool.sequenceBytes(c, Integer.MAX_VALUE) > 0);
  }
}
