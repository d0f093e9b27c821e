package dev.zephyr.eval.alpacaeval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Completion;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.chat.TokenLogprob;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * alpaca_eval's pairwise annotator: for each instruction the reference output ({@code output_1}) and the model's
 * output ({@code output_2}) go into the judge prompt, in swapped order when {@link PositionSwitch} says so; the judge's
 * answer is parsed into a preference in prompt order and mapped back ({@code 3 - p}) when switched. Identical outputs
 * get 1.5 without a call.
 *
 * <p>Annotations are saved atomically after every batch and reused on the next run (matched on instruction and both
 * outputs), so an interrupted run loses no finished judgment. The file holds only rows the judge answered (or draws):
 * a row whose call fails for good is left out and listed in {@code annotations.json.failures} ({@link FailureLog}), so
 * the next run judges it again; when the judge stops after repeated identical failures the rest stays pending.
 */
public final class PairwiseAnnotator {
  private static final Logger LOG = LoggerFactory.getLogger(PairwiseAnnotator.class);

  /** How the judge's answer becomes a preference. */
  public enum Parser {
    /** AE2 default ({@code weighted_alpaca_eval_gpt4_turbo}): probability-weighted from the m/M log-probs. */
    LOGPROB_WEIGHTED,
    /** {@code alpaca_eval_clf_gpt4_turbo}: 1 or 2 from the m/M log-probs. */
    LOGPROB_BINARY,
    /** AE1 ({@code alpaca_eval_gpt4}): the rank of model_1 in a Python list answer. */
    RANKING
  }

  /** A prepared judge call: the messages and whether the outputs were swapped. */
  public record JudgeCall(List<Message> messages, boolean switched) {}

  private final ChatModel judge;
  private final JudgePromptTemplate template;
  private final String annotatorName;
  private final Parser parser;
  private final SamplingParams params;
  private final String seed;
  private final int batchSize;
  private final Progress progress;

  private PairwiseAnnotator(Builder b) {
    this.judge = Objects.requireNonNull(b.judge, "judge");
    this.template = Objects.requireNonNull(b.template, "template");
    this.annotatorName = b.annotatorName;
    this.parser = b.parser;
    this.seed = b.seed;
    this.batchSize = b.batchSize;
    this.progress = b.progress;
    this.params = b.params != null ? b.params : defaultParams(b.parser);
  }

