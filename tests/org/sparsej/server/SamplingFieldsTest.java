package org.sparsej.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.sparsej.api.GenerationOptions;
import org.sparsej.engine.SamplingParams;

/** vLLM's min_p and repetition_penalty fields reach GenerationOptions, for completions and chat alike. */
class SamplingFieldsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static GenerationOptions parse(String body, boolean chat) throws Exception {
    return OpenAiRequest.parse(JSON.readTree(body), chat, 256).options();
  }

  @Test
  void minPAndRepetitionPenaltyAreRead() throws Exception {
    GenerationOptions o = parse("{\"prompt\": \"x\", \"min_p\": 0.05, \"repetition_penalty\": 1.3}", false);
    assertEquals(0.05f, o.minP());
    assertEquals(1.3f, o.repeatPenalty());
    assertEquals(SamplingParams.DEFAULT_REPEAT_LAST_N, o.repeatLastN());
    GenerationOptions chat = parse("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"min_p\": 0.1, "
        + "\"repetition_penalty\": 0.9}", true);
    assertEquals(0.1f, chat.minP());
    assertEquals(0.9f, chat.repeatPenalty());
    GenerationOptions none = parse("{\"prompt\": \"x\"}", false);
    assertEquals(0f, none.minP());
    assertEquals(1f, none.repeatPenalty());
  }

  @Test
  void outOfRangeValuesAreInvalidNamingTheField() {
    String[][] bad = {{"min_p", "1.5"}, {"min_p", "-0.1"}, {"repetition_penalty", "0"},
        {"repetition_penalty", "-1"}, {"repetition_penalty", "1000"}, {"min_p", "\"a\""}};
    for (String[] b : bad) {
      ApiError e = assertThrows(ApiError.class, () -> parse("{\"prompt\": \"x\", \"" + b[0] + "\": " + b[1] + "}",
          false), b[0] + " " + b[1]);
      assertEquals(400, e.status);
      assertEquals(b[0], e.param);
    }
  }
}
