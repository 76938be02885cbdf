package org.sparsej.api;

/**
 * How likely the model finds a text.
 *
 * @param tokenLogprobs natural-log probability of each predicted token given the ones before it, in text order
 * @param logLikelihood their sum
 */
public record Score(double[] tokenLogprobs, double logLikelihood) {
  /** Number of predicted tokens. */
  public int tokens() {
    return tokenLogprobs.length;
  }

  /** Mean negative log-likelihood per predicted token. */
  public double nllPerToken() {
    return tokenLogprobs.length == 0 ? Double.NaN : -logLikelihood / tokenLogprobs.length;
  }

  /** exp(mean negative log-likelihood). */
  public double perplexity() {
    return Math.exp(nllPerToken());
  }
}
