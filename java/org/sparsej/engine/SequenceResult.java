package org.sparsej.engine;

/**
 * What a sequence produced.
 *
 * @param promptTokens the request's prompt
 * @param generated the tokens emitted (a stop token included)
 * @param finishReason why it ended
 * @param promptLogprobs promptLogprobs[i] = log p(prompt[i+1] | prompt[..i]) (length prompt-1) when asked, else null
 * @param topLogitIds when the sampling asked for k top logits: k ids per generated token, largest logit first
 *     (-1 pads a vocabulary smaller than k); else null
 * @param topLogitValues the logits matching topLogitIds, or null
 * @param queuedNanos from submit until it got a slot
 * @param firstTokenNanos from submit until its first generated token (-1 if none)
 * @param totalNanos from submit until it ended
 */
public record SequenceResult(int[] promptTokens, int[] generated, FinishReason finishReason, double[] promptLogprobs,
                             int[] topLogitIds, float[] topLogitValues, long queuedNanos, long firstTokenNanos,
                             long totalNanos) {}
