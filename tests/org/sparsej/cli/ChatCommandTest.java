package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.sparsej.api.Chat;
import org.sparsej.backend.JavaBackend;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.generate.Sampler;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.tokenizer.ChatTemplate;
import org.sparsej.tokenizer.Tokenizer;

/** sparsej chat driven through standard input: turns, the KV cache kept between them, /reset, end of input. */
class ChatCommandTest {
  private static final String MODEL = SharedData.sj7m().toString();

  private static CliRun chat(String input, String... extra) {
    InputStream old = System.in;
    try {
      System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
      List<String> args = new java.util.ArrayList<>(List.of("chat", "-m", MODEL, "--temp", "0", "--backend",
          "java", "-t", "2"));
      args.addAll(List.of(extra));
      return CliRun.of(args.toArray(new String[0]));
    } finally {
      System.setIn(old);
    }
  }

  @Test
  void turnsReuseTheCacheAndResetStartsOver() {
    CliRun one = chat("Who art thou?\n", "-n", "12");
    assertEquals(0, one.exitCode(), one.err());
    String first = one.out();  // the reply and a newline
    assertTrue(first.strip().length() > 0, first);
    CliRun run = chat("Who art thou?\nAnd whence comest thou?\n/reset\nWho art thou?\n", "-n", "12");  // then EOF
    assertEquals(0, run.exitCode(), run.err());
    // after /reset the same question gets the same (greedy) answer as in a chat of its own
    assertTrue(run.out().startsWith(first) && run.out().endsWith(first), run.out());
    assertTrue(run.out().length() > 2 * first.length(), "a second reply between them");
    Matcher m = Pattern.compile("\\[(\\d+) tokens prefilled, (\\d+) reused from the cache, (\\d+) generated")
        .matcher(run.err());
    int[][] turns = new int[3][];
    for (int i = 0; i < 3; i++) {
      assertTrue(m.find(), run.err());
      turns[i] = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
          Integer.parseInt(m.group(3))};
    }
    assertEquals(0, turns[0][1], "nothing cached before the first turn");
    // the second turn reuses the whole first turn (its prompt and the 12 tokens generated and fed back) and
    // prefills only its own tokens: the end of the reply and the new user message
    assertEquals(turns[0][0] + 12, turns[1][1], run.err());
    assertTrue(turns[1][0] > 0 && turns[1][0] < 24, run.err());
    assertEquals(0, turns[2][1], "reset empties the cache");
    assertTrue(run.err().contains("(conversation reset)"));
  }

  @Test
  void aReplyAfterReusingTheCacheIsTheReplyOfAFreshPrefill() {
    LlamaModel model = ModelLoader.load(SharedData.sj7m());
    Tokenizer tok = ModelTokenizers.forModel(SharedData.sj7m(), model.config().vocabSize());
    Chat chat = new Chat(ChatTemplate.LLAMA2, new int[] {tok.eos()});
    try (JavaBackend java = new JavaBackend(2);
         InferenceSession session = model.newSession(java, 64);
         InferenceSession fresh = model.newSession(java, 64)) {
      ChatSession c = new ChatSession(session, tok, chat, Sampler.greedy(), "Thou art a poet.");
      c.reply("Speak of the sea.", 10, s -> { });
      ChatSession.Turn second = c.reply("And of the moon?", 10, s -> { });
      assertTrue(second.reused() > 0);
      int[] cached = c.cachedTokens();
      int promptLength = second.prefilled() + second.reused();
      // the same prompt prefilled at once on an empty cache gives the same greedy reply
      Tensor logits = fresh.prefill(Arrays.copyOf(cached, promptLength));
      int[] replyTokens = new int[second.generated()];
      for (int i = 0; i < replyTokens.length; i++) {
        replyTokens[i] = Sampler.argmax(logits, model.config().vocabSize());
        logits = fresh.forward(new int[] {replyTokens[i]}, 1, false);
      }
      assertArrayEquals(Arrays.copyOfRange(cached, promptLength, promptLength + replyTokens.length), replyTokens);
      assertEquals(tok.decode(replyTokens), second.reply());
    }
  }

  @Test
  void badFlagsAreOneErrorLine() {
    chat("hi\n", "--template", "vicuna").assertFails(2, "unknown chat template 'vicuna'");
    chat("hi\n", "--max-tokens", "0").assertFails(2, "--max-tokens must be positive");
    chat("hi\n", "--top-k", "-1").assertFails(2, "--top-k must be >= 0");
  }
}
