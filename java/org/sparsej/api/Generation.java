package org.sparsej.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.sparsej.engine.SequenceHandle;
import org.sparsej.engine.SequenceListener;
import org.sparsej.engine.SequenceResult;
import org.sparsej.generate.Sampler;

/**
 * One request being generated: its text arrives in chunks ({@link #nextText()}, {@link #iterator()},
 * {@link #stream()}) while the model decodes it together with other requests; {@link #await()} gives the whole
 * {@link Completion}. {@link #cancel()} (or {@link #close()}) frees its slot at the model's next step.
 *
 * <p>Read it from one thread. The chunks concatenate to {@link Completion#text()}.
 */
public final class Generation implements Iterable<String>, AutoCloseable {
  /**
   * A chunk of text and, when {@link GenerationOptions#topLogits()} asked, the logits of the tokens it carries:
   * every generated token is in exactly one chunk (one whose text is held back, or a stop token's, goes with a
   * later one, the last chunk's text may be empty), so the chunks' lists join to {@link Completion#topLogits()}.
   */
  public record Chunk(String text, List<TokenLogits> logits) {}

  private record Failed(ModelException error) {}

  private static final Object END = new Object();

  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final CompletableFuture<Completion> future = new CompletableFuture<>();
  private final int promptTokens;
  private final TextDecoder decoder;
  private final int[] stopTokens;
  private final TokenTimes tokenTimes = new TokenTimes();  // written on the engine's thread only
  private volatile SequenceHandle handle;
  private volatile double[] promptLogprobs;
  private volatile boolean cancelRequested;
  private boolean ended;  // reader side: END or a failure was taken
  // Engine's thread: every token's logits when asked, and those not yet handed out with a chunk.
  private final List<TokenLogits> logits = new ArrayList<>();
  private final List<TokenLogits> pendingLogits = new ArrayList<>();

  Generation(int promptTokens, TextDecoder decoder, int[] stopTokens) {
    this.promptTokens = promptTokens;
    this.decoder = decoder;
    this.stopTokens = stopTokens;
  }

  /** The engine's view of this generation; called back on the engine's thread. */
  SequenceListener listener() {
    return new SequenceListener() {
      @Override
      public boolean onToken(int token, Sampler.Step step) {
        int n = 0;
        while (n < step.ids().length && step.ids()[n] >= 0) {
          n++;  // drop the padding of a vocabulary smaller than k
        }
        TokenLogits t = new TokenLogits(token, Arrays.copyOf(step.ids(), n), Arrays.copyOf(step.logits(), n),
            step.tokenLogit(), step.logSumExp());
        logits.add(t);
        pendingLogits.add(t);
        return onToken(token);
      }

      @Override
      public boolean onToken(int token) {
        tokenTimes.add(System.nanoTime());
        for (int s : stopTokens) {
          if (s == token) {
            return true;  // the engine ends the sequence itself; a stop token has no text
          }
        }
        String delta = decoder.push(token);
        if (!delta.isEmpty()) {
          events.add(chunk(delta));
        }
        return !decoder.stopped();
      }

      @Override
      public void onFinished(SequenceResult r) {
        String rest = decoder.finish();
        if (!rest.isEmpty() || !pendingLogits.isEmpty()) {
          events.add(chunk(rest));
        }
        FinishReason reason = switch (r.finishReason()) {
          case STOP -> FinishReason.STOP;
          case LENGTH -> FinishReason.LENGTH;
          case CANCELLED -> FinishReason.CANCELLED;
        };
        promptLogprobs = r.promptLogprobs();
        Completion c = new Completion(decoder.text(), promptTokens, r.generated(), reason,
            Duration.ofNanos(r.queuedNanos()), Duration.ofNanos(r.firstTokenNanos()),
            Duration.ofNanos(r.totalNanos()), tokenTimes.gaps(), logits);
        events.add(END);
        future.complete(c);
      }

      @Override
      public void onError(RuntimeException error) {
        ModelException e = error instanceof ModelException m ? m
            : new ModelException(ModelException.Kind.FAILED, error.getMessage() == null ? error.toString()
                : error.getMessage(), error);
        events.add(new Failed(e));
        future.completeExceptionally(e);
      }
    };
  }

