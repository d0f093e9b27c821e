package dev.zephyr.quickstart;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.reward.ChatRewardModel;
import dev.zephyr.train.reward.RewardModel;
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
  private final Tokenizer tokenizer;
  private final RewardModel model;
  private final ChatRewardModel scorer;

  private LocalRewardModel(NDManager manager, Tokenizer tokenizer, RewardModel model, int maxLength) {
    this.manager = manager;
    this.tokenizer = tokenizer;
    this.model = model;
    this.scorer = new ChatRewardModel(model, ChatTokenizer.of(tokenizer), BATCH, maxLength);
  }

  /** Opens {@code dir}; conversations longer than {@code maxLength} tokens are read by their end. */
  static LocalRewardModel open(Path dir, int maxLength) {
    NDManager manager = NDManager.newBaseManager();
    Tokenizer tokenizer = null;
    try {
      tokenizer = Tokenizer.load(dir);
      return new LocalRewardModel(manager, tokenizer, RewardModel.load(dir, manager), maxLength);
    } catch (RuntimeException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      manager.close();
      throw e;
    }
  }

  /** The reward of each conversation. */
  double[] score(List<List<Message>> conversations) {
    return scorer.score(conversations);
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
    manager.close();
  }
}
