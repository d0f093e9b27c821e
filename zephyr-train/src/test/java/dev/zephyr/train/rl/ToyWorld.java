package dev.zephyr.train.rl;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelType;
import dev.zephyr.train.reward.RewardModel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded toy for the on-policy trainers: a tiny random Llama over 12 tokens (EOS = 2), prompts of three random
 * tokens, and a rule-based reward: the fraction of response tokens that are the target token 5.
 */
final class ToyWorld {
  static final int TARGET = 5;
  static final int EOS = 2;
  static final ModelConfig CONFIG = ModelConfig.builder().modelType(ModelType.LLAMA).vocabSize(12).hiddenSize(16)
      .intermediateSize(32).numHiddenLayers(2).numAttentionHeads(2).numKeyValueHeads(1).rmsNormEps(1e-5)
      .ropeTheta(10000.0).maxPositionEmbeddings(64).bosTokenId(1).eosTokenIds(List.of(EOS)).build();

  private ToyWorld() {}

  static LlamaModel policy(NDManager m) {
    return LlamaModel.random(CONFIG, 11, 0.1, m);
  }

  /** A value model: a decoder of its own with a zero head. */
  static RewardModel valueModel(NDManager m) {
    return RewardModel.withNewHead(LlamaModel.random(CONFIG, 12, 0.1, m), 0.0, 0);
  }

  static List<int[]> prompts(int n) {
    SplittableRandom r = new SplittableRandom(5);
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new int[] {1, 3 + r.nextInt(9), 3 + r.nextInt(9)});
    }
    return out;
  }

  static final RewardFunction TARGET_FRACTION = (queries, responses) -> {
    double[] s = new double[responses.size()];
    for (int b = 0; b < s.length; b++) {
      int[] resp = responses.get(b);
      int hits = 0;
      for (int t : resp) {
        hits += t == TARGET ? 1 : 0;
      }
      s[b] = (double) hits / resp.length;
    }
    return s;
  };
}
