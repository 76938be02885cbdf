package org.sparsej.api;

/**
 * One generated token and the model's largest logits at the step that produced it, as the model gave them (before
 * the repeat penalty and temperature).
 *
 * @param token the generated token id
 * @param ids the ids of the largest logits, largest first (ties: lower id first)
 * @param logits their logits, matching ids
 */
public record TokenLogits(int token, int[] ids, float[] logits) {}
