package dev.zephyr.data.feedback;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.cache.CachedChatModel;
import dev.zephyr.core.chat.cache.ResponseStore;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.config.ProviderSpec;
import dev.zephyr.data.io.DatasetRows;
import dev.zephyr.data.rows.PromptRecord;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything {@code zephyr aif} does, minus the console: read prompts, build the pool and the judge from their
 * {@link ProviderSpec}s behind one durable response cache, run the {@link FeedbackCollector}.
 */
public final class AifJob {
  private final AifConfig config;
  private long skippedPromptLines;

  public AifJob(AifConfig config) {
    if (config.outputDir() == null) {
      // a stage's settings before the pipeline placed them (AifConfig.stageOptions)
      throw new IllegalArgumentException("the AI-feedback job has no output_dir; call AifConfig.withOutputDir first");
    }
    this.config = config;
  }

  /** The prompts, in file order (duplicates are removed later by prompt id). */
  public List<PromptRecord> prompts() {
    List<PromptRecord> out = new ArrayList<>();
    String src = config.prompts().toString();
    DatasetRows.Stats stats = DatasetRows.forEach(config.prompts(), config.onBadPrompt(), row -> {
      try {
        out.add(PromptRecord.fromRow(row.value(), src, row.line()));
      } catch (InvalidInputException e) {
        if (config.onBadPrompt() == Jsonl.OnError.FAIL) {
          throw e;
        }
      }
    });
    skippedPromptLines = stats.skipped() + (stats.rows() - out.size());
    return out;
  }

  /** Malformed prompt lines skipped (with {@code on_bad_prompt: skip}). */
  public long skippedPromptLines() {
    return skippedPromptLines;
  }

  /** The result of a run plus cache traffic. */
  public record Result(FeedbackCollector.Summary summary, long cacheHits, long cacheMisses, int tornCacheLines) {}

  /** Runs the job; its model calls are reported to {@code progress} (see {@link FeedbackCollector#run}). */
  public Result run(Progress progress) {
    List<PromptRecord> prompts = prompts();
    Rubric rubric = switch (config.rubric()) {
      case "overall" -> OverallRubric.defaults();
      case "ultrafeedback" -> UltraFeedbackRubric.load(config.rubricTemplates());
      case "ultrafeedback+overall" -> new CombinedRubric(UltraFeedbackRubric.load(config.rubricTemplates()),
          OverallRubric.defaults());
      case "ultrafeedback_critique" -> OverallRubric.ultraFeedbackCritique(config.rubricTemplates());
      case "ultrafeedback+critique" -> new CombinedRubric(UltraFeedbackRubric.load(config.rubricTemplates()),
          OverallRubric.ultraFeedbackCritique(config.rubricTemplates()));
      default -> OverallRubric.fromFile(config.source().toAbsolutePath().getParent().resolve(config.rubric()));
    };
    Principles principles = config.principles() == null ? null : Principles.load(config.principles());
    List<CachedChatModel> opened = new ArrayList<>();
    try (ResponseStore store = ResponseStore.open(config.cache())) {
      try {
        List<FeedbackCollector.PoolMember> pool = new ArrayList<>();
        for (ProviderSpec spec : config.pool()) {
          CachedChatModel m = new CachedChatModel(spec.toChatModel(), store);
          opened.add(m);
          pool.add(new FeedbackCollector.PoolMember(spec.name(), m,
              spec.samplingParams(SamplingParams.builder().maxTokens(1024).build()), spec.usePrinciples()));
        }
        CachedChatModel judge = new CachedChatModel(config.judge().toChatModel(), store);
        opened.add(judge);
        SamplingParams judgeParams = config.judge().samplingParams(SamplingParams.greedy(1024));
        FeedbackCollector collector = new FeedbackCollector(pool, judge, rubric, principles,
            new Binarizer(config.chosen(), config.rejected(), config.ties(), config.seed()),
            new FeedbackCollector.Settings(config.completionsPerPrompt(), config.seed(), judgeParams,
                config.judgeAttempts(), config.chunkSize()));
        FeedbackCollector.Summary summary = collector.run(prompts, config.outputDir(), progress);
        long hits = opened.stream().mapToLong(CachedChatModel::hits).sum();
        long misses = opened.stream().mapToLong(CachedChatModel::misses).sum();
        return new Result(summary, hits, misses, store.tornLinesDropped());
      } finally {
        for (ChatModel m : opened) {
          m.close();
        }
      }
    }
  }

  /** Where the outputs go. */
  public Path outputDir() {
    return config.outputDir();
  }
}
