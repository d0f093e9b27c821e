package dev.zephyr.core.model.safetensors;

import ai.djl.ndarray.types.Shape;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name  the tensor's name (Hugging Face parameter name)
 * @param dtype element type as stored in the file
 * @param shape dimensions; an empty shape is a scalar
 * @param begin first byte, relative to the start of the data section (just after the header)
 * @param end   one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, Dtype dtype, Shape shape, long begin, long end) {
  /** Number of bytes the tensor occupies in the file. */
  public long byteLength() {
    return end - begin;
  }

  /** Number of elements (1 for a scalar). */
  public long elementCount() {
    return shape.size();
  }
}
