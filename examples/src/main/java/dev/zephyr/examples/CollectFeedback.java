package dev.zephyr.examples;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.endpoint.EndpointSpec;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.progress.ConsoleProgress;
import dev.zephyr.data.feedback.Binarizer;
import dev.zephyr.data.feedback.FeedbackCollector;
import dev.zephyr.data.feedback.OverallRubric;
import dev.zephyr.data.rows.PromptRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * AI feedback (the recipe's AIF step) from OpenAI-compatible endpoints, e.g. a vLLM server: four completions per
 * prompt sampled from one model, each rated by a judge model with our overall-quality rubric, then binarised the way
 * Zephyr did (chosen = best rating, rejected = a random other completion). Writes {@code completions.jsonl},
 * {@code ratings.jsonl} and {@code preferences.jsonl} (the {@code ultrafeedback_binarized} layout) into the output
 * directory; rerunning continues where an interrupted run stopped.
 *
 * <p>The prompts file is JSONL with a {@code prompt} column ({@code prompt_id} optional). When the environment variable
 * {@code OPENAI_API_KEY} is set it is sent as the bearer token to both endpoints. The YAML-configured, multi-model
 * version of this is {@code zephyr aif --config FILE.yaml}.
 *
 * <pre>
 * mvn -B -ntp -DskipTests package
 * java -cp examples/target/zephyr.jar dev.zephyr.examples.CollectFeedback \
 *     http://localhost:8000/v1 Qwen/Qwen2.5-0.5B-Instruct http://localhost:8001/v1 prompts.jsonl out/aif [JUDGE_MODEL]
 * </pre>
 */
public final class CollectFeedback {
  static final String USAGE = "usage: CollectFeedback BASE_URL MODEL JUDGE_URL PROMPTS.jsonl OUTPUT_DIR [JUDGE_MODEL]"
      + " (JUDGE_MODEL defaults to MODEL)";

  private CollectFeedback() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the example; returns the process exit code (0 success, 1 failure, 2 bad usage). */
  public static int run(String... args) {
    if (args.length != 5 && args.length != 6) {
      System.err.println(USAGE);
      return 2;
    }
    String model = args[1];
    String judgeModel = args.length == 6 ? args[5] : model;
    Path promptsFile = Path.of(args[3]);
    Path out = Path.of(args[4]);
    if (!Files.isRegularFile(promptsFile)) {
      System.err.println("CollectFeedback: prompts file not found: " + promptsFile);
      return 1;
    }
    String keyEnv = System.getenv("OPENAI_API_KEY") != null ? "OPENAI_API_KEY" : null;
    try (ChatModel generator = EndpointSpec.of(args[0], model, keyEnv).open();
        ChatModel judge = EndpointSpec.of(args[2], judgeModel, keyEnv).open()) {
      List<PromptRecord> prompts = new ArrayList<>();
      List<JsonNode> rows = Jsonl.readAll(promptsFile);
      for (int i = 0; i < rows.size(); i++) {
        prompts.add(PromptRecord.fromRow(rows.get(i), promptsFile.toString(), i + 1));
      }
      // one pool member sampled four times per prompt (distinct per-request seeds make the completions differ)
      SamplingParams sampling = SamplingParams.builder().temperature(1.0).topP(1.0).maxTokens(512).build();
      FeedbackCollector collector = new FeedbackCollector(
          List.of(new FeedbackCollector.PoolMember(model, generator, sampling, false)),
          judge, OverallRubric.defaults(), null, Binarizer.zephyr(42), FeedbackCollector.Settings.defaults(42));
      FeedbackCollector.Summary s = collector.run(prompts, out, ConsoleProgress.stderr());
      System.out.printf("completions: %d calls, %d failed; judgments: %d calls, %d failed, %d unparsable%n",
          s.completionCalls(), s.completionFailures(), s.judgeCalls(), s.judgeCallFailures(), s.judgmentFailures());
      System.out.println(s.counts().line());
      if (!s.complete()) {
        System.err.println("CollectFeedback: not finished" + (s.stopReason() != null ? "; stopped: " + s.stopReason()
            : "") + "; failed calls are listed in " + s.failuresFile() + "; run it again to retry");
        return 1;
      }
      System.out.printf("preferences: %d pairs -> %s%n", s.preferencePairs(), out.resolve("preferences.jsonl"));
      return 0;
    } catch (RuntimeException e) {
      System.err.println("CollectFeedback: " + e.getMessage());
      return 1;
    }
  }
}
