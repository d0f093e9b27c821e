package dev.zephyr.quickstart;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.model.LlamaModel;
import dev.zephyr.core.model.ModelConfig;
import dev.zephyr.core.model.safetensors.Dtype;
import dev.zephyr.core.tokenizer.LossMode;
import dev.zephyr.core.tokenizer.Tokenizer;
import dev.zephyr.data.feedback.Binarizer;
import dev.zephyr.data.feedback.FeedbackCollector;
import dev.zephyr.data.feedback.OverallRubric;
import dev.zephyr.data.rows.PromptRecord;
import dev.zephyr.train.dpo.DpoLossType;
import dev.zephyr.train.loop.TrainingArguments;
import dev.zephyr.train.optim.SchedulerType;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.DpoStage;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.ModelLoader;
import dev.zephyr.train.pipeline.SftStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.recipe.DpoConfig;
import dev.zephyr.train.recipe.DpoRun;
import dev.zephyr.train.recipe.SftConfig;
import dev.zephyr.train.recipe.SftRun;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The quickstart's real stages: a tiny Llama student trained by zephyr-train's ready stages ({@link SftRun} for
 * pretraining and dSFT, {@link DpoRun} for dDPO, the same ones {@code zephyr sft}, {@code zephyr dpo} and
 * {@code zephyr pipeline} run), AI feedback collected with zephyr-data's {@link FeedbackCollector}, and the local
 * decoder for sampling and evaluation. Each training stage writes {@code metrics.jsonl} (TRL keys) and checkpoints
 * into its stage's {@link StageContext#runDir()}, so an interrupted stage resumes from its newest checkpoint, and the
 * model alone into {@link StageContext#modelDir()}; its manifest records the {@link SftConfig} or {@link DpoConfig}
 * it trained with.
 */
public final class TrainedStages implements QuickstartStages {
  private final Settings settings;

  public TrainedStages(Settings settings) {
    this.settings = settings;
  }

  /**
   * Everything that shapes the run: the student's size, each training stage's config record and the pool's sampling.
   * The configs' model, datasets, directories and seed are the pipeline's (see {@link SftRun}, {@link DpoRun}).
   *
   * @param hiddenSize student {@code hidden_size}
   * @param layers student {@code num_hidden_layers}
   * @param heads student {@code num_attention_heads}
   * @param intermediateSize student {@code intermediate_size}
   * @param pretrain plain-text pretraining (loss on every token)
   * @param sft dSFT (loss on the assistant's tokens)
   * @param dpo dDPO from a frozen reference with cached log-probs
   * @param hotTemperature temperature of the base and dSFT models in the feedback pool
   */
  public record Settings(int hiddenSize, int layers, int heads, int intermediateSize, SftConfig pretrain,
      SftConfig sft, DpoConfig dpo, double hotTemperature) {

    /** The README's quickstart. */
    public static Settings defaults() {
      return new Settings(128, 2, 4, 384, sftConfig(LossMode.ALL, 80, 16, 3e-3),
          sftConfig(LossMode.ASSISTANT_ONLY, 600, 32, 3e-3), dpoConfig(100, 16, 2e-4), 1.0);
    }

    /** The smaller setting the tests use. */
    public static Settings small() {
      return new Settings(128, 2, 4, 384, sftConfig(LossMode.ALL, 60, 16, 3e-3),
          sftConfig(LossMode.ASSISTANT_ONLY, 400, 32, 3e-3), dpoConfig(80, 16, 2e-4), 1.0);
    }
  }

  /** Longest training sequence; the world's conversations are far shorter. */
  static final int MAX_LENGTH = 256;
  /** Longest completion sampled from a model in the pool or in evaluation. */
  static final int MAX_NEW_TOKENS = 32;

  /** An SFT stage's settings: {@code lossMode} on sequences of up to {@link #MAX_LENGTH} tokens, no packing. */
  static SftConfig sftConfig(LossMode lossMode, long maxSteps, int batchSize, double learningRate) {
    SftConfig.Builder b = SftConfig.builder().maxLength(MAX_LENGTH).lossMode(lossMode);
    schedule(b.training(), maxSteps, batchSize, learningRate);
    return b.build();
  }

  /**
   * dDPO's settings: beta 0.1, and TRL's {@code sft} loss (NLL of the chosen completion) added with weight 1 to the
   * sigmoid loss, as RPO does: it keeps a model this small from unlearning its answers while the margins grow. The
   * reference is the initial policy, its log-probs computed once and cached in the stage's run directory.
   */
  static DpoConfig dpoConfig(long maxSteps, int batchSize, double learningRate) {
    DpoConfig.Builder b = DpoConfig.builder().beta(0.1).lossTypes(List.of(DpoLossType.SIGMOID, DpoLossType.SFT))
        .lossWeights(List.of(1.0, 1.0)).maxLength(MAX_LENGTH).precomputeRefLogProbs(true);
    schedule(b.training(), maxSteps, batchSize, learningRate);
    return b.build();
  }

  /**
   * Cosine decay after a 10% warm-up, no weight decay, a metrics line every 5 steps and one checkpoint kept (saved
   * every quarter of the run, at least every 10 steps). No gradient checkpointing: activations of a model this small
   * fit easily, and recomputing them would only cost time.
   */
  private static void schedule(TrainingArguments.Builder t, long maxSteps, int batchSize, double learningRate) {
    t.maxSteps(maxSteps).perDeviceTrainBatchSize(batchSize).learningRate(learningRate)
        .lrSchedulerType(SchedulerType.COSINE).warmupRatio(0.1).weightDecay(0.0).loggingSteps(5)
        .saveSteps(Math.max(10, maxSteps / 4)).saveTotalLimit(1).gradientCheckpointing(false);
  }

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
    return new SftRun(settings.pretrain());
  }

  @Override
  public SftStage sft() {
    return new SftRun(settings.sft());
  }

  @Override
  public DpoStage dpo() {
    return new DpoRun(settings.dpo());
  }

  @Override
  public FeedbackStage feedback(FeedbackSetup setup) {
    return new FeedbackStage() {
      @Override
      public Map<String, Object> config() {
        return Map.of("pool", List.of("base", "dsft-hot", "noisy-teacher", "teacher"), "completions_per_prompt",
            setup.completionsPerPrompt(), "temperature", settings.hotTemperature(), "judge", setup.judge().name(),
            "binarize", "chosen=overall,rejected=random");
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
            ChatModel student = LocalStudent.open(ctx.input(Artifacts.MODEL), "dsft")) {
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
}
