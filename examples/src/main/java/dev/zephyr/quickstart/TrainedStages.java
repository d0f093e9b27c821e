package dev.zephyr.quickstart;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.tokenizer.ChatTokenizer;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.data.feedback.Binarizer;
import dev.zephyr.data.feedback.FeedbackCollector;
import dev.zephyr.data.feedback.OverallRubric;
import dev.zephyr.data.rows.PromptRecord;
import dev.zephyr.train.dpo.DpoData;
import dev.zephyr.train.dpo.DpoExample;
import dev.zephyr.train.dpo.DpoTask;
import dev.zephyr.train.dpo.ReferenceLogps;
import dev.zephyr.train.loop.Trainer;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.SchedulerType;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.ModelLoader;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.recipe.TrainingRuns;
import dev.zephyr.train.sft.SftData;
import dev.zephyr.train.sft.SftSequence;
import dev.zephyr.train.sft.SftTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quickstart's real stages: a tiny Llama student trained with zephyr-train's SFT and DPO trainers, AI feedback
 * collected with zephyr-data's {@link FeedbackCollector}, and the local decoder for sampling and evaluation. Each
 * trainer writes {@code metrics.jsonl} (TRL keys) and checkpoints into its stage's {@link StageContext#runDir()}, so an
 * interrupted stage resumes from its newest checkpoint, and exports the model alone to {@link StageContext#modelDir()}.
 */
public final class TrainedStages implements QuickstartStages {
  private final Settings settings;

  public TrainedStages(Settings settings) {
    this.settings = settings;
  }

  /**
   * Optimisation of one training stage.
   *
   * @param maxSteps optimizer steps
   * @param batchSize sequences (or preference pairs) per step
   * @param learningRate peak learning rate (cosine decay after a 10% warm-up)
   */
  public record Training(long maxSteps, int batchSize, double learningRate) {
    Map<String, Object> config() {
      return Map.of("max_steps", maxSteps, "per_device_train_batch_size", batchSize, "learning_rate", learningRate);
    }
  }

  /**
   * Everything that shapes the run: the student's size, each stage's optimisation, DPO's beta and the pool's
   * sampling.
   *
   * @param hiddenSize student {@code hidden_size}
   * @param layers student {@code num_hidden_layers}
   * @param heads student {@code num_attention_heads}
   * @param intermediateSize student {@code intermediate_size}
   * @param pretrain plain-text pretraining
   * @param sft dSFT
   * @param dpo dDPO
   * @param beta DPO's beta
   * @param sftWeight weight of TRL's {@code sft} loss (NLL of the chosen completion) added to the sigmoid loss, as
   *     RPO does: it keeps a model this small from unlearning its answers while the margins grow
   * @param hotTemperature temperature of the base and dSFT models in the feedback pool
   */
  public record Settings(int hiddenSize, int layers, int heads, int intermediateSize, Training pretrain, Training sft,
      Training dpo, double beta, double sftWeight, double hotTemperature) {

    /** The README's quickstart. */
    public static Settings defaults() {
      return new Settings(128, 2, 4, 384, new Training(80, 16, 3e-3), new Training(600, 32, 3e-3),
          new Training(100, 16, 2e-4), 0.1, 1.0, 1.0);
    }

    /** The smaller setting the tests use. */
    public static Settings small() {
      return new Settings(128, 2, 4, 384, new Training(60, 16, 3e-3), new Training(400, 32, 3e-3),
          new Training(80, 16, 2e-4), 0.1, 1.0, 1.0);
    }
  }

  /** Longest training sequence; the world's conversations are far shorter. */
  static final int MAX_LENGTH = 256;
  /** Longest completion sampled from a model in the pool or in evaluation. */
  static final int MAX_NEW_TOKENS = 32;

  public Settings settings() {
    return settings;
  }

  @Override
  public Path initStudent(Path tokenizerDir, Path outDir, long seed) {
    int vocab;
    Integer bos;
    Integer eos;
    Integer pad;
    try (Tokenizer tok = Tokenizer.load(tokenizerDir)) {
      vocab = tok.vocabSize();
      bos = tok.bosTokenId().isPresent() ? tok.bosTokenId().getAsInt() : null;
      eos = tok.eosTokenId().orElseThrow();
      pad = tok.padTokenId().isPresent() ? tok.padTokenId().getAsInt() : null;
    }
    ModelConfig cfg = ModelConfig.builder().hiddenSize(settings.hiddenSize()).numHiddenLayers(settings.layers())
        .numAttentionHeads(settings.heads()).numKeyValueHeads(settings.heads())
        .intermediateSize(settings.intermediateSize()).vocabSize(vocab).maxPositionEmbeddings(MAX_LENGTH)
        .tieWordEmbeddings(true).bosTokenId(bos).eosTokenIds(List.of(eos)).padTokenId(pad).build();
    try (NDManager root = NDManager.newBaseManager(); LlamaModel model = LlamaModel.random(cfg, seed, root)) {
      model.save(outDir, Dtype.F32, tokenizerDir);
    }
    return outDir;
  }

  @Override
  public SftStage pretraining() {
    return sftStage(settings.pretrain(), LossMode.ALL);
  }

  @Override
  public SftStage sft() {
    // the completion is what the student must learn; the prompts it only has to read
    return sftStage(settings.sft(), LossMode.ASSISTANT_ONLY);
  }

  private SftStage sftStage(Training t, LossMode lossMode) {
    return new SftStage() {
      @Override
      public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>(t.config());
        c.put("loss_mode", lossMode.name().toLowerCase(Locale.ROOT));
        c.put("max_length", MAX_LENGTH);
        return c;
      }

      @Override
      public Path train(Path model, Path dataset, StageContext ctx) {
        Path out = ctx.modelDir();
        TrainingArguments args = arguments(ctx.runDir(), t, ctx.seed());
        try (NDManager root = NDManager.newBaseManager();
            Tokenizer tokenizer = Tokenizer.load(model);
            LlamaModel llama = LlamaModel.load(model, root)) {
          ChatTokenizer tok = ChatTokenizer.of(tokenizer);
          List<SftSequence> rows = SftData.prepare(dataset, tok, new SftData.Options(MAX_LENGTH, lossMode, false),
              ctx.progress()).rows();
          Trainer.TrainResult r;
          try (Trainer<SftSequence, SftTask.Batch> trainer = new Trainer<>(args, new SftTask(llama), rows,
              new LinkedHashMap<>(llama.parameters()))) {
            r = trainer.progress(ctx.progress()).train();
          }
          TrainingRuns.export(llama, model, out);
          ctx.metric("train_loss", r.lastLogged().getOrDefault("loss", Double.NaN));
          ctx.metric("train_runtime", r.seconds());
        }
        return out;
      }
    };
  }

  @Override
  public DpoStage dpo() {
    Training t = settings.dpo();
    return new DpoStage() {
      @Override
      public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>(t.config());
        c.put("beta", settings.beta());
        c.put("loss_type", List.of("sigmoid", "sft"));
        c.put("loss_weights", List.of(1.0, settings.sftWeight()));
        c.put("precompute_ref_log_probs", true);
        return c;
      }

      @Override
      public Path train(Path model, Path preferences, StageContext ctx) {
        Path out = ctx.modelDir();
        TrainingArguments args = arguments(ctx.runDir(), t, ctx.seed());
        try (NDManager root = NDManager.newBaseManager();
            Tokenizer tokenizer = Tokenizer.load(model);
            LlamaModel policy = LlamaModel.load(model, root)) {
          ChatTokenizer tok = ChatTokenizer.of(tokenizer);
          List<DpoExample> pairs = DpoData.prepare(preferences, tok, MAX_LENGTH, ctx.progress());
          // reference = the initial policy, its log-probs computed once and cached next to the checkpoints
          pairs = ReferenceLogps.cached(ctx.runDir().resolve("ref_cache"), policy, tokenizer.dir().toString(), pairs,
              t.batchSize(), ctx.progress());
          Map<String, NDArray> params = new LinkedHashMap<>(policy.parameters());
          Trainer.TrainResult r;
          try (Trainer<DpoExample, DpoTask.Batch> trainer = new Trainer<>(args,
              new DpoTask(policy, null, new dev.zephyr.train.dpo.DpoLoss(settings.beta(), 0,
                  List.of(dev.zephyr.train.dpo.DpoLossType.SIGMOID, dev.zephyr.train.dpo.DpoLossType.SFT),
                  List.of(1.0, settings.sftWeight()))), pairs, params)) {
            r = trainer.progress(ctx.progress()).train();
          }
          TrainingRuns.export(policy, model, out);
          Map<String, Double> last = r.lastLogged();
          ctx.metric("train_loss", last.getOrDefault("loss", Double.NaN));
          ctx.metric("rewards/accuracies", last.getOrDefault("rewards/accuracies", Double.NaN));
          ctx.metric("rewards/margins", last.getOrDefault("rewards/margins", Double.NaN));
          ctx.metric("pairs", pairs.size());
        }
        return out;
      }
    };
  }

  @Override
  public FeedbackStage feedback(FeedbackSetup setup) {
    return new FeedbackStage() {
      @Override
      public Map<String, Object> config() {
        return Map.of("pool", List.of("base", "dsft-hot", "noisy-teacher", "teacher"), "completions_per_prompt",
            setup.completionsPerPrompt(), "temperature", settings.hotTemperature(), "judge", setup.judge().name(), "binarize", "chosen=overall,rejected=random");
      }

      @Override
      public Path completions(StageContext ctx) throws Exception {
        List<PromptRecord> prompts = new ArrayList<>();
        for (JsonNode row : Jsonl.readAll(setup.prompts())) {
          prompts.add(new PromptRecord(row.get("prompt_id").asText(), row.get("prompt").asText(), "quickstart"));
        }
        SamplingParams hot = SamplingParams.builder().temperature(settings.hotTemperature())
            .maxTokens(MAX_NEW_TOKENS).build();
        try (ChatModel base = LocalStudent.open(setup.baseModel(), "base");
            ChatModel student = LocalStudent.open(ctx.input(dev.zephyr.train.pipeline.Artifacts.MODEL), "dsft")) {
          List<FeedbackCollector.PoolMember> pool = List.of(
              new FeedbackCollector.PoolMember("base", base, hot, false),
              new FeedbackCollector.PoolMember("dsft-hot", student, hot, false),
              new FeedbackCollector.PoolMember("noisy-teacher", setup.noisyTeacher(), hot, false),
              new FeedbackCollector.PoolMember("teacher", setup.teacher(), hot, false));
          FeedbackCollector collector = new FeedbackCollector(pool, setup.judge(), rubric(), null,
              Binarizer.zephyr(setup.seed()), new FeedbackCollector.Settings(setup.completionsPerPrompt(),
                  setup.seed(), SamplingParams.greedy(256), 1, 256));
          FeedbackCollector.Summary s = collector.run(prompts, ctx.dir(), ctx.progress()).requireComplete();
          ctx.metric("preference_pairs", s.preferencePairs());
          ctx.metric("judgment_failures", s.judgmentFailures());
        }
        return ctx.dir().resolve("completions.jsonl");
      }

      @Override
      public Path ratings(Path completions, StageContext ctx) {
        // the collector rates as it samples; the ratings lie next to the completions
        return completions.resolveSibling("ratings.jsonl");
      }

      @Override
      public Path binarize(Path ratings, StageContext ctx) {
        return ratings.resolveSibling("preferences.jsonl");
      }
    };
  }

  /** The collector's overall rubric in the {@link GradingPrompt} layout, which the rule-based judge reads. */
  static OverallRubric rubric() {
    return new OverallRubric("quickstart", null, GradingPrompt.render("{instruction}", "{completion}"));
  }

  @Override
  public ModelLoader loader() {
    return dir -> LocalStudent.open(dir, dir.getParent().getFileName() + "/" + dir.getFileName());
  }

  private static TrainingArguments arguments(Path runDir, Training t, long seed) {
    long save = Math.max(10, t.maxSteps() / 4);
    return TrainingArguments.builder(runDir).maxSteps(t.maxSteps()).perDeviceTrainBatchSize(t.batchSize())
        .learningRate(t.learningRate()).lrSchedulerType(SchedulerType.COSINE).warmupRatio(0.1).weightDecay(0.0)
        .seed(seed).loggingSteps(5).saveSteps(save).saveTotalLimit(1).build();
  }
}
