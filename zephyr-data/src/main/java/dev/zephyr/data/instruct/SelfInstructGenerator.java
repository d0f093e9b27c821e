package dev.zephyr.data.instruct;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Self-Instruct bootstrapping of new instructions. Each prompt shows {@code promptInstructions} numbered examples
 * ({@code min(machineInstructions, pool)} machine instructions, the rest human seed tasks, shuffled) and asks the
 * model to continue the list. Responses cut by the token budget are dropped whole; items go through
 * {@link InstructionFilter}, then the novelty filter drops any whose ROUGE-L F1 with a seed or kept instruction is
 * above the threshold.
 *
 * <p>Kept instructions are appended to the output file as each batch finishes (one write per batch). Batch
 * {@code r} draws its examples from {@code Random(seed, r)} and the current pool, so a rerun after a crash resumes at
 * the next batch (redoing a batch whose write was cut short) and produces exactly what an uninterrupted run would.
 * Once the target is reached the rest of that batch is discarded; raising the target later continues with the next
 * batch. A call that fails for good is recorded in the {@link FailureLog} and ends the run before that batch is
 * written (later batches depend on it), leaving the missing instructions pending for the next run.
 */
public final class SelfInstructGenerator {
  private final ChatModel model;
  private final SelfInstructConfig config;
  private final InstructionFilter filter;
  private Progress progress = Progress.NONE;
  private FailureLog failures = FailureLog.inMemory();

  public SelfInstructGenerator(ChatModel model, SelfInstructConfig config, InstructionFilter filter) {
    this.model = model;
    this.config = config;
    this.filter = filter;
  }

  /** Reports kept instructions against the target. */
  public SelfInstructGenerator progress(Progress p) {
    this.progress = p;
    return this;
  }

  /** Where calls that fail for good are recorded (default: counted only). */
  public SelfInstructGenerator failures(FailureLog log) {
    this.failures = java.util.Objects.requireNonNull(log, "failures");
    return this;
  }

  /**
   * Counts of one run (this process only; resumed work is counted in {@code resumed}).
   *
   * @param counts instructions against the target: done, and pending when a failed or unsent call ended the run
   *     early (a run that used up {@code max_rounds} leaves nothing pending: it did what it was asked)
   */
  public record Result(int resumed, int kept, int rounds, int responsesCutByLength, int tooSimilar,
      Map<String, Integer> filterDrops, WorkCounts counts) {}

