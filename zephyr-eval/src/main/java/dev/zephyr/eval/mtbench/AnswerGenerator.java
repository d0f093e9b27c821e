package dev.zephyr.eval.mtbench;

import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.io.Jsonl;
import dev.zephyr.core.io.JsonlAppender;
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
 * whitespace (the chat model already cuts stop strings and special tokens), "ERROR" for a failed generation.
 *
 * <p>Each finished question is appended to the answer file at once; a rerun skips question ids already there; at the
 * end the file is rewritten sorted by question id with one line per id (the last wins), as {@code reorg_answer_file}.
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

  /** Answers every question not yet in {@code answerFile}; returns the reorganised file's answers by id. */
  public Map<Integer, ModelAnswer> generate(List<Question> questions, Path answerFile) {
    // opening cuts a last line torn by an interrupted run, so the answers already there read cleanly
    try (JsonlAppender log = JsonlAppender.open(answerFile)) {
      java.util.Set<Integer> done = MtBench.readAnswers(answerFile).keySet();
      List<Question> todo = questions.stream().filter(q -> !done.contains(q.questionId())).toList();
      try (Progress.Task task = progress.start("answer", "questions", questions.size(),
          questions.size() - todo.size())) {
        for (int start = 0; start < todo.size(); start += batchSize) {
          List<Question> batch = todo.subList(start, Math.min(todo.size(), start + batchSize));
          generatedTokens = 0;
          for (ModelAnswer a : answerBatch(batch)) {
            log.append(a);
          }
          task.advance(batch.size(), generatedTokens);
          LOG.info("answered {}/{}", Math.min(todo.size(), start + batchSize), todo.size());
        }
      }
    }
    return reorganize(answerFile);
  }

  /** Answers a batch of questions: all first turns together, then all second turns, and so on. */
  List<ModelAnswer> answerBatch(List<Question> batch) {
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
    for (int t = 0; t < maxTurns; t++) {
      List<ChatRequest> requests = new ArrayList<>();
      List<int[]> where = new ArrayList<>();
      for (int qi = 0; qi < batch.size(); qi++) {
        Question q = batch.get(qi);
        if (t >= q.turns().size()) {
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
      List<String> texts = complete(requests);
      for (int k = 0; k < texts.size(); k++) {
        turns.get(where.get(k)[0]).get(where.get(k)[1]).add(texts.get(k));
      }
    }
    for (int qi = 0; qi < batch.size(); qi++) {
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

  private List<String> complete(List<ChatRequest> requests) {
    try {
      List<ChatResponse> responses = model.complete(requests);
      responses.forEach(r -> generatedTokens += r.completionTokens());
      return responses.stream().map(ChatResponse::text).map(String::strip).toList();
    } catch (RuntimeException e) {
      // FastChat records "ERROR" for a generation that raised; a batch failure is retried one by one
      List<String> out = new ArrayList<>();
      for (ChatRequest r : requests) {
        try {
          out.add(model.complete(r).text().strip());
        } catch (RuntimeException single) {
          LOG.error("generation failed: {}", single.getMessage());
          out.add("ERROR");
        }
      }
      return out;
    }
  }

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
