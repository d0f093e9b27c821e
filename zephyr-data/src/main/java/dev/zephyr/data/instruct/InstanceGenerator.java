package dev.zephyr.data.instruct;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.FinishReason;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Self-Instruct steps 2 and 3: decide whether each instruction is a classification task, then generate input/output
 * instances, output-first for classification tasks and input-first otherwise. The three prompt templates are files
 * the user supplies (the repository keeps the originals in {@code testdata/self_instruct/templates/}); each prompt is
 * the template, a space, the instruction and a newline.
 *
 * <p>Results are appended per batch; a rerun skips instructions already in the output file. A call that fails for good
 * is recorded in the {@link FailureLog} and its instruction is left out, so the next run does it again.
 */
public final class InstanceGenerator {
  private static final Pattern EXAMPLE_SPLIT = Pattern.compile("Example\\s?\\d*\\.?");
  private static final Pattern OUTPUT_MARK = Pattern.compile("Output\\s*\\d*\\s*:");
  private static final Pattern INPUT_MARK = Pattern.compile("Input\\s*\\d*\\s*:");
  private static final Pattern LEADING_INPUT = Pattern.compile("^Input\\s*\\d*\\s*:");

  /** The three templates; {@code classification} may be null when every task's type is known. */
  public record Templates(String classification, String outputFirstForClassification, String inputFirstForGeneration) {
    public Templates {
      Objects.requireNonNull(outputFirstForClassification, "output-first template");
      Objects.requireNonNull(inputFirstForGeneration, "input-first template");
    }
  }

  /** The {@code presence_penalty} the original used for instance generation. */
  public static final double ORIGINAL_PRESENCE_PENALTY = 1.5;

  private final ChatModel model;
  private final Templates templates;
  private final int batchSize;
  private final int maxInstances;
  private final long seed;
  private Progress progress = Progress.NONE;
  private FailureLog failures = FailureLog.inMemory();
  private double presencePenalty = ORIGINAL_PRESENCE_PENALTY;

  /** Where calls that fail for good are recorded (default: counted only). */
  public InstanceGenerator failures(FailureLog log) {
    this.failures = Objects.requireNonNull(log, "failures");
    return this;
  }

  /** Reports processed tasks. */
  public InstanceGenerator progress(Progress p) {
    this.progress = p;
    return this;
  }

  /**
   * The {@code presence_penalty} of instance generation (default {@link #ORIGINAL_PRESENCE_PENALTY}, as the original).
   */
  public InstanceGenerator presencePenalty(double penalty) {
    this.presencePenalty = penalty;
    return this;
  }

  /**
   * @param maxInstances keep at most this many instances per task, drawn at random (the original keeps 5)
   * @param seed seeds that draw (the original uses 123)
   */
  public InstanceGenerator(ChatModel model, Templates templates, int batchSize, int maxInstances, long seed) {
    this.model = model;
    this.templates = templates;
    this.batchSize = batchSize;
    this.maxInstances = maxInstances;
    this.seed = seed;
  }

  /**
   * Asks the model whether a task is classification (greedy, 3 tokens, "Yes"/"yes"/"YES" means yes); null for an
   * instruction whose call failed (recorded in the failure log) or was not sent.
   */
  public List<Boolean> classify(List<String> instructions) {
    if (templates.classification() == null) {
      throw new IllegalStateException("no classification template configured");
    }
    List<ChatRequest> requests = new ArrayList<>();
    SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(3).stop(List.of("\n", "Task")).build();
    for (String inst : instructions) {
      String prompt = templates.classification() + " " + inst.strip() + "\n" + "Is it classification?";
      requests.add(ChatRequest.of(List.of(Message.user(prompt)), p));
    }
    FailureLog.Answers answers = failures.answer(model, requests, instructions::get, "classification");
    List<Boolean> out = new ArrayList<>();
    for (int i = 0; i < instructions.size(); i++) {
      ChatResponse r = answers.get(i);
      String a = r == null ? null : r.text().strip();
      out.add(a == null ? null : a.equals("Yes") || a.equals("yes") || a.equals("YES"));
    }
    return out;
  }

