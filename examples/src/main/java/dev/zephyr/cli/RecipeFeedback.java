package dev.zephyr.cli;

import dev.zephyr.core.ZephyrException;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.feedback.AifConfig;
import dev.zephyr.data.feedback.AifJob;
import dev.zephyr.data.feedback.Binarizer;
import dev.zephyr.data.feedback.FeedbackCollector;
import dev.zephyr.data.rows.PreferenceRecord;
import dev.zephyr.data.rows.RatingRecord;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.FeedbackStage;
import dev.zephyr.train.pipeline.StageContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A recipe's {@code aif} stage with pool and judge settings: the {@code zephyr aif} job ({@link AifConfig} keys:
 * {@code prompts}, {@code pool}, {@code judge}, {@code rubric}, {@code binarize}, {@code completions_per_prompt}...)
 * run with {@code output_dir} = the stage directory, so its response cache lets an interrupted stage resume without
 * paying twice. With {@code sample_student: true} the model from the previous stage joins the pool as
 * {@code student}, sampled with {@code student_sampling: {temperature, max_tokens, ...}} (pool-entry keys). Started from given {@code ratings}, it only binarises them with the {@code binarize} settings.
 */
final class RecipeFeedback implements FeedbackStage {
  private static final String CONFIG_FILE = "aif.yaml";
  /** Sampling settings of the student in the pool ({@code temperature}, {@code max_tokens}, ...). */
  private static final String STUDENT_SAMPLING = "student_sampling";
  private final Map<String, Object> options;

  RecipeFeedback(Map<String, Object> options) {
    if (options.containsKey("output_dir")) {
      throw new ZephyrException("recipe stage aif: 'output_dir' is set by the pipeline (the stage directory); "
          + "remove it");
    }
    this.options = options;
  }

  @Override
  public Map<String, Object> config() {
    return options;
  }

  @Override
  public Path completions(StageContext ctx) throws IOException {
    Map<String, Object> o = new LinkedHashMap<>(options);
    o.put("output_dir", ctx.dir().toString());
    o.putIfAbsent("seed", ctx.seed());
    Object studentSampling = o.remove(STUDENT_SAMPLING);
    if (ctx.inputs().containsKey(Artifacts.MODEL) && o.get("pool") instanceof List<?> pool) {
      Map<String, Object> student = new LinkedHashMap<>();
      if (studentSampling instanceof Map<?, ?> m) {
        m.forEach((k, v) -> student.put(k.toString(), v));
      }
      student.put("name", "student");
      student.put("local", ctx.input(Artifacts.MODEL).toString());
      List<Object> withStudent = new ArrayList<>(pool);
      withStudent.add(student);
      o.put("pool", withStudent);
    }
    Object rubric = o.get("rubric");
    if (rubric instanceof String r && r.contains(".") && !Path.of(r).isAbsolute()) {
      throw new ZephyrException("recipe stage aif: rubric template '" + r + "' must be an absolute path");
    }
    // the aif job reads its YAML: the stage's own copy lies next to its outputs
    Path file = ctx.dir().resolve(CONFIG_FILE);
    byte[] yaml = Json.yaml().writeValueAsBytes(o);
    AtomicFiles.write(file, out -> out.write(yaml));
    AifJob job = new AifJob(AifConfig.load(file));
    AifJob.Result r = job.run(ctx.progress());
    // a stage with failed or pending prompts fails, so the pipeline never trains on partial feedback
    FeedbackCollector.Summary s = r.summary().requireComplete();
    ctx.metric("prompts", s.prompts());
    ctx.metric("preference_pairs", s.preferencePairs());
    ctx.metric("prompts_without_pair", s.promptsWithoutPair());
    ctx.metric("judgment_failures", s.judgmentFailures());
    return ctx.dir().resolve("completions.jsonl");
  }

  @Override
  public Path ratings(Path completions, StageContext ctx) {
    Path own = ctx.dir().resolve("completions.jsonl");
    if (!completions.toAbsolutePath().normalize().equals(own.toAbsolutePath().normalize())) {
      throw new ZephyrException("recipe stage aif: rating a given completions file is not supported; give"
          + " 'ratings:' or 'preferences:', or drop 'completions:' to collect feedback with the pool");
    }
    // the job rates as it samples: the ratings lie next to the completions
    return ctx.dir().resolve("ratings.jsonl");
  }

  @Override
  public Path binarize(Path ratings, StageContext ctx) {
    Path out = ctx.dir().resolve("preferences.jsonl");
    if (ratings.toAbsolutePath().normalize().equals(ctx.dir().resolve("ratings.jsonl").toAbsolutePath().normalize())
        && Files.exists(out)) {
      return out; // written by the job
    }
    Binarizer b = binarizer(ctx.seed());
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

  /** {@code binarize: {chosen, rejected, ties}} as {@code zephyr aif} reads it; the Zephyr recipe by default. */
  private Binarizer binarizer(long pipelineSeed) {
    Map<?, ?> bin = options.get("binarize") instanceof Map<?, ?> m ? m : Map.of();
    long seed = options.get("seed") instanceof Number n ? n.longValue() : pipelineSeed;
    return new Binarizer(
        value(Binarizer.ChosenBy.class, bin.get("chosen"), "overall", "binarize.chosen"),
        value(Binarizer.RejectedBy.class, bin.get("rejected"), "random", "binarize.rejected"),
        value(Binarizer.TiePolicy.class, bin.get("ties"), "keep", "binarize.ties"), seed);
  }

  private static <E extends Enum<E>> E value(Class<E> type, Object v, String fallback, String key) {
    String s = v == null ? fallback : v.toString();
    try {
      return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      List<String> names = new ArrayList<>();
      for (E c : type.getEnumConstants()) {
        names.add(c.name().toLowerCase(Locale.ROOT));
      }
      throw new ZephyrException("recipe stage aif: " + key + " '" + s + "' is not one of " + names);
    }
  }
}
