package dev.zephyr.train.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.ModelFiles;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.train.loop.DecoderGraph;
import dev.zephyr.train.loop.PaddedRows;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A reward model: the decoder plus a scalar head {@code score.weight} [1, hidden] (no bias), as Hugging Face's
 * {@code LlamaForSequenceClassification} with {@code num_labels = 1}. The reward of a sequence is the head applied to
 * the final hidden state of its last non-padding token.
 *
 * <p>Saved layout (loadable by transformers' {@code AutoModelForSequenceClassification}): {@code config.json} with
 * {@code architectures = ["LlamaForSequenceClassification"]}, {@code num_labels = 1}, {@code id2label = {0: "LABEL_0"}};
 * {@code model.safetensors} with the decoder weights ({@code model.*}) and {@code score.weight}; no {@code lm_head}.
 */
public final class RewardModel implements AutoCloseable {
  public static final String SCORE = "score.weight";

  private final LlamaModel decoder;
  private final NDArray score;

  public RewardModel(LlamaModel decoder, NDArray score) {
    this.decoder = decoder;
    this.score = score;
    long h = decoder.config().hiddenSize();
    if (!score.getShape().equals(new Shape(1, h))) {
      throw new CheckpointException(SCORE + " must have shape [1, " + h + "], found " + score.getShape());
    }
  }

  /** A reward model on {@code decoder} with a fresh head ~ N(0, std²), owned by the decoder's manager. */
  public static RewardModel withNewHead(LlamaModel decoder, double std, long seed) {
    int h = decoder.config().hiddenSize();
    float[] w = new float[h];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < h; i++) {
      w[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
    }
    NDManager m = decoder.parameters().values().iterator().next().getManager();
    return new RewardModel(decoder, m.create(w, new Shape(1, h)));
  }

  /** Loads a directory written by {@link #save}. */
  public static RewardModel load(Path dir, NDManager parent) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> all = Safetensors.load(dir, m);
    NDArray score = all.remove(SCORE);
    if (score == null) {
      m.close();
      throw new CheckpointException(dir + ": no " + SCORE + " (not a reward model directory)");
    }
    ModelConfig config = ModelConfig.load(dir);
    if (!config.tieWordEmbeddings()) {
      // the saved layout has no LM head; a zero head keeps the decoder's shape checks happy and is never used
      all.put("lm_head.weight", m.zeros(new Shape(config.vocabSize(), config.hiddenSize())));
    }
    return new RewardModel(new LlamaModel(config, all, m), score);
  }

  /** Trainable parameters: the decoder's and the head's, by HF name. */
  public Map<String, NDArray> parameters() {
    Map<String, NDArray> p = new LinkedHashMap<>();
    decoder.parameters().forEach((k, v) -> {
      if (!k.equals("lm_head.weight")) {
        p.put(k, v);
      }
    });
    p.put(SCORE, score);
    return p;
  }

  public LlamaModel decoder() {
    return decoder;
  }

  /** Rewards {@code [B]} of right-padded rows, each read at its last token. */
  public NDArray rewards(PaddedRows rows) {
    return rewardsOf(DecoderGraph.forward(decoder, rows, false).hidden(), rows.rowLengths());
  }

  /** Rewards {@code [B]} from the decoder's final hidden states {@code [B, T, H]}, read at {@code lengths[b] - 1}. */
  public NDArray rewardsOf(NDArray hidden, int[] lengths) {
    NDManager m = score.getManager();
    long b = hidden.getShape().get(0);
    long t = hidden.getShape().get(1);
    long h = hidden.getShape().get(2);
    long[] rows = new long[lengths.length];
    for (int i = 0; i < lengths.length; i++) {
      rows[i] = i * t + lengths[i] - 1;
    }
    NDArray last = hidden.reshape(b * t, h).get(m.create(rows));
    return last.matMul(score.transpose()).reshape(b);
  }

  /** Writes the documented Hugging Face sequence-classification layout into {@code dir}, without tokenizer files. */
  public void save(Path dir) {
    save(dir, null);
  }

  /**
   * Writes the documented Hugging Face sequence-classification layout into {@code dir}, with the tokenizer files found
   * in {@code tokenizerSource} (may be null), atomically through {@link ModelFiles#saveDirectory}: a reader never sees
   * half a reward model.
   */
  public void save(Path dir, Path tokenizerSource) {
    ObjectNode cfg = decoder.config().toJsonNode();
    cfg.putArray("architectures")
        .add(decoder.config().modelType().architecture().replace("ForCausalLM", "ForSequenceClassification"));
    cfg.put("num_labels", 1);
    cfg.putObject("id2label").put("0", "LABEL_0");
    cfg.putObject("label2id").put("LABEL_0", 0);
    ModelFiles.saveDirectory(dir, ModelFiles.Contents.of(cfg, null, parameters(), tokenizerSource));
  }

  @Override
  public void close() {
    decoder.close();
  }

  /** Index helper kept for callers that slice rewards of a [chosen; rejected] batch. */
  static NDIndex range(int from, int to) {
    return new NDIndex("{}:{}", from, to);
  }
}
