package dev.zephyr.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.model.safetensors.Safetensors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training checkpoints under {@code output_dir/checkpoint-N/}: the trainable parameters as {@link CheckpointWeights}
 * says ({@code model.safetensors}, F32 weights under HF names; or a LoRA run's PEFT adapter files),
 * {@code optimizer.safetensors} (the optimizer's state under torch's names: {@code NAME.exp_avg}, {@code NAME.exp_avg_sq}
 * for AdamW; see {@link dev.zephyr.train.optim.Optimizer#state()}), {@code trainer_state.json} (step,
 * scheduler position, seed, data position) and {@code training_config.json} (the hyper-parameters that shape the result,
 * with their digest: {@link CheckpointConfig}; absent from checkpoints of earlier versions). A checkpoint is assembled in a hidden temporary directory and renamed into
 * place, so a directory named {@code checkpoint-N} is always complete; leftovers of an interrupted write are deleted.
 */
public final class CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  static final String MODEL = "model.safetensors";
  static final String OPTIMIZER = "optimizer.safetensors";
  static final String STATE = "trainer_state.json";
  static final String CONFIG = "training_config.json";
  private static final String PREFIX = "checkpoint-";

  private final Path outputDir;

  public CheckpointStore(Path outputDir) {
    this.outputDir = outputDir;
  }

  /** Writes checkpoint {@code step} atomically, weights in {@code model.safetensors}, and returns its directory. */
  public Path save(TrainerState state, CheckpointConfig config, Map<String, NDArray> weights,
      Map<String, NDArray> optimizerState) {
    return save(state, config, CheckpointWeights.MODEL, weights, optimizerState);
  }

  /** Writes checkpoint {@code step} atomically, weights as {@code format} lays them out, and returns its directory. */
  public Path save(TrainerState state, CheckpointConfig config, CheckpointWeights format,
      Map<String, NDArray> weights, Map<String, NDArray> optimizerState) {
    Path target = outputDir.resolve(PREFIX + state.globalStep());
    Path tmp = outputDir.resolve(".tmp-" + PREFIX + state.globalStep());
    try {
      Files.createDirectories(outputDir);
      deleteTree(tmp);
      Files.createDirectories(tmp);
      format.write(tmp, weights);
      Safetensors.save(tmp.resolve(OPTIMIZER), optimizerState, Dtype.F32);
      AtomicFiles.writeString(tmp.resolve(STATE),
          Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(state));
      AtomicFiles.writeString(tmp.resolve(CONFIG),
          Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(config.toJson()));
      fsyncDir(tmp);
      deleteTree(target); // only when re-saving the same step after a resume
      AtomicFiles.move(tmp, target);
      fsyncDir(outputDir);
      return target;
    } catch (IOException e) {
      throw new CheckpointException("cannot write checkpoint " + target, e);
    }
  }

  /** Complete checkpoints, oldest first. */
  public List<Path> list() {
    if (!Files.isDirectory(outputDir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(outputDir)) {
      return s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+") && Files.isDirectory(p)
              && Files.exists(p.resolve(STATE)))
          .sorted(Comparator.comparingLong(CheckpointStore::stepOf))
          .toList();
    } catch (IOException e) {
      throw new CheckpointException("cannot list " + outputDir, e);
    }
  }

  /** The newest complete checkpoint, after removing leftovers of interrupted writes. */
  public Optional<Path> latest() {
    removeTemporaries();
    List<Path> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Deletes the oldest checkpoints so that at most {@code limit} remain ({@code limit <= 0}: keep all). */
  public void prune(int limit) {
    if (limit <= 0) {
      return;
    }
    List<Path> all = new ArrayList<>(list());
    while (all.size() > limit) {
      Path old = all.remove(0);
      try {
        deleteTree(old);
      } catch (IOException e) {
        LOG.warn("cannot delete old checkpoint {}: {}", old, e.toString());
      }
    }
  }

  /** Reads the state record of a checkpoint directory. */
  public static TrainerState readState(Path checkpoint) {
    try {
      return Json.mapper().readValue(checkpoint.resolve(STATE).toFile(), TrainerState.class);
    } catch (IOException e) {
      throw new CheckpointException("cannot read " + checkpoint.resolve(STATE), e);
    }
  }

  /** The stored hyper-parameters of a checkpoint; empty for a checkpoint written before zephyr stored them. */
  public static Optional<CheckpointConfig> readConfig(Path checkpoint) {
    Path file = checkpoint.resolve(CONFIG);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(CheckpointConfig.fromJson(Json.mapper().readTree(file.toFile())));
    } catch (IOException | IllegalArgumentException e) {
      throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Restores checkpoint directory {@code checkpoint} into live arrays, in place: its weights into {@code weights} and
   * its optimizer state into {@code optimizerState} (by tensor name), reading a bounded batch of tensors at a time
   * into sub-managers of {@code scratch}.
   *
   * @param optimizerName the {@code optim} value, for error messages
   * @throws CheckpointException naming the file and tensor when one is missing or has another shape
   */
  public static void copyInto(Path checkpoint, Map<String, NDArray> weights, Map<String, NDArray> optimizerState,
      String optimizerName, NDManager scratch) {
    copyInto(checkpoint, CheckpointWeights.MODEL, weights, optimizerState, optimizerName, scratch);
  }

  /**
   * As {@link #copyInto(Path, Map, Map, String, NDManager)}, the weights stored in {@code format}'s layout; a
   * checkpoint written before LoRA checkpoints held PEFT files keeps its weights in {@code model.safetensors}.
   */
  public static void copyInto(Path checkpoint, CheckpointWeights format, Map<String, NDArray> weights,
      Map<String, NDArray> optimizerState, String optimizerName, NDManager scratch) {
    CheckpointWeights layout = Files.exists(format.file(checkpoint)) ? format : CheckpointWeights.MODEL;
    copyInPlace(layout.file(checkpoint), weights, "weight", layout::storedName, scratch);
    copyInPlace(checkpoint.resolve(OPTIMIZER), optimizerState, "optimizer state (optim " + optimizerName + ")",
        name -> name, scratch);
  }

  /** Tensors read per batch when restoring: bounds the extra memory of a resume. */
  private static final long RESTORE_BATCH_BYTES = 64L << 20;

  /**
   * Copies the tensors of {@code file} named by the keys of {@code targets} into those arrays in place (no second copy
   * of the model or the state, no Java-heap copies), about {@link #RESTORE_BATCH_BYTES} at a time.
   */
  private static void copyInPlace(Path file, Map<String, NDArray> targets, String what,
      UnaryOperator<String> storedName, NDManager scratch) {
    List<String> batch = new ArrayList<>();
    long bytes = 0;
    for (Map.Entry<String, NDArray> e : targets.entrySet()) {
      batch.add(e.getKey());
      bytes += e.getValue().size() * e.getValue().getDataType().getNumOfBytes();
      if (bytes >= RESTORE_BATCH_BYTES) {
        copyBatch(file, targets, batch, what, storedName, scratch);
        batch.clear();
        bytes = 0;
      }
    }
    if (!batch.isEmpty()) {
      copyBatch(file, targets, batch, what, storedName, scratch);
    }
  }

  private static void copyBatch(Path file, Map<String, NDArray> targets, List<String> names, String what,
      UnaryOperator<String> storedName, NDManager scratch) {
    Set<String> wanted = Set.copyOf(names.stream().map(storedName).toList());
    try (NDManager tmp = scratch.newSubManager()) {
      Map<String, NDArray> saved = Safetensors.load(file, tmp, wanted::contains);
      for (String name : names) {
        String stored = storedName.apply(name);
        NDArray from = saved.get(stored);
        NDArray to = targets.get(name);
        if (from == null) {
          throw new CheckpointException(file + ": " + what + " " + stored + " is missing");
        }
        if (!from.getShape().equals(to.getShape())) {
          throw new CheckpointException(file + ": " + what + " " + stored + " has shape " + from.getShape()
              + ", expected " + to.getShape());
        }
        to.set(new NDIndex(":"), from);
      }
    }
  }

  static long stepOf(Path checkpoint) {
    return Long.parseLong(checkpoint.getFileName().toString().substring(PREFIX.length()));
  }

  private void removeTemporaries() {
    if (!Files.isDirectory(outputDir)) {
      return;
    }
    try (Stream<Path> s = Files.list(outputDir)) {
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-" + PREFIX)).toList()) {
        LOG.info("removing incomplete checkpoint {}", p);
        deleteTree(p);
      }
    } catch (IOException e) {
      throw new CheckpointException("cannot clean " + outputDir, e);
    }
  }

  private static void fsyncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not every platform can sync a directory; the rename is still atomic.
    }
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