  /** Generates until the output file holds {@code targetInstructions} instructions. */
  public Result run(List<SeedTask> seeds, Path output) {
    List<String> seedInstructions = seeds.stream().map(SeedTask::instruction).toList();
    List<MachineInstruction> existing = JsonlAppender.readComplete(output, MachineInstruction.class);
    if (JsonlAppender.hasTornTail(output) && !existing.isEmpty()) {
      // The last batch was cut mid-write: drop all of it so the rerun redoes that batch whole.
      int lastRound = existing.get(existing.size() - 1).requestIdx();
      existing = existing.stream().filter(m -> m.requestIdx() != lastRound).toList();
      dev.zephyr.core.io.Jsonl.writeAll(output, existing);
    }
    List<String> machine = new ArrayList<>();
    List<String> pool = new ArrayList<>(seedInstructions);
    List<List<String>> poolTokens = new ArrayList<>();
    for (String s : seedInstructions) {
      poolTokens.add(RougeL.tokenize(s));
    }
    int round = 0;
    for (MachineInstruction m : existing) {
      machine.add(m.instruction());
      pool.add(m.instruction());
      poolTokens.add(RougeL.tokenize(m.instruction()));
      round = Math.max(round, m.requestIdx() + 1);
    }
    int resumed = existing.size();
    int kept = 0;
    int rounds = 0;
    int cut = 0;
    int tooSimilar = 0;
    boolean interrupted = false;
    try (JsonlAppender out = JsonlAppender.open(output);
        Progress.Task task = progress.start("self-instruct", "instructions", config.targetInstructions(),
            Math.min(resumed, config.targetInstructions()))) {
      while (machine.size() < config.targetInstructions() && round < config.maxRounds()) {
        if (failures.stopped()) {
          interrupted = true;
          break;
        }
        Random rng = new Random(mix(config.seed(), round));
        List<ChatRequest> requests = new ArrayList<>();
        for (int k = 0; k < config.batchSize(); k++) {
          String prompt = buildPrompt(sampleInContext(rng, seedInstructions, machine));
          requests.add(ChatRequest.of(List.of(Message.user(prompt)),
              config.sampling().toBuilder().seed(mix(config.seed(), round * 1000L + k)).build()));
        }
        int batch = round;
        FailureLog.Answers answers = failures.answer(model, requests, k -> "batch " + batch + " request " + k,
            "self-instruct");
        if (!answers.allAnswered()) {
          interrupted = true;
          break;
        }
        List<ChatResponse> responses = new ArrayList<>();
        for (int k = 0; k < requests.size(); k++) {
          responses.add(answers.get(k));
        }
        List<MachineInstruction> accepted = new ArrayList<>();
        for (ChatResponse response : responses) {
          Completion c = response.first();
          if (c.finishReason() == FinishReason.LENGTH) {
            cut++;
            continue;
          }
          for (String inst : filter.extract(c.text())) {
            if (machine.size() >= config.targetInstructions()) {
              break;
            }
            List<String> tokens = RougeL.tokenize(inst);
            double[] scores = new double[pool.size()];
            double max = 0;
            double sum = 0;
            for (int i = 0; i < pool.size(); i++) {
              scores[i] = RougeL.fmeasure(poolTokens.get(i), tokens);
              max = Math.max(max, scores[i]);
              sum += scores[i];
            }
            if (max > config.rougeThreshold()) {
              tooSimilar++;
              continue;
            }
            accepted.add(new MachineInstruction(inst, topTen(pool, scores), pool.isEmpty() ? 0 : sum / pool.size(),
                round));
            machine.add(inst);
            pool.add(inst);
            poolTokens.add(tokens);
          }
        }
        out.appendAll(accepted);
        task.advance(accepted.size(), responses.stream().mapToLong(ChatResponse::completionTokens).sum());
        kept += accepted.size();
        rounds++;
        round++;
      }
    }
    int have = Math.min(machine.size(), config.targetInstructions());
    WorkCounts counts = new WorkCounts("self-instruct instructions", have, 0,
        interrupted ? config.targetInstructions() - have : 0);
    return new Result(resumed, kept, rounds, cut, tooSimilar, new TreeMap<>(filter.droppedCounts()), counts);
  }

  /** {@code min(machineInstructions, |machine|)} machine instructions plus seeds to fill up, shuffled. */
  List<String> sampleInContext(Random rng, List<String> seeds, List<String> machine) {
    List<String> chosen = new ArrayList<>(sample(rng, machine, Math.min(config.machineInstructions(), machine.size())));
    chosen.addAll(sample(rng, seeds, Math.min(seeds.size(), config.promptInstructions() - chosen.size())));
    Collections.shuffle(chosen, rng);
    return chosen;
  }

  /** The header, then {@code k. instruction} lines, then the next number and a dot for the model to continue. */
  public String buildPrompt(List<String> inContext) {
    StringBuilder sb = new StringBuilder(config.header());
    for (int i = 0; i < inContext.size(); i++) {
      String inst = inContext.get(i).replaceAll("\\s+", " ").strip();
      while (inst.endsWith(":")) {
        inst = inst.substring(0, inst.length() - 1);
      }
      sb.append(i + 1).append(". ").append(inst).append('\n');
    }
    sb.append(inContext.size() + 1).append('.');
    return sb.toString();
  }

  /** Sampling without replacement (partial Fisher-Yates over a copy), deterministic for a given rng state. */
  public static <T> List<T> sample(Random rng, List<T> items, int k) {
    List<T> copy = new ArrayList<>(items);
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(copy.size() - i);
      Collections.swap(copy, i, j);
    }
    return new ArrayList<>(copy.subList(0, k));
  }

  private static LinkedHashMap<String, Double> topTen(List<String> pool, double[] scores) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < scores.length; i++) {
      idx.add(i);
    }
    idx.sort(Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparing(i -> i));
    LinkedHashMap<String, Double> top = new LinkedHashMap<>();
    for (int i : idx.subList(0, Math.min(10, idx.size()))) {
      top.putIfAbsent(pool.get(i), scores[i]);
    }
    return top;
  }

  /** SplitMix64-style mixing of a seed and a counter into a new seed. */
  public static long mix(long seed, long counter) {
    long z = seed + 0x9E3779B97F4A7C15L * (counter + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
