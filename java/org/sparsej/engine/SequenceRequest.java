package org.sparsej.engine;

/**
 * One sequence to run.
 *
 * @param promptTokens already tokenized (BOS included if wanted); at least one token
 * @param maxNewTokens tokens to generate at most, >= 0; 0 with promptLogprobs is a scoring request
 * @param sampling how tokens are picked
 * @param stopTokens generation ends (FinishReason.STOP) after emitting one of them (EOS etc.); may be empty
 * @param promptLogprobs whether to return log p(prompt[i+1] | prompt[..i]) for the prompt
 */
public record SequenceRequest(int[] promptTokens, int maxNewTokens, SamplingParams sampling, int[] stopTokens,
                              boolean promptLogprobs) {
  /** Greedy generation of up to maxNewTokens, stopping at none. */
  public static SequenceRequest greedy(int[] promptTokens, int maxNewTokens) {
    return new SequenceRequest(promptTokens, maxNewTokens, SamplingParams.greedy(), new int[0], false);
  }
}
