package dev.zephyr.core.generate;

import dev.zephyr.core.chat.SamplingParams;
import java.util.Arrays;

/**
 * The repetition, presence and frequency penalties of one sequence, with the token history they need kept up to date
 * one token at a time. Semantics are vLLM's (and, for the repetition penalty, transformers'):
 * <ul>
 *   <li>repetition penalty {@code p} over every distinct token of the prompt and of the output so far:
 *       {@code logit > 0 ? logit / p : logit * p};</li>
 *   <li>then, over the tokens generated so far (the prompt does not count), with {@code count} the number of times a
 *       token was generated: {@code logit -= frequency_penalty * count}, and {@code logit -= presence_penalty} when
 *       {@code count > 0}.</li>
 * </ul>
 * Each step touches only the distinct tokens seen so far, never the whole vocabulary. Vocabulary-sized tables are
 * allocated only for the penalties a request uses; without penalties {@link #apply} does nothing.
 */
public final class TokenPenalties {
  private static final TokenPenalties NONE = new TokenPenalties(1f, 0f, 0f, 0);

  private final float repetition;
  private final float presence;
  private final float frequency;
  /** Repetition penalty: whether a token is in the prompt or the output, and the distinct such tokens. */
  private final boolean[] seen;
  private int[] seenIds = new int[0];
  private int seenSize;
  /** Presence and frequency penalties: how often each token was generated, and the distinct generated tokens. */
  private final int[] counts;
  private int[] outputIds = new int[0];
  private int outputSize;

  private TokenPenalties(float repetition, float presence, float frequency, int vocabSize) {
    this.repetition = repetition;
    this.presence = presence;
    this.frequency = frequency;
    this.seen = repetition != 1f ? new boolean[vocabSize] : null;
    this.counts = presence != 0f || frequency != 0f ? new int[vocabSize] : null;
  }

  /**
   * The penalties of {@code params} for a sequence that starts with {@code prompt}; ids outside {@code [0, vocabSize)}
   * are ignored.
   */
  public static TokenPenalties of(SamplingParams params, int[] prompt, int vocabSize) {
    if (!params.hasPenalties()) {
      return NONE;
    }
    TokenPenalties t = new TokenPenalties((float) params.repetitionPenalty(), (float) params.presencePenalty(),
        (float) params.frequencyPenalty(), vocabSize);
    if (t.seen != null) {
      for (int id : prompt) {
        t.markSeen(id);
      }
    }
    return t;
  }

  /** No penalties: {@link #apply} leaves logits alone. */
  public static TokenPenalties none() {
    return NONE;
  }

  /** Whether {@link #apply} can change logits (false for {@link #none()}). */
  boolean active() {
    return this != NONE;
  }

  /** Records one generated token. */
  public void add(int token) {
    if (this == NONE) {
      return;
    }
    if (seen != null) {
      markSeen(token);
    }
    if (counts != null && token >= 0 && token < counts.length) {
      if (counts[token]++ == 0) {
        outputIds = push(outputIds, outputSize++, token);
      }
    }
  }

  /** Penalises one row of logits (vocabulary-sized) in place. */
  public void apply(float[] logits) {
    for (int i = 0; i < seenSize; i++) {
      int id = seenIds[i];
      float l = logits[id];
      logits[id] = l > 0 ? l / repetition : l * repetition;
    }
    for (int i = 0; i < outputSize; i++) {
      int id = outputIds[i];
      // two subtractions in float, in vLLM's order
      logits[id] -= frequency * counts[id];
      logits[id] -= presence;
    }
  }

  private void markSeen(int id) {
    if (id >= 0 && id < seen.length && !seen[id]) {
      seen[id] = true;
      seenIds = push(seenIds, seenSize++, id);
    }
  }

  private static int[] push(int[] ids, int size, int id) {
    int[] out = size < ids.length ? ids : Arrays.copyOf(ids, Math.max(16, ids.length * 2));
    out[size] = id;
    return out;
  }
}
