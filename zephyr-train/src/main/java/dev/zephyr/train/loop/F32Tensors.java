package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Float32 tensors in the safetensors format (8-byte little-endian header length, JSON header, raw little-endian
 * data), for training checkpoints: weights and optimizer moments round-trip bit for bit. Files are written atomically.
 */
public final class F32Tensors {
  private F32Tensors() {}

  /** A tensor read back: its shape and values. */
  public record Tensor(long[] shape, float[] values) {}

  /** Writes {@code arrays} (any float dtype is stored as F32) sorted by name, atomically. */
  public static void write(Path file, Map<String, NDArray> arrays) {
    Map<String, float[]> values = new TreeMap<>();
    Map<String, long[]> shapes = new TreeMap<>();
    for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
      NDArray a = e.getValue();
      values.put(e.getKey(), a.getDataType() == DataType.FLOAT32 ? a.toFloatArray()
          : toFloat(a));
      shapes.put(e.getKey(), a.getShape().getShape());
    }
    ObjectNode header = Json.mapper().createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      var shape = t.putArray("shape");
      for (long d : shapes.get(e.getKey())) {
        shape.add(d);
      }
      long end = offset + 4L * e.getValue().length;
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - headerBytes.length % 8) % 8;
    AtomicFiles.write(file, out -> {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length + pad);
      out.write(len.array());
      out.write(headerBytes);
      out.write(" ".repeat(pad).getBytes(StandardCharsets.US_ASCII));
      for (float[] v : values.values()) {
        ByteBuffer buf = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(v);
        out.write(buf.array());
      }
    });
  }

  private static float[] toFloat(NDArray a) {
    try (NDArray f = a.toType(DataType.FLOAT32, true)) {
      return f.toFloatArray();
    }
  }

  /** Reads every F32 tensor of {@code file} by name, in file order. */
  public static Map<String, Tensor> read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] lenBytes = in.readNBytes(8);
      if (lenBytes.length < 8) {
        throw new CheckpointException(file + ": truncated safetensors file");
      }
      long headerLen = ByteBuffer.wrap(lenBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (headerLen <= 0 || headerLen > 100_000_000) {
        throw new CheckpointException(file + ": implausible safetensors header length " + headerLen);
      }
      JsonNode header = Json.mapper().readTree(in.readNBytes((int) headerLen));
      byte[] data = in.readAllBytes();
      Map<String, Tensor> out = new LinkedHashMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = header.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode t = e.getValue();
        if (!"F32".equals(t.path("dtype").asText())) {
          throw new CheckpointException(file + ": tensor " + e.getKey() + " has dtype " + t.path("dtype").asText()
              + ", training checkpoints hold F32 only");
        }
        List<Long> shape = new ArrayList<>();
        t.path("shape").forEach(d -> shape.add(d.asLong()));
        int begin = t.path("data_offsets").get(0).asInt();
        int end = t.path("data_offsets").get(1).asInt();
        if (begin < 0 || end > data.length || end < begin) {
          throw new CheckpointException(file + ": tensor " + e.getKey() + " lies outside the data section");
        }
        float[] v = new float[(end - begin) / 4];
        ByteBuffer.wrap(data, begin, end - begin).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        out.put(e.getKey(), new Tensor(shape.stream().mapToLong(Long::longValue).toArray(), v));
      }
      return out;
    } catch (IOException e) {
      throw new CheckpointException("cannot read " + file, e);
    }
  }
}
