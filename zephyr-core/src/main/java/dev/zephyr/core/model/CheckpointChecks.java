package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.model.safetensors.TensorInfo;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What a model directory must satisfy before and after its weights are read. Model directories are untrusted input:
 * the tensors' headers are checked against the shapes {@code config.json} implies before a byte of data is
 * allocated, and the loaded weights must be finite, so a wrong or hostile checkpoint fails with the tensor's name
 * instead of an out-of-memory error or a model that silently generates garbage.
 */
final class CheckpointChecks {
  /** System property that lets NaN or infinite weights load (for debugging a broken checkpoint). */
  static final String ALLOW_NON_FINITE = "zephyr.allowNonFiniteWeights";

  private CheckpointChecks() {}

  /** Every parameter the config implies is in the files' headers with that shape (biases may be absent). */
  static void headersMatch(ModelConfig config, Path dir) {
    Map<String, TensorInfo> inFiles = new HashMap<>();
    Map<String, Path> fileOf = new HashMap<>();
    for (Path f : Safetensors.checkpointFiles(dir)) {
      for (TensorInfo t : Safetensors.readHeader(f).tensors()) {
        inFiles.put(t.name(), t);
        fileOf.put(t.name(), f);
      }
    }
    for (Map.Entry<String, Shape> e : LlamaWeights.parameterShapes(config).entrySet()) {
      TensorInfo t = inFiles.get(e.getKey());
      if (t == null) {
        if (e.getKey().endsWith(".bias")) {
          continue;
        }
        throw new CheckpointException(dir + ": missing tensor '" + e.getKey() + "' (config.json implies shape "
            + e.getValue() + ")");
      }
      if (!t.shape().equals(e.getValue())) {
        throw new CheckpointException(fileOf.get(e.getKey()) + ": tensor '" + e.getKey() + "' has shape " + t.shape()
            + ", config.json implies " + e.getValue());
      }
    }
  }

  /** Refuses a NaN or infinite weight, naming the tensor, unless {@value #ALLOW_NON_FINITE} is set. */
  static void finite(Map<String, NDArray> parameters, Path dir) {
    if (Boolean.getBoolean(ALLOW_NON_FINITE)) {
      return;
    }
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      NDArray a = e.getValue();
      // A scope, not a sub-manager: isNaN() and isInfinite() attach their results to the weight's manager, where
      // they would stay (2 bytes per weight) for the model's lifetime.
      try (NDScope scratch = new NDScope()) {
        scratch.suppressNotUsedWarning();
        NDArray bad = a.isNaN().logicalOr(a.isInfinite());
        if (bad.any().getBoolean()) {
          long count = bad.countNonzero().getLong();
          throw new CheckpointException(dir + ": tensor '" + e.getKey() + "' has " + count
              + " NaN or infinite values; refusing to load it (-D" + ALLOW_NON_FINITE + "=true loads it anyway)");
        }
      }
    }
  }
}