  /** The sampling settings alpaca_eval's configs use for each parser's judge. */
  public static SamplingParams defaultParams(Parser parser) {
    return switch (parser) {
      case LOGPROB_WEIGHTED, LOGPROB_BINARY ->
          SamplingParams.builder().temperature(1).maxTokens(1).logprobs(true).topLogprobs(5).build();
      case RANKING -> SamplingParams.builder().temperature(0).maxTokens(100).build();
    };
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The judge messages for one row and whether the two outputs were swapped in them. */
  public JudgeCall prepare(String instruction, String output1, String output2) {
    boolean switched = PositionSwitch.isSwitched(instruction, seed);
    Map<String, String> values = new HashMap<>();
    values.put("instruction", instruction);
    values.put("output_1", switched ? output2 : output1);
    values.put("output_2", switched ? output1 : output2);
    String prompt = template.fill(values);
    return new JudgeCall(JudgePromptTemplate.toChatMessages(prompt), switched);
  }

  /** Preference (1 = output_1 better, 2 = output_2 better) from the judge's completion, switch undone. */
  public double parse(Completion completion, boolean switched) {
    double p = switch (parser) {
      case LOGPROB_WEIGHTED -> LogprobParser.preference(completion, false);
      case LOGPROB_BINARY -> LogprobParser.preference(completion, true);
      case RANKING -> RankingParser.preference(completion.text());
    };
    return switched && !Double.isNaN(p) ? 3 - p : p;
  }

  /**
   * What a run left in the annotations file.
   *
   * @param annotations the finished rows in reference order (a row whose judgment did not parse has a null preference)
   * @param counts rows done (in the file), failed (the judge call failed for good in this run) and pending
   * @param stopReason why the run stopped early (the judge kept failing with the same status), or null
   * @param failuresFile where this run's failed calls are listed (it exists only when some failed), or null
   */
  public record Result(List<Annotation> annotations, WorkCounts counts, String stopReason, Path failuresFile) {}

  /**
   * Annotates the model's outputs against the reference, in reference order (instructions the model did not answer
   * are skipped). With {@code annotationsFile} non-null, earlier annotations there are reused and progress is saved.
   */
  public Result annotate(List<ModelOutput> reference, List<ModelOutput> model, Path annotationsFile) {
    Map<String, ModelOutput> byInstruction = new HashMap<>();
    for (ModelOutput o : model) {
      byInstruction.put(o.instruction(), o);
    }
    Map<String, Annotation> done = new HashMap<>();
    if (annotationsFile != null && Files.exists(annotationsFile)) {
      for (Annotation a : AlpacaEvalFiles.readAnnotations(annotationsFile)) {
        if (a.preference() != null) {
          done.put(key(a.instruction(), a.output1(), a.output2()), a);
        }
      }
    }
    List<Annotation> out = new ArrayList<>();
    List<Integer> pending = new ArrayList<>();
    Set<Integer> open = new HashSet<>();
    int missing = 0;
    for (ModelOutput ref : reference) {
      ModelOutput m = byInstruction.get(ref.instruction());
      if (m == null) {
        missing++;
        continue;
      }
      String generator2 = m.generator() == null ? "model" : m.generator();
      Annotation previous = done.get(key(ref.instruction(), ref.output(), m.output()));
      if (previous != null) {
        out.add(previous);
      } else if (ref.output().equals(m.output())) {
        out.add(annotation(ref, m, generator2, 1.5, null));
      } else {
        out.add(annotation(ref, m, generator2, null, null));
        pending.add(out.size() - 1);
        open.add(out.size() - 1);
      }
    }
    if (missing > 0) {
      LOG.warn("{} of {} reference instructions have no model output and are skipped", missing, reference.size());
    }
    if (out.isEmpty()) {
      throw new InvalidInputException("model outputs", 0, "instruction", "no instruction matches the eval set");
    }
    int failed;
    FailureLog failures = annotationsFile == null ? FailureLog.inMemory() : FailureLog.besideFile(annotationsFile);
    try (failures; Progress.Task task = progress.start("annotate", "outputs", out.size(),
        out.size() - pending.size())) {
      failed = annotatePending(out, pending, open, annotationsFile, task, failures);
    }
    if (annotationsFile != null && pending.isEmpty()) {
      // nothing sent to the judge, so no batch saved: write the reused and draw annotations
      AlpacaEvalFiles.writeJson(annotationsFile, out);
    }
    List<Annotation> finished = finished(out, open);
    return new Result(finished, WorkCounts.of("annotations", out.size(), finished.size(), failed),
        failures.stopReason(), failures.file());
  }

  /** The rows not waiting for the judge, in order. */
  private static List<Annotation> finished(List<Annotation> out, Set<Integer> open) {
    List<Annotation> rows = new ArrayList<>();
    for (int i = 0; i < out.size(); i++) {
      if (!open.contains(i)) {
        rows.add(out.get(i));
      }
    }
    return rows;
  }

  /**
   * Judges the rows of {@code out} at {@code pending}, a batch at a time, saving the finished rows after each batch;
   * rows the judge answered leave {@code open}. Returns the rows whose call failed for good.
   */
  private int annotatePending(List<Annotation> out, List<Integer> pending, Set<Integer> open, Path annotationsFile,
      Progress.Task task, FailureLog failures) {
    int failed = 0;
    for (int start = 0; start < pending.size() && !failures.stopped(); start += batchSize) {
      List<Integer> batch = pending.subList(start, Math.min(pending.size(), start + batchSize));
      List<ChatRequest> requests = new ArrayList<>();
      List<Boolean> switched = new ArrayList<>();
      for (int idx : batch) {
        Annotation a = out.get(idx);
        JudgeCall call = prepare(a.instruction(), a.output1(), a.output2());
        requests.add(ChatRequest.of(call.messages(), params));
        switched.add(call.switched());
      }
      long t0 = System.nanoTime();
      FailureLog.Answers answers = failures.answer(judge, requests,
          k -> OutputGenerator.abbreviate(out.get(batch.get(k)).instruction()), "annotation");
      double seconds = (System.nanoTime() - t0) / 1e9 / batch.size();
      for (int k = 0; k < batch.size(); k++) {
        ChatResponse response = answers.get(k);
        if (response == null) {
          failed += answers.failed(k) ? 1 : 0;
          continue;
        }
        Annotation a = out.get(batch.get(k));
        Completion c = response.first();
        double p = parse(c, switched.get(k));
        out.set(batch.get(k), new Annotation(a.instruction(), a.output1(), a.generator1(), a.dataset(), a.output2(),
            a.generator2(), annotatorName, Double.isNaN(p) ? null : p, null, seconds, rawCompletion(c)));
        open.remove(batch.get(k));
      }
      if (annotationsFile != null) {
        AlpacaEvalFiles.writeJson(annotationsFile, finished(out, open));
      }
      task.advance(batch.size());
      LOG.info("annotated {}/{}", Math.min(pending.size(), start + batchSize), pending.size());
    }
    return failed;
  }

  private Annotation annotation(ModelOutput ref, ModelOutput m, String generator2, Double pref, JsonNode raw) {
    return new Annotation(ref.instruction(), ref.output(), ref.generator(),
        ref.dataset() != null ? ref.dataset() : m.dataset(), m.output(), generator2, annotatorName, pref, null, null,
        raw);
  }

  private static String key(String instruction, String o1, String o2) {
    return instruction + "\u0000" + o1 + "\u0000" + o2;
  }

  /** The completion as an OpenAI choice object, so the stored annotation can be re-parsed later. */
  static JsonNode rawCompletion(Completion c) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    o.put("finish_reason", c.finishReason().wireName());
    o.put("index", 0);
    if (!c.logprobs().isEmpty()) {
      ArrayNode content = f.arrayNode();
      for (TokenLogprob t : c.logprobs()) {
        ObjectNode tok = content.addObject();
        tok.put("token", t.token());
        tok.put("logprob", t.logprob());
        ArrayNode top = tok.putArray("top_logprobs");
        for (TokenLogprob.TopLogprob alt : t.topLogprobs()) {
          top.addObject().put("token", alt.token()).put("logprob", alt.logprob());
        }
      }
      o.putObject("logprobs").set("content", content);
    } else {
      o.putNull("logprobs");
    }
    o.putObject("message").put("content", c.text()).put("role", "assistant");
    o.put("text", c.text());
    return o;
  }

