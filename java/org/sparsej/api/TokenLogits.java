package org.sparsej.api;

/**
 * One generated token and the model's largest logits at the step that produced it, as the model gave them (before
 * the repeat penalty and temperature).
 *
 * @param token the generated token id
 * @param ids the ids of the largest logits, largest first (ties: lower id first)
 * @param logits their logits, matching ids
 * @param tokenLogit the generated token's own logit (it need not be among the largest when sampling)
 * @param logSumExp log(sum exp) of the step's logits over the whole vocabulary, the log-softmax's normalizer
 */
public record TokenLogits(int token, int[] ids, float[] logits, float tokenLogit, double logSumExp) {
  /** log p(token): the log-softmax of the model's logits (its raw distribution, as OpenAI's logprobs report). */
  public double logprob() {
    return tokenLogit - logSumExp;
  }

  /** log p(ids[i]) under the same distribution. */
  public double logprob(int i) {
    return logits[i] - logSumExp;
  }
}
