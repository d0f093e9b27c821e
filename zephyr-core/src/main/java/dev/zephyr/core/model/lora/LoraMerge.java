package dev.zephyr.core.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.LlamaWeights;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.model.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Folds a LoRA adapter into its base, as PEFT's {@code merge_and_unload} does: {@code W' = W + scaling·B·A} for every
 * adapted projection, trained copies for the modules to save, everything else unchanged.
 */
public final class LoraMerge {
  private LoraMerge() {}

  /** The merged model's parameters by Hugging Face name (new arrays owned by {@code m} where merged). */
  public static Map<String, NDArray> mergedParameters(LlamaModel base, LoraAdapter adapter, NDManager m) {
    Map<String, NDArray> all = new LinkedHashMap<>(base.parameters());
    all.putAll(adapter.mergedWeights(base, m));
    return all;
  }

  /** The merged model's config: untied when the base is tied and the adapter trained its own embedding or head. */
  public static ModelConfig mergedConfig(ModelConfig base, LoraConfig lora) {
    return base.tieWordEmbeddings() && !lora.modulesToSave().isEmpty()
        ? base.toBuilder().tieWordEmbeddings(false).build() : base;
  }

  /**
   * Writes base model {@code baseDir} with adapter {@code adapterDir} merged as a Hugging Face model directory at
   * {@code outputDir}, weights stored in the base's dtype (that of {@code model.embed_tokens.weight}), tokenizer files
   * copied from the base. A {@code baseDir} that is itself an adapter directory is merged into its own base first
   * ({@link AdaptedModel#loadMerged}).
   */
  public static void mergeToDirectory(Path baseDir, Path adapterDir, Path outputDir) {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel base = AdaptedModel.loadMerged(baseDir, root);
        LoraAdapter adapter = PeftFiles.load(adapterDir, base.config(), root);
        NDManager m = root.newSubManager()) {
      LlamaWeights.save(mergedConfig(base.config(), adapter.config()), mergedParameters(base, adapter, m), outputDir,
          storedDtype(AdaptedModel.modelDirOf(baseDir)), AdaptedModel.tokenizerDirOf(baseDir));
    }
  }

  /** Storage type of the base's embedding in its safetensors files (F32 when it cannot be told). */
  static Dtype storedDtype(Path modelDir) {
    for (Path f : Safetensors.checkpointFiles(modelDir)) {
      for (TensorInfo t : Safetensors.readHeader(f).tensors()) {
        if (t.name().equals("model.embed_tokens.weight")) {
          return t.dtype() == Dtype.BF16 || t.dtype() == Dtype.F16 ? t.dtype() : Dtype.F32;
        }
      }
    }
    return Dtype.F32;
  }
}
