package dev.zephyr.data.almost;

import dev.zephyr.core.chat.Message;
import java.util.List;

/**
 * What ALMoST's agreement filter and RMSP best-of-N ask of a reward model: a scalar reward for whole conversations
 * (the last assistant turn is what is judged). zephyr-train's {@code ChatRewardModel} answers it with a trained
 * reward model; tests use simple functions.
 */
public interface RewardScorer {
  /** One score per conversation, in order; higher is better. */
  double[] score(List<List<Message>> conversations);
}
