package dev.zephyr.quickstart;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.AtomicFiles;
import dev.zephyr.core.io.Json;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.Progress;
import dev.zephyr.data.almost.ConfigRanking;
import dev.zephyr.data.almost.HeuristicFilter;
import dev.zephyr.data.almost.SyntheticComparison;
import dev.zephyr.data.almost.SyntheticFeedbackJob;
import dev.zephyr.train.pipeline.Artifacts;
import dev.zephyr.train.pipeline.RewardModelStage;
import dev.zephyr.train.pipeline.StageContext;
import dev.zephyr.train.recipe.RewardRun;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * ALMoST step 1 on the instruction world, as the {@code rm} stage of the almost recipe: generator configurations of
 * known strength answer the same prompts, the rule of thumb "a stronger configuration answers better" ranks the
 * answers, zephyr-data's {@link HeuristicFilter} turns them into synthetic comparisons (its length rule, identical
 * pairs dropped, one pair per chosen configuration), and {@link RewardRun} trains the reward model on them.
 *
 * <p>The ALMoST few-shot prompt becomes chat turns here: a configuration with {@code shots} demonstrations sees that
 * many earlier exchanges answered in house style before the query, as a chat model would. ALMoST's bad-response rules
 * (under 50 characters, no final period...) are not applied, since every good answer in this world is one short
 * sentence; an empty answer counts as a missing response.
 *
 * <p>Writes into the stage directory: {@code responses.jsonl} (every configuration's answer per prompt),
 * {@code comparisons.jsonl} (every pair kept, {@code ultrafeedback_binarized} layout with {@code meta}
 * {@code chosen-vs-rejected}), its split by prompt into {@code comparisons_train.jsonl} (the reward model's data) and
 * {@code comparisons_held_out.jsonl}, and {@code report.json} ({@link Report}).
 */
final class WorldComparisons implements RewardModelStage {
  static final String RESPONSES = "responses.jsonl";
  static final String ALL = "comparisons.jsonl";
  static final String TRAIN = "comparisons_train.jsonl";
  static final String HELD_OUT = "comparisons_held_out.jsonl";
  static final String REPORT = "report.json";
  /** Requests per generation call, so that progress moves while a configuration answers. */
  private static final int CHUNK = 64;

  /**
   * One generator configuration: which model answers, how hot, after how many house-style demonstrations.
   *
   * @param name the configuration's name in comparisons' {@code meta}
   * @param model {@code noisy-teacher}, {@code dsft} (the stage's input model) or {@code base}
   * @param errorRate how often the noisy teacher errs (0 for the students)
   * @param temperature the students' sampling temperature
   * @param shots demonstrations shown as earlier chat turns
   */
  record Generator(String name, String model, @JsonProperty("error_rate") double errorRate, double temperature,
      int shots) {
    static final Set<String> MODELS = Set.of("noisy-teacher", "dsft", "base");

    Generator {
      if (!MODELS.contains(model)) {
        throw new IllegalArgumentException("generator " + name + ": model must be one of " + MODELS + ", found "
            + model);
      }
    }

    static Generator noisyTeacher(String name, double errorRate) {
      return new Generator(name, "noisy-teacher", errorRate, 1.0, 0);
    }

    static Generator student(String name, String model, double temperature, int shots) {
      return new Generator(name, model, 0, temperature, shots);
    }
  }

  /**
   * What the comparison step works with.
   *
   * @param prompts the queries every configuration answers, in order
   * @param demonstrations house-style exchanges (user, assistant, user, assistant...) shown as shots
   * @param baseModel the pretrained base model directory
   * @param maxNewTokens longest answer sampled
   */
  record Setup(List<String> prompts, List<Message> demonstrations, Path baseModel, int maxNewTokens) {}

  /**
   * {@code report.json}: how the comparisons came about.
   *
   * @param ranking the configurations, best first
   * @param prompts prompts answered
   * @param heuristic the filter's counters ({@code pairs} kept, dropped by the length rule or as identical, ranks
   *     without a usable answer, prompts left without a pair)
   * @param trainPairs pairs the reward model trains on
   * @param heldOutPairs pairs held out (whole prompts) to check it
   */
  record Report(List<String> ranking, int prompts, HeuristicFilter.Stats heuristic,
      @JsonProperty("train_pairs") int trainPairs, @JsonProperty("held_out_pairs") int heldOutPairs) {

    static Report read(Path stageDir) throws IOException {
      return Json.mapper().readValue(stageDir.resolve(REPORT).toFile(), Report.class);
    }
  }

  private final List<Generator> generators;
  private final double heldOutFraction;
  private final Setup setup;
  private final RewardRun reward;

  /**
   * @param generators the configurations, best first: each is its own tier of the ranking
   * @param heldOutFraction share of prompts whose pairs are held out of training
   */
  WorldComparisons(List<Generator> generators, double heldOutFraction, Setup setup, RewardRun reward) {
    if (generators.size() < 2) {
      throw new IllegalArgumentException("at least two generator configurations are needed to compare");
    }
    if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
      throw new IllegalArgumentException("held-out fraction must be in (0, 1), found " + heldOutFraction);
    }
    this.generators = List.copyOf(generators);
    this.heldOutFraction = heldOutFraction;
    this.setup = setup;
    this.reward = reward;
  }

  @Override
  public Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("generators", generators);
    c.put("ranking", "listed");
    c.put("prompts", setup.prompts().size());
    c.put("shots_from", setup.demonstrations().size() / 2);
    c.put("max_new_tokens", setup.maxNewTokens());
    c.put("held_out_fraction", heldOutFraction);
    c.put("reward", reward.config());
    return c;
  }

  @Override
  public Path comparisons(StageContext ctx) throws Exception {
    List<Map<String, String>> answers = answer(ctx);
    List<SyntheticFeedbackJob.Responses> rows = new ArrayList<>();
    for (int p = 0; p < setup.prompts().size(); p++) {
      rows.add(new SyntheticFeedbackJob.Responses(setup.prompts().get(p), new LinkedHashMap<>(answers.get(p))));
    }
    Jsonl.writeAll(ctx.dir().resolve(RESPONSES), rows);

    HeuristicFilter filter = new HeuristicFilter(
        ConfigRanking.tiers(generators.stream().map(g -> List.of(g.name())).toList()));
    List<List<SyntheticComparison>> byPrompt = new ArrayList<>();
    for (SyntheticFeedbackJob.Responses r : rows) {
      byPrompt.add(filter.compare(r.prompt(), r.responses()));
    }
    Set<Integer> heldOut = heldOutPrompts(byPrompt.size(), heldOutFraction, ctx.seed());
    List<SyntheticComparison> all = new ArrayList<>();
    List<SyntheticComparison> train = new ArrayList<>();
    List<SyntheticComparison> held = new ArrayList<>();
    for (int p = 0; p < byPrompt.size(); p++) {
      all.addAll(byPrompt.get(p));
      (heldOut.contains(p) ? held : train).addAll(byPrompt.get(p));
    }
    Jsonl.writeAll(ctx.dir().resolve(ALL), all);
    Jsonl.writeAll(ctx.dir().resolve(HELD_OUT), held);
    Path trainFile = ctx.dir().resolve(TRAIN);
    Jsonl.writeAll(trainFile, train);
    Report report = new Report(generators.stream().map(Generator::name).toList(), rows.size(), filter.stats(),
        train.size(), held.size());
    AtomicFiles.writeString(ctx.dir().resolve(REPORT),
        Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
    ctx.metric("comparisons", all.size());
    ctx.metric("train_pairs", train.size());
    ctx.metric("held_out_pairs", held.size());
    ctx.metric("dropped_by_length", report.heuristic().droppedByLength());
    ctx.metric("dropped_identical", report.heuristic().droppedIdentical());
    ctx.metric("missing_responses", report.heuristic().missingResponses());
    return trainFile;
  }

  @Override
  public Path train(Path model, Path comparisons, StageContext ctx) {
    return reward.train(model, comparisons, ctx);
  }

  /** For each prompt, configuration name to its answer (stripped; empty when the model said nothing). */
  private List<Map<String, String>> answer(StageContext ctx) {
    List<Map<String, String>> out = new ArrayList<>();
    setup.prompts().forEach(p -> out.add(new LinkedHashMap<>()));
    // the students are opened once each, however many configurations sample them
    Map<String, ChatModel> students = new LinkedHashMap<>();
    try (Progress.Task task = ctx.progress().start("respond", "answers",
        (long) generators.size() * setup.prompts().size(), 0)) {
      for (int g = 0; g < generators.size(); g++) {
        Generator gen = generators.get(g);
        ChatModel model = gen.model().equals("noisy-teacher") ? new NoisyTeacher(ctx.seed(), gen.errorRate())
            : students.computeIfAbsent(gen.model(), m -> open(m, ctx));
        for (int from = 0; from < setup.prompts().size(); from += CHUNK) {
          int to = Math.min(setup.prompts().size(), from + CHUNK);
          List<ChatRequest> requests = new ArrayList<>();
          for (int p = from; p < to; p++) {
            requests.add(ChatRequest.of(conversation(gen.shots(), setup.prompts().get(p)), SamplingParams.builder()
                .temperature(gen.temperature()).maxTokens(setup.maxNewTokens())
                .seed(requestSeed(ctx.seed(), g, p)).build()));
          }
          List<ChatResponse> replies = model.complete(requests);
          for (int p = from; p < to; p++) {
            out.get(p).put(gen.name(), replies.get(p - from).text().strip());
          }
          task.advance(to - from);
        }
      }
    } finally {
      for (ChatModel m : students.values()) {
        m.close();
      }
    }
    return out;
  }

  private ChatModel open(String student, StageContext ctx) {
    return student.equals("dsft") ? LocalStudent.open(ctx.input(Artifacts.MODEL), "dsft")
        : LocalStudent.open(setup.baseModel(), "base");
  }

  /** The first {@code shots} demonstrations as earlier turns, then the query. */
  private List<Message> conversation(int shots, String query) {
    if (2 * shots > setup.demonstrations().size()) {
      throw new IllegalArgumentException(shots + " shots asked for, but only " + setup.demonstrations().size() / 2
          + " demonstrations are given");
    }
    List<Message> m = new ArrayList<>(setup.demonstrations().subList(0, 2 * shots));
    m.add(Message.user(query));
    return m;
  }

  /** A distinct seed per (run, configuration, prompt), so every answer is reproducible on its own. */
  static long requestSeed(long seed, int generator, int prompt) {
    return seed * 1_000_003L + generator * 100_003L + prompt;
  }

  /** The prompts (by index) whose pairs are held out: a seeded shuffle's first {@code fraction}, at least one. */
  static Set<Integer> heldOutPrompts(int prompts, double fraction, long seed) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < prompts; i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed));
    int n = Math.max(1, (int) Math.round(fraction * prompts));
    return new HashSet<>(order.subList(0, Math.min(n, prompts)));
  }
}