  /** Re-parses a stored {@code raw_completion} (OpenAI choice JSON, prompt order) into top log-probs. */
  public static List<TokenLogprob.TopLogprob> topLogprobs(JsonNode rawCompletion) {
    List<TokenLogprob.TopLogprob> out = new ArrayList<>();
    JsonNode top = rawCompletion.path("logprobs").path("content").path(0).path("top_logprobs");
    for (JsonNode t : top) {
      out.add(new TokenLogprob.TopLogprob(t.path("token").asText(), t.path("logprob").asDouble()));
    }
    return out;
  }

  /** Builder; defaults are the AE2 annotator's. */
  public static final class Builder {
    private ChatModel judge;
    private JudgePromptTemplate template;
    private String annotatorName = "weighted_alpaca_eval_gpt4_turbo";
    private Parser parser = Parser.LOGPROB_WEIGHTED;
    private SamplingParams params;
    private String seed = PositionSwitch.DEFAULT_SEED;
    private int batchSize = 8;
    private Progress progress = Progress.NONE;

    public Builder judge(ChatModel judge) {
      this.judge = judge;
      return this;
    }

    public Builder template(JudgePromptTemplate template) {
      this.template = template;
      return this;
    }

    public Builder annotatorName(String annotatorName) {
      this.annotatorName = annotatorName;
      return this;
    }

    public Builder parser(Parser parser) {
      this.parser = parser;
      return this;
    }

    /** Overrides the judge's sampling settings (default: {@link #defaultParams(Parser)}). */
    public Builder params(SamplingParams params) {
      this.params = params;
      return this;
    }

    public Builder seed(String seed) {
      this.seed = seed;
      return this;
    }

    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batch size must be >= 1");
      }
      this.batchSize = batchSize;
      return this;
    }

    /** Reports outputs annotated (task {@code annotate}); default none. */
    public Builder progress(Progress progress) {
      this.progress = java.util.Objects.requireNonNull(progress, "progress");
      return this;
    }

    public PairwiseAnnotator build() {
      return new PairwiseAnnotator(this);
    }
  }
}
