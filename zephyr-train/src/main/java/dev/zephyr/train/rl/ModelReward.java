package dev.zephyr.train.rl;

import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.train.loop.PaddedRows;
import dev.zephyr.train.reward.RewardModel;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link RewardFunction} backed by a reward model: each {@code query ++ response} is scored at its last token, as
 * TRL's {@code get_reward} reads the score at the last non-padding token, {@code batchSize} rows per forward, without
 * gradients.
 */
public final class ModelReward implements RewardFunction {
  private final RewardModel model;
  private final int batchSize;

  public ModelReward(RewardModel model, int batchSize) {
    this.model = model;
    this.batchSize = batchSize;
  }

  @Override
  public double[] score(List<int[]> queries, List<int[]> responses) {
    double[] out = new double[queries.size()];
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int start = 0; start < queries.size(); start += batchSize) {
        int end = Math.min(queries.size(), start + batchSize);
        List<int[]> rows = new ArrayList<>();
        for (int i = start; i < end; i++) {
          rows.add(ResponseBatch.concat(queries.get(i), responses.get(i)));
        }
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          float[] r = model.rewards(PaddedRows.of(rows)).toFloatArray();
          for (int i = 0; i < r.length; i++) {
            out[start + i] = r[i];
          }
        }
      }
    } finally {
      JniUtils.setGradMode(grad);
    }
    return out;
  }
}
