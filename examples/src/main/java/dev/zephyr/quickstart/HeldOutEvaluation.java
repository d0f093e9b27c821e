package dev.zephyr.quickstart;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.zephyr.core.chat.ChatModel;
import dev.zephyr.core.chat.ChatRequest;
import dev.zephyr.core.chat.ChatResponse;
import dev.zephyr.core.chat.Message;
import dev.zephyr.core.chat.SamplingParams;
import dev.zephyr.core.eval.EvalReport;
import dev.zephyr.core.eval.Evaluation;
import dev.zephyr.core.io.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The quickstart's evaluation: the model answers every held-out prompt greedily, the judge grades each answer 1-10
 * with the {@link GradingPrompt}, and the mean grade is {@code judge_score} (MT-Bench's single-answer grading,
 * on this world). Writes {@code answers.jsonl} (one line per prompt, with its rating); an existing complete file is
 * reused, so a rerun pays for nothing twice.
 */
public final class HeldOutEvaluation implements Evaluation {
  public static final String ANSWERS = "answers.jsonl";
  private static final Pattern RATING = Pattern.compile("\\[\\[(\\d+\\.?\\d*)\\]\\]");

  private final Path heldOut;
  private final ChatModel judge;
  private final int maxTokens;

  public HeldOutEvaluation(Path heldOut, ChatModel judge, int maxTokens) {
    this.heldOut = heldOut;
    this.judge = judge;
    this.maxTokens = maxTokens;
  }

  /** One graded answer. {@code rating} is -1 when the judge's reply held no rating (as FastChat records it). */
  public record Answer(
      @JsonProperty("prompt_id") String promptId, String prompt, String answer, double rating, boolean correct) {}

  @Override
  public String name() {
    return "held_out";
  }

  @Override
  public Map<String, Object> config() {
    return Map.of("held_out", heldOut.toString(), "judge", judge.name(), "max_tokens", maxTokens);
  }

  @Override
  public EvalReport evaluate(ChatModel model, Path outputDir) {
    Path answersFile = outputDir.resolve(ANSWERS);
    List<QuickstartWorld.HeldOutPrompt> prompts = Jsonl.readAll(heldOut, QuickstartWorld.HeldOutPrompt.class);
    List<Answer> answers = Files.isRegularFile(answersFile) ? Jsonl.readAll(answersFile, Answer.class) : null;
    if (answers == null || answers.size() != prompts.size()) {
      answers = answer(model, prompts);
      Jsonl.writeAll(answersFile, answers);
    }
    double sum = 0;
    int valid = 0;
    int correct = 0;
    for (Answer a : answers) {
      if (a.rating() >= 0) {
        sum += a.rating();
        valid++;
      }
      correct += a.correct() ? 1 : 0;
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("judge_score", valid == 0 ? Double.NaN : sum / valid);
    metrics.put("accuracy", answers.isEmpty() ? Double.NaN : (double) correct / answers.size());
    metrics.put("rating_failures", (double) (answers.size() - valid));
    return new EvalReport(name(), model.name(), metrics, Map.of("answers", answersFile));
  }

  private List<Answer> answer(ChatModel model, List<QuickstartWorld.HeldOutPrompt> prompts) {
    List<ChatRequest> asks = new ArrayList<>();
    for (QuickstartWorld.HeldOutPrompt p : prompts) {
      asks.add(ChatRequest.of(List.of(Message.user(p.prompt())), SamplingParams.greedy(maxTokens)));
    }
    List<ChatResponse> replies = model.complete(asks);
    List<ChatRequest> grades = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      grades.add(ChatRequest.of(List.of(Message.user(GradingPrompt.render(prompts.get(i).prompt(), replies.get(i).text()))),
          SamplingParams.greedy(256)));
    }
    List<ChatResponse> verdicts = judge.complete(grades);
    List<Answer> out = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      QuickstartWorld.HeldOutPrompt p = prompts.get(i);
      String text = replies.get(i).text();
      boolean correct = InstructionWorld.exactAnswer(text).map(p.answer()::equals).orElse(false);
      out.add(new Answer(p.prompt_id(), p.prompt(), text, rating(verdicts.get(i).text()), correct));
    }
    return out;
  }

  /** The last {@code [[N]]} in a judge reply, or -1. */
  static double rating(String reply) {
    Matcher m = RATING.matcher(reply);
    double r = -1;
    while (m.find()) {
      r = Double.parseDouble(m.group(1));
    }
    return r;
  }

  /**
   * Win rate of one model's answers against a baseline's on the same prompts: per prompt 1 for a higher rating,
   * 0.5 for a tie, 0 for a lower one, averaged (AlpacaEval's convention of counting ties as half a win). Prompts
   * either side failed to rate are left out.
   */
  public static double winRate(Path answers, Path baselineAnswers) {
    Map<String, Double> base = new HashMap<>();
    for (Answer a : Jsonl.readAll(baselineAnswers, Answer.class)) {
      base.put(a.promptId(), a.rating());
    }
    double wins = 0;
    int n = 0;
    for (Answer a : Jsonl.readAll(answers, Answer.class)) {
      Double b = base.get(a.promptId());
      if (b == null || b < 0 || a.rating() < 0) {
        continue;
      }
      wins += a.rating() > b ? 1 : a.rating() == b ? 0.5 : 0;
      n++;
    }
    return n == 0 ? Double.NaN : wins / n;
  }
}
