package dev.zephyr.train.data;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Applies a function to a stream of items on a few worker threads and hands the results to a sink in the order the
 * items came, with at most {@code window} items accepted but not yet handed on. The producer blocks when the window is
 * full, so memory is bounded by the window (a few hundred rows), not by the stream; the results are the same, and in
 * the same order, for any number of workers.
 *
 * @param <I> an item (a dataset row)
 * @param <O> its result (a tokenised example)
 */
public final class OrderedPool<I, O> implements AutoCloseable {
  private static final AtomicInteger POOLS = new AtomicInteger();
  private final Function<I, O> work;
  private final Consumer<O> sink;
  private final int window;
  private final ExecutorService executor;
  private final ArrayDeque<Future<O>> pending = new ArrayDeque<>();

  /**
   * @param workers threads that run {@code work}; 1 still overlaps reading and tokenising
   * @param window items in flight at most (at least {@code workers})
   */
  public OrderedPool(int workers, int window, Function<I, O> work, Consumer<O> sink) {
    if (workers < 1 || window < workers) {
      throw new IllegalArgumentException("need workers >= 1 and window >= workers, got " + workers + " and " + window);
    }
    this.work = work;
    this.sink = sink;
    this.window = window;
    int pool = POOLS.incrementAndGet();
    AtomicInteger thread = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "zephyr-tokenize-" + pool + "-" + thread.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Queues an item; first hands on the oldest result when the window is full (blocking until it is ready). */
  public void accept(I item) {
    while (pending.size() >= window) {
      emitOldest();
    }
    pending.add(executor.submit(() -> work.apply(item)));
  }

  /** Items accepted whose result has not been handed on yet. */
  public int inFlight() {
    return pending.size();
  }

  /** Hands on every remaining result, in order. */
  public void finish() {
    while (!pending.isEmpty()) {
      emitOldest();
    }
  }

  private void emitOldest() {
    Future<O> head = pending.poll();
    O result;
    try {
      result = head.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for a worker", e);
    } catch (ExecutionException e) {
      // the first failing item in stream order wins; its error names the file and line
      cancelAll();
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(e.getCause());
    }
    sink.accept(result);
  }

  private void cancelAll() {
    for (Future<O> f : pending) {
      f.cancel(true);
    }
    pending.clear();
  }

  /** Stops the workers; results not yet handed on are dropped (call {@link #finish()} first to keep them). */
  @Override
  public void close() {
    cancelAll();
    executor.shutdownNow();
  }
}
