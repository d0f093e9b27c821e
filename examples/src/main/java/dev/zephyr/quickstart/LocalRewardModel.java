package dev.zephyr.quickstart;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.Message;
import dev.zephyr.train.reward.ChatRewardModel;
import java.nio.file.Path;
import java.util.List;

/**
 * A reward-model directory ({@code zephyr rm}'s sequence-classification layout with its tokenizer) opened for scoring
 * conversations, as best-of-N and PPO score them: rendered with the chat template, read at the last token. Closing it
 * frees the weights and the tokenizer.
 */
final class LocalRewardModel implements AutoCloseable {
  /** Conversations per forward. */
  private static final int BATCH = 32;

  private final NDManager manager;
  private final ChatRewardModel.Opened opened;

  private LocalRewardModel(NDManager manager, ChatRewardModel.Opened opened) {
    this.manager = manager;
    this.opened = opened;
  }

  /** Opens {@code dir}; conversations longer than {@code maxLength} tokens are read by their end. */
  static LocalRewardModel open(Path dir, int maxLength) {
    NDManager manager = NDManager.newBaseManager();
    try {
      return new LocalRewardModel(manager, ChatRewardModel.open(dir, manager, BATCH, maxLength));
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** The reward of each conversation. */
  double[] score(List<List<Message>> conversations) {
    return opened.scorer().score(conversations);
  }

  @Override
  public void close() {
    opened.close();
    manager.close();
  }
}
