package org.sparsej.engine;

/**
 * A snapshot of an engine.
 *
 * @param running sequences holding a slot
 * @param queued sequences submitted but waiting for a slot or KV memory
 * @param slots the configured slots
 * @param kvBytesInUse KV pages the running sequences hold now
 * @param kvBudgetBytes the KV budget
 * @param promptTokensTotal prompt tokens run since the engine started
 * @param generatedTokensTotal tokens generated since the engine started
 * @param passesTotal forward passes run
 */
public record EngineStats(int running, int queued, int slots, long kvBytesInUse, long kvBudgetBytes,
                          long promptTokensTotal, long generatedTokensTotal, long passesTotal) {}
