package dev.zephyr.core.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes one safetensors file the way the Python reference (and {@code safetensors.torch}) lays it out. Offsets are
 * longs and data is streamed in chunks, so tensors and files may exceed 2 GiB.
 */
final class SafetensorsWriter {
  private SafetensorsWriter() {}

  /** A tensor to write: its name, the array and the dtype it is stored as. */
  record Entry(String name, NDArray array, Dtype dtype) {
    long byteLength() {
      return array.getShape().size() * dtype.byteSize();
    }
  }

  /** The stored dtype of {@code array}: {@code floatDtype} for floating arrays, the matching type otherwise. */
  static Dtype storedDtype(String name, NDArray array, Dtype floatDtype) {
    DataType t = array.getDataType();
    if (t.isFloating()) {
      return floatDtype;
    }
    return switch (t) {
      case INT64 -> Dtype.I64;
      case INT32 -> Dtype.I32;
      case INT8 -> Dtype.I8;
      case UINT8 -> Dtype.U8;
      case BOOLEAN -> Dtype.BOOL;
      default -> throw new CheckpointException("tensor '" + name + "': cannot store DJL type " + t + " in safetensors");
    };
  }

  /** Entries in sorted name order, as the reference writer orders them. */
  static List<Entry> entries(Map<String, NDArray> tensors, Dtype floatDtype) {
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, NDArray> e : new TreeMap<>(tensors).entrySet()) {
      entries.add(new Entry(e.getKey(), e.getValue(), storedDtype(e.getKey(), e.getValue(), floatDtype)));
    }
    return entries;
  }

  /** Atomically writes {@code entries} (already in order) to {@code file}. */
  static void write(Path file, List<Entry> entries, ObjectMapper mapper, long chunkBytes) {
    byte[] header = header(entries, mapper);
    try {
      AtomicFiles.write(file, out -> {
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
        out.write(length.array());
        out.write(header);
        for (Entry e : entries) {
          writeData(e, out, chunkBytes);
        }
      });
    } catch (java.io.UncheckedIOException e) {
      throw new CheckpointException(file + ": cannot write: " + e.getCause().getMessage(), e);
    }
  }

  /** Compact JSON header, padded with spaces to a multiple of 8 bytes so the data section stays aligned. */
  private static byte[] header(List<Entry> entries, ObjectMapper mapper) {
    ObjectNode root = mapper.createObjectNode();
    root.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Entry e : entries) {
      ObjectNode t = root.putObject(e.name());
      t.put("dtype", e.dtype().name());
      ArrayNode shape = t.putArray("shape");
      for (long d : e.array().getShape().getShape()) {
        shape.add(d);
      }
      long end = offset + e.byteLength();
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json;
    try {
      json = mapper.writeValueAsBytes(root);
    } catch (JsonProcessingException e) {
      throw new CheckpointException("cannot encode safetensors header: " + e.getMessage(), e);
    }
    int padded = (json.length + 7) / 8 * 8;
    byte[] out = java.util.Arrays.copyOf(json, padded);
    java.util.Arrays.fill(out, json.length, padded, (byte) ' ');
    return out;
  }

  private static void writeData(Entry e, OutputStream out, long chunkBytes) throws IOException {
    NDArray array = e.array();
    if (e.dtype().isFloatingStorage()) {
      TensorCopy.writeFloating(array, e.dtype(), out, chunkBytes);
      return;
    }
    // Integer and bool types: the array's own bytes, little-endian on every platform DJL's PyTorch engine runs on.
    try (NDArray flat = array.reshape(-1)) {
      long perChunk = TensorCopy.elementsPerChunk(chunkBytes, e.dtype().byteSize());
      for (long start = 0; start < flat.size(); start += perChunk) {
        try (NDArray slice = flat.get(new NDIndex().addSliceDim(start, Math.min(flat.size(), start + perChunk)))) {
          out.write(slice.toByteArray());
        }
      }
    }
  }
}
