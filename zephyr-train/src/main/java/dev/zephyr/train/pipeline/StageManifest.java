package dev.zephyr.train.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * {@code manifest.json} of a stage directory: what ran, on what, with which result. The pipeline compares
 * {@code fingerprint} (a digest of kind, config, seed and input digests) to decide whether to skip, resume or rerun.
 *
 * @param stage stage kind
 * @param id directory name
 * @param status {@code running}, {@code failed} or {@code completed}
 * @param fingerprint digest of everything that determines the output
 * @param config the stage's configuration
 * @param inputs input artifacts: path and digest
 * @param artifacts produced artifacts; paths inside the stage directory are relative to it
 * @param metrics final metrics
 * @param startedAt ISO-8601 start of the latest attempt
 * @param finishedAt ISO-8601 end of the latest attempt, or null while running
 * @param seconds wall time of the latest attempt
 * @param attempts number of attempts with this fingerprint
 * @param error message of the failure, when failed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StageManifest(
    String stage,
    String id,
    String status,
    String fingerprint,
    JsonNode config,
    Map<String, InputDigest> inputs,
    Map<String, String> artifacts,
    Map<String, Double> metrics,
    @JsonProperty("started_at") String startedAt,
    @JsonProperty("finished_at") String finishedAt,
    Double seconds,
    int attempts,
    String error) {

  public static final String FILE = "manifest.json";
  public static final String RUNNING = "running";
  public static final String FAILED = "failed";
  public static final String COMPLETED = "completed";

  /**
   * An input artifact as the stage saw it: its content digest, and a summary of sizes and modification times that
   * lets the next run reuse the digest without reading the files again when nothing on disk changed.
   */
  public record InputDigest(String path, String sha256, String stat) {}

  /** Reads {@code dir/manifest.json} if present; a broken manifest is an error naming the file. */
  public static Optional<StageManifest> read(Path dir) {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.mapper().readValue(file.toFile(), StageManifest.class));
    } catch (IOException e) {
      throw new InvalidInputException(file.toString(), 0, null, "unreadable stage manifest: " + e.getMessage(), e);
    }
  }

  /** Writes {@code dir/manifest.json} atomically. */
  public void write(Path dir) {
    AtomicFiles.write(dir.resolve(FILE),
        out -> out.write(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(this)));
  }
}
