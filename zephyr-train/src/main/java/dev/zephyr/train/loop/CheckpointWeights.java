package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import java.nio.file.Path;
import java.util.Map;

/**
 * How a checkpoint stores the trainable parameters: which files it writes, and under which name each parameter sits
 * in the safetensors file a resume reads. Full fine-tuning writes {@link #MODEL}; a LoRA run writes the adapter as
 * PEFT saves it (see {@code LoraTraining.checkpointWeights}), as TRL's checkpoints hold it.
 */
public interface CheckpointWeights {
  /** Writes {@code params} (float32) into {@code checkpointDir}, the directory being assembled. */
  void write(Path checkpointDir, Map<String, NDArray> params);

  /** The safetensors file of {@code checkpoint} that holds the parameters. */
  Path file(Path checkpoint);

  /** The name under which trainable parameter {@code parameter} is stored in {@link #file}. */
  String storedName(String parameter);

  /** {@code model.safetensors}, float32, every parameter under its Hugging Face name. */
  CheckpointWeights MODEL = new CheckpointWeights() {
    @Override
    public void write(Path checkpointDir, Map<String, NDArray> params) {
      Safetensors.save(checkpointDir.resolve(CheckpointStore.MODEL), params, Dtype.F32);
    }

    @Override
    public Path file(Path checkpoint) {
      return checkpoint.resolve(CheckpointStore.MODEL);
    }

    @Override
    public String storedName(String parameter) {
      return parameter;
    }
  };
}
