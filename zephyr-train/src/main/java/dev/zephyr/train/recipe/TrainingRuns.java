package dev.zephyr.train.recipe;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.zephyr.core.CheckpointException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelFiles;
import dev.zephyr.core.model.lora.AdaptedModel;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.train.data.DatasetMixture;
import dev.zephyr.train.data.MixtureReader;
import dev.zephyr.train.dpo.DpoData;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.loop.FusedHead;
import dev.zephyr.train.pipeline.Digests;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.reward.BradleyTerryLoss;
import dev.zephyr.train.reward.RewardData;
import dev.zephyr.train.reward.RewardModel;
import dev.zephyr.train.reward.RewardTask;
import dev.zephyr.train.sft.SftData;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.io.Jsonl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.zephyr.train.data.EvalData;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a recipe end to end: load the model and tokenizer from the local model directory (or a PEFT adapter directory,
 * merged into its base on load as TRL does before training a new adapter: {@link AdaptedModel#loadMerged}), prepare the data, train in
 * {@code run_dir} (checkpoints, {@code metrics.jsonl}, the DPO reference cache; a rerun resumes from its newest
 * checkpoint), and write the trained model as a clean Hugging Face directory at {@code output_dir} (config.json,
 * generation_config.json, model.safetensors, tokenizer files, nothing else).
 *
 * <p>Every array of a run (weights, adapters, optimizer state, batches) lives on the device of
 * {@link dev.zephyr.train.loop.TrainingArguments#deviceOrDefault()}: the model is loaded into a manager on it, and
 * everything else is created from the managers of the model's arrays.
 *
 * <p>Data preparation, reference log-probs and training steps report to the given {@link Progress} (a bar on the
 * error stream by default, as {@code trl sft} draws one); {@code disable_tqdm: true} silences all of them.
 */
public final class TrainingRuns {
  private static final Logger LOG = LoggerFactory.getLogger(TrainingRuns.class);
  private static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
      "special_tokens_map.json", "chat_template.jinja");

  private TrainingRuns() {}

  /** Runs an SFT recipe with progress on the error stream; returns the trainer's result. */
  public static Trainer.TrainResult sft(SftConfig c) {
    return sft(c, ConsoleProgress.stderr());
  }

  /** Runs an SFT recipe reporting to {@code progress}; returns the trainer's result. */
  public static Trainer.TrainResult sft(SftConfig c, Progress progress) {
    Device device = c.training().deviceOrDefault(); // a device this machine lacks fails before anything loads
    requireReplaceable(c.outputDir());
    Progress p = c.training().disableTqdm() ? Progress.NONE : progress;
    Path tokenizerDir = AdaptedModel.tokenizerDirOf(c.modelNameOrPath());
    try (NDManager root = NDManager.newBaseManager(device);
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        LlamaModel base = FrozenWeights.loadBase(c.modelNameOrPath(), c.lora(),
            c.training().gradientCheckpointing(), root);
        Adapted adapted = Adapted.of(base, c.lora(), c.modelNameOrPath(), c.training().seed(), root)) {
      ChatTokenizer tok = ChatTokenizer.of(tokenizer);
      SftData.Options options = new SftData.Options(c.maxLength(), c.lossMode(), c.packing());
      String source = c.datasetMixture().describe();
      Split<SftSequence> rows = split(SftData.tokenize(c.datasetMixture(), tok, options,
          MixtureReader.Options.defaults(), p), source, c.evalData(),
          (part, name) -> SftData.finish(part, name, options).rows(), f -> SftData.prepare(f, tok, options, p).rows());
      Trainer.TrainResult r;
      try (Trainer<SftSequence, SftTask.Batch> t = new Trainer<>(c.training(),
          adapted.task(new SftTask(c.training().compute(adapted.model()))), rows.train(), adapted.trainable())) {
        r = t.progress(p).taskConfig(c.taskKeys()).checkpointWeights(adapted.checkpointWeights())
            .evalDataset(rows.eval()).train();
      }
      adapted.export(tokenizerDir, c.outputDir());
      return r;
    }
  }

  /** Runs a DPO recipe with progress on the error stream; see {@link #dpo(DpoConfig, Progress)}. */
  public static Trainer.TrainResult dpo(DpoConfig c) {
    return dpo(c, ConsoleProgress.stderr());
  }

  /** Runs a DPO recipe; the reference is a frozen copy, another model, or cached log-probs. */
  public static Trainer.TrainResult dpo(DpoConfig c, Progress progress) {
    Device device = c.training().deviceOrDefault(); // a device this machine lacks fails before anything loads
    requireReplaceable(c.outputDir());
    Progress p = c.training().disableTqdm() ? Progress.NONE : progress;
    Path tokenizerDir = AdaptedModel.tokenizerDirOf(c.modelNameOrPath());
    try (NDManager root = NDManager.newBaseManager(device);
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        LlamaModel base = FrozenWeights.loadBase(c.modelNameOrPath(), c.lora(),
            c.training().gradientCheckpointing(), root);
        Adapted adapted = Adapted.of(base, c.lora(), c.modelNameOrPath(), c.training().seed(), root)) {
      ChatTokenizer tok = ChatTokenizer.of(tokenizer);
      String source = c.datasetMixture().describe();
      Split<DpoExample> split = split(DpoData.tokenize(c.datasetMixture(), tok, c.maxLength(),
          MixtureReader.Options.defaults(), p), source, c.evalData(),
          (part, name) -> DpoData.finish(part, name, c.maxLength()).pairs(),
          f -> DpoData.prepare(f, tok, c.maxLength(), p));
      List<DpoExample> pairs = split.train();
      List<DpoExample> evalPairs = split.eval();
      Path refDir = c.refModelNameOrPath() != null ? c.refModelNameOrPath() : c.modelNameOrPath();
      // With adapters the base weights are the adapters-off reference (as TRL does with PEFT): no second copy.
      // Without, the initial policy is the reference only when its log-probs are cached before training starts.
      boolean baseIsReference = c.refModelNameOrPath() == null && (c.lora() != null || c.precomputeRefLogProbs());
      LlamaModel reference = null;
      try {
        if (c.precomputeRefLogProbs()) {
          LlamaModel ref = c.training().compute(
              baseIsReference ? base : (reference = FrozenWeights.loadFrozen(refDir, root)));
          pairs = ReferenceLogps.cached(c.runDir().resolve("ref_cache"), ref,
              tokenizerDigest(tokenizerDir), pairs, c.training().perDeviceTrainBatchSize(), p);
          if (!evalPairs.isEmpty()) {
            evalPairs = ReferenceLogps.cached(c.runDir().resolve("ref_cache"), ref,
                tokenizerDigest(tokenizerDir), evalPairs, c.training().perDeviceEvalBatchSize(), p);
          }
          if (reference != null) {
            reference.close();
            reference = null;
          }
        } else if (!baseIsReference) {
          reference = FrozenWeights.loadFrozen(refDir, root);
        }
        LlamaModel liveReference = c.training().compute(
            c.precomputeRefLogProbs() ? null : baseIsReference ? base : reference);
        Trainer.TrainResult r;
        try (Trainer<DpoExample, DpoTask.Batch> t = new Trainer<>(c.training(),
            adapted.task(new DpoTask(c.training().compute(adapted.model()), liveReference, c.loss(),
                FusedHead.DEFAULT_CHUNK,
                c.pairsPerForward())), pairs, adapted.trainable())) {
          r = t.progress(p).taskConfig(c.taskKeys()).checkpointWeights(adapted.checkpointWeights())
              .evalDataset(evalPairs).train();
        }
        adapted.export(tokenizerDir, c.outputDir());
        return r;
      } finally {
        if (reference != null) {
          reference.close();
        }
      }
    }
  }

  /** Runs a reward-model recipe with progress on the error stream; see {@link #reward(RewardConfig, Progress)}. */
  public static Trainer.TrainResult reward(RewardConfig c) {
    return reward(c, ConsoleProgress.stderr());
  }

  /**
   * Trains a reward model (TRL's RewardTrainer): the decoder of {@code model_name_or_path} with a new scalar head
   * ({@code score.weight}, seeded by {@code seed}), Bradley-Terry loss over the comparison files; writes the
   * sequence-classification directory with the tokenizer files at {@code output_dir}.
   */
  public static Trainer.TrainResult reward(RewardConfig c, Progress progress) {
    Device device = c.training().deviceOrDefault(); // a device this machine lacks fails before anything loads
    c.training().warnBf16Unused("reward-model");
    requireReplaceable(c.outputDir());
    Progress p = c.training().disableTqdm() ? Progress.NONE : progress;
    Path tokenizerDir = AdaptedModel.tokenizerDirOf(c.modelNameOrPath());
    try (NDManager root = NDManager.newBaseManager(device);
        Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        LlamaModel decoder = AdaptedModel.loadMerged(c.modelNameOrPath(), root)) {
      ChatTokenizer tok = ChatTokenizer.of(tokenizer);
      Split<RewardTask.Pair> pairs = split(c.datasets(), c.evalData(), (rows, selected, source, task) ->
          RewardData.prepare(rows, selected, source, task, tok, c.maxLength(), p).pairs());
      RewardModel rm = RewardModel.withNewHead(decoder, RewardConfig.HEAD_INIT_STD, c.training().seed());
      Trainer.TrainResult r;
      try (Trainer<RewardTask.Pair, RewardTask.Batch> t = new Trainer<>(c.training(),
          new RewardTask(rm, new BradleyTerryLoss(c.centerRewardsCoefficient())), pairs.train(), rm.parameters())) {
        r = t.progress(p).taskConfig(c.taskKeys()).evalDataset(pairs.eval()).train();
      }
      rm.save(c.outputDir(), tokenizerDir);
      LOG.info("reward model written to {}", c.outputDir());
      return r;
    }
  }

  /** Training and evaluation examples. */
  record Split<T>(List<T> train, List<T> eval) {}

  /** Prepares the rows of one file that {@code selected} accepts (by index), as task {@code task}. */
  interface Preparer<T> {
    List<T> prepare(List<JsonNode> rows, IntPredicate selected, String source, String task);
  }

  /**
   * For the reward run's comparison files, read whole (SFT and DPO cut from the streamed mixture instead, {@link #split(List, String, EvalData,
   * BiFunction, Function)}, which gives the same indices for files given in order): the training files' rows, less
   * those held out by {@code test_split_size} (indices over the files concatenated, as {@code concatenate_datasets}
   * numbers them), and the evaluation rows: the held-out ones, or those of {@code eval_dataset_path}. Each side is
   * prepared file by file, so errors name the file and line.
   */
  static <T> Split<T> split(List<Path> datasets, EvalData evalData, Preparer<T> preparer) {
    List<List<JsonNode>> files = datasets.stream().map(Jsonl::readAll).toList();
    int n = files.stream().mapToInt(List::size).sum();
    BitSet heldOut = evalData.holdOut() == null ? new BitSet() : evalData.holdOut().heldOut(n);
    List<T> train = new ArrayList<>();
    List<T> eval = new ArrayList<>();
    int offset = 0;
    for (int i = 0; i < files.size(); i++) {
      int first = offset;
      String source = datasets.get(i).toString();
      String name = datasets.get(i).getFileName().toString();
      train.addAll(preparer.prepare(files.get(i), j -> !heldOut.get(first + j), source, "tokenize " + name));
      if (evalData.holdOut() != null) {
        eval.addAll(preparer.prepare(files.get(i), j -> heldOut.get(first + j), source,
            "tokenize " + name + " (held out)"));
      }
      offset += files.get(i).size();
    }
    if (evalData.holdOut() != null) {
      LOG.info("held out {} of {} rows for evaluation (test_split_size {}, seed {})", heldOut.cardinality(), n,
          evalData.holdOut().asKey(), evalData.holdOut().seed());
    }
    for (Path f : evalData.files()) {
      eval.addAll(preparer.prepare(Jsonl.readAll(f), j -> true, f.toString(), "tokenize " + f.getFileName()));
    }
    if (!evalData.isNone() && eval.isEmpty()) {
      throw new InvalidInputException(String.valueOf(datasets), 0, null, "no usable evaluation row: every row of "
          + (evalData.holdOut() != null ? "the held-out split" : "eval_dataset_path") + " was dropped");
    }
    return new Split<>(train, eval);
  }

  /**
   * Cuts the held-out split from a mixture's tokenised examples (before truncation, dropping and packing), as the
   * alignment-handbook cuts {@code train_test_split(test_split_size, seed)} from the mixed dataset: the indices of
   * {@link dev.zephyr.train.data.HoldOut#heldOut} are positions in mixture order. Each side is then finished
   * ({@code finish}: truncation, dropping, packing) on its own; {@code eval_dataset_path} files are prepared whole.
   */
  static <B, T> Split<T> split(List<B> tokenized, String source, EvalData evalData,
      BiFunction<List<B>, String, List<T>> finish, Function<Path, List<T>> evalFile) {
    List<B> train = tokenized;
    List<T> eval = new ArrayList<>();
    if (evalData.holdOut() != null) {
      BitSet heldOut = evalData.holdOut().heldOut(tokenized.size());
      train = new ArrayList<>(tokenized.size() - heldOut.cardinality());
      List<B> held = new ArrayList<>(heldOut.cardinality());
      for (int i = 0; i < tokenized.size(); i++) {
        (heldOut.get(i) ? held : train).add(tokenized.get(i));
      }
      LOG.info("held out {} of {} rows for evaluation (test_split_size {}, seed {})", held.size(), tokenized.size(),
          evalData.holdOut().asKey(), evalData.holdOut().seed());
      eval.addAll(finish.apply(held, source + " (held out)"));
    }
    List<T> trainRows = finish.apply(train, source);
    for (Path f : evalData.files()) {
      eval.addAll(evalFile.apply(f));
    }
    if (!evalData.isNone() && eval.isEmpty()) {
      throw new InvalidInputException(source, 0, null, "no usable evaluation row: every row of "
          + (evalData.holdOut() != null ? "the held-out split" : "eval_dataset_path") + " was dropped");
    }
    return new Split<>(trainRows, eval);
  }

  /** A digest of the tokenizer files, for the reference cache key. */
  public static String tokenizerDigest(Path modelDir) {
    StringBuilder sb = new StringBuilder();
    for (String f : TOKENIZER_FILES) {
      Path p = modelDir.resolve(f);
      if (Files.exists(p)) {
        sb.append(f).append(':').append(Digests.sha256(p)).append(';');
      }
    }
    return sb.toString();
  }

  /**
   * Writes {@code model} and the tokenizer files of {@code sourceDir} as a Hugging Face directory at {@code modelDir},
   * replacing it as a whole (atomically, through {@link LlamaModel#save(Path, Dtype, Path)}).
   *
   * @throws InvalidInputException if {@code modelDir} holds anything that is not part of a model, which would be lost
   */
  public static void export(LlamaModel model, Path sourceDir, Path modelDir) {
    requireReplaceable(modelDir);
    model.save(modelDir, Dtype.F32, sourceDir);
    LOG.info("model written to {}", modelDir);
  }

  /**
   * Fails unless {@code modelDir} is absent or holds only model and tokenizer files: the export replaces it, and
   * checking first means a misplaced {@code output_dir} (say, one that still holds checkpoints from a version that
   * kept them there) fails before training, not after.
   */
  static void requireReplaceable(Path modelDir) {
    if (!Files.isDirectory(modelDir)) {
      if (Files.exists(modelDir)) {
        throw InvalidInputException.field(modelDir.toString(), "output_dir", "exists and is not a directory");
      }
      return;
    }
    List<String> foreign;
    try (Stream<Path> s = Files.list(modelDir)) {
      foreign = s.map(p -> p.getFileName().toString()).filter(n -> !ModelFiles.isModelFile(n)).sorted().toList();
    } catch (IOException e) {
      throw new CheckpointException("cannot list " + modelDir, e);
    }
    if (!foreign.isEmpty()) {
      throw InvalidInputException.field(modelDir.toString(), "output_dir", "holds " + foreign + ", which are not"
          + " model files; output_dir is replaced by the trained model, and checkpoints belong in run_dir (default "
          + RunDirs.besides(modelDir) + "). Move them there (checkpoint-N/ to resume) or choose another output_dir");
    }
  }
}
