package dev.zephyr.core.model.safetensors;

import ai.djl.ndarray.types.DataType;
import java.util.Optional;

/**
 * Element types of the safetensors format, under the names the format uses in its JSON header ({@code "BF16"}...).
 * {@link Safetensors#load} widens 16-bit floats to float32, because DJL's PyTorch engine aborts on BF16 arrays;
 * {@link Safetensors#loadKeeping16Bit} keeps their raw bits instead.
 */
public enum Dtype {
  F64(8, DataType.FLOAT64),
  F32(4, DataType.FLOAT32),
  F16(2, DataType.FLOAT32),
  BF16(2, DataType.FLOAT32),
  I64(8, DataType.INT64),
  I32(4, DataType.INT32),
  I8(1, DataType.INT8),
  U8(1, DataType.UINT8),
  BOOL(1, DataType.BOOLEAN);

  private final int byteSize;
  private final DataType loadedAs;

  Dtype(int byteSize, DataType loadedAs) {
    this.byteSize = byteSize;
    this.loadedAs = loadedAs;
  }

  /** Bytes per element in the file. */
  public int byteSize() {
    return byteSize;
  }

  /** The DJL type a tensor of this dtype becomes when loaded (F16 and BF16 are widened to float32). */
  public DataType loadedAs() {
    return loadedAs;
  }

  /** True for the types {@link Safetensors#save} can write floating-point arrays as. */
  public boolean isFloatingStorage() {
    return this == F32 || this == F16 || this == BF16;
  }

  /** Looks up a header dtype name such as {@code "BF16"}; empty when the name is not one we read. */
  public static Optional<Dtype> fromHeaderName(String name) {
    for (Dtype d : values()) {
      if (d.name().equals(name)) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }
}
