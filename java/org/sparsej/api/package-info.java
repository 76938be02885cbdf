/**
 * SparseJ's public Java API: load a model, generate (blocking, by callback, as an iterator or a stream), chat with
 * the model's template, score text, tokenize. Everything outside this package is internal and may change.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("model.bin"), ModelOptions.defaults().withSlots(4))) {
 *   Completion c = model.generate("Once upon a time", GenerationOptions.defaults().withMaxTokens(32));
 *   System.out.println(c.text());
 * }
 * }</pre>
 *
 * <p>A {@link org.sparsej.api.Model} is thread-safe: requests from many threads are decoded together by one
 * batching engine, and each request has its own sampler, KV cache and result.
 */
package org.sparsej.api;
