package dev.zephyr.core.model.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header, then the raw
 * little-endian tensor bytes), including Hugging Face sharded checkpoints ({@code model.safetensors.index.json}).
 *
 * <p>Tensors of any size are read and written: each tensor's bytes move between the file and one native array in
 * bounded chunks, so a tensor over 2 GiB (Qwen2.5-7B's embedding as float32) is neither refused nor held twice.
 * BF16/F16 arrive as float32 from {@link #load}, or keep their 2 bytes per element with {@link #loadKeeping16Bit}.
 * Every header is validated before any data is touched: a hostile or damaged file fails with a
 * {@link CheckpointException} naming the file and the tensor.
 */
public final class Safetensors {
  /** Name of a single-file checkpoint inside a model directory. */
  public static final String SINGLE_FILE = "model.safetensors";
  /** Name of the shard index inside a sharded model directory. */
  public static final String INDEX_FILE = "model.safetensors.index.json";
  /** Largest JSON header we accept; real headers are a few hundred KiB even for 70B models. */
  public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private static final String METADATA_KEY = "__metadata__";
  private static final Pattern SHARD_NAME = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

  /** Strict mapper for headers: a duplicated tensor name is an error, not "last one wins". */
  private static final ObjectMapper HEADER_MAPPER = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private Safetensors() {}

  // ---------------------------------------------------------------------------------------------------------------
  // Reading

  /**
   * Loads every tensor of a safetensors file, or of a model directory ({@code model.safetensors} or the shards named
   * by {@code model.safetensors.index.json}), into arrays owned by {@code manager}. Floating types become float32.
   *
   * @return tensors by name, in file order (for shards: index order of the shards, then file order)
   * @throws CheckpointException if the files are missing, malformed or only available as pickle
   */
  public static Map<String, NDArray> load(Path fileOrDir, NDManager manager) {
    return load(fileOrDir, manager, name -> true);
  }

  /**
   * Like {@link #load(Path, NDManager)}, but reads only the tensors whose names {@code include} accepts (shards
   * holding none of them are not opened). Every header is still validated in full.
   */
  public static Map<String, NDArray> load(Path fileOrDir, NDManager manager, Predicate<String> include) {
    return load(fileOrDir, manager, include, TensorCopy.DEFAULT_CHUNK_BYTES);
  }

  /** {@link #load(Path, NDManager, Predicate)} copying at most {@code chunkBytes} per step (tests use small ones). */
  static Map<String, NDArray> load(Path fileOrDir, NDManager manager, Predicate<String> include, long chunkBytes) {
    Map<String, NDArray> arrays = new LinkedHashMap<>();
    loadStored(fileOrDir, manager, include, false, chunkBytes).forEach((name, t) -> arrays.put(name, t.array()));
    return arrays;
  }

  /**
   * Like {@link #load(Path, NDManager, Predicate)}, but F16 and BF16 tensors keep their 2 bytes per element as raw
   * bits (see {@link StoredTensor}); every other dtype loads as {@code load} loads it.
   */
  public static Map<String, StoredTensor> loadKeeping16Bit(Path fileOrDir, NDManager manager,
      Predicate<String> include) {
    return loadStored(fileOrDir, manager, include, true, TensorCopy.DEFAULT_CHUNK_BYTES);
  }

  static Map<String, StoredTensor> loadStored(Path fileOrDir, NDManager manager, Predicate<String> include,
      boolean keepRaw16, long chunkBytes) {
    if (Files.isDirectory(fileOrDir)) {
      return loadDirectory(fileOrDir, manager, include, keepRaw16, chunkBytes);
    }
    return loadFile(fileOrDir, manager, include, keepRaw16, chunkBytes);
  }

  /**
   * The safetensors files that make up the checkpoint in {@code dir}, in load order. As in transformers, a single
   * {@code model.safetensors} wins over an index when both are present.
   *
   * @throws CheckpointException if there are none, naming any pickle files found instead
   */
  public static List<Path> checkpointFiles(Path dir) {
    Path single = dir.resolve(SINGLE_FILE);
    if (Files.isRegularFile(single)) {
      return List.of(single);
    }
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return List.copyOf(readIndex(index).keySet());
    }
    List<String> pickles = pickleFiles(dir);
    if (!pickles.isEmpty()) {
      throw new CheckpointException(dir + ": only pickle weights " + pickles + " are present; zephyr never loads "
          + "pickle files because unpickling can run arbitrary code. Convert them to safetensors first (for example "
          + "with transformers: model.save_pretrained(dir, safe_serialization=True)).");
    }
    throw new CheckpointException(dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE + " found");
  }

  private static List<String> pickleFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".ckpt")
              || n.equals("pytorch_model.bin.index.json"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new CheckpointException(dir + ": cannot list directory: " + e.getMessage(), e);
    }
  }

  private static Map<String, StoredTensor> loadDirectory(Path dir, NDManager manager, Predicate<String> include,
      boolean keepRaw16, long chunkBytes) {
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(dir.resolve(SINGLE_FILE)) || !Files.isRegularFile(index)) {
      return loadFile(checkpointFiles(dir).get(0), manager, include, keepRaw16, chunkBytes);
    }
    Map<Path, List<String>> shards = readIndex(index);
    Map<String, StoredTensor> out = new LinkedHashMap<>();
    try {
      for (Map.Entry<Path, List<String>> shard : shards.entrySet()) {
        if (shard.getValue().stream().noneMatch(include)) {
          continue;
        }
        Map<String, StoredTensor> tensors = loadFile(shard.getKey(), manager, include, keepRaw16, chunkBytes);
        for (String expected : shard.getValue()) {
          if (include.test(expected) && !tensors.containsKey(expected)) {
            closeAll(tensors);
            throw new CheckpointException(index + ": weight_map places tensor '" + expected + "' in "
                + shard.getKey().getFileName() + ", but that file has no such tensor");
          }
        }
        String duplicate = null;
        for (Map.Entry<String, StoredTensor> t : tensors.entrySet()) {
          if (out.putIfAbsent(t.getKey(), t.getValue()) != null) {
            t.getValue().array().close(); // not in out, so the cleanup below would miss it
            duplicate = duplicate == null ? t.getKey() : duplicate;
          }
        }
        if (duplicate != null) {
          throw new CheckpointException(shard.getKey() + ": tensor '" + duplicate + "' also appears in another shard");
        }
      }
      return out;
    } catch (RuntimeException e) {
      closeAll(out);
      throw e;
    }
  }

  private static void closeAll(Map<String, StoredTensor> tensors) {
    tensors.values().forEach(t -> t.array().close());
  }

  /** Shard file -> tensor names, in the order shards first appear in {@code weight_map}. */
  private static Map<Path, List<String>> readIndex(Path index) {
    JsonNode root;
    try {
      root = HEADER_MAPPER.readTree(Files.readAllBytes(index));
    } catch (JsonProcessingException e) {
      throw new CheckpointException(index + ": invalid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CheckpointException(index + ": cannot read: " + e.getMessage(), e);
    }
    JsonNode weightMap = root == null ? null : root.get("weight_map");
    if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
      throw new CheckpointException(index + ": expected a non-empty object 'weight_map' (tensor name -> shard file)");
    }
    Path dir = index.toAbsolutePath().getParent();
    Map<Path, List<String>> shards = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode file = e.getValue();
      if (!file.isTextual() || !isPlainFileName(file.asText())) {
        throw new CheckpointException(index + ": weight_map['" + e.getKey()
            + "'] must be a file name in the same directory, found " + file);
      }
      Path shard = dir.resolve(file.asText());
      if (!Files.isRegularFile(shard)) {
        throw new CheckpointException(index + ": weight_map['" + e.getKey() + "'] names shard " + file.asText()
            + ", which does not exist in " + dir);
      }
      shards.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
    }
    return shards;
  }

  private static boolean isPlainFileName(String name) {
    return !name.isEmpty() && !name.contains("/") && !name.contains("\\") && !name.equals(".")
        && !name.equals("..") && name.endsWith(".safetensors");
  }

  private static Map<String, StoredTensor> loadFile(Path file, NDManager manager, Predicate<String> include,
      boolean keepRaw16, long chunkBytes) {
    SafetensorsHeader header = readHeader(file);
    Map<String, StoredTensor> out = new LinkedHashMap<>();
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer staging = null;
      for (TensorInfo info : header.tensors()) {
        if (!include.test(info.name())) {
          continue;
        }
        if (staging == null && !keepRaw16 && (info.dtype() == Dtype.BF16 || info.dtype() == Dtype.F16)) {
          staging = TensorCopy.staging(chunkBytes);
        }
        NDArray array = TensorCopy.read(channel, header.dataOffset() + info.begin(), info, manager, keepRaw16,
            chunkBytes, staging);
        out.put(info.name(), new StoredTensor(info.dtype(), array));
      }
      return out;
    } catch (IOException e) {
      closeAll(out);
      throw new CheckpointException(file + ": cannot read tensor data: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeAll(out);
      throw e;
    }
  }

  /**
   * Reads and validates the header of one safetensors file without touching the tensor data.
   *
   * @throws CheckpointException naming the file (and tensor) when the header is malformed or inconsistent
   */
  public static SafetensorsHeader readHeader(Path file) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < 8) {
        throw new CheckpointException(file + ": truncated safetensors file (" + fileSize
            + " bytes, the 8-byte header length alone needs 8)");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.getLong(0);
      if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
        throw new CheckpointException(file + ": header length " + Long.toUnsignedString(headerLength)
            + " is larger than the " + MAX_HEADER_BYTES + "-byte limit; not a safetensors file or corrupted");
      }
      if (headerLength > fileSize - 8) {
        throw new CheckpointException(file + ": header length " + headerLength + " runs past the end of the file ("
            + fileSize + " bytes); truncated or not a safetensors file");
      }
      if (headerLength < 2) {
        throw new CheckpointException(file + ": header length " + headerLength + " is too small for a JSON object");
      }
      ByteBuffer json = ByteBuffer.allocate((int) headerLength);
      readFully(channel, json, 8);
      return parseHeader(file, json.array(), 8 + headerLength, fileSize - 8 - headerLength);
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long pos = position;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + pos);
      }
      pos += n;
    }
  }

  private static SafetensorsHeader parseHeader(Path file, byte[] json, long dataOffset, long dataLength) {
    if (json[0] != '{') {
      throw new CheckpointException(file + ": header does not start with '{'; not a safetensors file");
    }
    JsonNode root;
    try {
      root = HEADER_MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new CheckpointException(file + ": header is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot parse header: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new CheckpointException(file + ": header must be a JSON object");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    List<TensorInfo> tensors = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equals(METADATA_KEY)) {
        metadata.putAll(parseMetadata(file, e.getValue()));
      } else {
        tensors.add(parseTensor(file, e.getKey(), e.getValue()));
      }
    }
    checkLayout(file, tensors, dataLength);
    return new SafetensorsHeader(metadata, tensors, dataOffset);
  }

  private static Map<String, String> parseMetadata(Path file, JsonNode node) {
    if (!node.isObject()) {
      throw new CheckpointException(file + ": " + METADATA_KEY + " must be an object of strings, found " + node);
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new CheckpointException(file + ": " + METADATA_KEY + "['" + e.getKey() + "'] must be a string, found "
            + e.getValue());
      }
      metadata.put(e.getKey(), e.getValue().asText());
    }
    return metadata;
  }

  private static TensorInfo parseTensor(Path file, String name, JsonNode node) {
    String where = file + ": tensor '" + name + "'";
    if (!node.isObject()) {
      throw new CheckpointException(where + ": entry must be an object with dtype, shape and data_offsets");
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new CheckpointException(where + ": missing or non-string 'dtype'");
    }
    Dtype dtype = Dtype.fromHeaderName(dtypeNode.asText()).orElseThrow(() -> new CheckpointException(where
        + ": unsupported dtype '" + dtypeNode.asText() + "' (supported: " + List.of(Dtype.values()) + ")"));
    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw new CheckpointException(where + ": missing or non-array 'shape'");
    }
    long[] dims = new long[shapeNode.size()];
    long elements = 1;
    for (int i = 0; i < dims.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new CheckpointException(where + ": shape dimension " + i + " must be a non-negative integer, found " + d);
      }
      dims[i] = d.asLong();
      try {
        elements = Math.multiplyExact(elements, dims[i]);
      } catch (ArithmeticException overflow) {
        throw new CheckpointException(where + ": shape " + shapeNode + " has too many elements");
      }
    }
    JsonNode offsets = node.get("data_offsets");
    if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw new CheckpointException(where + ": 'data_offsets' must be an array [begin, end]");
    }
    for (JsonNode o : offsets) {
      if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
        throw new CheckpointException(where + ": data_offsets must be non-negative integers, found " + offsets);
      }
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (end < begin) {
      throw new CheckpointException(where + ": data_offsets " + offsets + " end before they begin");
    }
    long expectedBytes;
    try {
      expectedBytes = Math.multiplyExact(elements, (long) dtype.byteSize());
    } catch (ArithmeticException overflow) {
      throw new CheckpointException(where + ": shape " + shapeNode + " has too many elements");
    }
    if (end - begin != expectedBytes) {
      throw new CheckpointException(where + ": shape " + shapeNode + " of " + dtype + " needs " + expectedBytes
          + " bytes but data_offsets " + offsets + " span " + (end - begin));
    }
    return new TensorInfo(name, dtype, new Shape(dims), begin, end);
  }

  /** Tensors must tile the data section exactly: no gaps, no overlaps, nothing missing or left over. */
  private static void checkLayout(Path file, List<TensorInfo> tensors, long dataLength) {
    List<TensorInfo> byOffset = new ArrayList<>(tensors);
    byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = 0;
    for (TensorInfo t : byOffset) {
      if (t.begin() < expected) {
        throw new CheckpointException(file + ": tensor '" + t.name() + "' at bytes [" + t.begin() + ", " + t.end()
            + ") overlaps the tensor before it (which ends at " + expected + ")");
      }
      if (t.begin() > expected) {
        throw new CheckpointException(file + ": tensor '" + t.name() + "' starts at byte " + t.begin()
            + " but the previous tensor ends at " + expected + "; the data section must be contiguous");
      }
      if (t.end() > dataLength) {
        throw new CheckpointException(file + ": tensor '" + t.name() + "' ends at byte " + t.end()
            + " of the data section, which has only " + dataLength + " bytes; the file is truncated");
      }
      expected = t.end();
    }
    if (expected != dataLength) {
      throw new CheckpointException(file + ": the data section has " + dataLength + " bytes but the tensors cover "
          + expected + "; trailing bytes or a damaged header");
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Writing

  /**
   * Atomically writes {@code tensors} to one safetensors file, floating arrays stored as {@code dtype} (F32, BF16 or
   * F16, rounded to nearest even like PyTorch), integer and boolean arrays as their own type. Tensors are laid out in
   * sorted name order with {@code {"format":"pt"}} metadata, as {@code safetensors.torch} writes them.
   */
  public static void save(Path file, Map<String, NDArray> tensors, Dtype dtype) {
    requireFloatingStorage(dtype);
    save(file, tensors, dtype, TensorCopy.DEFAULT_CHUNK_BYTES);
  }

  /** {@link #save(Path, Map, Dtype)} converting at most {@code chunkBytes} of float32 per step (for tests). */
  static void save(Path file, Map<String, NDArray> tensors, Dtype dtype, long chunkBytes) {
    requireFloatingStorage(dtype);
    SafetensorsWriter.write(file, SafetensorsWriter.entries(tensors, dtype), HEADER_MAPPER, chunkBytes);
  }

  /**
   * Writes {@code tensors} into {@code dir} the way Hugging Face does: a single {@code model.safetensors} when the
   * tensor bytes fit in {@code maxShardBytes}, otherwise {@code model-00001-of-0000N.safetensors} shards (filled in
   * sorted name order; a tensor larger than the limit gets a shard of its own) plus
   * {@code model.safetensors.index.json}. The index is written last, and weight files of an earlier save that the
   * new layout does not use are removed afterwards, so a reader never sees an index pointing at missing shards.
   *
   * @return the files written, index last when there is one
   */
  public static List<Path> saveSharded(Path dir, Map<String, NDArray> tensors, Dtype dtype, long maxShardBytes) {
    requireFloatingStorage(dtype);
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
    }
    List<SafetensorsWriter.Entry> entries = SafetensorsWriter.entries(tensors, dtype);
    List<List<SafetensorsWriter.Entry>> shards = new ArrayList<>();
    List<SafetensorsWriter.Entry> current = new ArrayList<>();
    long currentBytes = 0;
    long totalBytes = 0;
    for (SafetensorsWriter.Entry e : entries) {
      if (!current.isEmpty() && currentBytes + e.byteLength() > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        currentBytes = 0;
      }
      current.add(e);
      currentBytes += e.byteLength();
      totalBytes += e.byteLength();
    }
    shards.add(current);

    List<Path> written = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      if (shards.size() == 1) {
        Path single = dir.resolve(SINGLE_FILE);
        SafetensorsWriter.write(single, entries, HEADER_MAPPER, TensorCopy.DEFAULT_CHUNK_BYTES);
        written.add(single);
      } else {
        ObjectNode index = HEADER_MAPPER.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
          String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
          Path shard = dir.resolve(name);
          SafetensorsWriter.write(shard, shards.get(i), HEADER_MAPPER, TensorCopy.DEFAULT_CHUNK_BYTES);
          written.add(shard);
          shards.get(i).forEach(e -> weightMap.put(e.name(), name));
        }
        Path indexFile = dir.resolve(INDEX_FILE);
        AtomicFiles.writeString(indexFile, HEADER_MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(index)
            + "\n");
        written.add(indexFile);
      }
      removeStaleWeights(dir, written);
      return written;
    } catch (IOException e) {
      throw new CheckpointException(dir + ": cannot write checkpoint: " + e.getMessage(), e);
    }
  }

  private static void removeStaleWeights(Path dir, List<Path> keep) throws IOException {
    Set<Path> kept = new HashSet<>(keep);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        boolean weights = name.equals(SINGLE_FILE) || name.equals(INDEX_FILE) || SHARD_NAME.matcher(name).matches();
        if (weights && !kept.contains(f)) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static void requireFloatingStorage(Dtype dtype) {
    if (!dtype.isFloatingStorage()) {
      throw new IllegalArgumentException("floating arrays can be stored as F32, BF16 or F16, not " + dtype);
    }
  }
}