  /**
   * Generates instances for every instruction not yet in {@code output}; returns the given instructions' counts (done:
   * in the file; failed: a call failed in this run; pending: not reached because a provider stopped).
   */
  public WorkCounts run(List<String> instructions, List<Boolean> isClassification, Path output) {
    Set<String> done = new HashSet<>();
    for (TaskInstances t : JsonlAppender.readComplete(output, TaskInstances.class)) {
      done.add(t.instruction());
    }
    List<Integer> todo = new ArrayList<>();
    for (int i = 0; i < instructions.size(); i++) {
      if (!done.contains(instructions.get(i))) {
        todo.add(i);
      }
    }
    int written = 0;
    int failed = 0;
    try (JsonlAppender out = JsonlAppender.open(output);
        Progress.Task task = progress.start("instances", "tasks", instructions.size(),
            instructions.size() - todo.size())) {
      for (int start = 0; start < todo.size() && !failures.stopped(); start += batchSize) {
        List<Integer> batch = todo.subList(start, Math.min(todo.size(), start + batchSize));
        boolean anyClf = batch.stream().anyMatch(isClassification::get);
        SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(anyClf ? 300 : 350)
            .presencePenalty(presencePenalty).stop(List.of("Example 6", "Task:")).build();
        List<ChatRequest> requests = new ArrayList<>();
        for (int i : batch) {
          String template = isClassification.get(i)
              ? templates.outputFirstForClassification() : templates.inputFirstForGeneration();
          requests.add(ChatRequest.of(List.of(Message.user(template + " " + instructions.get(i).strip() + "\n")), p));
        }
        FailureLog.Answers answers = failures.answer(model, requests, b -> instructions.get(batch.get(b)),
            "instances");
        List<TaskInstances> results = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
          int i = batch.get(b);
          if (answers.get(b) == null) {
            failed += answers.failed(b) ? 1 : 0;
            continue;
          }
          Completion c = answers.get(b).first();
          boolean cutOff = c.finishReason() == FinishReason.LENGTH;
          List<SeedTask.Instance> parsed = isClassification.get(i)
              ? parseClassification(c.text(), cutOff) : parseGeneration(c.text(), cutOff);
          results.add(new TaskInstances(instructions.get(i), isClassification.get(i),
              sampleAtMost(parsed, new Random(SelfInstructGenerator.mix(seed, instructions.get(i).hashCode())))));
        }
        out.appendAll(results);
        task.advance(batch.size(), answers.completionTokens());
        written += results.size();
      }
    }
    return WorkCounts.of("self-instruct tasks", instructions.size(), instructions.size() - todo.size() + written,
        failed);
  }

  /** Parses an input-first response: examples split on "Example k.", each an optional input and an output. */
  public static List<SeedTask.Instance> parseGeneration(String text, boolean cutOff) {
    String raw = text.strip();
    List<SeedTask.Instance> out = new ArrayList<>();
    if (EXAMPLE_SPLIT.matcher(raw).find()) {
      for (String part : EXAMPLE_SPLIT.split(raw, -1)) {
        if (!part.strip().isEmpty()) {
          out.add(parseInputOutput(part.strip()));
        }
      }
    } else if (OUTPUT_MARK.matcher(raw).find()) {
      out.add(parseInputOutput(raw));
    } else {
      return List.of();
    }
    return cleanInstances(dropLastIf(out, cutOff));
  }

  /** Parses an output-first response: blocks after each "Class label:", label on the first line, input after it. */
  public static List<SeedTask.Instance> parseClassification(String text, boolean cutOff) {
    if (!text.contains("Class label:")) {
      return List.of();
    }
    String[] parts = text.split("Class label:", -1);
    List<SeedTask.Instance> out = new ArrayList<>();
    for (int k = 1; k < parts.length; k++) {
      String block = parts[k].strip();
      int nl = block.indexOf('\n');
      String label = nl < 0 ? block : block.substring(0, nl).strip();
      String input = nl < 0 ? "" : block.substring(nl + 1).strip();
      out.add(new SeedTask.Instance(input, label));
    }
    return cleanInstances(dropLastIf(out, cutOff));
  }

  static SeedTask.Instance parseInputOutput(String text) {
    String input;
    String output;
    String[] io = OUTPUT_MARK.split(text, -1);
    if (io.length > 1) {
      input = io[0].strip();
      output = io[1].strip();
    } else {
      input = "";
      output = text.strip();
    }
    String[] cut = INPUT_MARK.split(output, -1);
    if (cut.length > 1) {
      output = cut[0].strip();
    }
    input = LEADING_INPUT.matcher(input).replaceFirst("").strip();
    return new SeedTask.Instance(input, output);
  }

  /**
   * In the original's order: first drops instances whose input equals the output, whose output is empty, or whose
   * input or output ends with a colon (usually an unfinished generation); then drops the whole task when two of the
   * remaining instances share a non-empty input but differ in output; then removes duplicates (first occurrence
   * kept, where the original's set loses the order).
   */
  static List<SeedTask.Instance> cleanInstances(List<SeedTask.Instance> instances) {
    List<SeedTask.Instance> valid = new ArrayList<>();
    for (SeedTask.Instance inst : instances) {
      if (inst.input().equals(inst.output()) || inst.output().isEmpty()
          || inst.input().strip().endsWith(":") || inst.output().strip().endsWith(":")) {
        continue;
      }
      valid.add(inst);
    }
    for (int i = 1; i < valid.size(); i++) {
      for (int j = 0; j < i; j++) {
        SeedTask.Instance a = valid.get(i);
        SeedTask.Instance b = valid.get(j);
        if (!a.input().isEmpty() && a.input().equals(b.input()) && !a.output().equals(b.output())) {
          return List.of();
        }
      }
    }
    return new ArrayList<>(new LinkedHashSet<>(valid));
  }

  private static List<SeedTask.Instance> dropLastIf(List<SeedTask.Instance> list, boolean cutOff) {
    return cutOff && !list.isEmpty() ? list.subList(0, list.size() - 1) : list;
  }

  private List<SeedTask.Instance> sampleAtMost(List<SeedTask.Instance> instances, Random rng) {
    if (instances.size() <= maxInstances) {
      return instances;
    }
    List<Integer> idx = SelfInstructGenerator.sample(rng,
        java.util.stream.IntStream.range(0, instances.size()).boxed().toList(), maxInstances);
    idx.sort(null);
    return idx.stream().map(instances::get).toList();
  }
}
