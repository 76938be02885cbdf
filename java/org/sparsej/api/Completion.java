package org.sparsej.api;

import java.time.Duration;
import java.util.List;

/**
 * What a generation produced.
 *
 * @param text the generated text, without the stop string or end-of-sequence token that ended it
 * @param promptTokens tokens in the prompt (BOS and chat-template tokens included)
 * @param tokens the generated token ids (a final end-of-sequence token included, as OpenAI counts it)
 * @param finishReason why it ended
 * @param queueTime time between the request and the start of its prompt's processing
 * @param timeToFirstToken time between the request and its first generated token
 * @param totalTime time between the request and its end
 * @param tokenGaps time between each generated token and the next (one fewer than the tokens), as the engine
 *     produced them; a server's per-token latency histogram observes each one
 * @param topLogits for each generated token, the model's largest logits, when {@link GenerationOptions#topLogits()}
 *     asked for them; else empty
 */
public record Completion(String text, int promptTokens, int[] tokens, FinishReason finishReason, Duration queueTime,
                         Duration timeToFirstToken, Duration totalTime, List<Duration> tokenGaps,
                         List<TokenLogits> topLogits) {
  public Completion {
    tokenGaps = List.copyOf(tokenGaps);
    topLogits = topLogits == null ? List.of() : List.copyOf(topLogits);
  }

  /** Number of generated tokens. */
  public int completionTokens() {
    return tokens.length;
  }

  /** Mean time per generated token after the first (zero when fewer than two were generated). */
  public Duration timePerToken() {
    return tokens.length < 2 ? Duration.ZERO : totalTime.minus(timeToFirstToken).dividedBy(tokens.length - 1);
  }
}
