package org.sparsej.spark;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Maps an iterator through asynchronous work, keeping up to {@code window} items in flight and handing results
 * back in input order. A partition's rows go to the batching engine this way, several sequences at a time,
 * while Spark reads the partition one row at a time.
 */
final class OrderedWindow<I, O> implements Iterator<O> {
  private final Iterator<I> input;
  private final Function<I, Pending<O>> start;
  private final int window;
  private final ArrayDeque<Pending<O>> inFlight = new ArrayDeque<>();

  /** One item's work: its result, which must not fail (errors become results), and how to stop it. */
  record Pending<O>(CompletableFuture<O> result, Runnable cancel) { }

  OrderedWindow(Iterator<I> input, int window, Function<I, Pending<O>> start) {
    this.input = input;
    this.start = start;
    this.window = window;
  }

  @Override
  public boolean hasNext() {
    fill();
    return !inFlight.isEmpty();
  }

  @Override
  public O next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return inFlight.removeFirst().result().join();
  }

  /** Cancels what is still in flight (the task ended early). */
  void cancel() {
    for (Pending<O> p : inFlight) {
      p.cancel().run();
    }
    inFlight.clear();
  }

  private void fill() {
    while (inFlight.size() < window && input.hasNext()) {
      inFlight.addLast(start.apply(input.next()));
    }
  }
}
