package dev.zephyr.core.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Hugging Face model directories on disk: {@code config.json}, {@code generation_config.json}, safetensors weights
 * (single file or sharded with an index) and the tokenizer files, saved so that a crash never leaves a half-written
 * directory behind.
 */
public final class ModelFiles {
  /** Tokenizer files copied along with a model, when the source directory has them. */
  public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
      "special_tokens_map.json", "tokenizer.model", "chat_template.jinja");
  /** Hugging Face's default shard size ({@code max_shard_size="5GB"}). */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  private ModelFiles() {}

  /**
   * True for the names a saved model directory holds: {@code config.json}, {@code generation_config.json}, safetensors
   * weights and their shard index, {@link #TOKENIZER_FILES}, and a PEFT adapter's {@code adapter_config.json}. Anything else (checkpoints, logs, caches) belongs in a
   * training run's own directory.
   */
  public static boolean isModelFile(String name) {
    return name.equals("config.json") || name.equals("generation_config.json") || name.endsWith(".safetensors")
        || name.equals("model.safetensors.index.json") || TOKENIZER_FILES.contains(name)
        || name.equals("adapter_config.json");
  }

  /**
   * What to put in a model directory.
   *
   * @param config           {@code config.json} as a Jackson tree, a {@code Map} or any value Jackson can serialise
   * @param generationConfig {@code generation_config.json} in the same forms, or null to write none
   * @param weights          parameters by Hugging Face name
   * @param dtype            storage type of floating weights (F32, BF16 or F16)
   * @param maxShardBytes    shard above this many tensor bytes
   * @param tokenizerSource  directory to copy {@link #TOKENIZER_FILES} from (those present), or null
   */
  public record Contents(Object config, Object generationConfig, Map<String, NDArray> weights, Dtype dtype,
      long maxShardBytes, Path tokenizerSource) {
    public Contents {
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(weights, "weights");
      Objects.requireNonNull(dtype, "dtype");
      if (maxShardBytes <= 0) {
        throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
      }
    }

    /** Float32 weights, Hugging Face's default shard size. */
    public static Contents of(Object config, Object generationConfig, Map<String, NDArray> weights,
        Path tokenizerSource) {
      return new Contents(config, generationConfig, weights, Dtype.F32, DEFAULT_MAX_SHARD_BYTES, tokenizerSource);
    }

    public Contents withDtype(Dtype newDtype) {
      return new Contents(config, generationConfig, weights, newDtype, maxShardBytes, tokenizerSource);
    }

    public Contents withMaxShardBytes(long bytes) {
      return new Contents(config, generationConfig, weights, dtype, bytes, tokenizerSource);
    }
  }

  /** Saves with float32 weights and the default shard size; see {@link #saveDirectory(Path, Contents)}. */
  public static void saveDirectory(Path target, Object config, Object generationConfig, Map<String, NDArray> weights,
      Path tokenizerSource) {
    saveDirectory(target, Contents.of(config, generationConfig, weights, tokenizerSource));
  }

  /**
   * Atomically writes a Hugging Face model directory at {@code target}, replacing any directory already there.
   *
   * <p>Everything is built and fsynced in a hidden sibling directory first. Only then is the old directory renamed
   * aside, the new one renamed into place, and the old one deleted. If anything fails before the swap, the temp
   * directory is removed and {@code target} is untouched. (A crash in the instant between the two renames leaves
   * both complete directories as hidden siblings, never a partial one.) Saving over the directory the tokenizer is
   * copied from is fine: files are copied before the swap.
   *
   * @throws CheckpointException if the directory cannot be written
   */
  public static void saveDirectory(Path target, Contents contents) {
    Path absolute = target.toAbsolutePath().normalize();
    Path parent = absolute.getParent();
    if (parent == null) {
      throw new CheckpointException(target + ": cannot save a model directory at the file system root");
    }
    if (Files.exists(absolute) && !Files.isDirectory(absolute)) {
      throw new CheckpointException(target + ": exists and is not a directory");
    }
    String name = absolute.getFileName().toString();
    String unique = UUID.randomUUID().toString().substring(0, 8);
    Path staging = parent.resolve("." + name + ".tmp-" + unique);
    try {
      Files.createDirectories(parent);
      Files.createDirectory(staging);
      writeContents(staging, contents);
      fsyncDirectory(staging);
      swapInto(staging, absolute, parent.resolve("." + name + ".old-" + unique));
      staging = null;
    } catch (IOException | UncheckedIOException e) {
      throw new CheckpointException(target + ": cannot save model directory: " + e.getMessage(), e);
    } finally {
      if (staging != null) {
        deleteQuietly(staging);
      }
    }
  }

  private static void writeContents(Path dir, Contents c) throws IOException {
    ObjectMapper mapper = Json.mapper();
    AtomicFiles.writeString(dir.resolve("config.json"), prettyJson(mapper, c.config()));
    if (c.generationConfig() != null) {
      AtomicFiles.writeString(dir.resolve("generation_config.json"), prettyJson(mapper, c.generationConfig()));
    }
    Safetensors.saveSharded(dir, c.weights(), c.dtype(), c.maxShardBytes());
    if (c.tokenizerSource() != null) {
      if (!Files.isDirectory(c.tokenizerSource())) {
        throw new CheckpointException(c.tokenizerSource() + ": tokenizer source is not a directory");
      }
      for (String file : TOKENIZER_FILES) {
        Path source = c.tokenizerSource().resolve(file);
        if (Files.isRegularFile(source)) {
          Path copy = dir.resolve(file);
          // from a stream, so the copy gets a new file's mode rather than the source's (which may be owner-only)
          try (InputStream in = Files.newInputStream(source)) {
            Files.copy(in, copy);
          }
          fsyncFile(copy);
        }
      }
    }
  }

  private static String prettyJson(ObjectMapper mapper, Object value) throws IOException {
    JsonNode tree = value instanceof JsonNode node ? node : mapper.valueToTree(value);
    if (!tree.isObject()) {
      throw new CheckpointException("a model config must be a JSON object, found " + tree.getNodeType());
    }
    return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(tree) + "\n";
  }

  /** Old directory aside, new one in, old one deleted; the old one comes back if the second rename fails. */
  private static void swapInto(Path staging, Path target, Path aside) throws IOException {
    boolean hadOld = Files.exists(target);
    if (hadOld) {
      AtomicFiles.move(target, aside);
    }
    try {
      AtomicFiles.move(staging, target);
    } catch (IOException e) {
      if (hadOld) {
        AtomicFiles.move(aside, target);
      }
      throw e;
    }
    fsyncDirectory(target.getParent());
    if (hadOld) {
      deleteQuietly(aside);
    }
  }

  private static void fsyncFile(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Makes renames and new entries durable; some platforms (Windows) cannot open directories, which is harmless. */
  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // not supported here; the data files themselves were fsynced
    }
  }

  private static void deleteQuietly(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      List<Path> paths = new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
      for (Path p : paths) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort: a hidden leftover sibling is harmless and named after the target
    }
  }
}
