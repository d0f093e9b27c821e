package dev.zephyr.train.recipe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.LoraAdapter;
import dev.zephyr.core.model.lora.LoraConfig;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.reward.RewardModel;
import dev.zephyr.train.rl.TrainableWeights;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of a PPO or RLOO run around its policy. Without LoRA: the policy's float32 weights all train, and the
 * reference is a frozen copy (its matrices at 2 bytes when the checkpoint stores them so, as DPO's reference). With
 * LoRA ({@code use_peft}): the base is loaded once (matrices kept at 2 bytes, as a LoRA base in SFT and DPO), the
 * policy is the base with fresh adapters and the reference is the same base with the adapters off, as TRL uses a PEFT
 * policy; only the adapters train and the output directory receives them as PEFT files.
 */
final class RlPolicy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RlPolicy.class);
  /** Mixed into the run seed for the value model's adapters, so that they do not repeat the policy's draws. */
  private static final long VALUE_ADAPTER_SALT = 0x76616C7565L;

  private final LlamaModel base;
  private final Adapted adapted;
  private final LlamaModel separateReference;
  private final LoraConfig lora;
  private final long seed;

  private RlPolicy(LlamaModel base, Adapted adapted, LlamaModel separateReference, LoraConfig lora, long seed) {
    this.base = base;
    this.adapted = adapted;
    this.separateReference = separateReference;
    this.lora = lora;
    this.seed = seed;
  }

  /** Loads {@code dir} (a model or a PEFT adapter directory, merged on load) into {@code root}. */
  static RlPolicy load(Path dir, LoraConfig lora, TrainingArguments training, NDManager root) {
    LlamaModel base = FrozenWeights.loadBase(dir, lora, training.gradientCheckpointing(), root);
    Adapted adapted = null;
    try {
      adapted = Adapted.of(base, lora, dir, training.seed(), root);
      LlamaModel reference = lora == null ? FrozenWeights.loadFrozen(dir, root) : null;
      if (lora != null && lora.loraDropout() > 0) {
        LOG.info("lora_dropout {} is written to adapter_config.json but not applied while training: TRL's PPO and"
            + " RLOO disable dropout in every model", lora.loraDropout());
      }
      return new RlPolicy(base, adapted, reference, lora, training.seed());
    } catch (RuntimeException e) {
      if (adapted != null) {
        adapted.close();
      }
      base.close();
      throw e;
    }
  }

  /** The model that samples and trains. */
  LlamaModel policy() {
    return adapted.model();
  }

  /** The frozen reference of the KL penalty: a copy, or the base under the policy's adapters. */
  LlamaModel reference() {
    return separateReference != null ? separateReference : base;
  }

  /** What the optimizer holds for the policy, with the checkpoint layout (a full model, or PEFT files). */
  TrainableWeights trainable() {
    return new TrainableWeights(adapted.trainable(), adapted.checkpointWeights());
  }

  /**
   * The critic of a PPO run on {@code valueModel}'s weights and what of it trains: every weight without LoRA; with
   * LoRA, adapters of the same rank and targets on its frozen decoder (no modules to save) plus its head
   * {@code score.weight}, so that no full copy of a model takes gradients or optimizer state.
   */
  Critic critic(RewardModel valueModel, Path valueDir, NDManager root) {
    if (lora == null) {
      return new Critic(valueModel, valueModel.parameters(), null);
    }
    LoraAdapter adapter = LoraAdapter.create(valueModel.decoder(),
        lora.withModulesToSave(List.of()).withBaseModel(valueDir.toString()), seed ^ VALUE_ADAPTER_SALT, root);
    NDArray head = valueModel.parameters().get(RewardModel.SCORE);
    Map<String, NDArray> trainable = new LinkedHashMap<>(adapter.parameters());
    trainable.put(RewardModel.SCORE, head);
    return new Critic(new RewardModel(valueModel.decoder().withAdapter(adapter), head), trainable, adapter);
  }

  /** A PPO value model, the weights of it that train, and the adapter to close with it (null without LoRA). */
  record Critic(RewardModel model, Map<String, NDArray> trainable, LoraAdapter adapter) implements AutoCloseable {
    @Override
    public void close() {
      if (adapter != null) {
        adapter.close();
      }
    }
  }

  /** Writes the trained policy: a Hugging Face directory, or the adapter's PEFT files, with the tokenizer files. */
  void export(Path tokenizerDir, Path outputDir) {
    adapted.export(tokenizerDir, outputDir);
  }

  @Override
  public void close() {
    if (separateReference != null) {
      separateReference.close();
    }
    adapted.close();
    base.close();
  }
}
