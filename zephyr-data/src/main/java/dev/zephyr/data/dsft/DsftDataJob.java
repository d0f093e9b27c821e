package dev.zephyr.data.dsft;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.cache.CachedChatModel;
import dev.zephyr.core.chat.cache.ResponseStore;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.data.clean.CleaningReport;
import dev.zephyr.data.clean.Decontaminator;
import dev.zephyr.data.clean.DsftCleaner;
import dev.zephyr.data.clean.EvalPrompts;
import dev.zephyr.data.clean.MinHashDeduplicator;
import dev.zephyr.data.clean.PersonaAnswerFilter;
import dev.zephyr.data.instruct.InstanceGenerator;
import dev.zephyr.data.instruct.InstructionFilter;
import dev.zephyr.data.instruct.MachineInstruction;
import dev.zephyr.data.instruct.SeedTask;
import dev.zephyr.data.instruct.SelfInstructConfig;
import dev.zephyr.data.instruct.SelfInstructGenerator;
import dev.zephyr.data.instruct.TaskInstances;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.rows.SftRecord;
import dev.zephyr.data.selfchat.ChatSeed;
import dev.zephyr.data.selfchat.SelfChatConfig;
import dev.zephyr.data.selfchat.SelfChatGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs {@code zephyr dsft-data}: Self-Instruct and/or self-chat generation with the teacher, then cleaning, into
 * {@code output_dir}:
 * <ul>
 *   <li>{@code self_instruct/machine_instructions.jsonl}: kept instructions (appended as generated);</li>
 *   <li>{@code self_instruct/is_classification.jsonl} and {@code self_instruct/instances.jsonl} when
 *       {@code instances} is configured (Self-Instruct steps 2 and 3), otherwise
 *       {@code self_instruct/answers.jsonl}: the teacher's answer to each instruction;</li>
 *   <li>{@code self_chat.jsonl}: self-chat conversations (appended per conversation);</li>
 *   <li>{@code train_sft.jsonl} (and {@code test_sft.jsonl} with {@code test_fraction}): the cleaned demonstrations
 *       in the {@code ultrachat_200k} layout, written atomically; {@code cleaning_report.json};</li>
 *   <li>{@code cache/responses.jsonl}: the durable response cache of every model call (unless {@code cache: false}).
 *       </li>
 * </ul>
 * Every generation file is append-only and skipped work is recognised on rerun, so rerunning after a crash finishes
 * the job without repeating finished calls or writing duplicates. Calls that fail for good are listed in
 * {@code failures.jsonl}, never written as results, and done again by the next run; when a provider stops after
 * repeated identical failures (a wrong key) the remaining work is left pending. The cleaned files
 * ({@code train_sft.jsonl}, {@code test_sft.jsonl}, {@code cleaning_report.json}) are written only by a run that leaves
 * nothing failed or pending, so they never hold a partial result.
 */
public final class DsftDataJob {
  private final DsftDataConfig config;
  private final Path baseDir;
  private final ProviderFactory providers;
  private final PrintStream log;
  private final Progress progress;

  /**
   * @param baseDir relative paths in the config resolve against it (the YAML file's directory)
   */
  public DsftDataJob(DsftDataConfig config, Path baseDir, ProviderFactory providers, PrintStream log) {
    this(config, baseDir, providers, log, Progress.NONE);
  }

  /** With a progress sink (the command line's progress bar). */
  public DsftDataJob(DsftDataConfig config, Path baseDir, ProviderFactory providers, PrintStream log,
      Progress progress) {
    this.config = config;
    this.baseDir = baseDir;
    this.providers = providers;
    this.log = log;
    this.progress = progress;
  }

  /**
   * What the run produced.
   *
   * @param counts done / failed / pending per generation step that ran
   * @param report the cleaning report, or null when the run was not complete and nothing was cleaned
   * @param stopReason why the run stopped early (a provider that kept failing with the same status), or null
   * @param failuresFile where this run's failed calls are listed (it exists only when some failed)
   */
  public record Summary(int selfInstructRecords, int selfChatRecords, int train, int test, CleaningReport report,
      List<WorkCounts> counts, String stopReason, Path failuresFile) {

    /** True when every generation step finished: the cleaned files were written. */
    public boolean complete() {
      return stopReason == null && counts.stream().allMatch(WorkCounts::complete);
    }
  }

