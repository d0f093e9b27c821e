package dev.zephyr.train.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Zephyr recipe as an immutable value: a list of stages run in order over artifacts on disk.
 *
 * <pre>{@code
 * PipelineResult r = Pipeline.dsft(sftStage)      // teacher demonstrations -> SFT
 *     .aif(feedbackStage)                         // pool completions -> judge ratings -> binarised pairs
 *     .ddpo(dpoStage)                             // DPO from the dSFT model
 *     .evaluate(evaluation)                       // e.g. MT-Bench, through the core Evaluation interface
 *     .modelLoader(dir -> LocalChatModel.open(dir))
 *     .run(studentDir, workDir);
 * }</pre>
 *
 * <p>Variants: DPO from the base model ({@code Pipeline.empty().aif(f).ddpo(d)}), AI feedback only
 * ({@code Pipeline.empty().aif(f)}), and the ALMoST order ({@code Pipeline.almost(rm).rmsp(bon).sft(sft).rlsf(ppo)}). Every
 * stage may start from artifacts already on disk: {@link Dsft#fromDataset}, {@link Dsft#trainedModel},
 * {@link Aif#fromRatings}, {@link Aif#preferences}, {@link Ddpo#onPreferences}...
 *
 * <p>Stage {@code n} works in {@code workDir/<nn>-<kind>/} and records a {@code manifest.json}. Running again skips
 * a stage whose configuration, seed and input digests are unchanged since it completed, gives an interrupted stage
 * its directory back to resume, and clears and reruns a stage whose configuration or inputs changed (and therefore,
 * through the digests, every stage downstream of a changed output).
 */
public final class Pipeline {
  /** Lock file held in the work directory while a run is in progress. */
  public static final String LOCK = ".pipeline.lock";

  private final List<Stage> stages;
  private final List<PipelineListener> listeners;
  private final ModelLoader modelLoader;
  private final long seed;
  private final Progress progress;

  private Pipeline(List<Stage> stages, List<PipelineListener> listeners, ModelLoader modelLoader, long seed,
      Progress progress) {
    this.stages = List.copyOf(stages);
    this.listeners = List.copyOf(listeners);
    this.modelLoader = modelLoader;
    this.seed = seed;
    this.progress = progress;
  }

  /** A pipeline with no stages; add them fluently. */
  public static Pipeline empty() {
    return new Pipeline(List.of(), List.of(), null, 42, Progress.NONE);
  }

  /** Starts with dSFT: the stage generates demonstrations and trains the student on them. */
  public static Pipeline dsft(SftStage stage) {
    return empty().then(Dsft.of(stage));
  }

  /** Starts with dSFT in one of its variants (dataset on disk, trained model...). */
  public static Pipeline dsft(Dsft step) {
    return empty().then(step);
  }

  /** Starts in the ALMoST order: reward model from synthetic comparisons; continue with rmsp, sft and rlsf. */
  public static Pipeline almost(RewardModelStage stage) {
    return empty().then(RewardModeling.of(stage));
  }

  /** Starts in the ALMoST order with a reward-model step variant. */
  public static Pipeline almost(RewardModeling step) {
    return empty().then(step);
  }

  /** Adds AI feedback (completions, ratings, preference pairs). */
  public Pipeline aif(FeedbackStage stage) {
    return then(Aif.of(stage));
  }

  /** Adds AI feedback in one of its variants. */
  public Pipeline aif(Aif step) {
    return then(step);
  }

  /** Adds dDPO on the latest preference pairs, starting from the current student. */
  public Pipeline ddpo(DpoStage stage) {
    return then(Ddpo.of(stage));
  }

  /** Adds dDPO in one of its variants. */
  public Pipeline ddpo(Ddpo step) {
    return then(step);
  }

  /** Adds a reward-model step (ALMoST step 1). */
  public Pipeline rewardModel(RewardModelStage stage) {
    return then(RewardModeling.of(stage));
  }

  /** Adds best-of-N demonstrations with the upstream reward model (ALMoST step 2). */
  public Pipeline bestOfN(BestOfNStage stage) {
    return then(BestOfN.of(stage));
  }

  /**
   * Adds RM-guided self-play (ALMoST step 2, RMSP): best-of-N dialogues over the upstream reward model, in a directory
   * named {@code rmsp}; {@link #bestOfN} is the same step under the name {@code bon}.
   */
  public Pipeline rmsp(BestOfNStage stage) {
    return then(BestOfN.of(stage).named("rmsp"));
  }

  /**
   * Adds RLSF (ALMoST's last step): on-policy training of the current model (PPO or RLOO) against the upstream reward
   * model on the first queries of the upstream demonstrations.
   */
  public Pipeline rlsf(RlsfStage stage) {
    return then(Rlsf.of(stage));
  }

  /** Adds RLSF in one of its variants ({@link Rlsf#onPrompts}). */
  public Pipeline rlsf(Rlsf step) {
    return then(step);
  }

  /** Adds SFT on the demonstrations an earlier stage produced (ALMoST step 3), in a directory named {@code sft}. */
  public Pipeline sft(SftStage stage) {
    return then(Dsft.of(stage).fromUpstream().named("sft"));
  }

  /** Evaluates the current student; needs a {@link #modelLoader}. */
  public Pipeline evaluate(Evaluation evaluation) {
    return then(Evaluate.of(evaluation));
  }

  /**
   * Takes a model trained elsewhere (the handbook's scripts after {@code zephyr export-recipe}) as the current model,
   * in a stage directory named after {@code kind}; see {@link External} for its checks, waiting and digests.
   */
  public Pipeline external(String kind, Path modelDir) {
    return then(External.of(kind, modelDir));
  }

  /** Adds any stage. */
  public Pipeline then(Stage stage) {
    List<Stage> next = new ArrayList<>(stages);
    next.add(java.util.Objects.requireNonNull(stage, "stage"));
    return new Pipeline(next, listeners, modelLoader, seed, progress);
  }

  /** Adds a listener for stage events (started, skipped, finished, failed). */
  public Pipeline listener(PipelineListener listener) {
    List<PipelineListener> next = new ArrayList<>(listeners);
    next.add(java.util.Objects.requireNonNull(listener, "listener"));
    return new Pipeline(stages, next, modelLoader, seed, progress);
  }

  /** How evaluation (and stages that sample a model) open a model directory as a {@link ChatModel}. */
  public Pipeline modelLoader(ModelLoader loader) {
    return new Pipeline(stages, listeners, loader, seed, progress);
  }

  /** The seed every stage derives its randomness from (default 42); part of every fingerprint. */
  public Pipeline seed(long newSeed) {
    return new Pipeline(stages, listeners, modelLoader, newSeed, progress);
  }

  /**
   * Where the stages' long loops report, each task named after its stage ({@code [01-dsft] train}); default
   * {@link Progress#NONE}, {@code ConsoleProgress.stderr()} for bars. Not part of any fingerprint.
   */
  public Pipeline progress(Progress sink) {
    return new Pipeline(stages, listeners, modelLoader, seed, java.util.Objects.requireNonNull(sink, "progress"));
  }

  /** The seed every stage derives its randomness from. */
  public long seed() {
    return seed;
  }

  /** The stages in order. */
  public List<Stage> stages() {
    return stages;
  }

  /** Stage directory names in order: {@code [01-dsft, 02-aif, 03-ddpo]}. */
  public List<String> plan() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < stages.size(); i++) {
      ids.add(stageId(i));
    }
    return ids;
  }

  private String stageId(int i) {
    return String.format("%02d-%s", i + 1, stages.get(i).kind());
  }

  /**
   * Checks before anything runs that every stage's inputs are produced upstream or given, and that evaluation has a
   * model loader; throws {@link PipelineException} naming the first stage that cannot run.
   */
  public void validate() {
    if (stages.isEmpty()) {
      throw new PipelineException(null, "the pipeline has no stages");
    }
    Set<String> available = new HashSet<>(Set.of(Artifacts.MODEL));
    for (int i = 0; i < stages.size(); i++) {
      Stage s = stages.get(i);
      for (String need : s.requires()) {
        if (!available.contains(need) && !s.given().containsKey(need)) {
          throw new PipelineException(stageId(i), "needs '" + need + "' but no earlier stage produces it and none"
              + " was given (stages so far produce " + new java.util.TreeSet<>(available) + ")");
        }
      }
      if (s instanceof Evaluate && modelLoader == null) {
        throw new PipelineException(stageId(i), "evaluation needs a model loader: Pipeline.modelLoader(...)");
      }
      available.addAll(s.produces());
    }
  }

  /**
   * Runs the stages in order, starting from the {@code student} model directory, under {@code workDir}.
   *
   * @throws PipelineException when the plan is invalid or a stage fails (its manifest then says {@code failed} and
   *     the next run resumes it)
   */
  public PipelineResult run(Path student, Path workDir) {
    validate();
    try {
      Files.createDirectories(workDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create work directory " + workDir, e);
    }
    // Two runs over one work directory would clear and resume each other's stages: hold a lock for the whole run.
    try (FileChannel lockFile = FileChannel.open(workDir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.tryLock()) {
      if (lock == null) {
        throw new PipelineException(null, "another pipeline is running in " + workDir + " (it holds " + LOCK + ")");
      }
      return runLocked(student, workDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + workDir.resolve(LOCK), e);
    } catch (java.nio.channels.OverlappingFileLockException e) {
      throw new PipelineException(null, "another pipeline in this process is running in " + workDir);
    }
  }

  private PipelineResult runLocked(Path student, Path workDir) {
    Instant start = Instant.now();
    emit(new PipelineEvent.PipelineStarted(workDir, plan()));
    Map<String, Path> state = new LinkedHashMap<>();
    state.put(Artifacts.MODEL, student);
    List<StageResult> results = new ArrayList<>();
    for (int i = 0; i < stages.size(); i++) {
      StageResult r = runStage(i, state, workDir);
      results.add(r);
      state.putAll(r.artifacts());
      emit(new PipelineEvent.StageFinished(r));
    }
    PipelineResult result =
        new PipelineResult(workDir, student, state.get(Artifacts.MODEL), results, Duration.between(start, Instant.now()));
    emit(new PipelineEvent.PipelineFinished(result));
    return result;
  }

  private StageResult runStage(int index, Map<String, Path> state, Path workDir) {
    Stage stage = stages.get(index);
    String id = stageId(index);
    Path dir = workDir.resolve(id).toAbsolutePath();
    Map<String, Path> inputs = new TreeMap<>();
    for (String need : stage.requires()) {
      inputs.put(need, state.get(need));
    }
    inputs.putAll(stage.given());
    StageManifest previous = StageManifest.read(dir).orElse(null);
    Map<String, StageManifest.InputDigest> digests = new TreeMap<>();
    for (Map.Entry<String, Path> in : inputs.entrySet()) {
      if (in.getValue() == null || !Files.exists(in.getValue())) {
        throw new PipelineException(id, "input '" + in.getKey() + "' does not exist: " + in.getValue());
      }
      digests.put(in.getKey(), digest(in.getValue(),
          previous == null || previous.inputs() == null ? null : previous.inputs().get(in.getKey())));
    }
    JsonNode config = canonical(Json.mapper().valueToTree(stage.config()));
    String fingerprint = fingerprint(stage.kind(), config, digests);

    boolean sameWork = previous != null && fingerprint.equals(previous.fingerprint());
    if (sameWork && StageManifest.COMPLETED.equals(previous.status())) {
      Map<String, Path> artifacts = resolveArtifacts(dir, previous.artifacts());
      if (artifacts.values().stream().allMatch(Files::exists)) {
        emit(new PipelineEvent.StageSkipped(id, stage.kind(), dir));
        return new StageResult(id, stage.kind(), dir, StageResult.Status.SKIPPED, artifacts,
            previous.metrics() == null ? Map.of() : previous.metrics(), Duration.ZERO);
      }
    }
    boolean resuming = sameWork && hasWork(dir);
    if (!sameWork) {
      clear(dir);
    }
    int attempts = sameWork ? previous.attempts() + 1 : 1;
    Instant started = Instant.now();
    new StageManifest(stage.kind(), id, StageManifest.RUNNING, fingerprint, config, digests, null, null,
        started.toString(), null, null, attempts, null).write(dir);
    emit(new PipelineEvent.StageStarted(id, stage.kind(), dir, resuming));

    StageContext ctx =
        new StageContext(id, stage.kind(), dir, inputs, resuming, seed, modelLoader, this::emit, progress);
    StageOutput output;
    try {
      output = stage.run(ctx);
      if (output == null) {
        throw new PipelineException(id, "stage returned no output");
      }
      for (String p : stage.produces()) {
        if (!output.artifacts().containsKey(p)) {
          throw new PipelineException(id, "stage did not produce '" + p + "' (produced " + output.artifacts().keySet() + ")");
        }
      }
    } catch (Exception | Error e) {
      Instant failed = Instant.now();
      new StageManifest(stage.kind(), id, StageManifest.FAILED, fingerprint, config, digests, null,
          ctx.recordedMetrics(), started.toString(), failed.toString(), seconds(started, failed), attempts,
          String.valueOf(e.getMessage())).write(dir);
      emit(new PipelineEvent.StageFailed(id, stage.kind(), e));
      if (e instanceof PipelineException pe) {
        throw pe;
      }
      throw new PipelineException(id, "failed: " + e.getMessage(), e);
    }
    Map<String, Double> metrics = new LinkedHashMap<>(output.metrics());
    metrics.putAll(ctx.recordedMetrics());
    Instant finished = Instant.now();
    new StageManifest(stage.kind(), id, StageManifest.COMPLETED, fingerprint, config, digests,
        relativize(dir, output.artifacts()), metrics, started.toString(), finished.toString(),
        seconds(started, finished), attempts, null).write(dir);
    Map<String, Path> artifacts = new LinkedHashMap<>();
    output.artifacts().forEach((k, v) -> artifacts.put(k, v.toAbsolutePath().normalize()));
    return new StageResult(id, stage.kind(), dir, resuming ? StageResult.Status.RESUMED : StageResult.Status.RAN,
        artifacts, metrics, Duration.between(started, finished));
  }

  /** Digests an input, reusing the earlier content digest when path, sizes and modification times are unchanged. */
  private static StageManifest.InputDigest digest(Path path, StageManifest.InputDigest earlier) {
    String stat = Digests.stat(path);
    if (earlier != null && path.toString().equals(earlier.path()) && stat.equals(earlier.stat())
        && earlier.sha256() != null) {
      return earlier;
    }
    return new StageManifest.InputDigest(path.toString(), Digests.sha256(path), stat);
  }

  private String fingerprint(String kind, JsonNode config, Map<String, StageManifest.InputDigest> digests) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("kind", kind);
    node.put("seed", seed);
    node.set("config", config);
    ObjectNode in = node.putObject("inputs");
    digests.forEach((name, d) -> in.put(name, d.sha256()));
    return Digests.sha256(node.toString());
  }

  /** The same JSON with object keys sorted, so that map order never changes a fingerprint. */
  static JsonNode canonical(JsonNode node) {
    if (node.isObject()) {
      ObjectNode sorted = JsonNodeFactory.instance.objectNode();
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      names.sort(Comparator.naturalOrder());
      for (String n : names) {
        sorted.set(n, canonical(node.get(n)));
      }
      return sorted;
    }
    if (node.isArray()) {
      var arr = JsonNodeFactory.instance.arrayNode();
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        arr.add(canonical(it.next()));
      }
      return arr;
    }
    return node;
  }

  private static Map<String, String> relativize(Path dir, Map<String, Path> artifacts) {
    Map<String, String> out = new LinkedHashMap<>();
    artifacts.forEach((name, p) -> {
      Path abs = p.toAbsolutePath().normalize();
      out.put(name, abs.startsWith(dir) ? dir.relativize(abs).toString().replace('\\', '/') : abs.toString());
    });
    return out;
  }

  private static Map<String, Path> resolveArtifacts(Path dir, Map<String, String> artifacts) {
    Map<String, Path> out = new LinkedHashMap<>();
    if (artifacts != null) {
      artifacts.forEach((name, p) -> out.put(name, dir.resolve(p).normalize()));
    }
    return out;
  }

  private static boolean hasWork(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(p -> !p.getFileName().toString().equals(StageManifest.FILE));
    } catch (IOException e) {
      return false;
    }
  }

  /** Empties a stage directory whose earlier contents were made with other inputs or settings. */
  private static void clear(Path dir) {
    try {
      if (Files.exists(dir)) {
        try (Stream<Path> walk = Files.walk(dir)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            if (!p.equals(dir)) {
              Files.delete(p);
            }
          }
        }
      }
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare stage directory " + dir, e);
    }
  }

  private static double seconds(Instant a, Instant b) {
    return Duration.between(a, b).toNanos() / 1e9;
  }

  private void emit(PipelineEvent event) {
    for (PipelineListener l : listeners) {
      l.onEvent(event);
    }
  }
}
