package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Minimal single-file safetensors reading for fixtures (F32, BF16), used until the checkpoint reader lands. */
final class FixtureWeights {
  private FixtureWeights() {}

  static Map<String, NDArray> read(Path file, NDManager m) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) buf.getLong(0);
    JsonNode header = Json.mapper().readTree(new String(buf.array(), 8, n, java.nio.charset.StandardCharsets.UTF_8));
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals("__metadata__")) {
        continue;
      }
      JsonNode meta = e.getValue();
      long[] shape = new long[meta.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = meta.get("shape").get(i).asLong();
      }
      int start = 8 + n + meta.get("data_offsets").get(0).asInt();
      int count = (int) new Shape(shape).size();
      float[] data = new float[count];
      String dtype = meta.get("dtype").asText();
      for (int i = 0; i < count; i++) {
        data[i] = switch (dtype) {
          case "F32" -> buf.getFloat(start + 4 * i);
          case "BF16" -> Float.intBitsToFloat((buf.getShort(start + 2 * i) & 0xffff) << 16);
          default -> throw new IllegalArgumentException(dtype);
        };
      }
      NDArray a = m.create(data, new Shape(shape));
      out.put(e.getKey(), a);
    }
    return out;
  }

  static LlamaModel model(Path dir, NDManager parent) throws IOException {
    NDManager m = parent.newSubManager();
    return new LlamaModel(ModelConfig.load(dir), read(dir.resolve("model.safetensors"), m), m);
  }
}
