package dev.zephyr.data.almost;

import dev.zephyr.core.chat.Message;
import java.util.List;

/**
 * A scalar reward for whole conversations (the last assistant turn is what is judged). The training module provides
 * the real one; tests use simple functions.
 */
public interface RewardModel {
  /** One score per conversation, in order; higher is better. */
  double[] score(List<List<Message>> conversations);
}
