package dev.zephyr.data.feedback;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.ProviderException;
import dev.zephyr.core.chat.ProviderStoppedException;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.data.rows.PreferenceRecord;
import dev.zephyr.data.rows.RatingRecord.AspectRating;
import dev.zephyr.data.rows.RatingRecord.JudgeFailure;
import dev.zephyr.data.rows.RatingRecord.RatedCompletion;
import dev.zephyr.data.feedback.UltraFeedbackRubric.Aspect;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.rows.CompletionRecord;
import dev.zephyr.data.rows.PromptRecord;
import dev.zephyr.data.rows.RatingRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * UltraFeedback-style AI feedback collection, resumable: for each prompt sample K completions from a pool of models
 * (each optionally steered by a principle system prompt), have the judge rate them, and binarize the ratings into
 * preference pairs. Writes {@code completions.jsonl} and {@code ratings.jsonl} (one line per prompt, appended and
 * fsynced chunk by chunk) and, when every prompt is rated, {@code preferences.jsonl} (rewritten atomically from all
 * ratings).
 *
 * <p>Only finished work enters those files. A call that fails for good (after the model's own retries) goes to
 * {@code failures.jsonl} ({@link FailureLog}) instead: a prompt with a failed completion is neither written to
 * {@code completions.jsonl} nor rated, a prompt with a failed judge call is not written to {@code ratings.jsonl}, and
 * the prompt counts as failed. When a provider stops after repeated identical failures (a wrong key) no new chunk is
 * started and the prompts not reached count as pending. A judge answer that never parses is a result, not a failure:
 * it is kept in the rating's {@code failures} list with the raw text.
 *
 * <p>A rerun skips prompts already rated, retries the failed and pending ones, reuses completions already written, and,
 * when the models are wrapped in a {@link dev.zephyr.core.chat.cache.CachedChatModel}, pays only for calls that never
 * finished: every random choice and every request seed is derived from the run seed and the prompt id, so a rerun
 * issues byte-identical requests.
 */
public final class FeedbackCollector {

  /** One model of the completion pool. */
  public record PoolMember(String name, ChatModel model, SamplingParams params, boolean usePrinciples) {
    public PoolMember {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(params, "params");
    }
  }

  /**
   * Run settings.
   *
   * @param completionsPerPrompt K; models are drawn without replacement when the pool has at least K, else in
   *     shuffled rounds
   * @param seed run seed
   * @param judgeParams sampling of judge calls (the seed is replaced per call and attempt)
   * @param judgeAttempts judge calls per judgment before it is recorded as a failure
   * @param chunkSize prompts processed (and appended) together
   */
  public record Settings(int completionsPerPrompt, long seed, SamplingParams judgeParams, int judgeAttempts,
      int chunkSize) {
    public Settings {
      if (completionsPerPrompt < 2) {
        throw new IllegalArgumentException("completions_per_prompt must be >= 2, got " + completionsPerPrompt);
      }
      if (judgeAttempts < 1) {
        throw new IllegalArgumentException("judge attempts must be >= 1, got " + judgeAttempts);
      }
      if (chunkSize < 1) {
        throw new IllegalArgumentException("chunk size must be >= 1, got " + chunkSize);
      }
    }

    /** K=4, greedy judge with 1024 tokens, 3 judge attempts, chunks of 256 prompts. */
    public static Settings defaults(long seed) {
      return new Settings(4, seed, SamplingParams.greedy(1024), 3, 256);
    }
  }

  /**
   * What a run did; call counts cover this run's calls.
   *
   * @param prompts distinct prompts
   * @param alreadyRated prompts rated by earlier runs
   * @param completionCalls completion calls sent (calls refused because their provider had stopped are not counted)
   * @param completionFailures completion calls that failed for good (in {@code failures.jsonl})
   * @param judgeCallFailures judge calls that failed for good (in {@code failures.jsonl})
   * @param judgmentFailures judgments whose every attempt was answered but never parsed (in {@code ratings.jsonl})
   * @param ratedPrompts prompts rated by this run
   * @param preferencePairs pairs in {@code preferences.jsonl}; 0 when it was not written
   * @param promptsWithoutPair rated prompts that gave no pair (ties, unparsed judgments)
   * @param counts prompts done (rated, by any run), failed and pending; {@code preferences.jsonl} is written only when
   *     {@link WorkCounts#complete()}
   * @param stopReason why the run stopped early (a provider that kept failing with the same status), or null
   * @param failuresFile where this run's failed calls are listed (it exists only when some failed)
   */
  public record Summary(
      long prompts,
      long duplicatePrompts,
      long alreadyRated,
      long completionCalls,
      long completionFailures,
      long judgeCalls,
      long judgeCallFailures,
      long judgmentFailures,
      long ratedPrompts,
      long preferencePairs,
      long promptsWithoutPair,
      WorkCounts counts,
      String stopReason,
      Path failuresFile) {

    /** True when {@code preferences.jsonl} was written from every prompt's rating. */
    public boolean complete() {
      return counts.complete();
    }

    /**
     * Returns this summary when every prompt is rated, else throws naming the counts, the stop reason and the failures
     * file: for callers, such as pipeline stages, that must not go on from partial feedback.
     */
    public Summary requireComplete() {
      if (!complete()) {
        throw new dev.zephyr.core.ZephyrException("AI feedback not finished (" + counts.line() + ")"
            + (stopReason != null ? "; stopped: " + stopReason : "")
            + (completionFailures + judgeCallFailures > 0 ? "; failed calls are listed in " + failuresFile : "")
            + "; run it again to retry");
      }
      return this;
    }
  }

  private final List<PoolMember> pool;
  private final ChatModel judge;
  private final Rubric rubric;
  private final Principles principles;
  private final Binarizer binarizer;
  private final Settings settings;

  public FeedbackCollector(List<PoolMember> pool, ChatModel judge, Rubric rubric, Principles principles,
      Binarizer binarizer, Settings settings) {
    if (pool.isEmpty()) {
      throw new IllegalArgumentException("the completion pool is empty");
    }
    this.pool = List.copyOf(pool);
    this.judge = Objects.requireNonNull(judge, "judge");
    this.rubric = Objects.requireNonNull(rubric, "rubric");
    this.principles = principles;
    this.binarizer = Objects.requireNonNull(binarizer, "binarizer");
    this.settings = Objects.requireNonNull(settings, "settings");
    UltraFeedbackRubric uf = aspects();
    if (uf != null && uf.texts() != settings.completionsPerPrompt()) {
      throw new IllegalArgumentException("the UltraFeedback templates rate " + uf.texts()
          + " completions per call; set completions_per_prompt to " + uf.texts());
    }
  }

  private UltraFeedbackRubric aspects() {
    if (rubric instanceof UltraFeedbackRubric uf) {
      return uf;
    }
    return rubric instanceof CombinedRubric c ? c.aspects() : null;
  }

  private OverallRubric overall() {
    if (rubric instanceof OverallRubric o) {
      return o;
    }
    return rubric instanceof CombinedRubric c ? c.overall() : null;
  }

  /** Judge calls one prompt needs at least (for progress estimates). */
  public int judgeCallsPerPrompt() {
    return (aspects() != null ? Aspect.values().length : 0)
        + (overall() != null ? settings.completionsPerPrompt() : 0);
  }

  /** Model calls per prompt at least (completions plus judgments). */
  public int callsPerPrompt() {
    return settings.completionsPerPrompt() + judgeCallsPerPrompt();
  }

  /**
   * Runs (or finishes) the collection into {@code outputDir}.
   *
   * @param progress receives task {@code feedback}: model calls, {@code prompts.size() * callsPerPrompt()} in all,
   *     those of prompts rated by an earlier run (and of duplicate lines) counted as already done; reported from
   *     several threads
   */
  public Summary run(List<PromptRecord> prompts, Path outputDir, Progress progress) {
    Map<String, PromptRecord> unique = new LinkedHashMap<>();
    for (PromptRecord p : prompts) {
      unique.putIfAbsent(p.promptId(), p);
    }
    long duplicates = prompts.size() - unique.size();
    ExecutorService poolThreads = Executors.newFixedThreadPool(pool.size() + 1, r -> {
      Thread t = new Thread(r, "feedback-pool");
      t.setDaemon(true);
      return t;
    });
    ExecutorService judgeThread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "feedback-judge");
      t.setDaemon(true);
      return t;
    });
    long alreadyRated;
    long done;
    Counters c;
    try (FailureLog failures = FailureLog.inDirectory(outputDir);
        JsonlAppender completionsOut = JsonlAppender.open(outputDir.resolve("completions.jsonl"), "prompt_id");
        JsonlAppender ratingsOut = JsonlAppender.open(outputDir.resolve("ratings.jsonl"),
            FeedbackCollector::ratedPromptId)) {
      c = new Counters(failures);
      List<PromptRecord> todo = new ArrayList<>();
      for (PromptRecord p : unique.values()) {
        if (!ratingsOut.contains(p.promptId())) {
          todo.add(p);
        }
      }
      alreadyRated = unique.size() - todo.size();
      collect(todo, (long) prompts.size() * callsPerPrompt(), (alreadyRated + duplicates) * callsPerPrompt(),
          completionsOut, ratingsOut, poolThreads, judgeThread, progress, c);
      done = unique.keySet().stream().filter(ratingsOut::contains).count();
    } finally {
      poolThreads.shutdownNow();
      judgeThread.shutdownNow();
    }
    WorkCounts counts = WorkCounts.of("prompts", unique.size(), done, c.failedPrompts.size());
    long[] pairs = counts.complete() ? writePreferences(outputDir) : new long[2];
    return new Summary(unique.size(), duplicates, alreadyRated, c.completionCalls.get(), c.completionFailures.get(),
        c.judgeCalls.get(), c.judgeCallFailures.get(), c.judgmentFailures.get(), c.rated.get(), pairs[0], pairs[1],
        counts, c.failures.stopReason(), c.failures.file());
  }

  /**
   * The resume key of a {@code ratings.jsonl} line: its prompt id, or null for a line that earlier versions wrote for a
   * prompt whose calls had failed (so that prompt is rated again).
   */
  private static String ratedPromptId(com.fasterxml.jackson.databind.JsonNode line) {
    try {
      RatingRecord r = Json.mapper().treeToValue(line, RatingRecord.class);
      return r.hasFailedCalls() ? null : r.promptId();
    } catch (IOException e) {
      throw new UncheckedIOException("not a rating line: " + e.getMessage(), e);
    }
  }

  /** Completes and rates {@code todo}, chunk by chunk, as one progress task of {@code totalCalls} model calls. */
  private void collect(List<PromptRecord> todo, long totalCalls, long callsDone, JsonlAppender completionsOut,
      JsonlAppender ratingsOut, ExecutorService poolThreads, ExecutorService judgeThread, Progress progress,
      Counters c) {
    try (Progress.Task task = progress.start("feedback", "calls", totalCalls, callsDone)) {
      LongConsumer calls = task::advance;
      Map<String, CompletionRecord> written = loadCompletions(completionsOut.file(), todo);
      // a two-stage pipeline: the judge rates chunk i while the pool completes chunk i + 1
      Future<List<RatingRecord>> judging = null;
      for (int from = 0; from < todo.size() && !c.failures.stopped(); from += settings.chunkSize()) {
        List<PromptRecord> chunk = todo.subList(from, Math.min(todo.size(), from + settings.chunkSize()));
        List<CompletionRecord> completed = complete(chunk, written, completionsOut, poolThreads, calls, c);
        if (judging != null) {
          appendRatings(judging, ratingsOut, c);
        }
        judging = judgeThread.submit(() -> rate(completed, calls, c));
      }
      if (judging != null) {
        appendRatings(judging, ratingsOut, c);
      }
    }
  }

  private static void appendRatings(Future<List<RatingRecord>> judging, JsonlAppender out, Counters c) {
    List<RatingRecord> ratings = await(judging);
    out.appendAll(ratings);
    c.rated.addAndGet(ratings.size());
  }

  /** One run's counts, its failure log and the prompts that failed. */
  private static final class Counters {
    final FailureLog failures;
    final AtomicLong completionCalls = new AtomicLong();
    final AtomicLong completionFailures = new AtomicLong();
    final AtomicLong judgeCalls = new AtomicLong();
    final AtomicLong judgeCallFailures = new AtomicLong();
    final AtomicLong judgmentFailures = new AtomicLong();
    final AtomicLong rated = new AtomicLong();
    final Set<String> failedPrompts = ConcurrentHashMap.newKeySet();

    Counters(FailureLog failures) {
      this.failures = failures;
    }

    /** Records a call that failed; true when it counts against the prompt (false: it was never sent). */
    boolean failed(String promptId, String call, ProviderException failure) {
      boolean counts = failures.record(promptId, call, failure);
      if (counts) {
        failedPrompts.add(promptId);
      }
      return counts;
    }
  }

  private static Map<String, CompletionRecord> loadCompletions(Path file, List<PromptRecord> todo) {
    Set<String> wanted = new LinkedHashSet<>();
    todo.forEach(p -> wanted.add(p.promptId()));
    Map<String, CompletionRecord> out = new HashMap<>();
    // streamed: only completions still waiting for ratings are kept in memory
    try (Jsonl.Reader<CompletionRecord> r = Jsonl.reader(file, CompletionRecord.class, Jsonl.OnError.FAIL)) {
      while (r.hasNext()) {
        CompletionRecord c = r.next();
        // earlier versions wrote failed calls here too: such a record is done again
        if (wanted.contains(c.promptId()) && c.completions().stream().allMatch(CompletionRecord.Sample::ok)) {
          out.put(c.promptId(), c);
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- completions

  private record Planned(int prompt, int slot, int member, Principles.Draw principle, ChatRequest request) {}

  private List<CompletionRecord> complete(List<PromptRecord> chunk, Map<String, CompletionRecord> written,
      JsonlAppender out, ExecutorService threads, LongConsumer progress, Counters c) {
    int k = settings.completionsPerPrompt();
    CompletionRecord.Sample[][] samples = new CompletionRecord.Sample[chunk.size()][];
    List<List<Planned>> byMember = new ArrayList<>();
    pool.forEach(m -> byMember.add(new ArrayList<>()));
    int[][] members = new int[chunk.size()][];
    for (int p = 0; p < chunk.size(); p++) {
      PromptRecord prompt = chunk.get(p);
      if (written.containsKey(prompt.promptId())) {
        continue;
      }
      samples[p] = new CompletionRecord.Sample[k];
      members[p] = drawMembers(prompt.promptId());
      for (int slot = 0; slot < k; slot++) {
        Planned planned = plan(p, slot, members[p][slot], prompt);
        byMember.get(planned.member()).add(planned);
      }
    }
    List<Future<?>> running = new ArrayList<>();
    for (int m = 0; m < pool.size(); m++) {
      List<Planned> work = byMember.get(m);
      if (work.isEmpty()) {
        continue;
      }
      PoolMember member = pool.get(m);
      running.add(threads.submit(() -> member.model().completeEach(
          work.stream().map(Planned::request).toList(), (i, response, failure) -> {
            Planned w = work.get(i);
            if (!(failure instanceof ProviderStoppedException)) {
              c.completionCalls.incrementAndGet();
            }
            progress.accept(1);
            if (failure != null) {
              if (c.failed(chunk.get(w.prompt()).promptId(), "completion by " + member.name(), failure)) {
                c.completionFailures.incrementAndGet();
              }
              return;
            }
            String principle = w.principle() == null ? null : w.principle().principle();
            String system = w.principle() == null ? null : w.principle().systemPrompt();
            CompletionRecord.Sample s = new CompletionRecord.Sample(member.name(), principle, system,
                response.text(), response.first().finishReason().wireName(), null);
            synchronized (samples) {
              samples[w.prompt()][w.slot()] = s;
            }
          })));
    }
    await(running);
    List<CompletionRecord> all = new ArrayList<>(chunk.size());
    List<CompletionRecord> fresh = new ArrayList<>();
    for (int p = 0; p < chunk.size(); p++) {
      PromptRecord prompt = chunk.get(p);
      CompletionRecord r = written.get(prompt.promptId());
      if (r == null && java.util.Arrays.asList(samples[p]).contains(null)) {
        // a completion failed or was never sent: nothing of this prompt is written or rated in this run
        progress.accept(judgeCallsPerPrompt());
        continue;
      }
      if (r == null) {
        List<String> models = new ArrayList<>();
        for (int slot = 0; slot < k; slot++) {
          models.add(pool.get(members[p][slot]).name());
        }
        r = new CompletionRecord(prompt.promptId(), prompt.prompt(), prompt.source(), models, List.of(samples[p]));
        fresh.add(r);
      } else {
        progress.accept(k);
      }
      all.add(r);
    }
    out.appendAll(fresh);
    return all;
  }

  /** K pool indices: a uniform sample without replacement, or shuffled rounds when the pool is smaller than K. */
  private int[] drawMembers(String promptId) {
    Random random = Seeds.random(settings.seed(), promptId, "pool");
    int k = settings.completionsPerPrompt();
    int[] out = new int[k];
    int filled = 0;
    while (filled < k) {
      List<Integer> round = new ArrayList<>();
      for (int i = 0; i < pool.size(); i++) {
        round.add(i);
      }
      Collections.shuffle(round, random);
      for (int i = 0; i < round.size() && filled < k; i++) {
        out[filled++] = round.get(i);
      }
    }
    return out;
  }

  private Planned plan(int p, int slot, int memberIndex, PromptRecord prompt) {
    PoolMember member = pool.get(memberIndex);
    Principles.Draw draw = null;
    List<Message> messages = new ArrayList<>(2);
    if (principles != null && member.usePrinciples()) {
      draw = principles.sample(prompt.source(), Seeds.random(settings.seed(), prompt.promptId(), "principle", slot));
      messages.add(Message.system(draw.systemPrompt()));
    }
    messages.add(Message.user(prompt.prompt()));
    SamplingParams params = member.params().toBuilder()
        .seed(Seeds.requestSeed(settings.seed(), prompt.promptId(), "completion", slot))
        .build();
    return new Planned(p, slot, memberIndex, draw, ChatRequest.of(messages, params));
  }

  // ---------------------------------------------------------------- judgments

  /** One judgment: a completion (overall rubric) or an aspect over all completions (UltraFeedback). */
  private static final class Task {
    final int prompt;
    final int completion;
    final Aspect aspect;
    final int[] order;
    final Supplier<List<Message>> messages;
    final List<String> raw = new ArrayList<>();
    String error;
    Object result;
    /** A call of this judgment failed for good, or was never sent: the prompt is not rated in this run. */
    boolean unfinished;

    Task(int prompt, int completion, Aspect aspect, int[] order, Supplier<List<Message>> messages) {
      this.prompt = prompt;
      this.completion = completion;
      this.aspect = aspect;
      this.order = order;
      this.messages = messages;
    }

    String id() {
      return aspect == null ? "overall/" + completion : aspect.key();
    }
  }

  /** Rates complete completion records; a prompt with an unfinished judge call gets no rating in this run. */
  private List<RatingRecord> rate(List<CompletionRecord> records, LongConsumer progress, Counters c) {
    List<Task> tasks = new ArrayList<>();
    for (int p = 0; p < records.size(); p++) {
      CompletionRecord r = records.get(p);
      OverallRubric overall = overall();
      UltraFeedbackRubric uf = aspects();
      if (overall != null) {
        for (int i = 0; i < r.completions().size(); i++) {
          CompletionRecord.Sample s = r.completions().get(i);
          tasks.add(new Task(p, i, null, null, () -> overall.messages(
              overall.instructionFor(r.prompt(), s.principle(), s.customSystemPrompt()), s.response())));
        }
      }
      if (uf != null) {
        for (Aspect aspect : Aspect.values()) {
          int[] order = shuffledOrder(r.promptId(), aspect, r.completions().size());
          tasks.add(new Task(p, -1, aspect, order, () -> {
            List<String> shown = new ArrayList<>();
            for (int pos : order) {
              shown.add(r.completions().get(pos).response());
            }
            return uf.messages(aspect, r.prompt(), shown);
          }));
        }
      }
    }
    List<Task> open = tasks;
    for (int attempt = 0; attempt < settings.judgeAttempts() && !open.isEmpty(); attempt++) {
      List<ChatRequest> requests = new ArrayList<>(open.size());
      for (Task t : open) {
        SamplingParams params = settings.judgeParams().toBuilder()
            .seed(Seeds.requestSeed(settings.seed(), records.get(t.prompt).promptId(), "judge", t.id(), attempt))
            .build();
        requests.add(ChatRequest.of(t.messages.get(), params));
      }
      List<Task> batch = open;
      boolean last = attempt == settings.judgeAttempts() - 1;
      judge.completeEach(requests, (i, response, failure) -> {
        Task t = batch.get(i);
        if (!(failure instanceof ProviderStoppedException)) {
          c.judgeCalls.incrementAndGet();
        }
        synchronized (t) {
          if (failure != null) {
            // the provider already retried this call: another attempt (a new seed) would be a different judgment
            t.unfinished = true;
            if (c.failed(records.get(t.prompt).promptId(), "judge " + t.id(), failure)) {
              c.judgeCallFailures.incrementAndGet();
            }
          } else {
            String text = response.text();
            t.raw.add(text);
            Judgment<?> j = t.aspect == null ? overall().parse(text) : aspects().parse(t.aspect, text);
            if (j.ok()) {
              t.result = j.value();
              t.error = null;
            } else {
              t.error = j.error();
            }
          }
          if (t.result != null || t.unfinished || last) {
            progress.accept(1);
          }
        }
      });
      List<Task> still = new ArrayList<>();
      for (Task t : batch) {
        if (t.result == null && !t.unfinished) {
          still.add(t);
        }
      }
      open = still;
    }
    Map<Integer, List<JudgeFailure>> failures = new HashMap<>();
    for (Task t : open) {
      c.judgmentFailures.incrementAndGet();
      failures.computeIfAbsent(t.prompt, x -> new ArrayList<>()).add(new JudgeFailure(
          t.aspect == null ? t.completion : null, t.aspect == null ? "overall" : t.aspect.key(), t.error,
          List.copyOf(t.raw)));
    }
    Map<Integer, List<Task>> byPrompt = new HashMap<>();
    for (Task t : tasks) {
      byPrompt.computeIfAbsent(t.prompt, x -> new ArrayList<>()).add(t);
    }
    List<RatingRecord> out = new ArrayList<>(records.size());
    for (int p = 0; p < records.size(); p++) {
      List<Task> mine = byPrompt.getOrDefault(p, List.of());
      if (mine.stream().noneMatch(t -> t.unfinished)) {
        out.add(assemble(records.get(p), mine, failures.getOrDefault(p, List.of())));
      }
    }
    return out;
  }

  private int[] shuffledOrder(String promptId, Aspect aspect, int n) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    Collections.shuffle(order, Seeds.random(settings.seed(), promptId, "shuffle", aspect.key()));
    return order.stream().mapToInt(Integer::intValue).toArray();
  }

  @SuppressWarnings("unchecked")
  private RatingRecord assemble(CompletionRecord r, List<Task> tasks, List<JudgeFailure> failures) {
    int n = r.completions().size();
    Double[] overall = new Double[n];
    String[] critique = new String[n];
    // kept in UltraFeedback's aspect order whatever order the judgments finished in
    List<Map<Aspect, AspectRating>> annotations = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      annotations.add(new EnumMap<>(Aspect.class));
    }
    for (Task t : tasks) {
      if (t.result == null) {
        continue;
      }
      if (t.aspect == null) {
        overall[t.completion] = (Double) t.result;
        critique[t.completion] = t.raw.get(t.raw.size() - 1);
      } else {
        List<AspectRating> shown = (List<AspectRating>) t.result;
        for (int pos = 0; pos < shown.size(); pos++) {
          annotations.get(t.order[pos]).put(t.aspect, shown.get(pos));
        }
      }
    }
    boolean uf = aspects() != null;
    List<RatedCompletion> rated = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      CompletionRecord.Sample s = r.completions().get(i);
      Map<String, AspectRating> a = new LinkedHashMap<>();
      annotations.get(i).forEach((aspect, rating) -> a.put(aspect.key(), rating));
      // a mean over fewer aspects than asked for would be a different score: only complete annotations count
      Double fine = uf && a.size() == Aspect.values().length ? UltraFeedbackRubric.fineGrainedScore(a) : null;
      rated.add(new RatedCompletion(s.model(), s.principle(), s.customSystemPrompt(), s.response(),
          uf ? a : null, critique[i], overall[i], fine));
    }
    return new RatingRecord(r.promptId(), r.prompt(), rubric.name(), rated, failures);
  }

  // ---------------------------------------------------------------- binarization

  /**
   * Rewrites {@code preferences.jsonl} from every rating (the last line of a prompt wins; lines of failed calls that
   * earlier versions wrote are skipped); returns {pairs, prompts without a pair}.
   */
  private long[] writePreferences(Path outputDir) {
    Path ratings = outputDir.resolve("ratings.jsonl");
    long[] counts = new long[2];
    Map<String, RatingRecord> latest = new LinkedHashMap<>();
    try (Jsonl.Reader<RatingRecord> r = Jsonl.reader(ratings, RatingRecord.class, Jsonl.OnError.FAIL)) {
      while (r.hasNext()) {
        RatingRecord rating = r.next();
        if (!rating.hasFailedCalls()) {
          latest.put(rating.promptId(), rating);
        }
      }
    }
    List<PreferenceRecord> pairs = new ArrayList<>();
    for (RatingRecord rating : latest.values()) {
      List<PreferenceRecord> p = binarizer.binarize(rating);
      if (p.isEmpty()) {
        counts[1]++;
      }
      pairs.addAll(p);
    }
    counts[0] = pairs.size();
    Jsonl.writeAll(outputDir.resolve("preferences.jsonl"), pairs);
    return counts;
  }

  private static void await(List<Future<?>> futures) {
    for (Future<?> f : futures) {
      await(f);
    }
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    }
  }
}