  /** A chunk of text with the logits of the tokens since the last one (engine's thread). */
  private Chunk chunk(String text) {
    Chunk c = new Chunk(text, List.copyOf(pendingLogits));
    pendingLogits.clear();
    return c;
  }

  void started(SequenceHandle h) {
    handle = h;
    if (cancelRequested) {
      h.cancel();
    }
  }

  /** Tokens in the prompt, BOS and template tokens included. */
  public int promptTokens() {
    return promptTokens;
  }

  /**
   * The next chunk of text, waiting for it; null once the generation has ended (empty only for a last chunk that
   * carries nothing but the logits of held-back or stop tokens).
   */
  public String nextText() {
    Chunk c = nextChunk();
    return c == null ? null : c.text();
  }

  /** The next chunk with its tokens' logits, waiting for it; null once the generation has ended. */
  public Chunk nextChunk() {
    try {
      return take(events.take());
    } catch (InterruptedException e) {
      cancel();
      Thread.currentThread().interrupt();
      throw new ModelException(ModelException.Kind.FAILED, "interrupted while waiting for text");
    }
  }

  /**
   * The next chunk of text if one arrives within {@code timeout}: "" if none did (the generation goes on), null once
   * it has ended.
   */
  public String pollText(Duration timeout) {
    try {
      Object e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (e == null) {
        return ended ? null : "";
      }
      Chunk c = take(e);
      return c == null ? null : c.text();
    } catch (InterruptedException e) {
      cancel();
      Thread.currentThread().interrupt();
      throw new ModelException(ModelException.Kind.FAILED, "interrupted while waiting for text");
    }
  }

  private Chunk take(Object e) {
    if (ended) {
      events.add(e);  // keep the end marker for later calls
      return null;
    }
    if (e instanceof Chunk c) {
      return c;
    }
    ended = true;
    events.add(e);
    if (e instanceof Failed f) {
      throw f.error();
    }
    return null;
  }

  /** Waits for the end and returns the whole completion; throws {@link ModelException} if the request failed. */
  public Completion await() {
    try {
      return future.get();
    } catch (InterruptedException e) {
      cancel();
      Thread.currentThread().interrupt();
      throw new ModelException(ModelException.Kind.FAILED, "interrupted while waiting for the completion");
    } catch (ExecutionException e) {
      throw e.getCause() instanceof ModelException m ? m
          : new ModelException(ModelException.Kind.FAILED, String.valueOf(e.getCause()), e.getCause());
    }
  }

  /** For scoring requests: waits for the end and returns the prompt's log-probabilities. */
  double[] awaitLogprobs() {
    Completion c = await();
    double[] lp = promptLogprobs;
    if (c.finishReason() == FinishReason.CANCELLED || lp == null) {
      throw new ModelException(ModelException.Kind.FAILED, "scoring was cancelled (the model was closed)");
    }
    return lp;
  }

  /** The completion, when it comes (completed exceptionally with a {@link ModelException} on failure). */
  public CompletableFuture<Completion> future() {
    return future;
  }

  /** Ends the generation at the model's next step (finish reason CANCELLED); safe to call more than once. */
  public void cancel() {
    cancelRequested = true;
    SequenceHandle h = handle;
    if (h != null) {
      h.cancel();
    }
  }

  /** Cancels the generation if it is still running. */
  @Override
  public void close() {
    if (!future.isDone()) {
      cancel();
    }
  }

  /** The chunks of text as they come; {@code next()} waits for the model. */
  @Override
  public Iterator<String> iterator() {
    return new Iterator<>() {
      private String next;

      @Override
      public boolean hasNext() {
        if (next == null) {
          next = nextText();
        }
        return next != null;
      }

      @Override
      public String next() {
        if (!hasNext()) {
          throw new NoSuchElementException("the generation has ended");
        }
        String s = next;
        next = null;
        return s;
      }
    };
  }

  /** The chunks of text as a sequential stream; closing the stream cancels the generation. */
  public Stream<String> stream() {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
        Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
  }
}
