package org.sparsej.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.sparsej.backend.Backend;
import org.sparsej.model.ForwardPass;
import org.sparsej.model.KvCachePool;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.util.SparsejException;

/**
 * Continuous batching: one background thread runs forward passes over all active sequences. Each pass takes
 * one decode step of every running sequence first, then chunks of the prompts still being read, up to the token
 * budget; the matmuls see the whole batch, attention runs per sequence against its own KV pages. Requests are
 * admitted in order up to {@code slots}, each once the KV budget can reserve its prompt plus its maxNewTokens; a
 * finished or cancelled sequence gives its slot and pages back at once. Thread-safe: any thread may submit and
 * cancel; listeners are called on the engine's thread.
 *
 * <p>At temperature 0 a sequence gets the same tokens alone or batched with others: no row of a pass depends on
 * another row's values.
 */
public final class Engine implements AutoCloseable {
  private final LlamaModel model;
  private final LlamaConfig config;
  private final Backend backend;
  private final EngineOptions options;
  private final KvCachePool pool;
  private final ForwardPass pass;
  private final PassRunner runner;
  private final Thread thread;

  private final Object lock = new Object();
  private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();  // guarded by lock
  private final List<Sequence> running = new ArrayList<>();        // engine thread only
  private volatile int runningCount;
  private boolean wakeUp;   // guarded by lock
  private boolean freed;    // engine thread: a sequence ended, so a waiting one may fit now
  private boolean closing;  // guarded by lock
  private volatile boolean closed;

  final AtomicLong promptTokensTotal = new AtomicLong();
  final AtomicLong generatedTokensTotal = new AtomicLong();
  final AtomicLong passesTotal = new AtomicLong();

