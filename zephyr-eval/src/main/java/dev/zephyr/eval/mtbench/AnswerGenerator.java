package dev.zephyr.eval.mtbench;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.io.JsonlAppender;
import dev.zephyr.core.job.FailureLog;
import dev.zephyr.core.job.WorkCounts;
import dev.zephyr.core.progress.Progress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates MT-Bench answers the way FastChat's {@code gen_model_answer.py} does: every turn of a question in one
 * conversation, the model's own earlier answers in the context of later turns; temperature by category (greedy below
 * 1e-4), {@code max_new_tokens} 1024 by default, one choice per seed 0..n-1; answers stripped of surrounding
 * whitespace (the chat model already cuts stop strings and special tokens).
 *
 * <p>Each finished question is appended to the answer file at once; a rerun skips question ids already there; at the
 * end the file is rewritten sorted by question id with one line per id (the last wins), as {@code reorg_answer_file}.
 * Where FastChat writes "ERROR" as the answer of a failed generation, a question with a call that fails for good is
 * not written at all: the call goes to {@code ANSWER_FILE.failures} ({@link FailureLog}) and the next run answers the
 * question again. When the model stops after repeated identical failures the questions not reached stay pending.
 */
public final class AnswerGenerator {
  private static final Logger LOG = LoggerFactory.getLogger(AnswerGenerator.class);
  private static final String ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ChatModel model;
  private final String modelId;
  private final int maxNewTokens;
  private final int numChoices;
  private final int batchSize;
  private final String systemMessage;
  private Progress progress = Progress.NONE;

  /**
   * @param model the model under test (it applies its own chat template)
   * @param modelId the {@code model_id} written into the file
   * @param systemMessage a system message placed before the first turn, or null for none. FastChat's templates always
   *     render a system block: for Zephyr an empty one ({@code <|system|>\n</s>\n}), which {@code ""} reproduces
   *     with the Zephyr chat template
   */
  public AnswerGenerator(ChatModel model, String modelId, int maxNewTokens, int numChoices, int batchSize,
      String systemMessage) {
    this.model = model;
    this.modelId = modelId;
    this.maxNewTokens = maxNewTokens;
    this.numChoices = numChoices;
    this.batchSize = Math.max(1, batchSize);
    this.systemMessage = systemMessage;
  }

  /** Reports questions answered (task {@code answer}) with the generated tokens' rate. */
  public AnswerGenerator progress(Progress sink) {
    this.progress = java.util.Objects.requireNonNull(sink, "progress");
    return this;
  }

  /** FastChat's {@code temperature_config}; unknown categories get 0.7. */
  public static double temperature(String category) {
    return switch (category) {
      case "writing", "roleplay" -> 0.7;
      case "extraction", "math", "coding", "reasoning", "arena-hard-200" -> 0.0;
      case "stem", "humanities" -> 0.1;
      default -> 0.7;
    };
  }

  /** The sampling settings for a question's category and choice index. */
  public SamplingParams params(String category, int choice) {
    double t = temperature(category);
    SamplingParams.Builder b = SamplingParams.builder().maxTokens(maxNewTokens).seed((long) choice);
    return (t < 1e-4 ? b.temperature(0) : b.temperature(t)).build();
  }

  /**
   * What a run left in the answer file.
   *
   * @param answers the reorganised file's answers by question id
   * @param counts the questions asked for: done (in the file), failed (a call failed for good in this run), pending
   * @param stopReason why the run stopped early (the model kept failing with the same status), or null
   * @param failuresFile where this run's failed calls are listed (it exists only when some failed)
   */
  public record Result(Map<Integer, ModelAnswer> answers, WorkCounts counts, String stopReason, Path failuresFile) {}

