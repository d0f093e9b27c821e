package dev.zephyr.eval.mtbench;

import dev.zephyr.core.InvalidInputException;
import dev.zephyr.core.io.Jsonl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An MT-Bench directory in FastChat's layout: {@code question.jsonl}, {@code judge_prompts.jsonl} (here or in the
 * parent directory, where FastChat keeps it), {@code reference_answer/<judge>.jsonl} and {@code model_answer/}.
 */
public final class MtBench {
  /** Categories judged against a reference answer (FastChat {@code NEED_REF_CATS}). */
  public static final Set<String> NEED_REF_CATS = Set.of("math", "reasoning", "coding", "arena-hard-200");

  private final Path dir;
  private final List<Question> questions;
  private final Map<String, JudgePrompt> judgePrompts;
  private final Map<Integer, String> categoryById = new HashMap<>();

  private MtBench(Path dir, List<Question> questions, Map<String, JudgePrompt> judgePrompts) {
    this.dir = dir;
    this.questions = questions;
    this.judgePrompts = judgePrompts;
    for (Question q : questions) {
      categoryById.putIfAbsent(q.questionId(), q.category()); // the first question with an id, as a scan finds it
    }
  }

  /** Loads questions and judge prompts; checks that every question has a category and two turns. */
  public static MtBench load(Path dir) {
    Path qFile = dir.resolve("question.jsonl");
    if (!Files.isRegularFile(qFile)) {
      throw new InvalidInputException(qFile.toString(), 0, null, "no question.jsonl in the MT-Bench directory");
    }
    List<Question> questions = Jsonl.readAll(qFile, Question.class);
    for (int i = 0; i < questions.size(); i++) {
      Question q = questions.get(i);
      if (q.category() == null) {
        throw new InvalidInputException(qFile.toString(), i + 1, "category", "missing");
      }
      if (q.turns() == null || q.turns().isEmpty()) {
        throw new InvalidInputException(qFile.toString(), i + 1, "turns", "expected a list of user turns");
      }
    }
    Path pFile = dir.resolve("judge_prompts.jsonl");
    if (!Files.isRegularFile(pFile) && dir.toAbsolutePath().getParent() != null) {
      pFile = dir.toAbsolutePath().getParent().resolve("judge_prompts.jsonl");
    }
    Map<String, JudgePrompt> prompts = new LinkedHashMap<>();
    if (Files.isRegularFile(pFile)) {
      List<JudgePrompt> list = Jsonl.readAll(pFile, JudgePrompt.class);
      for (int i = 0; i < list.size(); i++) {
        JudgePrompt p = list.get(i);
        if (p.name() == null || p.promptTemplate() == null || p.systemPrompt() == null) {
          throw new InvalidInputException(pFile.toString(), i + 1, "name/system_prompt/prompt_template", "missing");
        }
        prompts.put(p.name(), p);
      }
    }
    return new MtBench(dir, List.copyOf(questions), Collections.unmodifiableMap(prompts));
  }

  public Path dir() {
    return dir;
  }

  public List<Question> questions() {
    return questions;
  }

  public Map<String, JudgePrompt> judgePrompts() {
    return judgePrompts;
  }

  /** A judge prompt by name; a clear error when the directory lacks it. */
  public JudgePrompt judgePrompt(String name) {
    JudgePrompt p = judgePrompts.get(name);
    if (p == null) {
      throw InvalidInputException.field(dir.resolve("judge_prompts.jsonl").toString(), "name",
          "no judge prompt named '" + name + "' (have " + judgePrompts.keySet() + ")");
    }
    return p;
  }

  /** Category of a question id, or null; looked up once per judgment when scores are computed. */
  public String category(int questionId) {
    return categoryById.get(questionId);
  }

  /**
   * Reference answers for a judge: {@code reference_answer/<judge>.jsonl} (FastChat looks them up by the judge's
   * name); empty when the file is absent.
   */
  public Map<Integer, ModelAnswer> referenceAnswers(String judgeName) {
    Path file = dir.resolve("reference_answer").resolve(judgeName + ".jsonl");
    return Files.isRegularFile(file) ? readAnswers(file) : Map.of();
  }

  /** Answers by question id; a later line for the same id wins, as in FastChat. */
  public static Map<Integer, ModelAnswer> readAnswers(Path file) {
    Map<Integer, ModelAnswer> out = new LinkedHashMap<>();
    List<ModelAnswer> list = Jsonl.readAll(file, ModelAnswer.class);
    for (int i = 0; i < list.size(); i++) {
      ModelAnswer a = list.get(i);
      if (a.choices() == null || a.choices().isEmpty() || a.choices().get(0).turns() == null) {
        throw new InvalidInputException(file.toString(), i + 1, "choices", "expected [{\"index\", \"turns\"}]");
      }
      out.put(a.questionId(), a);
    }
    return out;
  }

  /**
   * Refuses answers to questions this bench does not have: they could never be judged, so a judging run over them
   * would end with nothing to show for it.
   *
   * @throws InvalidInputException naming {@code source} and the unknown ids
   */
  public void requireKnownQuestions(Map<Integer, ModelAnswer> answers, String source) {
    List<Integer> unknown = answers.keySet().stream().filter(id -> category(id) == null).sorted().toList();
    if (!unknown.isEmpty()) {
      throw new InvalidInputException(source, 0, "question_id", unknown.size() + " of " + answers.size()
          + " answers are to questions that " + dir.resolve("question.jsonl") + " does not have: "
          + (unknown.size() <= 10 ? unknown : unknown.subList(0, 10) + " and " + (unknown.size() - 10) + " more"));
    }
  }

  /** The model name FastChat derives from an answer file: its name without {@code .jsonl}. */
  public static String modelNameOf(Path answerFile) {
    String f = answerFile.getFileName().toString();
    return f.endsWith(".jsonl") ? f.substring(0, f.length() - ".jsonl".length()) : f;
  }

  /** Questions split as FastChat splits them for judging: those needing a reference and the others. */
  public List<Question> questions(boolean needRef) {
    List<Question> out = new ArrayList<>();
    for (Question q : questions) {
      if (NEED_REF_CATS.contains(q.category()) == needRef) {
        out.add(q);
      }
    }
    return out;
  }
}
