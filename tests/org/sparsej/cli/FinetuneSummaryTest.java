package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.sparsej.train.Trainer;

/** finetune.json's figures: numbers when measured, null when the run measured none (never the string "NaN"). */
class FinetuneSummaryTest {
  @Test
  void aRunThatTrainedNoStepWritesNullFigures() throws Exception {
    // what `finetune --resume CK --steps K` writes when CK is already at step K: no step, no evaluation
    JsonNode none = FinetuneCommand.describe(Map.of("steps", "500"), new Trainer.Result(500, false, Double.NaN,
        Double.NaN, 0.0), 2);
    assertTrue(none.get("last_loss").isNull(), none.toString());
    assertTrue(none.get("heldout_ppl").isNull(), none.toString());
    assertTrue(!CompressionRun.JSON.writeValueAsString(none).contains("NaN"), none.toString());
  }

  @Test
  void measuredFiguresStayNumbers() {
    JsonNode done = FinetuneCommand.describe(Map.of("steps", "8"), new Trainer.Result(8, false, 1.25, 34.5, 3.0), 2);
    assertEquals(1.25, done.get("last_loss").doubleValue());
    assertEquals(34.5, done.get("heldout_ppl").doubleValue());
    assertEquals(8, done.get("steps").longValue());
  }
}
