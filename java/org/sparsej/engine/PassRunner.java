package org.sparsej.engine;

import java.util.ArrayList;
import java.util.List;
import org.sparsej.backend.Backend;
import org.sparsej.backend.PagedKv;
import org.sparsej.generate.Sampler;
import org.sparsej.model.ForwardPass;
import org.sparsej.model.KvCachePool;
import org.sparsej.tensor.Tensor;

/**
 * Plans and runs one forward pass for the engine: a decode step of every running sequence past its prompt, then
 * prompt chunks in admission order, up to the token budget; then scores prompt rows, samples, and hands tokens to
 * the listeners. Engine thread only.
 */
final class PassRunner {
  /** A sequence's rows in this pass. */
  private record Entry(Sequence seq, int row0, int count, int pos0, boolean prompt) {}

  private final Engine engine;
  private final ForwardPass pass;
  private final KvCachePool pool;
  private final Backend backend;
  private final int tokenBudget;
  private final int vocab;
  private final int[] tokens;
  private final int[] logitRows;
  private final float[] row;
  private int rotation;  // which decoding sequence goes first when they outnumber the budget

  PassRunner(Engine engine, ForwardPass pass, KvCachePool pool, int tokenBudget) {
    this.engine = engine;
    this.pass = pass;
    this.pool = pool;
    this.backend = pass.backend();
    this.tokenBudget = tokenBudget;
    this.vocab = pass.config().vocabSize();
    this.tokens = new int[tokenBudget];
    this.logitRows = new int[tokenBudget];
    this.row = new float[vocab];
  }

  void step(List<Sequence> running) {
    List<Entry> entries = new ArrayList<>();
    PagedKv.Builder kv = PagedKv.builder(pool.layers(), pool.pageTokens(), pool.kvDim());
    int rows = 0;
    int logits = 0;
    int n = running.size();
    // Decode steps first: each is one token, and a waiting client sees its next token soonest.
    int start = rotation++ % n;
    for (int i = 0; i < n && rows < tokenBudget; i++) {
      Sequence s = running.get((start + i) % n);
      if (!s.inPrompt() && plan(s, kv, rows, 1, s.position())) {
        tokens[rows] = s.lastGenerated();
        entries.add(new Entry(s, rows, 1, s.position(), false));
        logitRows[logits++] = rows;
        rows++;
      }
    }
    // Then prompt chunks with what is left of the budget.
    for (int i = 0; i < n && rows < tokenBudget; i++) {
      Sequence s = running.get(i);
      if (!s.inPrompt()) {
        continue;
      }
      int count = Math.min(s.prompt.length - s.promptDone, tokenBudget - rows);
      if (!plan(s, kv, rows, count, s.promptDone)) {
        continue;
      }
      System.arraycopy(s.prompt, s.promptDone, tokens, rows, count);
      entries.add(new Entry(s, rows, count, s.promptDone, true));
      for (int r = 0; r < count; r++) {
        int p = s.promptDone + r;
        boolean scored = s.logprobs != null && p < s.prompt.length - 1;
        boolean sampled = p == s.prompt.length - 1 && s.generates();
        if (scored || sampled) {
          logitRows[logits++] = rows + r;
        }
      }
      rows += count;
    }
    if (rows == 0) {
      return;
    }
    Tensor out;
    try {
      out = pass.forward(tokens, kv.build(), logitRows, logits);
    } catch (RuntimeException e) {
      for (Entry en : entries) {
        engine.fail(en.seq(), e);
      }
      return;
    }
    engine.passesTotal.incrementAndGet();
    int next = 0;
    for (Entry en : entries) {
      Sequence s = en.seq();
      if (en.prompt()) {
        for (int r = 0; r < en.count(); r++) {
          int p = en.pos0() + r;
          if (s.logprobs != null && p < s.prompt.length - 1) {
            backend.copyToHost(out, (long) next++ * vocab, row, 0, vocab);
            s.logprobs[p] = logProb(row, vocab, s.prompt[p + 1]);
          }
        }
        s.promptDone += en.count();
        engine.promptTokensTotal.addAndGet(en.count());
        if (s.inPrompt()) {
          continue;
        }
        if (!s.generates()) {
          engine.finish(s, FinishReason.LENGTH);  // a scoring request
          continue;
        }
      }
      backend.copyToHost(out, (long) next++ * vocab, row, 0, vocab);
      emit(s, s.sampler.sample(row, 0, vocab));
    }
  }

  /** Makes room for the rows in the sequence's cache and adds them to the page table; false if it failed. */
  private boolean plan(Sequence s, PagedKv.Builder kv, int row0, int count, int pos0) {
    try {
      s.cache.ensure(pos0 + count);
    } catch (RuntimeException e) {
      engine.fail(s, Engine.kvFailure(e));
      return false;
    }
    s.cache.addTo(kv, count, pos0);
    return true;
  }

  private void emit(Sequence s, int token) {
    s.addGenerated(token);
    engine.generatedTokensTotal.incrementAndGet();
    if (s.firstTokenNanos < 0) {
      s.firstTokenNanos = System.nanoTime();
    }
    boolean more;
    try {
      Sampler.Step step = s.sampler.lastStep();  // null unless the request asked for top logits
      more = step == null ? s.listener.onToken(token) : s.listener.onToken(token, step);
    } catch (RuntimeException e) {
      engine.fail(s, e);
      return;
    }
    if (!more || s.isStop(token)) {
      engine.finish(s, FinishReason.STOP);
    } else if (s.generatedCount >= s.request.maxNewTokens()) {
      engine.finish(s, FinishReason.LENGTH);
    }
  }

  /** log softmax(row)[target], in double (the rule of eval/Perplexity). */
  static double logProb(float[] row, int vocab, int target) {
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      max = Math.max(max, row[v]);
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(row[v] - max);
    }
    return row[target] - max - Math.log(sum);
  }
}