  /** Answers every question not yet in {@code answerFile}. */
  public Result generate(List<Question> questions, Path answerFile) {
    int failed = 0;
    FailureLog failures = FailureLog.besideFile(answerFile);
    // opening cuts a last line torn by an interrupted run, so the answers already there read cleanly
    try (failures; JsonlAppender log = JsonlAppender.open(answerFile)) {
      java.util.Set<Integer> done = MtBench.readAnswers(answerFile).keySet();
      List<Question> todo = questions.stream().filter(q -> !done.contains(q.questionId())).toList();
      try (Progress.Task task = progress.start("answer", "questions", questions.size(),
          questions.size() - todo.size())) {
        for (int start = 0; start < todo.size() && !failures.stopped(); start += batchSize) {
          List<Question> batch = todo.subList(start, Math.min(todo.size(), start + batchSize));
          generatedTokens = 0;
          for (ModelAnswer a : answerBatch(batch, failures)) {
            log.append(a);
          }
          failed += (int) batch.stream().filter(q -> failures.failed(item(q))).count();
          task.advance(batch.size(), generatedTokens);
          LOG.info("answered {}/{}", Math.min(todo.size(), start + batchSize), todo.size());
        }
      }
    }
    Map<Integer, ModelAnswer> answers = reorganize(answerFile);
    long answered = questions.stream().filter(q -> answers.containsKey(q.questionId())).count();
    return new Result(answers, WorkCounts.of("questions", questions.size(), answered, failed),
        failures.stopReason(), failures.file());
  }

  private static String item(Question q) {
    return "question " + q.questionId();
  }

  /**
   * Answers a batch of questions: all first turns together, then all second turns, and so on; a question one of whose
   * calls failed or was not sent is left out (the failure is in {@code failures}).
   */
  private List<ModelAnswer> answerBatch(List<Question> batch, FailureLog failures) {
    int maxTurns = batch.stream().mapToInt(q -> q.turns().size()).max().orElse(0);
    List<ModelAnswer> out = new ArrayList<>();
    List<List<List<String>>> turns = new ArrayList<>(); // [question][choice][turn]
    for (Question q : batch) {
      List<List<String>> perChoice = new ArrayList<>();
      for (int c = 0; c < numChoices; c++) {
        perChoice.add(new ArrayList<>());
      }
      turns.add(perChoice);
    }
    boolean[] lost = new boolean[batch.size()];
    for (int t = 0; t < maxTurns; t++) {
      List<ChatRequest> requests = new ArrayList<>();
      List<int[]> where = new ArrayList<>();
      for (int qi = 0; qi < batch.size(); qi++) {
        Question q = batch.get(qi);
        if (t >= q.turns().size() || lost[qi]) {
          continue;
        }
        for (int c = 0; c < numChoices; c++) {
          List<Message> messages = new ArrayList<>();
          if (systemMessage != null) {
            messages.add(Message.system(systemMessage));
          }
          List<String> previous = turns.get(qi).get(c);
          for (int k = 0; k < t; k++) {
            messages.add(Message.user(q.turns().get(k)));
            messages.add(Message.assistant(previous.get(k)));
          }
          messages.add(Message.user(q.turns().get(t)));
          requests.add(ChatRequest.of(messages, params(q.category(), c)));
          where.add(new int[] {qi, c});
        }
      }
      FailureLog.Answers answers = failures.answer(model, requests, k -> item(batch.get(where.get(k)[0])),
          "answer turn " + (t + 1));
      for (int k = 0; k < requests.size(); k++) {
        ChatResponse r = answers.get(k);
        if (r == null) {
          lost[where.get(k)[0]] = true;
          continue;
        }
        generatedTokens += r.completionTokens();
        turns.get(where.get(k)[0]).get(where.get(k)[1]).add(r.text().strip());
      }
    }
    for (int qi = 0; qi < batch.size(); qi++) {
      if (lost[qi]) {
        continue;
      }
      List<ModelAnswer.Choice> choices = new ArrayList<>();
      for (int c = 0; c < numChoices; c++) {
        choices.add(new ModelAnswer.Choice(c, List.copyOf(turns.get(qi).get(c))));
      }
      out.add(new ModelAnswer(batch.get(qi).questionId(), shortUuid(), modelId, choices,
          System.currentTimeMillis() / 1000.0));
    }
    return out;
  }

  /** Completion tokens of the current batch, for the token rate. */
  private long generatedTokens;

  /** Rewrites the file sorted by question id, one line per id (the last one wins). */
  public static Map<Integer, ModelAnswer> reorganize(Path answerFile) {
    Map<Integer, ModelAnswer> sorted = new TreeMap<>(MtBench.readAnswers(answerFile));
    Jsonl.writeAll(answerFile, sorted.values());
    return sorted;
  }

  /** A 22-character id in shortuuid's alphabet, like FastChat's {@code shortuuid.uuid()}. */
  static String shortUuid() {
    StringBuilder sb = new StringBuilder(22);
    for (int i = 0; i < 22; i++) {
      sb.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }
}