  public Summary run() {
    Path out = resolve(config.outputDir());
    long seed = config.seedOrDefault();
    boolean cached = config.cache() == null || config.cache();
    ResponseStore store = cached ? ResponseStore.open(out.resolve("cache").resolve("responses.jsonl")) : null;
    ChatModel teacher = withCache(providers.create("teacher", config.teacher()), store);
    ChatModel user = config.userSimulator() == null ? teacher
        : withCache(providers.create("user_simulator", config.userSimulator()), store);
    FailureLog failures = FailureLog.inDirectory(out);
    try {
      List<SftRecord> all = new ArrayList<>();
      List<WorkCounts> counts = new ArrayList<>();
      int si = 0;
      int sc = 0;
      if (config.selfInstruct() != null) {
        List<SftRecord> recs = selfInstruct(teacher, out.resolve("self_instruct"), seed, failures, counts);
        si = recs.size();
        all.addAll(recs);
      }
      if (config.selfChat() != null) {
        List<SftRecord> recs = selfChat(user, teacher, out.resolve("self_chat.jsonl"), seed, failures, counts);
        sc = recs.size();
        all.addAll(recs);
      }
      if (failures.stopped() || !counts.stream().allMatch(WorkCounts::complete)) {
        log.println("dsft-data: not finished; the cleaned files are written once nothing has failed or is pending");
        return new Summary(si, sc, 0, 0, null, counts, failures.stopReason(), failures.file());
      }
      DsftCleaner.Result cleaned = cleaner(seed).clean(all);
      log.println(cleaned.report().summary());
      double testFraction = config.testFraction() == null ? 0 : config.testFraction();
      List<SftRecord> train = new ArrayList<>();
      List<SftRecord> test = new ArrayList<>();
      for (SftRecord r : cleaned.records()) {
        // The split follows the prompt id, so it does not move when other records come or go.
        double u = Long.parseLong(r.promptId().substring(0, 13), 16) / (double) (1L << 52);
        (u < testFraction ? test : train).add(r);
      }
      Jsonl.writeAll(out.resolve("train_sft.jsonl"), train);
      if (testFraction > 0) {
        Jsonl.writeAll(out.resolve("test_sft.jsonl"), test);
      }
      try {
        AtomicFiles.writeString(out.resolve("cleaning_report.json"),
            Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(cleaned.report()) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      log.printf("dsft-data: %d train, %d test demonstrations in %s%n", train.size(), test.size(), out);
      return new Summary(si, sc, train.size(), test.size(), cleaned.report(), counts, null, failures.file());
    } finally {
      failures.close();
      if (store != null) {
        long hits = hits(teacher) + (user != teacher ? hits(user) : 0);
        long misses = misses(teacher) + (user != teacher ? misses(user) : 0);
        log.printf("response cache: %d answered from the cache, %d sent to providers%n", hits, misses);
      }
      if (user != teacher) {
        user.close();
      }
      teacher.close();
      if (store != null) {
        store.close();
      }
    }
  }

  /**
   * Every call goes through the durable response cache, so a call that finished before a crash is never paid for
   * again, even when the batch or conversation it belonged to had not been written yet.
   */
  private static ChatModel withCache(ChatModel model, ResponseStore store) {
    return store == null ? model : new CachedChatModel(model, store);
  }

  private static long hits(ChatModel m) {
    return m instanceof CachedChatModel c ? c.hits() : 0;
  }

  private static long misses(ChatModel m) {
    return m instanceof CachedChatModel c ? c.misses() : 0;
  }

  private List<SftRecord> selfInstruct(ChatModel teacher, Path dir, long seed, FailureLog failures,
      List<WorkCounts> counts) {
    DsftDataConfig.SelfInstruct c = config.selfInstruct();
    List<SeedTask> seeds = SeedTask.load(resolve(c.seedTasks()));
    boolean clfOnly = orElse(c.classificationOnly(), false);
    if (clfOnly) {
      seeds = seeds.stream().filter(SeedTask::isClassification).toList();
      if (seeds.isEmpty()) {
        throw InvalidInputException.field(c.seedTasks(), "is_classification", "no classification seed tasks");
      }
    }
    SelfInstructConfig base = SelfInstructConfig.defaults(orElse(c.numInstructions(), 100), seed);
    // the block's decoding keys over the provider's, over the stage's defaults
    SamplingParams sampling = c.samplingParams(providers.sampling("teacher", config.teacher(), base.sampling()));
    SelfInstructConfig sic = new SelfInstructConfig(
        c.promptHeader() == null
            ? (clfOnly ? SelfInstructConfig.DEFAULT_CLASSIFICATION_HEADER : SelfInstructConfig.DEFAULT_HEADER)
            : readText(c.promptHeader(),
            "self_instruct.prompt_header"),
        base.targetInstructions(), orElse(c.promptInstructions(), 8), orElse(c.machineInstructions(), 2),
        orElse(c.batchSize(), 5), orElse(c.rougeThreshold(), 0.7), orElse(c.maxRounds(), base.maxRounds()), seed,
        sampling);
    List<String> blacklist = new ArrayList<>(InstructionFilter.SELF_INSTRUCT_BLACKLIST);
    if ("alpaca".equals(c.blacklist())) {
      blacklist.addAll(InstructionFilter.ALPACA_EXTRA);
    }
    InstructionFilter filter = new InstructionFilter(3, 150, blacklist, orElse(c.lowercaseRest(), true));
    Path machineFile = dir.resolve("machine_instructions.jsonl");
    SelfInstructGenerator.Result r = new SelfInstructGenerator(teacher, sic, filter).progress(progress)
        .failures(failures).run(seeds, machineFile);
    counts.add(r.counts());
    log.printf("self-instruct: %d resumed, %d new instructions in %d batches (%d too similar, %d cut by length, "
        + "dropped %s)%n", r.resumed(), r.kept(), r.rounds(), r.tooSimilar(), r.responsesCutByLength(),
        r.filterDrops());
    List<String> instructions = JsonlAppender.readComplete(machineFile, MachineInstruction.class).stream()
        .map(MachineInstruction::instruction).toList();
    if (c.instances() != null) {
      return instances(teacher, dir, instructions, c.instances(), seed, failures, counts);
    }
    return answers(teacher, dir.resolve("answers.jsonl"), instructions, seed, failures, counts);
  }

  private List<SftRecord> instances(ChatModel teacher, Path dir, List<String> instructions,
      DsftDataConfig.Instances ic, long seed, FailureLog failures, List<WorkCounts> counts) {
    String tdir = ic.templatesDir() == null ? "." : ic.templatesDir();
    var templates = new InstanceGenerator.Templates(
        readText(tdir + "/clf_task_template_1.txt", "self_instruct.instances.templates_dir"),
        readText(tdir + "/output_first_template_for_clf.txt", "self_instruct.instances.templates_dir"),
        readText(tdir + "/input_first_template_for_gen.txt", "self_instruct.instances.templates_dir"));
    int batch = orElse(ic.batchSize(), 5);
    InstanceGenerator gen = new InstanceGenerator(teacher, templates, batch, orElse(ic.maxInstances(), 5), seed)
        .presencePenalty(orElse(ic.presencePenalty(), InstanceGenerator.ORIGINAL_PRESENCE_PENALTY))
        .progress(progress).failures(failures);
    Path clfFile = dir.resolve("is_classification.jsonl");
    Map<String, Boolean> clf = new HashMap<>();
    for (var n : JsonlAppender.readComplete(clfFile)) {
      clf.put(n.path("instruction").asText(), n.path("is_classification").asBoolean());
    }
    List<String> missing = instructions.stream().filter(i -> !clf.containsKey(i)).toList();
    long failuresBefore = failures.failures();
    try (JsonlAppender clfLog = JsonlAppender.open(clfFile);
        Progress.Task task = progress.start("classify", "instructions", instructions.size(),
            instructions.size() - missing.size())) {
      for (int s = 0; s < missing.size() && !failures.stopped(); s += batch) {
        List<String> part = missing.subList(s, Math.min(missing.size(), s + batch));
        List<Boolean> answers = gen.classify(part);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int k = 0; k < part.size(); k++) {
          if (answers.get(k) == null) {
            continue; // failed or not sent: classified by the next run
          }
          clf.put(part.get(k), answers.get(k));
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("instruction", part.get(k));
          row.put("is_classification", answers.get(k));
          rows.add(row);
        }
        clfLog.appendAll(rows);
        task.advance(part.size());
      }
    }
    long unclassified = failures.failures() - failuresBefore;
    Path instFile = dir.resolve("instances.jsonl");
    List<String> classified = instructions.stream().filter(clf::containsKey).toList();
    WorkCounts tasks = gen.run(classified, classified.stream().map(clf::get).toList(), instFile);
    counts.add(WorkCounts.of(tasks.unit(), instructions.size(), tasks.done(), tasks.failed() + unclassified));
    List<SftRecord> out = new ArrayList<>();
    for (TaskInstances t : JsonlAppender.readComplete(instFile, TaskInstances.class)) {
      out.addAll(t.toSft());
    }
    log.printf("self-instruct instances: %d demonstrations from %d tasks%n", out.size(), instructions.size());
    return out;
  }

  /** The teacher answers each instruction (distillation); appended per batch, skipped on rerun. */
  private List<SftRecord> answers(ChatModel teacher, Path file, List<String> instructions, long seed,
      FailureLog failures, List<WorkCounts> counts) {
    Set<String> done = new HashSet<>();
    for (SftRecord r : JsonlAppender.readComplete(file, SftRecord.class)) {
      done.add(r.prompt());
    }
    List<String> todo = instructions.stream().filter(i -> !done.contains(i)).toList();
    int batch = orElse(config.selfInstruct().batchSize(), 5);
    SamplingParams p = providers.sampling("teacher", config.teacher(),
        SamplingParams.builder().temperature(0.7).topP(0.95).maxTokens(1024).build());
    long answered = 0;
    long failed = 0;
    try (JsonlAppender out = JsonlAppender.open(file);
        Progress.Task task = progress.start("teacher answers", "instructions", instructions.size(),
            instructions.size() - todo.size())) {
      for (int s = 0; s < todo.size() && !failures.stopped(); s += batch) {
        List<String> part = todo.subList(s, Math.min(todo.size(), s + batch));
        List<ChatRequest> reqs = new ArrayList<>();
        for (String inst : part) {
          reqs.add(ChatRequest.of(List.of(Message.user(inst)),
              p.toBuilder().seed(SelfInstructGenerator.mix(seed, inst.hashCode())).build()));
        }
        FailureLog.Answers rs = failures.answer(teacher, reqs, part::get, "teacher answer");
        List<SftRecord> recs = new ArrayList<>();
        for (int k = 0; k < part.size(); k++) {
          ChatResponse r = rs.get(k);
          if (r == null) {
            failed += rs.failed(k) ? 1 : 0;
            continue;
          }
          answered++;
          String a = r.text().strip();
          // an empty answer is a result too: dropped, not retried
          if (!a.isEmpty()) {
            recs.add(SftRecord.of(List.of(Message.user(part.get(k)), Message.assistant(a))));
          }
        }
        out.appendAll(recs);
        task.advance(part.size(), rs.completionTokens());
      }
    }
    counts.add(WorkCounts.of("teacher answers", instructions.size(), instructions.size() - todo.size() + answered,
        failed));
    return JsonlAppender.readComplete(file, SftRecord.class);
  }

  private List<SftRecord> selfChat(ChatModel user, ChatModel teacher, Path file, long seed, FailureLog failures,
      List<WorkCounts> counts) {
    DsftDataConfig.SelfChat c = config.selfChat();
    int minTurns = orElse(c.minTurns(), 3);
    SelfChatConfig d = SelfChatConfig.defaults(minTurns, orElse(c.maxTurns(), Math.max(minTurns, 7)), seed);
    SamplingParams assistantSampling = c.samplingParams(
        providers.sampling("teacher", config.teacher(), d.assistantSampling()));
    SamplingParams userSampling = c.samplingParams(config.userSimulator() == null
        ? providers.sampling("teacher", config.teacher(), d.userSampling())
        : providers.sampling("user_simulator", config.userSimulator(), d.userSampling()));
    SelfChatConfig sc = new SelfChatConfig(d.minTurns(), d.maxTurns(),
        c.userSimulatorPrompt() == null ? d.userSimulatorPrompt()
            : readText(c.userSimulatorPrompt(), "self_chat.user_simulator_prompt"),
        c.topicOpenerPrompt() == null ? d.topicOpenerPrompt()
            : readText(c.topicOpenerPrompt(), "self_chat.topic_opener_prompt"),
        c.assistantSystemPrompt(), userSampling, assistantSampling, orElse(c.batchSize(), 8), seed);
    SelfChatGenerator.Result r = new SelfChatGenerator(user, teacher, sc).progress(progress).failures(failures)
        .run(ChatSeed.load(resolve(c.seeds())), file);
    counts.add(r.counts());
    log.printf("self-chat: %d resumed, %d new conversations, %d abandoned%n", r.resumed(), r.written(), r.abandoned());
    return JsonlAppender.readComplete(file, SelfChatGenerator.Conversation.class).stream()
        .map(SelfChatGenerator.Conversation::toSft).toList();
  }

  private DsftCleaner cleaner(long seed) {
    DsftDataConfig.Clean c = config.clean();
    if (c == null) {
      return new DsftCleaner(false, null, true, null, null);
    }
    PersonaAnswerFilter persona = null;
    if (orElse(c.dropPersonaAnswers(), true)) {
      persona = c.personaPatterns() == null ? PersonaAnswerFilter.defaults()
          : new PersonaAnswerFilter(readText(c.personaPatterns(), "clean.persona_patterns").lines()
              .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList());
    }
    MinHashDeduplicator near = null;
    DsftDataConfig.NearDedup nd = c.nearDedup();
    if (nd == null || orElse(nd.enabled(), true)) {
      near = nd == null ? MinHashDeduplicator.defaults(seed) : new MinHashDeduplicator(orElse(nd.shingle(), 5),
          orElse(nd.bands(), 32), orElse(nd.rows(), 4), orElse(nd.threshold(), 0.8), seed);
    }
    Decontaminator decon = null;
    DsftDataConfig.Decontaminate dc = c.decontaminate();
    if (dc != null) {
      List<EvalPrompts.EvalPrompt> prompts = new ArrayList<>();
      if (dc.mtBench() != null) {
        prompts.addAll(EvalPrompts.mtBench(existing(dc.mtBench(), "clean.decontaminate.mt_bench")));
      }
      if (dc.alpacaEval() != null) {
        prompts.addAll(EvalPrompts.alpacaEval(existing(dc.alpacaEval(), "clean.decontaminate.alpaca_eval")));
      }
      decon = new Decontaminator(prompts, orElse(dc.ngram(), 8), orElse(dc.minWords(), 5));
    }
    return new DsftCleaner(orElse(c.truecase(), true), persona, orElse(c.exactDedup(), true), near, decon);
  }

  private Path resolve(String p) {
    return baseDir.resolve(p).normalize();
  }

  private Path existing(String p, String key) {
    Path path = resolve(p);
    if (!Files.isRegularFile(path)) {
      throw InvalidInputException.field("dsft-data config", key, "no such file: " + path);
    }
    return path;
  }

  private String readText(String p, String key) {
    try {
      return Files.readString(existing(p, key));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  private static <T> T orElse(T value, T fallback) {
    return value == null ? fallback : value;
  }
}
