package dev.zephyr.eval.mtbench;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.chat.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds judge calls exactly as FastChat's {@code run_judge_single} / {@code run_judge_pair} do for an OpenAI judge:
 * the prompt is chosen by turn and category ({@code single-v1}, {@code single-math-v1}, {@code single-v1-multi-turn},
 * {@code single-math-v1-multi-turn}; pairwise {@code pair-v2}, {@code pair-math-v1} and their multi-turn forms), the
 * template is filled with Python {@code str.format} semantics, and the messages are
 * {@code [{"role": "system", "content": system_prompt}, {"role": "user", "content": user_prompt}]} (no system message
 * when the system prompt is empty, as FastChat's {@code to_openai_api_messages}).
 */
public final class JudgeRequests {
  private final MtBench bench;
  private final Map<Integer, ModelAnswer> references;
  private final String referenceSource;

  /**
   * @param bench questions and judge prompts
   * @param references reference answers by question id (those of {@code reference_answer/<judge>.jsonl})
   * @param referenceSource where the references came from, for error messages
   */
  public JudgeRequests(MtBench bench, Map<Integer, ModelAnswer> references, String referenceSource) {
    this.bench = bench;
    this.references = references;
    this.referenceSource = referenceSource;
  }

  /** The single-answer prompt name FastChat uses for a category and turn. */
  public static String singlePromptName(String category, int turn) {
    boolean ref = MtBench.NEED_REF_CATS.contains(category);
    return (ref ? "single-math-v1" : "single-v1") + (turn == 2 ? "-multi-turn" : "");
  }

  /** The pairwise prompt name FastChat uses for a category and turn. */
  public static String pairPromptName(String category, int turn) {
    boolean ref = MtBench.NEED_REF_CATS.contains(category);
    return (ref ? "pair-math-v1" : "pair-v2") + (turn == 2 ? "-multi-turn" : "");
  }

  /** The single-answer judge call for {@code answer} to {@code question} at {@code turn} (1 or 2). */
  public JudgeRequest single(Question question, ModelAnswer answer, int turn) {
    return request(question, turn, singlePromptName(question.category(), turn), Map.of("answer", answer));
  }

  /** The pairwise judge call with {@code a} shown as Assistant A and {@code b} as Assistant B. */
  public JudgeRequest pair(Question question, ModelAnswer a, ModelAnswer b, int turn) {
    return request(question, turn, pairPromptName(question.category(), turn), Map.of("answer_a", a, "answer_b", b));
  }

  /**
   * Fills the named prompt. Each answer is a template field by its name for turn 1 ({@code {answer}},
   * {@code {answer_a}}) and with {@code _1} / {@code _2} appended for the multi-turn prompt, next to the questions
   * ({@code {question}}, or {@code {question_1}} and {@code {question_2}}) and any reference answers.
   */
  private JudgeRequest request(Question question, int turn, String promptName, Map<String, ModelAnswer> answers) {
    JudgePrompt prompt = bench.judgePrompt(promptName);
    Map<String, String> v = referenceValues(question);
    if (turn == 2) {
      v.put("question_1", question.turns().get(0));
      v.put("question_2", question.turns().get(1));
      answers.forEach((field, answer) -> {
        v.put(field + "_1", answer.turn(1));
        v.put(field + "_2", answer.turn(2));
      });
    } else {
      v.put("question", question.turns().get(0));
      answers.forEach((field, answer) -> v.put(field, answer.turn(1)));
    }
    return new JudgeRequest(question.questionId(), turn, prompt.name(),
        messages(prompt.systemPrompt(), PyFormat.format(prompt.promptTemplate(), v)));
  }

  /**
   * Every single-answer call for a model's answers in FastChat's match order: first turns of the general questions,
   * first turns of the reference-based ones, then the second turns in the same two groups. Questions without an answer
   * are left out.
   */
  public List<JudgeRequest> allSingle(Map<Integer, ModelAnswer> answers) {
    List<JudgeRequest> out = new ArrayList<>();
    for (int turn = 1; turn <= 2; turn++) {
      for (boolean ref : new boolean[] {false, true}) {
        for (Question q : bench.questions(ref)) {
          ModelAnswer a = answers.get(q.questionId());
          if (a != null && q.turns().size() >= turn) {
            out.add(single(q, a, turn));
          }
        }
      }
    }
    return out;
  }

  /**
   * Every pairwise request over the questions both models answered, in FastChat's order (turn, then without and with
   * reference), each question in both orders: {@code answers1} as A, then {@code answers2} as A.
   */
  public List<JudgeRequest> allPair(Map<Integer, ModelAnswer> answers1, Map<Integer, ModelAnswer> answers2) {
    List<JudgeRequest> out = new ArrayList<>();
    for (int turn = 1; turn <= 2; turn++) {
      for (boolean ref : new boolean[] {false, true}) {
        for (Question q : bench.questions(ref)) {
          ModelAnswer a1 = answers1.get(q.questionId());
          ModelAnswer a2 = answers2.get(q.questionId());
          if (a1 != null && a2 != null && q.turns().size() >= turn) {
            out.add(pair(q, a1, a2, turn));
            out.add(pair(q, a2, a1, turn));
          }
        }
      }
    }
    return out;
  }

  private Map<String, String> referenceValues(Question question) {
    Map<String, String> v = new HashMap<>();
    if (MtBench.NEED_REF_CATS.contains(question.category())) {
      ModelAnswer ref = references.get(question.questionId());
      if (ref == null) {
        throw new InvalidInputException(referenceSource, 0, "question_id",
            "no reference answer for question " + question.questionId() + " (category " + question.category()
                + "); FastChat reads reference_answer/<judge-model>.jsonl");
      }
      v.put("ref_answer_1", ref.turn(1));
      if (ref.choices().get(0).turns().size() > 1) {
        v.put("ref_answer_2", ref.turn(2));
      }
    }
    return v;
  }

  private static List<Message> messages(String system, String user) {
    List<Message> m = new ArrayList<>(2);
    if (!system.isEmpty()) {
      m.add(Message.system(system));
    }
    m.add(Message.user(user));
    return List.copyOf(m);
  }
}
