package org.sparsej.api;

/**
 * A snapshot of a model's serving state.
 *
 * @param running sequences being decoded
 * @param queued requests waiting for a slot
 * @param slots sequences that can be decoded together
 * @param kvBytesInUse KV-cache memory in use
 * @param kvBudgetBytes KV-cache memory budget
 * @param promptTokensTotal prompt tokens processed since load
 * @param generatedTokensTotal tokens generated since load
 */
public record ModelStats(int running, int queued, int slots, long kvBytesInUse, long kvBudgetBytes,
                         long promptTokensTotal, long generatedTokensTotal) {}
