package dev.zephyr.train.pipeline;

import dev.zephyr.core.progress.Progress;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What a running stage gets from the pipeline: its own directory ({@code workDir/<nn>-<stage>/}), its resolved input
 * artifacts, whether an earlier attempt left work in that directory, the pipeline seed, where to report progress,
 * and a way to record metrics.
 *
 * <p>When {@link #resuming()} is true the directory holds what an interrupted attempt with the same configuration
 * and inputs wrote; the stage decides what is already done (trainer checkpoints, response caches, partial JSONL).
 *
 * <p>A training stage trains in {@link #runDir()} ({@code checkpoint-N/}, {@code metrics.jsonl}, caches) and exports
 * the finished model, model and tokenizer files only, to {@link #modelDir()}, which is what it returns.
 */
public final class StageContext {
  /** Name of a training stage's working directory inside its stage directory. */
  public static final String RUN_DIR = "run";
  /** Name of a training stage's finished model directory inside its stage directory. */
  public static final String MODEL_DIR = "model";

  private final String id;
  private final String kind;
  private final Path dir;
  private final Map<String, Path> inputs;
  private final boolean resuming;
  private final long seed;
  private final ModelLoader modelLoader;
  private final Consumer<PipelineEvent> events;
  private final Progress progress;
  private final Map<String, Double> metrics = new LinkedHashMap<>();

  StageContext(
      String id,
      String kind,
      Path dir,
      Map<String, Path> inputs,
      boolean resuming,
      long seed,
      ModelLoader modelLoader,
      Consumer<PipelineEvent> events,
      Progress progress) {
    this.id = id;
    this.kind = kind;
    this.dir = dir;
    this.inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
    this.resuming = resuming;
    this.seed = seed;
    this.modelLoader = modelLoader;
    this.events = events;
    this.progress = progress.scoped(id);
  }

  /** A context for calling a stage directly (tests, custom drivers): no loader, events dropped. */
  public static StageContext standalone(String kind, Path dir, Map<String, Path> inputs, long seed) {
    return new StageContext("00-" + kind, kind, dir, inputs, false, seed, null, e -> {}, Progress.NONE);
  }

  /** Directory name, {@code "02-aif"}. */
  public String id() {
    return id;
  }

  /** Stage kind, {@code "aif"}. */
  public String kind() {
    return kind;
  }

  /** This stage's own directory; everything it writes goes here. */
  public Path dir() {
    return dir;
  }

  /** {@code dir()/run}: where a training stage's trainer writes checkpoints, {@code metrics.jsonl} and caches. */
  public Path runDir() {
    return dir.resolve(RUN_DIR);
  }

  /** {@code dir()/model}: the clean Hugging Face directory a training stage exports its model to. */
  public Path modelDir() {
    return dir.resolve(MODEL_DIR);
  }

  /** Resolved inputs by artifact name. */
  public Map<String, Path> inputs() {
    return inputs;
  }

  /** One input, or an error naming what the stage has. */
  public Path input(String name) {
    Path p = inputs.get(name);
    if (p == null) {
      throw new PipelineException(id, "has no input '" + name + "' (has " + inputs.keySet() + ")");
    }
    return p;
  }

  /** True when an interrupted attempt left work in {@link #dir()}. */
  public boolean resuming() {
    return resuming;
  }

  /** The pipeline seed; stages derive their own seeds from it. */
  public long seed() {
    return seed;
  }

  /** The pipeline's model loader, if one was configured. */
  public Optional<ModelLoader> modelLoader() {
    return Optional.ofNullable(modelLoader);
  }

  /**
   * Where the stage's long loops report (training steps, data preparation, generation, judging): the pipeline's
   * {@link Pipeline#progress progress}, with task names scoped by this stage's id ({@code [02-aif] feedback}).
   */
  public Progress progress() {
    return progress;
  }

  /** Records a final metric of this stage (TRL names where they exist); it lands in the manifest and result. */
  public void metric(String name, double value) {
    metrics.put(name, value);
  }

  /** Records several metrics. */
  public void metrics(Map<String, Double> values) {
    metrics.putAll(values);
  }

  Map<String, Double> recordedMetrics() {
    return metrics;
  }
}
