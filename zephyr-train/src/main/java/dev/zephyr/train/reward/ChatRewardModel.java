package dev.zephyr.train.reward;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.data.almost.RewardScorer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ALMoST {@link RewardScorer} backed by a trained {@link RewardModel}: each conversation is rendered with the chat
 * template, tokenized, and scored at its last token, {@code batchSize} at a time.
 */
public final class ChatRewardModel implements RewardScorer {
  private final RewardModel model;
  private final ChatTokenizer tokenizer;
  private final int batchSize;
  private final int maxLength;

  /**
   * @param maxLength conversations longer than this keep their last {@code maxLength} tokens (the judged turn)
   */
  public ChatRewardModel(RewardModel model, ChatTokenizer tokenizer, int batchSize, int maxLength) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.batchSize = batchSize;
    this.maxLength = maxLength;
  }

  /**
   * Opens a reward-model directory ({@code zephyr rm}'s layout with its tokenizer) for scoring: the weights in
   * {@code manager}, closed with the tokenizer when the result is.
   */
  public static Opened open(Path dir, NDManager manager, int batchSize, int maxLength) {
    Tokenizer tokenizer = Tokenizer.load(dir);
    try {
      RewardModel model = RewardModel.load(dir, manager);
      return new Opened(new ChatRewardModel(model, ChatTokenizer.of(tokenizer), batchSize, maxLength), model, tokenizer);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** A reward model opened from its directory, with what it holds. */
  public record Opened(ChatRewardModel scorer, RewardModel model, Tokenizer tokenizer) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
      tokenizer.close();
    }
  }

  @Override
  public double[] score(List<List<Message>> conversations) {
    double[] out = new double[conversations.size()];
    RewardTask task = new RewardTask(model, new BradleyTerryLoss(0));
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int start = 0; start < conversations.size(); start += batchSize) {
        int end = Math.min(conversations.size(), start + batchSize);
        List<RewardTask.Pair> rows = new ArrayList<>();
        for (int i = start; i < end; i++) {
          int[] ids = tokenizer.applyChatTemplate(conversations.get(i), false).inputIds();
          if (ids.length > maxLength) {
            ids = java.util.Arrays.copyOfRange(ids, ids.length - maxLength, ids.length);
          }
          // a pair of the sequence with itself: the task's [chosen; rejected] layout, read back as one score
          rows.add(new RewardTask.Pair(ids, ids, 0));
        }
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          float[] r = task.rewards(task.collate(rows)).toFloatArray();
          for (int i = 0; i < rows.size(); i++) {
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
