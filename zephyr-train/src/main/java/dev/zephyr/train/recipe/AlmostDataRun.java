package dev.zephyr.train.recipe;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.almost.AgreementFilter;
import dev.zephyr.data.almost.ConfigRanking;
import dev.zephyr.data.almost.DemonstrationPrompt;
import dev.zephyr.data.almost.GeneratorConfig;
import dev.zephyr.data.almost.PromptedResponseGenerator;
import dev.zephyr.data.almost.SyntheticFeedbackJob;
import dev.zephyr.data.selfchat.ChatSeed;
import dev.zephyr.train.reward.ChatRewardModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an {@link AlmostDataConfig}: the generators answer every query ({@link SyntheticFeedbackJob}, resumable: a
 * rerun asks only for queries without every response, and a failed call is logged in {@code failures.jsonl}, never
 * recorded as a response), then the ranked pairs pass the heuristic length filter and, when configured, the
 * reward-model agreement filter into {@code comparisons.jsonl} (the {@code prompt}/{@code chosen}/{@code rejected}
 * layout {@code zephyr rm} reads). {@code report.json} holds the counts of every run.
 */
public final class AlmostDataRun {
  /** Name of the report in the output directory. */
  public static final String REPORT = "report.json";

  private AlmostDataRun() {}

  /** Runs the job and writes {@link #REPORT}; see the class comment. */
  public static SyntheticFeedbackJob.Result run(AlmostDataConfig c, Progress progress) throws IOException {
    List<String> queries = ChatSeed.load(c.prompts()).stream().map(ChatSeed::text).toList();
    if (queries.isEmpty()) {
      throw new InvalidInputException(c.prompts().toString(), 0, null, "no queries");
    }
    Files.createDirectories(c.outputDir());
    List<AutoCloseable> opened = new ArrayList<>();
    try (NDManager nd = NDManager.newBaseManager()) {
      List<PromptedResponseGenerator.Generator> gens = new ArrayList<>();
      for (AlmostDataConfig.Generator g : c.generators()) {
        DemonstrationPrompt demos = demonstrations(g);
        ChatModel model = g.provider().toChatModel();
        opened.add(model);
        gens.add(new PromptedResponseGenerator.Generator(g.config(), model, demos, g.provider().samplingParams(
            PromptedResponseGenerator.Generator.almostSampling(g.config(), c.seed()))));
      }
      AgreementFilter agreement = null;
      if (c.agreement() != null) {
        AlmostDataConfig.Agreement a = c.agreement();
        ChatRewardModel.Opened rm = ChatRewardModel.open(a.rewardModel(), nd, a.batchSize(), a.maxLength());
        opened.add(rm);
        agreement = new AgreementFilter(rm.scorer(), a.margin(), a.batchSize());
      }
      SyntheticFeedbackJob.Result r = new SyntheticFeedbackJob(new PromptedResponseGenerator(gens), ranking(c),
          agreement, c.batchSize()).progress(progress).run(queries, c.outputDir());
      AtomicFiles.writeString(c.outputDir().resolve(REPORT), report(c, r));
      return r;
    } finally {
      closeAll(opened);
    }
  }

  private static DemonstrationPrompt demonstrations(AlmostDataConfig.Generator g) throws IOException {
    String field = "generator " + g.config().name();
    if (!Files.isRegularFile(g.demonstrations())) {
      throw InvalidInputException.field(field, "demonstrations", "no such file: " + g.demonstrations());
    }
    DemonstrationPrompt d;
    try {
      d = new DemonstrationPrompt(Files.readString(g.demonstrations()));
    } catch (IllegalArgumentException e) {
      throw InvalidInputException.field(field, "demonstrations", g.demonstrations() + ": " + e.getMessage());
    }
    if (g.config().shots() > d.maxShots()) {
      throw InvalidInputException.field(field, "shots", g.config().shots() + " but " + g.demonstrations()
          + " holds " + d.maxShots() + " dialogues");
    }
    return d;
  }

  /** Listed: each generator its own tier, best first; otherwise the rule of thumb's partial order. */
  static ConfigRanking ranking(AlmostDataConfig c) {
    List<GeneratorConfig> configs = c.generators().stream().map(AlmostDataConfig.Generator::config).toList();
    if (c.ranking() == AlmostDataConfig.Ranking.RULE_OF_THUMB) {
      return ConfigRanking.ruleOfThumb(configs);
    }
    return ConfigRanking.tiers(configs.stream().map(g -> List.of(g.name())).toList());
  }

  private static String report(AlmostDataConfig c, SyntheticFeedbackJob.Result r) throws JsonProcessingException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("complete", r.counts().complete());
    m.put("prompts", r.counts().total());
    m.put("answered", r.prompts());
    m.put("answered_this_run", r.answeredNow());
    m.put("failed", r.counts().failed());
    m.put("pending", r.counts().pending());
    m.put("stop_reason", r.stopReason());
    m.put("ranking", ranking(c).ordered());
    m.put("heuristic", r.heuristic());
    m.put("agreement_filter", c.agreement() != null);
    m.put("disagreed", r.disagreed());
    m.put("comparisons", r.written());
    return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n";
  }

  private static void closeAll(List<AutoCloseable> opened) throws IOException {
    Exception first = null;
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first instanceof IOException io) {
      throw io;
    }
    if (first != null) {
      throw new IllegalStateException("closing the models failed: " + first.getMessage(), first);
    }
  }
}
