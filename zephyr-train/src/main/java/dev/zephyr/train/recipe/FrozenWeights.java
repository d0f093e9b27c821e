package dev.zephyr.train.recipe;

import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.HalfPrecisionWeights;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.lora.LoraConfig;
import java.nio.file.Path;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which weights a run loads at 2 bytes: a model that does not train (a DPO reference) or the frozen base of a LoRA run
 * keeps its BF16/F16 weight matrices as the checkpoint stores them ({@link LlamaModel#load(Path, NDManager,
 * Predicate)}); full fine-tuning loads float32 master weights. Norm weights and biases are widened whatever the dtype:
 * they are a few thousand scalars, and keeping them float32 leaves every model at least one float32 array, which the
 * trainer uses to find the model's native manager.
 */
public final class FrozenWeights {
  private static final Logger LOG = LoggerFactory.getLogger(FrozenWeights.class);

  private FrozenWeights() {}

  /** Projection matrices, the embedding and an untied head: the names a frozen model keeps at 2 bytes. */
  public static boolean isMatrix(String name) {
    return HalfPrecisionWeights.isMatrix(name);
  }

  /**
   * The weights kept at 2 bytes under a LoRA adapter: every matrix, except the embedding and head when the adapter
   * has {@code modules_to_save} (both may be embed_tokens or lm_head, and a tied head's copy is made from the
   * embedding): their trained copies start from float32 base values.
   */
  public static Predicate<String> underAdapter(LoraConfig lora) {
    if (lora.modulesToSave().isEmpty()) {
      return FrozenWeights::isMatrix;
    }
    return name -> name.endsWith("_proj.weight");
  }

  /**
   * The model a run trains: float32 for full fine-tuning, its matrices kept at 2 bytes under an adapter. A kept base
   * without {@code gradient_checkpointing} gets one WARN line: the graph of a step then holds every layer widened.
   */
  static LlamaModel loadBase(Path dir, LoraConfig lora, boolean gradientCheckpointing, NDManager root) {
    if (AdaptedModel.isAdapterDirectory(dir)) {
      return AdaptedModel.loadMerged(dir, root); // merged weights are float32 (rounded to the base's precision)
    }
    if (lora == null) {
      return LlamaModel.load(dir, root);
    }
    LlamaModel base = LlamaModel.load(dir, root, underAdapter(lora));
    if (base.halfPrecisionWeights() != null && !gradientCheckpointing) {
      LOG.warn("the LoRA base {} is held at 2 bytes per weight, but without gradient_checkpointing each step keeps"
          + " every layer's weights widened to float32 until backward; set gradient_checkpointing: true to widen one"
          + " layer at a time", dir);
    }
    return base;
  }

  /** A model that only scores (a DPO reference): matrices kept at 2 bytes when the checkpoint stores them so. */
  static LlamaModel loadFrozen(Path dir, NDManager root) {
    if (AdaptedModel.isAdapterDirectory(dir)) {
      return AdaptedModel.loadMerged(dir, root);
    }
    return LlamaModel.load(dir, root, FrozenWeights::isMatrix);
  }
}
