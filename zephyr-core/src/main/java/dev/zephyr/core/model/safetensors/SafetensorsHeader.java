package dev.zephyr.core.model.safetensors;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The validated header of one safetensors file.
 *
 * @param metadata   the {@code __metadata__} string map (empty when absent)
 * @param tensors    tensor entries in header order
 * @param dataOffset absolute file offset where the data section starts (8 + header length)
 */
public record SafetensorsHeader(Map<String, String> metadata, List<TensorInfo> tensors, long dataOffset) {
  public SafetensorsHeader {
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    tensors = List.copyOf(tensors);
  }

  /** The entry called {@code name}, if the file has one. */
  public Optional<TensorInfo> tensor(String name) {
    return tensors.stream().filter(t -> t.name().equals(name)).findFirst();
  }
}