  public Engine(LlamaModel model, Backend backend, EngineOptions options) {
    this.model = model;
    this.config = model.config();
    this.backend = backend;
    this.options = options;
    long budget = options.kvBudgetBytes() > 0 ? options.kvBudgetBytes()
        : KvBudget.defaultBytes(config, options.slots());
    this.pool = KvCachePool.forModel(backend, config, budget);
    this.pass = new ForwardPass(model, backend, options.tokenBudget());
    this.runner = new PassRunner(this, pass, pool, options.tokenBudget());
    this.thread = new Thread(this::loop, "sparsej-engine");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  public LlamaConfig config() {
    return config;
  }

  public EngineOptions options() {
    return options;
  }

  /** The KV budget in bytes (the one given, or the one derived from free memory). */
  public long kvBudgetBytes() {
    return pool.budgetBytes();
  }

  /**
   * Queues a request. Throws EngineRefusedException at once, with a one-line reason, when it can never run
   * (prompt + maxNewTokens beyond the model's context, beyond the whole KV budget, bad parameters) or when the
   * queue is full (then {@code queueFull()} is true).
   */
  public SequenceHandle submit(SequenceRequest request, SequenceListener listener) {
    long now = System.nanoTime();
    String problem = problem(request, listener);
    if (problem != null) {
      throw new EngineRefusedException(problem, false);
    }
    Sequence s = new Sequence(this, request, listener, now);
    synchronized (lock) {
      if (closing) {
        throw new EngineRefusedException("the engine is closed", false);
      }
      if (runningCount + waiting.size() >= options.slots() + options.maxQueued()) {
        throw new EngineRefusedException("queue full: " + options.slots() + " sequences running and "
            + waiting.size() + " waiting (the most is " + options.maxQueued() + ")", true);
      }
      waiting.add(s);
      wakeUp = true;
      lock.notifyAll();
    }
    return s;
  }

  private String problem(SequenceRequest r, SequenceListener listener) {
    if (r == null || listener == null) {
      return "request and listener must not be null";
    }
    int[] prompt = r.promptTokens();
    if (prompt == null || prompt.length == 0) {
      return "the prompt has no tokens";
    }
    for (int t : prompt) {
      if (t < 0 || t >= config.vocabSize()) {
        return "prompt token id " + t + " outside the vocabulary of " + config.vocabSize();
      }
    }
    if (r.maxNewTokens() < 0) {
      return "max new tokens must be >= 0, got " + r.maxNewTokens();
    }
    if (r.sampling() == null) {
      return "sampling parameters must not be null";
    }
    String sampling = r.sampling().problem();
    if (sampling != null) {
      return sampling;
    }
    long total = (long) prompt.length + r.maxNewTokens();
    if (total > config.seqLen()) {
      return "prompt (" + prompt.length + " tokens) + " + r.maxNewTokens() + " new tokens exceeds the model's context of "
          + config.seqLen();
    }
    int needed = prompt.length + Math.max(0, r.maxNewTokens() - 1);
    if (!pool.couldEverFit(needed)) {
      return "prompt + new tokens need " + pool.bytesFor(needed) / (1 << 20) + " MiB of KV cache, beyond the whole budget of "
          + pool.budgetBytes() / (1 << 20) + " MiB";
    }
    return null;
  }

  public EngineStats stats() {
    int queued;
    synchronized (lock) {
      queued = waiting.size();
    }
    return new EngineStats(runningCount, queued, options.slots(), pool.bytesInUse(), pool.budgetBytes(),
        promptTokensTotal.get(), generatedTokensTotal.get(), passesTotal.get());
  }

  void wake() {
    synchronized (lock) {
      wakeUp = true;
      lock.notifyAll();
    }
  }

  private void loop() {
    try {
      while (true) {
        synchronized (lock) {
          while (!closing && !wakeUp && !freed && running.isEmpty()) {
            lock.wait();
          }
          wakeUp = false;
          if (closing) {
            break;
          }
        }
        dropCancelled();
        freed = false;
        admit();
        if (!running.isEmpty()) {
          try {
            runner.step(running);
          } catch (RuntimeException e) {
            // A bug of ours or the backend's: the sequences of this pass fail, the engine keeps serving.
            for (Sequence s : running) {
              fail(s, e);
            }
          }
          running.removeIf(s -> s.finished);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      shutDown();
    }
  }

  /** Cancelled sequences, running or waiting, end now. */
  private void dropCancelled() {
    for (Sequence s : running) {
      if (s.cancelled) {
        finish(s, FinishReason.CANCELLED);
      }
    }
    running.removeIf(s -> s.finished);
    List<Sequence> dropped = new ArrayList<>();
    synchronized (lock) {
      waiting.removeIf(s -> s.cancelled && dropped.add(s));
    }
    for (Sequence s : dropped) {
      finish(s, FinishReason.CANCELLED);
    }
  }

  /** Waiting requests take free slots in order while the KV budget can reserve them. */
  private void admit() {
    while (running.size() < options.slots()) {
      Sequence s;
      synchronized (lock) {
        s = waiting.peek();
        if (s == null) {
          return;
        }
        s.cache = pool.reserve(s.neededTokens());
        if (s.cache == null) {
          return;  // it waits, in order, until running sequences give memory back
        }
        waiting.poll();
        s.running = true;
        runningCount++;  // in the same step as leaving the queue, for submit's queue-full count
      }
      s.admitNanos = System.nanoTime();
      if (s.request.maxNewTokens() == 0 && (s.logprobs == null || s.logprobs.length == 0)) {
        finish(s, FinishReason.LENGTH);  // nothing to compute
      } else {
        running.add(s);
      }
    }
  }

  /** Ends a sequence: frees its pages and tells its listener (whose failures cannot stop the engine). */
  void finish(Sequence s, FinishReason reason) {
    if (!release(s)) {
      return;
    }
    SequenceResult result = s.result(reason, System.nanoTime());
    try {
      s.listener.onFinished(result);
    } catch (RuntimeException ignored) {
      // A listener's own bug must not take the engine's thread down.
    }
    s.completion.complete(result);
  }

  /** Ends a sequence with an error. */
  void fail(Sequence s, RuntimeException error) {
    if (!release(s)) {
      return;
    }
    try {
      s.listener.onError(error);
    } catch (RuntimeException ignored) {
      // As in finish().
    }
    s.completion.completeExceptionally(error);
  }

  /** Marks a sequence finished and frees its slot and pages; false if it already was. */
  private boolean release(Sequence s) {
    if (s.finished) {
      return false;
    }
    s.finished = true;
    if (s.running) {
      s.running = false;
      runningCount--;  // before the caller can see the result
    }
    if (s.cache != null) {
      s.cache.release();
      freed = true;
    }
    return true;
  }

  private void shutDown() {
    for (Sequence s : running) {
      finish(s, FinishReason.CANCELLED);
    }
    running.clear();
    List<Sequence> left;
    synchronized (lock) {
      closing = true;
      left = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Sequence s : left) {
      finish(s, FinishReason.CANCELLED);
    }
    pass.close();
    pool.close();
    closed = true;
  }

  /** Cancels everything running and queued, stops the thread, frees backend memory. */
  @Override
  public void close() {
    synchronized (lock) {
      closing = true;
      lock.notifyAll();
    }
    if (Thread.currentThread() != thread) {
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  boolean isClosed() {
    return closed;
  }

  LlamaModel model() {
    return model;
  }

  Backend backend() {
    return backend;
  }

  static SparsejException kvFailure(RuntimeException e) {
    return new SparsejException("the sequence's KV pages could not be had: " + e.getMessage(), e);
  }
}
