package dev.zephyr.train.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.config.ProviderSpec;
import dev.zephyr.data.feedback.AifConfig;
import dev.zephyr.data.feedback.AifJob;
import dev.zephyr.data.feedback.Binarizer;
import dev.zephyr.data.feedback.FeedbackCollector;
import dev.zephyr.data.rows.PreferenceRecord;
import dev.zephyr.data.rows.RatingRecord;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.PipelineException;
import dev.zephyr.train.pipeline.StageContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The ready AI-feedback stage (UltraFeedback style): the {@code zephyr aif} job of an {@link AifConfig} held in
 * memory, run with {@code output_dir} = the stage directory and the pipeline's seed, so its response cache lets an
 * interrupted stage resume without paying twice. When the pipeline samples the student
 * ({@code Aif.of(run).samplingStudent()}), the current model joins the pool as {@code student}, with the sampling
 * settings given to {@link #samplingStudentWith}. Started from ratings on disk, it only binarises them with the
 * config's {@code binarize} settings. A stage with failed or pending prompts fails, so the pipeline never trains on
 * partial feedback.
 */
public final class AifRun implements FeedbackStage {
  /** Name of the student in the pool. */
  public static final String STUDENT = "student";
  /** The recipe key with the student's sampling settings ({@code temperature}, {@code max_tokens}...). */
  public static final String STUDENT_SAMPLING = "student_sampling";

  private final AifConfig settings;
  private final ProviderSpec studentSampling;
  private final boolean ownSeed;

  /**
   * @param settings the job's options; their {@code output_dir} is the stage directory and their {@code seed} is
   *     replaced by the pipeline's (see {@link #withOwnSeed})
   */
  public AifRun(AifConfig settings) {
    this(settings, null, false);
  }

  private AifRun(AifConfig settings, ProviderSpec studentSampling, boolean ownSeed) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.studentSampling = studentSampling;
    this.ownSeed = ownSeed;
  }

  /** The same stage sampling and binarising with the config's own {@code seed} instead of the pipeline's. */
  public AifRun withOwnSeed() {
    return new AifRun(settings, studentSampling, true);
  }

  /**
   * A recipe stage's options: {@link AifConfig} keys plus {@value #STUDENT_SAMPLING} (pool-entry decoding keys),
   * relative paths resolved against {@code baseDir}; errors name {@code source}. A {@code seed} among them is kept.
   */
  public static AifRun fromOptions(Map<String, ?> options, String source, Path baseDir) {
    ObjectNode node = Json.mapper().valueToTree(options);
    JsonNode sampling = node.remove(STUDENT_SAMPLING);
    AifRun run = new AifRun(AifConfig.stageOptions(node, source, baseDir));
    run = node.has("seed") ? run.withOwnSeed() : run;
    if (sampling == null || sampling.isNull()) {
      return run;
    }
    if (!sampling.isObject()) {
      throw InvalidInputException.field(source, STUDENT_SAMPLING, "expected a mapping of decoding keys");
    }
    ObjectNode spec = ((ObjectNode) sampling.deepCopy()).put("name", STUDENT).put("local", ".");
    return run.samplingStudentWith(ProviderSpec.fromNode(spec, source, STUDENT_SAMPLING, baseDir));
  }

  /**
   * The same stage whose student, when sampled, decodes with the settings of {@code sampling} (its {@code local}
   * directory and name are replaced by the current model and {@value #STUDENT}).
   */
  public AifRun samplingStudentWith(ProviderSpec sampling) {
    return new AifRun(settings, Objects.requireNonNull(sampling, "sampling"), ownSeed);
  }

  /** The job's options (without the stage directory, which the pipeline sets). */
  public AifConfig settings() {
    return settings;
  }

  /** The options under their YAML names; paths as resolved. Endpoint plumbing (retries, timeouts) is left out. */
  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("prompts", settings.prompts().toString());
    c.put("completions_per_prompt", settings.completionsPerPrompt());
    c.put("pool", settings.pool().stream().map(AifRun::providerKeys).toList());
    c.put("judge", providerKeys(settings.judge()));
    c.put("rubric", settings.rubric());
    if (settings.rubricTemplates() != null) {
      c.put("rubric_templates", settings.rubricTemplates().toString());
    }
    if (settings.principles() != null) {
      c.put("principles", settings.principles().toString());
    }
    Map<String, Object> bin = new LinkedHashMap<>();
    bin.put("chosen", lower(settings.chosen()));
    bin.put("rejected", lower(settings.rejected()));
    bin.put("ties", lower(settings.ties()));
    c.put("binarize", bin);
    c.put("judge_attempts", settings.judgeAttempts());
    c.put("on_bad_prompt", lower(settings.onBadPrompt()));
    if (ownSeed) {
      c.put("seed", settings.seed());
    }
    if (studentSampling != null) {
      Map<String, Object> s = providerKeys(studentSampling);
      s.remove("name");
      s.remove("local");
      c.put(STUDENT_SAMPLING, s);
    }
    return c;
  }

  @Override
  public Path completions(StageContext ctx) {
    AifConfig job = settings.withOutputDir(ctx.dir()).withSeed(seed(ctx));
    if (ctx.inputs().containsKey(Artifacts.MODEL)) {
      job = job.withPoolMember(student(ctx.input(Artifacts.MODEL)));
    }
    AifJob.Result r = new AifJob(job).run(ctx.progress());
    FeedbackCollector.Summary s = r.summary().requireComplete();
    ctx.metric("prompts", s.prompts());
    ctx.metric("preference_pairs", s.preferencePairs());
    ctx.metric("prompts_without_pair", s.promptsWithoutPair());
    ctx.metric("judgment_failures", s.judgmentFailures());
    return ctx.dir().resolve("completions.jsonl");
  }

  @Override
  public Path ratings(Path completions, StageContext ctx) {
    if (!same(completions, ctx.dir().resolve("completions.jsonl"))) {
      throw new PipelineException(ctx.id(), "rating a given completions file is not supported; give ratings or"
          + " preferences, or let the stage sample completions with its pool");
    }
    // the job rates as it samples: the ratings lie next to the completions
    return ctx.dir().resolve("ratings.jsonl");
  }

  @Override
  public Path binarize(Path ratings, StageContext ctx) {
    Path out = ctx.dir().resolve("preferences.jsonl");
    if (same(ratings, ctx.dir().resolve("ratings.jsonl")) && Files.exists(out)) {
      return out; // written by the job
    }
    Binarizer b = new Binarizer(settings.chosen(), settings.rejected(), settings.ties(), seed(ctx));
    List<PreferenceRecord> pairs = new ArrayList<>();
    long withoutPair = 0;
    for (RatingRecord r : Jsonl.readAll(ratings, RatingRecord.class)) {
      List<PreferenceRecord> p = b.binarize(r);
      withoutPair += p.isEmpty() ? 1 : 0;
      pairs.addAll(p);
    }
    Jsonl.writeAll(out, pairs);
    ctx.metric("preference_pairs", pairs.size());
    ctx.metric("prompts_without_pair", withoutPair);
    return out;
  }

  private long seed(StageContext ctx) {
    return ownSeed ? settings.seed() : ctx.seed();
  }

  /** The current model as a pool member, sampled with the student settings (the job's defaults without them). */
  private ProviderSpec student(Path model) {
    ProviderSpec s = studentSampling;
    return s == null
        ? new ProviderSpec(STUDENT, null, model, null, null, null, true, null, null, null)
        : new ProviderSpec(STUDENT, null, model, s.temperature(), s.topP(), s.maxTokens(), s.usePrinciples(),
            s.presencePenalty(), s.frequencyPenalty(), s.repetitionPenalty());
  }

  /** What decides a provider's answers, under the YAML names; unset keys are left out. */
  private static Map<String, Object> providerKeys(ProviderSpec p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    if (p.endpoint() != null && !p.endpoint().baseUrls().isEmpty()) {
      List<String> urls = p.endpoint().baseUrls();
      m.put("base_url", urls.size() == 1 ? urls.get(0) : urls);
    }
    putIfSet(m, "model", p.endpoint() == null ? null : p.endpoint().model());
    putIfSet(m, "local", p.local() == null ? null : p.local().toString());
    putIfSet(m, "temperature", p.temperature());
    putIfSet(m, "top_p", p.topP());
    putIfSet(m, "max_tokens", p.maxTokens());
    putIfSet(m, "presence_penalty", p.presencePenalty());
    putIfSet(m, "frequency_penalty", p.frequencyPenalty());
    putIfSet(m, "repetition_penalty", p.repetitionPenalty());
    m.put("use_principles", p.usePrinciples());
    return m;
  }

  private static void putIfSet(Map<String, Object> m, String key, Object value) {
    if (value != null) {
      m.put(key, value);
    }
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private static boolean same(Path a, Path b) {
    return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }
}
