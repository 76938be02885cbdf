package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.testing.SharedData;

/**
 * SparseGPT at 50% on sj-7m with the reference's calibration (128 x 256 tokens of train.txt, seed 0) against the
 * authors' implementation in ../shared/reference/sj-7m-pruning.json, on the smallest eval file. The full table
 * (every method and setting on every eval file) is docs/pruning-table.sh's job.
 */
class PruneReferenceTest {
  @TempDir Path dir;

  @Test
  void sparseGpt50MatchesTheAuthorsImplementationWithinOnePercent() {
    Path out = dir.resolve("sparsegpt-50");
    CliRun prune = CliRun.of("prune", "-m", SharedData.sj7m().toString(), "--method", "sparsegpt", "--sparsity",
        "0.5", "--calib", SharedData.path("data/sj-corpus/train.txt").toString(), "--samples", "128", "--seqlen",
        "256", "--seed", "0", "--backend", "cpu", "-o", out.toString());
    assertEquals(0, prune.exitCode(), prune.err());
    String file = "eval-shakespeare.txt";
    double[] got = EvalPplTest.pplAndTokens(CliRun.of("eval", "ppl", "-m", out.toString(),
        "--text", SharedData.path("data/sj-corpus/" + file).toString(), "--backend", "cpu"));
    double expected = Double.NaN;
    for (JsonNode r : SharedData.json("reference/sj-7m-pruning.json").get("results")) {
      if (r.get("method").asText().equals("sparsegpt") && r.get("pattern").asText().equals("unstructured")
          && r.get("sparsity").asDouble() == 0.5) {
        expected = r.get(file).get("ppl").asDouble();
      }
    }
    assertEquals(expected, got[0], expected * 0.01, "SparseGPT 50% ppl on " + file + " vs the reference");
  }
}
