package dev.zephyr.core.chat.limits;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ProviderException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;

/** Sends the requests of a batch to a model one by one on an executor and waits until each has its outcome. */
final class Fanout {
  private Fanout() {}

  /**
   * Sends each request with {@code model.completeEach} of that request alone, on {@code executor}, after
   * {@code beforeEach} returns for it in the calling thread (a rate limiter's wait); returns when all are answered.
   */
  static void send(ChatModel model, List<ChatRequest> requests, ChatModel.ResultHandler handler, Executor executor,
      Runnable beforeEach) {
    CountDownLatch done = new CountDownLatch(requests.size());
    RuntimeException[] unexpected = new RuntimeException[1];
    for (int i = 0; i < requests.size(); i++) {
      int index = i;
      beforeEach.run();
      executor.execute(() -> {
        try {
          model.completeEach(List.of(requests.get(index)), (j, response, failure) ->
              handler.onResult(index, response, failure));
        } catch (RuntimeException e) {
          synchronized (unexpected) {
            unexpected[0] = e;
          }
        } finally {
          done.countDown();
        }
      });
    }
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProviderException(model.name(), 0, true, "interrupted while waiting for responses", e);
    }
    if (unexpected[0] != null) {
      throw unexpected[0];
    }
  }
}
