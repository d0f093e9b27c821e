package dev.zephyr.train.pipeline;

import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.safetensors.Safetensors;
import dev.zephyr.core.model.safetensors.SafetensorsHeader;
import dev.zephyr.core.model.safetensors.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A model trained outside zephyr (the alignment-handbook's scripts on a cluster, after {@code zephyr export-recipe})
 * taken back into the pipeline: the stage checks the directory and hands it on as the current model, so AI feedback,
 * evaluation and later training run against it.
 *
 * <p>Checks: {@code config.json} parses and has the architecture, vocabulary and shape of the model the stage
 * replaces (every difference named); a tokenizer is there ({@code tokenizer.json} and {@code tokenizer_config.json});
 * every safetensors file's header reads and the embedding matrix has {@code vocab_size} rows; and, when given, every
 * file listed in a {@code SHA256SUMS} file ({@code sha256sum} output, as the export's {@code launch.sh} writes it)
 * has that digest. What was found is written to {@code external.json} in the stage directory, and the directory is
 * the stage's {@code model} artifact in its manifest.
 *
 * <pre>{@code
 * Pipeline.empty().then(External.of("dsft", Path.of("out/01-dsft")).waitingUpTo(Duration.ofHours(6)))
 *     .aif(feedback).evaluate(mtBench)...
 * }</pre>
 */
public final class External implements Stage {
  /** What the stage writes into its directory. */
  public static final String REPORT = "external.json";

  private final String kind;
  private final Path modelDir;
  private final Path sha256sums;
  private final Duration wait;
  private final Duration poll;

  private External(String kind, Path modelDir, Path sha256sums, Duration wait, Duration poll) {
    this.kind = Steps.require(kind, "kind");
    this.modelDir = Steps.require(modelDir, "modelDir").toAbsolutePath().normalize();
    this.sha256sums = sha256sums == null ? null : sha256sums.toAbsolutePath().normalize();
    this.wait = wait;
    this.poll = poll;
  }

  /**
   * Takes the model directory {@code modelDir}; {@code kind} names the stage's directory ({@code "ddpo"} gives
   * {@code 03-ddpo/}).
   */
  public static External of(String kind, Path modelDir) {
    if (!kind.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("stage kind must be lower-case letters, digits and _, found '" + kind + "'");
    }
    return new External(kind, modelDir, null, Duration.ZERO, Duration.ofSeconds(30));
  }

  /** Also checks every file listed in this {@code SHA256SUMS} file ({@code <hex>  <name>} lines). */
  public External verifying(Path sha256sumsFile) {
    return new External(kind, modelDir, Steps.require(sha256sumsFile, "sha256sumsFile"), wait, poll);
  }

  /**
   * Waits up to {@code timeout} for the directory to be complete (config, tokenizer, every weight file, and no
   * file still growing between two looks {@code every} apart) before checking it.
   */
  public External waitingUpTo(Duration timeout, Duration every) {
    if (timeout.isNegative() || every.isZero() || every.isNegative()) {
      throw new IllegalArgumentException("expected a timeout >= 0 and a positive poll interval");
    }
    return new External(kind, modelDir, sha256sums, timeout, every);
  }

  /** The model directory this stage takes. */
  public Path modelDir() {
    return modelDir;
  }

  @Override
  public String kind() {
    return kind;
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("source", "external");
    c.put("model", modelDir.toString());
    if (sha256sums != null) {
      c.put("sha256sums", sha256sums.toString());
    }
    return c;
  }

  /** The model it replaces: its config is what the external one must match. */
  @Override
  public Set<String> requires() {
    return Set.of(Artifacts.MODEL);
  }

  @Override
  public Map<String, Path> given() {
    return Map.of();
  }

  @Override
  public Set<String> produces() {
    return Set.of(Artifacts.MODEL);
  }

  @Override
  public StageOutput run(StageContext ctx) throws Exception {
    awaitComplete(ctx.id());
    ModelConfig expected = ModelConfig.load(ctx.input(Artifacts.MODEL));
    Map<String, Object> report = check(ctx.id(), expected);
    AtomicFiles.write(ctx.dir().resolve(REPORT),
        out -> out.write(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(report)));
    return StageOutput.of(Map.of(Artifacts.MODEL, modelDir));
  }

  /** Checks the directory against the model it replaces; returns what it found. */
  Map<String, Object> check(String id, ModelConfig expected) {
    for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
      if (!Files.isRegularFile(modelDir.resolve(f))) {
        throw new PipelineException(id, "external model " + modelDir + " has no " + f
            + (f.startsWith("tokenizer") ? " (save the tokenizer with the model: tokenizer.save_pretrained)" : ""));
      }
    }
    ModelConfig found = ModelConfig.load(modelDir);
    List<String> diffs = differences(expected, found);
    if (!diffs.isEmpty()) {
      throw new PipelineException(id, "external model " + modelDir + " does not match the pipeline's model: "
          + String.join(", ", diffs) + " (found vs expected)");
    }
    List<Map<String, Object>> files = new ArrayList<>();
    boolean embeddings = false;
    List<Path> weights;
    try {
      weights = Safetensors.checkpointFiles(modelDir);
    } catch (CheckpointException e) {
      throw new PipelineException(id, "external model: " + e.getMessage(), e);
    }
    for (Path w : weights) {
      SafetensorsHeader h;
      try {
        h = Safetensors.readHeader(w);
      } catch (CheckpointException e) {
        throw new PipelineException(id, "external model: unreadable safetensors header: " + e.getMessage(), e);
      }
      TensorInfo embed = h.tensor("model.embed_tokens.weight").orElse(null);
      if (embed != null) {
        embeddings = true;
        if (embed.shape().get(0) != found.vocabSize()) {
          throw new PipelineException(id, "external model " + w + ": model.embed_tokens.weight has "
              + embed.shape().get(0) + " rows but config.json says vocab_size " + found.vocabSize());
        }
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("file", modelDir.relativize(w).toString());
      f.put("bytes", size(w));
      f.put("tensors", h.tensors().size());
      files.add(f);
    }
    if (!embeddings) {
      throw new PipelineException(id, "external model " + modelDir + " has no model.embed_tokens.weight in "
          + weights.stream().map(p -> p.getFileName().toString()).toList());
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("model", modelDir.toString());
    report.put("model_type", found.modelType().id());
    report.put("architecture", found.modelType().architecture());
    report.put("vocab_size", found.vocabSize());
    report.put("safetensors", files);
    if (sha256sums != null) {
      report.put("sha256", verifyDigests(id));
    }
    return report;
  }

  private static List<String> differences(ModelConfig expected, ModelConfig found) {
    List<String> d = new ArrayList<>();
    diff(d, "model_type", found.modelType().id(), expected.modelType().id());
    diff(d, "vocab_size", found.vocabSize(), expected.vocabSize());
    diff(d, "hidden_size", found.hiddenSize(), expected.hiddenSize());
    diff(d, "num_hidden_layers", found.numHiddenLayers(), expected.numHiddenLayers());
    diff(d, "num_attention_heads", found.numAttentionHeads(), expected.numAttentionHeads());
    diff(d, "num_key_value_heads", found.numKeyValueHeads(), expected.numKeyValueHeads());
    diff(d, "intermediate_size", found.intermediateSize(), expected.intermediateSize());
    diff(d, "tie_word_embeddings", found.tieWordEmbeddings(), expected.tieWordEmbeddings());
    return d;
  }

  private static void diff(List<String> d, String key, Object found, Object expected) {
    if (!Objects.equals(found, expected)) {
      d.add(key + " " + found + " vs " + expected);
    }
  }

  /** Checks every line of the SHA256SUMS file; returns file name to digest. */
  private Map<String, String> verifyDigests(String id) {
    List<String> lines;
    try {
      lines = Files.readAllLines(sha256sums);
    } catch (IOException e) {
      throw new InvalidInputException(sha256sums.toString(), 0, null, "cannot read: " + e.getMessage(), e);
    }
    Map<String, String> verified = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+\\*?", 2);
      if (parts.length != 2 || !parts[0].matches("[0-9a-fA-F]{64}")) {
        throw new InvalidInputException(sha256sums.toString(), i + 1, null, "expected '<64 hex digits>  <file>'");
      }
      Path file = sha256sums.getParent().resolve(parts[1]).normalize();
      if (!Files.isRegularFile(file)) {
        throw new PipelineException(id, "external model: " + file + " listed in " + sha256sums + " is missing");
      }
      String actual = sha256(file);
      if (!actual.equalsIgnoreCase(parts[0])) {
        throw new PipelineException(id, "external model: " + file + " has sha256 " + actual + " but " + sha256sums
            + " line " + (i + 1) + " says " + parts[0].toLowerCase());
      }
      verified.put(parts[1], actual);
    }
    if (verified.isEmpty()) {
      throw new InvalidInputException(sha256sums.toString(), 0, null, "lists no file");
    }
    return verified;
  }

  /** The plain hex digest of one file, as {@code sha256sum} prints it. */
  private static String sha256(Path file) {
    return Digests.sha256(file).substring("sha256:".length());
  }

  /** Waits until the directory looks complete and stopped changing, or the wait is over (then the checks speak). */
  private void awaitComplete(String id) throws InterruptedException {
    Instant deadline = Instant.now().plus(wait);
    long previous = -1;
    while (!wait.isZero()) {
      long total = completeSize();
      if (total >= 0 && total == previous) {
        return;
      }
      previous = total;
      if (Instant.now().isAfter(deadline)) {
        throw new PipelineException(id, "external model " + modelDir + " is not complete after waiting " + wait
            + " (config.json, tokenizer files and every safetensors file, unchanged between two looks)");
      }
      Thread.sleep(poll.toMillis());
    }
  }

  /** The total size of the files a finished directory has, or -1 while any is missing. */
  private long completeSize() {
    for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
      if (!Files.isRegularFile(modelDir.resolve(f))) {
        return -1;
      }
    }
    try {
      long total = 0;
      for (Path w : Safetensors.checkpointFiles(modelDir)) {
        if (!Files.isRegularFile(w)) {
          return -1;
        }
        total += Files.size(w);
      }
      try (Stream<Path> s = Files.list(modelDir)) {
        for (Path p : s.toList()) {
          total += Files.isRegularFile(p) ? Files.size(p) : 0;
        }
      }
      return total;
    } catch (CheckpointException | IOException e) {
      return -1;
    }
  }

  private static long size(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
