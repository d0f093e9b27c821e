package dev.zephyr.train.rl;

import java.util.List;

/**
 * Scores sampled responses, TRL's {@code get_reward} on the reward model or any rule: one score per
 * {@code (query, response)} pair of token ids. The response keeps its final EOS token when it has one.
 */
@FunctionalInterface
public interface RewardFunction {
  double[] score(List<int[]> queries, List<int[]> responses);
}
